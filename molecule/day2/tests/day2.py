# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers of the day-2 stories, on top of the k3s scenarios' (molecule/k3s-single/tests/cluster.py)."""

import json
from dataclasses import dataclass

import cluster
from cluster import EPHEMERAL, FIRST_SERVER, PROJECT, kubectl

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
