# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures: the project as AWX syncs it, and a running cluster of the k3s test double on 127.0.0.1.

The cluster is one server (embedded etcd) and two agents, each a process of the double with its own
data directory. The inventory reaches them with the local connection; KUBECONFIG and K3S_CONFIG_FILE in
the job's environment point `k3s kubectl` and `k3s etcd-snapshot` at this server instead of the
defaults under /etc/rancher/k3s.
"""

import socket
import subprocess
import sys
import time
from itertools import count

import pytest
from awx_runner import copy_project, private_data_dir, run_job, sync_requirements
from k3s_double import build
from k3s_double.version import DEFAULT_VERSION

START_TIMEOUT = 60


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(log, text, proc):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    pytest.fail(f"{text!r} not logged by {proc.args}:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="session")
def project(tmp_path_factory):
    base = tmp_path_factory.mktemp("awx-project")
    copy_project(base / "project")
    sync_requirements(base / "project", base / "requirements_collections")
    return base / "project"


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    work = tmp_path_factory.mktemp("double")
    build.build(DEFAULT_VERSION, str(work / "bin"))
    k3s = str(work / "bin" / "k3s")
    port = _free_port()
    (work / "config.yaml").write_text("{}\n")
    (work / "snapshot.yaml").write_text(f"etcd-server: https://127.0.0.1:{port}\n")
    common = [
        "-c",
        str(work / "config.yaml"),
        "--node-ip",
        "127.0.0.1",
        "--kubelet-arg=node-status-update-frequency=1s",
    ]
    processes = []

    def start(name, args, ready):
        log = work / f"{name}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [k3s, *args, "-d", str(work / name), "--node-name", name, *common], stdout=out, stderr=out
            )
        processes.append(proc)
        _wait_for(log, ready, proc)

    try:
        start(
            "server1",
            [
                "server",
                "--cluster-init",
                "--https-listen-port",
                str(port),
                "--write-kubeconfig",
                str(work / "admin.yaml"),
            ],
            "k3s is up and running",
        )
        token = (work / "server1" / "server" / "token").read_text().strip()
        for name in ("agent1", "agent2"):
            start(name, ["agent", "-s", f"https://127.0.0.1:{port}", "-t", token], f"Node {name} registered")
        yield {
            "k3s": k3s,
            "bin_dir": str(work / "bin"),
            "data_dir": str(work / "server1"),
            "port": port,
            "env": {"KUBECONFIG": str(work / "admin.yaml"), "K3S_CONFIG_FILE": str(work / "snapshot.yaml")},
        }
    finally:
        for proc in reversed(processes):
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


@pytest.fixture(scope="session")
def inventory(cluster):
    """The double's nodes, reached with the local connection (no SSH, no become), as an inventory script."""
    return {
        "_meta": {
            "hostvars": {
                name: {"ansible_host": "127.0.0.1", "ansible_connection": "local", "k3s_node_name": name}
                for name in ("server1", "agent1", "agent2")
            }
        },
        "all": {"children": ["k3s_cluster", "ungrouped"]},
        "k3s_cluster": {
            "children": ["server", "agent"],
            "vars": {
                "ansible_become": False,
                "ansible_python_interpreter": sys.executable,
                "k3s_version": DEFAULT_VERSION,
                "k3s_bin_dir": cluster["bin_dir"],
                "k3s_data_dir": cluster["data_dir"],
                "k3s_api_port": cluster["port"],
            },
        },
        "server": {"hosts": ["server1"]},
        "agent": {"hosts": ["agent1", "agent2"]},
    }


@pytest.fixture(scope="session")
def unreachable(inventory):
    """The same inventory over SSH to a closed port: a job that gets past its checks cannot touch anything."""
    closed = {"ansible_host": "127.0.0.1", "ansible_port": 9, "ansible_connection": "ssh", "ansible_timeout": 2}
    return {**inventory, "_meta": {"hostvars": {name: closed for name in inventory["_meta"]["hostvars"]}}}


@pytest.fixture(scope="session")
def awx_job(project, cluster, inventory, tmp_path_factory):
    """Runs one job template's playbook against the cluster; returns the finished job."""
    numbers = count(1)

    def launch(playbook, extravars=None, cmdline="", hosts=None):
        number = next(numbers)
        pdd = private_data_dir(
            tmp_path_factory.mktemp(f"job{number}") / "pdd",
            project,
            hosts or inventory,
            extravars=extravars,
            envvars=cluster["env"],
            cmdline=cmdline,
        )
        return run_job(pdd, playbook, ident=str(number))

    return launch
