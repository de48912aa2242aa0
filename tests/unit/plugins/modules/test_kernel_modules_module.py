# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kernel_modules and node_probe on a fake kernel: /proc, /sys and /lib/modules under a temporary directory.

node_probe's kernel_modules_ready lets the prereqs role skip kernel_modules: it must be true exactly when
kernel_modules would change nothing."""

import os

import pytest
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.k3s.plugins.module_utils import kernel_modules as utils
from ansible_collections.homelab.k3s.plugins.modules import kernel_modules, node_probe


@pytest.fixture
def kernel(tmp_path, monkeypatch):
    """A kernel with loadable-module support, br_netfilter loaded, overlay in modules.builtin, vxlan in /sys/module."""
    calls = []
    proc_modules = tmp_path / "proc_modules"
    proc_modules.write_text("br_netfilter 32768 0 - Live 0x0\n")
    release = tmp_path / "lib_modules" / os.uname().release
    release.mkdir(parents=True)
    (release / "modules.builtin").write_text("kernel/fs/overlayfs/overlay.ko\n")
    (tmp_path / "sys_module" / "vxlan").mkdir(parents=True)
    (tmp_path / "filesystems").write_text("nodev\tsysfs\n\text4\n")
    monkeypatch.setattr(utils, "PROC_MODULES", str(proc_modules))
    monkeypatch.setattr(utils, "LIB_MODULES", str(tmp_path / "lib_modules"))
    monkeypatch.setattr(utils, "SYS_MODULE", str(tmp_path / "sys_module"))
    monkeypatch.setattr(utils, "PROC_FILESYSTEMS", str(tmp_path / "filesystems"))
    monkeypatch.setattr(utils, "PROBES", {"overlay": ("filesystem", "overlay")})

    def run_command(self, argv, **kwargs):
        calls.append(argv)
        return 0, "", ""

    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, *a, **k: f"/usr/sbin/{name}")
    return {"tmp": tmp_path, "proc_modules": proc_modules, "calls": calls, "file": str(tmp_path / "k3s.conf")}


def test_how_each_module_is_available(kernel):
    assert utils.module_states(["br_netfilter", "overlay", "vxlan", "ip_vs"]) == {
        "br_netfilter": "loaded",
        "overlay": "builtin",
        "vxlan": "builtin",
        "ip_vs": "missing",
    }
    # A /sys/module entry with an initstate file is a loadable module, not a built-in one.
    (kernel["tmp"] / "sys_module" / "vxlan" / "initstate").write_text("live\n")
    assert utils.module_states(["vxlan"]) == {"vxlan": "missing"}


def test_a_kernel_without_module_support_has_no_loaded_modules(kernel):
    kernel["proc_modules"].unlink()
    assert utils.loaded_modules() is None
    assert utils.module_states(["br_netfilter", "overlay"]) == {"br_netfilter": "missing", "overlay": "builtin"}


def test_the_persist_file_lists_loadable_modules_and_comments_built_in_ones():
    assert utils.render_persist_file({"br_netfilter": "loaded", "overlay": "builtin"}) == (
        utils.HEADER + "br_netfilter\n# overlay: built into the kernel\n"
    )


def test_nothing_to_do_needs_every_module_and_the_file_as_written(kernel):
    states = {"br_netfilter": "loaded", "overlay": "builtin"}
    assert not utils.nothing_to_do(states, kernel["file"])
    with open(kernel["file"], "w") as handle:
        handle.write(utils.render_persist_file(states))
    assert utils.nothing_to_do(states, kernel["file"])
    assert not utils.nothing_to_do({**states, "ip_vs": "missing"}, kernel["file"])
    with open(kernel["file"], "a") as handle:
        handle.write("ip_vs\n")
    assert not utils.nothing_to_do(states, kernel["file"])


def test_the_probe_is_ready_exactly_when_kernel_modules_changes_nothing(run_module, kernel):
    names = ["br_netfilter", "overlay"]
    probe = {"kernel_modules": names, "kernel_modules_file": kernel["file"]}
    before = run_module(node_probe, probe)
    assert before["kernel_modules"] == {"br_netfilter": "loaded", "overlay": "builtin"}
    assert before["kernel_modules_ready"] is False

    first = run_module(kernel_modules, {"names": names, "persist_file": kernel["file"]})
    assert first["changed"]
    assert run_module(node_probe, probe)["kernel_modules_ready"] is True
    assert not run_module(kernel_modules, {"names": names, "persist_file": kernel["file"]})["changed"]

    # A module that is not there: kernel_modules loads it, so the probe is not ready.
    moved = run_module(node_probe, {**probe, "kernel_modules": [*names, "ip_vs"]})
    assert moved["kernel_modules"]["ip_vs"] == "missing" and moved["kernel_modules_ready"] is False
    loaded = run_module(kernel_modules, {"names": [*names, "ip_vs"], "persist_file": kernel["file"]})
    assert loaded["changed"] and ["/usr/sbin/modprobe", "ip_vs"] in kernel["calls"]


def test_without_kernel_modules_the_probe_reads_none(run_module, kernel):
    result = run_module(node_probe, {})
    assert result["kernel_modules"] == {} and result["kernel_modules_ready"] is True


def test_a_missing_module_on_a_kernel_without_module_support_fails_naming_it(run_module, kernel):
    kernel["proc_modules"].unlink()
    result = run_module(kernel_modules, {"names": ["ip_vs"], "persist_file": kernel["file"]})
    assert result["failed"] and "ip_vs" in result["msg"] and "cannot load modules" in result["msg"]
    assert kernel["calls"] == []
