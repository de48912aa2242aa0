# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: snapshots_without_copy
short_description: The local etcd snapshots that have no copy off the node
version_added: 0.2.0
author: homelab.k3s contributors
description:
  - Takes the paths of the snapshot files on a server and the names of the copies kept elsewhere (on the
    controller, in S3) and returns the paths whose file name has no copy.
  - A compressed snapshot (C(.zip)) and its uncompressed name count as the same snapshot.
positional: copies
options:
  _input:
    description: Paths of the snapshot files on the node.
    type: list
    elements: str
    required: true
  copies:
    description: File names (or paths) of the copies kept off the node.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Snapshots a reset would lose
  ansible.builtin.debug:
    msg: "{{ __local.stdout_lines | homelab.k3s.snapshots_without_copy(__controller.files | map(attribute='path')) }}"
"""

RETURN = r"""
_value:
  description: The paths without a copy, sorted.
  type: list
  elements: str
"""


def _name(path) -> str:
    name = str(path).rstrip("/").rsplit("/", 1)[-1]
    return name[: -len(".zip")] if name.endswith(".zip") else name


def snapshots_without_copy(paths, copies) -> list[str]:
    """The snapshot paths whose file name is not among the copies."""
    kept = {_name(copy) for copy in copies or [] if str(copy).strip()}
    return sorted(str(path) for path in paths or [] if str(path).strip() and _name(path) not in kept)


class FilterModule:
    def filters(self):
        return {"snapshots_without_copy": snapshots_without_copy}
