# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers of the day-2 stories, on top of the k3s scenarios' (molecule/k3s-single/tests/cluster.py)."""

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import cluster
from cluster import EPHEMERAL, FIRST_SERVER, PROJECT, RECAP, kubectl

SNAPSHOTS = EPHEMERAL / "snapshots"
FROM_VERSION = "v1.36.4+k3s1"
TO_VERSION = "v1.37.2+k3s1"


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
    return Run(*cluster.playbook(*args, target=PROJECT / "playbooks" / name, verbose=True, timeout=1200))


def tail(run, lines=60):
    return "\n".join(run.output.splitlines()[-lines:])


# -- the runbooks' own commands ------------------------------------------------------------------------------

RUNBOOKS = PROJECT / "docs" / "runbooks"
FENCE = re.compile(r"^ *```[a-z]*\n(.*?)^ *```", re.MULTILINE | re.DOTALL)
DOC_INVENTORY = "inventory/hosts.yml"


def runbook_commands(name):
    """The ansible-playbook commands of docs/runbooks/<name>.md's code blocks, continuation lines joined."""
    commands = []
    for block in FENCE.findall((RUNBOOKS / f"{name}.md").read_text()):
        text = re.sub(r"\\\n\s*", " ", block)
        lines = [line for line in text.splitlines() if line.strip().startswith("ansible-playbook ")]
        commands += [" ".join(line.split()) for line in lines]
    return commands


def runbook_command(name, *contains, excludes=()):
    """The one command of the runbook that holds every string of `contains` and none of `excludes`."""
    found = [
        c
        for c in runbook_commands(name)
        if all(part in c for part in contains) and not any(part in c for part in excludes)
    ]
    assert len(found) == 1, f"{name}.md: {len(found)} commands with {contains} and without {excludes}: {found}"
    return found[0]


def run_runbook(command, *extra, replace=None):
    """Run a runbook command on the scenario's hosts: its inventory stands in for the documented one.

    replace maps the documented example values (a node name, a snapshot name) to the scenario's.
    """
    for old, new in (replace or {}).items():
        command = command.replace(old, new)
    argv = shlex.split(command)
    assert argv[0] == "ansible-playbook" and DOC_INVENTORY in argv, command
    argv[argv.index(DOC_INVENTORY)] = str(EPHEMERAL / "inventory")
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    ansible_playbook = str(Path(sys.executable).parent / "ansible-playbook")
    result = subprocess.run(
        [ansible_playbook, *argv[1:], *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
        check=False,
        cwd=PROJECT,
    )
    output = result.stdout + result.stderr
    recap = {m[1]: (int(m[3]), int(m[5])) for m in RECAP.finditer(output)}
    return Run(result.returncode, output, recap)
