# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: node_names
short_description: The node names k3s registers for inventory hosts
version_added: 0.3.0
author: homelab.k3s contributors
description:
  - The k3s role's rule for each host - C(k3s_node_name), else the host's gathered nodename, else its inventory
    name - in lower case, as k3s registers it. A host without facts (unreachable, not gathered) is named by
    C(k3s_node_name) or its inventory name.
positional: hostvars
options:
  _input:
    description: The inventory hosts.
    type: list
    elements: str
    required: true
  hostvars:
    description: The host variables (C(hostvars)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: The node names of the play's hosts
  ansible.builtin.debug:
    msg: "{{ ansible_play_batch | homelab.k3s.node_names(hostvars) }}"
"""

RETURN = r"""
_value:
  description: One node name per host, in the hosts' order.
  type: list
  elements: str
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.maintenance_checks import node_names


class FilterModule:
    def filters(self):
        return {"node_names": node_names}
