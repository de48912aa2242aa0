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

from ansible_collections.homelab.k3s.plugins.plugin_utils.settings_checks import cidr_problems


class FilterModule:
    def filters(self):
        return {"cidr_problems": cidr_problems}
