# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Story 4: a rolling reboot reboots the nodes that ask for it, one at a time, servers first.

The commands are those of docs/runbooks/os-update.md. The lab hosts are containers: a reboot is a container
restart run on the controller (maintenance_reboot_controller_command in molecule.yml), and a node asks for a
reboot when its /var/run/reboot-required exists, which the test creates.
"""

from cluster import AGENTS, NODES, SERVERS, kubectl, node
from day2 import is_ready, nodes, run_runbook, runbook_command, tail

CHECK = runbook_command("os-update", "--check")
REBOOTS_ONLY = runbook_command("os-update", "maintenance_update_packages=false", excludes=("maintenance_reboot=",))
ASKING = [SERVERS[1], AGENTS[0]]


def boot(name):
    """The start time of the host's PID 1: a container restart changes it."""
    return node(name).check_output("cut -d' ' -f22 /proc/1/stat").strip()


def test_the_plan_names_the_nodes_that_ask_for_a_reboot_and_changes_nothing():
    for name in ASKING:
        node(name).run_test("touch /var/run/reboot-required")
    before = {name: boot(name) for name in NODES}
    run = run_runbook(CHECK, "-e", "maintenance_update_packages=false")
    assert run.rc == 0, tail(run)
    assert f"reboot asked for now: {', '.join(ASKING)}" in run.output, tail(run)
    assert f"  {SERVERS[0]}: nothing to do, skipped" in run.output
    assert f"  {SERVERS[1]}: drain, reboot, wait until Ready, uncordon" in run.output
    assert {name: boot(name) for name in NODES} == before


def test_the_nodes_that_ask_for_it_reboot_and_come_back_schedulable():
    before = {name: boot(name) for name in NODES}
    run = run_runbook(REBOOTS_ONLY)
    assert run.rc == 0, tail(run)
    after = {name: boot(name) for name in NODES}
    assert sorted(name for name in NODES if after[name] != before[name]) == sorted(ASKING)
    for name in ASKING:
        assert not node(name).file("/var/run/reboot-required").exists
    listed = nodes()
    assert all(is_ready(item) for item in listed.values())
    assert not [name for name, item in listed.items() if item["spec"].get("unschedulable")]
    drained = [run.output.index(f"node/{name} drained") for name in ASKING]
    assert drained == sorted(drained), "the server before the agent"
    assert kubectl("create", "namespace", "after-reboots").rc == 0


def test_a_second_run_reboots_nothing():
    before = {name: boot(name) for name in NODES}
    run = run_runbook(REBOOTS_ONLY)
    assert run.rc == 0, tail(run)
    assert run.changed() == 0, tail(run, 120)
    assert {name: boot(name) for name in NODES} == before
