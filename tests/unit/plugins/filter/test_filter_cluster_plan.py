# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import hashlib
import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.filter.agent_plan import agent_plan
from ansible_collections.homelab.k3s.plugins.filter.node_problems import node_problems
from ansible_collections.homelab.k3s.plugins.filter.server_plan import server_plan
from ansible_collections.homelab.k3s.plugins.filter.server_token_problems import server_token_problems

HOSTS = ["server1", "server2", "server3"]
ADDRESSES = {"server1": "10.89.0.11", "server2": "10.89.0.12", "server3": "10.89.0.13"}
CA_A = "a" * 64
CA_B = "b" * 64
SECRET_A = hashlib.sha256(b"secret-a").hexdigest()
SECRET_B = hashlib.sha256(b"secret-b").hexdigest()
TOKEN_A = f"K10{CA_A}::server:secret-a"
ENV = "/etc/systemd/system/k3s.service.env"


def fresh():
    return {
        "ca": {"present": False, "sha256": ""},
        "token": {"present": False, "ca_hash": "", "secret_sha256": ""},
        "datastore": {"kind": "none"},
        "services": {"k3s": {"active_state": "inactive"}},
        "config": {"keys": {}},
        "env_files": {},
    }


def member(ca=CA_A, secret=SECRET_A, state="active", server=None, cluster_init=None, env_token=True, kind="etcd"):
    keys = {"node-ip": "x"}
    if server:
        keys["server"] = server
    if cluster_init:
        keys["cluster-init"] = True
    env = {ENV: {"keys": {"K3S_TOKEN": "sha256:" + hashlib.sha256(TOKEN_A.encode()).hexdigest()}}} if env_token else {}
    return {
        "ca": {"present": True, "sha256": ca},
        "token": {"present": True, "ca_hash": ca, "secret_sha256": secret},
        "datastore": {"kind": kind},
        "services": {"k3s": {"active_state": state}},
        "config": {"keys": keys},
        "env_files": env,
    }


def plan(facts, **kwargs):
    kwargs.setdefault("datastore", "etcd")
    return server_plan(facts, hosts=HOSTS, addresses=ADDRESSES, **kwargs)


def test_a_new_cluster_is_bootstrapped_by_the_first_server():
    result = plan({h: fresh() for h in HOSTS})
    assert result["problems"] == []
    assert result["bootstrap"] == "server1"
    assert result["hosts"]["server1"] == {
        "action": "bootstrap",
        "flags": {"cluster-init": True, "server": None},
        "token": "none",
    }
    assert result["hosts"]["server2"] == {
        "action": "join",
        "flags": {"cluster-init": None, "server": "https://10.89.0.11:6443"},
        "token": "cluster",
    }
    assert result["token_host"] == "server1"
    assert result["via"] == "server1"


def test_a_rebuilt_first_server_joins_through_a_running_member():
    facts = {
        "server1": fresh(),
        "server2": member(server="https://10.89.0.11:6443"),
        "server3": member(server="https://10.89.0.11:6443"),
    }
    result = plan(facts)
    assert result["problems"] == []
    assert result["bootstrap"] == ""
    assert result["members"] == ["server2", "server3"]
    assert result["hosts"]["server1"]["action"] == "join"
    assert result["hosts"]["server1"]["flags"] == {"cluster-init": None, "server": "https://10.89.0.12:6443"}
    # The members keep the server they joined through and their token.
    for host in ("server2", "server3"):
        assert result["hosts"][host] == {
            "action": "member",
            "flags": {"server": "https://10.89.0.11:6443", "cluster-init": None},
            "token": "cluster",
        }
    assert result["token_host"] == "server2"
    assert any("server1 join(s) the cluster of server2, server3 through server2" in n for n in result["notes"])


def test_the_bootstrap_member_keeps_cluster_init_and_no_token():
    facts = {"server1": member(cluster_init=True, env_token=False), "server2": member(server="https://10.89.0.11:6443")}
    facts["server3"] = fresh()
    result = plan(facts)
    assert result["hosts"]["server1"] == {
        "action": "member",
        "flags": {"server": None, "cluster-init": True},
        "token": "none",
    }
    assert result["hosts"]["server3"]["flags"]["server"] == "https://10.89.0.11:6443"


def test_the_first_server_down_the_others_go_on():
    facts = {"server2": member(server="https://10.89.0.11:6443"), "server3": member(server="https://10.89.0.11:6443")}
    result = plan(facts)
    assert result["problems"] == []
    assert result["unreachable"] == ["server1"]
    assert result["via"] == result["token_host"] == "server2"
    assert "server1" not in result["hosts"]
    assert (
        result["notes"][0] == "server1 did not answer: left out of this run; the cluster goes on with server2, server3."
    )


def test_a_stopped_member_is_used_when_none_runs():
    facts = {"server1": member(state="inactive", cluster_init=True), "server2": fresh(), "server3": fresh()}
    result = plan(facts)
    assert result["running"] == []
    assert result["via"] == "server1"
    assert result["hosts"]["server2"]["action"] == "join"


def test_two_clusters_refuse_naming_each_host():
    facts = {"server1": member(ca=CA_B, secret=SECRET_B), "server2": member(), "server3": member()}
    result = plan(facts)
    assert len(result["problems"]) == 1
    problem = result["problems"][0]
    assert "server1 holds cluster CA bbbbbbbbbbbb" in problem
    assert "server2 and server3 hold cluster CA aaaaaaaaaaaa" in problem
    assert "server1 (cluster CA bbbbbbbbbbbb, etcd member" in problem
    assert "Nothing was changed" in problem
    assert result["bootstrap"] == ""
    assert all(entry["action"] != "bootstrap" for entry in result["hosts"].values())


def test_one_cluster_with_two_tokens_refuses():
    facts = {"server1": member(), "server2": member(secret=SECRET_B), "server3": fresh()}
    result = plan(facts)
    assert len(result["problems"]) == 1
    assert "different tokens" in result["problems"][0]
    assert f"token sha256 {SECRET_B[:12]}" in result["problems"][0]


def test_server_token_must_be_the_clusters():
    facts = {"server1": member(), "server2": member(), "server3": member()}
    assert plan(facts, token_sha256=SECRET_A)["problems"] == []
    problems = plan(facts, token_sha256=SECRET_B)["problems"]
    assert len(problems) == 1
    assert problems[0].startswith(
        "server_token does not match the token of the cluster held by server1, server2, server3"
    )


def test_server_token_on_a_new_cluster_is_written_on_the_bootstrap_server():
    result = plan({h: fresh() for h in HOSTS}, token_sha256=SECRET_A)
    assert result["hosts"]["server1"]["token"] == "cluster"


def test_no_bootstrap_while_a_server_does_not_answer():
    result = plan({"server2": fresh(), "server3": fresh()})
    assert result["bootstrap"] == ""
    assert result["problems"] == [
        "No reachable server holds a cluster, but server1 did not answer and may hold it. Nothing was changed:"
        " a cluster bootstrapped now could split from it. Bring the server(s) back, or remove them from the"
        " server group if they are gone for good."
    ]


def test_a_sqlite_server_cannot_become_an_etcd_member():
    facts = {"server1": member(kind="sqlite"), "server2": fresh(), "server3": fresh()}
    problems = plan(facts)["problems"]
    assert len(problems) == 1
    assert problems[0].startswith("server1 holds a SQLite datastore but server_datastore is etcd")


def test_a_single_sqlite_server_keeps_its_flags():
    result = server_plan({"one": member(kind="sqlite", env_token=False)}, hosts=["one"], datastore="sqlite")
    assert result["problems"] == []
    assert result["hosts"]["one"] == {
        "action": "member",
        "flags": {"server": None, "cluster-init": None},
        "token": "none",
    }
    fresh_result = server_plan({"one": fresh()}, hosts=["one"], datastore="sqlite", addresses={"one": "10.0.0.1"})
    assert fresh_result["hosts"]["one"]["flags"] == {"cluster-init": None, "server": None}


def test_external_datastore_servers_join_without_server_url():
    facts = {"server1": member(kind="external"), "server2": fresh(), "server3": fresh()}
    result = plan(facts, datastore="external")
    assert result["hosts"]["server2"] == {
        "action": "join",
        "flags": {"cluster-init": None, "server": None},
        "token": "cluster",
    }


def test_ipv6_join_url():
    result = server_plan({"s": fresh(), "t": fresh()}, hosts=["s", "t"], datastore="etcd", addresses={"s": "fd00::1"})
    assert result["join_url"] == "https://[fd00::1]:6443"


def test_bad_arguments():
    with pytest.raises(AnsibleFilterError, match="datastore must be"):
        server_plan({}, hosts=[], datastore="auto")
    with pytest.raises(AnsibleFilterError, match="k3s_facts results"):
        server_plan([], hosts=[], datastore="etcd")


def test_a_member_with_another_env_token_is_not_rewritten():
    facts = {"server1": member(), "server2": member(), "server3": fresh()}
    result = plan(facts)
    same = hashlib.sha256(TOKEN_A.encode()).hexdigest()
    assert server_token_problems(result, facts, same) == []
    problems = server_token_problems(result, facts, hashlib.sha256(b"other").hexdigest())
    assert [p.split(" ")[0] for p in problems] == ["server1", "server2"]
    assert "does not rewrite the token of a member" in problems[0]


# -- agents ---------------------------------------------------------------------------------------------------


def test_an_agent_joins_through_the_first_running_server():
    facts = {"server1": {"unreachable": True}, "server2": member(state="activating"), "server3": member()}
    result = agent_plan(facts, HOSTS, ADDRESSES)
    assert result == {
        "url": "https://10.89.0.13:6443",
        "token_host": "server3",
        "via": "server3",
        "live": ["server3"],
        "unreachable": ["server1"],
    }


def test_an_agent_url_settings_come_first():
    facts = {h: member() for h in HOSTS}
    assert agent_plan(facts, HOSTS, ADDRESSES, server_url="https://lb:6443")["url"] == "https://lb:6443"
    assert agent_plan(facts, HOSTS, ADDRESSES, api_endpoint="k3s.lan")["url"] == "https://k3s.lan:6443"
    kept = agent_plan(facts, HOSTS, ADDRESSES, current_url="https://10.89.0.11:6443")
    assert kept["url"] == "https://10.89.0.11:6443"
    foreign = agent_plan(facts, HOSTS, ADDRESSES, current_url="https://old.example:6443")
    assert foreign["url"] == "https://10.89.0.11:6443"


def test_no_live_server():
    result = agent_plan({"server1": {"unreachable": True}}, ["server1"], ADDRESSES)
    assert (result["url"], result["token_host"], result["via"]) == ("", "", "")


# -- nodes ----------------------------------------------------------------------------------------------------


def _node(name, status, reason="", message="", heartbeat=""):
    condition = {"type": "Ready", "status": status, "reason": reason, "message": message}
    if heartbeat:
        condition["lastHeartbeatTime"] = heartbeat
    return {"metadata": {"name": name}, "status": {"conditions": [condition]}}


def test_node_problems_name_missing_and_not_ready_nodes():
    nodes = {
        "items": [
            _node("server1", "True"),
            _node(
                "agent1", "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.", "2026-01-01T00:00:00Z"
            ),
            {"metadata": {"name": "server2"}, "status": {}},
        ]
    }
    assert node_problems(json.dumps(nodes), ["server1", "agent1", "agent2", "server2"]) == [
        "agent1 is NotReady (status Unknown) (NodeStatusUnknown: Kubelet stopped posting node status.,"
        " last heartbeat 2026-01-01T00:00:00Z)",
        "agent2 is missing (no node of that name registered)",
        "server2 is NotReady (no Ready condition)",
    ]
    assert node_problems(nodes, ["server1"]) == []
    with pytest.raises(AnsibleFilterError):
        node_problems("not json", ["x"])


@pytest.mark.parametrize("token", ["secret-a", f"K10{CA_A}::server:secret-a", "  secret-a\n"])
def test_server_token_is_compared_by_its_secret(token):
    facts = {"server1": member(), "server2": member(), "server3": member()}
    assert plan(facts, token=token)["problems"] == []
    assert len(plan(facts, token="secret-b")["problems"]) == 1


def test_a_malformed_server_token():
    with pytest.raises(AnsibleFilterError, match="server_token is not a valid k3s token"):
        plan({}, token="K10abc::server:x")


def test_members_set_up_by_the_install_script_keep_their_flags_from_the_unit_and_the_environment():
    """--cluster-init on the first server's command line, K3S_URL in the others' environment file."""
    first = member()
    first["services"]["k3s"].update(
        exists=True, environment_files=[ENV], exec_start={"mode": "server", "flags": {"cluster-init": "true"}}
    )
    joined = member()
    joined["services"]["k3s"].update(exists=True, environment_files=[ENV], exec_start={"mode": "server", "flags": {}})
    joined["env_files"][ENV]["keys"]["K3S_URL"] = "https://10.89.0.11:6443"
    result = plan({"server1": first, "server2": joined, "server3": fresh()})
    assert result["hosts"]["server1"]["flags"] == {"cluster-init": True, "server": None}
    assert result["hosts"]["server2"]["flags"] == {"cluster-init": None, "server": "https://10.89.0.11:6443"}
    assert result["hosts"]["server3"]["action"] == "join"
