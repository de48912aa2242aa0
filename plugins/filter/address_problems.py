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

from ansible_collections.homelab.k3s.plugins.plugin_utils.settings_checks import address_problems


class FilterModule:
    def filters(self):
        return {"address_problems": address_problems}
