# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of the maintenance role's playbooks before they change anything: what a node removal, an
upgrade or a restore would do and why it must not start, and which nodes a wait still waits for
(removal_plan, upgrade_problems, upgrade_plan, restore_problems, node_names and nodes_pending filters)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.homelab.k3s.plugins.plugin_utils.filter_input import checked_settings
from ansible_collections.homelab.k3s.plugins.plugin_utils.k3s_versions import k3s_version
from ansible_collections.homelab.k3s.plugins.plugin_utils.kubectl_json import node_summaries
from ansible_collections.homelab.k3s.plugins.plugin_utils.node_identity import host_vars
from ansible_collections.homelab.k3s.plugins.plugin_utils.node_identity import node_name as _node_name


def node_name(hostvars: Any, host: str) -> str:
    """The node name of an inventory host, by the one rule of node_identity."""
    return _node_name(host_vars(hostvars, host), host)


REMOVAL_SETTINGS = (
    "target",
    "inventory_hosts",
    "play_hosts",
    "servers",
    "kubectl_host",
    "nodes",
    "confirm",
    "reset",
    "allow_even",
    "drain",
    "check_mode",
)
UPGRADE_SETTINGS = (
    "version",
    "servers",
    "agents",
    "server_group",
    "kubectl_host",
    "nodes",
    "check_mode",
    "allow_downgrade",
    "allow_minor_skip",
)
UPGRADE_PLAN_SETTINGS = ("version", "servers", "agents", "play_hosts", "nodes")
RESTORE_SETTINGS = (
    "snapshot",
    "source",
    "confirm",
    "check_mode",
    "servers",
    "play_hosts",
    "first_server",
    "server_group",
    "data_dir",
    "stats",
    "known",
    "node_path",
    "controller_dir",
    "controller_stat",
    "s3",
    "token",
    "server_token",
)
RESTORE_SOURCES = ("node", "controller", "s3")


def _hosts(value: object, filter_name: str, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise AnsibleFilterError(f"{filter_name}: {what} must be a list of host names, got {type(value).__name__}")
    return [str(host) for host in value]


def _flag(value: object, filter_name: str, key: str) -> bool:
    try:
        return boolean(value, strict=True)
    except TypeError as exc:
        raise AnsibleFilterError(f"{filter_name}: {key} must be a boolean, got {value!r}") from exc


def _result(value: object) -> Mapping[str, Any]:
    """A registered result; a skipped or missing one is empty."""
    return value if isinstance(value, Mapping) else {}


def _listed_nodes(result: Mapping[str, Any], filter_name: str) -> list[dict]:
    """The nodes in a registered `kubectl get nodes -o json` result; none when the command printed nothing."""
    stdout = result.get("stdout")
    return node_summaries(stdout, filter_name) if stdout else []


# -- remove_node.yml ---------------------------------------------------------------------------------------


def _removal_problems(s: Mapping[str, Any], node: str, members: list[str], ready: set[str]) -> list[str]:
    target, nodes = s["target"], _result(s["nodes"])
    servers = _hosts(s["servers"], "removal_plan", "servers")
    if not target:
        return ["remove_node.yml needs the inventory name of the node to remove: -e maintenance_remove_node=<host>."]
    if target not in _hosts(s["inventory_hosts"], "removal_plan", "inventory_hosts"):
        return [f"{target} is not in the inventory."]
    if target not in _hosts(s["play_hosts"], "removal_plan", "play_hosts"):
        return [f"{target} is not a host of this play (--limit?)."]
    problems = []
    if not _flag(s["confirm"], "removal_plan", "confirm") and not s["check_mode"]:
        problems.append(
            f"Removing {target} drains it, deletes its node"
            + (" and its etcd member" if node in members else "")
            + (" and resets the host (its k3s data is gone)" if _flag(s["reset"], "removal_plan", "reset") else "")
            + ". Run again with -e maintenance_remove_confirm=true to go ahead, or with --check to see the plan."
        )
    members_after = [member for member in members if member != node]
    ready_after = [member for member in members_after if member in ready]
    if target in servers and not [server for server in servers if server != target]:
        problems.append(
            f"{target} is the last server: removing it ends the cluster. Use reset.yml to tear the whole cluster down."
        )
    elif not s["kubectl_host"]:
        problems.append("No server is left to run kubectl on.")
    elif nodes.get("rc", 1) != 0:
        problems.append(
            f"Cannot read the nodes on {s['kubectl_host']} ({str(nodes.get('stderr') or '').strip() or 'no answer'}):"
            " the removal needs the cluster's view of its members."
        )
    elif node in members:
        if not members_after:
            problems.append(f"{node} is the last etcd member: removing it ends the cluster.")
        elif len(ready_after) <= len(members_after) // 2:
            problems.append(
                f"Without {node}, etcd would have {len(members_after)} members of which {len(ready_after)} are Ready"
                f" ({', '.join(ready_after) or 'none'}): not a quorum. Bring the other servers back first."
            )
        elif len(members_after) % 2 == 0 and not _flag(s["allow_even"], "removal_plan", "allow_even"):
            problems.append(
                f"Removing {node} leaves etcd with {len(members_after)} members ({len(members)} -> "
                f"{len(members_after)}): an even count tolerates no more failures than one member fewer, and 2 "
                "members tolerate none. Add a server first, or set maintenance_remove_allow_even: true if this is "
                "meant (while replacing a server)."
            )
    return problems


def removal_plan(settings: Mapping[str, Any], hostvars: Mapping[str, Any]) -> dict[str, Any]:
    """What removing ``settings['target']`` means for the cluster: its node name, whether the cluster lists it,
    the etcd members left, the problems that refuse the removal and the plan's lines."""
    s = checked_settings(settings, REMOVAL_SETTINGS, "removal_plan")
    target = str(s["target"] or "")
    node = node_name(hostvars, target)
    listed = _listed_nodes(_result(s["nodes"]), "removal_plan")
    names = [item["name"] for item in listed]
    members = [item["name"] for item in listed if "etcd" in item["roles"]]
    ready = {item["name"] for item in listed if item["ready"]}
    members_after = [member for member in members if member != node]
    problems = _removal_problems({**s, "target": target}, node, members, ready)
    plan = ["Check mode: nothing is changed. The removal would:"] if s["check_mode"] else []
    if node in names:
        if _flag(s["drain"], "removal_plan", "drain"):
            plan.append(f"cordon and drain {node} (kubectl on {s['kubectl_host']})")
        service = "k3s" if target in _hosts(s["servers"], "removal_plan", "servers") else "k3s-agent"
        plan.append(f"stop {service} on {target}")
        plan.append(
            f"delete the node {node}"
            + (
                f", which removes its etcd member: {len(members)} -> {len(members_after)} members"
                if node in members
                else ""
            )
        )
    else:
        plan.append(f"{node} is not a node of the cluster (any more)")
    if _flag(s["reset"], "removal_plan", "reset"):
        plan.append(f"reset {target}: remove k3s, its data and its network leftovers")
    return {"node": node, "listed": node in names, "members_after": members_after, "problems": problems, "plan": plan}


# -- upgrade.yml -------------------------------------------------------------------------------------------


def _version_problems(s: Mapping[str, Any], target: str, listed: list[dict]) -> list[str]:
    wanted = k3s_version(target)
    problems = [
        f"Node {item['name']} is not Ready: an upgrade restarts every node, start with a healthy cluster (fix or "
        f"remove {item['name']} first)."
        for item in listed
        if not item["ready"]
    ]
    if wanted is None:
        return problems
    newer: list[str] = []
    skipping: list[dict[str, str]] = []
    for item in listed:
        current = k3s_version(item["version"])
        if current is None:
            continue
        if wanted < current and not _flag(s["allow_downgrade"], "upgrade_problems", "allow_downgrade"):
            newer.append(f"{item['name']} ({item['version']})")
        elif (
            wanted.major == current.major
            and wanted.minor > current.minor + 1
            and not _flag(s["allow_minor_skip"], "upgrade_problems", "allow_minor_skip")
        ):
            skipping.append({"name": item["name"], "version": item["version"], "next": current.next_minor})
    if newer:
        problems.append(
            f"{', '.join(newer)} {'runs' if len(newer) == 1 else 'run'} a newer version than {target}: Kubernetes"
            " does not support downgrades (restore a pre-upgrade snapshot instead);"
            " maintenance_upgrade_allow_downgrade: true forces it."
        )
    if skipping:
        versions = list(dict.fromkeys(entry["version"] for entry in skipping))
        steps = list(dict.fromkeys(entry["next"] for entry in skipping))
        problems.append(
            f"{', '.join(entry['name'] for entry in skipping)} would skip a minor version ({', '.join(versions)}"
            f" -> {target}): Kubernetes upgrades one minor version at a time, so go to {', '.join(steps)} first"
            " (maintenance_upgrade_allow_minor_skip: true forces it)."
        )
    return problems


def upgrade_problems(settings: Mapping[str, Any]) -> list[str]:
    """One message per reason not to start the upgrade to ``settings['version']``; empty when there is none."""
    s = checked_settings(settings, UPGRADE_SETTINGS, "upgrade_problems")
    target = "" if s["version"] is None else str(s["version"])
    nodes = _result(s["nodes"])
    problems = []
    if k3s_version(target) is None:
        problems.append(
            f"k3s_version '{target}' is not a pinned k3s release such as v1.32.1+k3s1: set it in the inventory"
            " or with -e k3s_version=..."
        )
    agents = set(_hosts(s["agents"], "upgrade_problems", "agents"))
    both = list(dict.fromkeys(host for host in _hosts(s["servers"], "upgrade_problems", "servers") if host in agents))
    if both:
        problems.append(f"{', '.join(both)} in both the server and the agent group: a node is one or the other.")
    if not s["kubectl_host"]:
        problems.append(f"The group '{s['server_group']}' has no hosts.")
    elif nodes.get("rc", 1) != 0:
        if not s["check_mode"]:
            answer = str(nodes.get("stderr") or "").strip() or str(nodes.get("msg") or "")
            problems.append(
                f"Cannot read the nodes on {s['kubectl_host']} ({answer}): upgrade.yml upgrades a running cluster,"
                " site.yml builds one."
            )
    elif k3s_version(target) is not None:
        problems.extend(_version_problems(s, target, _listed_nodes(nodes, "upgrade_problems")))
    return problems


def upgrade_plan(settings: Mapping[str, Any], hostvars: Mapping[str, Any]) -> list[dict[str, str]]:
    """The hosts of the play whose node does not run ``settings['version']`` yet, servers first: host, node,
    from (the version it runs, empty when it is no node) and the plan's line."""
    s = checked_settings(settings, UPGRADE_PLAN_SETTINGS, "upgrade_plan")
    nodes = _result(s["nodes"])
    versions = (
        {item["name"]: item["version"] for item in _listed_nodes(nodes, "upgrade_plan")} if nodes.get("rc") == 0 else {}
    )
    servers = _hosts(s["servers"], "upgrade_plan", "servers")
    in_play = set(_hosts(s["play_hosts"], "upgrade_plan", "play_hosts"))
    hosts = servers + [host for host in _hosts(s["agents"], "upgrade_plan", "agents") if host not in servers]
    plan = []
    for host in hosts:
        if host not in in_play:
            continue
        node = node_name(hostvars, host)
        current = versions.get(node, "")
        if current != s["version"]:
            line = f"  {host}: {current or 'not a node yet'} -> {s['version']}"
            plan.append({"host": host, "node": node, "from": current, "line": line})
    return plan


# -- wait_nodes.yml ----------------------------------------------------------------------------------------


def node_names(hosts: object, hostvars: Mapping[str, Any]) -> list[str]:
    """The node name k3s registers for each of ``hosts``, in their order."""
    return [node_name(hostvars, host) for host in _hosts(hosts, "node_names", "the input")]


def nodes_pending(nodes: object, names: object, version: str = "") -> list[str]:
    """The nodes of ``names`` that `kubectl get nodes -o json` does not list as Ready (or, with ``version``, as
    running it); every name when the output is empty (kubectl did not answer)."""
    listed = node_summaries(nodes, "nodes_pending") if nodes else []
    done = {item["name"] for item in listed if item["ready"] and (not version or item["version"] == version)}
    return [name for name in _hosts(names, "nodes_pending", "names") if name not in done]


# -- restore.yml -------------------------------------------------------------------------------------------


def _exists(result: object) -> bool:
    stat = _result(result).get("stat")
    return bool(stat.get("exists")) if isinstance(stat, Mapping) else False


def _request_problems(s: Mapping[str, Any]) -> list[str]:
    snapshot, source, first = str(s["snapshot"] or ""), s["source"], s["first_server"]
    problems = []
    if not snapshot:
        problems.append(
            "restore.yml needs the full name of the snapshot to restore: -e maintenance_restore_snapshot=<name>"
            " (list them with `k3s etcd-snapshot ls` on a server or the homelab.k3s.etcd_snapshot_info module)."
        )
    elif "/" in snapshot and (source != "node" or not snapshot.startswith("/")):
        problems.append(
            "maintenance_restore_snapshot is the name of a snapshot (or, with maintenance_restore_source node, an"
            f" absolute path on {first}), not '{snapshot}'."
        )
    if not _flag(s["confirm"], "restore_problems", "confirm") and not s["check_mode"]:
        problems.append(
            "A restore replaces the state of the whole cluster with the snapshot's and restarts every node. Run again"
            " with -e maintenance_restore_confirm=true to go ahead, or with --check to see the plan."
        )
    if source not in RESTORE_SOURCES:
        problems.append(f"maintenance_restore_source is node, controller or s3, not '{source}'.")
    in_play = set(_hosts(s["play_hosts"], "restore_problems", "play_hosts"))
    missing = [host for host in _hosts(s["servers"], "restore_problems", "servers") if host not in in_play]
    if missing:
        problems.append(f"restore.yml runs on every server at once; {', '.join(missing)} are left out (--limit?).")
    return problems


def restore_problems(settings: Mapping[str, Any]) -> list[str]:
    """One message per reason not to restore ``settings['snapshot']``; empty when there is none.

    ``stats`` are the registered stat results of the first server's etcd directory, reset flag, token file and
    the snapshot's path there, in that order.
    """
    s = checked_settings(settings, RESTORE_SETTINGS, "restore_problems")
    stats = s["stats"]
    if not isinstance(stats, list) or len(stats) != 4:
        raise AnsibleFilterError(
            "restore_problems: stats must be the 4 stat results (etcd, reset flag, token, snapshot)"
        )
    snapshot, source, first, data_dir = str(s["snapshot"] or ""), s["source"], s["first_server"], s["data_dir"]
    problems = _request_problems(s)
    if not first:
        problems.append(f"The group '{s['server_group']}' has no hosts.")
    elif not _exists(stats[0]):
        problems.append(
            f"{first} has no {data_dir}/server/db/etcd: the cluster does not run embedded etcd (SQLite or an"
            " external datastore), so there is no etcd snapshot to restore. Back up server/db or the external"
            " database instead."
        )
    if _exists(stats[1]):
        problems.append(
            f"{first} has {_result(stats[1]).get('item')}: a cluster reset ran and k3s was not started since."
            " Start k3s there (systemctl start k3s) or delete the file, then run restore.yml again."
        )
    if snapshot and source == "node" and not _exists(stats[3]):
        known = [
            str(entry.get("name"))
            for entry in _result(s["known"]).get("snapshots") or []
            if isinstance(entry, Mapping) and entry.get("kind") == "local"
        ]
        problems.append(
            f"The snapshot {s['node_path']} does not exist on {first}. "
            + (f"Its snapshots: {', '.join(known)}." if known else "It has no snapshots.")
            + " Copy the file there, or set maintenance_restore_source to controller or s3."
        )
    if snapshot and source == "controller" and not _exists(s["controller_stat"]):
        problems.append(
            f"The snapshot {s['controller_dir']}/{snapshot} does not exist on the controller"
            " (maintenance_restore_controller_dir)."
        )
    if source == "s3" and not _result(s["s3"]).get("bucket"):
        problems.append("maintenance_restore_source is s3: set maintenance_restore_s3 (at least its bucket).")
    if not s["token"] and not s["server_token"] and not _exists(stats[2]):
        problems.append(
            f"{first} has no server token ({_result(stats[2]).get('item')}): a restore on a new host needs the"
            " token of the cluster that took the snapshot in maintenance_restore_token."
        )
    return problems
