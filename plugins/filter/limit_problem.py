# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: limit_problem
short_description: Whether a --limit run would add nodes the other nodes never hear of
version_added: 0.2.0
author: homelab.k3s contributors
description:
  - The base role writes, on every node, an C(/etc/hosts) entry and firewall rules for every other node of the
    cluster. A node added with C(--limit) gets its own, but the nodes left out of the run keep lists without
    it, so their firewalls drop its kubelet and VXLAN traffic until the next full run.
  - Returns an empty string when nothing is lost (no C(--limit), no new node, or the base role manages neither
    C(/etc/hosts) nor a firewall), otherwise a message that names the new nodes, the nodes left out and the
    command that adds the new nodes with their peers in step.
positional: play_hosts, new_hosts, peer_settings, command
options:
  _input:
    description: Every host of the cluster (the C(k3s_cluster) group).
    type: list
    elements: str
    required: true
  play_hosts:
    description: The hosts of this run (C(ansible_play_hosts_all)).
    type: list
    elements: str
    required: true
  new_hosts:
    description: The hosts of this run that do not run k3s yet.
    type: list
    elements: str
    required: true
  peer_settings:
    description: What the base role writes on each node for its peers (C(/etc/hosts), C(the firewall)); empty
      when it writes nothing.
    type: list
    elements: str
    required: true
  command:
    description: The command that runs the playbook on every node, for the message.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse to add nodes behind the peers' back
  ansible.builtin.assert:
    that: __problem | length == 0
    fail_msg: "{{ __problem }}"
  vars:
    __problem: >-
      {{ groups['k3s_cluster'] | homelab.k3s.limit_problem(ansible_play_hosts_all, ['pi4'],
         ['/etc/hosts', 'the firewall'], 'ansible-playbook homelab.k3s.site -i inventory/hosts.yml') }}
"""

RETURN = r"""
_value:
  description: Empty when the run keeps every node in step; otherwise what is wrong and the command to run.
  type: str
"""


def limit_problem(cluster_hosts, play_hosts, new_hosts, peer_settings, command: str) -> str:
    """A message when a --limit run adds nodes that the hosts left out of the run would not know of."""
    in_play = set(play_hosts or [])
    left_out = [host for host in cluster_hosts or [] if host not in in_play]
    new = [host for host in cluster_hosts or [] if host in set(new_hosts or []) and host in in_play]
    settings = [str(s) for s in peer_settings or [] if str(s)]
    if not left_out or not new or not settings:
        return ""
    return (
        f"{', '.join(new)} {'is' if len(new) == 1 else 'are'} new to the cluster (no k3s yet), but --limit leaves "
        f"out {', '.join(left_out)}: {' and '.join(settings)} on those would not list the new "
        f"{'node' if len(new) == 1 else 'nodes'}, and their firewalls would drop its kubelet and VXLAN traffic. "
        f"Add new nodes with a run on every node: {command} (the other nodes change only their entries for the "
        "new ones). Nothing was changed."
    )


class FilterModule:
    def filters(self):
        return {"limit_problem": limit_problem}
