# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: upgrade_problems
short_description: The reasons not to start an upgrade to k3s_version, as messages (upgrade.yml)
version_added: 0.3.0
author: homelab.k3s contributors
description:
  - Checks an upgrade once, before any node changes, and returns one message per problem, naming the setting
    and what to do. C(k3s_version) must be a pinned release (C(v1.32.1+k3s1)); no host may be both a server and an
    agent; the cluster must answer C(kubectl get nodes) (outside check mode) and every node be Ready; no node may
    run a newer release (a downgrade) or be more than one minor version behind, unless allowed.
  - Releases are ordered by version, a release candidate (C(-rcN)) before its release, then by the C(+k3sN) build.
options:
  _input:
    description:
      - The settings, with the keys C(version) (C(k3s_version)), C(servers), C(agents), C(server_group) (its name,
        for the message), C(kubectl_host) (the server kubectl runs on, empty when there is none), C(nodes) (the
        registered result of C(k3s kubectl get nodes -o json)), C(check_mode), C(allow_downgrade) and
        C(allow_minor_skip).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Check the upgrade before changing anything
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join(' ') }}"
  vars:
    __problems: >-
      {{ {'version': k3s_version, 'servers': groups['k3s_server'], 'agents': groups['k3s_agent'],
          'server_group': 'k3s_server', 'kubectl_host': 'server1', 'nodes': __nodes,
          'check_mode': ansible_check_mode, 'allow_downgrade': false, 'allow_minor_skip': false}
         | homelab.k3s.upgrade_problems }}
"""

RETURN = r"""
_value:
  description: One message per problem; empty when there is none.
  type: list
  elements: str
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.maintenance_checks import upgrade_problems


class FilterModule:
    def filters(self):
        return {"upgrade_problems": upgrade_problems}
