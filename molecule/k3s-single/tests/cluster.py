# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers of the k3s scenarios: the molecule inventory and ansible-playbook runs against it."""

import json
import os
import re
import shlex
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
# A scenario may keep another project's group names (pi: techno-tim's master and node): the group settings say.
_GROUP_VARS = RUNNER.get_variables(RUNNER.get_hosts("all")[0])
NODES = RUNNER.get_hosts(_GROUP_VARS.get("k3s_cluster_group", "k3s_cluster"))
SERVERS = RUNNER.get_hosts(_GROUP_VARS.get("k3s_server_group", "server"))
AGENTS = RUNNER.get_hosts(_GROUP_VARS.get("k3s_agent_group", "agent"))
FIRST_SERVER = SERVERS[0]
K3S = "/usr/local/bin/k3s"
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


def kubectl(*args, via=FIRST_SERVER, stdin=None):
    """Run k3s kubectl on a server; return the command result (rc, stdout, stderr)."""
    command = " ".join(shlex.quote(a) for a in (K3S, "kubectl", *args))
    if stdin is not None:
        command = f"printf '%s' {shlex.quote(stdin)} | {command}"
    return node(via).run(command)


def playbook(*args, extra_inventory=None, inventory=None, target=SITE, verbose=False, timeout=900):
    """Run a playbook (site.yml by default) on the scenario's hosts: (rc, output, {host: (changed, failed)}).

    inventory replaces the scenario's inventory; verbose keeps the scenario's own verbosity (-vvv into its
    ansible.log); otherwise the run is quiet.
    """
    inventories = ["--inventory", str(inventory or EPHEMERAL / "inventory")]
    if extra_inventory:
        inventories += ["--inventory", str(extra_inventory)]
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    if not verbose:
        env["ANSIBLE_VERBOSITY"] = "0"
    ansible_playbook = str(Path(sys.executable).parent / "ansible-playbook")
    result = subprocess.run(
        [ansible_playbook, *inventories, *args, str(target)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )
    output = result.stdout + result.stderr
    recap = {m[1]: (int(m[3]), int(m[5])) for m in RECAP.finditer(output)}
    return result.returncode, output, recap


def service(name):
    """The k3s service of a node."""
    return "k3s-agent" if name in AGENTS else "k3s"


def invocation(name):
    """The systemd InvocationID of the node's k3s service now; it changes on every start or restart."""
    return node(name).check_output(f"systemctl show --property InvocationID --value {service(name)}").strip()


def invocations(name, unit=None):
    """The invocation IDs of the node's k3s service (or of unit) in its journal, oldest first: one per start."""
    journal = node(name).check_output(
        f"journalctl --unit {unit or service(name)} --output json --output-fields INVOCATION_ID,_SYSTEMD_INVOCATION_ID"
    )
    seen = []
    for line in journal.splitlines():
        record = json.loads(line)
        value = record.get("INVOCATION_ID") or record.get("_SYSTEMD_INVOCATION_ID")
        if value and value not in seen:
            seen.append(value)
    return seen


def restarts_since(name, before):
    """How many times the node's k3s service started since its invocation before, from its journal."""
    seen = invocations(name)
    assert before in seen, f"{name}: the journal lost the run of {service(name)} before"
    return len(seen) - seen.index(before) - 1
