# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: cidr_problems
short_description: Find invalid and overlapping networks
version_added: 0.1.0
author: homelab.k3s contributors
description:
  - Takes named networks (for example the cluster CIDR, the service CIDR and the node networks) and returns one
    message per network that is not valid CIDR notation and one per pair of networks that overlap.
  - A value may hold several networks, comma separated or as a list (dual-stack C(10.42.0.0/16,2001:cafe:42::/56)).
  - A value may also be a mapping of labels (for example host names) to networks; these networks belong together and
    may overlap each other (hosts on the same node network). They are named C(<name> of <labels>) in the messages,
    hosts sharing a network listed together.
  - Networks under the same name may overlap each other.
  - C(address/netmask) is accepted as well as C(address/prefix); host bits are ignored.
requirements:
  - netaddr
options:
  _input:
    description:
      - Networks to check, as a mapping of a descriptive name to one or more networks, or to a mapping of labels to
        networks.
      - Empty values are skipped.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: The pod and service networks must not overlap each other or the node network
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join('; ') }}"
  vars:
    __problems: >-
      {{ {'cluster-cidr': '10.42.0.0/16', 'service-cidr': '10.43.0.0/16',
          'the node network': {inventory_hostname: __ipv4.network ~ '/' ~ __ipv4.netmask}}
         | homelab.k3s.cidr_problems }}
    __ipv4: "{{ ansible_facts.default_ipv4 }}"
"""

RETURN = r"""
_value:
  description: One message per invalid network and per overlapping pair; empty when all is fine.
  type: list
  elements: str
"""

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

try:
    import netaddr
except ImportError:  # pragma: no cover - reported when the filter is used
    netaddr = None


def _split(value):
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _parse(text):
    if "/" not in text:
        raise ValueError("no prefix length")
    return netaddr.IPNetwork(text).cidr


def _overlap(a, b):
    return a.version == b.version and a.first <= b.last and b.first <= a.last


def cidr_problems(named):
    """Return messages for invalid networks and for overlaps between differently named networks."""
    if netaddr is None:
        raise AnsibleFilterError("cidr_problems needs the Python library netaddr on the controller")
    if not isinstance(named, Mapping):
        raise AnsibleFilterError(f"cidr_problems expects a mapping of name to network, got {type(named).__name__}")
    problems = []
    parsed = []  # (group, label, network)
    for name, value in named.items():
        members = value.items() if isinstance(value, Mapping) else [(None, value)]
        by_network: dict[Any, Any] = {}
        for label, member in members:
            if member in (None, "", []):
                continue
            for text in _split(member):
                try:
                    network = _parse(text)
                except (ValueError, netaddr.AddrFormatError):
                    where = f"{name} of {label}" if label is not None else name
                    problems.append(f"{where}: '{text}' is not a network in CIDR notation (e.g. 10.42.0.0/16)")
                    continue
                labels = by_network.setdefault(network, [])
                if label is not None and label not in labels:
                    labels.append(label)
        for network, labels in by_network.items():
            parsed.append((name, f"{name} of {', '.join(labels)}" if labels else name, network))
    for index, (group_a, label_a, net_a) in enumerate(parsed):
        for group_b, label_b, net_b in parsed[index + 1 :]:
            if group_a != group_b and _overlap(net_a, net_b):
                problems.append(f"{label_a} {net_a} overlaps {label_b} {net_b}")
    return problems


class FilterModule:
    def filters(self):
        return {"cidr_problems": cidr_problems}
