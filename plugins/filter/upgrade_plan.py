# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: upgrade_plan
short_description: The hosts whose node does not run k3s_version yet (upgrade.yml)
version_added: 0.3.0
author: homelab.k3s contributors
description:
  - Lists the hosts of the play, servers first, whose node does not report C(k3s_version) in the output of
    C(k3s kubectl get nodes -o json); a host the cluster does not list (not a node yet) is listed too. Each
    host's node name follows the k3s role's rule (C(k3s_node_name), else the host's nodename, else its inventory
    name, in lower case).
positional: hostvars
options:
  _input:
    description:
      - The settings, with the keys C(version) (C(k3s_version)), C(servers), C(agents), C(play_hosts)
        (C(ansible_play_hosts_all)) and C(nodes) (the registered result of C(k3s kubectl get nodes -o json);
        a failed one lists no node).
    type: dict
    required: true
  hostvars:
    description: The host variables (C(hostvars)); each host's C(k3s_node_name) and gathered nodename are read
      from it.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Settle the nodes to upgrade
  ansible.builtin.set_fact:
    __plan: >-
      {{ {'version': k3s_version, 'servers': groups['k3s_server'], 'agents': groups['k3s_agent'],
          'play_hosts': ansible_play_hosts_all, 'nodes': __nodes} | homelab.k3s.upgrade_plan(hostvars) }}
"""

RETURN = r"""
_value:
  description: One entry per host to upgrade, in order.
  type: list
  elements: dict
  contains:
    host:
      description: The inventory host.
      type: str
    node:
      description: Its node name.
      type: str
    from:
      description: The version its node runs, empty when it is not a node yet.
      type: str
    line:
      description: The plan's line for the host.
      type: str
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.maintenance_checks import upgrade_plan


class FilterModule:
    def filters(self):
        return {"upgrade_plan": upgrade_plan}
