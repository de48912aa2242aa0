# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: node_addresses
short_description: The address other nodes reach each host at
version_added: 0.2.0
author: homelab.k3s contributors
description:
  - For each host, the address other nodes reach it at, the way k3s advertises it; the first address of
    its C(k3s_node_ip), else the address of its default route (gathered facts), else its C(ansible_host),
    else its inventory name.
options:
  _input:
    description: The inventory host names.
    type: list
    elements: str
    required: true
  hostvars:
    description: The host variables (C(hostvars)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: The servers' addresses
  ansible.builtin.debug:
    msg: "{{ groups['server'] | homelab.k3s.node_addresses(hostvars) }}"
"""

RETURN = r"""
_value:
  description: The address of each host, by host name, in the order of the input.
  type: dict
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.node_identity import (
    check_hostvars,
    host_list,
    host_vars,
    node_address,
)


def node_addresses(hosts, hostvars):
    check_hostvars(hostvars, "node_addresses")
    if isinstance(hosts, str):
        hosts = [hosts]
    return {h: node_address(host_vars(hostvars, h), h) for h in host_list(hosts, "node_addresses")}


class FilterModule:
    def filters(self):
        return {"node_addresses": node_addresses}
