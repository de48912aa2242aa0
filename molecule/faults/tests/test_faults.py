# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Faults as a user meets them, one story per test, in order (each leaves the cluster converged).

Every run's output is kept in <ephemeral>/stories/<story>.log.
"""

import ipaddress
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from cluster import AGENTS, EPHEMERAL, NODES, PROJECT, SERVERS, SITE, kubectl, node, playbook

FIRST, SECOND, THIRD = SERVERS
AGENT = AGENTS[0]
NET = "molecule-" + os.environ.get("MOLECULE_SCENARIO_NAME", "faults")
LAB = PROJECT / "tests" / "lab" / "lab.sh"
STORIES = EPHEMERAL / "stories"
LAB_ENV = dict(os.environ, CONTAINERS_CONF=str(PROJECT / ".lab" / "containers.conf"))
DROP_IN = "/etc/rancher/k3s/config.yaml.d/99-faults.yaml"
# A token file k3s cannot read (a directory): it exits at start and systemd restarts it every 5 seconds.
UNREADABLE = "/etc/rancher/k3s"
# Inventory overrides of the later stories: the agent's new address, then an environment change.
EXTRA = EPHEMERAL / "faults-extra.yml"


def keep(story, output):
    STORIES.mkdir(exist_ok=True)
    (STORIES / f"{story}.log").write_text(output)


def facts(host):
    """homelab.k3s.k3s_facts of a host, read the way the roles read it."""
    result = node(host).ansible("homelab.k3s.k3s_facts", "", become=True, check=False)
    return result


def invocations(hosts):
    return {h: facts(h)["services"]["k3s-agent" if h in AGENTS else "k3s"]["invocation_id"] for h in hosts}


def lab(*args):
    subprocess.run(["bash", str(LAB), *args, "--net", NET], check=True, env=LAB_ENV, capture_output=True, text=True)


def podman(*args):
    return subprocess.run(["podman", *args], check=False, env=LAB_ENV, capture_output=True, text=True)


def remove(host):
    """Remove a lab host for good (a container still stopping can refuse the first removal)."""
    for attempt in range(5):
        podman("rm", "--force", "--time", str(2 + attempt), host)
        if podman("container", "exists", host).returncode != 0:
            return
        time.sleep(2)
    raise AssertionError(f"{host} could not be removed")


def wait_running(host, service="k3s", timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if facts(host)["services"][service]["active_state"] == "active":
            return
        time.sleep(2)
    raise AssertionError(f"{service} on {host} is not active after {timeout}s")


def test_converged_cluster_keeps_a_configmap():
    kubectl("delete", "configmap", "keep-me", "--ignore-not-found", via=SECOND)
    manifest = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep-me, namespace: default}\ndata: {story: rebuild}\n"
    )
    result = kubectl("apply", "-f", "-", via=SECOND, stdin=manifest)
    assert result.rc == 0, result.stderr
    ca = {h: facts(h)["ca"]["sha256"] for h in SERVERS}
    assert len(set(ca.values())) == 1 and "" not in ca.values(), ca


def test_a_crash_looping_k3s_is_reported_failed_at_its_start():
    before = invocations(SERVERS)
    agent = node(AGENT)
    # As a user would: a drop-in added by hand, then site.yml (which restarts k3s for the newer file).
    agent.run(f"mkdir -p {os.path.dirname(DROP_IN)} && printf 'token-file: {UNREADABLE}\\n' > {DROP_IN}")
    try:
        started = time.monotonic()
        rc, output, recap = playbook()
        keep("3-crash-loop", output + f"\n--- {time.monotonic() - started:.0f}s ---\n")
        assert rc != 0
        assert recap[AGENT][1] == 1, output[-3000:]
        assert all(recap[h] == (0, 0) for h in SERVERS), output[-3000:]
        assert invocations(SERVERS) == before
        # The failed task's origin, its name, then the host's result (ansible-core writes them to stderr).
        failed = re.search(
            r"^Origin: \S+/roles/k3s/tasks/wait_running\.yml:\d+:\d+\n(?:.*\n){0,6}?\d+ - name: Stop when the service "
            rf"is not running\n(?:.*\n){{0,6}}?(fatal: \[{AGENT}\]: FAILED! => .*)$",
            output,
            re.M,
        )
        assert failed, output[-3000:]
        fatal = failed.group(1)
        message = json.loads(fatal.split(" => ", 1)[1])["msg"]
        assert message.startswith(f"k3s-agent on {AGENT} is not running 20s after it was started: activating"), message
        assert "Last lines of its journal (journalctl -u k3s-agent):" in message
        assert f'level=fatal msg="Error: read {UNREADABLE}: is a directory"' in message
        # Failed by its start check, not after another wait: no other task of the agent was retried.
        retried = re.findall(rf"FAILED - RETRYING: \[{AGENT}\]: ([^(]*)\(", output)
        assert {task.strip() for task in retried} <= {"Wait until the service is active"}, retried
        assert f"{AGENT} failed at 'Stop when the service is not running'" in output, output[-2000:]
    finally:
        agent.run(f"rm -f {DROP_IN}")

    rc, output, recap = playbook()
    keep("3-repaired", output)
    assert rc == 0, output[-3000:]
    assert all(recap[h][1] == 0 for h in NODES), output[-3000:]
    assert invocations(SERVERS) == before
    wait_running(AGENT, "k3s-agent")


def test_a_run_with_the_first_server_down_converges_the_rest_and_says_so():
    before = invocations([SECOND, THIRD, AGENT])
    podman("stop", "--time", "2", FIRST)
    try:
        rc, output, recap = playbook()
        keep("2-first-server-down", output)
        assert rc != 0
        assert FIRST in recap and re.search(rf"^{FIRST}\s+: .*unreachable=1", output, re.M), output[-3000:]
        # Nothing failed elsewhere; the controller's kubeconfig may now come from the second server.
        assert all(recap[h][1] == 0 for h in NODES if h != FIRST), output[-3000:]
        assert invocations([SECOND, THIRD, AGENT]) == before
        assert f"{FIRST} did not answer: left out of this run; the cluster goes on with {SECOND}, {THIRD}." in output
        assert f"{FIRST} did not reach the summary" in output
    finally:
        lab("up", FIRST)
    wait_running(FIRST)


def test_a_rebuilt_first_server_rejoins_with_the_data_and_nobody_restarts():
    before = invocations([SECOND, THIRD, AGENT])
    ca = facts(SECOND)["ca"]["sha256"]
    remove(FIRST)
    lab("up", FIRST)
    assert facts(FIRST)["holds_cluster"] is False

    rc, output, recap = playbook()
    keep("1-rebuilt-first-server", output)

    assert rc == 0, output[-3000:]
    assert f"{FIRST} join(s) the cluster of {SECOND}, {THIRD} through {SECOND}" in output, output[-3000:]
    assert recap[FIRST][0] > 0
    assert all(recap[h] == (0, 0) for h in NODES if h != FIRST), output[-3000:]
    assert invocations([SECOND, THIRD, AGENT]) == before
    assert facts(FIRST)["ca"]["sha256"] == ca
    config = kubectl("get", "configmap", "keep-me", "--output", "json", via=FIRST)
    assert config.rc == 0, config.stderr
    assert json.loads(config.stdout)["data"] == {"story": "rebuild"}


def firewall(host, address=None):
    """The rules of ufw on a host (ufw status), those naming address when it is given."""
    output = podman("exec", host, "ufw", "status").stdout
    return [line for line in output.splitlines() if address is None or address in line.split()]


def address(host):
    return podman(
        "inspect", "-f", f'{{{{ (index .NetworkSettings.Networks "{NET}").IPAddress }}}}', host
    ).stdout.strip()


def test_a_changed_agent_address_leaves_no_stale_rule():
    old = address(AGENT)
    assert firewall(FIRST, old), "no rule for the agent before the change"
    taken = {address(h) for h in NODES}
    new = next(
        str(ipaddress.ip_address(old) + i) for i in range(1, 20) if str(ipaddress.ip_address(old) + i) not in taken
    )
    podman("network", "disconnect", NET, AGENT)
    connected = podman("network", "connect", "--ip", new, NET, AGENT)
    assert connected.returncode == 0, connected.stderr
    EXTRA.write_text(f"all:\n  hosts:\n    {AGENT}:\n      ansible_host: {new}\n")

    rc, output, recap = playbook(extra_inventory=EXTRA)
    keep("4-agent-address", output)

    assert rc == 0, output[-3000:]
    for host in SERVERS:
        assert firewall(host, old) == [], f"{host} keeps rules for {old}"
        assert {line.split()[0] for line in firewall(host, new)} >= {"10250/tcp", "8472/udp"}
        assert recap[host][0] > 0
    assert firewall(AGENT, old) == []


def test_a_killed_run_re_runs_clean():
    extra = EXTRA
    extra.write_text(extra.read_text() + "  vars:\n    k3s_environment: {FAULTS_STORY: killed-run}\n")
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "--inventory",
        str(EPHEMERAL / "inventory"),
        "--inventory",
        str(extra),
        str(SITE),
    ]
    env = dict(os.environ, ANSIBLE_VERBOSITY="0", ANSIBLE_NOCOLOR="1")
    run = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True
    )
    seen = []
    killed_at = None
    for line in run.stdout:
        seen.append(line)
        if killed_at is None and "RUNNING HANDLER [homelab.k3s.k3s : Restart k3s]" in line:
            killed_at = time.monotonic()
        if killed_at is not None and time.monotonic() - killed_at > 3:
            break
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    keep("5-killed-run", "".join(seen) + "\n--- killed ---\n")
    assert killed_at is not None, "".join(seen)[-3000:]

    rc, output, recap = playbook(extra_inventory=extra)
    keep("5-re-run", output)
    assert rc == 0, output[-3000:]
    assert set(recap) == set(NODES)

    rc, output, recap = playbook(extra_inventory=extra)
    keep("5-converged", output)
    assert rc == 0, output[-3000:]
    assert all(recap[h] == (0, 0) for h in NODES), output[-3000:]
