# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How k3s reads --token-file and --agent-token-file (its util.ReadFile).

A file that does not exist yet is waited for, with `Waiting for <path> to be available` every 2 seconds,
for up to 4 minutes, then `Timeout while trying to read the file`; any other error (a directory, no
permission) ends the command at once with Go's error text. The content is returned without surrounding
white space.
"""

import time

from k3s_double.logs import Fatal, info

WAIT_SECONDS = 240.0
RETRY_SECONDS = 2.0


def _go_error(path, exc):
    """The text of Go's *PathError for what os.ReadFile met: open fails, except on a directory (read fails)."""
    if isinstance(exc, IsADirectoryError):
        return f"read {path}: is a directory"
    return f"open {path}: {(exc.strerror or str(exc)).lower()}"


def read_file(path, stop):
    """The content of path, waiting while it does not exist; stop (a threading.Event) ends the wait."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            with open(path, "rb") as handle:
                return handle.read().decode("utf-8", "replace").strip()
        except FileNotFoundError:
            info(f"Waiting for {path} to be available")
        except OSError as exc:
            raise Fatal(f"Error: {_go_error(path, exc)}") from exc
        if stop.wait(RETRY_SECONDS):
            raise Fatal(f"Error: stopped while waiting for {path}")
    raise Fatal("Error: Timeout while trying to read the file")
