#!/usr/bin/python
# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: etcd_snapshot_info
short_description: List the etcd snapshots of a k3s server
version_added: 0.1.0
description:
  - Runs C(k3s etcd-snapshot ls --output json) on a k3s server that runs embedded etcd and returns
    the snapshots as structured data, oldest first.
  - Understands the list output of current k3s releases (a C(List) of C(ETCDSnapshotFile)
    objects) and of older ones (an object keyed by snapshot).
  - On a server that runs SQLite or an external datastore it fails with
    C(this server does not use embedded etcd).
  - To save, delete or prune snapshots, use M(homelab.k3s.etcd_snapshot).
author:
  - homelab.k3s maintainers (@homelab-k3s)
attributes:
  check_mode:
    description:
      - Behaves the same as without check mode; it changes nothing.
      - On a host without the k3s binary (a fresh host in a C(--check) run) it returns no snapshots and warns.
    support: full
  diff_mode:
    description: Not supported; the module changes nothing.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  name:
    description:
      - Return only the snapshots whose name starts with it, such as V(on-demand) or V(etcd-snapshot).
    type: str
  kind:
    description:
      - Return only the snapshots stored there, V(local) or V(s3). All when omitted.
    type: str
    choices: [local, s3]
  s3:
    description:
      - Include the snapshots in S3 (C(--etcd-s3)). The other C(s3_*) options are used only with it.
      - When omitted, the S3 settings of the server configuration still apply to current k3s releases.
    type: bool
    default: false
extends_documentation_fragment:
  - homelab.k3s.etcd_snapshot_cli
notes:
  - Runs on a k3s server; needs root (C(become)).
  - Current k3s releases send the command to the k3s server on the node, which must be running.
  - The list shows the snapshots this server can see (its own directory and, with S3, the bucket);
    on an etcd cluster every server keeps its own local snapshots.
seealso:
  - module: homelab.k3s.etcd_snapshot
"""

EXAMPLES = r"""
- name: List the snapshots of the first server
  homelab.k3s.etcd_snapshot_info:
  become: true
  register: __server_snapshots

- name: Show the newest scheduled snapshot
  ansible.builtin.debug:
    msg: "{{ (__server_snapshots.snapshots | selectattr('name', 'match', 'etcd-snapshot-') | last).name }}"
  when: __server_snapshots.snapshots | selectattr('name', 'match', 'etcd-snapshot-') | length > 0

- name: List the snapshots in MinIO
  homelab.k3s.etcd_snapshot_info:
    kind: s3
    s3: true
    s3_endpoint: minio.home.arpa:9000
    s3_bucket: k3s-snapshots
    s3_folder: homelab
    s3_access_key: "{{ server_s3_access_key }}"
    s3_secret_key: "{{ server_s3_secret_key }}"
  become: true
  register: __server_s3_snapshots
"""

RETURN = r"""
snapshots:
  description: The snapshots, oldest first.
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
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.k3s.plugins.module_utils.k3s_cli import (
    EtcdSnapshotCli,
    K3sCliError,
    snapshot_cli_argument_spec,
)


def select(records, name, kind):
    return [
        record
        for record in records
        if (not name or record["name"].startswith(name)) and (not kind or record["kind"] == kind)
    ]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str"),
            kind=dict(type="str", choices=["local", "s3"]),
            **snapshot_cli_argument_spec(),
        ),
        supports_check_mode=True,
    )
    params = module.params

    if not os.path.exists(params["k3s_bin"]):
        if module.check_mode:
            module.warn(f"{params['k3s_bin']} does not exist; assuming this node has no etcd snapshots yet")
            module.exit_json(changed=False, snapshots=[])
        module.fail_json(msg=f"{params['k3s_bin']} does not exist: install k3s first, or set k3s_bin")

    cli = EtcdSnapshotCli(module.run_command, params["k3s_bin"], params["data_dir"], params)
    try:
        records = cli.list()
    except K3sCliError as error:
        module.fail_json(msg=str(error), rc=error.rc, stderr=error.stderr)
    module.exit_json(changed=False, snapshots=select(records, params["name"], params["kind"]))


if __name__ == "__main__":
    main()
