# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: rolling_plan
short_description: Order and check a rolling restart of the nodes (reboot, OS patch, rotation)
version_added: 0.2.0
author: homelab.k3s contributors
description:
  - Takes the hosts of a rolling operation in the order to work on them (servers first, then agents), the output
    of C(k3s kubectl get nodes -o json), the servers, the node name each host registers and whether it needs the
    operation.
  - Returns the hosts to work on, in order, the lines of the plan, and the problems that must stop the run
    before any node changes. Every node must be Ready (one node down at a time is what the cluster is sized
    for); with embedded etcd, taking one member down must leave a quorum (3 members tolerate one down,
    2 tolerate none).
positional: nodes, servers, node_names, needed, action, allow_quorum_loss
options:
  _input:
    description: The inventory hosts, in the order to work on them.
    type: list
    elements: str
    required: true
  nodes:
    description: The output of C(k3s kubectl get nodes -o json), as a JSON string or parsed.
    type: raw
    required: true
  servers:
    description: The hosts that are servers.
    type: list
    elements: str
    required: true
  node_names:
    description: The node name of each host; a host not in it is its own node name.
    type: dict
    required: true
  needed:
    description: Whether each host needs the operation; a host not in it does.
    type: dict
    required: true
  action:
    description: What happens to each node, for the plan (C(reboot), C(restart)).
    type: str
    default: restart
  allow_quorum_loss:
    description: Go ahead with two etcd members, where taking one down stops the datastore until it is back.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Plan the reboots
  ansible.builtin.set_fact:
    __plan: >-
      {{ ['server1', 'agent1'] | homelab.k3s.rolling_plan(__nodes.stdout, ['server1'], {'server1': 'server1'},
         {'server1': true, 'agent1': false}, 'reboot') }}
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    hosts:
      description: The hosts to work on, in order.
      type: list
      elements: str
    lines:
      description: One line per host, skipped hosts included.
      type: list
      elements: str
    problems:
      description: Why the run must not start; empty when it may.
      type: list
      elements: str
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.kubectl_json import is_ready, list_items, node_roles


def rolling_plan(
    hosts, nodes, servers, node_names, needed, action: str = "restart", allow_quorum_loss: bool = False
) -> dict:
    """Hosts to work on in order, the plan's lines and the problems that stop the run first."""
    items = list_items(nodes, "rolling_plan", "the output of 'kubectl get nodes -o json'")
    ready = {}
    members = []
    for item in items:
        name = (item.get("metadata") or {}).get("name", "")
        ready[name] = is_ready(item.get("status") or {})
        if "etcd" in node_roles((item.get("metadata") or {}).get("labels") or {}):
            members.append(name)
    problems = [
        f"Node {name} is not Ready: a rolling {action} takes one node down at a time and needs the others up; "
        f"bring {name} back (or remove it) first."
        for name in sorted(ready)
        if not ready[name]
    ]
    if len(members) == 2 and not allow_quorum_loss:
        problems.append(
            f"etcd has 2 members ({', '.join(sorted(members))}): while one is down the other has no quorum and the "
            "cluster stops accepting changes. Add a third server first, or set maintenance_allow_quorum_loss: true "
            "to accept that."
        )
    order, lines = [], []
    for host in hosts or []:
        node = (node_names or {}).get(host) or host
        if node not in ready:
            lines.append(f"  {host}: not a node of the cluster, skipped")
        elif not (needed or {}).get(host, True):
            lines.append(f"  {host}: nothing to do, skipped")
        else:
            order.append(host)
            lines.append(f"  {host}: drain, {action}, wait until Ready, uncordon")
    if len(members) <= 1 and any(host in order for host in servers or []):
        lines.append(f"  (one server: the API is down while it {'reboots' if action == 'reboot' else 'restarts'})")
    return {"hosts": order, "lines": lines, "problems": problems}


class FilterModule:
    def filters(self):
        return {"rolling_plan": rolling_plan}
