# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Story 1: back up, change the cluster, restore: the cluster is as it was at snapshot time.

The commands are those of docs/runbooks/backup.md and restore.md, with the scenario's inventory.
"""

import json
import stat

from cluster import EPHEMERAL, FIRST_SERVER, K3S, NODES, SERVERS, kubectl, node
from day2 import SNAPSHOTS, is_ready, nodes, run_runbook, runbook_command, tail

MARKER = "day2-marker"
BACKUP = runbook_command("backup", "homelab.k3s.backup", excludes=("-e", "crontab"))
RESTORE_CHECK = runbook_command("restore", "--check")
RESTORE = runbook_command("restore", "maintenance_restore_confirm=true", excludes=("maintenance_restore_source",))
RESTORE_CONTROLLER = runbook_command("restore", "maintenance_restore_source=controller")
EXAMPLE = "on-demand-server1-1717000000"
LATER = "day2-after-snapshot"


def apply_configmap(name, value):
    document = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"}}
    document["data"] = {"state": value}
    result = kubectl("apply", "-f", "-", stdin=json.dumps(document))
    assert result.rc == 0, result.stderr


def configmap(name):
    result = kubectl("get", "configmap", name, "--namespace", "default", "--output", "json")
    return json.loads(result.stdout) if result.rc == 0 else None


def local_snapshots():
    result = node(FIRST_SERVER).run(f"{K3S} etcd-snapshot ls --output json")
    assert result.rc == 0, result.stderr
    return sorted(item["spec"]["snapshotName"] for item in json.loads(result.stdout)["items"] or [])


def fetched():
    return sorted(p.name for p in SNAPSHOTS.glob(f"on-demand-{FIRST_SERVER}-*"))


def everything_runs():
    for name in NODES:
        service = "k3s" if name in SERVERS else "k3s-agent"
        assert node(name).service(service).is_running, f"{service} is not running on {name}"


def test_backup_saves_a_snapshot_and_copies_it_to_the_controller():
    apply_configmap(MARKER, "at-snapshot")
    run = run_runbook(BACKUP, "-e", "maintenance_backup_fetch=true", "-e", "maintenance_backup_fetch_token=true")
    assert run.rc == 0, tail(run)
    assert set(run.recap) == set(SERVERS)
    assert local_snapshots() == fetched()
    assert len(fetched()) == 1
    assert stat.S_IMODE(SNAPSHOTS.stat().st_mode) == 0o700
    for path in [SNAPSHOTS / fetched()[0], SNAPSHOTS / "token"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_backup_in_check_mode_says_what_the_retention_would_remove():
    # A second snapshot first: check mode prunes among the snapshots that exist.
    assert run_runbook(BACKUP).rc == 0
    before = local_snapshots()
    assert len(before) == 2
    run = run_runbook(BACKUP, "--check", "-e", "maintenance_backup_retention=1")
    assert run.rc == 0, tail(run)
    assert "Retention 1: check mode, nothing is deleted; a run would remove" in run.output
    assert "Retention 1: removed" not in run.output
    assert local_snapshots() == before


def test_a_later_backup_applies_the_retention():
    kubectl("delete", "configmap", MARKER, "--namespace", "default")
    apply_configmap(LATER, "after-snapshot")
    copied = fetched()
    run = run_runbook(BACKUP, "-e", "maintenance_backup_retention=1")
    assert run.rc == 0, tail(run)
    left = local_snapshots()
    assert len(left) == 1
    assert left != copied, "the older snapshot should have been pruned on the server"
    assert fetched() == copied, "the copy on the controller stays"


def test_restore_refuses_without_a_confirmation_and_names_the_snapshots_the_server_has():
    # The first server no longer has the snapshot (pruned): both problems are reported at once.
    # The runbook's restore command without its yes.
    run = run_runbook(RESTORE, replace={EXAMPLE: fetched()[0], "-e maintenance_restore_confirm=true": ""})
    assert run.rc != 0
    assert "-e maintenance_restore_confirm=true" in run.output
    assert f"does not exist on {FIRST_SERVER}. Its snapshots: {local_snapshots()[0]}." in run.output
    assert configmap(MARKER) is None
    everything_runs()


def test_restore_in_check_mode_prints_the_plan_and_changes_nothing():
    run = run_runbook(RESTORE_CHECK, "-e", "maintenance_restore_source=controller", replace={EXAMPLE: fetched()[0]})
    assert run.rc == 0, tail(run)
    assert run.changed() == 0
    assert "Check mode: nothing is changed. A restore would:" in run.output
    assert "k3s server --cluster-reset --cluster-reset-restore-path=" in run.output
    assert configmap(MARKER) is None
    everything_runs()


def test_restore_brings_the_cluster_back_to_the_snapshot():
    # The token passes through the restore too, as it would for new hosts.
    variables = EPHEMERAL / "restore-vars.yml"
    variables.write_text(f"maintenance_restore_token: \"{{{{ lookup('file', '{SNAPSHOTS / 'token'}') }}}}\"\n")
    variables.chmod(0o600)
    run = run_runbook(RESTORE_CONTROLLER, replace={EXAMPLE: fetched()[0], "@restore-token.yml": f"@{variables}"})
    assert run.rc == 0, tail(run)
    marker = configmap(MARKER)
    assert marker is not None, "the marker of snapshot time is back"
    assert marker["data"] == {"state": "at-snapshot"}
    assert configmap(LATER) is None, "what was created after the snapshot is gone"
    listed = nodes()
    assert sorted(listed) == sorted(NODES)
    assert all(is_ready(item) for item in listed.values())
    everything_runs()
    for name in SERVERS[1:]:
        aside = node(name).run("ls -d /var/lib/rancher/k3s/server/db-pre-restore-*")
        assert aside.rc == 0, f"{name}: the previous datastore was not kept"
    assert not node(FIRST_SERVER).file("/etc/rancher/k3s/config.yaml.d/99-homelab-restore.yaml").exists


def test_no_token_in_the_logs():
    secret = (SNAPSHOTS / "token").read_text().strip().split("::server:")[-1]
    assert len(secret) >= 16
    assert secret not in (EPHEMERAL / "ansible.log").read_text()
