# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The checks of the day-2 playbooks before they change anything: removal, upgrade, restore and waits."""

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.filter.node_names import node_names
from ansible_collections.homelab.k3s.plugins.filter.nodes_pending import nodes_pending
from ansible_collections.homelab.k3s.plugins.filter.removal_plan import removal_plan
from ansible_collections.homelab.k3s.plugins.filter.restore_problems import restore_problems
from ansible_collections.homelab.k3s.plugins.filter.upgrade_plan import upgrade_plan
from ansible_collections.homelab.k3s.plugins.filter.upgrade_problems import upgrade_problems
from ansible_collections.homelab.k3s.plugins.plugin_utils.k3s_versions import k3s_version

ETCD = {"node-role.kubernetes.io/etcd": "true", "node-role.kubernetes.io/control-plane": "true"}
OLD, NEW = "v1.36.4+k3s1", "v1.37.2+k3s1"


def _node(name, ready="True", etcd=False, version=OLD):
    return {
        "metadata": {"name": name, "labels": dict(ETCD) if etcd else {}},
        "status": {"conditions": [{"type": "Ready", "status": ready}], "nodeInfo": {"kubeletVersion": version}},
    }


def _result(*items, rc=0, stderr=""):
    return {"rc": rc, "stdout": json.dumps({"items": list(items)}) if rc == 0 else "", "stderr": stderr}


HOSTVARS = {
    "server1": {"ansible_facts": {"nodename": "Server1"}},
    "server2": {"ansible_facts": {"nodename": "server2"}},
    "server3": {"ansible_facts": {"nodename": "server3"}},
    "agent1": {"k3s_node_name": "Worker-1", "ansible_facts": {"nodename": "agent1"}},
    "dead": {},
}
SERVERS = ["server1", "server2", "server3"]
THREE = _result(
    _node("server1", etcd=True), _node("server2", etcd=True), _node("server3", etcd=True), _node("worker-1")
)


# -- node_names --------------------------------------------------------------------------------------------


def test_node_names_follow_the_k3s_rule_in_lower_case():
    # k3s_node_name first, then the gathered nodename, then the inventory name (a host without facts).
    assert node_names(["agent1", "server1", "dead", "Missing"], HOSTVARS) == ["worker-1", "server1", "dead", "missing"]


def test_node_names_rejects_a_single_name():
    with pytest.raises(AnsibleFilterError, match="node_names: the input must be a list"):
        node_names("server1", HOSTVARS)


# -- nodes_pending -----------------------------------------------------------------------------------------


def test_nodes_pending_names_the_nodes_not_ready_or_not_listed_in_order():
    nodes = _result(_node("server1"), _node("agent1", ready="False"))["stdout"]
    assert nodes_pending(nodes, ["agent2", "agent1", "server1"]) == ["agent2", "agent1"]


def test_nodes_pending_waits_for_the_version_when_given():
    nodes = {"items": [_node("server1", version=NEW), _node("agent1", version=OLD)]}
    assert nodes_pending(nodes, ["server1", "agent1"], NEW) == ["agent1"]
    assert nodes_pending(nodes, ["server1", "agent1"], "") == []


def test_nodes_pending_without_an_answer_waits_for_every_node():
    assert nodes_pending("", ["server1"]) == ["server1"]
    with pytest.raises(AnsibleFilterError, match="nodes_pending"):
        nodes_pending("connection refused", ["server1"])


# -- removal_plan ------------------------------------------------------------------------------------------


def _removal(**changes):
    settings = {
        "target": "agent1",
        "inventory_hosts": [*SERVERS, "agent1", "dead"],
        "play_hosts": [*SERVERS, "agent1", "dead"],
        "servers": SERVERS,
        "kubectl_host": "server1",
        "nodes": THREE,
        "confirm": True,
        "reset": False,
        "allow_even": False,
        "drain": True,
        "check_mode": False,
    }
    settings.update(changes)
    return removal_plan(settings, HOSTVARS)


def test_removing_an_agent_drains_stops_and_deletes_its_node():
    removal = _removal()
    assert removal == {
        "node": "worker-1",
        "listed": True,
        "members_after": ["server1", "server2", "server3"],
        "problems": [],
        "plan": [
            "cordon and drain worker-1 (kubectl on server1)",
            "stop k3s-agent on agent1",
            "delete the node worker-1",
        ],
    }


def test_removing_a_server_in_check_mode_names_the_members_and_the_reset():
    removal = _removal(
        target="server3", kubectl_host="server1", check_mode=True, reset=True, drain=False, confirm=False
    )
    assert removal["problems"] == [
        "Removing server3 leaves etcd with 2 members (3 -> 2): an even count tolerates no more failures than one "
        "member fewer, and 2 members tolerate none. Add a server first, or set maintenance_remove_allow_even: true "
        "if this is meant (while replacing a server)."
    ]
    assert removal["plan"] == [
        "Check mode: nothing is changed. The removal would:",
        "stop k3s on server3",
        "delete the node server3, which removes its etcd member: 3 -> 2 members",
        "reset server3: remove k3s, its data and its network leftovers",
    ]
    assert removal["members_after"] == ["server1", "server2"]
    assert _removal(target="server3", allow_even="true")["problems"] == []


def test_a_removal_without_confirmation_says_what_it_would_do():
    assert _removal(target="server3", confirm="no", reset=True, allow_even=True)["problems"] == [
        "Removing server3 drains it, deletes its node and its etcd member and resets the host (its k3s data is gone)."
        " Run again with -e maintenance_remove_confirm=true to go ahead, or with --check to see the plan."
    ]


def test_a_removal_that_leaves_no_quorum_of_ready_members_is_refused():
    nodes = _result(_node("server1", etcd=True), _node("server2", "False", etcd=True), _node("server3", etcd=True))
    assert _removal(target="server3", nodes=nodes, allow_even=True)["problems"] == [
        "Without server3, etcd would have 2 members of which 1 are Ready (server1): not a quorum. Bring the other "
        "servers back first."
    ]


def test_the_last_server_and_the_last_member_are_not_removed():
    assert _removal(target="server1", servers=["server1"], kubectl_host="")["problems"] == [
        "server1 is the last server: removing it ends the cluster. Use reset.yml to tear the whole cluster down."
    ]
    one = _result(_node("server1", etcd=True), _node("server2"))
    assert _removal(target="server1", nodes=one, kubectl_host="server2")["problems"] == [
        "server1 is the last etcd member: removing it ends the cluster."
    ]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        (
            {"target": ""},
            "remove_node.yml needs the inventory name of the node to remove: -e maintenance_remove_node=<host>.",
        ),
        ({"target": "ghost"}, "ghost is not in the inventory."),
        ({"play_hosts": SERVERS}, "agent1 is not a host of this play (--limit?)."),
        ({"kubectl_host": "", "nodes": {"skipped": True}}, "No server is left to run kubectl on."),
        (
            {"nodes": {"rc": 1, "stdout": "", "stderr": "  refused\n"}},
            "Cannot read the nodes on server1 (refused): the removal needs the cluster's view of its members.",
        ),
        (
            {"nodes": {"rc": 1, "stdout": ""}},
            "Cannot read the nodes on server1 (no answer): the removal needs the cluster's view of its members.",
        ),
    ],
)
def test_a_removal_is_refused_with_one_reason(changes, problem):
    assert _removal(**changes)["problems"] == [problem]


def test_a_dead_host_that_is_no_node_is_only_reset():
    removal = _removal(target="dead", reset=True)
    assert not removal["listed"]
    assert removal["plan"] == [
        "dead is not a node of the cluster (any more)",
        "reset dead: remove k3s, its data and its network leftovers",
    ]


def test_removal_plan_names_missing_settings():
    with pytest.raises(AnsibleFilterError, match="removal_plan: the settings lack drain, check_mode"):
        removal_plan(
            {k: None for k in ("target", "inventory_hosts", "play_hosts", "servers", "kubectl_host")}
            | {"nodes": {}, "confirm": 1, "reset": 0, "allow_even": 0},
            HOSTVARS,
        )
    with pytest.raises(AnsibleFilterError, match="confirm must be a boolean"):
        _removal(confirm="maybe")


# -- k3s versions ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("v1.36.4+k3s1", "v1.36.4+k3s2"),
        ("v1.36.4+k3s2", "v1.36.10+k3s1"),
        ("v1.36.10+k3s1", "v1.37.0+k3s1"),
        ("v1.37.0-rc2+k3s1", "v1.37.0+k3s1"),
        ("v1.37.0-rc1+k3s2", "v1.37.0-rc2+k3s1"),
        ("v1.9.0+k3s1", "v2.0.0+k3s1"),
    ],
)
def test_k3s_versions_are_ordered_by_release_then_build(older, newer):
    assert k3s_version(older) < k3s_version(newer)


@pytest.mark.parametrize("text", ["", None, "1.36.4+k3s1", "v1.36.4", "v1.36+k3s1", "v1.36.4+k3s1 ", "latest"])
def test_k3s_version_rejects_what_is_not_a_pinned_release(text):
    assert k3s_version(text) is None


# -- upgrade_problems and upgrade_plan ---------------------------------------------------------------------


def _upgrade(**changes):
    settings = {
        "version": NEW,
        "servers": ["server1"],
        "agents": ["agent1"],
        "server_group": "k3s_server",
        "kubectl_host": "server1",
        "nodes": _result(_node("server1", etcd=True), _node("worker-1")),
        "check_mode": False,
        "allow_downgrade": False,
        "allow_minor_skip": False,
    }
    settings.update(changes)
    return upgrade_problems(settings)


def test_an_upgrade_to_the_next_minor_version_of_a_healthy_cluster_goes_ahead():
    assert _upgrade() == []
    assert _upgrade(version=OLD) == []


def test_a_downgrade_names_every_newer_node_once():
    nodes = _result(_node("server1", version=NEW), _node("worker-1", version="v1.37.2+k3s2"))
    assert _upgrade(nodes=nodes, version="v1.37.2-rc1+k3s1") == [
        "server1 (v1.37.2+k3s1), worker-1 (v1.37.2+k3s2) run a newer version than v1.37.2-rc1+k3s1: Kubernetes does"
        " not support downgrades (restore a pre-upgrade snapshot instead); maintenance_upgrade_allow_downgrade: true"
        " forces it."
    ]
    assert _upgrade(nodes=nodes, version=OLD)[0].startswith("server1 (v1.37.2+k3s1), worker-1 (v1.37.2+k3s2) run ")
    assert _upgrade(nodes=_result(_node("server1", version=NEW)), version=OLD)[0].startswith(
        "server1 (v1.37.2+k3s1) runs a newer version than v1.36.4+k3s1:"
    )
    assert _upgrade(nodes=nodes, version=OLD, allow_downgrade=True) == []


def test_skipping_a_minor_version_names_the_step_between():
    nodes = _result(_node("server1", version="v1.35.1+k3s1"), _node("worker-1", version="v1.34.0+k3s1"))
    assert _upgrade(nodes=nodes) == [
        "server1, worker-1 would skip a minor version (v1.35.1+k3s1, v1.34.0+k3s1 -> v1.37.2+k3s1): Kubernetes"
        " upgrades one minor version at a time, so go to v1.36.x, v1.35.x first"
        " (maintenance_upgrade_allow_minor_skip: true forces it)."
    ]
    assert _upgrade(nodes=nodes, allow_minor_skip="yes") == []


def test_an_upgrade_starts_from_a_ready_cluster_and_a_pinned_release():
    nodes = _result(_node("server1"), _node("worker-1", ready="Unknown"))
    assert _upgrade(nodes=nodes, version="latest", servers=["server1", "agent1"]) == [
        "k3s_version 'latest' is not a pinned k3s release such as v1.32.1+k3s1: set it in the inventory or with"
        " -e k3s_version=...",
        "agent1 in both the server and the agent group: a node is one or the other.",
    ]
    assert _upgrade(nodes=nodes) == [
        "Node worker-1 is not Ready: an upgrade restarts every node, start with a healthy cluster (fix or remove"
        " worker-1 first)."
    ]


def test_an_upgrade_needs_a_cluster_that_answers_except_in_check_mode():
    failed = {"rc": 1, "stdout": "", "stderr": "", "msg": "non-zero return code"}
    assert _upgrade(nodes=failed) == [
        "Cannot read the nodes on server1 (non-zero return code): upgrade.yml upgrades a running cluster, site.yml"
        " builds one."
    ]
    assert _upgrade(nodes=failed, check_mode=True) == []
    assert _upgrade(kubectl_host="", nodes=failed, check_mode=True) == ["The group 'k3s_server' has no hosts."]


def test_upgrade_plan_lists_the_hosts_not_on_the_version_servers_first():
    settings = {
        "version": NEW,
        "servers": ["server2", "server1"],
        "agents": ["agent1", "server1", "agent9"],
        "play_hosts": ["server1", "server2", "agent1", "agent9"],
        "nodes": _result(_node("server1", version=NEW), _node("server2"), _node("worker-1")),
    }
    assert upgrade_plan(settings, HOSTVARS) == [
        {"host": "server2", "node": "server2", "from": OLD, "line": f"  server2: {OLD} -> {NEW}"},
        {"host": "agent1", "node": "worker-1", "from": OLD, "line": f"  agent1: {OLD} -> {NEW}"},
        {"host": "agent9", "node": "agent9", "from": "", "line": f"  agent9: not a node yet -> {NEW}"},
    ]
    failed = {**settings, "nodes": {"rc": 1, "stdout": ""}, "play_hosts": ["server1"]}
    assert upgrade_plan(failed, HOSTVARS) == [
        {"host": "server1", "node": "server1", "from": "", "line": f"  server1: not a node yet -> {NEW}"}
    ]


def test_upgrade_problems_expects_its_settings():
    with pytest.raises(AnsibleFilterError, match="upgrade_problems expects a mapping"):
        upgrade_problems([NEW])


# -- restore_problems --------------------------------------------------------------------------------------


def _stat(path, exists=True):
    return {"item": path, "stat": {"exists": exists}}


def _restore(**changes):
    settings = {
        "snapshot": "on-demand-server1-1700000000",
        "source": "node",
        "confirm": True,
        "check_mode": False,
        "servers": SERVERS,
        "play_hosts": [*SERVERS, "agent1"],
        "first_server": "server1",
        "server_group": "k3s_server",
        "data_dir": "/var/lib/rancher/k3s",
        "stats": [
            _stat("/var/lib/rancher/k3s/server/db/etcd"),
            _stat("/var/lib/rancher/k3s/server/db/reset-flag", False),
            _stat("/var/lib/rancher/k3s/server/token"),
            _stat("/var/lib/rancher/k3s/server/db/snapshots/on-demand-server1-1700000000"),
        ],
        "known": {"skipped": True},
        "node_path": "/var/lib/rancher/k3s/server/db/snapshots/on-demand-server1-1700000000",
        "controller_dir": "/backups",
        "controller_stat": {"skipped": True},
        "s3": {},
        "token": "",
        "server_token": "",
    }
    settings.update(changes)
    return restore_problems(settings)


def test_a_confirmed_restore_of_a_snapshot_on_the_first_server_goes_ahead():
    assert _restore() == []
    assert _restore(confirm=False, check_mode=True) == []


def test_a_missing_snapshot_names_the_ones_the_first_server_has():
    known = {"snapshots": [{"name": "etcd-snapshot-1", "kind": "local"}, {"name": "s3-one", "kind": "s3"}]}
    settings = {"stats": [_stat("etcd"), _stat("flag", False), _stat("token"), _stat("snap", False)], "known": known}
    assert _restore(**settings) == [
        "The snapshot /var/lib/rancher/k3s/server/db/snapshots/on-demand-server1-1700000000 does not exist on"
        " server1. Its snapshots: etcd-snapshot-1. Copy the file there, or set maintenance_restore_source to"
        " controller or s3."
    ]
    assert "It has no snapshots. Copy" in _restore(**{**settings, "known": {"failed": True}})[0]


def test_every_reason_not_to_restore_is_named_in_order():
    stats = [_stat("etcd", False), _stat("/data/server/db/reset-flag"), _stat("/data/server/token", False), _stat("s")]
    assert _restore(
        snapshot="a/b",
        confirm="no",
        source="ftp",
        play_hosts=["server1"],
        stats=stats,
        data_dir="/data",
    ) == [
        "maintenance_restore_snapshot is the name of a snapshot (or, with maintenance_restore_source node, an absolute"
        " path on server1), not 'a/b'.",
        "A restore replaces the state of the whole cluster with the snapshot's and restarts every node. Run again with"
        " -e maintenance_restore_confirm=true to go ahead, or with --check to see the plan.",
        "maintenance_restore_source is node, controller or s3, not 'ftp'.",
        "restore.yml runs on every server at once; server2, server3 are left out (--limit?).",
        "server1 has no /data/server/db/etcd: the cluster does not run embedded etcd (SQLite or an external"
        " datastore), so there is no etcd snapshot to restore. Back up server/db or the external database instead.",
        "server1 has /data/server/db/reset-flag: a cluster reset ran and k3s was not started since. Start k3s there"
        " (systemctl start k3s) or delete the file, then run restore.yml again.",
        "server1 has no server token (/data/server/token): a restore on a new host needs the token of the cluster"
        " that took the snapshot in maintenance_restore_token.",
    ]


def test_the_sources_other_than_the_node_have_their_own_checks():
    assert _restore(snapshot="", server_token="K10abc") == [
        "restore.yml needs the full name of the snapshot to restore: -e maintenance_restore_snapshot=<name>"
        " (list them with `k3s etcd-snapshot ls` on a server or the homelab.k3s.etcd_snapshot_info module)."
    ]
    assert _restore(snapshot="/srv/snap.zip") == []
    assert _restore(source="controller", controller_stat={"stat": {"exists": False}}) == [
        "The snapshot /backups/on-demand-server1-1700000000 does not exist on the controller"
        " (maintenance_restore_controller_dir)."
    ]
    assert _restore(source="s3", s3={"region": "eu"}) == [
        "maintenance_restore_source is s3: set maintenance_restore_s3 (at least its bucket)."
    ]
    assert _restore(source="s3", s3={"bucket": "b"}) == []
    assert _restore(first_server="", servers=[]) == ["The group 'k3s_server' has no hosts."]


def test_restore_problems_expects_the_four_stats():
    with pytest.raises(AnsibleFilterError, match="restore_problems: stats must be the 4 stat results"):
        _restore(stats=[])
