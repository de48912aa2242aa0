# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Story 3: removing an etcd server keeps the quorum, or is refused."""

import json

from cluster import FIRST_SERVER, K3S, SERVERS, kubectl, node
from day2 import is_ready, nodes, playbook, tail

LEAVING = SERVERS[-1]
REMOVE = ("-e", f"maintenance_remove_node={LEAVING}", "-e", "maintenance_remove_confirm=true")


def test_going_from_three_etcd_members_to_two_is_refused():
    run = playbook("remove_node.yml", *REMOVE)
    assert run.rc != 0
    assert "leaves etcd with 2 members (3 -> 2)" in run.output
    assert LEAVING in nodes()
    assert node(LEAVING).service("k3s").is_running


def test_removing_the_last_server_is_refused(tmp_path):
    alone = tmp_path / "alone.yml"
    alone.write_text(json.dumps({"alone": {"hosts": {FIRST_SERVER: {}}}}))
    run = playbook(
        "remove_node.yml",
        "--inventory",
        str(alone),
        "--check",
        "-e",
        "maintenance_server_group=alone",
        "-e",
        f"maintenance_remove_node={FIRST_SERVER}",
    )
    assert run.rc != 0
    assert f"{FIRST_SERVER} is the last server: removing it ends the cluster." in run.output


def test_a_server_leaves_with_the_override():
    run = playbook("remove_node.yml", *REMOVE, "-e", "maintenance_remove_allow_even=true")
    assert run.rc == 0, tail(run)
    listed = nodes()
    assert LEAVING not in listed
    assert all(is_ready(item) for item in listed.values())
    members = [n for n, item in listed.items() if item["metadata"]["labels"].get("node-role.kubernetes.io/etcd")]
    assert sorted(members) == sorted(SERVERS[:-1])
    # The two members left still have a quorum: writes go through on either.
    for via in SERVERS[:-1]:
        created = kubectl("create", "namespace", f"written-via-{via}", via=via)
        assert created.rc == 0, created.stderr
    gone = node(LEAVING)
    assert not gone.file(K3S).exists
    assert not gone.file("/var/lib/rancher/k3s").exists
    assert not gone.file("/etc/systemd/system/k3s.service").exists


def test_removing_it_again_changes_nothing():
    run = playbook("remove_node.yml", *REMOVE, "-e", "maintenance_remove_allow_even=true")
    assert run.rc == 0, tail(run)
    assert run.changed() == 0, tail(run, 120)
