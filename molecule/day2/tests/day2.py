# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers of the day-2 stories: the molecule inventory, kubectl on a server, playbook runs."""

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import testinfra
import testinfra.utils.ansible_runner

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
EPHEMERAL = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
PROJECT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY)
NODES = RUNNER.get_hosts("k3s_cluster")
SERVERS = RUNNER.get_hosts("server")
AGENTS = RUNNER.get_hosts("agent")
FIRST_SERVER = SERVERS[0]
K3S = "/usr/local/bin/k3s"
DATA_DIR = "/var/lib/rancher/k3s"
SNAPSHOTS = EPHEMERAL / "snapshots"
FROM_VERSION = "v1.31.4+k3s1"
TO_VERSION = "v1.32.1+k3s1"
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)


def node(name):
    return testinfra.get_host(f"ansible://{name}", ansible_inventory=INVENTORY)


def kubectl(*args, via=FIRST_SERVER, stdin=None):
    """Run k3s kubectl on a server; return the command result (rc, stdout, stderr)."""
    command = " ".join(shlex.quote(a) for a in (K3S, "kubectl", *args))
    if stdin is not None:
        command = f"printf '%s' {shlex.quote(stdin)} | {command}"
    return node(via).run(command)


def nodes(via=FIRST_SERVER):
    result = kubectl("get", "nodes", "--output", "json", via=via)
    assert result.rc == 0, result.stderr
    return {item["metadata"]["name"]: item for item in json.loads(result.stdout)["items"]}


def is_ready(item):
    return any(c["type"] == "Ready" and c["status"] == "True" for c in item["status"]["conditions"])


@dataclass
class Run:
    rc: int
    output: str
    recap: dict  # host -> (changed, failed)

    def changed(self):
        return sum(changed for changed, _failed in self.recap.values())


def playbook(name, *args):
    """Run playbooks/<name> against the scenario's hosts (logged at -vvv to the scenario's ansible.log)."""
    ansible_playbook = str(Path(sys.executable).parent / "ansible-playbook")
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    result = subprocess.run(
        [ansible_playbook, "--inventory", str(EPHEMERAL / "inventory"), *args, str(PROJECT / "playbooks" / name)],
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
        check=False,
    )
    output = result.stdout + result.stderr
    recap = {m[1]: (int(m[3]), int(m[5])) for m in RECAP.finditer(output)}
    return Run(result.returncode, output, recap)


def tail(run, lines=60):
    return "\n".join(run.output.splitlines()[-lines:])
