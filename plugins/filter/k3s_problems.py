# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: k3s_problems
short_description: The problems with the k3s role's shared settings on one host, as messages
version_added: 0.2.0
author: homelab.k3s contributors
description:
  - Checks the settings the k3s role shares between servers and agents before anything changes, and returns one
    message per problem, naming the setting and what to do. It checks that C(k3s_version) is a pinned release; that
    the host's architecture has a k3s build; with C(k3s_source) C(url), the mirror; with C(file), that the binary
    and its checksums are in C(k3s_file_dir) on the controller; C(k3s_sha256); the checksums of
    C(k3s_airgap_images); C(k3s_config) flags, none of them one the roles set on a server or an agent (the
    collection's one table of those); C(k3s_node_taints); and C(k3s_api_endpoint).
  - Files are looked for on the controller, where filters run.
options:
  _input:
    description:
      - The settings, with the keys C(host) (the host checked), C(version), C(architecture) (the machine fact),
        C(arch) (the k3s name of the architecture), C(asset) (the release file, C(unsupported) when none),
        C(arches) (the architectures k3s is built for), C(source), C(mirror_url), C(file_dir), C(sha256),
        C(airgap_images), C(config) (C(k3s_config)), C(node_taints) and
        C(api_endpoint).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Check the k3s settings
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join(' ') }}"
  vars:
    __problems: "{{ __settings | homelab.k3s.k3s_problems }}"
"""

RETURN = r"""
_value:
  description: One message per problem; empty when there is none.
  type: list
  elements: str
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.node_validation import k3s_problems


class FilterModule:
    def filters(self):
        return {"k3s_problems": k3s_problems}
