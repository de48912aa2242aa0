# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the kernel modules k3s needs are available on a node (loaded, built in, or missing), and the
modules-load.d file that keeps them at boot: shared by the kernel_modules module, which makes them
available, and node_probe, which reads whether anything is left to do."""

from __future__ import annotations

import os
from typing import Dict, List, Optional, Set

from ansible_collections.homelab.k3s.plugins.module_utils.file_state import read_text

PROC_MODULES = "/proc/modules"
PROC_FILESYSTEMS = "/proc/filesystems"
SYS_MODULE = "/sys/module"
LIB_MODULES = "/lib/modules"
PERSIST_FILE = "/etc/modules-load.d/homelab-k3s.conf"
HEADER = "# Managed by homelab.k3s: kernel modules k3s needs.\n"
# What a built-in module provides, for kernels that ship no modules.builtin.
PROBES = {
    "br_netfilter": ("path", "/proc/sys/net/bridge/bridge-nf-call-iptables"),
    "overlay": ("filesystem", "overlay"),
    "nf_conntrack": ("path", "/proc/sys/net/netfilter/nf_conntrack_max"),
    "ip_vs": ("path", "/proc/sys/net/ipv4/vs"),
    "vxlan": ("path", "/sys/module/vxlan"),
    "wireguard": ("path", "/sys/module/wireguard"),
}


def loaded_modules() -> Optional[Set[str]]:
    """The loaded modules, None when the kernel cannot load modules (no /proc/modules)."""
    text = read_text(PROC_MODULES)
    if text is None:
        return None
    return {line.split(" ", 1)[0] for line in text.splitlines() if line}


def builtin_modules() -> Set[str]:
    text = read_text(os.path.join(LIB_MODULES, os.uname().release, "modules.builtin"))
    if not text:
        return set()
    names = set()
    for line in text.splitlines():
        base = os.path.basename(line.strip())
        names.add(base.split(".ko", 1)[0].replace("-", "_"))
    return names


def provided_by_kernel(name: str) -> bool:
    kind, target = PROBES.get(name, ("path", None))
    if kind == "filesystem":
        filesystems = read_text(PROC_FILESYSTEMS) or ""
        return any(line.split()[-1] == target for line in filesystems.splitlines() if line.split())
    if target and os.path.exists(target):
        return True
    # Built-in modules with parameters or sysfs entries show up here without an initstate file.
    sys_dir = os.path.join(SYS_MODULE, name)
    return os.path.isdir(sys_dir) and not os.path.exists(os.path.join(sys_dir, "initstate"))


def classify(name: str, loaded: Optional[Set[str]], builtin: Set[str]) -> str:
    """loaded, builtin or missing."""
    normalised = name.replace("-", "_")
    if loaded is not None and normalised in loaded:
        return "loaded"
    if normalised in builtin or provided_by_kernel(normalised):
        return "builtin"
    return "missing"


def module_states(names: List[str]) -> Dict[str, str]:
    loaded = loaded_modules()
    builtin = builtin_modules()
    return {name: classify(name, loaded, builtin) for name in names}


def render_persist_file(states: Dict[str, str]) -> str:
    """The modules-load.d file: loadable modules by name, built-in ones as comments (systemd-modules-load
    fails on a kernel without module support)."""
    lines = [HEADER]
    for name, state in states.items():
        if state == "builtin":
            lines.append(f"# {name}: built into the kernel\n")
        else:
            lines.append(f"{name}\n")
    return "".join(lines)


def nothing_to_do(states: Dict[str, str], persist_file: Optional[str]) -> bool:
    """Every module available now and, with a persist file, that file as the kernel_modules module writes it."""
    if any(state == "missing" for state in states.values()):
        return False
    return persist_file is None or read_text(persist_file) == render_persist_file(states)
