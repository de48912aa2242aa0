# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Story 2: a rolling upgrade to the next version, servers first, each node drained and uncordoned."""

import json

from cluster import AGENTS, FIRST_SERVER, K3S, NODES, SERVERS, node
from day2 import FROM_VERSION, TO_VERSION, is_ready, nodes, playbook, tail


def versions():
    return {name: item["status"]["nodeInfo"]["kubeletVersion"] for name, item in nodes().items()}


# The second runs take one server and the agent: enough for both plays, half the time.
SOME = ("--limit", f"{FIRST_SERVER},{AGENTS[0]}")


def test_upgrade_in_check_mode_changes_no_node():
    assert set(versions().values()) == {FROM_VERSION}
    run = playbook("upgrade.yml", "--check", "--diff", *SOME, "-e", f"k3s_version={TO_VERSION}")
    assert run.rc == 0, tail(run)
    assert f"{FIRST_SERVER}: {FROM_VERSION} -> {TO_VERSION}" in run.output
    assert set(versions().values()) == {FROM_VERSION}
    assert not [name for name, item in nodes().items() if item["spec"].get("unschedulable")]


def test_upgrade_moves_every_node_to_the_next_version_one_at_a_time():
    run = playbook("upgrade.yml", "-e", f"k3s_version={TO_VERSION}")
    assert run.rc == 0, tail(run)
    assert versions() == dict.fromkeys(NODES, TO_VERSION)
    listed = nodes()
    assert all(is_ready(item) for item in listed.values())
    assert not [name for name, item in listed.items() if item["spec"].get("unschedulable")]
    for name in NODES:
        assert TO_VERSION in node(name).check_output(f"{K3S} --version")
    drained = [run.output.index(f"node/{name} drained") for name in SERVERS + AGENTS]
    assert drained == sorted(drained), "servers first, one at a time, then the agents"
    assert "Pre-upgrade snapshot: pre-upgrade-" in run.output
    snapshots = json.loads(node(FIRST_SERVER).check_output(f"{K3S} etcd-snapshot ls --output json"))["items"]
    assert [s for s in snapshots if s["spec"]["snapshotName"].startswith("pre-upgrade-")]


def test_a_second_upgrade_run_changes_nothing():
    run = playbook("upgrade.yml", *SOME, "-e", f"k3s_version={TO_VERSION}")
    assert run.rc == 0, tail(run)
    assert run.changed() == 0, tail(run, 120)
    assert "Nothing to upgrade: every node runs " + TO_VERSION in run.output


def test_a_downgrade_is_refused_before_anything_changes():
    run = playbook("upgrade.yml", "-e", f"k3s_version={FROM_VERSION}")
    assert run.rc != 0
    assert "Kubernetes does not support downgrades" in run.output
    assert set(versions().values()) == {TO_VERSION}
