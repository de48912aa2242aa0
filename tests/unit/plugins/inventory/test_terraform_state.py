# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from terraform_inventory_helpers import FIXTURES

from ansible_collections.homelab.k3s.plugins.plugin_utils.terraform_state import (
    TerraformStateError,
    instance_address,
    parse_state_document,
)


def load(name):
    return parse_state_document((FIXTURES / name).read_bytes(), name)


def test_state_addresses_cover_modules_count_and_for_each():
    addresses = [instance.address for instance in load("nested.tfstate")]
    assert addresses == [
        "proxmox_vm_qemu.builder",
        "proxmox_vm_qemu.sandbox",
        "proxmox_vm_qemu.scratch",
        "module.lab.proxmox_lxc.registry",
        "module.lab.proxmox_virtual_environment_container.dns[0]",
        'module.lab.module.k3s[0].proxmox_vm_qemu.agent["a"]',
        'module.lab.module.k3s[0].proxmox_vm_qemu.agent["b"]',
        "module.lab.module.k3s[0].proxmox_vm_qemu.server[0]",
    ]


def test_data_sources_and_deposed_objects_are_left_out():
    instances = load("nested.tfstate")
    assert not [instance for instance in instances if instance.type == "proxmox_ha_groups"]
    builders = [instance for instance in instances if instance.address == "proxmox_vm_qemu.builder"]
    assert [instance.attributes["vmid"] for instance in builders] == [391]


def test_tainted_status_is_kept_on_the_instance():
    tainted = {instance.address for instance in load("nested.tfstate") if instance.tainted}
    assert tainted == {"proxmox_vm_qemu.scratch"}


def test_sensitive_paths_from_state_steps():
    master = next(instance for instance in load("bpg.tfstate") if instance.address.endswith('["k3s-master-1"]'))
    assert master.is_sensitive("initialization", 0, "user_account", 0, "password")
    assert master.is_sensitive("initialization", 0, "user_account", 0, "password", "anything-below")
    assert not master.is_sensitive("initialization", 0, "ip_config")
    pi = next(instance for instance in load("ansible_provider.tfstate") if instance.address == "ansible_host.pi")
    assert pi.is_sensitive("variables", "ansible_become_password")
    assert not pi.is_sensitive("variables", "ansible_user")


def test_show_json_matches_the_state_file_it_was_made_from():
    from_state = {instance.address: instance for instance in load("bpg.tfstate")}
    from_show = {instance.address: instance for instance in load("bpg.show.json")}
    assert from_show.keys() == from_state.keys()
    for address, instance in from_state.items():
        assert from_show[address].attributes == instance.attributes
        assert from_show[address].type == instance.type
    master = from_show['module.k3s.proxmox_virtual_environment_vm.node["k3s-master-1"]']
    assert master.is_sensitive("initialization", 0, "user_account", 0, "password")


def test_show_json_tainted_and_nested_child_modules():
    document = {
        "format_version": "1.0",
        "values": {
            "root_module": {
                "resources": [
                    {"address": "a.b", "mode": "managed", "type": "a", "values": {"x": 1}, "tainted": True},
                    {"address": "data.a.c", "mode": "data", "type": "a", "values": {}},
                    {"address": "a.d", "mode": "managed", "type": "a", "values": {}, "deposed_key": "0011"},
                ],
                "child_modules": [
                    {
                        "address": "module.m",
                        "resources": [{"address": "module.m.a.e", "mode": "managed", "type": "a", "values": {}}],
                        "child_modules": [
                            {
                                "address": "module.m.module.n",
                                "resources": [
                                    {
                                        "address": "module.m.module.n.a.f[0]",
                                        "mode": "managed",
                                        "type": "a",
                                        "values": {},
                                    }
                                ],
                            }
                        ],
                    }
                ],
            }
        },
    }
    instances = parse_state_document(json.dumps(document), "show")
    assert [(instance.address, instance.tainted) for instance in instances] == [
        ("a.b", True),
        ("module.m.a.e", False),
        ("module.m.module.n.a.f[0]", False),
    ]


def test_show_json_of_an_empty_project_has_no_instances():
    assert parse_state_document('{"format_version": "1.0"}', "show") == []


def test_instance_address_quotes_string_keys():
    assert instance_address("", "t", "n", None) == "t.n"
    assert instance_address("module.x[1]", "t", "n", 0) == "module.x[1].t.n[0]"
    assert instance_address("", "t", "n", 'we"ird') == 't.n["we\\"ird"]'


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[server]\nk3s-master-1\n", "invalid JSON"),
        (b"\xff\xfe\x00garbage", "not"),
        (b"[1, 2]", "not an object"),
        (b'{"serial": 1}', "no 'version' field"),
        (b'{"version": 5, "resources": []}', "version 5 is not supported"),
        (b'{"format_version": "2.0"}', "format version '2.0' is not supported"),
        (b'{"version": 4, "resources": {}}', "'resources' is not a list"),
    ],
)
def test_unusable_documents_say_why(raw, message):
    with pytest.raises(TerraformStateError, match="^example.tfstate: .*" + message):
        parse_state_document(raw, "example.tfstate")


def test_version_3_state_points_at_the_upgrade():
    with pytest.raises(TerraformStateError, match=r"version 3 is not supported.*Terraform 0.11 or older"):
        load("version3.tfstate")


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_real_terraform_state_and_show_output_agree(tmp_path):
    """With a real terraform binary: built-in resources in nested modules, count, for_each and a taint."""
    (tmp_path / "child").mkdir()
    (tmp_path / "main.tf").write_text(
        'resource "terraform_data" "vm" {\n  count = 2\n  input = "vm-${count.index}"\n}\n'
        'module "child" {\n  source = "./child"\n}\n'
    )
    (tmp_path / "child" / "main.tf").write_text(
        'resource "terraform_data" "each" {\n  for_each = toset(["one", "two"])\n  input = each.key\n}\n'
    )
    env = dict(os.environ, TF_CLI_CONFIG_FILE=os.devnull, TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
    for command in (
        ["init", "-input=false"],
        ["apply", "-auto-approve", "-input=false"],
        ["taint", "terraform_data.vm[1]"],
    ):
        subprocess.run(
            ["terraform", *command, "-no-color"], cwd=tmp_path, env=env, check=True, capture_output=True, timeout=120
        )
    state = parse_state_document((tmp_path / "terraform.tfstate").read_bytes(), "state")
    show = subprocess.run(
        ["terraform", "show", "-json"], cwd=tmp_path, env=env, check=True, capture_output=True, timeout=60
    )
    shown = parse_state_document(show.stdout, "show")
    expected = [
        ("terraform_data.vm[0]", False),
        ("terraform_data.vm[1]", True),
        ('module.child.terraform_data.each["one"]', False),
        ('module.child.terraform_data.each["two"]', False),
    ]
    assert sorted((i.address, i.tainted) for i in state) == sorted(expected)
    assert sorted((i.address, i.tainted) for i in shown) == sorted(expected)
