# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hosts, addresses and groups of the k3s inventory, planned from guests and declared hosts and groups."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Optional

from ansible_collections.homelab.k3s.plugins.plugin_utils.ansible_resources import DeclaredGroup, DeclaredHost
from ansible_collections.homelab.k3s.plugins.plugin_utils.ip_addresses import usable_address
from ansible_collections.homelab.k3s.plugins.plugin_utils.proxmox_resources import Guest

CLUSTER_GROUP = "k3s_cluster"
SERVER_GROUP = "server"
AGENT_GROUP = "agent"
_UNSAFE_GROUP_CHARACTERS = re.compile(r"[^A-Za-z0-9_]")


class InventoryBuildError(Exception):
    """The state cannot become an inventory: duplicate names, or (with strict) a host without address."""


@dataclass
class InventorySettings:
    ip_version: int = 4
    server_tags: frozenset = frozenset({"k3s-server"})
    agent_tags: frozenset = frozenset({"k3s-agent"})
    server_name_pattern: Optional[re.Pattern] = None
    agent_name_pattern: Optional[re.Pattern] = None
    node_group_prefix: Optional[str] = "proxmox_node_"
    tag_group_prefix: Optional[str] = "proxmox_tag_"
    strict: bool = False


@dataclass
class HostPlan:
    origin: str  # the Terraform address the host came from
    variables: dict
    groups: list = field(default_factory=list)
    needs_address: bool = False


@dataclass
class GroupPlan:
    variables: dict = field(default_factory=dict)
    children: list = field(default_factory=list)


@dataclass
class InventoryPlan:
    hosts: dict = field(default_factory=dict)
    groups: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)

    def group(self, name: str) -> GroupPlan:
        return self.groups.setdefault(name, GroupPlan())


def safe_group_name(name: str) -> str:
    """A group name Ansible accepts: characters other than letters, digits and ``_`` become ``_``."""
    safe = _UNSAFE_GROUP_CHARACTERS.sub("_", name)
    return f"_{safe}" if safe[:1].isdigit() else safe


def guest_variables(guest: Guest) -> dict:
    """Host variables describing a guest; the state's other attributes (secrets among them) stay out."""
    return {
        "proxmox_name": guest.name,
        "proxmox_vmid": guest.vmid,
        "proxmox_node": guest.node,
        "proxmox_tags": list(guest.tags),
        "proxmox_guest_type": guest.kind,
        "proxmox_static_ipv4": list(guest.static_ipv4),
        "proxmox_static_ipv6": list(guest.static_ipv6),
        "proxmox_agent_ipv4": list(guest.agent_ipv4),
        "proxmox_agent_ipv6": list(guest.agent_ipv6),
        "terraform_address": guest.terraform_address,
    }


def k3s_role(guest: Guest, settings: InventorySettings) -> tuple:
    """``(server|agent|None, both matched)``, from the guest's tags first, then its name.

    A guest matching both is a server: k3s servers run workloads too.
    """
    tags = set(guest.tags)
    server = bool(tags & settings.server_tags)
    agent = bool(tags & settings.agent_tags)
    if not (server or agent):
        server = bool(settings.server_name_pattern and settings.server_name_pattern.search(guest.name))
        agent = bool(settings.agent_name_pattern and settings.agent_name_pattern.search(guest.name))
    role = SERVER_GROUP if server else AGENT_GROUP if agent else None
    return role, server and agent


def _address(guest: Guest, variables: dict, settings: InventorySettings, fallback) -> str | None:
    """The static address first, then the guest agent's, then the configured fallback."""
    for source in ("static", "agent"):
        found = guest.addresses(source, settings.ip_version)
        if found:
            return found[0]
    if fallback is None:
        return None
    value = fallback(variables)
    if not value:
        return None
    value = str(value).strip()
    address = usable_address(value, settings.ip_version)
    if address is None and "/" in value:
        return None  # a CIDR that is no usable address
    return address or value


def _add_guest(plan: InventoryPlan, guest: Guest, settings: InventorySettings, host_name, fallback) -> None:
    variables = guest_variables(guest)
    name = str(host_name(variables) if host_name else guest.name).strip()
    if not name:
        raise InventoryBuildError(f"{guest.terraform_address}: the host name template gave an empty name")
    if name in plan.hosts:
        raise InventoryBuildError(
            f"duplicate host name {name!r}: {plan.hosts[name].origin} and {guest.terraform_address} "
            "(rename a VM or set a hostname template)"
        )
    address = _address(guest, dict(variables, inventory_hostname=name), settings, fallback)
    if address:
        variables["ansible_host"] = address
    groups = []
    role, both = k3s_role(guest, settings)
    if both:
        plan.warnings.append(f"{name}: matches both the server and the agent role; it joins {SERVER_GROUP}")
    if role:
        groups.append(role)
    if settings.node_group_prefix is not None and guest.node:
        groups.append(safe_group_name(f"{settings.node_group_prefix}{guest.node}"))
    if settings.tag_group_prefix is not None:
        groups.extend(safe_group_name(f"{settings.tag_group_prefix}{tag}") for tag in guest.tags)
    plan.hosts[name] = HostPlan(guest.terraform_address, variables, groups, needs_address=not address)


def build_inventory(
    guests: list,
    declared_hosts: list,
    declared_groups: list,
    settings: InventorySettings,
    host_name: Callable[[dict], str] | None = None,
    address_fallback: Callable[[dict], str] | None = None,
) -> InventoryPlan:
    """Plan the inventory. Declared hosts named like a guest add their groups and variables to it."""
    plan = InventoryPlan()
    cluster = plan.group(CLUSTER_GROUP)
    cluster.children.extend([SERVER_GROUP, AGENT_GROUP])
    plan.group(SERVER_GROUP)
    plan.group(AGENT_GROUP)
    for guest in guests:
        if guest.template:
            continue
        _add_guest(plan, guest, settings, host_name, address_fallback)

    declared_names: dict = {}
    for declared in declared_hosts:
        if declared.name in declared_names:
            both = f"{declared_names[declared.name]} and {declared.terraform_address}"
            raise InventoryBuildError(f"duplicate host name {declared.name!r}: {both}")
        declared_names[declared.name] = declared.terraform_address
        host = plan.hosts.get(declared.name)
        if host is None:
            host = plan.hosts[declared.name] = HostPlan(declared.terraform_address, {})
        host.variables.update(declared.variables)
        host.groups.extend(group for group in declared.groups if group not in host.groups)
        if host.variables.get("ansible_host"):
            host.needs_address = False

    for declared in declared_groups:
        group = plan.group(declared.name)
        group.variables.update(declared.variables)
        group.children.extend(child for child in declared.children if child not in group.children)

    for name in [name for name, host in plan.hosts.items() if host.needs_address]:
        message = f"{name} ({plan.hosts[name].origin}): no IPv{settings.ip_version} address in the state"
        if settings.strict:
            raise InventoryBuildError(message)
        plan.warnings.append(f"{message}; host skipped (set address_fallback or proxmox_api_enrichment)")
        del plan.hosts[name]
    for host in plan.hosts.values():
        for group in host.groups:
            plan.group(group)
    return plan


def declared_from_dicts(hosts: list, groups: list) -> tuple[list, list]:
    """Declared hosts and groups back from their cached form."""
    return [DeclaredHost(**host) for host in hosts], [DeclaredGroup(**group) for group in groups]
