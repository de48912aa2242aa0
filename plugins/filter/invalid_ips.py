# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: invalid_ips
short_description: Find the values that are not IP addresses or not IP networks
version_added: 0.1.0
author: homelab.k3s contributors
description:
  - Returns the items of a list, or the keys of a mapping, whose value is not an IP address (O(kind=address)) or not
    an IP network (O(kind=network)); an empty list when every value is fine.
  - An address is an IPv4 address in dotted decimal notation or an IPv6 address, without a prefix length.
  - A network is an address (a single host) or a network in CIDR notation (C(10.42.0.0/16)) or address/netmask
    notation (C(10.42.0.0/255.255.0.0)) with no host bits set (C(10.42.0.1/16) is not a network).
requirements:
  - netaddr
options:
  _input:
    description: The values to check, as a list or as a mapping of a name (such as a host) to its value.
    type: raw
    required: true
  kind:
    description: What every value must be.
    type: str
    choices: [address, network]
    default: address
"""

EXAMPLES = r"""
- name: Every node has an IP address and the trusted sources are networks
  ansible.builtin.assert:
    that:
      - __hosts_without_address | length == 0
      - __not_networks | length == 0
    fail_msg: "No IP address: {{ __hosts_without_address }}; not networks: {{ __not_networks }}"
  vars:
    __hosts_without_address: "{{ {'node1': '192.168.1.10', 'node2': 'node2.lan'} | homelab.k3s.invalid_ips }}"
    __not_networks: "{{ ['10.42.0.0/16', '192.168.1.7'] | homelab.k3s.invalid_ips(kind='network') }}"
"""

RETURN = r"""
_value:
  description: The invalid list items, or the keys of the mapping whose value is invalid, in their order.
  type: list
  elements: raw
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

try:
    from netaddr import INET_PTON, AddrFormatError, IPNetwork, valid_ipv4, valid_ipv6
except ImportError:  # reported when the filter is used
    HAS_NETADDR = False
else:
    HAS_NETADDR = True

KINDS = ("address", "network")


def is_address(value: object) -> bool:
    """An IPv4 (dotted decimal, nothing else) or IPv6 address, without a prefix length."""
    if not isinstance(value, str) or value != value.strip() or "%" in value:
        return False
    return valid_ipv4(value, INET_PTON) or valid_ipv6(value, INET_PTON)


def is_network(value: object) -> bool:
    """An address, or address/prefix or address/netmask without host bits."""
    if not isinstance(value, str):
        return False
    address, slash, prefix = value.partition("/")
    if not is_address(address):
        return False
    if not slash:
        return True
    if not prefix or prefix != prefix.strip():
        return False
    try:
        network = IPNetwork(value)
    except (AddrFormatError, ValueError, TypeError):
        return False
    return network.ip == network.network


def invalid_ips(values: object, kind: str = "address") -> list:
    """The list items, or the mapping's keys, whose value is not an IP address (or network)."""
    if not HAS_NETADDR:
        raise AnsibleFilterError(
            "invalid_ips needs the Python library netaddr on the controller: pip install netaddr "
            "(the collection's requirements.txt lists every library it needs)"
        )
    if kind not in KINDS:
        raise AnsibleFilterError(f"invalid_ips: kind must be one of {', '.join(KINDS)}, got {kind!r}")
    check = is_address if kind == "address" else is_network
    if isinstance(values, Mapping):
        return [key for key, value in values.items() if not check(value)]
    if isinstance(values, (list, tuple)):
        return [value for value in values if not check(value)]
    raise AnsibleFilterError(f"invalid_ips expects a list or a mapping, got {type(values).__name__}")


class FilterModule:
    def filters(self):
        return {"invalid_ips": invalid_ips}
