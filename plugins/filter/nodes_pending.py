# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: nodes_pending
short_description: The expected nodes that are not Ready yet (or not on a version yet)
version_added: 0.3.0
author: homelab.k3s contributors
description:
  - Compares the output of C(k3s kubectl get nodes -o json) with the node names a wait expects and returns those
    the cluster does not list as Ready (readiness as P(homelab.k3s.node_status#filter) reads it), or, with
    O(version), as Ready and running that version.
  - An empty output (kubectl did not answer) leaves every name pending.
positional: names, version
options:
  _input:
    description: The command's output, as a JSON string or already parsed; empty when there is none.
    type: raw
    required: true
  names:
    description: The node names to wait for.
    type: list
    elements: str
    required: true
  version:
    description: The kubelet version the nodes must report (C(v1.32.1+k3s1)); empty for any.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Wait for the nodes
  ansible.builtin.command:
    argv: [k3s, kubectl, get, nodes, --output, json]
  register: __nodes
  changed_when: false
  retries: 60
  delay: 5
  until: __nodes.rc == 0 and __nodes.stdout | homelab.k3s.nodes_pending(['server1', 'agent1']) | length == 0
"""

RETURN = r"""
_value:
  description: The names not Ready yet, in the order of O(names).
  type: list
  elements: str
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.maintenance_checks import nodes_pending


class FilterModule:
    def filters(self):
        return {"nodes_pending": nodes_pending}
