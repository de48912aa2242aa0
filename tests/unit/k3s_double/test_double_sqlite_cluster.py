# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A server on SQLite with two agents, as real processes on 127.0.0.1."""

import base64
import hashlib
import json
import os
import socket
import stat
import subprocess
import time

import pytest
import yaml
from k3s_double.version import DEFAULT_VERSION as VERSION

SERVER_EXTRA = [
    "--token",
    "sekrit",
    "--agent-token",
    "agentsecret",
    "--tls-san",
    "k3s.example.test",
    "--tls-san",
    "10.9.9.9",
    "--node-label",
    "tier=control",
    "--node-taint",
    "CriticalAddonsOnly=true:NoExecute",
    "--write-kubeconfig-mode",
    "0644",
    "--disable",
    "metrics-server",
]


@pytest.fixture(scope="module")
def notify_socket(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("notify") / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.2)
    yield path, sock
    sock.close()


@pytest.fixture(scope="module")
def cluster(cluster_factory, notify_socket):
    cluster = cluster_factory()
    args = cluster.server_args("s1", *SERVER_EXTRA)
    cluster.start(args, "s1", env={"NOTIFY_SOCKET": notify_socket[0]})
    token = cluster.token("s1")
    cluster.agent("a1", "s1", token, "--node-label", "role=worker", "--node-taint", "dedicated=edge:NoSchedule")
    agent_token = cluster.path("agent-token")
    with open(agent_token, "w", encoding="utf-8") as handle:
        handle.write(open(cluster.path("s1", "server", "agent-token"), encoding="utf-8").read())  # noqa: SIM115
    cluster.agent("a2", "s1", "", "--token-file", agent_token, "--node-external-ip", "203.0.113.7")
    return cluster


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_ready_is_notified_to_systemd(cluster, notify_socket):
    messages = []
    for _attempt in range(10):
        try:
            messages.append(notify_socket[1].recv(256).decode())
        except TimeoutError:
            break
    assert "READY=1\n" in messages


def test_tokens_carry_the_ca_hash_and_stay_private(cluster):
    server = cluster.path("s1", "server")
    ca = open(os.path.join(server, "tls", "server-ca.crt"), "rb").read()  # noqa: SIM115
    digest = hashlib.sha256(ca).hexdigest()
    assert open(os.path.join(server, "token")).read() == f"K10{digest}::server:sekrit\n"  # noqa: SIM115
    assert os.path.islink(os.path.join(server, "node-token"))
    assert open(os.path.join(server, "node-token")).read() == f"K10{digest}::server:sekrit\n"  # noqa: SIM115
    assert open(os.path.join(server, "agent-token")).read() == f"K10{digest}::node:agentsecret\n"  # noqa: SIM115
    for name in ("token", "agent-token", "cred/passwd", "tls/server-ca.key", "tls/client-ca.key"):
        assert mode(os.path.join(server, name)) == 0o600, name
    for name in ("server-ca.crt", "client-ca.crt", "serving-kube-apiserver.crt", "client-admin.crt"):
        assert os.path.exists(os.path.join(server, "tls", name))
    assert os.path.exists(os.path.join(server, "db", "state.db"))
    assert not os.path.exists(os.path.join(server, "db", "etcd"))


def test_kubeconfig_has_the_k3s_layout_and_mode(cluster):
    path = cluster.kubeconfig("s1")
    assert mode(path) == 0o644
    config = yaml.safe_load(open(path))  # noqa: SIM115
    assert config["current-context"] == "default"
    assert [c["name"] for c in config["clusters"]] == ["default"]
    assert [u["name"] for u in config["users"]] == ["default"]
    assert config["contexts"] == [{"context": {"cluster": "default", "user": "default"}, "name": "default"}]
    assert config["clusters"][0]["cluster"]["server"] == cluster.url("s1")
    ca = base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"])
    assert ca == open(cluster.path("s1", "server", "tls", "server-ca.crt"), "rb").read()  # noqa: SIM115
    user = config["users"][0]["user"]
    assert base64.b64decode(user["client-certificate-data"]).startswith(b"-----BEGIN CERTIFICATE-----")
    assert b"PRIVATE KEY" in base64.b64decode(user["client-key-data"])


def test_serving_certificate_names(cluster):
    cert = cluster.path("s1", "server", "tls", "serving-kube-apiserver.crt")
    text = subprocess.run(
        ["openssl", "x509", "-in", cert, "-noout", "-ext", "subjectAltName"], capture_output=True, text=True, check=True
    ).stdout
    for name in (
        "DNS:k3s.example.test",
        "IP Address:10.9.9.9",
        "IP Address:127.0.0.1",
        "IP Address:0:0:0:0:0:0:0:1",
        "DNS:localhost",
        "DNS:kubernetes.default.svc.cluster.local",
        "IP Address:10.43.0.1",
        "DNS:s1",
    ):
        assert name in text


def test_health_version_and_ca_endpoints_are_anonymous(cluster):
    for path in ("/readyz", "/livez", "/healthz"):
        assert cluster.https_get("s1", path) == (200, b"ok")
    status, body = cluster.https_get("s1", "/version")
    info = json.loads(body)
    assert status == 200
    assert (info["gitVersion"], info["major"], info["minor"]) == (VERSION, "1", VERSION.split(".")[1])
    ca = open(cluster.path("s1", "server", "tls", "server-ca.crt"), "rb").read()  # noqa: SIM115
    assert cluster.https_get("s1", "/cacerts") == (200, ca)
    status, body = cluster.https_get("s1", "/api/v1/nodes")
    assert status == 401
    assert json.loads(body)["reason"] == "Unauthorized"


def test_server_node_is_registered_like_a_k3s_server(cluster):
    node = cluster.kubectl_json("s1", "get", "node", "s1")
    labels = node["metadata"]["labels"]
    assert labels["node-role.kubernetes.io/control-plane"] == "true"
    assert labels["node-role.kubernetes.io/master"] == "true"
    assert "node-role.kubernetes.io/etcd" not in labels
    assert labels["node.kubernetes.io/instance-type"] == "k3s"
    assert labels["kubernetes.io/hostname"] == "s1"
    assert labels["kubernetes.io/os"] == "linux"
    assert labels["tier"] == "control"
    assert node["spec"]["taints"] == [{"effect": "NoExecute", "key": "CriticalAddonsOnly", "value": "true"}]
    ready = [c for c in node["status"]["conditions"] if c["type"] == "Ready"]
    assert ready[0]["status"] == "True"
    assert {"type": "InternalIP", "address": "127.0.0.1"} in node["status"]["addresses"]
    assert node["status"]["nodeInfo"]["kubeletVersion"] == VERSION
    assert "********" in node["metadata"]["annotations"]["k3s.io/node-args"]
    assert "sekrit" not in node["metadata"]["annotations"]["k3s.io/node-args"]


def test_agents_join_with_their_labels_taints_and_addresses(cluster):
    nodes = cluster.kubectl("s1", "get", "nodes")
    assert nodes.returncode == 0
    lines = nodes.stdout.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["a1"][1:3] == ["Ready", "<none>"]
    assert rows["s1"][2] == "control-plane,master"
    a1 = cluster.kubectl_json("s1", "get", "node", "a1")
    assert a1["metadata"]["labels"]["role"] == "worker"
    assert a1["spec"]["taints"] == [{"effect": "NoSchedule", "key": "dedicated", "value": "edge"}]
    a2 = cluster.kubectl_json("s1", "get", "node", "a2")
    assert {"type": "ExternalIP", "address": "203.0.113.7"} in a2["status"]["addresses"]
    balancer = json.load(open(cluster.path("a1", "agent", "etc", "k3s-agent-load-balancer.json")))  # noqa: SIM115
    assert balancer["ServerURL"] == cluster.url("s1")


def test_agent_with_wrong_token_or_ca_hash_exits(cluster):
    result = cluster.run(
        "agent",
        "-c",
        cluster.config,
        "-d",
        cluster.path("bad"),
        "-s",
        cluster.url("s1"),
        "-t",
        "wrong",
        "--node-name",
        "bad",
    )
    assert result.returncode == 1
    assert "401 Unauthorized" in result.stderr
    forged = "K10" + "0" * 64 + "::server:sekrit"
    result = cluster.run(
        "agent",
        "-c",
        cluster.config,
        "-d",
        cluster.path("bad"),
        "-s",
        cluster.url("s1"),
        "-t",
        forged,
        "--node-name",
        "bad",
    )
    assert result.returncode == 1
    assert "token CA hash does not match the Cluster CA certificate hash" in result.stderr


def test_agent_keeps_retrying_an_unreachable_server(cluster):
    args = [
        "agent",
        "-c",
        cluster.config,
        "-d",
        cluster.path("lost"),
        "-s",
        "https://127.0.0.1:1",
        "-t",
        "x",
        "--node-name",
        "lost",
    ]
    agent = cluster.start(args, "lost", wait=None)
    cluster.wait_until(lambda: agent.output().count("failed to get CA certs") >= 2, timeout=15)
    assert agent.proc.poll() is None
    assert agent.stop() == 0


def test_stopped_agent_turns_not_ready_and_back(cluster):
    a2 = next(p for p in cluster.processes if "a2" in p.args)
    a2.stop()

    def ready_status():
        node = cluster.kubectl_json("s1", "get", "node", "a2")
        return next(c["status"] for c in node["status"]["conditions"] if c["type"] == "Ready")

    cluster.wait_until(lambda: ready_status() == "Unknown", timeout=15)
    rows = cluster.kubectl("s1", "get", "node", "a2", "--no-headers").stdout.split()
    assert rows[1] == "NotReady"
    cluster.start(a2.args[1:], "a2", wait="Node a2 registered")
    cluster.wait_until(lambda: ready_status() == "True", timeout=15)


def test_packaged_manifests_disable_and_helm_install_jobs(cluster):
    manifests = cluster.path("s1", "server", "manifests")
    for name in (
        "ccm.yaml",
        "coredns.yaml",
        "local-storage.yaml",
        "rolebindings.yaml",
        "runtimes.yaml",
        "traefik.yaml",
    ):
        assert os.path.isfile(os.path.join(manifests, name)), name
    assert not os.path.exists(os.path.join(manifests, "metrics-server"))
    assert cluster.kubectl("s1", "get", "deploy", "metrics-server", "-n", "kube-system").returncode == 1
    coredns = cluster.kubectl_json("s1", "get", "deployment", "coredns", "-n", "kube-system")
    assert coredns["metadata"]["annotations"]["objectset.rio.cattle.io/owner-name"] == "coredns"
    assert "objectset.rio.cattle.io/hash" in coredns["metadata"]["labels"]
    addon = cluster.kubectl_json("s1", "get", "addon", "coredns", "-n", "kube-system")
    assert addon["spec"]["source"] == os.path.join(manifests, "coredns.yaml")
    chart = cluster.kubectl_json("s1", "get", "helmchart", "traefik", "-n", "kube-system")
    assert chart["status"]["jobName"] == "helm-install-traefik"
    job = cluster.kubectl_json("s1", "get", "job", "helm-install-traefik", "-n", "kube-system")
    assert job["status"]["succeeded"] == 1
    wait = cluster.kubectl(
        "s1", "wait", "--for=condition=complete", "job/helm-install-traefik", "-n", "kube-system", "--timeout=5s"
    )
    assert wait.returncode == 0, wait.stderr
    assert wait.stdout == "job.batch/helm-install-traefik condition met\n"


MANIFEST = """---
apiVersion: v1
kind: Namespace
metadata:
  name: demo
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: demo
data:
  colour: blue
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
"""


def test_kubectl_apply_get_and_delete(cluster, tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text(MANIFEST)
    result = cluster.kubectl("s1", "apply", "-f", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "namespace/demo created\nconfigmap/settings created\ndeployment.apps/web created\n"
    again = cluster.kubectl("s1", "apply", "-f", str(path))
    assert again.stdout == "namespace/demo unchanged\nconfigmap/settings unchanged\ndeployment.apps/web unchanged\n"
    changed = cluster.kubectl("s1", "apply", "-f", "-", stdin=MANIFEST.replace("blue", "green"))
    assert "configmap/settings configured" in changed.stdout
    listing = cluster.kubectl_json("s1", "get", "configmaps", "-n", "demo")
    assert listing["kind"] == "List" and listing["apiVersion"] == "v1"
    assert [i["data"] for i in listing["items"]] == [{"colour": "green"}]
    name = cluster.kubectl("s1", "get", "deploy", "-n", "demo", "-o", "name")
    assert name.stdout == "deployment.apps/web\n"
    ready = cluster.kubectl("s1", "get", "deploy", "web", "-n", "demo", "-o", "jsonpath={.status.readyReplicas}")
    assert ready.stdout == "2"
    as_yaml = yaml.safe_load(cluster.kubectl("s1", "get", "ns", "demo", "-o", "yaml").stdout)
    assert as_yaml["status"]["phase"] == "Active"
    every = cluster.kubectl("s1", "get", "ns", "-A", "-o", 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}')
    assert every.stdout == "default\ndemo\nkube-node-lease\nkube-public\nkube-system\n"
    missing = cluster.kubectl("s1", "get", "configmap", "nope", "-n", "demo")
    assert missing.returncode == 1
    assert missing.stderr == 'Error from server (NotFound): configmaps "nope" not found\n'
    deleted = cluster.kubectl("s1", "delete", "configmap", "settings", "-n", "demo")
    assert deleted.stdout == 'configmap "settings" deleted from demo namespace\n'
    assert cluster.kubectl("s1", "delete", "configmap", "settings", "-n", "demo").returncode == 1
    assert cluster.kubectl("s1", "delete", "configmap", "settings", "-n", "demo", "--ignore-not-found").returncode == 0
    assert cluster.kubectl("s1", "delete", "-f", str(path), "--ignore-not-found").returncode == 0
    assert cluster.kubectl("s1", "get", "ns", "demo").returncode == 1
    orphan = cluster.kubectl("s1", "apply", "-f", "-", stdin=MANIFEST.split("---")[2])
    assert orphan.returncode == 1
    assert 'namespaces "demo" not found' in orphan.stderr


def test_kubectl_node_maintenance(cluster):
    k = cluster.kubectl
    assert k("s1", "label", "node", "a1", "zone=a").stdout == "node/a1 labeled\n"
    conflict = k("s1", "label", "node", "a1", "zone=b")
    assert conflict.returncode == 1
    assert "'zone' already has a value (a), and --overwrite is false" in conflict.stderr
    assert k("s1", "label", "node", "a1", "zone=b", "--overwrite").returncode == 0
    assert k("s1", "label", "node", "a1", "zone-").stdout == "node/a1 unlabeled\n"
    assert k("s1", "taint", "node", "a1", "maintenance=yes:NoSchedule").stdout == "node/a1 tainted\n"
    assert k("s1", "taint", "node", "a1", "maintenance-").stdout == "node/a1 untainted\n"
    assert k("s1", "cordon", "a1").stdout == "node/a1 cordoned\n"
    assert k("s1", "get", "node", "a1", "--no-headers").stdout.split()[1] == "Ready,SchedulingDisabled"
    drain = k("s1", "drain", "a1", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=30s", "--force")
    assert drain.stdout == "node/a1 already cordoned\nnode/a1 drained\n"
    assert k("s1", "uncordon", "a1").stdout == "node/a1 uncordoned\n"
    wait = k("s1", "wait", "--for=condition=Ready", "node/a1", "node/s1", "--timeout=10s")
    assert wait.stdout == "node/a1 condition met\nnode/s1 condition met\n"
    timeout = k("s1", "wait", "--for=condition=Ready=False", "node/a1", "--timeout=1s")
    assert timeout.returncode == 1
    assert "timed out waiting for the condition on nodes/a1" in timeout.stderr
    version = json.loads(k("s1", "version", "-o", "json").stdout)
    assert version["serverVersion"]["gitVersion"] == VERSION


def test_deploy_controller_follows_the_manifests_directory(cluster):
    manifests = cluster.path("s1", "server", "manifests")
    chart = os.path.join(manifests, "extras", "app.yaml")
    os.makedirs(os.path.dirname(chart))
    with open(chart, "w", encoding="utf-8") as handle:
        handle.write(
            "apiVersion: helm.cattle.io/v1\nkind: HelmChart\nmetadata:\n  name: app\n  namespace: kube-system\n"
            "spec:\n  chart: app\n  repo: https://charts.example.test\n  version: 1.0.0\n"
        )
    skipped = os.path.join(manifests, "ignored.yaml")
    with open(skipped, "w", encoding="utf-8") as handle:
        handle.write("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ignored\n  namespace: default\n")
    open(skipped + ".skip", "w").close()

    def job_version():
        result = cluster.kubectl(
            "s1",
            "get",
            "job",
            "helm-install-app",
            "-n",
            "kube-system",
            "-o",
            'jsonpath={.spec.template.spec.containers[0].env[?(@.name=="VERSION")].value}',
        )
        return result.stdout if result.returncode == 0 else None

    assert cluster.wait_until(lambda: job_version() == "1.0.0", timeout=15)
    with open(chart, "w", encoding="utf-8") as handle:
        handle.write(
            "apiVersion: helm.cattle.io/v1\nkind: HelmChart\nmetadata:\n  name: app\n  namespace: kube-system\n"
            "spec:\n  chart: app\n  repo: https://charts.example.test\n  version: 2.0.0\n"
        )
    assert cluster.wait_until(lambda: job_version() == "2.0.0", timeout=15)
    assert cluster.kubectl("s1", "get", "configmap", "ignored").returncode == 1
    os.unlink(chart)
    time.sleep(3)
    assert cluster.kubectl("s1", "get", "helmchart", "app", "-n", "kube-system").returncode == 0


def test_etcd_snapshot_is_refused_on_sqlite(cluster):
    result = cluster.snapshot("s1", "save")
    assert result.returncode == 1
    assert 'level=fatal msg="Error: see server log for details: etcd datastore disabled"' in result.stderr


def test_deleted_node_of_a_running_agent_registers_again(cluster):
    result = cluster.kubectl("s1", "delete", "node", "a1")
    assert result.stdout == 'node "a1" deleted\n'
    node = cluster.wait_until(lambda: cluster.kubectl("s1", "get", "node", "a1").returncode == 0, timeout=15)
    assert node


def test_restart_keeps_the_cluster_ca_and_refuses_another_token(cluster):
    server = next(p for p in cluster.processes if p.args[1] == "server")
    token = cluster.token("s1")
    assert server.stop() == 0
    restarted = cluster.start(server.args[1:], "s1")
    assert cluster.token("s1") == token
    assert cluster.kubectl("s1", "get", "ns", "demo-none", "--ignore-not-found").returncode == 0
    restarted.stop()
    other = server.args[1:]
    other[other.index("sekrit")] = "another"
    result = cluster.run(*other)
    assert result.returncode == 1
    assert "bootstrap data already found and encrypted with different token" in result.stderr
