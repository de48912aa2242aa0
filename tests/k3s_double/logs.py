# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Log lines in the text format k3s writes to the journal: time="..." level=info msg="..."."""

import datetime
import sys
import threading

_LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "fatal": 50}
_lock = threading.Lock()
_state = {"threshold": _LEVELS["info"]}


class Fatal(Exception):
    """Raised to end the command the way logrus.Fatal does: the message is logged, the exit code is 1."""


def set_debug(enabled):
    _state["threshold"] = _LEVELS["debug"] if enabled else _LEVELS["info"]


def _quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def log(level, message):
    if _LEVELS[level] < _state["threshold"]:
        return
    now = datetime.datetime.now().astimezone().replace(microsecond=0).isoformat()
    now = now.replace("+00:00", "Z")
    with _lock:
        sys.stderr.write(f"time={_quote(now)} level={level} msg={_quote(message)}\n")
        sys.stderr.flush()


def debug(message):
    log("debug", message)


def info(message):
    log("info", message)


def warning(message):
    log("warning", message)


def error(message):
    log("error", message)
