# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether what a node holds is already what a role would write. The roles read the node once (node_probe,
k3s_facts) and skip a writing step whose file is already right: a skipped step costs no round trip. Every
answer errs towards False (run the step), so a read that is missing or partial never hides a change."""

from __future__ import annotations

import hashlib
import posixpath
from typing import Any, Mapping, Optional

from ansible.errors import AnsibleFilterError


def _text_sha256(content: Any) -> str:
    return hashlib.sha256(str(content).encode("utf-8")).hexdigest()


def _leads_to(path: str, link: Optional[str], target: str) -> bool:
    if link is None:
        return False
    return posixpath.normpath(posixpath.join(posixpath.dirname(path), link)) == posixpath.normpath(target)


def file_matches(
    files: Any,
    path: str,
    *,
    content: Optional[str] = None,
    sha256: Optional[str] = None,
    mode: Optional[str] = None,
    uid: Optional[int] = None,
    gid: Optional[int] = None,
    link: Optional[str] = None,
    link_to: Optional[str] = None,
    kind: Optional[str] = None,
    absent: bool = False,
) -> bool:
    """True when the read of ``path`` in ``files`` ({path: state}) shows it as asked.

    ``content`` or ``sha256``: a regular file with that content; ``link``: a link whose target is written
    exactly so; ``link_to``: a link that leads to that absolute path (relative targets resolved); ``kind``:
    file, directory or link; ``mode``, ``uid``, ``gid``: its own; ``absent``: nothing at the path.
    """
    if files is None:
        return False
    if not isinstance(files, Mapping):
        raise AnsibleFilterError(f"file_matches expects the files of a node read (a dict), got {type(files).__name__}")
    state = files.get(path)
    if not isinstance(state, Mapping) or "kind" not in state:
        return False
    if absent:
        return state["kind"] == "absent"
    wanted_kind = kind or ("file" if content is not None or sha256 is not None else None)
    if link is not None or link_to is not None:
        wanted_kind = "link"
    checks = [
        wanted_kind is None or state.get("kind") == wanted_kind,
        state.get("kind") != "absent",
        mode is None or state.get("mode") == str(mode).zfill(4),
        uid is None or state.get("uid") == int(uid),
        gid is None or state.get("gid") == int(gid),
        content is None or state.get("sha256") == _text_sha256(content),
        sha256 is None or str(state.get("sha256") or "").lower() == str(sha256).lower(),
        link is None or state.get("link") == link,
        link_to is None or _leads_to(path, state.get("link"), link_to),
    ]
    return all(checks)


def managed_block_present(text: Any, block: str, marker: str = "# {mark} ANSIBLE MANAGED BLOCK") -> bool:
    """True when ``text`` holds ``block`` between the BEGIN and END lines of ``marker`` exactly once, as
    ansible.builtin.blockinfile writes it: the step would change nothing."""
    if not isinstance(text, str):
        return False
    begin, end = marker.replace("{mark}", "BEGIN"), marker.replace("{mark}", "END")
    lines = text.splitlines()
    if lines.count(begin) != 1 or lines.count(end) != 1:
        return False
    start, stop = lines.index(begin), lines.index(end)
    # blockinfile ends every line it writes with a newline, the END line too.
    return start < stop and lines[start + 1 : stop] == block.splitlines() and f"{end}\n" in text
