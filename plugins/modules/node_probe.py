#!/usr/bin/python
# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: node_probe
short_description: Read what the base and prereqs roles need to know about a node, in one call
version_added: 0.1.0
description:
  - Reads, without changing anything, the facts several tasks would otherwise each read with a call of their
    own; every part is optional and costs nothing when not asked for.
  - Which of O(packages) are not installed, and how old the package lists are.
  - Whether O(paths) exist; the contents of O(read) (small text files, such as C(/proc/device-tree/model)).
  - Which systemd unit files matching O(units) exist.
  - The running values of the kernel parameters O(sysctl) and which of them differ from the wanted values.
  - With O(swap), the active swap lines of C(/etc/fstab) and the active swap areas.
  - How the kernel modules O(kernel_modules) are available and whether the M(homelab.k3s.kernel_modules) module
    would change anything (a module missing, or its C(modules-load.d) file not as it writes it).
author:
  - homelab.k3s maintainers (@homelab-k3s)
options:
  packages:
    description: Package names to look up with the package manager's database (no download).
    type: list
    elements: str
    default: []
  package_manager:
    description: C(apt) (dpkg), C(dnf), C(yum) or C(zypper) (rpm); others report every package as unknown.
    type: str
    default: apt
  paths:
    description: Paths to look up.
    type: list
    elements: path
    default: []
  read:
    description: Text files to read (at most 64 KiB each); a missing or unreadable file reads as null.
    type: list
    elements: path
    default: []
  units:
    description: systemd unit file names or patterns (C(*swap*)) to look up.
    type: list
    elements: str
    default: []
  services:
    description: systemd units whose state to read (enabled, active), in one C(systemctl show).
    type: list
    elements: str
    default: []
    version_added: 0.3.0
  sysctl:
    description: Kernel parameters and their wanted values.
    type: dict
    default: {}
  swap:
    description: Read C(/etc/fstab) and C(/proc/swaps) for swap.
    type: bool
    default: false
  kernel_modules:
    description: Kernel modules to look up as M(homelab.k3s.kernel_modules) does (loaded, built in or missing).
    type: list
    elements: str
    default: []
    version_added: 0.3.0
  kernel_modules_file:
    description: The C(modules-load.d) file M(homelab.k3s.kernel_modules) writes for O(kernel_modules).
    type: path
    default: /etc/modules-load.d/homelab-k3s.conf
    version_added: 0.3.0
attributes:
  check_mode:
    support: full
    description: Changes nothing in any mode.
  diff_mode:
    support: none
    description: Nothing to show, nothing changes.
  platform:
    platforms: posix
    support: full
    description: Linux.
"""

EXAMPLES = r"""
- name: Read the node in one call
  homelab.k3s.node_probe:
    packages: [curl, ufw]
    package_manager: "{{ ansible_facts.pkg_mgr }}"
    units: ["*swap*", nm-cloud-setup.service]
    sysctl: {net.ipv4.ip_forward: 1}
    swap: true
  register: probe
"""

RETURN = r"""
missing_packages:
  description: The packages of O(packages) that are not installed, in their order.
  returned: always
  type: list
  elements: str
  sample: [ufw]
package_lists_age:
  description: >-
    Seconds since the package lists were last refreshed (apt), or null when they never were or the package
    manager keeps no such lists.
  returned: always
  type: int
  sample: 86400
paths:
  description:
    - For each of O(paths), whether it exists and is a directory (following links), and of the path itself its
      C(kind) (V(file), V(directory), V(link), V(other), V(absent)), C(mode) (octal string), C(uid), C(gid), C(link)
      (the target of a link as written) and C(sha256) (of a regular file).
    - The roles compare this with what they would write and skip the step when it is already right.
  returned: always
  type: dict
  sample:
    "/boot/firmware/cmdline.txt":
      exists: true
      isdir: false
      kind: file
      mode: "0755"
      uid: 0
      gid: 0
      link: null
      sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
services:
  description: >-
    For each of O(services), its C(load_state), C(unit_file_state) and C(active_state) as systemd reports them.
  returned: always
  type: dict
  sample:
    systemd-timesyncd.service: {"load_state": "loaded", "unit_file_state": "enabled", "active_state": "active"}
  version_added: 0.3.0
files:
  description: For each of O(read), its text (NUL bytes removed) or null.
  returned: always
  type: dict
  sample: {"/proc/device-tree/model": "Raspberry Pi 5 Model B Rev 1.0"}
units:
  description: The unit files found, by name.
  returned: always
  type: list
  elements: str
  sample: [dphys-swapfile.service]
sysctl:
  description: The running value of each parameter of O(sysctl) (whitespace collapsed), null when it does not exist.
  returned: always
  type: dict
  sample: {"net.ipv4.ip_forward": "1"}
sysctl_differs:
  description: The parameters whose running value is not the wanted one.
  returned: always
  type: list
  elements: str
  sample: [net.ipv4.ip_forward]
fstab_swap:
  description: With O(swap), the active (not commented) swap lines of C(/etc/fstab).
  returned: always
  type: list
  elements: str
  sample: ["/swapfile none swap sw 0 0"]
swap_areas:
  description: With O(swap), the active swap areas of C(/proc/swaps).
  returned: always
  type: list
  elements: str
  sample: [/swapfile]
kernel_modules:
  description: How each of O(kernel_modules) is available, V(loaded), V(builtin) or V(missing).
  returned: always
  type: dict
  sample: {"br_netfilter": "builtin", "overlay": "loaded"}
  version_added: 0.3.0
kernel_modules_ready:
  description: >-
    Whether every one of O(kernel_modules) is available and O(kernel_modules_file) is what
    M(homelab.k3s.kernel_modules) writes for them, so that module would change nothing; true without O(kernel_modules).
  returned: always
  type: bool
  sample: true
  version_added: 0.3.0
"""

import fnmatch
import glob
import os
import re
import time
from typing import Dict, List, Optional

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.k3s.plugins.module_utils.file_state import file_state
from ansible_collections.homelab.k3s.plugins.module_utils.kernel_modules import (
    PERSIST_FILE,
    module_states,
    nothing_to_do,
)
from ansible_collections.homelab.k3s.plugins.module_utils.systemd_show import parse_systemctl_show

MAX_READ = 64 * 1024
APT_LISTS = "/var/lib/apt/lists"
APT_STAMP = "/var/lib/apt/periodic/update-success-stamp"
FSTAB = "/etc/fstab"
PROC_SWAPS = "/proc/swaps"
PROC_SYS = "/proc/sys"
# The same lines the prereqs role comments out.
FSTAB_SWAP = re.compile(r"^\s*[^#\s]+\s+\S+\s+swap\s")


def read_text(path: str) -> Optional[str]:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_READ)
    except OSError:
        return None
    return data.replace(b"\0", b"").decode("utf-8", "replace")


def missing_packages(module: AnsibleModule, names: List[str], manager: str) -> List[str]:
    if not names:
        return []
    if manager == "apt":
        binary = module.get_bin_path("dpkg-query")
        if not binary:
            return list(names)
        _rc, out, _err = module.run_command([binary, "-W", "-f=${Package}\t${db:Status-Abbrev}\n", *names])
        installed = set()
        for line in out.splitlines():
            name, _sep, status = line.partition("\t")
            if status[1:2] == "i":  # want any, state installed ("ii", "hi")
                installed.add(name.split(":", 1)[0])
        return [name for name in names if name not in installed]
    if manager in ("dnf", "dnf5", "yum", "zypper"):
        binary = module.get_bin_path("rpm")
        if not binary:
            return list(names)
        _rc, out, _err = module.run_command([binary, "-q", "--qf", "%{NAME}\n", *names])
        # rpm prints "package X is not installed" for each missing one.
        absent = {m.group(1) for m in re.finditer(r"^package (\S+) is not installed$", out, re.MULTILINE)}
        return [name for name in names if name in absent]
    return list(names)


def package_lists_age(manager: str, now: float) -> Optional[int]:
    if manager != "apt":
        return None
    stamps = [APT_STAMP, *glob.glob(os.path.join(APT_LISTS, "*Release"))]
    times = []
    for path in stamps:
        try:
            times.append(os.stat(path).st_mtime)
        except OSError:
            continue
    if not times:
        return None
    return max(0, int(now - max(times)))


def unit_files(module: AnsibleModule, patterns: List[str]) -> List[str]:
    if not patterns:
        return []
    binary = module.get_bin_path("systemctl")
    if not binary:
        return []
    rc, out, err = module.run_command([binary, "list-unit-files", "--no-legend", "--plain", *patterns])
    if rc not in (0, 1):
        module.fail_json(msg=f"systemctl list-unit-files failed (rc={rc}): {err.strip()}")
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    return [name for name in names if any(fnmatch.fnmatch(name, p) for p in patterns)]


def service_states(module: AnsibleModule, names: List[str]) -> Dict[str, Dict[str, str]]:
    states = {name: {"load_state": "", "unit_file_state": "", "active_state": ""} for name in names}
    binary = module.get_bin_path("systemctl")
    if not names or not binary:
        return states
    rc, out, err = module.run_command([binary, "show", "--property=LoadState,UnitFileState,ActiveState", *names])
    if rc != 0:
        module.fail_json(msg=f"systemctl show failed (rc={rc}): {err.strip()}")
    # One block of Key=Value lines per unit, in the order asked, separated by blank lines.
    keys = {"LoadState": "load_state", "UnitFileState": "unit_file_state", "ActiveState": "active_state"}
    for name, block in zip(names, out.strip().split("\n\n")):
        shown = parse_systemctl_show(block)
        states[name].update({ours: shown[key].strip() for key, ours in keys.items() if key in shown})
    return states


def sysctl_values(wanted: Dict[str, object]) -> Dict[str, Optional[str]]:
    values: Dict[str, Optional[str]] = {}
    for key in wanted:
        text = read_text(os.path.join(PROC_SYS, *key.split(".")))
        values[key] = None if text is None else " ".join(text.split())
    return values


def swap_info() -> Dict[str, List[str]]:
    fstab = read_text(FSTAB) or ""
    swaps = read_text(PROC_SWAPS) or ""
    return {
        "fstab_swap": [line for line in fstab.splitlines() if FSTAB_SWAP.match(line)],
        "swap_areas": [line.split()[0] for line in swaps.splitlines()[1:] if line.strip()],
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "packages": {"type": "list", "elements": "str", "default": []},
            "package_manager": {"type": "str", "default": "apt"},
            "paths": {"type": "list", "elements": "path", "default": []},
            "read": {"type": "list", "elements": "path", "default": []},
            "units": {"type": "list", "elements": "str", "default": []},
            "services": {"type": "list", "elements": "str", "default": []},
            "sysctl": {"type": "dict", "default": {}},
            "swap": {"type": "bool", "default": False},
            "kernel_modules": {"type": "list", "elements": "str", "default": []},
            "kernel_modules_file": {"type": "path", "default": PERSIST_FILE},
        },
        supports_check_mode=True,
    )
    params = module.params
    wanted_sysctl = params["sysctl"]
    current = sysctl_values(wanted_sysctl)
    result = {
        "changed": False,
        "missing_packages": missing_packages(module, params["packages"], params["package_manager"]),
        "package_lists_age": package_lists_age(params["package_manager"], time.time()),
        "paths": {p: file_state(p) for p in params["paths"]},
        "files": {p: read_text(p) for p in params["read"]},
        "units": unit_files(module, params["units"]),
        "services": service_states(module, params["services"]),
        "sysctl": current,
        "sysctl_differs": [k for k, v in wanted_sysctl.items() if current[k] != " ".join(str(v).split())],
        "fstab_swap": [],
        "swap_areas": [],
    }
    if params["swap"]:
        result.update(swap_info())
    modules = module_states(params["kernel_modules"]) if params["kernel_modules"] else {}
    result["kernel_modules"] = modules
    result["kernel_modules_ready"] = not modules or nothing_to_do(modules, params["kernel_modules_file"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
