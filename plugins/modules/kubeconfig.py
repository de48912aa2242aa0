#!/usr/bin/python
# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kubeconfig
short_description: Merge the kubeconfig of a k3s cluster into a local kubeconfig file
version_added: 0.1.0
description:
  - Takes the kubeconfig a k3s server writes (C(/etc/rancher/k3s/k3s.yaml)), points it at the
    API endpoint of the cluster, renames its cluster, user and context from C(default) to O(name)
    and merges them into O(dest).
  - Other clusters, users and contexts in O(dest) are kept in their order, and so are
    C(preferences) and any other top-level key. Entries named O(name) are replaced in place.
  - The file is compared by its parsed content, not its text, so a second run changes nothing.
  - O(dest) is written with mode C(0600), and a wrong mode is corrected. A missing parent
    directory is created with mode C(0700).
  - The diff never shows key material; credentials appear as C(<redacted hmac-sha256:1a2b3c4d>),
    a fingerprint that differs when the value differs.
  - Meant to run on the controller, delegated to C(localhost); it needs no kubectl.
author:
  - homelab.k3s maintainers (@homelab-k3s)
requirements:
  - PyYAML
attributes:
  check_mode:
    description: Can run in check mode and report what would change without changing it.
    support: full
  diff_mode:
    description: Shows the change of O(dest) with credentials redacted.
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  content:
    description:
      - The k3s kubeconfig as text, for example the C(b64decode)d content of
        M(ansible.builtin.slurp) of C(/etc/rancher/k3s/k3s.yaml).
      - Mutually exclusive with O(src). One of them is required with O(state=present).
    type: str
  src:
    description:
      - Path of the k3s kubeconfig on the host the module runs on.
      - Mutually exclusive with O(content).
    type: path
  server:
    description:
      - The API server URL to write into the cluster entry, such as V(https://192.168.1.10:6443).
        It must be an https URL.
      - k3s writes V(https://127.0.0.1:6443), which works on the server only. When omitted, the
        URL of the source is kept.
    type: str
  name:
    description:
      - Name of the cluster, user and context in O(dest).
    type: str
    default: k3s
  dest:
    description:
      - The kubeconfig file to merge into.
    type: path
    default: ~/.kube/config
  set_current_context:
    description:
      - Make O(name) the current context.
      - When O(dest) has no current context, O(name) becomes current anyway.
    type: bool
    default: false
  state:
    description:
      - V(present) merges the entries, V(absent) removes the cluster, user and context named O(name).
      - With V(absent), a current context named O(name) is unset.
    type: str
    choices: [present, absent]
    default: present
  backup:
    description:
      - Keep a copy of O(dest) with a timestamp in its name before changing it. The copy has mode C(0600).
    type: bool
    default: false
notes:
  - The module runs as the user that runs the task; O(dest) keeps the owner it has.
seealso:
  - module: ansible.builtin.slurp
"""

EXAMPLES = r"""
- name: Read the kubeconfig of the first server
  ansible.builtin.slurp:
    src: /etc/rancher/k3s/k3s.yaml
  become: true
  no_log: true
  register: __server_kubeconfig

- name: Merge it into the kubeconfig of the controller
  homelab.k3s.kubeconfig:
    content: "{{ __server_kubeconfig.content | b64decode }}"
    server: "https://{{ server_api_endpoint }}:6443"
    name: homelab
    set_current_context: true
  delegate_to: localhost

- name: Write a kubeconfig of its own for the cluster, keeping the previous one
  homelab.k3s.kubeconfig:
    src: /tmp/k3s.yaml
    server: https://k3s.home.arpa:6443
    dest: ~/.kube/homelab.yaml
    backup: true
  delegate_to: localhost

- name: Forget the cluster
  homelab.k3s.kubeconfig:
    name: homelab
    state: absent
  delegate_to: localhost
"""

RETURN = r"""
dest:
  description: The kubeconfig file.
  returned: always
  type: str
  sample: /home/user/.kube/config
context:
  description: Name of the cluster, user and context.
  returned: always
  type: str
  sample: k3s
server:
  description: The API server URL of the cluster entry.
  returned: when O(state=present)
  type: str
  sample: https://192.168.1.10:6443
current_context:
  description: The current context of O(dest) after the change; empty when none is set.
  returned: always
  type: str
  sample: k3s
backup_file:
  description: The copy of the previous O(dest).
  returned: when O(backup=true) and O(dest) changed
  type: str
  sample: /home/user/.kube/config.12345.2024-05-29@16:26:40~
"""

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.homelab.k3s.plugins.module_utils.kubeconfig import (
    DIR_MODE,
    FILE_MODE,
    YAML_IMPORT_ERROR,
    KubeconfigError,
    k3s_entries,
    merge,
    parse_yaml,
    redact,
    remove,
    to_yaml,
    validate_server_url,
    write_private_file,
)


def read_text(module, path, label):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as error:
        module.fail_json(msg=f"Cannot read {label} {path}: {error.strerror}")


def desired_config(module, before):
    params = module.params
    if params["state"] == "absent":
        return remove(before, params["name"]) if before is not None else None
    if params["content"] is not None:
        source_text, label = params["content"], "content"
    else:
        source_text, label = read_text(module, params["src"], "src"), f"src {params['src']}"
    server = validate_server_url(params["server"]) if params["server"] else None
    entries = k3s_entries(parse_yaml(source_text, label), params["name"], server)
    return merge(before or {}, entries, params["name"], params["set_current_context"])


def make_parent(path):
    parent = os.path.dirname(path)
    if parent and not os.path.isdir(parent):
        os.makedirs(parent, mode=DIR_MODE)
        os.chmod(parent, DIR_MODE)  # makedirs leaves the umask applied


def entry_server(config, name):
    for entry in config.get("clusters") or []:
        if isinstance(entry, dict) and entry.get("name") == name:
            return entry["cluster"]["server"]
    return None


def file_diffs(path, before, after, mode):
    diffs = []
    if after is not None and after != before:
        diffs.append(
            dict(
                before_header=path,
                after_header=path,
                before=to_yaml(redact(before)) if before is not None else "",
                after=to_yaml(redact(after)),
            )
        )
    if mode is not None and mode != FILE_MODE:
        diffs.append(
            dict(
                before_header=f"{path} (mode)",
                after_header=f"{path} (mode)",
                before=f"{mode:04o}\n",
                after=f"{FILE_MODE:04o}\n",
            )
        )
    return diffs


def main():
    module = AnsibleModule(
        argument_spec=dict(
            content=dict(type="str", no_log=True),
            src=dict(type="path"),
            server=dict(type="str"),
            name=dict(type="str", default="k3s"),
            dest=dict(type="path", default="~/.kube/config"),
            set_current_context=dict(type="bool", default=False),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            backup=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("content", "src")],
        required_if=[("state", "present", ("content", "src"), True)],
        supports_check_mode=True,
    )
    if YAML_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("PyYAML"), exception=YAML_IMPORT_ERROR)

    params = module.params
    dest = params["dest"]
    # a link is followed: the file it points to is the kubeconfig
    target = os.path.realpath(dest)
    exists = os.path.exists(target)
    try:
        before = parse_yaml(read_text(module, target, "dest"), f"dest {dest}") if exists else None
        after = desired_config(module, before)
    except KubeconfigError as error:
        module.fail_json(msg=str(error))

    mode = os.stat(target).st_mode & 0o7777 if exists else None
    content_changed = after is not None and after != before
    mode_changed = mode is not None and mode != FILE_MODE
    current = after if after is not None else before or {}
    result = dict(
        changed=content_changed or mode_changed,
        dest=dest,
        context=params["name"],
        current_context=current.get("current-context") or "",
    )
    if params["state"] == "present":
        result["server"] = entry_server(after, params["name"])
    if module._diff:
        result["diff"] = file_diffs(dest, before, after, mode)

    if result["changed"] and not module.check_mode:
        if mode_changed:
            os.chmod(target, FILE_MODE)
        if content_changed:
            if params["backup"] and exists:
                result["backup_file"] = module.backup_local(target)
                os.chmod(result["backup_file"], FILE_MODE)
            make_parent(target)
            write_private_file(target, to_yaml(after))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
