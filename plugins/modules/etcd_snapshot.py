#!/usr/bin/python
# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: etcd_snapshot
short_description: Save, delete and prune the etcd snapshots of a k3s server
version_added: 0.1.0
description:
  - Wraps C(k3s etcd-snapshot) on a k3s server that runs embedded etcd.
  - V(present) saves an on-demand snapshot, V(absent) deletes one and V(pruned) keeps the newest
    snapshots of a name prefix.
  - To list the snapshots, use M(homelab.k3s.etcd_snapshot_info).
  - Reads the list output of current k3s releases (a C(List) of C(ETCDSnapshotFile)
    objects) and of older ones (an object keyed by snapshot).
  - On a server that runs SQLite or an external datastore it fails with
    C(this server does not use embedded etcd).
author:
  - homelab.k3s maintainers (@homelab-k3s)
attributes:
  check_mode:
    description:
      - V(present) reports a change without saving; V(absent) reports whether the snapshot exists;
        V(pruned) works out from the list which snapshots k3s would remove and returns them.
    support: full
  diff_mode:
    description: Not supported; RV(removed) and RV(snapshots) tell what changed.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  state:
    description:
      - V(present) saves a new snapshot named C(<name>-<node>-<unix time>) and always reports a change.
      - V(absent) deletes the snapshot whose full name is O(name), locally and, with O(s3), from S3.
        It reports a change only when the snapshot existed.
      - V(pruned) keeps the newest O(retention) snapshots whose name starts with O(name) and deletes
        the others. It reports a change only when a snapshot was removed.
    type: str
    choices: [present, absent, pruned]
    default: present
  name:
    description:
      - With O(state=present), the base name of the snapshot; defaults to V(on-demand).
      - With O(state=absent), the full name of the snapshot, as RV(snapshots[].name) shows it. Required.
      - With O(state=pruned), the name prefix to prune; defaults to V(on-demand). Scheduled snapshots
        start with V(etcd-snapshot).
    type: str
  retention:
    description:
      - With O(state=pruned), how many snapshots of the prefix to keep, per storage (local and S3).
    type: int
    default: 5
  s3:
    description:
      - Include S3 (C(--etcd-s3)). The other C(s3_*) options are used only with it.
      - When omitted, the S3 settings of the server configuration still apply to current k3s releases.
    type: bool
    default: false
extends_documentation_fragment:
  - homelab.k3s.etcd_snapshot_cli
notes:
  - Runs on a k3s server; needs root (C(become)).
  - Current k3s releases send the command to the k3s server on the node, which must be running.
  - In check mode, a node without the k3s binary is taken to have no snapshots, so that a check
    run against a fresh host does not fail.
seealso:
  - module: homelab.k3s.etcd_snapshot_info
"""

EXAMPLES = r"""
- name: Take a snapshot before the upgrade
  homelab.k3s.etcd_snapshot:
    name: pre-upgrade
  become: true
  register: __server_snapshot

- name: Keep the three newest pre-upgrade snapshots
  homelab.k3s.etcd_snapshot:
    state: pruned
    name: pre-upgrade
    retention: 3
  become: true

- name: Save a snapshot to MinIO as well
  homelab.k3s.etcd_snapshot:
    name: nightly
    s3: true
    s3_endpoint: minio.home.arpa:9000
    s3_bucket: k3s-snapshots
    s3_folder: homelab
    s3_access_key: "{{ server_s3_access_key }}"
    s3_secret_key: "{{ server_s3_secret_key }}"
  become: true

- name: Delete a snapshot
  homelab.k3s.etcd_snapshot:
    state: absent
    name: on-demand-server-1-1717000000
  become: true
"""

RETURN = r"""
snapshots:
  description:
    - With O(state=present), the snapshots the save created (one per storage); empty in check mode.
    - With O(state=pruned) and O(state=absent), the snapshots left afterwards (in check mode, those
      that would be left), oldest first.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Full name of the snapshot; C(.zip) when compressed.
      type: str
      sample: on-demand-server-1-1717000000
    kind:
      description: Where the snapshot is stored, V(local) or V(s3).
      type: str
      sample: local
    node:
      description: The node that took the snapshot (V(s3) for S3 snapshots of older releases).
      type: str
      sample: server-1
    location:
      description: C(file://) or C(s3://) URI of the snapshot; null when k3s does not report it.
      type: str
      sample: file:///var/lib/rancher/k3s/server/db/snapshots/on-demand-server-1-1717000000
    size:
      description: Size in bytes.
      type: int
      sample: 5976096
    created:
      description: Creation time, ISO 8601 in UTC.
      type: str
      sample: "2024-05-29T16:26:40Z"
    status:
      description: V(successful) or V(failed); null when k3s does not report it.
      type: str
      sample: successful
    message:
      description: The error k3s recorded for a failed snapshot; null otherwise.
      type: str
      sample: null
    compressed:
      description: Whether the snapshot is a zip file.
      type: bool
      sample: false
    s3:
      description: For S3 snapshots, where they are stored; null for local ones. Never holds credentials.
      type: dict
      sample:
        endpoint: minio.home.arpa:9000
        bucket: k3s-snapshots
        folder: homelab
        region: us-east-1
        insecure: false
        skip_ssl_verify: false
        endpoint_ca: null
snapshot:
  description: With O(state=present), the snapshot saved (the local one when S3 holds a copy too).
  returned: when O(state=present) and not in check mode
  type: dict
  sample:
    name: pre-upgrade-server-1-1717000000
    kind: local
    node: server-1
    location: file:///var/lib/rancher/k3s/server/db/snapshots/pre-upgrade-server-1-1717000000
    size: 5976096
    created: "2024-05-29T16:26:40Z"
    status: successful
    message: null
    compressed: false
    s3: null
removed:
  description: The snapshots deleted (in check mode, those that would be deleted), with the fields of RV(snapshots).
  returned: when O(state=absent) or O(state=pruned)
  type: list
  elements: dict
  sample: []
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.k3s.plugins.module_utils.etcd_snapshot import (
    added,
    plan_prune,
    record_key,
    removed,
)
from ansible_collections.homelab.k3s.plugins.module_utils.k3s_cli import (
    EtcdSnapshotCli,
    K3sCliError,
    snapshot_cli_argument_spec,
)

DEFAULT_NAME = "on-demand"


def state_present(module, cli, name):
    before = cli.list()
    if module.check_mode:
        return dict(changed=True, snapshots=[])
    _out, err = cli.save(name)
    created = [record for record in added(before, cli.list()) if record["name"].startswith(name)]
    if not created:
        module.fail_json(
            msg=f"k3s etcd-snapshot save succeeded but no new snapshot named {name}-* appeared in the list",
            stderr=err,
        )
    local = [record for record in created if record["kind"] == "local"]
    return dict(changed=True, snapshots=created, snapshot=(local or created)[0])


def state_absent(module, cli, name):
    before = cli.list()
    doomed = [record for record in before if record["name"] == name]
    if not doomed or module.check_mode:
        left = [record for record in before if record not in doomed]
        return dict(changed=bool(doomed), removed=doomed, snapshots=left)
    cli.delete(name)
    after = cli.list()
    still_there = [record for record in after if record["name"] == name]
    if still_there:
        module.fail_json(
            msg=f"k3s etcd-snapshot delete {name} succeeded but the snapshot is still listed"
            f" ({', '.join(record['kind'] for record in still_there)})"
        )
    return dict(changed=True, removed=removed(before, after), snapshots=after)


def state_pruned(module, cli, name, retention):
    before = cli.list()
    if module.check_mode:
        doomed = plan_prune(before, name, retention)
        keys = {record_key(record) for record in doomed}
        left = [record for record in before if record_key(record) not in keys]
        return dict(changed=bool(doomed), removed=doomed, snapshots=left)
    cli.prune(name, retention)
    after = cli.list()
    gone = removed(before, after)
    return dict(changed=bool(gone), removed=gone, snapshots=after)


def without_binary(module, state):
    """Check mode on a host without k3s: nothing to list, nothing to remove."""
    module.warn(f"{module.params['k3s_bin']} does not exist; assuming this node has no etcd snapshots yet")
    result = dict(changed=state == "present", snapshots=[])
    if state in ("absent", "pruned"):
        result["removed"] = []
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", choices=["present", "absent", "pruned"], default="present"),
            name=dict(type="str"),
            retention=dict(type="int", default=5),
            **snapshot_cli_argument_spec(),
        ),
        required_if=[("state", "absent", ("name",))],
        supports_check_mode=True,
    )
    params = module.params
    state = params["state"]
    name = params["name"]
    if state in ("present", "pruned"):
        name = name or DEFAULT_NAME
    if name is not None and (not name.strip() or "/" in name):
        module.fail_json(msg=f"name must be a snapshot name without '/', got {name!r}")
    if state == "pruned" and params["retention"] < 1:
        module.fail_json(msg=f"retention must be 1 or more, got {params['retention']}")

    if not os.path.exists(params["k3s_bin"]):
        if module.check_mode:
            module.exit_json(**without_binary(module, state))
        module.fail_json(msg=f"{params['k3s_bin']} does not exist: install k3s first, or set k3s_bin")

    cli = EtcdSnapshotCli(module.run_command, params["k3s_bin"], params["data_dir"], params)
    try:
        if state == "present":
            result = state_present(module, cli, name)
        elif state == "absent":
            result = state_absent(module, cli, name)
        else:
            result = state_pruned(module, cli, name, params["retention"])
    except K3sCliError as error:
        module.fail_json(msg=str(error), rc=error.rc, stderr=error.stderr)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
