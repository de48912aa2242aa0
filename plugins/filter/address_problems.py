# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: address_problems
short_description: Check that an IP address lies inside some networks and outside others
version_added: 0.1.0
author: homelab.k3s contributors
description:
  - Meant for a floating address such as the API virtual IP, returns one message per problem, an empty list
    when the address is fine.
  - The address must be a single IP address.
  - It must lie inside every network of O(inside) (for example the node network of each server, so ARP can
    announce it) and must not be that network's own network or broadcast address.
  - It must not lie inside any network of O(outside) (for example the cluster and service CIDRs); a plain address
    in O(outside) (for example a node's own address) must differ from it.
requirements:
  - netaddr
options:
  _input:
    description: The address to check.
    type: str
    required: true
  inside:
    description: Mapping of a descriptive name to a network (CIDR or address/netmask) that must contain the address.
    type: dict
    default: {}
  outside:
    description: >-
      Mapping of a descriptive name to addresses or networks (comma separated or a list) that must not contain
      the address.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: The API virtual IP is on the servers' network and no node holds it
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join('; ') }}"
  vars:
    __problems: >-
      {{ '192.168.1.50' | homelab.k3s.address_problems(
           inside={'the node network of server1': '192.168.1.0/24'},
           outside={'cluster-cidr': '10.42.0.0/16', 'the address of server1': '192.168.1.10'}) }}
"""

RETURN = r"""
_value:
  description: One message per problem; empty when the address is fine.
  type: list
  elements: str
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

try:
    import netaddr
except ImportError:  # pragma: no cover - reported when the filter is used
    netaddr = None


def _split(value):
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _network(text):
    return netaddr.IPNetwork(text).cidr if "/" in text else netaddr.IPNetwork(str(netaddr.IPAddress(text)))


def _check_inside(address, name, text):
    try:
        network = netaddr.IPNetwork(text)
    except (ValueError, netaddr.AddrFormatError):
        return [f"{name}: '{text}' is not a network in CIDR notation"]
    cidr = network.cidr
    if address.version != cidr.version or address not in cidr:
        return [f"{address} is outside {name} {cidr}"]
    if cidr.version == 4 and cidr.prefixlen < 31 and address in (cidr.network, cidr.broadcast):
        return [f"{address} is the network or broadcast address of {name} {cidr}"]
    return []


def _check_outside(address, name, value):
    problems = []
    for text in _split(value):
        try:
            network = _network(text)
        except (ValueError, netaddr.AddrFormatError):
            problems.append(f"{name}: '{text}' is not an address or network")
            continue
        if network.version != address.version or address not in network:
            continue
        if "/" in text:
            problems.append(f"{address} is inside {name} {network.cidr}")
        else:
            problems.append(f"{address} is already {name}")
    return problems


def address_problems(address, inside=None, outside=None):
    """Return messages when the address is invalid, outside an `inside` network or inside an `outside` one."""
    if netaddr is None:
        raise AnsibleFilterError("address_problems needs the Python library netaddr on the controller")
    for label, mapping in (("inside", inside), ("outside", outside)):
        if mapping is not None and not isinstance(mapping, Mapping):
            raise AnsibleFilterError(f"address_problems: {label} must be a mapping of name to network")
    try:
        if "/" in str(address):
            raise ValueError("prefix given")
        ip = netaddr.IPAddress(str(address).strip())
    except (ValueError, netaddr.AddrFormatError):
        return [f"'{address}' is not an IP address (write it without a prefix length, e.g. 192.168.1.50)"]
    problems = []
    for name, text in (inside or {}).items():
        if text not in (None, ""):
            problems.extend(_check_inside(ip, name, str(text)))
    for name, value in (outside or {}).items():
        if value not in (None, "", []):
            problems.extend(_check_outside(ip, name, value))
    return problems


class FilterModule:
    def filters(self):
        return {"address_problems": address_problems}
