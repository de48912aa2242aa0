# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: restore_problems
short_description: The reasons not to restore an etcd snapshot, as messages (restore.yml)
version_added: 0.3.0
author: homelab.k3s contributors
description:
  - Checks a restore once, before anything changes, and returns one message per problem, naming the setting and
    what to do. The snapshot must be named (a path only with the source C(node)) and the restore confirmed
    (outside check mode); the source is C(node), C(controller) or C(s3); every server must be in the play; the
    first server must run embedded etcd, have no reset flag left, hold the snapshot (source C(node)) or the
    controller hold it (source C(controller)), and a token must be known.
options:
  _input:
    description:
      - The settings, with the keys C(snapshot), C(source), C(confirm), C(check_mode), C(servers), C(play_hosts)
        (C(ansible_play_hosts_all)), C(first_server), C(server_group) (its name, for the message), C(data_dir),
        C(stats) (the 4 registered stat results of the first server's C(server/db/etcd), C(server/db/reset-flag),
        C(server/token) and the snapshot's path there), C(known) (the registered result of
        M(homelab.k3s.etcd_snapshot_info)), C(node_path) (the snapshot's path on the first server),
        C(controller_dir), C(controller_stat) (the registered stat of the snapshot on the controller), C(s3),
        C(token) (C(maintenance_restore_token)) and C(server_token).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Check the restore request
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join(' ') }}"
  vars:
    __problems: "{{ __settings | homelab.k3s.restore_problems }}"
"""

RETURN = r"""
_value:
  description: One message per problem; empty when there is none.
  type: list
  elements: str
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.maintenance_checks import restore_problems


class FilterModule:
    def filters(self):
        return {"restore_problems": restore_problems}
