# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: config_merge
short_description: Merge k3s configuration dictionaries, later ones winning
version_added: 0.1.0
author: homelab.k3s contributors
description:
  - Merges flat dictionaries of k3s flags (the content of C(/etc/rancher/k3s/config.yaml)) from left to right.
  - A scalar in a later dictionary replaces the earlier value.
  - A list in a later dictionary is appended to an earlier list, without repeating items, so repeated flags
    such as C(tls-san), C(node-label) or C(disable) collect values from every layer.
  - A key set to V(null) in a later dictionary removes the key, so a user can drop a flag the role sets.
positional: _overrides
options:
  _input:
    description: The base dictionary.
    type: dict
    required: true
  _overrides:
    description: Dictionaries merged into the base in order; V(null) entries are skipped.
    type: list
    elements: dict
"""

EXAMPLES = r"""
- name: Role defaults, then the user's settings, then per-host values
  ansible.builtin.debug:
    msg: >-
      {{ {'disable': ['traefik'], 'cluster-cidr': '10.42.0.0/16'}
         | homelab.k3s.config_merge({'disable': ['servicelb']}) }}
    # => {'disable': ['traefik', 'servicelb'], 'cluster-cidr': '10.42.0.0/16'}

- name: Drop a flag the role would set
  ansible.builtin.debug:
    msg: "{{ {'flannel-backend': 'vxlan'} | homelab.k3s.config_merge({'flannel-backend': none}) }}"
    # => {}
"""

RETURN = r"""
_value:
  description: The merged dictionary, a new object (the inputs are not changed).
  type: dict
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.settings_checks import config_merge


class FilterModule:
    def filters(self):
        return {"config_merge": config_merge}
