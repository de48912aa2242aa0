# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: apps_pool_errors
short_description: Check MetalLB address pools against the cluster's networks
version_added: 0.1.0
author: homelab.k3s maintainers (@homelab-k3s)
description:
  - Returns one sentence per problem with the pools; an empty list when all is well.
  - Every range must sit inside one of the node networks and must not contain a node address, overlap a reserved
    network (pod and service CIDRs) or another pool. Pool names must be unique DNS labels.
  - Ranges are C(first-last), CIDRs or single addresses. Node entries that are host names are skipped.
requirements:
  - netaddr
options:
  _input:
    description: Pools, each a mapping with C(name) and C(addresses).
    type: list
    elements: dict
    required: true
  node_networks:
    description: CIDR, or list of CIDRs, of the node network(s).
    type: raw
    required: true
  node_addresses:
    description: Addresses of the nodes.
    type: list
    elements: str
  reserved_networks:
    description: CIDRs no pool may overlap, such as the pod and service networks.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Check the pools
  ansible.builtin.assert:
    that: __errors | length == 0
    fail_msg: "{{ __errors | join('; ') }}"
  vars:
    __errors: >-
      {{ apps_metallb_pools | homelab.k3s.apps_pool_errors('192.168.1.0/24', ['192.168.1.10'], ['10.42.0.0/16']) }}
"""

RETURN = r"""
_value:
  description: One message per problem.
  type: list
  elements: str
"""


import re
from typing import Any

from ansible.errors import AnsibleFilterError

NETADDR_ERROR = None
try:
    import netaddr
except ImportError as exc:  # pragma: no cover - netaddr is a declared requirement
    netaddr = None
    NETADDR_ERROR = exc

POOL_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _as_list(value):
    if value in (None, ""):
        return []
    return [value] if isinstance(value, str) else list(value)


def _parse_range(text):
    """An IPSet from ``a.b.c.d-e.f.g.h``, a CIDR or a single address."""
    text = str(text).strip()
    if "-" in text:
        first, last = (part.strip() for part in text.split("-", 1))
        return netaddr.IPSet(netaddr.IPRange(first, last))
    return netaddr.IPSet(netaddr.IPNetwork(text))


def pool_errors(pools, node_networks, node_addresses=None, reserved_networks=None):
    """Problems with MetalLB address pools, as a list of sentences (empty when all is well).

    Every range must sit inside one of ``node_networks`` and must not overlap a node
    address, a reserved network (pod and service CIDRs) or another pool.
    """
    if netaddr is None:
        raise AnsibleFilterError(f"the netaddr Python package is required on the controller: {NETADDR_ERROR}")
    problems = []
    networks = []
    for network in _as_list(node_networks):
        try:
            networks.append(netaddr.IPNetwork(str(network)))
        except (netaddr.AddrFormatError, ValueError, TypeError):
            problems.append(f"node network {network!r} is not a CIDR")
    if not _as_list(node_networks):
        problems.append("the node network is unknown: set apps_node_network (for example 192.168.1.0/24)")
    nodes = netaddr.IPSet()
    for address in _as_list(node_addresses):
        try:
            nodes.add(netaddr.IPAddress(str(address)))
        except (netaddr.AddrFormatError, ValueError, TypeError):
            continue  # host names are not addresses; nothing to compare
    reserved = []
    for network in _as_list(reserved_networks):
        try:
            reserved.append(netaddr.IPNetwork(str(network)))
        except (netaddr.AddrFormatError, ValueError, TypeError):
            problems.append(f"reserved network {network!r} is not a CIDR")

    if not _as_list(pools):
        problems.append("no address pool is defined: set apps_metallb_pools")
    seen_names = set()
    taken: list[Any] = []
    for pool in _as_list(pools):
        if not isinstance(pool, dict):
            problems.append(f"pool {pool!r} must be a mapping with name and addresses")
            continue
        name = str(pool.get("name", ""))
        if not POOL_NAME.match(name):
            problems.append(f"pool name {name!r} must be a DNS label")
        elif name in seen_names:
            problems.append(f"pool name {name} is used twice")
        seen_names.add(name)
        addresses = _as_list(pool.get("addresses"))
        if not addresses:
            problems.append(f"pool {name} has no addresses")
        for text in addresses:
            try:
                block = _parse_range(text)
            except (netaddr.AddrFormatError, ValueError, TypeError):
                problems.append(f"pool {name}: {text!r} is neither a range a-b, a CIDR nor an address")
                continue
            if networks and not any(block.issubset(netaddr.IPSet(network)) for network in networks):
                inside = ", ".join(str(network) for network in networks)
                problems.append(f"pool {name}: {text} is not inside the node network {inside}")
            clash = block & nodes
            if clash:
                listed = ", ".join(str(ip) for ip in list(clash)[:5])
                problems.append(f"pool {name}: {text} contains node address(es) {listed}")
            for network in reserved:
                if block & netaddr.IPSet(network):
                    problems.append(f"pool {name}: {text} overlaps the cluster network {network}")
            for other_name, other_text, other in taken:
                if block & other:
                    problems.append(f"pool {name}: {text} overlaps {other_text} of pool {other_name}")
            taken.append((name, text, block))
    return problems


class FilterModule:
    """MetalLB pool checks."""

    def filters(self):
        return {"apps_pool_errors": pool_errors}
