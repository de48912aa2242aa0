# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: config_problems
short_description: List what is wrong with a dictionary of k3s flags
version_added: 0.1.0
author: homelab.k3s contributors
description:
  - Checks a dictionary meant for C(/etc/rancher/k3s/config.yaml) and returns one message per problem,
    an empty list when the dictionary is fine.
  - Keys must be flag names without leading dashes; values must be a string, number, boolean or a list of those.
  - Keys in O(reserved) are set by the roles themselves (secrets, cluster membership); each message names
    the variable to use instead.
options:
  _input:
    description: The dictionary to check.
    type: raw
    required: true
  source:
    description: Name of the variable the dictionary came from, used in the messages.
    type: str
    default: config
  reserved:
    description: Flags the user must not set, mapped to a hint on what to use instead.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Reject bad server settings before anything changes
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join('; ') }}"
  vars:
    __problems: >-
      {{ server_config | homelab.k3s.config_problems(source='server_config', reserved={'token': 'server_token'}) }}
"""

RETURN = r"""
_value:
  description: One message per problem; empty when the dictionary is fine.
  type: list
  elements: str
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.settings_checks import config_problems


class FilterModule:
    def filters(self):
        return {"config_problems": config_problems}
