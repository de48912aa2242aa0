# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What roles base and prereqs leave on a node, read back from the node itself."""

import os

import pytest
import testinfra.utils.ansible_runner

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY)
testinfra_hosts = RUNNER.get_hosts("k3s_cluster")
SERVERS = set(RUNNER.get_hosts("server"))


def name(host):
    return host.backend.get_hostname()


def test_packages(host):
    for package in ("curl", "vim", "htop", "jq", "ufw", "systemd-timesyncd"):
        assert host.package(package).is_installed, package


def test_timezone(host):
    target = host.file("/etc/localtime").linked_to
    if name(host) == "base-server1":
        assert target.endswith("/zoneinfo/Europe/Warsaw")
    else:
        assert target.endswith(("/zoneinfo/UTC", "/zoneinfo/Etc/UTC"))


def test_hostname_and_hosts_file(host):
    assert host.check_output("hostname") == name(host)
    hosts = host.file("/etc/hosts").content_string
    assert "# BEGIN homelab.k3s cluster nodes" in hosts
    for node in testinfra_hosts:
        address = RUNNER.get_variables(node)["ansible_host"]
        assert f"{address} {node}" in hosts


def test_timesyncd_enabled(host):
    assert host.service("systemd-timesyncd").is_enabled


def test_firewall(host):
    status = host.check_output("ufw status verbose")
    assert "Status: active" in status
    assert "Default: deny (incoming), allow (outgoing), allow (routed)" in status
    assert "22/tcp" in status
    assert "10250/tcp" in status and "8472/udp" in status
    assert "30000:32767/tcp" in status
    assert "10.42.0.0/16" in status and "10.43.0.0/16" in status
    if name(host) in SERVERS:
        assert "6443/tcp" in status and "2379:2380/tcp" in status
    else:
        assert "6443/tcp" not in status


def test_firewall_exact(host):
    """The side effect's stale k3s rule is gone, the operator's own rule stays."""
    rules = host.file("/etc/ufw/user.rules").content_string
    assert "10.99.0.7" not in rules
    assert "allow tcp 8080 0.0.0.0/0 any 10.99.0.8 in" in rules


def test_swap_off_in_fstab(host):
    for line in host.file("/etc/fstab").content_string.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[2] == "swap":
            assert line.lstrip().startswith("#"), line


def test_kernel_modules(host):
    assert host.file("/proc/sys/net/bridge").is_directory
    persisted = host.file("/etc/modules-load.d/homelab-k3s.conf")
    assert persisted.mode == 0o644
    text = persisted.content_string
    # This lab's kernel has br_netfilter and overlay built in and cannot load modules.
    if not host.file("/proc/modules").exists:
        assert "# br_netfilter: built into the kernel" in text
        assert "# overlay: built into the kernel" in text
    else:
        assert "br_netfilter" in text and "overlay" in text


@pytest.mark.parametrize(
    "key",
    ["net.ipv4.ip_forward", "net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables"],
)
def test_sysctl(host, key):
    assert host.sysctl(key) == 1
    conf = host.file("/etc/sysctl.d/90-homelab-k3s.conf")
    assert conf.mode == 0o644
    assert f"{key} = 1" in conf.content_string


def test_raspberry_pi_cmdline(host):
    if name(host) != "base-agent1":
        pytest.skip("only base-agent1 plays a Raspberry Pi")
    cmdline = host.file("/boot/firmware/cmdline.txt").content_string
    assert cmdline.count("cgroup_memory=1") == 1
    assert cmdline.count("cgroup_enable=memory") == 1
    assert cmdline.endswith("rootwait cgroup_memory=1 cgroup_enable=memory\n")
    assert len(cmdline.splitlines()) == 1
