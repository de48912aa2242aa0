# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Raspberry Pi agent on arm64 beside an amd64 server: the k3s asset and checksum the roles chose for each
architecture, the Pi's kernel command line, and the node in the cluster, read back from the hosts."""

import json

import pytest
from cluster import AGENTS, EPHEMERAL, K3S, NODES, SERVERS, kubectl, node

testinfra_hosts = NODES
# uname -m: the k3s architecture name and its release asset.
ARCH = {"x86_64": ("amd64", "k3s"), "aarch64": ("arm64", "k3s-arm64")}
MODEL = "/sys/firmware/devicetree/base/model"
CMDLINE = "/boot/firmware/cmdline.txt"
# What prepare.yml writes on every host.
BOOT = "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait"


def name(host):
    return host.backend.get_hostname()


def arch(host):
    return ARCH[host.check_output("uname -m")]


@pytest.fixture(scope="module")
def nodes():
    result = kubectl("get", "nodes", "-o", "json")
    assert result.rc == 0, result.stderr
    return {item["metadata"]["name"]: item for item in json.loads(result.stdout)["items"]}


def test_the_agent_is_an_arm64_raspberry_pi_and_the_server_is_not():
    [pi] = AGENTS
    assert node(pi).check_output("uname -m") == "aarch64"
    assert node(pi).file(MODEL).content_string.rstrip("\0") == "Raspberry Pi 4 Model B Rev 1.4"
    for server in SERVERS:
        assert node(server).check_output("uname -m") == "x86_64"
        assert not node(server).file(MODEL).exists


def test_k3s_is_the_asset_of_the_host_architecture(host):
    goarch, asset = arch(host)
    sums = (EPHEMERAL / "k3s-double" / f"sha256sum-{goarch}.txt").read_text(encoding="utf-8").split()
    assert dict(zip(sums[1::2], sums[0::2]))[asset] == host.file(K3S).sha256sum
    # Each asset of the double runs only on its own architecture, as a foreign binary fails.
    version = host.run(f"{K3S} --version")
    assert version.rc == 0, version.stderr
    assert version.stdout.startswith("k3s version v1.36.4+k3s1")


def test_k3s_kubectl_is_the_real_kubectl_of_the_host_architecture(host):
    goarch, _asset = arch(host)
    result = host.run(f"{K3S} kubectl version --client -o json")
    assert result.rc == 0, result.stderr
    assert json.loads(result.stdout)["clientVersion"]["platform"] == f"linux/{goarch}"


def test_memory_cgroup_on_the_kernel_command_line_of_the_pi_only(host):
    cmdline = host.file(CMDLINE).content_string
    if name(host) in AGENTS:
        assert cmdline == f"{BOOT} cgroup_memory=1 cgroup_enable=memory\n"
    else:
        assert cmdline == f"{BOOT}\n"


def test_service_enabled_and_running(host):
    service = host.service("k3s" if name(host) in SERVERS else "k3s-agent")
    assert service.is_enabled
    assert service.is_running


def test_node_is_ready_with_its_architecture(host, nodes):
    item = nodes[name(host)]
    ready = [c for c in item["status"]["conditions"] if c["type"] == "Ready"]
    assert ready and ready[0]["status"] == "True"
    goarch, _asset = arch(host)
    assert item["metadata"]["labels"]["kubernetes.io/arch"] == goarch
    assert item["status"]["nodeInfo"]["architecture"] == goarch


def test_the_cluster_has_one_node_of_each_architecture(nodes):
    assert sorted(item["metadata"]["labels"]["kubernetes.io/arch"] for item in nodes.values()) == ["amd64", "arm64"]
