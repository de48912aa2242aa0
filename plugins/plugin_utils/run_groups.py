# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which inventory hosts are the cluster's servers and agents, whatever the inventory calls its groups.

The one home of the group settings' meaning (k3s_server_group, k3s_agent_group, k3s_cluster_group). The
playbooks' plays run on the groups below; when the settings name other groups, the playbooks' first play puts
those groups' hosts in these, after refusing settings that name no servers or that would make hosts of an
unrelated group of the same name part of the cluster.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError

# The groups the playbooks' plays run on: the default group names.
SERVERS = "server"
AGENTS = "agent"
CLUSTER = "k3s_cluster"


def _members(groups: Any, name: Any) -> list[str] | None:
    """The hosts of one inventory group in the inventory's order; None when there is no such group."""
    if not isinstance(groups, Mapping):
        raise AnsibleFilterError(f"run_groups: pass the inventory's groups (groups), not {type(groups).__name__}")
    found = groups.get(str(name))
    if found is None:
        return None
    if isinstance(found, str) or not isinstance(found, Sequence):
        raise AnsibleFilterError(f"run_groups: group {name!r} is not a list of hosts")
    return list(dict.fromkeys(str(host) for host in found))


def _cluster(groups: Any, server_group: str, agent_group: str, cluster_group: str) -> dict[str, list[str]]:
    """The hosts each play group must hold: servers; agents that are not servers; every one of them and the
    cluster group's other hosts."""
    servers = _members(groups, server_group) or []
    agents = [host for host in _members(groups, agent_group) or [] if host not in servers]
    others = [host for host in _members(groups, cluster_group) or [] if host not in servers and host not in agents]
    return {SERVERS: servers, AGENTS: agents, CLUSTER: servers + agents + others}


def run_groups(groups: Any, server_group: str, agent_group: str, cluster_group: str) -> list[dict[str, Any]]:
    """The hosts to add to the play groups, servers first, then agents, then the cluster group's other hosts,
    each in its group's order: ``{'name': host, 'groups': [the play groups it is missing from]}``. Empty when
    the inventory uses the default names. A host in both the server and the agent group is a server (the roles
    refuse that inventory with the reason)."""
    wanted = _cluster(groups, server_group, agent_group, cluster_group)
    present = {group: set(_members(groups, group) or []) for group in wanted}
    plan: list[dict[str, Any]] = []
    for host in wanted[CLUSTER]:
        missing = [group for group, hosts in wanted.items() if host in hosts and host not in present[group]]
        if missing:
            plan.append({"name": host, "groups": missing})
    return plan


def run_group_problems(groups: Any, server_group: str, agent_group: str, cluster_group: str) -> list[str]:
    """Why the group settings cannot name the cluster's hosts; empty when they can. The server group must
    exist and hold a host (a cluster may have no agents, and without a cluster group the cluster is its
    servers and agents). A group with a play group's name that holds hosts the settings leave out is refused:
    the plays would run on them."""
    servers = _members(groups, server_group)
    if not servers:
        named = ", ".join(sorted(str(name) for name in groups if name not in ("all", "ungrouped"))) or "none"
        state = "has no group" if servers is None else "has an empty group"
        return [
            f"k3s_server_group: the inventory {state} {server_group!r} (its groups: {named}). Set k3s_server_group "
            f"(and k3s_agent_group, k3s_cluster_group) in group_vars/all to the names your inventory uses, or put "
            f"the servers in a group {server_group!r}."
        ]
    wanted = _cluster(groups, server_group, agent_group, cluster_group)
    settings = {
        SERVERS: ("k3s_server_group", server_group),
        AGENTS: ("k3s_agent_group", agent_group),
        CLUSTER: ("k3s_cluster_group", cluster_group),
    }
    problems = []
    for group, (setting, name) in settings.items():
        strangers = [host for host in _members(groups, group) or [] if host not in wanted[group]]
        if name != group and strangers:
            problems.append(
                f"{setting} is {name!r}, but the inventory also has a group {group!r} with {', '.join(strangers)}: "
                f"the playbooks run on the group {group!r}, so those hosts would be made part of the cluster. "
                f"Rename that group, or set {setting}: {group}."
            )
    return problems


def takeover_serial(hosts: Any, hostvars: Any) -> int:
    """The batch size of the takeover play: 1 (one node at a time) when any of ``hosts`` is to be taken over
    (its ``__k3s_adopt_plan.takeover``, decided by the adopt check), else 0, one batch in which every host
    skips the takeover."""
    if isinstance(hosts, str) or not isinstance(hosts, Sequence):
        raise AnsibleFilterError(f"takeover_serial: pass a list of hosts, not {type(hosts).__name__}")
    for host in hosts:
        try:
            plan = hostvars[host].get("__k3s_adopt_plan")
        except (KeyError, TypeError, AttributeError):
            continue
        if isinstance(plan, Mapping) and plan.get("takeover") is True:
            return 1
    return 0
