# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: node_problems
short_description: Name the expected nodes that are missing or not Ready, and why
version_added: 0.2.0
author: homelab.k3s contributors
description:
  - Compares the node names a run expects with the output of C(kubectl get nodes -o json) and returns one line per
    node that is missing (never registered) or not Ready, with the reason and message of its Ready condition and
    its last heartbeat.
options:
  _input:
    description: The output of C(kubectl get nodes -o json), as a string or parsed.
    type: raw
    required: true
  expected:
    description: The node names that must be Ready.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Stop with the nodes that are not Ready
  ansible.builtin.fail:
    msg: "{{ __nodes.stdout | homelab.k3s.node_problems(expected=['server1', 'agent1']) | join('; ') }}"
"""

RETURN = r"""
_value:
  description: One line per missing or not Ready node; empty when every expected node is Ready.
  type: list
  elements: str
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.kubectl_json import list_items


def _ready_condition(item):
    for condition in (item.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return condition
    return {}


def node_problems(data, expected):
    nodes = {}
    for item in list_items(data, "node_problems", "the output of 'kubectl get nodes -o json'"):
        nodes[(item.get("metadata") or {}).get("name", "")] = item
    problems = []
    for name in expected:
        item = nodes.get(name)
        if item is None:
            problems.append(f"{name} is missing (no node of that name registered)")
            continue
        ready = _ready_condition(item)
        if ready.get("status") == "True":
            continue
        status = {"False": "NotReady", "Unknown": "NotReady (status Unknown)"}.get(ready.get("status"), "NotReady")
        why = ": ".join(p for p in (ready.get("reason"), ready.get("message")) if p) or "no Ready condition"
        heartbeat = ready.get("lastHeartbeatTime")
        problems.append(f"{name} is {status} ({why}" + (f", last heartbeat {heartbeat})" if heartbeat else ")"))
    return problems


class FilterModule:
    def filters(self):
        return {"node_problems": node_problems}
