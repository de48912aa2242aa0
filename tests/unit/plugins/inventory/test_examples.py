# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shipped example configuration and the benchmark's state generator keep working."""

from __future__ import annotations

import json
import shutil

from bench.inventory_bench import generate_state, static_inventory
from terraform_inventory_helpers import FIXTURES, REPO


def test_example_inventory_reads_the_example_project(tmp_path, monkeypatch, parse_config):
    """inventory/example/proxmox.terraform.yml over a telmate project applied with the local backend."""
    monkeypatch.setenv("PATH", str(tmp_path / "no-binaries"))
    (tmp_path / "inventory" / "example").mkdir(parents=True)
    config = tmp_path / "inventory" / "example" / "proxmox.terraform.yml"
    shutil.copy(REPO / "inventory" / "example" / "proxmox.terraform.yml", config)
    project = tmp_path / "docs" / "examples" / "terraform" / "telmate"
    project.mkdir(parents=True)
    shutil.copy(FIXTURES / "telmate.tfstate", project / "terraform.tfstate")
    inventory, plugin = parse_config(config)
    assert sorted(host.name for host in inventory.groups["server"].hosts) == ["k3s-master-1"]
    assert sorted(host.name for host in inventory.groups["agent"].hosts) == ["k3s-worker-1", "k3s-worker-2"]
    assert inventory.get_host("k3s-master-1").vars["ansible_user"] == "debian"
    assert sorted(host.name for host in inventory.groups["proxmox_type_qemu"].hosts) == [
        "k3s-master-1",
        "k3s-worker-1",
        "k3s-worker-2",
    ]
    assert any("neither terraform nor tofu is on PATH" in warning for warning in plugin.display.warnings)


def test_benchmark_state_becomes_as_many_hosts(tmp_path, parse_config):
    state = generate_state(12)
    (tmp_path / "bench.tfstate").write_text(json.dumps(state))
    (tmp_path / "bench.terraform.yml").write_text("plugin: homelab.k3s.terraform\nstate_files: [bench.tfstate]\n")
    inventory, _plugin = parse_config(tmp_path / "bench.terraform.yml")
    assert len(inventory.hosts) == 12
    assert len(inventory.groups["server"].hosts) == 3
    static = static_inventory(state)["all"]["children"]
    assert sorted(static["agent"]["hosts"]) == sorted(host.name for host in inventory.groups["agent"].hosts)
