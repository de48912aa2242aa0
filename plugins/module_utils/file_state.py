# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a path on the node holds, read without following a final link: the read the roles compare with what
they would write, so that a step whose file is already right costs no round trip of its own."""

from __future__ import annotations

import hashlib
import os
import stat
from typing import Any, Dict, Optional

CHUNK = 1024 * 1024


def read_text(path: str) -> Optional[str]:
    """The text of a file, None when it cannot be read."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return None


def sha256_of(path: str) -> Optional[str]:
    """The sha256 of a regular file, None when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def file_state(path: str, checksum: bool = True) -> Dict[str, Any]:
    """exists, isdir (of what the path leads to), and of the path itself: kind, mode (octal string), uid, gid,
    link (the target of a link as written), sha256 (of a regular file, with checksum)."""
    state: Dict[str, Any] = {
        "exists": os.path.exists(path),
        "isdir": os.path.isdir(path),
        "kind": "absent",
        "mode": None,
        "uid": None,
        "gid": None,
        "link": None,
        "sha256": None,
    }
    try:
        info = os.lstat(path)
    except OSError:
        return state
    if stat.S_ISLNK(info.st_mode):
        state.update(kind="link", link=os.readlink(path))
    elif stat.S_ISDIR(info.st_mode):
        state["kind"] = "directory"
    elif stat.S_ISREG(info.st_mode):
        state["kind"] = "file"
        if checksum:
            state["sha256"] = sha256_of(path)
    else:
        state["kind"] = "other"
    state.update(mode=f"{stat.S_IMODE(info.st_mode):04o}", uid=info.st_uid, gid=info.st_gid)
    return state
