# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Let the cluster decide: who bootstraps, who joins through whom, and when to refuse.

The input is what ``homelab.k3s.k3s_facts`` read on every server that answered. A server holds a
cluster when it has a server CA (or a datastore of its own); the sha256 of that CA names the cluster.
Only when no server holds one is a cluster bootstrapped; new or rebuilt servers join through a
member that runs; the members keep the ``server``/``cluster-init`` flags and the token they run
with. Servers that hold different clusters, or one cluster with different tokens, stop the run
before anything is changed, with a message naming each host and what it holds.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

from ansible_collections.homelab.k3s.plugins.plugin_utils.node_identity import api_url as join_url
from ansible_collections.homelab.k3s.plugins.plugin_utils.node_settings import get_path as _get
from ansible_collections.homelab.k3s.plugins.plugin_utils.node_settings import read_node

MEMBERSHIP_FLAGS = ("server", "cluster-init")


def _short(digest: str) -> str:
    return digest[:12] if digest else "none"


def cluster_of(facts: Mapping) -> str:
    """The identity of the cluster a server holds: the sha256 of its server CA, else the CA hash of its token."""
    return _get(facts, "ca", "sha256", default="") or _get(facts, "token", "ca_hash", default="") or ""


def holds_cluster(facts: Mapping) -> bool:
    return bool(cluster_of(facts)) or _get(facts, "datastore", "kind", default="none") in ("etcd", "sqlite")


def is_running(facts: Mapping, service: str = "k3s") -> bool:
    return _get(facts, "services", service, "active_state", default="") == "active"


def describe(host: str, facts: Mapping) -> str:
    """What a server holds, in words: 'server1 (cluster CA 0f6b1c0a9e1d, etcd member, token 4c1f..., k3s active)'."""
    parts = []
    cluster = cluster_of(facts)
    parts.append(f"cluster CA {_short(cluster)}" if cluster else "no cluster CA")
    kind = _get(facts, "datastore", "kind", default="none")
    parts.append(
        {"etcd": "etcd member", "sqlite": "SQLite datastore", "external": "external datastore"}.get(
            kind, "no datastore"
        )
    )
    secret = _get(facts, "token", "secret_sha256", default="")
    parts.append(f"token sha256 {_short(secret)}" if secret else "no token file")
    state = _get(facts, "services", "k3s", "active_state", default="") or "unknown"
    parts.append(f"k3s {state}")
    return f"{host} ({', '.join(parts)})"


def _env_token(facts: Mapping, env_file: str) -> Optional[str]:
    """The hashed K3S_TOKEN of the service's env file; None when the file has none."""
    return _get(facts, "env_files", env_file, "keys", "K3S_TOKEN", default=None)


def server_plan(
    facts: Mapping[str, Mapping],
    hosts: Sequence[str],
    datastore: str,
    addresses: Mapping[str, str],
    api_port: int = 6443,
    token_sha256: str = "",
    env_file: str = "/etc/systemd/system/k3s.service.env",
) -> Dict[str, Any]:
    """Decide, for the servers of the inventory, who bootstraps, who joins and through whom.

    facts: k3s_facts results of the servers that answered, by host; hosts: the server group in inventory
    order; datastore: etcd, sqlite or external; token_sha256: sha256 of the secret of server_token, if set.
    """
    reachable = [h for h in hosts if h in facts]
    unreachable = [h for h in hosts if h not in facts]
    holders = [h for h in reachable if holds_cluster(facts[h])]
    problems: List[str] = []
    notes: List[str] = []

    clusters: Dict[str, List[str]] = {}
    for host in holders:
        clusters.setdefault(cluster_of(facts[host]), []).append(host)
    if len(clusters) > 1:
        held = "; ".join(
            " and ".join(members) + f" hold cluster CA {_short(cluster)}"
            if len(members) > 1
            else f"{members[0]} holds cluster CA {_short(cluster)}"
            for cluster, members in clusters.items()
        )
        problems.append(
            f"The servers hold different clusters: {held}. In detail: "
            + "; ".join(describe(h, facts[h]) for h in holders)
            + ". Nothing was changed. Keep one cluster: remove the servers of the other one from the inventory, or"
            " wipe them (playbooks/reset.yml) so that they join again."
        )
    members = holders if len(clusters) <= 1 else []

    secrets = {h: _get(facts[h], "token", "secret_sha256", default="") for h in members}
    distinct = {s for s in secrets.values() if s}
    if len(distinct) > 1:
        problems.append(
            "The servers of one cluster have different tokens: "
            + "; ".join(describe(h, facts[h]) for h in members)
            + ". Nothing was changed. Set the token of the servers that differ to the cluster's (k3s token rotate)."
        )
    elif token_sha256 and distinct and token_sha256 not in distinct:
        problems.append(
            f"server_token does not match the token of the cluster held by {', '.join(members)}"
            f" (token sha256 {_short(next(iter(distinct)))}, server_token sha256 {_short(token_sha256)})."
            " Nothing was changed. Set server_token to the token the cluster runs with, or leave it empty."
        )

    wrong_store = [
        h for h in members if datastore == "etcd" and _get(facts[h], "datastore", "kind", default="none") == "sqlite"
    ]
    if wrong_store:
        problems.append(
            f"{', '.join(wrong_store)} holds a SQLite datastore but server_datastore is etcd: a SQLite server"
            " cannot move to embedded etcd in place. Nothing was changed. Keep one server with SQLite, or move the"
            " cluster to etcd as docs/runbooks/add-node.md describes."
        )

    if not holders and unreachable and reachable:
        problems.append(
            f"No reachable server holds a cluster, but {', '.join(unreachable)} did not answer and may hold it."
            " Nothing was changed: a cluster bootstrapped now could split from it. Bring the server(s) back, or"
            " remove them from the server group if they are gone for good."
        )

    running = [h for h in members if is_running(facts[h])]
    bootstrap = ""
    if not holders and reachable and not problems:
        bootstrap = reachable[0]
    via = (running or members or ([bootstrap] if bootstrap else []) or [""])[0]
    token_candidates = [h for h in running + members if _get(facts[h], "token", "present", default=False)]
    token_host = token_candidates[0] if token_candidates else bootstrap

    etcd = datastore == "etcd"
    url = join_url(addresses.get(via, via), api_port) if via else ""
    plan_hosts: Dict[str, Dict[str, Any]] = {}
    for host in reachable:
        if host == bootstrap:
            flags: Dict[str, Any] = {"cluster-init": True if etcd else None, "server": None}
            action, token = "bootstrap", "cluster" if token_sha256 else "none"
        elif host in members:
            # From config.yaml, the environment file or the unit's command line: a node another installer
            # set up (K3S_URL, --cluster-init) keeps them in config.yaml after the takeover.
            settings = read_node(facts[host])["settings"]
            flags = {name: settings.get(name) for name in MEMBERSHIP_FLAGS}
            action = "member"
            token = "none" if _env_token(facts[host], env_file) is None else "cluster"
        else:
            flags = {"cluster-init": None, "server": url if etcd else None}
            action, token = "join", "cluster"
        plan_hosts[host] = {"action": action, "flags": flags, "token": token}

    if unreachable:
        notes.append(
            f"{', '.join(unreachable)} did not answer: left out of this run"
            + (f"; the cluster goes on with {', '.join(running)}." if running else ".")
        )
    joining = [h for h in reachable if plan_hosts[h]["action"] == "join"]
    if joining and members:
        notes.append(f"{', '.join(joining)} join(s) the cluster of {', '.join(members)} through {via} ({url}).")
    if bootstrap:
        notes.append(f"No server holds a cluster: {bootstrap} bootstraps it.")

    return {
        "hosts": plan_hosts,
        "bootstrap": bootstrap,
        "members": members,
        "running": running,
        "unreachable": unreachable,
        "via": via,
        "join_url": url,
        "token_host": token_host,
        "problems": problems,
        "notes": notes,
        "held": {h: describe(h, facts[h]) for h in reachable},
    }


def server_token_problems(plan: Mapping, facts: Mapping[str, Mapping], token_sha256: str, env_file: str) -> List[str]:
    """Members whose env file holds another token than the one the role would write: never rewrite it."""
    problems = []
    expected = "sha256:" + token_sha256
    for host, entry in (plan.get("hosts") or {}).items():
        if entry.get("action") != "member" or entry.get("token") != "cluster":
            continue
        current = _env_token(facts.get(host, {}), env_file)
        if current is not None and current != expected:
            problems.append(
                f"{host} runs with a K3S_TOKEN in {env_file} that is not the cluster's token (read from"
                f" {plan.get('token_host')} or server_token). Nothing was changed: the role does not rewrite the"
                " token of a member. Put the cluster's token in that file by hand, or set server_token to it."
            )
    return problems


def agent_plan(
    facts: Mapping[str, Any],
    servers: Sequence[str],
    addresses: Mapping[str, str],
    api_port: int = 6443,
    api_endpoint: str = "",
    server_url: str = "",
    current_url: str = "",
) -> Dict[str, Any]:
    """How an agent joins: the URL it registers at and the live server its token and checks come from.

    facts: k3s_facts results of the servers (unreachable ones absent or marked 'unreachable').
    """
    live = [
        s
        for s in servers
        if isinstance(facts.get(s), Mapping) and not facts[s].get("unreachable") and not facts[s].get("failed")
    ]
    running = [s for s in live if is_running(facts[s])]
    with_token = [s for s in running + live if _get(facts[s], "token", "present", default=False)]
    token_host = with_token[0] if with_token else ""
    server_urls = {join_url(addresses.get(s, s), api_port) for s in servers}
    if server_url:
        url = server_url
    elif api_endpoint:
        url = join_url(api_endpoint, api_port)
    elif current_url and current_url in server_urls:
        # A joined agent keeps the server it registered at: it knows every server once joined.
        url = current_url
    elif running or live:
        url = join_url(addresses.get((running or live)[0], (running or live)[0]), api_port)
    else:
        url = ""
    return {
        "url": url,
        "token_host": token_host,
        "via": (running or [token_host])[0] if (running or token_host) else "",
        "live": running,
        "unreachable": [s for s in servers if s not in live],
    }
