# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: node_status
short_description: Summarise the output of C(kubectl get nodes -o json)
version_added: 0.1.0
author: homelab.k3s contributors
description:
  - Turns the JSON list of nodes printed by C(k3s kubectl get nodes -o json) into one small dictionary per node,
    so a single call answers which nodes are Ready and which labels and taints they carry.
  - Taints are written the way k3s' C(node-taint) flag takes them, C(key=value:Effect) or C(key:Effect).
options:
  _input:
    description: The command's output, as a JSON string or already parsed.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Names of the Ready nodes
  ansible.builtin.debug:
    msg: "{{ __nodes.stdout | homelab.k3s.node_status | selectattr('ready') | map(attribute='name') }}"

- name: Expected nodes that are not Ready yet
  ansible.builtin.debug:
    msg: >-
      {{ ['server1', 'agent1'] | difference(__nodes.stdout | homelab.k3s.node_status
         | selectattr('ready') | map(attribute='name')) }}
"""

RETURN = r"""
_value:
  description: One entry per node, sorted by name.
  type: list
  elements: dict
  contains:
    name:
      description: The node name.
      type: str
    ready:
      description: Whether the node's C(Ready) condition is C(True).
      type: bool
    labels:
      description: The node's labels.
      type: dict
    taints:
      description: The node's taints as C(key=value:Effect) strings.
      type: list
      elements: str
    roles:
      description: The roles from the C(node-role.kubernetes.io/*) labels.
      type: list
      elements: str
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.kubectl_json import is_ready, list_items, node_roles


def _taint(taint):
    key = taint.get("key", "")
    value = taint.get("value")
    effect = taint.get("effect", "")
    return f"{key}={value}:{effect}" if value else f"{key}:{effect}"


def node_status(data):
    """Return name, readiness, labels, taints and roles of every node in a `kubectl get nodes -o json` output."""
    nodes = []
    for item in list_items(data, "node_status", "the output of 'kubectl get nodes -o json'"):
        metadata = item.get("metadata") or {}
        labels = dict(metadata.get("labels") or {})
        nodes.append(
            {
                "name": metadata.get("name", ""),
                "ready": is_ready(item.get("status") or {}),
                "labels": labels,
                "taints": [_taint(t) for t in (item.get("spec") or {}).get("taints") or []],
                "roles": sorted(node_roles(labels)),
            }
        )
    return sorted(nodes, key=lambda node: node["name"])


class FilterModule:
    def filters(self):
        return {"node_status": node_status}
