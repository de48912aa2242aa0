# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Story 2: a rolling upgrade to the next version, servers first, each node drained and uncordoned.

The commands are those of docs/runbooks/upgrade.md. Before it: an upgrade whose release directory still holds
the old binary stops before draining anything. After it: a node a failed run left cordoned is uncordoned by
the next run, and one cordoned by hand is left alone.
"""

import json
import re

from cluster import AGENTS, EPHEMERAL, FIRST_SERVER, K3S, NODES, SERVERS, invocation, kubectl, node, restarts_since
from day2 import FROM_VERSION, TO_VERSION, is_ready, nodes, run_runbook, runbook_command, tail

CHECK = runbook_command("upgrade", "--check")
UPGRADE = runbook_command("upgrade", "homelab.k3s.upgrade", excludes=("--check",))
MARK = "homelab.k3s/cordoned"
OLD_DIR = EPHEMERAL / "k3s-double" / FROM_VERSION


def versions():
    return {name: item["status"]["nodeInfo"]["kubeletVersion"] for name, item in nodes().items()}


def cordoned():
    return sorted(name for name, item in nodes().items() if item["spec"].get("unschedulable"))


# The second runs take one server and the agent: enough for both plays, half the time.
SOME = ("--limit", f"{FIRST_SERVER},{AGENTS[0]}")


def test_upgrade_in_check_mode_changes_no_node():
    assert set(versions().values()) == {FROM_VERSION}
    run = run_runbook(CHECK, "--diff", *SOME, "-e", f"k3s_version={TO_VERSION}")
    assert run.rc == 0, tail(run)
    assert f"{FIRST_SERVER}: {FROM_VERSION} -> {TO_VERSION}" in run.output
    assert set(versions().values()) == {FROM_VERSION}
    assert not cordoned()


def test_an_old_binary_in_the_release_directory_stops_the_upgrade_before_any_drain():
    wrong = ("-e", f"k3s_version={TO_VERSION}", "-e", f"k3s_file_dir={OLD_DIR}")
    expected = f"{OLD_DIR}/k3s is k3s {FROM_VERSION}, not k3s_version {TO_VERSION}"
    checked = run_runbook(CHECK, *wrong)
    assert checked.rc != 0
    assert expected in checked.output, tail(checked)
    run = run_runbook(UPGRADE, *wrong, "-e", "maintenance_ready_timeout=20")
    assert run.rc != 0
    assert expected in run.output, tail(run)
    assert not re.search(r"node/\S+ drained", run.output), tail(run)
    assert not cordoned()
    assert set(versions().values()) == {FROM_VERSION}
    assert node(FIRST_SERVER).run("ls /var/tmp/homelab.k3s-version-probe-*").rc != 0, "the probe is removed"


def test_upgrade_moves_every_node_to_the_next_version_one_at_a_time():
    before = {name: invocation(name) for name in NODES}
    run = run_runbook(UPGRADE, "-e", f"k3s_version={TO_VERSION}")
    assert run.rc == 0, tail(run)
    # The new binary restarts each node, once (its unit does not change with the version).
    restarts = {name: restarts_since(name, before[name]) for name in NODES}
    assert restarts == dict.fromkeys(NODES, 1), restarts
    assert versions() == dict.fromkeys(NODES, TO_VERSION)
    listed = nodes()
    assert all(is_ready(item) for item in listed.values())
    assert not cordoned()
    assert not [name for name, item in listed.items() if MARK in item["metadata"].get("annotations", {})]
    for name in NODES:
        assert TO_VERSION in node(name).check_output(f"{K3S} --version")
    drained = [run.output.index(f"node/{name} drained") for name in SERVERS + AGENTS]
    assert drained == sorted(drained), "servers first, one at a time, then the agents"
    assert "Pre-upgrade snapshot: pre-upgrade-" in run.output
    snapshots = json.loads(node(FIRST_SERVER).check_output(f"{K3S} etcd-snapshot ls --output json"))["items"]
    assert [s for s in snapshots if s["spec"]["snapshotName"].startswith("pre-upgrade-")]


def test_a_node_a_failed_run_left_cordoned_is_uncordoned_by_the_next_run():
    # What an upgrade that stopped after draining leaves: the node cordoned, with the collection's mark.
    left, by_hand = SERVERS[1], AGENTS[0]
    for args in (("cordon", left), ("annotate", "node", left, f"{MARK}=upgrade"), ("cordon", by_hand)):
        assert kubectl(*args).rc == 0
    assert cordoned() == sorted([left, by_hand])
    run = run_runbook(UPGRADE, "-e", f"k3s_version={TO_VERSION}")
    assert run.rc == 0, tail(run)
    assert "Nothing to upgrade: every node runs " + TO_VERSION in run.output
    said = f"Cordoned by an earlier run that did not finish, uncordoned once Ready on {TO_VERSION}: {left}"
    assert said in run.output
    assert cordoned() == [by_hand], "the cordon made by hand stays"
    assert MARK not in nodes()[left]["metadata"].get("annotations", {})
    assert kubectl("uncordon", by_hand).rc == 0


def test_a_second_upgrade_run_changes_nothing():
    run = run_runbook(UPGRADE, *SOME, "-e", f"k3s_version={TO_VERSION}")
    assert run.rc == 0, tail(run)
    assert run.changed() == 0, tail(run, 120)
    assert "Nothing to upgrade: every node runs " + TO_VERSION in run.output


def test_a_downgrade_is_refused_once_before_anything_changes():
    run = run_runbook(UPGRADE, "-e", f"k3s_version={FROM_VERSION}")
    assert run.rc != 0
    # One refusal for the whole run, not one per node: one failed result carries it (ansible-core also
    # repeats that result's message in its [ERROR] line).
    refusals = re.findall(r'"msg": "[^"\n]*Kubernetes does not support downgrades', run.output)
    assert len(refusals) == 1, tail(run)
    assert f"run a newer version than {FROM_VERSION}" in run.output
    assert all(f"{name} ({TO_VERSION})" in run.output for name in NODES)
    assert set(versions().values()) == {TO_VERSION}
