# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import re

import pytest

from ansible_collections.homelab.k3s.plugins.plugin_utils.ansible_resources import DeclaredGroup, DeclaredHost
from ansible_collections.homelab.k3s.plugins.plugin_utils.proxmox_resources import Guest
from ansible_collections.homelab.k3s.plugins.plugin_utils.terraform_inventory import (
    InventoryBuildError,
    InventorySettings,
    build_inventory,
    safe_group_name,
)


def guest(name, **fields):
    fields.setdefault("terraform_address", f"proxmox_vm_qemu.{name}")
    fields.setdefault("static_ipv4", ["192.168.1.10"])
    return Guest(name=name, kind=fields.pop("kind", "qemu"), **fields)


def plan_of(guests, hosts=(), groups=(), **settings):
    fallback = settings.pop("fallback", None)
    host_name = settings.pop("host_name", None)
    return build_inventory(list(guests), list(hosts), list(groups), InventorySettings(**settings), host_name, fallback)


def test_roles_from_tags():
    plan = plan_of(
        [
            guest("a", tags=["k3s", "k3s-server"], node="pve1"),
            guest("b", tags=["k3s-agent"], node="pve2"),
            guest("c", tags=["other"]),
        ]
    )
    assert plan.hosts["a"].groups == ["server", "proxmox_node_pve1", "proxmox_tag_k3s", "proxmox_tag_k3s_server"]
    assert plan.hosts["b"].groups == ["agent", "proxmox_node_pve2", "proxmox_tag_k3s_agent"]
    assert plan.hosts["c"].groups == ["proxmox_tag_other"]
    assert plan.groups["k3s_cluster"].children == ["server", "agent"]
    assert plan.warnings == []


def test_configured_tags_and_name_patterns():
    settings = {
        "server_tags": frozenset({"cp"}),
        "agent_tags": frozenset({"worker"}),
        "server_name_pattern": re.compile("-master-"),
        "agent_name_pattern": re.compile("-worker-"),
        "node_group_prefix": None,
        "tag_group_prefix": None,
    }
    plan = plan_of(
        [guest("x", tags=["cp"]), guest("k3s-master-1"), guest("k3s-worker-1"), guest("k3s-worker-2", tags=["cp"])],
        **settings,
    )
    assert {name: host.groups for name, host in plan.hosts.items()} == {
        "x": ["server"],
        "k3s-master-1": ["server"],
        "k3s-worker-1": ["agent"],
        "k3s-worker-2": ["server"],  # tags win over the name
    }


def test_guest_matching_both_roles_is_a_server_with_a_warning():
    plan = plan_of([guest("n", tags=["k3s-server", "k3s-agent"])])
    assert plan.hosts["n"].groups[0] == "server"
    assert plan.warnings == ["n: matches both the server and the agent role; it joins server"]


def test_address_order_static_then_agent_then_fallback():
    plan = plan_of(
        [
            guest("static", static_ipv4=["192.168.1.21"], agent_ipv4=["192.168.1.99"]),
            guest("agent", static_ipv4=[], agent_ipv4=["192.168.1.22"]),
            guest("dns", static_ipv4=[]),
            guest("cidr", static_ipv4=[]),
        ],
        fallback=lambda v: {"dns": f"{v['inventory_hostname']}.lab", "cidr": "192.168.1.24/24"}[v["proxmox_name"]],
    )
    assert {name: host.variables["ansible_host"] for name, host in plan.hosts.items()} == {
        "static": "192.168.1.21",
        "agent": "192.168.1.22",
        "dns": "dns.lab",
        "cidr": "192.168.1.24",
    }


def test_ipv6_addresses_when_asked():
    plan = plan_of([guest("six", static_ipv6=["fd00::21"], agent_ipv6=["fd00::99"])], ip_version=6)
    assert plan.hosts["six"].variables["ansible_host"] == "fd00::21"


def test_guest_without_address_is_skipped_with_a_warning():
    plan = plan_of([guest("lost", static_ipv4=[])])
    assert "lost" not in plan.hosts
    assert plan.warnings == [
        "lost (proxmox_vm_qemu.lost): no IPv4 address in the state; host skipped "
        "(set address_fallback or proxmox_api_enrichment)"
    ]


def test_guest_without_address_fails_when_strict():
    with pytest.raises(InventoryBuildError, match=r"^lost \(proxmox_vm_qemu.lost\): no IPv4 address"):
        plan_of([guest("lost", static_ipv4=[])], strict=True)


def test_fallback_giving_an_unusable_cidr_leaves_no_address():
    plan = plan_of([guest("lost", static_ipv4=[])], fallback=lambda v: "127.0.0.1/8")
    assert "lost" not in plan.hosts


def test_duplicate_guest_names_fail_naming_both_resources():
    with pytest.raises(InventoryBuildError, match=r"duplicate host name 'n': module.a.vm and module.b.vm"):
        plan_of([guest("n", terraform_address="module.a.vm"), guest("n", terraform_address="module.b.vm")])


def test_host_name_template_can_resolve_duplicates():
    plan = plan_of(
        [guest("n", node="pve1"), guest("n", node="pve2")],
        host_name=lambda v: f"{v['proxmox_name']}-{v['proxmox_node']}",
    )
    assert sorted(plan.hosts) == ["n-pve1", "n-pve2"]


def test_empty_host_name_fails():
    with pytest.raises(InventoryBuildError, match="empty name"):
        plan_of([guest("n")], host_name=lambda v: "")


def test_template_guests_are_not_hosts():
    assert plan_of([guest("tpl", template=True)]).hosts == {}


def test_declared_host_merges_into_the_guest_of_the_same_name():
    plan = plan_of(
        [guest("k3s-1", tags=["k3s"], static_ipv4=[])],
        hosts=[DeclaredHost("k3s-1", "ansible_host.k3s[0]", ["server"], {"ansible_host": "192.168.1.41", "a": "b"})],
    )
    host = plan.hosts["k3s-1"]
    assert host.groups == ["proxmox_tag_k3s", "server"]
    assert host.variables["ansible_host"] == "192.168.1.41"
    assert host.variables["proxmox_name"] == "k3s-1"
    assert plan.warnings == []


def test_declared_host_without_guest_and_declared_groups():
    plan = plan_of(
        [],
        hosts=[DeclaredHost("pi-1", "ansible_host.pi", ["agent", "arm64"], {"ansible_host": "192.168.1.50"})],
        groups=[DeclaredGroup("lab", "ansible_group.lab", ["k3s_cluster"], {"x": "1"})],
    )
    assert plan.hosts["pi-1"].groups == ["agent", "arm64"]
    assert plan.groups["lab"].children == ["k3s_cluster"]
    assert plan.groups["lab"].variables == {"x": "1"}
    assert "arm64" in plan.groups


def test_duplicate_declared_hosts_fail():
    hosts = [DeclaredHost("pi", "ansible_host.a", [], {}), DeclaredHost("pi", "ansible_host.b", [], {})]
    with pytest.raises(InventoryBuildError, match=r"duplicate host name 'pi': ansible_host\.a and ansible_host\.b"):
        plan_of([], hosts=hosts)


def test_host_variables_hold_no_state_secrets():
    variables = plan_of([guest("a", tags=["t"], vmid=5, node="pve1")]).hosts["a"].variables
    assert sorted(variables) == [
        "ansible_host",
        "proxmox_agent_ipv4",
        "proxmox_agent_ipv6",
        "proxmox_guest_type",
        "proxmox_name",
        "proxmox_node",
        "proxmox_static_ipv4",
        "proxmox_static_ipv6",
        "proxmox_tags",
        "proxmox_vmid",
        "terraform_address",
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("proxmox_tag_k3s-server", "proxmox_tag_k3s_server"), ("a.b c", "a_b_c"), ("1st", "_1st")],
)
def test_safe_group_name(name, expected):
    assert safe_group_name(name) == expected
