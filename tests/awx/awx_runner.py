# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a playbook of the project the way AWX does, and read the job events it leaves.

AWX syncs the project, installs collections/requirements.yml into requirements_collections, copies the
checkout (links kept, .git left out) into a private data directory with the inventory and env/ files, and
streams that directory to an execution node: `ansible-runner transmit` on the control node,
`ansible-runner worker` on the execution node, `ansible-runner process` back on the control node, which
writes the job events to artifacts/<ident>/job_events/.
"""

import configparser
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import ansible_runner
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEFAULT_COLLECTIONS = ["~/.ansible/collections", "/usr/share/ansible/collections"]
DEFAULT_ROLES = ["~/.ansible/roles", "/usr/share/ansible/roles", "/etc/ansible/roles"]


class _VarsLoader(yaml.SafeLoader):
    """Reads Ansible vars files: `!unsafe` strings are kept as they are."""


_VarsLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def load_vars(path):
    return yaml.load(Path(path).read_text(), Loader=_VarsLoader)  # noqa: S506 - a SafeLoader subclass


def project_files():
    """The files a clone of the working tree holds: tracked and new ones, not the ignored ones."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted({name for name in listed.split("\0") if name and os.path.lexists(ROOT / name)})


def copy_project(dest):
    """The project checkout as AWX copies it into a job's private data directory."""
    for name in project_files():
        source, target = ROOT / name, dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)
    return dest


def sync_requirements(project, dest):
    """The project sync's `ansible-galaxy collection install -r collections/requirements.yml`, offline."""
    result = subprocess.run(
        [
            BIN / "ansible-galaxy",
            "collection",
            "install",
            "--offline",
            "-r",
            "collections/requirements.yml",
            "-p",
            dest,
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _paths(config, key, defaults):
    value = config.get("defaults", key, fallback="")
    paths = [p for p in value.split(":") if p]
    return paths + [p for p in defaults if p not in paths]


def awx_env(pdd):
    """The ANSIBLE_* settings AWX gives a job: requirements first, then the project's ansible.cfg paths.

    AWX names the requirements by their path in the execution environment (/runner/...); relative to the
    project directory, where the job runs, they resolve on the worker the same way.
    """
    config = configparser.ConfigParser()
    config.read(pdd / "project" / "ansible.cfg")
    return {
        "ANSIBLE_COLLECTIONS_PATH": ":".join(
            ["../requirements_collections", *_paths(config, "collections_path", DEFAULT_COLLECTIONS)]
        ),
        "ANSIBLE_ROLES_PATH": ":".join(["../requirements_roles", *_paths(config, "roles_path", DEFAULT_ROLES)]),
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_NOCOLOR": "True",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }


class Job:
    """A finished job: its status, return code and events."""

    def __init__(self, artifacts):
        self.status = (artifacts / "status").read_text().strip()
        self.rc = int((artifacts / "rc").read_text())
        self.events = [
            json.loads(path.read_text())
            for path in sorted((artifacts / "job_events").glob("*.json"), key=lambda p: int(p.name.split("-", 1)[0]))
        ]
        self.stdout = (artifacts / "stdout").read_text() if (artifacts / "stdout").exists() else ""

    def of(self, kind):
        return [e for e in self.events if e["event"] == kind]

    @property
    def stats(self):
        (stats,) = self.of("playbook_on_stats")
        return stats["event_data"]

    def total(self, counter):
        return sum(self.stats.get(counter, {}).values())

    def failed(self):
        """Failures that count: runner_on_failed without ignore_errors, and unreachable hosts."""
        return [
            e
            for e in self.events
            if (e["event"] == "runner_on_failed" and not e["event_data"].get("ignore_errors"))
            or e["event"] == "runner_on_unreachable"
        ]

    def task_results(self, task):
        return [
            e["event_data"]
            for e in self.events
            if e["event"] in ("runner_on_ok", "runner_on_failed", "runner_on_skipped", "runner_on_unreachable")
            and e["event_data"].get("task") == task
        ]

    def report(self):
        return f"status {self.status}, rc {self.rc}\n{self.stdout[-6000:]}"


def private_data_dir(base, project, inventory, extravars=None, envvars=None, cmdline=""):
    """A private data directory: project/, inventory/hosts, env/ and requirements_collections/.

    `inventory` is in the JSON form of an inventory script, which is how AWX hands a job its inventory.
    """
    pdd = Path(base)
    pdd.mkdir(parents=True, exist_ok=True)
    shutil.copytree(project, pdd / "project", symlinks=True)
    shutil.copytree(project.parent / "requirements_collections", pdd / "requirements_collections")
    (pdd / "inventory").mkdir()
    script = pdd / "inventory" / "hosts"
    script.write_text(f"#!{sys.executable}\nimport json\nprint({json.dumps(inventory)!r})\n")
    script.chmod(0o700)
    env = pdd / "env"
    env.mkdir()
    (env / "extravars").write_text(json.dumps(extravars or {}))
    (env / "envvars").write_text(json.dumps({**awx_env(pdd), **(envvars or {})}))
    (env / "settings").write_text(json.dumps({"job_timeout": 300, "idle_timeout": 240}))
    if cmdline:
        (env / "cmdline").write_text(cmdline)
    return pdd


def run_job(pdd, playbook, ident="1"):
    """transmit | worker | process, as between an AWX control node and an execution node."""
    worker_dir = pdd.parent / f"{pdd.name}-worker"
    worker_dir.mkdir()
    with open(pdd.parent / "transmitted", "w+b") as transmitted, open(pdd.parent / "results", "w+b") as results:
        ansible_runner.run(
            private_data_dir=str(pdd),
            playbook=playbook,
            ident=ident,
            streamer="transmit",
            _output=transmitted,
            quiet=True,
        )
        transmitted.seek(0)
        ansible_runner.run(streamer="worker", _input=transmitted, _output=results, private_data_dir=str(worker_dir))
        results.seek(0)
        processed = ansible_runner.run(
            streamer="process", _input=results, private_data_dir=str(pdd), ident=ident, quiet=True
        )
    assert processed.status == Job(pdd / "artifacts" / ident).status
    return Job(pdd / "artifacts" / ident)
