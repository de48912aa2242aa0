# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: takeover_serial
short_description: The batch size of the takeover play
version_added: 0.3.0
author: homelab.k3s contributors
description:
  - C(1), one node at a time, when the adopt check planned the takeover of any of the hosts; otherwise C(0), one
    batch in which every host skips the takeover (instead of one batch per host doing nothing).
positional: hostvars
options:
  _input:
    description: The hosts of the takeover play.
    type: list
    elements: str
    required: true
  hostvars:
    description: The host variables (C(hostvars)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Take over nodes set up another way
  hosts: server:agent
  serial: "{{ (groups['server'] + groups['agent']) | homelab.k3s.takeover_serial(hostvars) }}"
  tasks: []
"""

RETURN = r"""
_value:
  description: C(1) or C(0).
  type: int
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.run_groups import takeover_serial


class FilterModule:
    def filters(self):
        return {"takeover_serial": takeover_serial}
