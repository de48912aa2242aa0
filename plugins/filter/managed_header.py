# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: managed_header
short_description: The first line of a file homelab.k3s writes on a node
version_added: 0.3.0
author: homelab.k3s contributors
description:
  - C(# Managed by homelab.k3s), then a colon, a space and the note when one is given; without a newline.
  - The k3s role starts its units, their environment files, C(config.yaml) and C(registries.yaml) with it; the
    reset of the maintenance role removes only the k3s units that hold it (P(homelab.k3s.foreign_files#filter)),
    and the P(homelab.k3s.k3s_facts#module) module reports files that hold it as written by homelab.k3s. The text
    has one home, so the writer and the readers cannot drift apart.
options:
  _input:
    description: What the file is, after the header; empty for the header alone.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: A file that says who wrote it
  ansible.builtin.copy:
    dest: /etc/example.conf
    content: "{{ 'local changes are overwritten.' | homelab.k3s.managed_header }}\n"
    mode: "0644"
"""

RETURN = r"""
_value:
  description: "The header line, e.g. C(# Managed by homelab.k3s: local changes are overwritten.)."
  type: str
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.managed_files import managed_header


class FilterModule:
    def filters(self):
        return {"managed_header": managed_header}
