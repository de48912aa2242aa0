#!/usr/bin/python
# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: k3s_facts
short_description: Read what a node holds of k3s, changing nothing and returning no secret
version_added: 0.2.0
description:
  - Reports the k3s binary and its version, the C(k3s) and C(k3s-agent) systemd units (who wrote them,
    their state and restart count, their environment files), the configuration in
    C(/etc/rancher/k3s/config.yaml) and C(config.yaml.d), the datastore the node holds (embedded etcd
    member, SQLite, external endpoint), the server token and the cluster CA, and what the k3s install
    script leaves behind (its killall and uninstall scripts, the kubectl, crictl and ctr links).
  - Used before any change to decide whether a server bootstraps a cluster, joins one or must be left
    alone, and to adopt nodes installed by the k3s install script.
  - Every value that can be a secret (tokens, the datastore endpoint, S3 keys, credentials in URLs) is
    replaced by V(sha256:<hex digest>) of it. Of a token only its CA hash (public, the sha256 of the
    cluster CA) and the sha256 of its secret part are returned.
  - The module only reads; it runs C(k3s --version) and C(systemctl show).
author:
  - homelab.k3s maintainers (@homelab-k3s)
attributes:
  check_mode:
    description: Can run in check mode; it behaves the same as without it.
    support: full
  diff_mode:
    description: The module changes nothing, so there is nothing to diff.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  data_dir:
    description: The k3s data directory (C(--data-dir)).
    type: path
    default: /var/lib/rancher/k3s
  config_file:
    description: The k3s configuration file; C(<config_file>.d/*.yaml) and C(*.yml) are read after it.
    type: path
    default: /etc/rancher/k3s/config.yaml
  bin_dir:
    description: Directory of the k3s binary, its links and the install script's scripts.
    type: path
    default: /usr/local/bin
  systemd_dir:
    description: Directory of the k3s unit files (the install script's C(SYSTEMD_DIR)).
    type: path
    default: /etc/systemd/system
  paths:
    description:
      - Paths to report in RV(files) as they are, for the roles to compare with what they would write (the unit,
        environment and configuration files, the binary and its links).
    type: list
    elements: path
    default: []
    version_added: 0.3.0
notes:
  - Reading the token, the env files and the datastore needs root on a default install; use C(become).
  - A hashed value can be compared between nodes and with a known value; a short, guessable token can
    be found from its hash, as from any unsalted hash.
  - The unit is V(install-script) when it carries the C(Documentation=https://k3s.io) line the install
    script writes, V(homelab.k3s) when it carries this collection's header.
seealso:
  - module: homelab.k3s.k3s_token
  - name: The k3s install script
    description: The paths of the binary, units, env files and scripts it writes.
    link: https://github.com/k3s-io/k3s/blob/master/install.sh
"""

EXAMPLES = r"""
- name: Read what every server holds before changing anything
  homelab.k3s.k3s_facts:
  become: true
  register: __k3s_facts

- name: Show whether the node holds a cluster
  ansible.builtin.debug:
    msg: >-
      {{ inventory_hostname }}: datastore {{ __k3s_facts.datastore.kind }},
      CA {{ __k3s_facts.ca.sha256[:12] | default('none') }}, k3s {{ __k3s_facts.services.k3s.active_state }}

- name: A data directory of its own
  homelab.k3s.k3s_facts:
    data_dir: /srv/k3s
  become: true
  register: __k3s_facts
"""

RETURN = r"""
binary:
  description: The k3s binary.
  returned: always
  type: dict
  contains:
    path:
      description: Path of the binary.
      type: str
      sample: /usr/local/bin/k3s
    exists:
      description: Whether it exists.
      type: bool
      sample: true
    version_line:
      description: First line of C(k3s --version).
      type: str
      sample: k3s version v1.31.4+k3s1 (a562d090)
    version:
      description: The version in it; empty when it cannot be read.
      type: str
      sample: v1.31.4+k3s1
    commit:
      description: The commit in it.
      type: str
      sample: a562d090
services:
  description: The units C(k3s) and C(k3s-agent), keyed by those names.
  returned: always
  type: dict
  contains:
    unit:
      description: The unit name.
      type: str
      sample: k3s.service
    path:
      description: The unit file looked at.
      type: str
      sample: /etc/systemd/system/k3s.service
    exists:
      description: Whether the unit file exists.
      type: bool
      sample: true
    managed_by:
      description: V(homelab.k3s), V(install-script), V(other) (written by something else) or V(none) (no file).
      type: str
      sample: install-script
    load_state:
      description: systemd LoadState.
      type: str
      sample: loaded
    active_state:
      description: systemd ActiveState (V(active), V(activating), V(failed), V(inactive) ...).
      type: str
      sample: active
    sub_state:
      description: systemd SubState.
      type: str
      sample: running
    unit_file_state:
      description: systemd UnitFileState (V(enabled) ...).
      type: str
      sample: enabled
    n_restarts:
      description: Times systemd restarted the service since it was started.
      type: int
      sample: 0
    invocation_id:
      description: ID of the current run of the unit; it changes on every (re)start.
      type: str
    started_at:
      description: When the main process of the unit started (epoch seconds); 0 when it is not running.
      type: float
    changed_since_start:
      description:
        - The files the service reads (its unit, environment files, the configuration files, registries.yaml, the
          binary, the image tarballs in C(<data_dir>/agent/images)) that were modified after it started; a restart
          is pending for them, for example after a run that was interrupted between writing them and restarting
          the service.
      type: list
      elements: str
    main_pid:
      description: PID of the main process, 0 when none.
      type: int
      sample: 1234
    environment_files:
      description: EnvironmentFile paths of the unit.
      type: list
      elements: str
    exec_start:
      description: The command of the unit, its mode (V(server), V(agent)) and flags, secrets hashed.
      type: dict
env_files:
  description:
    - The environment files of the units, by path, with their keys; secret values hashed.
    - Each has C(path), C(exists), C(readable), C(managed_by), C(keys) and C(secret_keys).
  returned: always
  type: dict
config:
  description: The configuration files.
  returned: always
  type: dict
  contains:
    path:
      description: The main file.
      type: str
      sample: /etc/rancher/k3s/config.yaml
    exists:
      description: Whether it exists.
      type: bool
    files:
      description: Every file read, in order.
      type: list
      elements: str
    keys:
      description: "The merged flags; secret values are V(sha256:<hex>)."
      type: dict
    secret_keys:
      description: The keys whose values were hashed.
      type: list
      elements: str
    errors:
      description: Files that could not be parsed, with the reason.
      type: dict
datastore:
  description: The datastore the node holds.
  returned: always
  type: dict
  contains:
    kind:
      description: V(etcd) (an embedded etcd member), V(sqlite), V(external) or V(none).
      type: str
      sample: etcd
    etcd_member:
      description: Whether C(server/db/etcd/member) exists.
      type: bool
    etcd_member_dir:
      description: That directory.
      type: str
    etcd_name:
      description: The etcd member name k3s recorded, empty when none.
      type: str
    sqlite:
      description: Whether C(server/db/state.db) exists.
      type: bool
    sqlite_db:
      description: That file.
      type: str
    external:
      description: Whether a datastore endpoint is configured.
      type: bool
    external_endpoint:
      description: The endpoint without user and password.
      type: str
      sample: postgres://db.lan:5432/k3s
    external_endpoint_sha256:
      description: sha256 of the full endpoint.
      type: str
token:
  description: The server token file (C(server/token)).
  returned: always
  type: dict
  contains:
    path:
      description: The file.
      type: str
      sample: /var/lib/rancher/k3s/server/token
    present:
      description: Whether it exists and is not empty.
      type: bool
    ca_hash:
      description: The cluster CA hash of a full token (public).
      type: str
    secret_sha256:
      description: sha256 of the secret part of the token.
      type: str
    format:
      description: V(full) or V(bare).
      type: str
agent_token:
  description: The agent token file (C(server/agent-token)), in the same form as RV(token).
  returned: always
  type: dict
ca:
  description: The server CA certificate, the identity of the cluster the node belongs to.
  returned: always
  type: dict
  contains:
    path:
      description: The file.
      type: str
      sample: /var/lib/rancher/k3s/server/tls/server-ca.crt
    present:
      description: Whether it exists.
      type: bool
    sha256:
      description: sha256 of the file, the CA hash a full token carries.
      type: str
leftovers:
  description: What the k3s install script leaves in O(bin_dir).
  returned: always
  type: dict
  contains:
    scripts:
      description: The killall and uninstall scripts found, by name.
      type: dict
    links:
      description: The kubectl, crictl and ctr links found, with their targets.
      type: dict
installed_by:
  description: Who wrote the units of the node (V(homelab.k3s), V(install-script), V(other), V(none)).
  returned: always
  type: str
  sample: install-script
holds_cluster:
  description: Whether the node holds cluster state (a datastore of its own or a server CA).
  returned: always
  type: bool
files:
  description:
    - For each of O(paths), whether it exists, its C(kind) (V(file), V(directory), V(link), V(other), V(absent)),
      C(mode) (octal string), C(uid), C(gid), C(link) (the target of a link as written) and C(sha256) (of a regular
      file). The path itself is looked at, not what a link leads to.
  returned: always
  type: dict
  sample: {"/usr/local/bin/kubectl": {"exists": true, "isdir": false, "kind": "link", "mode": "0777", "uid": 0,
                                      "gid": 0, "link": "k3s", "sha256": null}}
  version_added: 0.3.0
active_service:
  description: The k3s unit that is active or activating, empty when neither is.
  returned: always
  type: str
  sample: k3s
"""

import os
from typing import Any, Dict

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.k3s.plugins.module_utils.file_state import file_state
from ansible_collections.homelab.k3s.plugins.module_utils.k3s_facts import (
    SYSTEMD_PROPERTIES,
    UNITS,
    boot_time,
    changed_since,
    env_files_of_unit,
    image_files,
    parse_exec_start,
    parse_version,
    read_config,
    read_datastore,
    read_env_file,
    read_leftovers,
    read_text,
    read_token,
    sha256_file,
    started_at,
    unit_exec_start,
    unit_writer,
)
from ansible_collections.homelab.k3s.plugins.module_utils.systemd_show import parse_systemctl_show


def binary_facts(module: AnsibleModule, bin_dir: str) -> Dict[str, Any]:
    path = os.path.join(bin_dir, "k3s")
    result: Dict[str, Any] = {"path": path, "exists": os.path.isfile(path)}
    version = {"version_line": "", "version": "", "commit": ""}
    if result["exists"] and os.access(path, os.X_OK):
        rc, out, _err = module.run_command([path, "--version"])
        if rc == 0:
            version = parse_version(out)
    result.update(version)
    return result


def service_facts(module: AnsibleModule, systemd_dir: str, name: str, unit: str) -> Dict[str, Any]:
    path = os.path.join(systemd_dir, unit)
    text = read_text(path)
    result: Dict[str, Any] = {
        "unit": unit,
        "path": path,
        "exists": text is not None,
        "managed_by": unit_writer(text),
        "load_state": "",
        "active_state": "",
        "sub_state": "",
        "unit_file_state": "",
        "n_restarts": 0,
        "invocation_id": "",
        "main_pid": 0,
        "started_at": 0.0,
        "changed_since_start": [],
        "environment_files": env_files_of_unit(text, unit),
        "exec_start": parse_exec_start(unit_exec_start(text or "")),
    }
    systemctl = module.get_bin_path("systemctl")
    if systemctl:
        rc, out, _err = module.run_command([systemctl, "show", unit, "--property", ",".join(SYSTEMD_PROPERTIES)])
        if rc == 0:
            shown = parse_systemctl_show(out)
            result.update(
                load_state=shown.get("LoadState", ""),
                active_state=shown.get("ActiveState", ""),
                sub_state=shown.get("SubState", ""),
                unit_file_state=shown.get("UnitFileState", ""),
                n_restarts=int(shown.get("NRestarts") or 0) if str(shown.get("NRestarts", "")).isdigit() else 0,
                invocation_id=shown.get("InvocationID", ""),
                main_pid=int(shown.get("ExecMainPID") or 0) if str(shown.get("ExecMainPID", "")).isdigit() else 0,
                started_at=started_at(shown.get("ExecMainStartTimestampMonotonic", ""), boot_time()),
            )
            if shown["EnvironmentFiles"]:
                result["environment_files"] = shown["EnvironmentFiles"]
            fragment = shown.get("FragmentPath", "")
            if fragment and not result["exists"]:
                fragment_text = read_text(fragment)
                result.update(path=fragment, exists=fragment_text is not None, managed_by=unit_writer(fragment_text))
                result["exec_start"] = parse_exec_start(unit_exec_start(fragment_text or ""))
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            data_dir=dict(type="path", default="/var/lib/rancher/k3s"),
            config_file=dict(type="path", default="/etc/rancher/k3s/config.yaml"),
            bin_dir=dict(type="path", default="/usr/local/bin"),
            systemd_dir=dict(type="path", default="/etc/systemd/system"),
            paths=dict(type="list", elements="path", default=[]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    data_dir = params["data_dir"]

    services = {name: service_facts(module, params["systemd_dir"], name, unit) for name, unit in UNITS.items()}
    env_files: Dict[str, Any] = {}
    merged_env: Dict[str, str] = {}
    for service in services.values():
        for path in service["environment_files"]:
            if path not in env_files:
                env_files[path], env = read_env_file(path)
                merged_env.update(env)

    config, flags = read_config(params["config_file"])
    binary = binary_facts(module, params["bin_dir"])
    registries = os.path.join(os.path.dirname(params["config_file"]), "registries.yaml")
    images = image_files(data_dir)
    for service in services.values():
        if service["active_state"] in ("active", "activating", "reloading"):
            read = [
                service["path"],
                *service["environment_files"],
                *config["files"],
                registries,
                binary["path"],
                *images,
            ]
            service["changed_since_start"] = changed_since(read, service["started_at"])
    datastore = read_datastore(data_dir, flags, merged_env)
    ca_path = os.path.join(data_dir, "server", "tls", "server-ca.crt")
    ca = {"path": ca_path, "present": os.path.isfile(ca_path), "sha256": sha256_file(ca_path)}
    writers = [s["managed_by"] for s in services.values() if s["managed_by"] != "none"]
    active = [name for name, s in services.items() if s["active_state"] in ("active", "activating", "reloading")]

    module.exit_json(
        changed=False,
        binary=binary,
        services=services,
        env_files=env_files,
        config=config,
        datastore=datastore,
        token=read_token(data_dir, "token"),
        agent_token=read_token(data_dir, "agent-token"),
        ca=ca,
        leftovers=read_leftovers(params["bin_dir"]),
        installed_by=writers[0] if writers else "none",
        holds_cluster=datastore["kind"] in ("etcd", "sqlite") or ca["present"],
        active_service=active[0] if active else "",
        files={path: file_state(path) for path in params["paths"]},
    )


if __name__ == "__main__":
    main()
