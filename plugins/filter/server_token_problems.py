# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: server_token_problems
short_description: The members of a server plan whose service env file holds another token than the cluster's
version_added: 0.2.0
author: homelab.k3s contributors
description:
  - The server role never rewrites the token of a member of the cluster. This filter lists, as messages naming
    the host, the members whose C(K3S_TOKEN) (hashed by M(homelab.k3s.k3s_facts)) is not the token the role would
    write, so that the run stops before any change.
options:
  _input:
    description: The plan returned by the P(homelab.k3s.server_plan#filter) filter.
    type: dict
    required: true
  facts:
    description: The k3s_facts results of the servers, by host.
    type: dict
    required: true
  token_sha256:
    description: The sha256 of the token the role writes into the env file.
    type: str
    required: true
  env_file:
    description: The environment file of the k3s service.
    type: str
    default: /etc/systemd/system/k3s.service.env
"""

EXAMPLES = r"""
- name: Stop when a member runs with another token
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join(' ') }}"
  vars:
    __problems: "{{ __plan | homelab.k3s.server_token_problems(facts=__facts, token_sha256=__token | hash('sha256')) }}"
"""

RETURN = r"""
_value:
  description: One message per member whose token differs; empty when none does.
  type: list
  elements: str
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.cluster_plan import server_token_problems as _problems


def server_token_problems(plan, facts, token_sha256, env_file="/etc/systemd/system/k3s.service.env"):
    return _problems(plan, facts, token_sha256, env_file)


class FilterModule:
    def filters(self):
        return {"server_token_problems": server_token_problems}
