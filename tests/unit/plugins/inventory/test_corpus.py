# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plugin over the corpus of homelab state shapes: every host, its address, skipped guests, groups, warnings.

tests/fixtures/terraform/corpus/index.yml records, per state, where it was modelled on and what the
inventory must hold.
"""

from __future__ import annotations

import json

import pytest
import yaml
from terraform_inventory_helpers import FIXTURES, write_config

CORPUS = FIXTURES / "corpus"
INDEX = yaml.safe_load((CORPUS / "index.yml").read_text())["states"]
LEAKS = ("fixture-cipassword", "fixture-password", "PRIVATE KEY", "AAAAC3NzaC1lZDI1NTE5AAAAIFixture", "fixture-become")


def test_the_index_covers_every_state_and_names_its_source():
    assert sorted(entry["file"] for entry in INDEX) == sorted(
        path.name for path in CORPUS.iterdir() if path.suffix in (".tfstate", ".json")
    )
    for entry in INDEX:
        source = entry["source"]
        assert source["repository"].count("/") == 1 and source["path"] and len(source["commit"]) == 40


def test_the_corpus_covers_the_shapes_of_the_issue():
    shapes = " ".join(entry["shape"] for entry in INDEX)
    providers = {name.split(" ")[0] for entry in INDEX for name in entry["providers"]}
    assert {"telmate/proxmox", "bpg/proxmox", "ansible/ansible", "terraform-for-proxmox/proxmox"} <= providers
    versions = {str(version) for entry in INDEX for version in entry["providers"].values() if version}
    assert any(version.startswith("2.") for version in versions) and any(
        version.startswith("3.") for version in versions
    )
    terraform = {str(entry["terraform_version"]) for entry in INDEX}
    assert any(version.startswith("0.12") for version in terraform) and any(
        version.startswith("1.1") for version in terraform
    )
    for needle in ("show -json", "OpenTofu", "DHCP", "FQDN", "stopped", "net1", "share one static address", "disagree"):
        assert needle in shapes, needle


@pytest.mark.parametrize("entry", INDEX, ids=[entry["file"] for entry in INDEX])
def test_state_gives_the_expected_hosts_and_addresses(tmp_path, parse_config, entry):
    config = write_config(tmp_path, "corpus", state_files=[str(CORPUS / entry["file"])], **entry.get("options", {}))
    inventory, plugin = parse_config(config)
    found = {name: host.vars.get("ansible_host") for name, host in inventory.hosts.items()}
    assert found == entry["hosts"]
    warnings = "\n".join(plugin.display.warnings)
    for name in entry.get("skipped", []):
        assert f"{name} (" in warnings and "no IPv4 address in the state; host skipped" in warnings
    for name in entry.get("disagreeing", []):
        assert any(
            warning.startswith(f"{name} (") and "is not among the guest agent's addresses" in warning
            for warning in plugin.display.warnings
        ), name
    for part in entry.get("warnings", []):
        assert part in warnings
    for group, members in entry.get("groups", {}).items():
        assert sorted(host.name for host in inventory.groups[group].get_hosts()) == members
    hostvars = json.dumps({name: host.vars for name, host in inventory.hosts.items()}, default=str)
    assert not [leak for leak in LEAKS if leak in hostvars + warnings]
