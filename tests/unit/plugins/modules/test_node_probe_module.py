# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""node_probe on a fake node: files under a temporary directory, dpkg-query/rpm/systemctl faked."""

import os
import time

import pytest
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.k3s.plugins.modules import node_probe

DPKG_OUT = "curl\tii \nvim\trc \nufw\thi \n"


@pytest.fixture
def node(tmp_path, monkeypatch):
    calls = []
    outputs = {}

    def run_command(self, argv, **kwargs):
        calls.append(argv)
        name = os.path.basename(argv[0])
        return outputs.get(name, (0, "", ""))

    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, *a, **k: f"/usr/bin/{name}")
    lists = tmp_path / "lists"
    lists.mkdir()
    monkeypatch.setattr(node_probe, "APT_LISTS", str(lists))
    monkeypatch.setattr(node_probe, "APT_STAMP", str(tmp_path / "stamp"))
    monkeypatch.setattr(node_probe, "FSTAB", str(tmp_path / "fstab"))
    monkeypatch.setattr(node_probe, "PROC_SWAPS", str(tmp_path / "swaps"))
    monkeypatch.setattr(node_probe, "PROC_SYS", str(tmp_path / "sys"))
    return {"tmp": tmp_path, "calls": calls, "outputs": outputs, "lists": lists}


def test_nothing_asked_runs_nothing(run_module, node):
    result = run_module(node_probe, {})
    assert not result["changed"]
    assert node["calls"] == []
    assert result["missing_packages"] == [] and result["units"] == [] and result["sysctl"] == {}
    assert result["package_lists_age"] is None


def test_missing_packages_apt(run_module, node):
    node["outputs"]["dpkg-query"] = (1, DPKG_OUT, "dpkg-query: no packages found matching jq\n")
    result = run_module(node_probe, {"packages": ["curl", "vim", "ufw", "jq"]})
    # vim is removed with its configuration left ("rc"), jq unknown; a held package counts as installed.
    assert result["missing_packages"] == ["vim", "jq"]
    assert node["calls"] == [
        ["/usr/bin/dpkg-query", "-W", "-f=${Package}\t${db:Status-Abbrev}\n", "curl", "vim", "ufw", "jq"]
    ]


def test_missing_packages_rpm(run_module, node):
    node["outputs"]["rpm"] = (1, "curl\npackage vim-enhanced is not installed\njq\n", "")
    result = run_module(node_probe, {"packages": ["curl", "vim-enhanced", "jq"], "package_manager": "dnf"})
    assert result["missing_packages"] == ["vim-enhanced"]


def test_package_lists_age(run_module, node):
    release = node["lists"] / "deb.debian.org_debian_dists_bookworm_InRelease"
    release.write_text("x")
    old = time.time() - 7200
    os.utime(release, (old, old))
    age = run_module(node_probe, {})["package_lists_age"]
    assert 7190 <= age <= 7300
    (node["tmp"] / "stamp").write_text("")
    assert run_module(node_probe, {})["package_lists_age"] < 100
    assert run_module(node_probe, {"package_manager": "dnf"})["package_lists_age"] is None


def test_paths_and_files(run_module, node):
    model = node["tmp"] / "model"
    model.write_bytes(b"Raspberry Pi 5 Model B Rev 1.0\0")
    result = run_module(
        node_probe,
        {"paths": [str(node["tmp"]), str(node["tmp"] / "nope")], "read": [str(model), str(node["tmp"] / "nope")]},
    )
    here, nope = result["paths"][str(node["tmp"])], result["paths"][str(node["tmp"] / "nope")]
    assert (here["exists"], here["isdir"], here["kind"], here["uid"]) == (True, True, "directory", os.getuid())
    assert (nope["exists"], nope["isdir"], nope["kind"], nope["mode"], nope["sha256"]) == (
        False,
        False,
        "absent",
        None,
        None,
    )
    assert result["files"] == {str(model): "Raspberry Pi 5 Model B Rev 1.0", str(node["tmp"] / "nope"): None}


def test_services_read_in_one_call(run_module, node):
    node["outputs"]["systemctl"] = (
        0,
        "LoadState=loaded\nActiveState=active\nUnitFileState=enabled\n\n"
        "LoadState=not-found\nActiveState=inactive\nUnitFileState=\n",
        "",
    )
    services = run_module(node_probe, {"services": ["systemd-timesyncd.service", "chrony.service"]})["services"]
    assert services == {
        "systemd-timesyncd.service": {"load_state": "loaded", "unit_file_state": "enabled", "active_state": "active"},
        "chrony.service": {"load_state": "not-found", "unit_file_state": "", "active_state": "inactive"},
    }
    assert run_module(node_probe, {})["services"] == {}


def test_units(run_module, node):
    node["outputs"]["systemctl"] = (0, "dphys-swapfile.service enabled enabled\nswap.target static -\n", "")
    result = run_module(node_probe, {"units": ["*swap*", "nm-cloud-setup.service"]})
    assert result["units"] == ["dphys-swapfile.service", "swap.target"]
    node["outputs"]["systemctl"] = (1, "", "")
    assert run_module(node_probe, {"units": ["nm-cloud-setup.service"]})["units"] == []
    node["outputs"]["systemctl"] = (4, "", "Failed to connect to bus")
    result = run_module(node_probe, {"units": ["x"]})
    assert result["failed"] and "Failed to connect to bus" in result["msg"]


def test_sysctl(run_module, node):
    base = node["tmp"] / "sys" / "net" / "ipv4"
    base.mkdir(parents=True)
    (base / "ip_forward").write_text("0\n")
    (base / "ip_local_port_range").write_text("32768\t60999\n")
    wanted = {
        "net.ipv4.ip_forward": 1,
        "net.ipv4.ip_local_port_range": "32768 60999",
        "net.bridge.bridge-nf-call-iptables": 1,
    }
    result = run_module(node_probe, {"sysctl": wanted})
    assert result["sysctl"] == {
        "net.ipv4.ip_forward": "0",
        "net.ipv4.ip_local_port_range": "32768 60999",
        "net.bridge.bridge-nf-call-iptables": None,
    }
    assert result["sysctl_differs"] == ["net.ipv4.ip_forward", "net.bridge.bridge-nf-call-iptables"]
    (base / "ip_forward").write_text("1\n")
    assert run_module(node_probe, {"sysctl": {"net.ipv4.ip_forward": 1}})["sysctl_differs"] == []


def test_swap(run_module, node):
    (node["tmp"] / "fstab").write_text(
        "UUID=1 / ext4 defaults 0 1\n/swapfile none swap sw 0 0\n"
        "# /old none swap sw 0 0\n  /dev/sdb2 none swap sw 0 0\n"
    )
    (node["tmp"] / "swaps").write_text(
        "Filename\tType\tSize\tUsed\tPriority\n/swapfile                               file\t\t1048572\t0\t-2\n"
    )
    result = run_module(node_probe, {"swap": True})
    assert result["fstab_swap"] == ["/swapfile none swap sw 0 0", "  /dev/sdb2 none swap sw 0 0"]
    assert result["swap_areas"] == ["/swapfile"]
    assert run_module(node_probe, {})["fstab_swap"] == []
