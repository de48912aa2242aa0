# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster the server and agent roles built, read back from the nodes and the controller."""

import hashlib
import json
import os

import pytest
import yaml
from cluster import AGENTS, DATA_DIR, EPHEMERAL, FIRST_SERVER, NODES, SERVERS, api_endpoint, node, playbook, variables

testinfra_hosts = NODES


def name(host):
    return host.backend.get_hostname()


def read_yaml(host, path):
    return yaml.safe_load(host.file(path).content_string)


@pytest.fixture(scope="module")
def nodes():
    output = node(FIRST_SERVER).check_output(
        f"{variables(FIRST_SERVER).get('k3s_bin_dir', '/usr/local/bin')}/k3s kubectl get nodes -o json"
    )
    return {item["metadata"]["name"]: item for item in json.loads(output)["items"]}


def test_every_node_is_ready(host, nodes):
    item = nodes[name(host)]
    ready = [c for c in item["status"]["conditions"] if c["type"] == "Ready"]
    assert ready and ready[0]["status"] == "True"


def test_labels_and_taints_from_host_vars(host, nodes):
    hostvars = variables(name(host))
    item = nodes[name(host)]
    labels = item["metadata"].get("labels", {})
    taints = {
        f"{t['key']}={t.get('value', '')}:{t['effect']}".replace("=:", ":") for t in item["spec"].get("taints", [])
    }
    for key, value in hostvars.get("k3s_node_labels", {}).items():
        assert labels.get(key) == value
    for taint in hostvars.get("k3s_node_taints", []):
        assert taint in taints
    if name(host) in SERVERS:
        assert "node-role.kubernetes.io/control-plane" in labels
        noschedule = "node-role.kubernetes.io/control-plane:NoSchedule" in taints
        assert noschedule == bool(hostvars.get("server_noschedule", False))
    else:
        assert "node-role.kubernetes.io/control-plane" not in labels


def test_service_enabled_and_running(host):
    service = host.service("k3s" if name(host) in SERVERS else "k3s-agent")
    assert service.is_enabled
    assert service.is_running


def test_unit_is_the_roles_own(host):
    unit = "k3s" if name(host) in SERVERS else "k3s-agent"
    content = host.file(f"/etc/systemd/system/{unit}.service").content_string
    for line in (
        "Type=notify",
        "KillMode=process",
        "Delegate=yes",
        f"EnvironmentFile=-/etc/systemd/system/{unit}.service.env",
    ):
        assert line in content.splitlines()
    assert f"ExecStart=/usr/local/bin/k3s {'server' if unit == 'k3s' else 'agent'}" in content


def test_secret_files_are_0600(host):
    unit = "k3s" if name(host) in SERVERS else "k3s-agent"
    paths = [f"/etc/systemd/system/{unit}.service.env", "/etc/rancher/k3s/config.yaml"]
    if name(host) in SERVERS:
        paths += ["/etc/rancher/k3s/k3s.yaml", f"{DATA_DIR}/server/token"]
        if host.file(f"{DATA_DIR}/server/agent-token").exists:
            paths.append(f"{DATA_DIR}/server/agent-token")
    for path in paths:
        secret = host.file(path)
        assert secret.exists, path
        assert (secret.user, secret.mode) == ("root", 0o600), path


def test_config_yaml(host):
    config = read_yaml(host, "/etc/rancher/k3s/config.yaml")
    hostvars = variables(name(host))
    if name(host) in SERVERS:
        assert config["cluster-cidr"] == "10.42.0.0/16"
        assert config["service-cidr"] == "10.43.0.0/16"
        assert config["write-kubeconfig-mode"] == "0600"
        etcd = len(SERVERS) > 1
        assert config.get("cluster-init", False) is (etcd and name(host) == FIRST_SERVER)
        if hostvars.get("k3s_api_endpoint"):
            assert api_endpoint() in config["tls-san"]
        if etcd and name(host) != FIRST_SERVER:
            assert config["server"] == f"https://{variables(FIRST_SERVER)['ansible_host']}:6443"
        else:
            assert "server" not in config
    else:
        assert config["server"] == f"https://{api_endpoint()}:6443"
    expected_labels = [f"{k}={v}" for k, v in hostvars.get("k3s_node_labels", {}).items()]
    assert config.get("node-label", []) == expected_labels
    assert "token" not in config


def test_kube_vip_static_pod(host):
    manifest = host.file("/var/lib/rancher/k3s/agent/pod-manifests/kube-vip.yaml")
    if name(host) not in SERVERS or not variables(name(host)).get("server_kube_vip"):
        assert not manifest.exists
        return
    assert (manifest.user, manifest.mode) == ("root", 0o600)
    env = {e["name"]: e["value"] for e in yaml.safe_load(manifest.content_string)["spec"]["containers"][0]["env"]}
    assert env["address"] == api_endpoint()
    assert env["vip_interface"] == "eth0"
    assert env["vip_arp"] == "true"


def test_airgap_images(host):
    hostvars = variables(name(host))
    if "k3s_airgap_images" not in hostvars or hostvars["k3s_source"] != "file" or os.environ.get("K3S_LAB_FILE_DIR"):
        pytest.skip("the scenario copies no airgap images")
    # k3s-single lists the tarball prepare.yml puts beside the double
    src = EPHEMERAL / "k3s-double" / "k3s-airgap-images-amd64.tar.zst"
    copy = host.file(f"{DATA_DIR}/agent/images/{src.name}")
    assert (copy.user, copy.mode) == ("root", 0o644)
    assert copy.sha256sum == hashlib.sha256(src.read_bytes()).hexdigest()


def test_tokens_only_in_the_env_file(host):
    unit = "k3s" if name(host) in SERVERS else "k3s-agent"
    env = host.file(f"/etc/systemd/system/{unit}.service.env").content_string
    joins = name(host) in AGENTS or (name(host) != FIRST_SERVER)
    assert ("K3S_TOKEN=" in env) is joins


def test_kubeconfig_merged_on_the_controller():
    path = EPHEMERAL / "kubeconfig"
    assert path.stat().st_mode & 0o777 == 0o600
    config = yaml.safe_load(path.read_text())
    name_ = variables(FIRST_SERVER)["server_kubeconfig_name"]
    assert [c["name"] for c in config["contexts"]] == ["work", "lab", name_]
    assert {u["name"] for u in config["users"]} == {"work", "lab", name_}
    assert config["current-context"] == "work"
    assert config["preferences"] == {"colors": True}
    cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == name_)
    assert cluster["server"] == f"https://{api_endpoint()}:6443"


def test_no_token_in_the_verbose_log():
    server = node(FIRST_SERVER)
    secrets = set()
    for kind in ("token", "agent-token"):
        path = server.file(f"{DATA_DIR}/server/{kind}")
        if path.exists:
            token = path.content_string.strip()
            secrets |= {token, token.rsplit(":", 1)[-1]}
    assert secrets
    log = (EPHEMERAL / "ansible.log").read_text(errors="replace")
    assert "ESTABLISH SSH CONNECTION" in log, "the log is not a -vvv log"
    assert "Start the k3s servers" in log, "the log does not cover the converge"
    for secret in secrets:
        assert len(secret) >= 16 and secret not in log


def test_check_mode_on_the_converged_cluster_changes_nothing():
    rc, output, recap = playbook("--check", "--diff", "--tags", "server,agent,kubeconfig")
    assert rc == 0, output[-3000:]
    assert set(recap) >= set(NODES)
    assert all(changed == 0 and failed == 0 for changed, failed in recap.values()), output[-3000:]
