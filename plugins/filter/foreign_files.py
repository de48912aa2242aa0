# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: foreign_files
short_description: The files of a looped slurp that homelab.k3s did not write
version_added: 0.3.0
author: homelab.k3s contributors
description:
  - The paths of the files read by a looped C(ansible.builtin.slurp) whose content does not hold the header the
    collection writes (P(homelab.k3s.managed_header#filter)); the maintenance role's reset refuses to remove such
    k3s units.
  - The path of a file is its loop item, else the C(source) of the slurp.
options:
  _input:
    description: The C(results) of the registered, looped slurp.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Read the k3s units
  ansible.builtin.slurp:
    src: "{{ item }}"
  loop: [/etc/systemd/system/k3s.service]
  register: __units

- name: Refuse to remove units the collection did not write
  ansible.builtin.assert:
    that: __units.results | homelab.k3s.foreign_files | length == 0
"""

RETURN = r"""
_value:
  description: The paths of the files without the header, in the order read.
  type: list
  elements: str
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.managed_files import foreign_files


class FilterModule:
    def filters(self):
        return {"foreign_files": foreign_files}
