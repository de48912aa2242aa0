# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: apps_metallb_resources
short_description: MetalLB IPAddressPools and L2Advertisement from a list of pools
version_added: 0.1.0
author: homelab.k3s maintainers (@homelab-k3s)
description:
  - One C(metallb.io/v1beta1) IPAddressPool per pool, and one L2Advertisement named C(l2) for the pools whose
    C(l2) is true (the default).
options:
  _input:
    description: Pools, each C(name), C(addresses) and optional C(auto_assign) and C(l2).
    type: list
    elements: dict
    required: true
  namespace:
    description: Namespace of MetalLB.
    type: str
    default: metallb-system
"""

EXAMPLES = r"""
- name: Render the pools
  ansible.builtin.debug:
    msg: "{{ [{'name': 'lan', 'addresses': ['192.168.1.240-192.168.1.250']}] | homelab.k3s.apps_metallb_resources }}"
"""

RETURN = r"""
_value:
  description: The manifests, as mappings.
  type: list
  elements: dict
"""

from typing import Any


def _as_list(value):
    if value in (None, ""):
        return []
    return [value] if isinstance(value, str) else list(value)


def metallb_resources(pools, namespace="metallb-system"):
    """An IPAddressPool per pool, and one L2Advertisement for the pools announced over layer 2."""
    documents = []
    announced = []
    for pool in _as_list(pools):
        spec: dict[str, Any] = {"addresses": [str(text) for text in _as_list(pool.get("addresses"))]}
        if "auto_assign" in pool:
            spec["autoAssign"] = bool(pool["auto_assign"])
        documents.append(
            {
                "apiVersion": "metallb.io/v1beta1",
                "kind": "IPAddressPool",
                "metadata": {"name": str(pool.get("name")), "namespace": namespace},
                "spec": spec,
            }
        )
        if pool.get("l2", True):
            announced.append(str(pool.get("name")))
    if announced:
        documents.append(
            {
                "apiVersion": "metallb.io/v1beta1",
                "kind": "L2Advertisement",
                "metadata": {"name": "l2", "namespace": namespace},
                "spec": {"ipAddressPools": announced},
            }
        )
    return documents


class FilterModule:
    """MetalLB manifests."""

    def filters(self):
        return {"apps_metallb_resources": metallb_resources}
