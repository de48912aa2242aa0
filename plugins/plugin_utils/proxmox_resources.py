# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Proxmox guests from the resources of the Telmate and bpg Terraform providers.

Understood resource types:

* ``proxmox_vm_qemu`` and ``proxmox_lxc`` (Telmate/proxmox),
* ``proxmox_virtual_environment_vm`` and ``proxmox_virtual_environment_container`` (bpg/proxmox).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ansible_collections.homelab.k3s.plugins.plugin_utils.ip_addresses import (
    proxmox_ipconfig_addresses,
    usable_addresses,
)
from ansible_collections.homelab.k3s.plugins.plugin_utils.terraform_state import ResourceInstance

_TAG_SEPARATORS = re.compile(r"[;,\s]+")
_TELMATE_IPCONFIGS = tuple(f"ipconfig{index}" for index in range(16))
LOOPBACK_INTERFACES = frozenset({"lo", "lo0", "Loopback Pseudo-Interface 1"})


@dataclass
class Guest:
    """A Proxmox VM or container as its Terraform resource describes it."""

    name: str
    kind: str  # "qemu" or "lxc"
    terraform_address: str
    vmid: int | None = None
    node: str | None = None
    tags: list = field(default_factory=list)
    static_ipv4: list = field(default_factory=list)
    static_ipv6: list = field(default_factory=list)
    agent_ipv4: list = field(default_factory=list)
    agent_ipv6: list = field(default_factory=list)
    template: bool = False

    def addresses(self, source: str, version: int) -> list:
        return getattr(self, f"{source}_ipv{version}")


def split_tags(value) -> list:
    """Proxmox tags from a ``;``/``,``-separated string (Telmate) or a list (bpg), without repeats."""
    items = value if isinstance(value, list) else _TAG_SEPARATORS.split(value or "")
    tags: list = []
    for item in items:
        tag = str(item).strip() if item is not None else ""
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _first_block(value) -> dict:
    """The first element of a nested block list, or an empty mapping."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return value if isinstance(value, dict) else {}


def _telmate_id(attributes: dict) -> tuple:
    """Node and VMID from a Telmate resource ID ``<node>/<qemu|lxc>/<vmid>``."""
    parts = str(attributes.get("id") or "").split("/")
    if len(parts) == 3:
        return parts[0] or None, _int_or_none(parts[2])
    return None, None


def _telmate_node(attributes: dict, id_node) -> str | None:
    targets = attributes.get("target_nodes") or [None]
    return attributes.get("current_node") or attributes.get("target_node") or id_node or targets[0]


def _telmate_qemu(instance: ResourceInstance) -> Guest:
    attributes = instance.attributes
    id_node, id_vmid = _telmate_id(attributes)
    static = {4: [], 6: []}
    for key in _TELMATE_IPCONFIGS:
        for version, value in proxmox_ipconfig_addresses(attributes.get(key)).items():
            static[version].append(value)
    ssh_host = attributes.get("ssh_host")
    return Guest(
        name=attributes.get("name") or "",
        kind="qemu",
        terraform_address=instance.address,
        vmid=_int_or_none(attributes.get("vmid")) or id_vmid,
        node=_telmate_node(attributes, id_node),
        tags=split_tags(attributes.get("tags")),
        static_ipv4=usable_addresses(static[4], 4),
        static_ipv6=usable_addresses(static[6], 6),
        agent_ipv4=usable_addresses([attributes.get("default_ipv4_address"), ssh_host], 4),
        agent_ipv6=usable_addresses([attributes.get("default_ipv6_address"), ssh_host], 6),
    )


def _telmate_lxc(instance: ResourceInstance) -> Guest:
    attributes = instance.attributes
    id_node, id_vmid = _telmate_id(attributes)
    networks = [network for network in attributes.get("network") or [] if isinstance(network, dict)]
    return Guest(
        name=attributes.get("hostname") or "",
        kind="lxc",
        terraform_address=instance.address,
        vmid=_int_or_none(attributes.get("vmid")) or id_vmid,
        node=_telmate_node(attributes, id_node),
        tags=split_tags(attributes.get("tags")),
        static_ipv4=usable_addresses([network.get("ip") for network in networks], 4),
        static_ipv6=usable_addresses([network.get("ip6") for network in networks], 6),
        template=bool(attributes.get("template")),
    )


def _bpg_static(initialization: dict, version: int) -> list:
    family = f"ipv{version}"
    values = [_first_block(config.get(family)).get("address") for config in initialization.get("ip_config") or []]
    return usable_addresses(values, version)


def _bpg_agent_addresses(attributes: dict, version: int) -> list:
    """Guest-agent addresses of a bpg VM, NIC by NIC, without the loopback interface."""
    names = attributes.get("network_interface_names") or []
    per_interface = attributes.get(f"ipv{version}_addresses") or []
    values = []
    for index, addresses in enumerate(per_interface):
        name = names[index] if index < len(names) else None
        if name in LOOPBACK_INTERFACES:
            continue
        values.extend(addresses or [])
    return usable_addresses(values, version)


def _bpg_vm(instance: ResourceInstance) -> Guest:
    attributes = instance.attributes
    initialization = _first_block(attributes.get("initialization"))
    return Guest(
        name=attributes.get("name") or "",
        kind="qemu",
        terraform_address=instance.address,
        vmid=_int_or_none(attributes.get("vm_id")) or _int_or_none(attributes.get("id")),
        node=attributes.get("node_name"),
        tags=split_tags(attributes.get("tags")),
        static_ipv4=_bpg_static(initialization, 4),
        static_ipv6=_bpg_static(initialization, 6),
        agent_ipv4=_bpg_agent_addresses(attributes, 4),
        agent_ipv6=_bpg_agent_addresses(attributes, 6),
        template=bool(attributes.get("template")),
    )


def _bpg_container(instance: ResourceInstance) -> Guest:
    attributes = instance.attributes
    initialization = _first_block(attributes.get("initialization"))

    def runtime(version: int) -> list:
        addresses = attributes.get(f"ipv{version}") or {}
        if not isinstance(addresses, dict):
            return []
        values = [value for name, value in addresses.items() if name not in LOOPBACK_INTERFACES]
        return usable_addresses(values, version)

    return Guest(
        name=initialization.get("hostname") or "",
        kind="lxc",
        terraform_address=instance.address,
        vmid=_int_or_none(attributes.get("vm_id")) or _int_or_none(attributes.get("id")),
        node=attributes.get("node_name"),
        tags=split_tags(attributes.get("tags")),
        static_ipv4=_bpg_static(initialization, 4),
        static_ipv6=_bpg_static(initialization, 6),
        agent_ipv4=runtime(4),
        agent_ipv6=runtime(6),
        template=bool(attributes.get("template")),
    )


GUEST_READERS = {
    "proxmox_vm_qemu": _telmate_qemu,
    "proxmox_lxc": _telmate_lxc,
    "proxmox_virtual_environment_vm": _bpg_vm,
    "proxmox_virtual_environment_container": _bpg_container,
}


def guest_from_instance(instance: ResourceInstance) -> Guest | None:
    """The guest a resource instance describes, or None for resource types that are not Proxmox guests."""
    reader = GUEST_READERS.get(instance.type)
    if reader is None:
        return None
    guest = reader(instance)
    if not guest.name:
        guest.name = f"{guest.kind}-{guest.vmid}" if guest.vmid else instance.address
    return guest
