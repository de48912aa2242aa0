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


def test_telmate_vm_keeps_the_nic_of_each_static_address():
    instance = instances("telmate.tfstate")["proxmox_vm_qemu.server[0]"]
    attributes = dict(
        instance.attributes, ipconfig0="ip=dhcp", ipconfig1="ip=10.1.1.21/24", ipconfig2="ip=10.2.2.21/24"
    )
    guest = guest_from_instance(ResourceInstance(instance.address, instance.type, attributes), "k3s.tfstate")
    assert guest.static_nic_ipv4 == [[1, "10.1.1.21"], [2, "10.2.2.21"]]
    assert guest.nic_address(0, 4) is None
    assert guest.nic_address(1, 4) == "10.1.1.21"
    assert guest.source == "k3s.tfstate"


@pytest.mark.parametrize(
    ("resource_type", "attributes"),
    [
        ("proxmox_virtual_environment_vm", {"name": "a", "initialization": [{"ip_config": ["ip=192.0.2.1/24"]}]}),
        ("proxmox_virtual_environment_vm", {"name": "a", "initialization": "cloud-init", "tags": 7}),
        ("proxmox_virtual_environment_vm", {"name": "a", "ipv4_addresses": "192.0.2.1", "network_interface_names": 1}),
        ("proxmox_virtual_environment_container", {"initialization": [{"hostname": ["a"], "ip_config": [None]}]}),
        ("proxmox_virtual_environment_container", {"ipv4": ["192.0.2.1"], "vm_id": [1]}),
        ("proxmox_vm_qemu", {"name": {"a": 1}, "ipconfig0": ["ip=192.0.2.1/24"], "target_nodes": "pve", "id": 5}),
        ("proxmox_lxc", {"hostname": "a", "network": {"name": "eth0", "ip": "192.0.2.1/24"}, "vmid": True}),
        ("proxmox_lxc", {"hostname": "a", "network": ["eth0"], "current_node": ["pve"]}),
    ],
)
def test_attributes_of_unexpected_types_are_ignored(resource_type, attributes):
    guest = guest_from_instance(ResourceInstance(f"{resource_type}.x", resource_type, attributes), "odd.tfstate")
    assert guest is not None and guest.name
    assert guest.node is None or isinstance(guest.node, str)
    assert all(isinstance(address, str) for address in guest.static_ipv4 + guest.agent_ipv4)


def test_a_reader_failure_names_the_file_and_the_resource(monkeypatch):
    from ansible_collections.homelab.k3s.plugins.plugin_utils import proxmox_resources

    def broken(instance):
        return instance.attributes["missing"]

    monkeypatch.setitem(proxmox_resources.GUEST_READERS, "proxmox_vm_qemu", broken)
    with pytest.raises(proxmox_resources.GuestReadError, match=r"^proxmox_vm_qemu\.x in odd\.tfstate: cannot read"):
        guest_from_instance(ResourceInstance("proxmox_vm_qemu.x", "proxmox_vm_qemu", {}), "odd.tfstate")


def test_bpg_agent_addresses_put_bridges_and_tunnels_last():
    instance = instances("bpg.tfstate")['module.k3s.proxmox_virtual_environment_vm.node["k3s-worker-1"]']
    attributes = copy.deepcopy(instance.attributes)
    attributes["network_interface_names"] = ["lo", "docker0", "cni0", "flannel.1", "ens18"]
    attributes["ipv4_addresses"] = [["127.0.0.1"], ["172.17.0.1"], ["10.42.1.1"], ["10.42.1.0"], ["192.168.2.22"]]
    guest = guest_from_instance(ResourceInstance(instance.address, instance.type, attributes))
    assert guest.agent_ipv4 == ["192.168.2.22", "172.17.0.1", "10.42.1.1", "10.42.1.0"]
