# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: agent_plan
short_description: How an agent joins - the URL it registers at and the live server its token comes from
version_added: 0.2.0
author: homelab.k3s contributors
description:
  - Takes the M(homelab.k3s.k3s_facts) results of the servers (results of unreachable servers are marked
    C(unreachable)) and picks the URL an agent registers at and the running server the agent token is read from
    and kubectl runs on. No server is special; the first one that runs, in inventory order, is taken.
  - The URL is O(server_url) when set, else the API endpoint, else the URL the agent already registered at when it
    is one of the servers' (a joined agent knows every server), else the first running server's.
options:
  _input:
    description: The k3s_facts results of the servers, by host.
    type: dict
    required: true
  servers:
    description: The server group in inventory order.
    type: list
    elements: str
    required: true
  addresses:
    description: The address each server is reached at, by host.
    type: dict
    default: {}
  api_port:
    description: The API port.
    type: int
    default: 6443
  api_endpoint:
    description: A fixed API address (C(k3s_api_endpoint)); empty when none.
    type: str
    default: ""
  server_url:
    description: The URL set by the user (C(agent_server_url)); empty when none.
    type: str
    default: ""
  current_url:
    description: The C(server) URL in the agent's configuration now; empty on a new agent.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Pick the server to join
  ansible.builtin.set_fact:
    __join: "{{ __facts_by_server | homelab.k3s.agent_plan(servers=groups['server'], addresses=__addresses) }}"
"""

RETURN = r"""
_value:
  description: C(url), C(token_host), C(via) (where kubectl runs), C(live) (running servers), C(unreachable).
  type: dict
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.cluster_plan import agent_plan as _agent_plan


def agent_plan(facts, servers, addresses=None, api_port=6443, api_endpoint="", server_url="", current_url=""):
    return _agent_plan(
        dict(facts or {}), list(servers), dict(addresses or {}), int(api_port), api_endpoint, server_url, current_url
    )


class FilterModule:
    def filters(self):
        return {"agent_plan": agent_plan}
