# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The header line of the files the collection writes on a node, and which files lack it
(managed_header and foreign_files filters).

The text is MANAGED_HEADER of module_utils/k3s_facts, which the k3s_facts module reads on the node too: the
k3s role writes it, the maintenance role's reset looks for it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.module_utils.k3s_facts import MANAGED_HEADER


def managed_header(note: Any = "") -> str:
    """The first line of a file the collection writes, without its newline: the header, then ``: note``."""
    text = "" if note is None else str(note).strip()
    return f"{MANAGED_HEADER}: {text}" if text else MANAGED_HEADER


def _text(result: Mapping[str, Any], index: int) -> str:
    content = result.get("content")
    if not isinstance(content, str):
        raise AnsibleFilterError(f"foreign_files: result {index} has no content (register the slurp task's loop)")
    try:
        return base64.b64decode(content, validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError) as error:
        raise AnsibleFilterError(f"foreign_files: the content of result {index} is not base64: {error}") from error


def foreign_files(results: Any) -> list[str]:
    """The paths of the files read by a looped ansible.builtin.slurp (its ``results``) that do not hold the
    header: files the collection did not write. The path is the loop item, else the slurp source."""
    if not isinstance(results, Sequence) or isinstance(results, (str, bytes)):
        raise AnsibleFilterError(f"foreign_files: pass the results of a looped slurp, not {type(results).__name__}")
    foreign = []
    for index, result in enumerate(results):
        if not isinstance(result, Mapping):
            raise AnsibleFilterError(f"foreign_files: result {index} is not a slurp result: {result!r}")
        if MANAGED_HEADER not in _text(result, index):
            foreign.append(str(result.get("item", result.get("source", ""))))
    return foreign
