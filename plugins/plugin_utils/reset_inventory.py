# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What reset.yml finds k3s left running and mounted on a node (shim_pids and reset_mounts filters)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from ansible.errors import AnsibleFilterError

_OCTAL = re.compile(r"\\([0-7]{3})")


def _lines(value: object, filter_name: str, what: str) -> list[str]:
    if isinstance(value, (str, bytes)):
        text = value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value
        return text.splitlines()
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return [str(line) for line in value]
    raise AnsibleFilterError(f"{filter_name}: {what} must be text or a list of lines, got {type(value).__name__}")


def _strings(value: object, filter_name: str, what: str) -> list[str]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise AnsibleFilterError(f"{filter_name}: {what} must be a list of paths, got {type(value).__name__}")
    return [str(item) for item in value]


def shim_pids(ps_lines: object, data_dir: str) -> list[str]:
    """The process ids of k3s' containerd shims (``<data_dir>/data/<hash>/bin/containerd-shim...``) and of every
    process below them, in the order of ``ps -e -o pid=,ppid=,args=``."""
    if not isinstance(data_dir, str) or not data_dir.startswith("/"):
        raise AnsibleFilterError(f"shim_pids: the data directory must be an absolute path, got {data_dir!r}")
    shim = re.compile("^" + re.escape(data_dir.rstrip("/")) + "/data/[^/]+/bin/containerd-shim")
    processes = [
        fields
        for fields in (line.split(None, 2) for line in _lines(ps_lines, "shim_pids", "the output of ps"))
        if len(fields) == 3
    ]
    found = {pid for pid, ppid, command in processes if shim.match(command)}
    # Descendants, one generation per pass, as deep as they go.
    while True:
        children = {pid for pid, ppid, command in processes if ppid in found} - found
        if not children:
            break
        found |= children
    return list(dict.fromkeys(fields[0] for fields in processes if fields[0] in found))


def mount_points(mounts: object) -> list[str]:
    """The mount points of ``/proc/self/mounts``, with the kernel's octal escapes (``\\040`` for a space) undone."""
    points = []
    for line in _lines(mounts, "reset_mounts", "the mount table"):
        fields = line.split(" ")
        if len(fields) > 1:
            points.append(_OCTAL.sub(lambda found: chr(int(found.group(1), 8)), fields[1]))
    return points


def reset_mounts(mounts: object, prefixes: object, paths: object) -> dict[str, list[str]]:
    """below: the mount points under ``prefixes``, deepest first (each before the mounts it is under); roots:
    the ``paths`` that are mount points themselves (a disk for the data directory), to be emptied, not removed."""
    points = mount_points(mounts)
    under = tuple(_strings(prefixes, "reset_mounts", "the prefixes"))
    below = sorted(
        (point for point in points if any(point.startswith(p) and len(point) > len(p) for p in under)), reverse=True
    )
    return {"below": below, "roots": [path for path in _strings(paths, "reset_mounts", "the paths") if path in points]}
