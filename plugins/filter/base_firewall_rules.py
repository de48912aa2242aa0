# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: base_firewall_rules
short_description: The firewall rules a k3s node needs
version_added: 0.2.0
author: homelab.k3s contributors
description:
  - The ports of U(https://docs.k3s.io/installation/requirements), as rules for the P(homelab.k3s.firewall#module)
    module, one rule per source address. SSH from anywhere; on servers the API from C(api_sources) (anywhere
    when empty) and etcd from the servers; the kubelet and flannel VXLAN from every node; flannel WireGuard and
    the NodePort range when asked; then the C(extra_rules).
options:
  _input:
    description:
      - The settings, with the keys C(host) (the host the rules are for), C(addresses) (each cluster host's
        address), C(server_hosts) (the servers; the base role passes the hosts of
        O(homelab.k3s.base#role:main:base_server_group)), C(ssh_port), C(api_sources), C(wireguard), C(nodeports)
        and C(extra_rules) (C(base_firewall_extra_rules), each C({port, proto, from, comment})).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Apply the firewall rules
  homelab.k3s.firewall:
    backend: ufw
    rules: "{{ __settings | homelab.k3s.base_firewall_rules }}"
"""

RETURN = r"""
_value:
  description: One rule per port and source.
  type: list
  elements: dict
  contains:
    port:
      description: A port or a range C(first:last).
      type: str
    proto:
      description: C(tcp) or C(udp).
      type: str
    from:
      description: The source address or network; C(any) for everyone.
      type: str
    comment:
      description: What the rule is for, starting with C(k3s).
      type: str
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.base_host import base_firewall_rules


class FilterModule:
    def filters(self):
        return {"base_firewall_rules": base_firewall_rules}
