# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy

import pytest
from terraform_inventory_helpers import FIXTURES

from ansible_collections.homelab.k3s.plugins.plugin_utils.proxmox_resources import guest_from_instance, split_tags
from ansible_collections.homelab.k3s.plugins.plugin_utils.terraform_state import ResourceInstance, parse_state_document


def instances(name):
    return {instance.address: instance for instance in parse_state_document((FIXTURES / name).read_bytes(), name)}


def test_telmate_vm_from_count_instance():
    guest = guest_from_instance(instances("telmate.tfstate")["proxmox_vm_qemu.agent[1]"])
    assert guest.name == "k3s-worker-2"
    assert (guest.kind, guest.vmid, guest.node) == ("qemu", 203, "pve2")
    assert guest.tags == ["k3s", "k3s-agent"]
    assert guest.static_ipv4 == ["192.168.1.23"]
    assert guest.agent_ipv4 == ["192.168.1.23"]
    assert guest.terraform_address == "proxmox_vm_qemu.agent[1]"
    assert not guest.template


def test_telmate_vm_on_dhcp_uses_the_guest_agent_address():
    guest = guest_from_instance(instances("nested.tfstate")['module.lab.module.k3s[0].proxmox_vm_qemu.agent["b"]'])
    assert guest.static_ipv4 == []
    assert guest.static_ipv6 == []
    assert guest.agent_ipv4 == ["192.168.1.133"]


def test_telmate_vm_node_and_vmid_fall_back_to_the_resource_id():
    instance = instances("telmate.tfstate")["proxmox_vm_qemu.server[0]"]
    attributes = dict(instance.attributes, vmid=0, current_node="", target_node=None, id="pve3/qemu/777")
    guest = guest_from_instance(ResourceInstance(instance.address, instance.type, attributes))
    assert (guest.node, guest.vmid) == ("pve3", 777)


def test_telmate_vm_reads_every_ipconfig_and_ipv6():
    instance = instances("telmate.tfstate")["proxmox_vm_qemu.server[0]"]
    attributes = dict(
        instance.attributes,
        ipconfig0="ip=dhcp",
        ipconfig1="ip=10.10.0.21/24,ip6=fd00:10::21/64",
        default_ipv4_address=None,
        ssh_host="fd00:10::21",
    )
    guest = guest_from_instance(ResourceInstance(instance.address, instance.type, attributes))
    assert guest.static_ipv4 == ["10.10.0.21"]
    assert guest.static_ipv6 == ["fd00:10::21"]
    assert guest.agent_ipv4 == []
    assert guest.agent_ipv6 == ["fd00:10::21"]


def test_telmate_lxc():
    guest = guest_from_instance(instances("nested.tfstate")["module.lab.proxmox_lxc.registry"])
    assert (guest.name, guest.kind, guest.vmid, guest.node) == ("registry", "lxc", 320, "pve2")
    assert guest.tags == ["infra"]
    assert guest.static_ipv4 == ["192.168.1.60"]
    assert guest.agent_ipv4 == []


def test_bpg_vm_with_static_address_from_for_each_in_a_module():
    guest = guest_from_instance(
        instances("bpg.tfstate")['module.k3s.proxmox_virtual_environment_vm.node["k3s-master-1"]']
    )
    assert (guest.name, guest.kind, guest.vmid, guest.node) == ("k3s-master-1", "qemu", 201, "pve1")
    assert guest.tags == ["k3s", "k3s-server"]
    assert guest.static_ipv4 == ["192.168.1.21"]
    assert guest.agent_ipv4 == ["192.168.1.21"]  # loopback interface skipped
    assert guest.agent_ipv6 == ["fd00:1::21"]  # ::1 and link-local skipped


def test_bpg_vm_on_dhcp_keeps_only_guest_agent_addresses():
    guest = guest_from_instance(
        instances("bpg.tfstate")['module.k3s.proxmox_virtual_environment_vm.node["k3s-worker-2"]']
    )
    assert guest.static_ipv4 == []
    assert guest.agent_ipv4 == ["192.168.1.123"]


def test_bpg_agent_addresses_skip_the_loopback_interface_by_name_and_empty_nics():
    instance = instances("bpg.tfstate")['module.k3s.proxmox_virtual_environment_vm.node["k3s-worker-1"]']
    attributes = copy.deepcopy(instance.attributes)
    attributes["network_interface_names"] = ["lo", "eth0", "eth1"]
    attributes["ipv4_addresses"] = [["10.0.0.9"], None, ["192.168.2.22", "169.254.0.5"]]
    guest = guest_from_instance(ResourceInstance(instance.address, instance.type, attributes))
    assert guest.agent_ipv4 == ["192.168.2.22"]


def test_bpg_template_vm_is_marked():
    guest = guest_from_instance(instances("bpg.tfstate")["module.k3s.proxmox_virtual_environment_vm.template"])
    assert guest.template
    assert guest.name == "debian-12-cloudinit"


def test_bpg_container():
    guest = guest_from_instance(instances("nested.tfstate")["module.lab.proxmox_virtual_environment_container.dns[0]"])
    assert (guest.name, guest.kind, guest.vmid, guest.node) == ("dns-1", "lxc", 330, "pve1")
    assert guest.tags == ["infra", "dns"]
    assert guest.static_ipv4 == []
    assert guest.agent_ipv4 == ["192.168.1.53"]
    assert guest.agent_ipv6 == ["fd00:1::53"]


def test_unnamed_guest_is_named_after_its_vmid():
    instance = instances("nested.tfstate")["module.lab.proxmox_virtual_environment_container.dns[0]"]
    attributes = copy.deepcopy(instance.attributes)
    attributes["initialization"][0]["hostname"] = ""
    guest = guest_from_instance(ResourceInstance(instance.address, instance.type, attributes))
    assert guest.name == "lxc-330"


def test_other_resource_types_are_not_guests():
    local_file = instances("telmate.tfstate")["local_file.hosts_ini"]
    assert guest_from_instance(local_file) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("k3s;k3s-server", ["k3s", "k3s-server"]),
        ("k3s,k3s-agent; k3s", ["k3s", "k3s-agent"]),
        (["k3s", "", None, "infra"], ["k3s", "infra"]),
        ("", []),
        (None, []),
    ],
)
def test_split_tags(value, expected):
    assert split_tags(value) == expected
