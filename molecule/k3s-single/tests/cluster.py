# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers of the k3s scenarios: the molecule inventory and ansible-playbook runs against it."""

import os
import re
import subprocess
import sys
from pathlib import Path

import testinfra
import testinfra.utils.ansible_runner

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
EPHEMERAL = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
PROJECT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
SITE = PROJECT / "playbooks" / "site.yml"
RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY)
NODES = RUNNER.get_hosts("k3s_cluster")
SERVERS = RUNNER.get_hosts("server")
AGENTS = RUNNER.get_hosts("agent")
FIRST_SERVER = SERVERS[0]
DATA_DIR = "/var/lib/rancher/k3s"
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)


def variables(name):
    return RUNNER.get_variables(name)


def api_endpoint():
    """The address agents and the kubeconfig use: k3s_api_endpoint, else the first server."""
    value = variables(FIRST_SERVER).get("k3s_api_endpoint", "")
    if "{{" in value:  # k3s-ha derives its virtual IP from the lab network: the .250 of the /24
        value = re.sub(r"\.[0-9]+$", ".250", variables(FIRST_SERVER)["ansible_host"])
    return value or variables(FIRST_SERVER)["ansible_host"]


def node(name):
    return testinfra.get_host(f"ansible://{name}", ansible_inventory=INVENTORY)


def playbook(*args, extra_inventory=None, target=SITE):
    """Run a playbook (site.yml by default) on the scenario's hosts: (rc, output, {host: (changed, failed)})."""
    inventories = ["--inventory", str(EPHEMERAL / "inventory")]
    if extra_inventory:
        inventories += ["--inventory", str(extra_inventory)]
    env = dict(os.environ, ANSIBLE_VERBOSITY="0", ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    ansible_playbook = str(Path(sys.executable).parent / "ansible-playbook")
    result = subprocess.run(
        [ansible_playbook, *inventories, *args, str(target)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    output = result.stdout + result.stderr
    recap = {m[1]: (int(m[3]), int(m[5])) for m in RECAP.finditer(output)}
    return result.returncode, output, recap
