# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: node_name
short_description: The Kubernetes node name of an inventory host
version_added: 0.2.0
author: homelab.k3s contributors
description:
  - The name k3s registers a host's node under, lower-cased as Kubernetes does.
  - It is O(name) when given (the host's C(k3s_node_name) as the play sees it); else the name the k3s role settled
    on for the host in this run; else the host's C(k3s_node_name); else the host's own name (the C(nodename)
    fact); else the inventory name.
  - The one home of this rule; the k3s, server, agent and summary roles all ask it.
options:
  _input:
    description: An inventory host name, or a list of them.
    type: raw
    required: true
  hostvars:
    description: The host variables (C(hostvars)).
    type: dict
    required: true
  name:
    description:
      - The host's C(k3s_node_name) as the play sees it (role defaults and play variables are not in
        C(hostvars)). Only with one host.
    type: str
"""

EXAMPLES = r"""
- name: The node name of this host
  ansible.builtin.set_fact:
    __node_name: "{{ inventory_hostname | homelab.k3s.node_name(hostvars, name=k3s_node_name) }}"

- name: The node names of the play's hosts
  ansible.builtin.debug:
    msg: "{{ ansible_play_hosts | homelab.k3s.node_name(hostvars) }}"
"""

RETURN = r"""
_value:
  description: The node name; a list of them, in order, when the input is a list.
  type: raw
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.plugin_utils.node_identity import (
    check_hostvars,
    host_list,
    host_vars,
)
from ansible_collections.homelab.k3s.plugins.plugin_utils.node_identity import (
    node_name as _node_name,
)


def node_name(hosts, hostvars, name=None):
    check_hostvars(hostvars, "node_name")
    if isinstance(hosts, str):
        return _node_name(host_vars(hostvars, hosts), hosts, name)
    if name is not None:
        raise AnsibleFilterError("node_name: name= goes with one host, not a list of hosts")
    return [_node_name(host_vars(hostvars, h), h) for h in host_list(hosts, "node_name")]


class FilterModule:
    def filters(self):
        return {"node_name": node_name}
