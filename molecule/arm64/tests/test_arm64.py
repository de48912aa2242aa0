# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Raspberry Pi agent on an arm64 userland joined to an amd64 server."""

import json
import os

import pytest
from cluster import EPHEMERAL, FIRST_SERVER, kubectl, node

PI = "arm64-pi1"
SERVER = FIRST_SERVER
K3S = "/usr/local/bin/k3s"


@pytest.fixture(scope="module")
def nodes():
    result = kubectl("get", "nodes", "-o", "json")
    assert result.rc == 0, result.stderr
    return {item["metadata"]["name"]: item for item in json.loads(result.stdout)["items"]}


def test_the_pi_runs_an_arm64_userland():
    assert node(PI).check_output("uname -m") == "aarch64"
    assert node(PI).check_output("dpkg --print-architecture") == "arm64"
    assert node(SERVER).check_output("dpkg --print-architecture") == "amd64"


def test_both_nodes_are_ready_with_their_architectures(nodes):
    assert set(nodes) == {SERVER, PI}
    for name, arch in ((SERVER, "amd64"), (PI, "arm64")):
        item = nodes[name]
        ready = [c for c in item["status"]["conditions"] if c["type"] == "Ready"]
        assert ready and ready[0]["status"] == "True", name
        assert item["metadata"]["labels"]["kubernetes.io/arch"] == arch
        assert item["status"]["nodeInfo"]["architecture"] == arch
    assert nodes[PI]["metadata"]["labels"]["homelab.k3s/board"] == "raspberry-pi"
    assert "node-role.kubernetes.io/control-plane" not in nodes[PI]["metadata"]["labels"]


def _release_checksum(arch, asset):
    """The sha256 of an asset from the release's sha256sum-<arch>.txt (the double's, or K3S_LAB_FILE_DIR's)."""
    directory = os.environ.get("K3S_LAB_FILE_DIR") or str(EPHEMERAL / "k3s-double")
    path = os.path.join(directory, f"sha256sum-{arch}.txt")
    if not os.path.exists(path):
        pytest.skip(f"{path} is not on the controller (K3S_LAB_SOURCE=release downloads on the nodes)")
    with open(path, encoding="utf-8") as handle:
        entries = dict(reversed(line.split()) for line in handle if line.strip())
    return entries[asset]


def test_each_node_got_the_asset_of_its_architecture():
    assert node(PI).file(K3S).sha256sum == _release_checksum("arm64", "k3s-arm64")
    assert node(SERVER).file(K3S).sha256sum == _release_checksum("amd64", "k3s")
    assert node(PI).file(K3S).sha256sum != node(SERVER).file(K3S).sha256sum


def test_the_pi_agent_runs():
    service = node(PI).service("k3s-agent")
    assert service.is_enabled
    assert service.is_running
    assert node(PI).run(f"{K3S} --version").rc == 0


def test_the_memory_cgroup_is_on_the_pi_kernel_command_line():
    cmdline = node(PI).file("/boot/firmware/cmdline.txt").content_string
    assert len(cmdline.splitlines()) == 1
    assert cmdline.split().count("cgroup_memory=1") == 1
    assert cmdline.split().count("cgroup_enable=memory") == 1
    assert cmdline.startswith("console=serial0,115200 console=tty1 root=PARTUUID=5e3da3da-02")
