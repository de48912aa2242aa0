# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of the day-2 playbooks: cordons, binary versions, snapshots, --limit, rolling order."""

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.filter.k3s_version_problem import k3s_version_problem
from ansible_collections.homelab.k3s.plugins.filter.limit_problem import limit_problem
from ansible_collections.homelab.k3s.plugins.filter.node_cordons import node_cordons
from ansible_collections.homelab.k3s.plugins.filter.rolling_plan import rolling_plan
from ansible_collections.homelab.k3s.plugins.filter.snapshots_without_copy import snapshots_without_copy

ETCD = {"node-role.kubernetes.io/etcd": "true", "node-role.kubernetes.io/control-plane": "true"}


def _node(name, ready="True", labels=None, unschedulable=False, annotations=None, version="v1.31.4+k3s1"):
    return {
        "metadata": {"name": name, "labels": labels or {}, "annotations": annotations or {}},
        "spec": {"unschedulable": True} if unschedulable else {},
        "status": {"conditions": [{"type": "Ready", "status": ready}], "nodeInfo": {"kubeletVersion": version}},
    }


def _list(*items):
    return {"apiVersion": "v1", "kind": "List", "items": list(items)}


# -- node_cordons ----------------------------------------------------------------------------------------


def test_a_cordon_with_the_mark_is_ours_and_one_without_is_not():
    nodes = _list(
        _node("server1", unschedulable=True, annotations={"homelab.k3s/cordoned": "upgrade"}),
        _node("agent1", unschedulable=True),
        _node("agent2", annotations={"homelab.k3s/cordoned": "reboot"}),
    )
    found = {n["name"]: n for n in node_cordons(json.dumps(nodes))}
    assert [n["name"] for n in node_cordons(nodes)] == ["agent1", "agent2", "server1"]
    assert found["server1"]["ours"] and found["server1"]["by"] == "upgrade"
    assert found["agent1"]["unschedulable"] and not found["agent1"]["ours"]
    # A mark left on a node that was uncordoned by hand is not a cordon.
    assert found["agent2"]["marked"] and not found["agent2"]["ours"] and not found["agent2"]["unschedulable"]
    assert found["server1"]["version"] == "v1.31.4+k3s1"
    assert found["server1"]["ready"]


def test_node_cordons_names_a_bad_input():
    with pytest.raises(AnsibleFilterError, match="node_cordons"):
        node_cordons("not json")


# -- k3s_version_problem ---------------------------------------------------------------------------------

NEW = "v1.32.1+k3s1"


def test_the_wanted_binary_passes():
    output = f"k3s version {NEW} (aaaa1111)\ngo version go1.23.4\n"
    assert k3s_version_problem(output, NEW) == ""


def test_an_old_binary_names_both_versions_and_the_file():
    problem = k3s_version_problem("k3s version v1.31.4+k3s1 (bbbb2222)\n", NEW, "/srv/k3s/k3s")
    assert problem.startswith(f"/srv/k3s/k3s is k3s v1.31.4+k3s1, not k3s_version {NEW}")
    assert "Nothing was drained or changed." in problem


def test_a_binary_that_is_not_k3s_is_named_too():
    assert "does not answer --version like k3s (it printed: Segmentation fault)" in k3s_version_problem(
        "Segmentation fault", NEW
    )
    assert "it printed: nothing" in k3s_version_problem("", NEW)


def test_a_release_candidate_is_read_whole():
    assert k3s_version_problem("k3s version v1.33.0-rc1+k3s1 (x)", "v1.33.0-rc1+k3s1") == ""
    assert "is k3s v1.33.0-rc1+k3s1" in k3s_version_problem("k3s version v1.33.0-rc1+k3s1 (x)", "v1.33.0+k3s1")


# -- snapshots_without_copy ------------------------------------------------------------------------------

DIR = "/var/lib/rancher/k3s/server/db/snapshots"


def test_snapshots_with_a_copy_are_safe():
    local = [f"{DIR}/on-demand-server1-1", f"{DIR}/etcd-snapshot-server1-2.zip", f"{DIR}/pre-upgrade-server1-3"]
    copies = ["/home/me/snapshots/on-demand-server1-1", "etcd-snapshot-server1-2", "token"]
    assert snapshots_without_copy(local, copies) == [f"{DIR}/pre-upgrade-server1-3"]


def test_no_snapshot_means_nothing_to_lose():
    assert snapshots_without_copy([], ["a"]) == []
    assert snapshots_without_copy(["", f"{DIR}/b"], []) == [f"{DIR}/b"]


# -- limit_problem ---------------------------------------------------------------------------------------

CLUSTER = ["server1", "server2", "agent1", "pi4"]
COMMAND = "ansible-playbook homelab.k3s.site -i inventory/hosts.yml"


def test_adding_a_node_with_limit_is_refused_with_the_command():
    problem = limit_problem(CLUSTER, ["pi4"], ["pi4"], ["/etc/hosts", "the firewall"], COMMAND)
    assert problem.startswith("pi4 is new to the cluster (no k3s yet), but --limit leaves out server1, server2, agent1")
    assert "/etc/hosts and the firewall on those would not list the new node" in problem
    assert COMMAND in problem


def test_runs_that_keep_the_peers_in_step_pass():
    everything = ["/etc/hosts", "the firewall"]
    assert limit_problem(CLUSTER, CLUSTER, ["pi4"], everything, COMMAND) == "", "no --limit"
    assert limit_problem(CLUSTER, ["pi4", "agent1"], [], everything, COMMAND) == "", "no new node"
    assert limit_problem(CLUSTER, ["pi4"], ["pi4"], [], COMMAND) == "", "nothing written for peers"


def test_several_new_nodes_are_all_named():
    problem = limit_problem(CLUSTER, ["pi4", "agent1"], ["pi4", "agent1"], ["/etc/hosts"], COMMAND)
    assert problem.startswith("agent1, pi4 are new to the cluster")
    assert "would not list the new nodes" in problem


# -- rolling_plan ----------------------------------------------------------------------------------------


HOSTS = ["server1", "server2", "server3", "agent1"]
SERVERS = HOSTS[:3]


def _plan(nodes, needed=tuple(HOSTS), **kwargs):
    names = {h: h.upper() if h == "agent1" else h for h in HOSTS}
    nodes = json.loads(json.dumps(nodes).replace('"agent1"', '"AGENT1"'))
    return rolling_plan(HOSTS, nodes, SERVERS, names, {h: h in needed for h in HOSTS}, **kwargs)


THREE = _list(*(_node(f"server{i}", labels=ETCD) for i in (1, 2, 3)), _node("agent1"))


def test_servers_first_and_the_nodes_that_need_nothing_are_skipped():
    plan = _plan(THREE, ("server2", "agent1"), action="reboot")
    assert plan["problems"] == []
    assert plan["hosts"] == ["server2", "agent1"]
    assert plan["lines"][0] == "  server1: nothing to do, skipped"
    assert plan["lines"][1] == "  server2: drain, reboot, wait until Ready, uncordon"


def test_a_node_that_is_down_stops_the_run():
    nodes = _list(
        _node("server1", labels=ETCD), _node("server2", "Unknown", labels=ETCD), _node("server3", labels=ETCD)
    )
    problems = _plan(nodes)["problems"]
    assert problems == [
        "Node server2 is not Ready: a rolling restart takes one node down at a time and needs the others up; "
        "bring server2 back (or remove it) first."
    ]


def test_two_etcd_members_need_the_override():
    nodes = _list(_node("server1", labels=ETCD), _node("server2", labels=ETCD))
    assert "etcd has 2 members (server1, server2)" in _plan(nodes)["problems"][0]
    assert _plan(nodes, allow_quorum_loss=True)["problems"] == []


def test_one_server_is_allowed_with_a_word_and_unknown_hosts_are_skipped():
    plan = _plan(_list(_node("server1", labels=ETCD)), action="reboot")
    assert plan["problems"] == []
    assert plan["hosts"] == ["server1"]
    assert "  server2: not a node of the cluster, skipped" in plan["lines"]
    assert plan["lines"][-1] == "  (one server: the API is down while it reboots)"
