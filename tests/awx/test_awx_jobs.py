# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The job templates' playbooks run through ansible-runner as on an AWX execution node, against a cluster
of the k3s test double; the assertions read the job events runner wrote.

The survey answers are passed as AWX passes them: strings, "no" for an unconfirmed reset or restore.
"""

import os

import pytest
from k3s_double.version import DEFAULT_VERSION

APPS = {"apps_enabled": ["whoami"], "apps_ingress_tls": False, "apps_wait": False}


def _message(job, task):
    results = job.task_results(task)
    assert len(results) == 1, f"task {task!r} ran {len(results)} times:\n{job.report()}"
    return results[0]["res"]["msg"]


@pytest.fixture(scope="module")
def apps_runs(awx_job):
    return awx_job("playbooks/apps.yml", APPS), awx_job("playbooks/apps.yml", APPS)


@pytest.fixture(scope="module")
def backup(awx_job):
    return awx_job("playbooks/backup.yml", {"maintenance_backup_name": "awx"})


def test_apps_job_writes_the_manifests_then_changes_nothing(apps_runs, cluster):
    first, second = apps_runs
    for job in apps_runs:
        assert (job.status, job.rc, job.failed()) == ("successful", 0, []), job.report()
        assert list(job.stats["ok"]) == ["server1"]
    assert first.total("changed") >= 3
    assert second.total("changed") == 0
    manifests = os.listdir(os.path.join(cluster["data_dir"], "server", "manifests"))
    assert {"homelab-whoami.yaml", "homelab-whoami-resources.yaml"} <= set(manifests)


def test_site_job_ends_with_the_cluster_summary(awx_job, apps_runs):
    job = awx_job("playbooks/site.yml", cmdline="--tags summary")
    assert (job.status, job.failed(), job.total("changed")) == ("successful", [], 0), job.report()
    lines = _message(job, "Show the cluster summary")
    assert lines[0] == "homelab.k3s cluster - 3 nodes (1 server, 2 agents), 3 Ready"
    assert lines[1].split() == ["HOST", "ROLE", "ADDRESS", "STATUS", "VERSION"]
    assert [line.split() for line in lines[2:5]] == [
        ["server1", "server", "127.0.0.1", "Ready", DEFAULT_VERSION],
        ["agent1", "agent", "127.0.0.1", "Ready", DEFAULT_VERSION],
        ["agent2", "agent", "127.0.0.1", "Ready", DEFAULT_VERSION],
    ]
    k3s_line = next(line for line in lines if line.startswith("k3s "))
    assert k3s_line.startswith(f"k3s         {DEFAULT_VERSION} (commit testdoub), go version ")
    assert "(homelab.k3s test double, not k3s, Python" in k3s_line
    assert "apps        http://whoami.k3s.local" in lines


def test_backup_job_saves_a_snapshot(backup, cluster):
    assert (backup.status, backup.failed()) == ("successful", []), backup.report()
    (saved,) = backup.task_results("Take an on-demand etcd snapshot")
    assert saved["res"]["changed"] and backup.total("changed") >= 1
    name = saved["res"]["snapshot"]["name"]
    assert name.startswith("awx-server1-")
    assert os.path.isfile(os.path.join(cluster["data_dir"], "server", "db", "snapshots", name))


def test_restore_job_waits_for_a_yes(awx_job, backup):
    (saved,) = backup.task_results("Take an on-demand etcd snapshot")
    job = awx_job(
        "playbooks/restore.yml",
        {"maintenance_restore_snapshot": saved["res"]["snapshot"]["name"], "maintenance_restore_confirm": "no"},
    )
    assert (job.status, job.total("changed")) == ("failed", 0), job.report()
    assert [e["event_data"]["task"] for e in job.failed()] == ["Check the restore request"]
    assert "maintenance_restore_confirm=true" in job.failed()[0]["event_data"]["res"]["msg"]


def test_upgrade_job_refuses_a_downgrade(awx_job):
    """Launched as a check job, so that a refusal that stopped working would still change nothing."""
    job = awx_job(
        "playbooks/upgrade.yml",
        {"k3s_version": "v1.30.5+k3s1", "maintenance_upgrade_agent_serial": 1},
        cmdline="--check",
    )
    assert (job.status, job.total("changed")) == ("failed", 0), job.report()
    assert [e["event_data"]["task"] for e in job.failed()] == ["Check the upgrade before changing anything"]
    assert "does not support downgrades" in job.failed()[0]["event_data"]["res"]["msg"]
    # the later plays never started (the first one only sorts the hosts into the plays' groups, on the controller)
    assert [e["event_data"]["play"] for e in job.of("playbook_on_play_start")] == [
        "Find the servers and agents of the cluster",
        "Check the upgrade and take a pre-upgrade snapshot",
    ]


def test_reset_job_waits_for_a_yes(awx_job, cluster, unreachable):
    """The refusal runs on the controller; the nodes are unreachable, should it ever let a reset through."""
    job = awx_job("playbooks/reset.yml", {"maintenance_reset_confirm": "no"}, hosts=unreachable)
    assert (job.status, job.total("changed")) == ("failed", 0), job.report()
    failed = [e["event_data"]["task"] for e in job.failed()]
    # The nodes are only tried for their snapshot list; the refusal itself needs none of them.
    assert failed[-1] == "Refuse to reset without a yes", failed
    assert set(failed[:-1]) <= {"List the local etcd snapshots"}, failed
    assert os.path.isdir(os.path.join(cluster["data_dir"], "server"))
