# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: summary_failures
short_description: The hosts that failed during the run, and the lines the summary prints about them
version_added: 0.2.0
author: homelab.k3s contributors
description:
  - A host failed when it carries C(summary_failure) (a dictionary of C(task) and C(message) that
    C(playbooks/site.yml) records when a role fails on it). A host of the play that is neither still in it nor
    failed so left the run earlier (unreachable, or failed outside a recorded role).
  - Messages are put on one line and cut at 240 characters.
options:
  _input:
    description: Every host of the play (C(ansible_play_hosts_all)).
    type: list
    elements: str
    required: true
  play_hosts:
    description: The hosts still in the play (C(ansible_play_hosts)).
    type: list
    elements: str
    required: true
  hostvars:
    description: The host variables (C(hostvars)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Say which hosts failed
  ansible.builtin.debug:
    msg: "{{ (ansible_play_hosts_all | homelab.k3s.summary_failures(ansible_play_hosts, hostvars)).lines }}"
"""

RETURN = r"""
_value:
  description: The failed hosts and the lines to print.
  type: dict
  contains:
    failed:
      description: The hosts with a recorded failure.
      type: list
      elements: str
    lines:
      description: C(FAILED <n> of <m> hosts) and one line per failed or departed host; empty when none.
      type: list
      elements: str
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.run_summary import summary_failures


class FilterModule:
    def filters(self):
        return {"summary_failures": summary_failures}
