# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: server_problems
short_description: The problems with the server role's settings on one host, as messages
version_added: 0.2.0
author: homelab.k3s contributors
description:
  - Checks what the server role is about to do on a host before anything changes, and returns one message per
    problem, naming the setting and what to do. It checks the host's membership of the server group; the server count
    the datastore allows (sqlite one, embedded etcd an odd number unless allowed, external a datastore URL and
    O(homelab.k3s.k3s#role:main:k3s_api_endpoint) with more than one server); C(server_config) flags, none of them
    one the roles set themselves (the server flags of the collection's one table of those, such as C(token),
    C(cluster-init) and C(data-dir)); the
    C(server_disable) components; C(server_kubeconfig_mode); the cluster and service networks against each
    other and the nodes' networks; with kube-vip, its address and interface.
options:
  _input:
    description:
      - The settings, with the keys C(host) (the host checked), C(group) (the server group's name),
        C(server_hosts), C(node_hosts) (servers and agents), C(datastore) (C(sqlite), C(etcd) or C(external)),
        C(etcd_allow_even), C(datastore_endpoint), C(api_endpoint), C(config) (C(server_config)),
        C(k3s_config), C(flags) (the flags the role sets), C(disable), C(kubeconfig_mode), C(kube_vip),
        C(kube_vip_address) and C(kube_vip_interface) (the host's interface for kube-vip).
    type: dict
    required: true
  hostvars:
    description: The host variables (C(hostvars)); the facts of the hosts and each server's own
      C(server_kube_vip_interface) are read from it.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Check the server settings
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join(' ') }}"
  vars:
    __problems: "{{ __settings | homelab.k3s.server_problems(hostvars) }}"
"""

RETURN = r"""
_value:
  description: One message per problem; empty when there is none.
  type: list
  elements: str
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.server_validation import server_problems


class FilterModule:
    def filters(self):
        return {"server_problems": server_problems}
