# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What reset.yml finds k3s left on a node: the processes below its containerd shims and its mounts."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.filter.reset_mounts import reset_mounts
from ansible_collections.homelab.k3s.plugins.filter.shim_pids import shim_pids

# -- shim_pids and reset_mounts ----------------------------------------------------------------------------

PS = """\
    1       0 /sbin/init
  100       1 /usr/local/bin/k3s server
  200       1 /var/lib/rancher/k3s/data/abc123/bin/containerd-shim-runc-v2 -namespace k8s.io -id x
  201     200 /pause
  202     200 nginx: master process
  203     202 nginx: worker process
  204     203 sh -c sleep
  205     204 sleep 1000
  300       1 /opt/other/data/abc123/bin/containerd-shim-runc-v2 -id y
  301     300 /pause
  400       1 /var/lib/rancher/k3s/data/abc123/bin/containerd-shim-runc-v2 -namespace k8s.io -id z
bad line
"""


def test_shim_pids_finds_the_shims_and_everything_below_them_however_deep():
    assert shim_pids(PS, "/var/lib/rancher/k3s") == ["200", "201", "202", "203", "204", "205", "400"]
    assert shim_pids(PS.splitlines(), "/var/lib/rancher/k3s/") == ["200", "201", "202", "203", "204", "205", "400"]
    assert shim_pids(PS, "/opt/other") == ["300", "301"]
    assert shim_pids("", "/var/lib/rancher/k3s") == []


def test_shim_pids_follows_a_chain_deeper_than_a_dozen_generations():
    lines = ["10 1 /var/lib/rancher/k3s/data/h/bin/containerd-shim-runc-v2"]
    lines += [f"{pid} {pid - 1} sh" for pid in range(11, 40)]
    assert shim_pids(lines, "/var/lib/rancher/k3s") == [str(pid) for pid in range(10, 40)]


def test_shim_pids_needs_an_absolute_data_dir():
    with pytest.raises(AnsibleFilterError, match="shim_pids: the data directory must be an absolute path"):
        shim_pids(PS, "")


MOUNTS = """\
proc /proc proc rw 0 0
/dev/sdb1 /var/lib/rancher/k3s ext4 rw 0 0
shm /run/k3s/containerd/io.containerd.grpc.v1.cri/sandboxes/abc/shm tmpfs rw 0 0
overlay /run/k3s/containerd/io.containerd.runtime.v2.task/k8s.io/abc/rootfs overlay rw 0 0
tmpfs /var/lib/kubelet/pods/uid/volumes/kubernetes.io~projected/kube\\040api\\134x tmpfs rw 0 0
tmpfs /var/lib/kubelet/pods/uid/volumes/kubernetes.io~projected/a\\011b tmpfs rw 0 0
tmpfs /var/lib/kubelet tmpfs rw 0 0
/dev/sdc1 /srv/data ext4 rw 0 0
"""


def test_reset_mounts_lists_the_mounts_below_deepest_first_and_the_mounted_roots():
    mounts = reset_mounts(
        MOUNTS,
        ["/run/k3s/", "/var/lib/kubelet/", "/var/lib/rancher/k3s/"],
        ["/etc/rancher/k3s", "/var/lib/rancher/k3s", "/var/lib/kubelet"],
    )
    assert mounts == {
        "below": [
            "/var/lib/kubelet/pods/uid/volumes/kubernetes.io~projected/kube api\\x",
            "/var/lib/kubelet/pods/uid/volumes/kubernetes.io~projected/a\tb",
            "/run/k3s/containerd/io.containerd.runtime.v2.task/k8s.io/abc/rootfs",
            "/run/k3s/containerd/io.containerd.grpc.v1.cri/sandboxes/abc/shm",
        ],
        "roots": ["/var/lib/rancher/k3s", "/var/lib/kubelet"],
    }


def test_reset_mounts_puts_a_mount_before_the_ones_it_is_under():
    mounts = "a /var/lib/kubelet/pods b\nc /var/lib/kubelet/pods/x/y d\ne /var/lib/kubelet/pods/x f\n"
    below = reset_mounts(mounts, ["/var/lib/kubelet/"], [])["below"]
    assert below == ["/var/lib/kubelet/pods/x/y", "/var/lib/kubelet/pods/x", "/var/lib/kubelet/pods"]


def test_reset_mounts_rejects_a_single_prefix():
    with pytest.raises(AnsibleFilterError, match="reset_mounts: the prefixes must be a list of paths"):
        reset_mounts(MOUNTS, "/run/k3s/", [])
