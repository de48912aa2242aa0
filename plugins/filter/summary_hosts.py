# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: summary_hosts
short_description: The inventory's k3s nodes as the summary lists them
version_added: 0.2.0
author: homelab.k3s contributors
description:
  - The servers, then the agents that are not also servers, each with its role, the address other nodes reach it
    at (as P(homelab.k3s.node_addresses#filter)) and the node name k3s registers it under (as
    P(homelab.k3s.node_name#filter)).
options:
  _input:
    description: The server hosts.
    type: list
    elements: str
    required: true
  agents:
    description: The agent hosts.
    type: list
    elements: str
    required: true
  hostvars:
    description: The host variables (C(hostvars)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: The nodes of the inventory
  ansible.builtin.debug:
    msg: "{{ groups['server'] | homelab.k3s.summary_hosts(groups['agent'], hostvars) }}"
"""

RETURN = r"""
_value:
  description: One entry per host, servers first.
  type: list
  elements: dict
  contains:
    host:
      description: The inventory name.
      type: str
    role:
      description: C(server) or C(agent).
      type: str
    address:
      description: The address other nodes reach the host at.
      type: str
    node_name:
      description: The Kubernetes node name.
      type: str
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.run_summary import summary_hosts


class FilterModule:
    def filters(self):
        return {"summary_hosts": summary_hosts}
