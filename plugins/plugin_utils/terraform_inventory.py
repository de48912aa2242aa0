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


ADDRESS_SOURCES = ("primary_static", "agent", "static")
Template = Callable[[dict], str]  # renders a template over host variables
NAME_CONFLICT_POLICIES = ("rename_host", "fail")


class InventoryBuildError(Exception):
    """The state cannot become an inventory: with strict, a duplicate name or a host without address."""


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
    address_precedence: tuple = ADDRESS_SOURCES
    primary_nic: int = 0
    merge_short_names: bool = True
    name_conflicts: str = "rename_host"


@dataclass
class HostPlan:
    origin: str  # the Terraform address the host came from, and its file when known
    variables: dict
    groups: list = field(default_factory=list)
    needs_address: bool = False
    guest: bool = False  # made from a Proxmox guest, not only from an ansible_host resource


@dataclass
class GroupPlan:
    variables: dict = field(default_factory=dict)
    children: list = field(default_factory=list)


@dataclass
class InventoryPlan:
    hosts: dict = field(default_factory=dict)
    groups: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    group_origins: dict = field(default_factory=dict)  # group name -> what made it, for messages

    def group(self, name: str) -> GroupPlan:
        return self.groups.setdefault(name, GroupPlan())

    def note_group(self, name: str, origin: str) -> None:
        self.group_origins.setdefault(name, origin)


def where(terraform_address: str, source: str = "") -> str:
    """``<resource address> in <file>``, or the bare address when the file is not known."""
    return f"{terraform_address} in {source}" if source else terraform_address


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


def _candidate(guest: Guest, entry: str, settings: InventorySettings) -> str | None:
    version = settings.ip_version
    if entry == "primary_static":
        return guest.nic_address(settings.primary_nic, version)
    found = guest.addresses("static" if entry == "static" else "agent", version)
    return found[0] if found else None


def _rendered_fallback(fallback: Template, variables: dict, version: int) -> str | None:
    value = fallback(variables)
    if not value:
        return None
    value = str(value).strip()
    address = usable_address(value, version)
    if address is None and "/" in value:
        return None  # a CIDR that is no usable address
    return address or value


def choose_address(
    guest: Guest, variables: dict, settings: InventorySettings, fallback: Template | None = None
) -> tuple[str | None, str | None, str | None]:
    """``(address or None, what gave it, warning or None)``, trying ``address_precedence`` in order.

    The warning says when the primary NIC's static address is not among the guest agent's addresses.
    """
    version = settings.ip_version
    address = chosen_by = None
    for entry in settings.address_precedence:
        address = _candidate(guest, entry, settings)
        if address:
            chosen_by = entry
            break
    if address is None and fallback is not None:
        address = _rendered_fallback(fallback, variables, version)
        chosen_by = "address_fallback" if address else None
    warning = None
    primary = guest.nic_address(settings.primary_nic, version)
    agent = guest.addresses("agent", version)
    if primary and agent and primary not in agent:
        warning = (
            f"the static address {primary} of NIC {settings.primary_nic} is not among the guest agent's "
            f"addresses {', '.join(agent)}; ansible_host is {address} (from {chosen_by}; set address_precedence "
            "to choose)"
        )
    return address, chosen_by, warning


def _add_guest(
    plan: InventoryPlan,
    guest: Guest,
    settings: InventorySettings,
    host_name: Template | None,
    fallback: Template | None,
) -> None:
    variables = guest_variables(guest)
    origin = where(guest.terraform_address, guest.source)
    name = str(host_name(variables) if host_name else guest.name).strip()
    if not name:
        raise InventoryBuildError(f"{origin}: the host name template gave an empty name")
    if name in plan.hosts:
        _duplicate(plan, name, origin, settings, "rename a VM or set a hostname template")
        return
    template_variables = dict(variables, inventory_hostname=name, name=guest.name)
    address, _chosen_by, disagreement = choose_address(guest, template_variables, settings, fallback)
    if disagreement:
        plan.warnings.append(f"{name} ({origin}): {disagreement}")
    if address:
        variables["ansible_host"] = address
    groups = []
    role, both = k3s_role(guest, settings)
    if both:
        plan.warnings.append(f"{name} ({origin}): matches both the server and the agent role; it joins {SERVER_GROUP}")
    if role:
        groups.append(role)
    if settings.node_group_prefix is not None and guest.node:
        group = safe_group_name(f"{settings.node_group_prefix}{guest.node}")
        groups.append(group)
        plan.note_group(group, f"the node group of {origin}")
    if settings.tag_group_prefix is not None:
        for tag in guest.tags:
            group = safe_group_name(f"{settings.tag_group_prefix}{tag}")
            groups.append(group)
            plan.note_group(group, f"a tag group of {origin}")
    plan.hosts[name] = HostPlan(origin, variables, groups, needs_address=not address, guest=True)


def _duplicate(plan: InventoryPlan, name: str, origin: str, settings: InventorySettings, advice: str) -> None:
    message = f"duplicate host name {name!r}: {plan.hosts[name].origin} and {origin}"
    if settings.strict:
        raise InventoryBuildError(f"{message} ({advice})")
    plan.warnings.append(f"{message}; the second is skipped ({advice})")


def _is_address(name: str) -> bool:
    return usable_address(name, 4) is not None or usable_address(name, 6) is not None


def _short_name_index(plan: InventoryPlan) -> dict:
    """First DNS label -> guest host names with it, for hosts named by a plain or fully qualified name."""
    index: dict = {}
    for name, host in plan.hosts.items():
        if host.guest and not _is_address(name):
            index.setdefault(name.split(".", 1)[0], []).append(name)
    return index


def _merge_target(plan: InventoryPlan, declared: DeclaredHost, short_names: dict) -> str | None:
    """The guest host a declared host named ``k3s-1.home.arpa`` (or ``k3s-1``) stands for, if just one."""
    name = declared.name
    if _is_address(name):
        return None
    matches = [
        candidate
        for candidate in short_names.get(name.split(".", 1)[0], [])
        if "." not in candidate or "." not in name  # a short name and a qualified one, never two domains
    ]
    return matches[0] if len(matches) == 1 else None


def _add_declared_hosts(plan: InventoryPlan, declared_hosts: list, settings: InventorySettings) -> None:
    declared_names: dict = {}
    short_names = _short_name_index(plan) if settings.merge_short_names else {}
    for declared in declared_hosts:
        origin = where(declared.terraform_address, declared.source)
        if declared.name in declared_names:
            message = f"duplicate host name {declared.name!r}: {declared_names[declared.name]} and {origin}"
            if settings.strict:
                raise InventoryBuildError(message)
            plan.warnings.append(f"{message}; the second is skipped")
            continue
        declared_names[declared.name] = origin
        name = declared.name
        host = plan.hosts.get(name)
        if host is None and settings.merge_short_names:
            target = _merge_target(plan, declared, short_names)
            if target is not None:
                name, host = target, plan.hosts[target]
                if "." in declared.name and not host.variables.get("ansible_host"):
                    host.variables["ansible_host"] = declared.name  # a DNS name for a guest the state has no address of
        if host is None:
            host = plan.hosts[name] = HostPlan(origin, {})
        host.variables.update(declared.variables)
        for group in declared.groups:
            plan.note_group(group, f"the groups of {origin}")
            if group not in host.groups:
                host.groups.append(group)
        if host.variables.get("ansible_host"):
            host.needs_address = False


def _group_names(plan: InventoryPlan) -> set:
    names = set(plan.groups)
    for group in plan.groups.values():
        names.update(group.children)
    for host in plan.hosts.values():
        names.update(host.groups)
    return names


def _resolve_name_conflicts(plan: InventoryPlan, settings: InventorySettings) -> None:
    """Ansible cannot hold a host and a group of one name: the host would vanish into the group."""
    groups = _group_names(plan)
    conflicts = [name for name in plan.hosts if name in groups]
    if not conflicts:
        return
    renamed: dict = {}
    for name in conflicts:
        host = plan.hosts[name]
        made_by = plan.group_origins.get(name, "the k3s inventory" if name in _K3S_GROUPS else "the configuration")
        message = f"host {name!r} ({host.origin}) has the name of the group {name!r} (made by {made_by})"
        if settings.strict or settings.name_conflicts == "fail":
            raise InventoryBuildError(f"{message}: rename the VM, the host or the group, or set a hostname template")
        new_name = f"{name}-host"
        number = 2
        while new_name in plan.hosts or new_name in groups or new_name in renamed.values():
            new_name = f"{name}-host-{number}"
            number += 1
        renamed[name] = new_name
        plan.warnings.append(
            f"{message}: the host is renamed {new_name!r} (rename the VM, the host or the group, set a hostname "
            "template, or set name_conflicts to fail)"
        )
    plan.hosts = {renamed.get(name, name): host for name, host in plan.hosts.items()}


def _warn_shared_addresses(plan: InventoryPlan) -> None:
    holders: dict = {}
    for name, host in plan.hosts.items():
        address = host.variables.get("ansible_host")
        if isinstance(address, str) and address:
            holders.setdefault(address, []).append(f"{name} ({host.origin})")
    for address, names in holders.items():
        if len(names) > 1:
            plan.warnings.append(f"{address} is the ansible_host of {len(names)} hosts: {', '.join(names)}")


_K3S_GROUPS = (CLUSTER_GROUP, SERVER_GROUP, AGENT_GROUP)


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

    _add_declared_hosts(plan, declared_hosts, settings)

    for declared in declared_groups:
        group = plan.group(declared.name)
        plan.note_group(declared.name, where(declared.terraform_address, declared.source))
        group.variables.update(declared.variables)
        for child in declared.children:
            plan.note_group(child, f"the children of {where(declared.terraform_address, declared.source)}")
            if child not in group.children:
                group.children.append(child)

    for name in [name for name, host in plan.hosts.items() if host.needs_address]:
        message = f"{name} ({plan.hosts[name].origin}): no IPv{settings.ip_version} address in the state"
        if settings.strict:
            raise InventoryBuildError(message)
        plan.warnings.append(f"{message}; host skipped (set address_fallback or proxmox_api_enrichment)")
        del plan.hosts[name]
    _resolve_name_conflicts(plan, settings)
    _warn_shared_addresses(plan)
    for host in plan.hosts.values():
        for group in host.groups:
            plan.group(group)
    return plan


def empty_role_warning(servers: int, agents: int, hosts: int, sources: list, settings: InventorySettings) -> str | None:
    """A warning when the inventory has hosts but no server (and maybe no agent), naming the sources."""
    if not hosts or servers:
        return None
    empty = f"the groups {SERVER_GROUP} and {AGENT_GROUP} are" if not agents else f"the group {SERVER_GROUP} is"
    patterns = ", ".join(
        f"{option} {pattern.pattern!r}"
        for option, pattern in (
            ("server_name_pattern", settings.server_name_pattern),
            ("agent_name_pattern", settings.agent_name_pattern),
        )
        if pattern is not None
    )
    rules = f"server_tags {sorted(settings.server_tags)}, agent_tags {sorted(settings.agent_tags)}"
    return (
        f"{empty} empty: none of the {hosts} hosts from {', '.join(sources) or 'the sources'} has a role tag "
        f"({rules}) or a name matching {patterns or 'server_name_pattern / agent_name_pattern (unset)'}; "
        "set those options, or put hosts into the groups with ansible_host groups, groups or keyed_groups"
    )


def declared_from_dicts(hosts: list, groups: list) -> tuple[list, list]:
    """Declared hosts and groups back from their cached form."""
    return [DeclaredHost(**host) for host in hosts], [DeclaredGroup(**group) for group in groups]
