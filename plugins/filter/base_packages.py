# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: base_packages
short_description: The packages to install, under the names of this OS family
version_added: 0.2.0
author: homelab.k3s contributors
description:
  - Renames each package with O(aliases) (a package whose alias is empty is not installed in this family), drops
    empty names and repeats, and keeps the order.
options:
  _input:
    description: The package names.
    type: list
    elements: str
    required: true
  aliases:
    description: This family's name of a package, by package.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: The packages of a RedHat host
  ansible.builtin.debug:
    msg: "{{ ['vim', 'htop', 'curl'] | homelab.k3s.base_packages({'vim': 'vim-enhanced', 'htop': ''}) }}"
"""

RETURN = r"""
_value:
  description: The package names to install.
  type: list
  elements: str
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.base_host import base_packages


class FilterModule:
    def filters(self):
        return {"base_packages": base_packages}
