# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a user installs is what runs: the built artifact with its declared dependencies only, on plain
ansible-core with the libraries the collection lists, from a directory outside the clone; and the project as
AWX runs it, on an execution environment made of execution-environment.yml's lists."""

from __future__ import annotations

import json
import re
import shutil
import stat

import pytest
import yaml
from awx_runner import Job, awx_env, copy_project
from conftest import HOSTS, ROOT, GalaxyServer, execution_environment, inventory, pipe, run, user_env
from local_galaxy import declared_dependencies
from packaging.requirements import Requirement
from packaging.version import Version

RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def recap(stdout):
    """{host: (ok, changed, unreachable, failed)} of the last PLAY RECAP."""
    return {m[0]: tuple(int(n) for n in m[1:]) for m in RECAP.findall(stdout.split("PLAY RECAP")[-1])}


def _lower_bound(spec):
    (bound,) = [s.version for s in Requirement(f"x{spec}").specifier if s.operator == ">="]
    return bound


@pytest.fixture(scope="module")
def site_runs(workstation, userdir):
    args = ["ansible-playbook", "homelab.k3s.site", "-i", "hosts.yml"]
    first = run(args, cwd=userdir, env=workstation["env"], check=False, log=userdir / "site-1.log")
    second = run(args, cwd=userdir, env=workstation["env"], check=False, log=userdir / "site-2.log")
    return first, second


def test_oldest_dependencies_are_the_declared_lower_bounds(oldest, newest):
    declared = declared_dependencies()
    versions = {p.name.rsplit("-", 1)[0].replace("-", "."): p.name.rsplit("-", 1)[1][: -len(".tar.gz")] for p in oldest}
    assert versions == {fqcn: _lower_bound(spec) for fqcn, spec in declared.items()}
    for path in newest:
        fqcn, version = path.name.rsplit("-", 1)[0].replace("-", "."), path.name.rsplit("-", 1)[1][: -len(".tar.gz")]
        assert Requirement(f"x{declared[fqcn]}").specifier.contains(version), (fqcn, version)
        assert Version(version) > Version(versions[fqcn])


def test_workstation_has_ansible_core_and_the_listed_libraries_only(workstation):
    packages = workstation["packages"]
    assert "ansible" not in packages and "ansible-core" in packages
    # Before `pip install -r requirements.txt`, ansible-core came without the collection's libraries.
    assert "netaddr" not in workstation["packages_core"]
    listed = (workstation["collections"] / "homelab" / "k3s" / "requirements.txt").read_text()
    for line in listed.splitlines():
        requirement = line.split("#")[0].strip()
        if requirement:
            name = Requirement(requirement).name.lower()
            assert Requirement(requirement).specifier.contains(packages[name]), (requirement, packages[name])


def test_artifact_installs_with_its_declared_dependencies_only(workstation):
    output = workstation["install_output"]
    assert "homelab.k3s:0.1.0 was installed successfully" in output
    found = sorted(
        f"{ns.name}.{c.name}"
        for ns in workstation["collections"].iterdir()
        for c in ns.iterdir()
        if (c / "MANIFEST.json").exists()
    )
    assert found == sorted(["homelab.k3s", *declared_dependencies()])
    for fqcn, versions in workstation["served"].items():
        assert f"{fqcn}:{versions[0]} was installed successfully" in output


def test_site_converges_fresh_hosts_then_changes_nothing(site_runs):
    first, second = site_runs
    print("first run:", json.dumps(recap(first.stdout)), "\nsecond run:", json.dumps(recap(second.stdout)))
    assert first.returncode == 0, first.stdout[-8000:]
    assert set(recap(first.stdout)) == set(HOSTS)
    assert all(changed > 0 and failed == 0 for _ok, changed, _u, failed in recap(first.stdout).values())
    assert second.returncode == 0, second.stdout[-8000:]
    assert {host: counts[1:] for host, counts in recap(second.stdout).items()} == {h: (0, 0, 0) for h in HOSTS}
    assert "homelab.k3s cluster - 2 nodes (1 server, 1 agent), 2 Ready" in second.stdout
    assert "apps        http://whoami.k3s.local" in second.stdout
    for run_ in site_runs:
        assert "ansible.utils" not in run_.stdout
    print("warnings:", sorted({line for r in site_runs for line in r.stdout.splitlines() if "[WARNING]" in line}))


def test_bad_addresses_are_refused_before_any_change(workstation, userdir, site_runs):
    """The input checks of the base role, the task that needed ansible.utils before, on the installed collection."""
    bad = json.dumps({"base_host_address": "cons.lan", "base_firewall_trusted_cidrs": ["10.42.0.1/16"]})
    result = run(
        ["ansible-playbook", "homelab.k3s.site", "-i", "hosts.yml", "--check", "-e", bad],
        cwd=userdir,
        env=workstation["env"],
        check=False,
        log=userdir / "site-bad-input.log",
    )
    assert result.returncode == 2, result.stdout[-8000:]
    output = " ".join(result.stdout.split())
    found = re.search(r"These nodes have no IP address \(set base_host_address or ansible_host\): ([\w, -]+)\.", output)
    assert found and sorted(found[1].split(", ")) == sorted(HOSTS), output[-4000:]
    assert "These are not IP networks: 10.42.0.1/16" in output
    assert {host: counts[1] for host, counts in recap(result.stdout).items()} == dict.fromkeys(HOSTS, 0)


def test_kubeconfig_reaches_the_workstation(site_runs, userdir):
    kubeconfig = userdir / "kubeconfig"
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
    config = yaml.safe_load(kubeconfig.read_text())
    assert [c["name"] for c in config["contexts"]] == ["consumer"]


def test_terraform_inventory_plugin(workstation, tmp_path):
    fixtures = ROOT / "tests" / "fixtures" / "terraform"
    for name in ("telmate.terraform.yml", "telmate.tfstate"):
        shutil.copy(fixtures / name, tmp_path / name)
    result = run(["ansible-inventory", "-i", "telmate.terraform.yml", "--list"], cwd=tmp_path, env=workstation["env"])
    listed = json.loads(result.stdout)
    assert sorted(listed["k3s_cluster"]["children"]) == ["agent", "server"]
    assert len(listed["server"]["hosts"]) == 1 and len(listed["agent"]["hosts"]) == 2


@pytest.fixture(scope="module")
def awx_project(tmp_path_factory, execution_env, newest):
    """The project as AWX syncs it: the checkout, and the collections of the execution environment's galaxy list
    (collections/requirements.yml) installed from Galaxy into requirements_collections."""
    base = tmp_path_factory.mktemp("awx")
    project = copy_project(base / "project")
    home = base / "home"
    home.mkdir()
    with GalaxyServer(newest) as galaxy:
        env = user_env(execution_env, home, ANSIBLE_GALAXY_SERVER=galaxy.url)
        synced = run(
            [
                "ansible-galaxy",
                "collection",
                "install",
                "-r",
                execution_environment()["dependencies"]["galaxy"],
                "-p",
                base / "requirements_collections",
            ],
            cwd=project,
            env=env,
        )
        served = galaxy.versions()
    return {"project": project, "base": base, "home": home, "sync_output": synced.stdout, "served": served}


def test_awx_job_runs_site_on_the_execution_environment(
    awx_project, execution_env, lab, double, userdir, site_runs, tmp_path
):
    """transmit | worker | process, as between AWX's control node and an execution node running the EE."""
    for fqcn, versions in awx_project["served"].items():
        assert f"{fqcn}:{versions[-1]} was installed successfully" in awx_project["sync_output"]
    pdd = tmp_path / "pdd"
    shutil.copytree(awx_project["project"], pdd / "project", symlinks=True)
    shutil.copytree(awx_project["base"] / "requirements_collections", pdd / "requirements_collections")
    (pdd / "inventory").mkdir()
    hosts = inventory(lab, double, userdir / "kubeconfig")
    hostvars = {
        name: dict(vars_)
        for group in hosts["k3s_cluster"]["children"].values()
        for name, vars_ in group["hosts"].items()
    }
    script = pdd / "inventory" / "hosts"
    listed = {
        "_meta": {"hostvars": hostvars},
        "all": {"children": ["k3s_cluster", "ungrouped"]},
        "k3s_cluster": {"children": ["server", "agent"], "vars": hosts["k3s_cluster"]["vars"]},
        **{g: {"hosts": list(v["hosts"])} for g, v in hosts["k3s_cluster"]["children"].items()},
    }
    script.write_text(f"#!{execution_env}/bin/python\nimport json\nprint({json.dumps(listed)!r})\n")
    script.chmod(0o700)
    (pdd / "env").mkdir()
    envvars = {key: value for key, value in awx_env(pdd).items() if key != "PATH"}
    (pdd / "env" / "envvars").write_text(json.dumps(envvars))
    (pdd / "env" / "settings").write_text(json.dumps({"job_timeout": 600}))
    env = user_env(execution_env, awx_project["home"])
    transmitted = pipe(["ansible-runner", "transmit", pdd, "-p", "playbooks/site.yml", "--ident", "1"], tmp_path, env)
    worker_dir = tmp_path / "worker"
    worker_dir.mkdir()
    results = pipe(["ansible-runner", "worker", "--private-data-dir", worker_dir], tmp_path, env, transmitted)
    pipe(["ansible-runner", "process", pdd, "--ident", "1"], tmp_path, env, results)
    job = Job(pdd / "artifacts" / "1")
    print("AWX job:", job.status, "changed", job.total("changed"), "ok", job.total("ok"))
    assert (job.status, job.rc, job.failed()) == ("successful", 0, []), job.report()
    assert job.total("changed") == 0, job.report()
    assert sorted(job.stats["ok"]) == sorted(HOSTS)
    (summary,) = job.task_results("Show the cluster summary")
    assert summary["res"]["msg"][0] == "homelab.k3s cluster - 2 nodes (1 server, 1 agent), 2 Ready"
    assert "ansible.utils" not in job.stdout
