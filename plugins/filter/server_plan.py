# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: server_plan
short_description: Decide from what the servers hold who bootstraps the cluster and who joins through whom
version_added: 0.2.0
author: homelab.k3s contributors
description:
  - Takes the M(homelab.k3s.k3s_facts) results of the servers that answered and decides, for every one of them,
    whether it bootstraps a new cluster, is a member that keeps its C(server) and C(cluster-init) flags and its
    token, or joins the existing cluster through a running member.
  - A cluster is bootstrapped only when no server holds one, and never while a server of the group does not answer.
  - Lists problems, each naming the hosts and what they hold, when the servers hold different clusters, when the
    servers of one cluster have different tokens, when O(token_sha256) is not the cluster's, or when a SQLite
    server would have to become an etcd member.
options:
  _input:
    description: The k3s_facts results of the servers that answered, by inventory host name.
    type: dict
    required: true
  hosts:
    description: The server group, in inventory order; hosts missing from the input did not answer.
    type: list
    elements: str
    required: true
  datastore:
    description: The datastore the servers use.
    type: str
    choices: [etcd, sqlite, external]
    required: true
  addresses:
    description: The address other nodes reach each server at, by host.
    type: dict
    default: {}
  api_port:
    description: The port of the k3s API and supervisor.
    type: int
    default: 6443
  token_sha256:
    description: The sha256 of the secret part of C(server_token); empty when the cluster makes its own token.
    type: str
    default: ""
  token:
    description:
      - The C(server_token) setting, full or bare; only the sha256 of its secret part is used, as O(token_sha256).
    type: str
    default: ""
  env_file:
    description: The environment file of the k3s service, where the members' C(K3S_TOKEN) is read.
    type: str
    default: /etc/systemd/system/k3s.service.env
"""

EXAMPLES = r"""
- name: Decide who bootstraps and who joins
  ansible.builtin.set_fact:
    __plan: >-
      {{ dict(ansible_play_hosts | zip(ansible_play_hosts | map('extract', hostvars, '__facts')))
         | homelab.k3s.server_plan(hosts=groups['server'], datastore='etcd',
                                   addresses={'server1': '10.0.0.11', 'server2': '10.0.0.12'}) }}
  run_once: true
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    hosts:
      description: By reachable host, C(action) (V(bootstrap), V(member), V(join)), C(flags) (the C(server) and
        C(cluster-init) values it gets, null for none) and C(token) (V(cluster) or V(none)).
      type: dict
    bootstrap:
      description: The host that bootstraps a new cluster; empty when a server holds one.
      type: str
    members:
      description: The servers that hold the cluster.
      type: list
      elements: str
    running:
      description: The members whose k3s is active.
      type: list
      elements: str
    unreachable:
      description: The servers that did not answer.
      type: list
      elements: str
    via:
      description: The server new servers join through and kubectl runs on.
      type: str
    join_url:
      description: The URL new servers join at.
      type: str
    token_host:
      description: The server the cluster token is read from.
      type: str
    problems:
      description: Why the run must stop before any change; empty when it may go on.
      type: list
      elements: str
    notes:
      description: What the plan does, in words.
      type: list
      elements: str
    held:
      description: What each reachable server holds, in words.
      type: dict
"""

import hashlib
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.module_utils.k3s_token import TokenFormatError, parse_token
from ansible_collections.homelab.k3s.plugins.plugin_utils.cluster_plan import server_plan as _server_plan


def server_plan(facts, hosts, datastore, addresses=None, api_port=6443, token_sha256="", token="", env_file=None):
    if token:
        try:
            token_sha256 = hashlib.sha256(parse_token(token).secret.encode("utf-8")).hexdigest()
        except TokenFormatError as error:
            raise AnsibleFilterError(f"server_plan: server_token is not a valid k3s token: {error}") from None
    if not isinstance(facts, Mapping):
        raise AnsibleFilterError("server_plan: the input must be the k3s_facts results by host")
    if datastore not in ("etcd", "sqlite", "external"):
        raise AnsibleFilterError(f"server_plan: datastore must be etcd, sqlite or external, not '{datastore}'")
    kwargs = {"env_file": env_file} if env_file else {}
    return _server_plan(facts, list(hosts), datastore, dict(addresses or {}), int(api_port), token_sha256, **kwargs)


class FilterModule:
    def filters(self):
        return {"server_plan": server_plan}
