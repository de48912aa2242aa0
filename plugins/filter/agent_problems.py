# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: agent_problems
short_description: The problems with the agent role's settings on one host, as messages
version_added: 0.2.0
author: homelab.k3s contributors
description:
  - Checks what the agent role is about to do on a host before anything changes, and returns one message per
    problem, naming the setting and what to do. It checks that the host is not also a server; that there is a
    server to join and its URL is https; that the agent token is set or can be read from a running server (not in
    check mode, where a new cluster has none yet); and the C(agent_config) flags, none of them one the roles set
    themselves (the agent flags of the collection's one table of those, such as C(token) and C(server)).
options:
  _input:
    description:
      - The settings, with the keys C(host) (the host checked), C(group) (the server group's name),
        C(server_hosts), C(server_url) (C(agent_server_url)), C(url) (the URL the agent joins at, empty when no
        server answered), C(has_token) (whether C(agent_token) is set; never the token itself), C(plan) (the
        result of P(homelab.k3s.agent_plan#filter)), C(check_mode) and C(config) (C(agent_config)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Check the agent settings
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join(' ') }}"
  vars:
    __problems: "{{ __settings | homelab.k3s.agent_problems }}"
"""

RETURN = r"""
_value:
  description: One message per problem; empty when there is none.
  type: list
  elements: str
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.node_validation import agent_problems


class FilterModule:
    def filters(self):
        return {"agent_problems": agent_problems}
