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
    usable_address,
    usable_addresses,
)
from ansible_collections.homelab.k3s.plugins.plugin_utils.terraform_state import ResourceInstance

_TAG_SEPARATORS = re.compile(r"[;,\s]+")
_TELMATE_IPCONFIGS = tuple(f"ipconfig{index}" for index in range(16))
LOOPBACK_INTERFACES = frozenset({"lo", "lo0", "Loopback Pseudo-Interface 1"})
# Interfaces a guest makes for its own containers and tunnels: their addresses are no way in from outside.
VIRTUAL_INTERFACE_PREFIXES = (
    "docker",
    "br-",
    "veth",
    "cni",
    "flannel",
    "cali",
    "cilium",
    "kube-",
    "vxlan",
    "virbr",
    "lxcbr",
    "lxdbr",
    "podman",
    "tailscale",
    "wg",
    "zt",
)


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
    source: str = ""  # the state file or backend the guest was read from
    static_nic_ipv4: list = field(default_factory=list)  # [NIC index, address] pairs, in NIC order
    static_nic_ipv6: list = field(default_factory=list)

    def addresses(self, source: str, version: int) -> list:
        return getattr(self, f"{source}_ipv{version}")

    def nic_address(self, nic: int, version: int) -> str | None:
        """The static address of the NIC with index ``nic`` (net0/ipconfig0 is 0)."""
        for index, address in getattr(self, f"static_nic_ipv{version}"):
            if index == nic:
                return address
        return None

    def nic_of(self, address: str, version: int) -> int | None:
        for index, found in getattr(self, f"static_nic_ipv{version}"):
            if found == address:
                return index
        return None


def split_tags(value: object) -> list:
    """Proxmox tags from a ``;``/``,``-separated string (Telmate) or a list (bpg), without repeats."""
    if isinstance(value, list):
        items: list = value
    elif isinstance(value, str):
        items = _TAG_SEPARATORS.split(value)
    else:
        items = []
    tags: list = []
    for item in items:
        tag = str(item).strip() if item is not None else ""
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _text(value: object) -> str:
    """A string attribute, or "" for anything else (null, a number, a nested block)."""
    return value.strip() if isinstance(value, str) else ""


def _first_block(value: object) -> dict:
    """The first element of a nested block list, or an empty mapping."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return value if isinstance(value, dict) else {}


def _blocks(value: object) -> list[dict]:
    """The mappings of a nested block list; anything else in it is left out."""
    if isinstance(value, dict):
        return [value]
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _nic_addresses(pairs: list, version: int) -> list:
    """``[NIC index, address]`` pairs whose address is usable, in NIC order."""
    found = []
    for index, value in pairs:
        address = usable_address(value, version)
        if address is not None:
            found.append([index, address])
    return found


def _telmate_id(attributes: dict) -> tuple:
    """Node and VMID from a Telmate resource ID ``<node>/<qemu|lxc>/<vmid>``."""
    parts = _text(attributes.get("id")).split("/")
    if len(parts) == 3:
        return parts[0] or None, _int_or_none(parts[2])
    return None, None


def _telmate_node(attributes: dict, id_node: str | None) -> str | None:
    targets = attributes.get("target_nodes")
    first_target = _text(targets[0]) if isinstance(targets, list) and targets else ""
    for value in (attributes.get("current_node"), attributes.get("target_node"), id_node, first_target):
        if _text(value):
            return _text(value)
    return None


def _with_nics(guest: Guest, static: dict) -> Guest:
    """Fill the static addresses of ``guest`` from ``{version: [[NIC index, raw value], ...]}``."""
    for version in (4, 6):
        pairs = _nic_addresses(static[version], version)
        setattr(guest, f"static_nic_ipv{version}", pairs)
        setattr(guest, f"static_ipv{version}", usable_addresses([address for _index, address in pairs], version))
    return guest


def _telmate_qemu(instance: ResourceInstance) -> Guest:
    attributes = instance.attributes
    id_node, id_vmid = _telmate_id(attributes)
    static: dict = {4: [], 6: []}
    for index, key in enumerate(_TELMATE_IPCONFIGS):
        for version, value in proxmox_ipconfig_addresses(attributes.get(key)).items():
            static[version].append([index, value])
    ssh_host = attributes.get("ssh_host")
    guest = Guest(
        name=_text(attributes.get("name")),
        kind="qemu",
        terraform_address=instance.address,
        vmid=_int_or_none(attributes.get("vmid")) or id_vmid,
        node=_telmate_node(attributes, id_node),
        tags=split_tags(attributes.get("tags")),
        agent_ipv4=usable_addresses([attributes.get("default_ipv4_address"), ssh_host], 4),
        agent_ipv6=usable_addresses([attributes.get("default_ipv6_address"), ssh_host], 6),
        template=attributes.get("template") is True,
    )
    return _with_nics(guest, static)


def _telmate_lxc(instance: ResourceInstance) -> Guest:
    attributes = instance.attributes
    id_node, id_vmid = _telmate_id(attributes)
    static: dict = {4: [], 6: []}
    for position, network in enumerate(_blocks(attributes.get("network"))):
        index = _nic_index(network.get("name"), position)
        static[4].append([index, network.get("ip")])
        static[6].append([index, network.get("ip6")])
    guest = Guest(
        name=_text(attributes.get("hostname")),
        kind="lxc",
        terraform_address=instance.address,
        vmid=_int_or_none(attributes.get("vmid")) or id_vmid,
        node=_telmate_node(attributes, id_node),
        tags=split_tags(attributes.get("tags")),
        template=attributes.get("template") is True,
    )
    return _with_nics(guest, static)


def _nic_index(name: object, position: int) -> int:
    """The NIC index of a container interface: ``eth1`` is 1; other names keep their position."""
    match = re.fullmatch(r"(?:eth|net)(\d+)", _text(name))
    return int(match.group(1)) if match else position


def _bpg_static(initialization: dict, static: dict) -> None:
    for index, config in enumerate(_blocks(initialization.get("ip_config"))):
        for version in (4, 6):
            static[version].append([index, _first_block(config.get(f"ipv{version}")).get("address")])


def _strings(value: object) -> list:
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _is_virtual(name: object) -> bool:
    return isinstance(name, str) and name.startswith(VIRTUAL_INTERFACE_PREFIXES)


def _bpg_agent_addresses(attributes: dict, version: int) -> list:
    """Guest-agent addresses of a bpg VM, NIC by NIC, without loopback; bridges and tunnels last."""
    names = attributes.get("network_interface_names")
    names = names if isinstance(names, list) else []
    per_interface = attributes.get(f"ipv{version}_addresses")
    per_interface = per_interface if isinstance(per_interface, list) else []
    values: list = []
    virtual: list = []
    for index, addresses in enumerate(per_interface):
        name = names[index] if index < len(names) else None
        if name in LOOPBACK_INTERFACES:
            continue
        (virtual if _is_virtual(name) else values).extend(_strings(addresses))
    return usable_addresses(values + virtual, version)


def _bpg_vm(instance: ResourceInstance) -> Guest:
    attributes = instance.attributes
    initialization = _first_block(attributes.get("initialization"))
    static: dict = {4: [], 6: []}
    _bpg_static(initialization, static)
    guest = Guest(
        name=_text(attributes.get("name")),
        kind="qemu",
        terraform_address=instance.address,
        vmid=_int_or_none(attributes.get("vm_id")) or _int_or_none(attributes.get("id")),
        node=_text(attributes.get("node_name")) or None,
        tags=split_tags(attributes.get("tags")),
        agent_ipv4=_bpg_agent_addresses(attributes, 4),
        agent_ipv6=_bpg_agent_addresses(attributes, 6),
        template=attributes.get("template") is True,
    )
    return _with_nics(guest, static)


def _bpg_container(instance: ResourceInstance) -> Guest:
    attributes = instance.attributes
    initialization = _first_block(attributes.get("initialization"))
    static: dict = {4: [], 6: []}
    _bpg_static(initialization, static)

    def runtime(version: int) -> list:
        addresses = attributes.get(f"ipv{version}")
        if not isinstance(addresses, dict):
            return []
        values: list = []
        virtual: list = []
        for name, value in addresses.items():
            if name not in LOOPBACK_INTERFACES:
                (virtual if _is_virtual(name) else values).extend(_strings(value))
        return usable_addresses(values + virtual, version)

    guest = Guest(
        name=_text(initialization.get("hostname")),
        kind="lxc",
        terraform_address=instance.address,
        vmid=_int_or_none(attributes.get("vm_id")) or _int_or_none(attributes.get("id")),
        node=_text(attributes.get("node_name")) or None,
        tags=split_tags(attributes.get("tags")),
        agent_ipv4=runtime(4),
        agent_ipv6=runtime(6),
        template=attributes.get("template") is True,
    )
    return _with_nics(guest, static)


GUEST_READERS = {
    "proxmox_vm_qemu": _telmate_qemu,
    "proxmox_lxc": _telmate_lxc,
    "proxmox_virtual_environment_vm": _bpg_vm,
    "proxmox_virtual_environment_container": _bpg_container,
}


class GuestReadError(Exception):
    """A guest resource whose attributes cannot be read; the message names the resource."""


def guest_from_instance(instance: ResourceInstance, source: str = "") -> Guest | None:
    """The guest a resource instance describes, or None for resource types that are not Proxmox guests.

    Attributes of an unexpected type are ignored; anything else that stops the reading raises
    GuestReadError naming the resource and ``source``.
    """
    reader = GUEST_READERS.get(instance.type)
    if reader is None:
        return None
    try:
        guest = reader(instance)
    except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
        where = f"{instance.address} in {source}" if source else instance.address
        raise GuestReadError(f"{where}: cannot read the {instance.type} attributes: {exc}") from None
    guest.source = source
    if not guest.name:
        guest.name = f"{guest.kind}-{guest.vmid}" if guest.vmid else instance.address
    return guest
