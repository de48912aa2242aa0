# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: file_matches
short_description: Whether a path read on a node is already what a step would write
version_added: 0.3.0
author: homelab.k3s contributors
description:
  - Takes the C(paths) of M(homelab.k3s.node_probe) or the C(files) of M(homelab.k3s.k3s_facts) and answers whether
    one path already has the wanted content, mode, owner or link target. The roles skip a writing step when it
    does, so a converged node costs one read instead of one round trip per file.
  - Errs towards false (run the step) when the read is missing or incomplete.
options:
  _input:
    description: The read, a dictionary of path to state; null counts as not read.
    type: dict
    required: true
  path:
    description: The path to look at.
    type: str
    required: true
  content:
    description: The text the file should hold (compared through its sha256).
    type: str
  sha256:
    description: The sha256 the file should have.
    type: str
  mode:
    description: The mode it should have, as an octal string.
    type: str
  uid:
    description: The owner's uid.
    type: int
  gid:
    description: The group's gid.
    type: int
  link:
    description: The target a link should have, written exactly so.
    type: str
  link_to:
    description: The absolute path a link should lead to (a relative target is resolved).
    type: str
  kind:
    description: V(file), V(directory) or V(link).
    type: str
  absent:
    description: Whether nothing should be at the path.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Write config.yaml unless it is already right
  ansible.builtin.copy:
    content: "{{ __content }}"
    dest: /etc/rancher/k3s/config.yaml
    mode: "0600"
  when: not (__read.files | homelab.k3s.file_matches('/etc/rancher/k3s/config.yaml', content=__content, mode='0600'))
"""

RETURN = r"""
_value:
  description: True when the path is as asked.
  type: bool
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.wanted_state import file_matches


class FilterModule:
    def filters(self):
        return {"file_matches": file_matches}
