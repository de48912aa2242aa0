# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cron schedules as --etcd-snapshot-schedule-cron takes them: five fields, or @hourly, @daily, @every 5m..."""

import time

from k3s_double.flags import parse_duration

_DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_NAMES = [
    {},
    {},
    {},
    {
        m: i + 1
        for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])
    },
    {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])},
]
_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 6)]


class CronError(ValueError):
    pass


def _value(text, field):
    text = text.upper()
    if text in _NAMES[field]:
        return _NAMES[field][text]
    try:
        return int(text)
    except ValueError:
        raise CronError(f"failed to parse int from {text}") from None


def _field(text, field):
    low, high = _RANGES[field]
    values = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = _value(step_text, field)
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            start, end = (_value(p, field) for p in part.split("-", 1))
        else:
            start = _value(part, field)
            end = high if step > 1 else start
        if start < low or end > high or start > end or step < 1:
            raise CronError(f"end of range ({end}) above maximum ({high}): {text}")
        values.update(range(start, end + 1, step))
    if field == 4 and 7 in values:
        values.add(0)
    return values, text in ("*", "?")


class Schedule:
    """`due(now)` tells whether a run is due at `now` (a Unix time); `mark(now)` records that it ran."""

    def __init__(self, spec):
        spec = spec.strip()
        self.every = None
        self.last = None
        if spec.startswith("@every "):
            try:
                self.every = max(1.0, round(parse_duration(spec[len("@every ") :])))
            except ValueError as exc:
                raise CronError(f"failed to parse duration {spec}: {exc}") from exc
            self.started = time.time()
            return
        spec = _DESCRIPTORS.get(spec, spec)
        fields = spec.split()
        if len(fields) != 5:
            raise CronError(f"expected exactly 5 fields, found {len(fields)}: {spec}")
        self.fields = [_field(text, index) for index, text in enumerate(fields)]

    def due(self, now):
        if self.every is not None:
            return now - (self.last if self.last is not None else self.started) >= self.every
        minute = int(now // 60)
        if self.last is not None and int(self.last // 60) == minute:
            return False
        moment = time.localtime(now)
        minutes, hours, months = self.fields[0][0], self.fields[1][0], self.fields[3][0]
        (days, any_day), (weekdays, any_weekday) = self.fields[2], self.fields[4]
        if moment.tm_min not in minutes or moment.tm_hour not in hours or moment.tm_mon not in months:
            return False
        day_ok = moment.tm_mday in days
        weekday_ok = (moment.tm_wday + 1) % 7 in weekdays
        if any_day or any_weekday:
            return day_ok and weekday_ok
        return day_ok or weekday_ok

    def mark(self, now):
        self.last = now
