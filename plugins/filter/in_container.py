# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: in_container
short_description: Whether a host is a container
version_added: 0.3.0
author: homelab.k3s contributors
description:
  - True when the host's facts say it is a virtualization guest (C(virtualization_role) C(guest)) of a container
    type (C(virtualization_type) C(container), C(docker), C(podman), C(lxc), C(containerd), C(systemd-nspawn) or
    C(openvz)); false otherwise, also when the virtualization facts were not gathered.
  - A container has no kernel, boot or clock of its own; the base and prereqs roles skip rebooting it, disabling
    swap and starting time synchronisation there.
  - The one home of this rule; the base and prereqs roles both ask it.
options:
  _input:
    description: The host's facts (C(ansible_facts)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Reboot unless the host is a container
  ansible.builtin.reboot:
  when: not (ansible_facts | homelab.k3s.in_container)
"""

RETURN = r"""
_value:
  description: Whether the host is a container.
  type: bool
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.node_identity import in_container


class FilterModule:
    def filters(self):
        return {"in_container": in_container}
