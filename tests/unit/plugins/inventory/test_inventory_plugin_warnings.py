# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plugin on the state shapes that used to go wrong: names shared by hosts and groups, several NICs,
duplicates across files, odd attribute types, misspelled options, empty k3s groups."""

from __future__ import annotations

import copy
import json

import pytest
from ansible.errors import AnsibleParserError
from terraform_inventory_helpers import FIXTURES, write_config


def telmate_state() -> dict:
    return json.loads((FIXTURES / "telmate.tfstate").read_text())


def instances_of(state: dict, name: str) -> list:
    return next(resource for resource in state["resources"] if resource["name"] == name)["instances"]


def resource(resource_type: str, name: str, *attributes: dict, provider: str = "ansible/ansible") -> dict:
    return {
        "mode": "managed",
        "type": resource_type,
        "name": name,
        "provider": f'provider["registry.terraform.io/{provider}"]',
        "instances": [
            {"index_key": index if len(attributes) > 1 else None, "schema_version": 0, "attributes": values}
            for index, values in enumerate(attributes)
        ],
    }


def write_state(path, resources, **fields) -> str:
    state = {"version": 4, "terraform_version": "1.9.8", "serial": 1, "lineage": "x", "outputs": {}}
    state["resources"] = resources
    state.update(fields)
    path.write_text(json.dumps(state))
    return path.name


def host_names(inventory, group: str) -> list:
    return sorted(host.name for host in inventory.groups[group].get_hosts())


# 1. a host named like a group


def test_physical_host_named_like_the_group_of_its_containers(tmp_path, parse_config):
    containers = [
        {
            "hostname": f"ct-{index}",
            "vmid": 110 + index,
            "target_node": "proxmox",
            "network": [{"ip": f"192.168.1.{60 + index}/24"}],
        }
        for index in (1, 2)
    ]
    state = write_state(
        tmp_path / "lab.tfstate",
        [
            resource("proxmox_lxc", "ct", *containers, provider="telmate/proxmox"),
            resource("ansible_host", "ct", *({"name": f"ct-{index}", "groups": ["proxmox"]} for index in (1, 2))),
            resource(
                "ansible_host",
                "pve",
                {
                    "name": "proxmox",
                    "groups": ["physical_hosts"],
                    "variables": {"ansible_user": "root", "ansible_host": "192.168.1.2"},
                },
            ),
        ],
    )
    inventory, plugin = parse_config(write_config(tmp_path, "lab", state_files=[state], group_by_node=False))
    assert host_names(inventory, "physical_hosts") == ["proxmox-host"]
    assert host_names(inventory, "proxmox") == ["ct-1", "ct-2"]
    assert inventory.get_host("proxmox-host").vars["ansible_user"] == "root"
    for name in ("ct-1", "ct-2"):
        assert "ansible_user" not in inventory.get_host(name).get_vars()
        assert all(group.name != "physical_hosts" for group in inventory.get_host(name).get_groups())
    assert any(
        "host 'proxmox' (ansible_host.pve in" in warning and "renamed 'proxmox-host'" in warning
        for warning in plugin.display.warnings
    )


def test_vm_named_server_is_renamed_and_the_server_group_keeps_its_meaning(tmp_path, parse_config):
    state = telmate_state()
    instances_of(state, "server")[0]["attributes"]["name"] = "server"
    (tmp_path / "k3s.tfstate").write_text(json.dumps(state))
    inventory, _plugin = parse_config(write_config(tmp_path, "k3s", state_files=["k3s.tfstate"]))
    assert host_names(inventory, "server") == ["server-host"]
    assert host_names(inventory, "agent") == ["k3s-worker-1", "k3s-worker-2"]


# 2. a static address on a secondary NIC


def multi_nic_state(tmp_path) -> str:
    state = telmate_state()
    for number, instance in enumerate(instances_of(state, "agent")):
        instance["attributes"].update(
            ipconfig0="ip=dhcp",
            ipconfig1=f"ip=10.1.1.{22 + number}/24",
            default_ipv4_address=f"192.168.2.{22 + number}",
            ssh_host=f"192.168.2.{22 + number}",
        )
    server = instances_of(state, "server")[0]["attributes"]
    server.update(default_ipv4_address="192.168.1.121", ssh_host="192.168.1.121")  # the static one is stale
    (tmp_path / "k3s.tfstate").write_text(json.dumps(state))
    return "k3s.tfstate"


def test_primary_nic_wins_over_a_static_secondary_nic_and_disagreements_warn(tmp_path, parse_config):
    inventory, plugin = parse_config(write_config(tmp_path, "k3s", state_files=[multi_nic_state(tmp_path)]))
    assert inventory.get_host("k3s-worker-1").vars["ansible_host"] == "192.168.2.22"
    assert inventory.get_host("k3s-worker-2").vars["ansible_host"] == "192.168.2.23"
    assert inventory.get_host("k3s-master-1").vars["ansible_host"] == "192.168.1.21"
    disagreements = [warning for warning in plugin.display.warnings if "is not among the guest agent's" in warning]
    assert len(disagreements) == 1
    assert disagreements[0].startswith(f"k3s-master-1 (proxmox_vm_qemu.server[0] in {tmp_path / 'k3s.tfstate'}): ")


def test_address_precedence_option_brings_back_static_first(tmp_path, parse_config):
    config = write_config(
        tmp_path, "k3s", state_files=[multi_nic_state(tmp_path)], address_precedence=["static", "agent"]
    )
    inventory, _plugin = parse_config(config)
    assert inventory.get_host("k3s-worker-1").vars["ansible_host"] == "10.1.1.22"


# 3. one name in two files


def test_duplicate_name_across_files_names_both_files_and_keeps_the_rest(tmp_path, parse_config):
    for directory, worker in (("a", "k3s-worker-1"), ("b", "k3s-worker-9")):
        state = telmate_state()
        instances_of(state, "agent")[0]["attributes"]["name"] = worker
        (tmp_path / directory).mkdir()
        (tmp_path / directory / "terraform.tfstate").write_text(json.dumps(state))
    inventory, plugin = parse_config(write_config(tmp_path, "two", state_files=["a", "b"]))
    assert sorted(inventory.hosts) == ["k3s-master-1", "k3s-worker-1", "k3s-worker-2", "k3s-worker-9"]
    first, second = tmp_path / "a" / "terraform.tfstate", tmp_path / "b" / "terraform.tfstate"
    assert (
        f"duplicate host name 'k3s-master-1': proxmox_vm_qemu.server[0] in {first} and "
        f"proxmox_vm_qemu.server[0] in {second}; the second is skipped"
    ) in "\n".join(plugin.display.warnings)


# 4. attributes of unexpected types


def test_unexpected_attribute_types_do_not_stop_the_run(tmp_path, parse_config):
    state = json.loads((FIXTURES / "bpg.tfstate").read_text())
    vm = next(r for r in state["resources"] if r["type"] == "proxmox_virtual_environment_vm" and r["name"] == "node")
    odd = copy.deepcopy(vm["instances"][0])
    odd["index_key"] = "odd"
    odd["attributes"].update(name="odd", initialization=[{"ip_config": ["ip=192.168.1.77/24"]}], tags="k3s-agent")
    vm["instances"].append(odd)
    (tmp_path / "bpg.tfstate").write_text(json.dumps(state))
    inventory, _plugin = parse_config(write_config(tmp_path, "bpg", state_files=["bpg.tfstate"]))
    assert "odd" in inventory.hosts  # the guest agent's address is still there
    assert "k3s-master-1" in inventory.hosts


# 5. silent empties and confusing messages


def test_misspelled_option_is_rejected_by_name(tmp_path, parse_config):
    with pytest.raises(AnsibleParserError, match=r"unknown option 'state_file' \(did you mean 'state_files'\?\)"):
        parse_config(write_config(tmp_path, "typo", state_file=["k3s.tfstate"]))
    with pytest.raises(AnsibleParserError, match=r"unknown options 'adress_fallback' .*, 'zzz'"):
        parse_config(write_config(tmp_path, "typos", adress_fallback="x", zzz=1))


@pytest.mark.parametrize("resources", [None, []])
def test_state_without_resources_warns(tmp_path, parse_config, resources):
    state = write_state(tmp_path / "empty.tfstate", resources)
    inventory, plugin = parse_config(write_config(tmp_path, "empty", state_files=[state]))
    assert list(inventory.hosts) == []
    assert plugin.display.warnings == [
        f"{tmp_path / 'empty.tfstate'}: no Proxmox guest and no ansible_host or ansible_group resource in it "
        "(no resources)"
    ]


def test_state_of_other_resources_warns_with_their_types(tmp_path, parse_config):
    state = write_state(
        tmp_path / "dns.tfstate", [resource("dns_a_record_set", "k3s", {"name": "k3s"}, provider="hashicorp/dns")]
    )
    _inventory, plugin = parse_config(write_config(tmp_path, "dns", state_files=[state]))
    assert plugin.display.warnings[0].endswith("(only dns_a_record_set)")


def test_version_as_a_string_is_named_for_what_it_is(tmp_path, parse_config):
    state = write_state(tmp_path / "s.tfstate", [], version="4")
    with pytest.raises(AnsibleParserError, match=r"the state format version is str '4', not a number"):
        parse_config(write_config(tmp_path, "s", state_files=[state]))


# 6. empty k3s groups


def test_default_options_on_untagged_guests_warn_that_server_and_agent_are_empty(tmp_path, parse_config):
    state = telmate_state()
    for name in ("server", "agent"):
        for instance in instances_of(state, name):
            instance["attributes"]["tags"] = "k3s"
    (tmp_path / "k3s.tfstate").write_text(json.dumps(state))
    inventory, plugin = parse_config(write_config(tmp_path, "k3s", state_files=["k3s.tfstate"]))
    assert host_names(inventory, "server") == []
    assert any(
        warning.startswith(
            f"the groups server and agent are empty: none of the 3 hosts from {tmp_path / 'k3s.tfstate'}"
        )
        for warning in plugin.display.warnings
    )
    config = write_config(
        tmp_path,
        "named",
        state_files=["k3s.tfstate"],
        groups={"server": "'master' in proxmox_name"},
    )
    inventory, plugin = parse_config(config)
    assert host_names(inventory, "server") == ["k3s-master-1"]
    assert not any("empty" in warning for warning in plugin.display.warnings)
