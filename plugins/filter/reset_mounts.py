# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: reset_mounts
short_description: The mounts a reset must undo, deepest first (reset.yml)
version_added: 0.3.0
author: homelab.k3s contributors
description:
  - Reads C(/proc/self/mounts) (its octal escapes, C(\040) for a space, undone) and returns the mount points
    under the given prefixes, deepest first, and the directories to delete that are mount points themselves
    (a disk for the data directory), which a reset empties instead of removing.
positional: prefixes, paths
options:
  _input:
    description: The content of C(/proc/self/mounts), as text or its lines.
    type: raw
    required: true
  prefixes:
    description: The directories whose mounts go, each ending in C(/).
    type: list
    elements: str
    required: true
  paths:
    description: The directories the reset deletes.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: The mounts under the kubelet's directory
  ansible.builtin.debug:
    msg: >-
      {{ (__mounts.content | b64decode
          | homelab.k3s.reset_mounts(['/var/lib/kubelet/'], ['/var/lib/kubelet'])).below }}
"""

RETURN = r"""
_value:
  description: The mounts.
  type: dict
  contains:
    below:
      description: The mount points under O(prefixes), each before the mounts it is under.
      type: list
      elements: str
    roots:
      description: The O(paths) that are mount points, in their order.
      type: list
      elements: str
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.reset_inventory import reset_mounts


class FilterModule:
    def filters(self):
        return {"reset_mounts": reset_mounts}
