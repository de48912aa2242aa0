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
    so a single call answers which nodes are Ready, which labels and taints they carry and which version they run.
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
    version:
      description: The kubelet version the node reports (C(v1.32.1+k3s1)), empty when it reports none.
      type: str
      version_added: 0.3.0
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.kubectl_json import node_summaries


def node_status(data):
    """Return name, readiness, labels, taints, roles and version of every node in a `kubectl get nodes -o json`."""
    return node_summaries(data, "node_status")


class FilterModule:
    def filters(self):
        return {"node_status": node_status}
