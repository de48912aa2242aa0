# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report of tests/bench/converge.sh: wall times, ratios, per-role sums and the slowest tasks.

Reads <out>/<size>h/<variant>/run<N>/{fresh,noop}.{log,time}, written by converge.sh, and prints
Markdown tables: medians over the runs with min-max.

Usage: python tests/bench/converge_report.py <out> [--top 10]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

PHASES = ("fresh", "noop")
# profile_tasks: "<role> : <task> ---------- 1.23s"
_TASK = re.compile(r"^(?P<name>\S.*?) -{2,}\s*(?P<seconds>\d+(?:\.\d+)?)s$")
_RECAP = re.compile(
    r"^(?P<host>\S+)\s+: ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unr>\d+)\s+failed=(?P<failed>\d+)"
)


class Run:
    """One ansible-playbook run: wall time, exit code, task times and the recap."""

    def __init__(self, log: Path, timing: Path):
        start, end, rc = timing.read_text().split()
        self.wall = float(end) - float(start)
        self.rc = int(rc)
        self.tasks: List[Tuple[str, float]] = []
        self.changed = 0
        self.failed = 0
        self.hosts = 0
        in_summary = False
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("====="):
                in_summary = True
                continue
            recap = _RECAP.match(line)
            if recap:
                self.hosts += 1
                self.changed += int(recap["changed"])
                self.failed += int(recap["failed"]) + int(recap["unr"])
                continue
            if in_summary:
                task = _TASK.match(line.rstrip())
                if task:
                    self.tasks.append((task["name"], float(task["seconds"])))

    @property
    def ok(self) -> bool:
        return self.rc == 0 and self.failed == 0

    def roles(self) -> Dict[str, float]:
        sums: Dict[str, float] = {}
        for name, seconds in self.tasks:
            role = name.split(" : ", 1)[0] if " : " in name else "(play)"
            role = role.rsplit(".", 1)[-1]
            sums[role] = sums.get(role, 0.0) + seconds
        return sums


def load(out: Path) -> Dict[Tuple[int, str], Dict[str, List[Run]]]:
    """{(size, variant): {phase: [runs]}}."""
    data: Dict[Tuple[int, str], Dict[str, List[Run]]] = {}
    for size_dir in sorted(out.glob("*h"), key=lambda p: int(p.name[:-1]) if p.name[:-1].isdigit() else 0):
        if not size_dir.name[:-1].isdigit():
            continue
        for variant_dir in sorted(size_dir.iterdir()):
            runs: Dict[str, List[Run]] = {phase: [] for phase in PHASES}
            for run_dir in sorted(variant_dir.glob("run*")):
                for phase in PHASES:
                    log, timing = run_dir / f"{phase}.log", run_dir / f"{phase}.time"
                    if log.exists() and timing.exists():
                        runs[phase].append(Run(log, timing))
            data[(int(size_dir.name[:-1]), variant_dir.name)] = runs
    return data


def spread(values: List[float]) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.1f}"
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def median(values: List[float]) -> Optional[float]:
    return statistics.median(values) if values else None


def ratio(a: Optional[float], b: Optional[float]) -> str:
    return f"{a / b:.2f}" if a is not None and b else "-"


def walls(runs: List[Run]) -> List[float]:
    return [run.wall for run in runs if run.ok]


def report(out: Path, top: int) -> str:
    data = load(out)
    if not data:
        return f"no runs under {out}\n"
    lines = ["## Wall times (seconds, median (min-max) of the successful runs)", ""]
    lines += [
        "| hosts | playbook | runs ok | fresh | no-op | no-op / fresh | no-op changed | no-op / homelab fresh |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for (size, variant), runs in data.items():
        fresh, noop = walls(runs["fresh"]), walls(runs["noop"])
        own_fresh = median(walls(data.get((size, "homelab"), {}).get("fresh", [])))
        changed = sorted({run.changed for run in runs["noop"] if run.ok})
        counts = [(sum(r.ok for r in runs[phase]), len(runs[phase])) for phase in PHASES]
        total = " + ".join(f"{good}/{count}" for good, count in counts)
        lines.append(
            f"| {size} | {variant} | {total} | {spread(fresh)} | {spread(noop)} | {ratio(median(noop), median(fresh))} "
            f"| {', '.join(map(str, changed)) or '-'} | {ratio(median(noop), own_fresh)} |"
        )
    # Ratios against the peer, per size.
    peer_rows = []
    for (size, variant), runs in data.items():
        peer = data.get((size, "peer"))
        if variant == "peer" or not peer:
            continue
        for phase in PHASES:
            own, theirs = median(walls(runs[phase])), median(walls(peer[phase]))
            pairs = [a.wall / b.wall for a, b in zip(runs[phase], peer[phase]) if a.ok and b.ok]
            peer_rows.append(f"| {size} | {variant} | {phase} | {ratio(own, theirs)} | {spread(pairs)} |")
    if peer_rows:
        lines += ["", "## Against the peer (this collection / k3s-io/k3s-ansible)", ""]
        lines += ["| hosts | playbook | phase | ratio of medians | per-run ratios |", "| --- | --- | --- | --- | --- |"]
        lines += peer_rows
    for (size, variant), runs in data.items():
        lines += ["", f"## {size} hosts, {variant}: seconds per role (task wall times summed, median)", ""]
        roles = sorted({role for phase in PHASES for run in runs[phase] for role in run.roles()})
        lines += ["| role | fresh | no-op |", "| --- | --- | --- |"]
        for role in roles:
            cells = [spread([run.roles().get(role, 0.0) for run in runs[phase] if run.ok]) for phase in PHASES]
            lines.append(f"| {role} | {cells[0]} | {cells[1]} |")
        for phase in PHASES:
            ok = [run for run in runs[phase] if run.ok]
            if not ok:
                continue
            by_task: Dict[str, List[float]] = {}
            for run in ok:
                seen: Dict[str, int] = {}
                for name, seconds in run.tasks:
                    # A task listed twice (run twice) is kept twice: "name (2)".
                    seen[name] = seen.get(name, 0) + 1
                    key = name if seen[name] == 1 else f"{name} ({seen[name]})"
                    by_task.setdefault(key, []).append(seconds)
            slowest = sorted(by_task.items(), key=lambda item: -statistics.median(item[1]))[:top]
            lines += ["", f"{top} slowest tasks, {phase} (median seconds):", ""]
            lines += ["| task | seconds |", "| --- | --- |"]
            lines += [f"| {name} | {statistics.median(values):.2f} |" for name, values in slowest]
    failed = [
        f"{size}h/{variant}/{phase}: {sum(not r.ok for r in runs[phase])} failed"
        for (size, variant), runs in data.items()
        for phase in PHASES
        if any(not r.ok for r in runs[phase])
    ]
    if failed:
        lines += ["", "Failed runs (left out of the medians): " + "; ".join(failed)]
    return "\n".join(lines) + "\n"


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args(argv)
    sys.stdout.write(report(args.out, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
