# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: shim_pids
short_description: The processes k3s' containerd shims and their containers run (reset.yml)
version_added: 0.3.0
author: homelab.k3s contributors
description:
  - Reads the output of C(ps -e -o pid=,ppid=,args=) and returns the process ids of the containerd shims of k3s
    (C(<data_dir>/data/<hash>/bin/containerd-shim...)) and of every process below them, however deep, in the
    order C(ps) lists them.
positional: data_dir
options:
  _input:
    description: The output of C(ps -e -o pid=,ppid=,args=), as text or its lines.
    type: raw
    required: true
  data_dir:
    description: The k3s data directory (C(/var/lib/rancher/k3s)).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Kill the shims and their containers
  ansible.builtin.command:
    argv: "{{ ['kill', '-9'] + __ps.stdout_lines | homelab.k3s.shim_pids('/var/lib/rancher/k3s') }}"
"""

RETURN = r"""
_value:
  description: The process ids, as text.
  type: list
  elements: str
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.reset_inventory import shim_pids


class FilterModule:
    def filters(self):
        return {"shim_pids": shim_pids}
