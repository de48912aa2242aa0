# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: run_group_problems
short_description: Why the group settings name no servers of the inventory
version_added: 0.3.0
author: homelab.k3s contributors
description:
  - A message naming C(k3s_server_group), the inventory's groups and what to set, when the server group is
    missing or empty. The agent and cluster groups may be missing.
  - A message naming the setting when a group named like a play group (C(server), C(agent), C(k3s_cluster)) holds
    hosts the settings leave out, since the plays would run on them.
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
    description: The group of the agents (C(k3s_agent_group)).
    type: str
    required: true
  cluster_group:
    description: The group of every node (C(k3s_cluster_group)).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Stop when the group settings do not match the inventory
  ansible.builtin.fail:
    msg: "{{ __problems | join(' ') }}"
  when: __problems | length > 0
  vars:
    __problems: "{{ groups | homelab.k3s.run_group_problems(k3s_server_group, k3s_agent_group, k3s_cluster_group) }}"
"""

RETURN = r"""
_value:
  description: One message per problem; empty when there is none.
  type: list
  elements: str
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.run_groups import run_group_problems


class FilterModule:
    def filters(self):
        return {"run_group_problems": run_group_problems}
