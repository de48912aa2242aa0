#!/usr/bin/python
# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kernel_modules
short_description: Make kernel modules available now and at boot, whether loadable or built in
version_added: 0.1.0
description:
  - Ensures each kernel module in O(names) is available (already loaded, built into the kernel, or loaded
    now with C(modprobe)).
  - Built-in modules are detected from C(modules.builtin), from C(/sys/module), and from what the module
    provides (C(/proc/sys/net/bridge) for C(br_netfilter), C(/proc/filesystems) for file systems), so the
    module also works on custom kernels built without loadable-module support, where C(/proc/modules)
    does not exist and C(modprobe) cannot load anything.
  - Writes O(persist_file) so C(systemd-modules-load) loads the loadable ones at boot; built-in modules are
    listed there as comments only, because C(systemd-modules-load) fails on kernels without module support.
author:
  - homelab.k3s maintainers (@homelab-k3s)
options:
  names:
    description: Module names, for example C(br_netfilter) and C(overlay).
    type: list
    elements: str
    required: true
  persist:
    description: Write O(persist_file).
    type: bool
    default: true
  persist_file:
    description: The modules-load.d file to write.
    type: path
    default: /etc/modules-load.d/homelab-k3s.conf
attributes:
  check_mode:
    support: full
    description: Reports what would be loaded and written.
  diff_mode:
    support: full
    description: Shows the change to O(persist_file).
  platform:
    platforms: posix
    support: full
    description: Linux only.
notes:
  - A module that is neither loaded, built in nor loadable fails the task with a message naming it.
"""

EXAMPLES = r"""
- name: Make br_netfilter and overlay available
  homelab.k3s.kernel_modules:
    names: [br_netfilter, overlay]
"""

RETURN = r"""
modules:
  description: How each module is available.
  returned: always
  type: dict
  sample: {"br_netfilter": "builtin", "overlay": "loaded"}
loadable_modules_support:
  description: Whether the running kernel can load modules (C(/proc/modules) exists).
  returned: always
  type: bool
  sample: false
"""

import os
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.k3s.plugins.module_utils.file_state import read_text
from ansible_collections.homelab.k3s.plugins.module_utils.kernel_modules import (
    PERSIST_FILE,
    builtin_modules,
    classify,
    loaded_modules,
    render_persist_file,
)


def main():
    module = AnsibleModule(
        argument_spec={
            "names": {"type": "list", "elements": "str", "required": True},
            "persist": {"type": "bool", "default": True},
            "persist_file": {"type": "path", "default": PERSIST_FILE},
        },
        supports_check_mode=True,
    )
    names = module.params["names"]
    loaded = loaded_modules()
    builtin = builtin_modules()
    states: dict[str, Any] = {}
    changed = False
    for name in names:
        state = classify(name, loaded, builtin)
        if state == "missing":
            if loaded is None:
                module.fail_json(
                    msg=f"Kernel module {name} is not built into this kernel, and the kernel cannot load modules "
                    "(no /proc/modules). Use a kernel with it built in or with module support.",
                    modules=states,
                    loadable_modules_support=False,
                )
            if not module.check_mode:
                modprobe = module.get_bin_path("modprobe", required=True)
                rc, _out, err = module.run_command([modprobe, name])
                if rc != 0:
                    module.fail_json(msg=f"modprobe {name} failed: {err.strip()}", modules=states)
            state = "loaded_now"
            changed = True
        states[name] = state

    diff = {}
    if module.params["persist"]:
        path = module.params["persist_file"]
        wanted = render_persist_file(states)
        current = read_text(path)
        if current != wanted:
            changed = True
            diff = {"before_header": path, "after_header": path, "before": current or "", "after": wanted}
            if not module.check_mode:
                directory = os.path.dirname(path)
                if not os.path.isdir(directory):
                    os.makedirs(directory, 0o755)
                tmp = f"{path}.homelab-k3s.tmp"
                with open(tmp, "w", encoding="utf-8") as handle:
                    handle.write(wanted)
                os.chmod(tmp, 0o644)
                module.atomic_move(tmp, path)

    module.exit_json(changed=changed, modules=states, loadable_modules_support=loaded is not None, diff=diff)


if __name__ == "__main__":
    main()
