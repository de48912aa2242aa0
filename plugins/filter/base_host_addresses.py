# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: base_host_addresses
short_description: The address of each cluster node in /etc/hosts and the firewall rules
version_added: 0.2.0
author: homelab.k3s contributors
description:
  - For each host, its C(base_host_address), else its C(ansible_host), else its inventory name.
options:
  _input:
    description: The cluster's hosts (the C(base_hosts_group) group).
    type: list
    elements: str
    required: true
  hostvars:
    description: The host variables (C(hostvars)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: The cluster's addresses
  ansible.builtin.debug:
    msg: "{{ groups['k3s_cluster'] | homelab.k3s.base_host_addresses(hostvars) }}"
"""

RETURN = r"""
_value:
  description: The address of each host, by host name, in the order of the input.
  type: dict
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.base_host import base_host_addresses


class FilterModule:
    def filters(self):
        return {"base_host_addresses": base_host_addresses}
