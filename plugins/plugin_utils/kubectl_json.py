# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading `kubectl get ... -o json` output in filters: the list's items and what nodes say of themselves."""

from __future__ import annotations

import json
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

ROLE_PREFIX = "node-role.kubernetes.io/"


def list_items(data, filter_name: str, what: str) -> list:
    """The items of a kubectl JSON list given as text or parsed; errors name the filter and what was expected."""
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise AnsibleFilterError(f"{filter_name}: {what} is not JSON: {exc}") from exc
    if not isinstance(data, Mapping) or not isinstance(data.get("items"), list):
        raise AnsibleFilterError(f"{filter_name}: {what} must be a kubectl JSON list (with 'items')")
    return data["items"]


def is_ready(status: Mapping) -> bool:
    """Whether a node's status carries the condition Ready=True."""
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])


def node_roles(labels: Mapping) -> set[str]:
    """The roles a node's node-role.kubernetes.io/<role> labels give it."""
    return {key[len(ROLE_PREFIX) :] for key in labels if key.startswith(ROLE_PREFIX)}


def _taint(taint: Mapping) -> str:
    key = taint.get("key", "")
    value = taint.get("value")
    effect = taint.get("effect", "")
    return f"{key}={value}:{effect}" if value else f"{key}:{effect}"


def node_summaries(data, filter_name: str) -> list[dict]:
    """Name, readiness, labels, taints, roles and kubelet version of every node of `kubectl get nodes -o json`,
    sorted by name (the node_status filter; the other filters that need readiness read it here)."""
    nodes = []
    for item in list_items(data, filter_name, "the output of 'kubectl get nodes -o json'"):
        metadata = item.get("metadata") or {}
        status = item.get("status") or {}
        labels = dict(metadata.get("labels") or {})
        nodes.append(
            {
                "name": metadata.get("name", ""),
                "ready": is_ready(status),
                "labels": labels,
                "taints": [_taint(t) for t in (item.get("spec") or {}).get("taints") or []],
                "roles": sorted(node_roles(labels)),
                "version": str((status.get("nodeInfo") or {}).get("kubeletVersion") or ""),
            }
        )
    return sorted(nodes, key=lambda node: node["name"])
