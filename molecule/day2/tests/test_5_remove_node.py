# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Story 5: removing an etcd server keeps the quorum, or is refused; adding it back with --limit is refused.

The commands are those of docs/runbooks/remove-node.md and add-node.md.
"""

import json

from cluster import EPHEMERAL, FIRST_SERVER, K3S, NODES, SERVERS, kubectl, node
from day2 import is_ready, nodes, playbook, run_runbook, runbook_command, tail

LEAVING = SERVERS[-1]
REMOVE_COMMAND = runbook_command(
    "remove-node", "maintenance_remove_confirm=true", excludes=("maintenance_remove_reset",)
)
REMOVE_CHECK = runbook_command("remove-node", "--check", excludes=("maintenance_remove_reset",))
ADD_CHECK = runbook_command("add-node", "--check")
EXAMPLE = {"maintenance_remove_node=pi4": f"maintenance_remove_node={LEAVING}"}


def remove(*extra):
    return run_runbook(REMOVE_COMMAND, *extra, replace=EXAMPLE)


def test_going_from_three_etcd_members_to_two_is_refused():
    checked = run_runbook(REMOVE_CHECK, replace=EXAMPLE)
    assert checked.rc != 0
    assert "leaves etcd with 2 members (3 -> 2)" in checked.output
    run = remove()
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
    run = remove("-e", "maintenance_remove_allow_even=true")
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
    run = remove("-e", "maintenance_remove_allow_even=true")
    assert run.rc == 0, tail(run)
    assert run.changed() == 0, tail(run, 120)


def test_adding_a_node_with_limit_is_refused_with_the_command_to_run():
    # LEAVING has no k3s any more: to site.yml it is a new node, as in add-node.md.
    hosts = node(FIRST_SERVER).check_output("cat /etc/hosts")
    run = run_runbook(ADD_CHECK, "--limit", LEAVING)
    assert run.rc != 0
    others = ", ".join(name for name in NODES if name != LEAVING)
    assert f"{LEAVING} is new to the cluster (no k3s yet), but --limit leaves out {others}" in run.output, tail(run)
    assert f"ansible-playbook homelab.k3s.site -i {EPHEMERAL / 'inventory'}" in run.output
    assert "PLAY [Prepare the operating system of every node]" not in run.output
    assert node(FIRST_SERVER).check_output("cat /etc/hosts") == hosts
    assert not node(LEAVING).file(K3S).exists


def test_site_runs_log_no_no_log_warning():
    assert "Invalid no_log value" not in (EPHEMERAL / "ansible.log").read_text()
