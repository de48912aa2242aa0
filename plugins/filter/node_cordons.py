# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: node_cordons
short_description: Tell the cordons homelab.k3s made from those made by hand
version_added: 0.2.0
author: homelab.k3s contributors
description:
  - Reads the output of C(k3s kubectl get nodes -o json) and returns, per node, whether it is cordoned
    (C(spec.unschedulable)) and whether the cordon carries the annotation the maintenance role sets when it
    cordons a node (C(homelab.k3s/cordoned)).
  - A cordon with the annotation was made by an upgrade, a reboot or a rotation that did not finish; a re-run
    uncordons it. A cordon without it was made by someone else and is left alone.
positional: annotation
options:
  _input:
    description: The command's output, as a JSON string or already parsed.
    type: raw
    required: true
  annotation:
    description: The annotation key the maintenance role writes on the nodes it cordons.
    type: str
    default: homelab.k3s/cordoned
"""

EXAMPLES = r"""
- name: Nodes a failed run left cordoned
  ansible.builtin.debug:
    msg: "{{ __nodes.stdout | homelab.k3s.node_cordons | selectattr('ours') | map(attribute='name') }}"
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
    unschedulable:
      description: Whether the node is cordoned.
      type: bool
    ours:
      description: Whether it is cordoned and the cordon carries the annotation (made by the maintenance role).
      type: bool
    marked:
      description: Whether the annotation is on the node (also when it is no longer cordoned).
      type: bool
    by:
      description: The operation that cordoned it (the annotation's value), empty when not marked.
      type: str
    ready:
      description: Whether the node's C(Ready) condition is C(True).
      type: bool
    version:
      description: The kubelet version the node reports.
      type: str
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.kubectl_json import is_ready, list_items

MARK = "homelab.k3s/cordoned"


def node_cordons(data, annotation: str = MARK) -> list[dict]:
    """Per node: cordoned or not, and whether the maintenance role's annotation says it made the cordon."""
    result = []
    for item in list_items(data, "node_cordons", "the output of 'kubectl get nodes -o json'"):
        metadata = item.get("metadata") or {}
        annotations = metadata.get("annotations") or {}
        unschedulable = bool((item.get("spec") or {}).get("unschedulable"))
        status = item.get("status") or {}
        result.append(
            {
                "name": metadata.get("name", ""),
                "unschedulable": unschedulable,
                "ours": unschedulable and annotation in annotations,
                "marked": annotation in annotations,
                "by": str(annotations.get(annotation, "")),
                "ready": is_ready(status),
                "version": str((status.get("nodeInfo") or {}).get("kubeletVersion", "")),
            }
        )
    return sorted(result, key=lambda node: node["name"])


class FilterModule:
    def filters(self):
        return {"node_cordons": node_cordons}
