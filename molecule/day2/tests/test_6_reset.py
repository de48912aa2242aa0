# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Story 6: reset every node, twice; nothing of k3s is left, and nothing else is touched.

The commands are those of docs/runbooks/reset.md. The first server's local snapshots that have no copy off it
stop the reset until it is told to copy them to the controller.

The test double runs no containers, so the leftovers of a real node (a containerd shim and its
container, kubelet and containerd mounts, CNI interfaces and namespaces, kube-proxy and flannel
rules) are planted on two hosts first, by hand.
"""

import stat

import pytest
from cluster import AGENTS, DATA_DIR, FIRST_SERVER, K3S, NODES, node
from day2 import SNAPSHOTS, run_runbook, runbook_command, tail

CHECK = runbook_command("reset", "--check")
RESET = runbook_command("reset", "maintenance_reset_confirm=true", excludes=("--limit", "maintenance_reset_fetch"))
RESET_FETCH = runbook_command("reset", "maintenance_reset_fetch_snapshots=true")
SNAPSHOT_DIR = f"{DATA_DIR}/server/db/snapshots"


def unsaved():
    """The first server's snapshots that have no copy on the controller."""
    local = node(FIRST_SERVER).check_output(f"ls {SNAPSHOT_DIR}").split()
    copied = {path.name for path in SNAPSHOTS.iterdir()}
    return sorted(name for name in local if name not in copied)


PLANTED = [FIRST_SERVER, AGENTS[0]]
SHIM = "/var/lib/rancher/k3s/data/day2/bin/containerd-shim-runc-v2"
MOUNTS = [
    "/run/k3s/containerd/io.containerd.runtime.v2.task/k8s.io/day2/rootfs",
    "/var/lib/kubelet/pods/day2/volumes/kubernetes.io~empty-dir/cache",
    "/var/lib/kubelet/pods/day2/volumes/kubernetes.io~empty-dir/cache/nested",
]
INTERFACES = ["cni0", "flannel.1", "vethday2", "vethday2p"]
PLANT = f"""
set -e
mkdir -p {SHIM.rsplit("/", 1)[0]}
cp /bin/dash {SHIM}
# Like containerd's shims, it outlives its service (KillMode=process) and runs a container process.
systemd-run --unit=day2-fake-shim --collect -p KillMode=process {SHIM} -c 'sleep 3600 & wait'
for m in {" ".join(MOUNTS)}; do mkdir -p "$m"; mount -t tmpfs day2 "$m"; done
ip netns add cni-day2
ip link add cni0 type bridge
ip link add flannel.1 type vxlan id 1 dstport 8472
ip link add vethday2 type veth peer name vethday2p
ip link set vethday2 master cni0
iptables -N KUBE-SERVICES && iptables -A INPUT -j KUBE-SERVICES
iptables -N CNI-FORWARD && iptables -A FORWARD -j CNI-FORWARD
iptables -t nat -N FLANNEL-POSTRTG && iptables -t nat -A POSTROUTING -j FLANNEL-POSTRTG
ip6tables -N KUBE-FIREWALL && ip6tables -A INPUT -j KUBE-FIREWALL
iptables -N LAB-KEEP && iptables -A INPUT -j LAB-KEEP
nft add table ip kube-proxy
nft add table ip6 flannel-ipv6
# A crictl the collection did not install: the reset keeps it.
rm -f /usr/local/bin/crictl
printf '#!/bin/sh\\n' > /usr/local/bin/crictl
chmod 0755 /usr/local/bin/crictl
"""
K3S_PATHS = [
    K3S,
    "/usr/local/bin/kubectl",
    "/usr/local/bin/ctr",
    "/etc/rancher",
    "/var/lib/rancher",
    "/var/lib/kubelet",
    "/run/k3s",
    "/run/flannel",
    "/var/lib/cni",
    "/etc/systemd/system/k3s.service",
    "/etc/systemd/system/k3s.service.env",
    "/etc/systemd/system/k3s-agent.service",
    "/etc/systemd/system/k3s-agent.service.env",
]


def test_plant_what_a_real_node_would_have():
    for name in PLANTED:
        host = node(name)
        result = host.run(PLANT)
        assert result.rc == 0, f"{name}: {result.stderr}"
        assert host.run(f"pgrep -f {SHIM}").rc == 0


def test_reset_refuses_without_a_confirmation_and_names_the_snapshots_it_would_delete():
    assert unsaved(), "the later on-demand and the pre-upgrade snapshots are only on the server"
    run = run_runbook(RESET, replace={"-e maintenance_reset_confirm=true": ""})
    assert run.rc != 0
    assert "-e maintenance_reset_confirm=true" in run.output
    assert "It also deletes the only copies of these etcd snapshots" in run.output
    assert all(f"{SNAPSHOT_DIR}/{name}" in run.output for name in unsaved()), tail(run)
    assert node(FIRST_SERVER).service("k3s").is_running


def test_reset_in_check_mode_removes_nothing_and_lists_the_snapshots():
    run = run_runbook(CHECK)
    assert run.rc == 0, tail(run)
    assert "Check mode: nothing is removed. A reset would remove:" in run.output
    assert "interfaces: vethday2, cni0, flannel.1" in run.output
    assert (
        "etcd snapshots without a copy off the node: " + ", ".join(f"{SNAPSHOT_DIR}/{name}" for name in unsaved())
        in run.output
    ), tail(run)
    host = node(FIRST_SERVER)
    assert host.service("k3s").is_running
    assert host.file(K3S).exists
    assert host.interface("cni0").exists


def test_a_confirmed_reset_does_not_delete_the_only_copies_of_snapshots():
    left = unsaved()
    run = run_runbook(RESET)
    assert run.rc != 0
    assert "maintenance_reset_fetch_snapshots=true" in run.output, tail(run)
    assert "Nothing was changed." in run.output
    assert unsaved() == left
    assert node(FIRST_SERVER).service("k3s").is_running


def test_reset_removes_k3s_after_copying_the_snapshots_to_the_controller():
    left = unsaved()
    run = run_runbook(RESET_FETCH)
    assert run.rc == 0, tail(run)
    assert all(changed > 0 for name, (changed, _failed) in run.recap.items() if name in PLANTED)
    for name in left:
        copy = SNAPSHOTS / name
        assert copy.is_file(), name
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600


def test_a_second_reset_changes_nothing():
    run = run_runbook(RESET)
    assert run.rc == 0, tail(run)
    assert run.changed() == 0, tail(run, 120)


@pytest.fixture(params=NODES)
def host(request):
    return node(request.param)


def test_no_k3s_file_is_left(host):
    left = host.run("ls -d " + " ".join(K3S_PATHS))
    assert left.stdout.strip() == ""


def test_no_k3s_unit_is_left(host):
    units = host.check_output("systemctl list-units --all --plain --no-legend 'k3s*'")
    files = host.check_output("systemctl list-unit-files --plain --no-legend 'k3s*' || true")
    assert units.strip() == ""
    assert files.strip() == ""


def test_no_k3s_mount_process_or_namespace_is_left(host):
    mounts = host.file("/proc/self/mounts").content_string
    for prefix in ("/run/k3s", "/var/lib/kubelet", "/var/lib/rancher", "/run/netns/cni-"):
        assert f" {prefix}" not in mounts
    assert host.run("pgrep -f containerd-shim").rc == 1
    assert host.run("pgrep -f 'sleep 3600'").rc == 1
    assert "cni-" not in host.check_output("ip netns list")


def test_no_cni_interface_is_left(host):
    links = host.check_output("ip -o link show")
    for name in [*INTERFACES, "flannel-v6.1", "flannel-wg", "kube-ipvs0"]:
        assert f" {name}:" not in links and f" {name}@" not in links, name


def test_no_k3s_firewall_rule_is_left(host):
    rules = host.check_output("iptables-save; ip6tables-save")
    for pattern in ("KUBE-", "CNI-", "FLANNEL", "flannel"):
        assert pattern not in rules
    tables = host.check_output("nft list tables")
    assert "kube-proxy" not in tables
    assert "flannel" not in tables


def test_what_is_not_k3s_is_kept():
    for name in PLANTED:
        host = node(name)
        assert "-A INPUT -j LAB-KEEP" in host.check_output("iptables-save")
        crictl = host.file("/usr/local/bin/crictl")
        assert crictl.exists and not crictl.is_symlink
