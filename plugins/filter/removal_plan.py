# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: removal_plan
short_description: Check and plan the removal of one node from the cluster (remove_node.yml)
version_added: 0.3.0
author: homelab.k3s contributors
description:
  - Settles what removing a host means before anything changes - its node name (the k3s role's rule,
    C(k3s_node_name), else the host's nodename, else its inventory name, in lower case), whether the cluster
    lists it, the etcd members left without it, the problems that refuse the removal, and the plan's lines.
  - The removal is refused without the confirmation (outside check mode), for the last server, without a server
    to run kubectl on or an answer from it, and when the etcd members left would have no quorum of Ready
    members or (unless allowed) an even count.
positional: hostvars
options:
  _input:
    description:
      - The settings, with the keys C(target) (the inventory host to remove), C(inventory_hosts) (every host of the
        inventory), C(play_hosts) (C(ansible_play_hosts_all)), C(servers), C(kubectl_host) (the server kubectl runs
        on, empty when there is none), C(nodes) (the registered result of C(k3s kubectl get nodes -o json)),
        C(confirm), C(reset), C(allow_even), C(drain) and C(check_mode).
    type: dict
    required: true
  hostvars:
    description: The host variables (C(hostvars)); the target's C(k3s_node_name) and gathered nodename are read
      from it.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Settle what the removal means for the cluster
  ansible.builtin.set_fact:
    __removal: >-
      {{ {'target': 'agent2', 'inventory_hosts': groups['all'], 'play_hosts': ansible_play_hosts_all,
          'servers': groups['k3s_server'], 'kubectl_host': 'server1', 'nodes': __nodes, 'confirm': true,
          'reset': false, 'allow_even': false, 'drain': true, 'check_mode': ansible_check_mode}
         | homelab.k3s.removal_plan(hostvars) }}
"""

RETURN = r"""
_value:
  description: The removal.
  type: dict
  contains:
    node:
      description: The node name of the target.
      type: str
    listed:
      description: Whether the cluster lists the node.
      type: bool
    members_after:
      description: The etcd members left once the node is gone.
      type: list
      elements: str
    problems:
      description: Why the removal must not start; empty when it may.
      type: list
      elements: str
    plan:
      description: The steps of the removal, one line each.
      type: list
      elements: str
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.maintenance_checks import removal_plan


class FilterModule:
    def filters(self):
        return {"removal_plan": removal_plan}
