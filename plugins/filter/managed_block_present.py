# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: managed_block_present
short_description: Whether a text already holds a block as ansible.builtin.blockinfile writes it
version_added: 0.3.0
author: homelab.k3s contributors
description:
  - True when the text holds the block between the BEGIN and END lines of the marker, each marker once, so
    M(ansible.builtin.blockinfile) would change nothing. False for anything else, including a text not read.
options:
  _input:
    description: The file's text (for example from the C(files) of M(homelab.k3s.node_probe)); null counts as not read.
    type: str
    required: true
  block:
    description: The block, as given to blockinfile.
    type: str
    required: true
  marker:
    description: The marker, with C({mark}) where BEGIN and END go.
    type: str
    default: "# {mark} ANSIBLE MANAGED BLOCK"
"""

EXAMPLES = r"""
- name: List the nodes in /etc/hosts unless they are there already
  ansible.builtin.blockinfile:
    path: /etc/hosts
    marker: "# {mark} cluster nodes"
    block: "{{ __block }}"
  when: not (__probe.files['/etc/hosts'] | homelab.k3s.managed_block_present(__block, '# {mark} cluster nodes'))
"""

RETURN = r"""
_value:
  description: True when blockinfile would change nothing.
  type: bool
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.wanted_state import managed_block_present


class FilterModule:
    def filters(self):
        return {"managed_block_present": managed_block_present}
