# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: run_groups
short_description: The hosts to put in the groups the playbooks' plays run on
version_added: 0.3.0
author: homelab.k3s contributors
description:
  - The playbooks' plays run on the groups C(server), C(agent) and C(k3s_cluster). For an inventory whose
    groups the group settings name otherwise, one entry per host missing from those groups, with the groups
    it is missing from; servers first, then agents, then the cluster group's other hosts, each in the
    inventory's order. Empty with the default names.
  - Every server and agent belongs in C(k3s_cluster). A host in both the server and the agent group is a server.
positional: server_group, agent_group, cluster_group
options:
  _input:
    description: The inventory's groups (C(groups)).
    type: dict
    required: true
  server_group:
    description: The group of the servers (C(k3s_server_group)).
    type: str
    required: true
  agent_group:
    description: The group of the agents (C(k3s_agent_group)); it may be missing.
    type: str
    required: true
  cluster_group:
    description: The group of every node (C(k3s_cluster_group)); it may be missing.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Put the cluster's hosts in the groups the plays target
  ansible.builtin.add_host:
    name: "{{ item.name }}"
    groups: "{{ item.groups }}"
  loop: "{{ groups | homelab.k3s.run_groups('master', 'node', 'k3s_cluster') }}"
"""

RETURN = r"""
_value:
  description: One C({name, groups}) per host to add.
  type: list
  elements: dict
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.run_groups import run_groups


class FilterModule:
    def filters(self):
        return {"run_groups": run_groups}
