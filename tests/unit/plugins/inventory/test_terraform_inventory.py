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
    empty_role_warning,
    safe_group_name,
)

ADDRESSES = iter(f"192.168.1.{host}" for host in range(100, 250))


def guest(name, **fields):
    """A guest whose static addresses sit on NICs 0, 1, … unless ``static_nic_ipv4`` says otherwise."""
    fields.setdefault("terraform_address", f"proxmox_vm_qemu.{name}")
    fields.setdefault("static_ipv4", [next(ADDRESSES)])
    for version in (4, 6):
        fields.setdefault(
            f"static_nic_ipv{version}", [list(pair) for pair in enumerate(fields.get(f"static_ipv{version}", []))]
        )
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
    assert plan.warnings == ["n (proxmox_vm_qemu.n): matches both the server and the agent role; it joins server"]


def test_address_order_static_then_agent_then_fallback():
    plan = plan_of(
        [
            guest("static", static_ipv4=["192.168.1.21"], agent_ipv4=["192.168.1.21", "10.42.0.1"]),
            guest("from-agent", static_ipv4=[], agent_ipv4=["192.168.1.22"]),
            guest("dns", static_ipv4=[]),
            guest("cidr", static_ipv4=[]),
        ],
        fallback=lambda v: {"dns": f"{v['inventory_hostname']}.lab", "cidr": "192.168.1.24/24"}[v["proxmox_name"]],
    )
    assert {name: host.variables["ansible_host"] for name, host in plan.hosts.items()} == {
        "static": "192.168.1.21",
        "from-agent": "192.168.1.22",
        "dns": "dns.lab",
        "cidr": "192.168.1.24",
    }


def test_ipv6_addresses_when_asked():
    plan = plan_of([guest("six", static_ipv6=["fd00::21"], agent_ipv6=["fd00::21", "fd00::99"])], ip_version=6)
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


def test_duplicate_guest_names_fail_naming_both_resources_when_strict():
    with pytest.raises(InventoryBuildError, match=r"duplicate host name 'n': module.a.vm and module.b.vm"):
        plan_of([guest("n", terraform_address="module.a.vm"), guest("n", terraform_address="module.b.vm")], strict=True)


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


def test_duplicate_declared_hosts_fail_when_strict():
    hosts = [DeclaredHost("pi", "ansible_host.a", [], {}), DeclaredHost("pi", "ansible_host.b", [], {})]
    with pytest.raises(InventoryBuildError, match=r"duplicate host name 'pi': ansible_host\.a and ansible_host\.b"):
        plan_of([], hosts=hosts, strict=True)


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


# -- names shared by a host and a group ------------------------------------------------------------------


def test_host_named_like_a_declared_group_is_renamed_and_keeps_its_own_variables():
    containers = [guest(f"ct-{index}", kind="lxc", source="lab.tfstate") for index in (1, 2)]
    hosts = [
        DeclaredHost("proxmox", "ansible_host.pve", ["physical_hosts"], {"ansible_user": "root"}, "lab.tfstate"),
        *(DeclaredHost(f"ct-{index}", f"ansible_host.ct[{index}]", ["proxmox"], {}, "lab.tfstate") for index in (1, 2)),
    ]
    plan = plan_of(containers, hosts=hosts)
    assert "proxmox" not in plan.hosts
    assert plan.hosts["proxmox-host"].groups == ["physical_hosts"]
    assert plan.hosts["proxmox-host"].variables == {"ansible_user": "root"}
    assert all("ansible_user" not in plan.hosts[f"ct-{index}"].variables for index in (1, 2))
    assert plan.warnings == [
        "host 'proxmox' (ansible_host.pve in lab.tfstate) has the name of the group 'proxmox' (made by the groups "
        "of ansible_host.ct[1] in lab.tfstate): the host is renamed 'proxmox-host' (rename the VM, the host or the "
        "group, set a hostname template, or set name_conflicts to fail)"
    ]


@pytest.mark.parametrize("name", ["server", "agent", "k3s_cluster", "proxmox_node_pve1"])
def test_vm_named_like_a_group_of_the_plugin_is_renamed(name):
    plan = plan_of([guest(name, node="pve1", tags=["k3s-server"]), guest("other", node="pve1")])
    assert f"{name}-host" in plan.hosts and name not in plan.hosts
    assert plan.hosts[f"{name}-host"].groups[0] == "server"
    assert f"has the name of the group {name!r}" in plan.warnings[0]


def test_name_conflicts_fail_and_strict_stop_with_both_names():
    with pytest.raises(
        InventoryBuildError, match=r"host 'server' \(proxmox_vm_qemu.server\) has the name of the group"
    ):
        plan_of([guest("server")], name_conflicts="fail")
    with pytest.raises(InventoryBuildError, match="has the name of the group 'agent'"):
        plan_of([guest("agent")], strict=True)


# -- address precedence -------------------------------------------------------------------------------------


def multi_nic(**fields):
    """DHCP on net0, a static address on an internal bridge on net1, the agent reporting the net0 lease."""
    return guest(
        "k3s-1",
        static_ipv4=["10.1.1.21"],
        static_nic_ipv4=[[1, "10.1.1.21"]],
        agent_ipv4=["192.168.2.21"],
        source="k3s.tfstate",
        **fields,
    )


def test_primary_nic_address_beats_a_static_address_on_a_secondary_nic():
    plan = plan_of([multi_nic()])
    assert plan.hosts["k3s-1"].variables["ansible_host"] == "192.168.2.21"
    assert plan.warnings == []


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"address_precedence": ("static", "agent")}, "10.1.1.21"),
        ({"primary_nic": 1}, "10.1.1.21"),
        ({"address_precedence": ("agent",)}, "192.168.2.21"),
    ],
)
def test_address_precedence_and_primary_nic_choose(settings, expected):
    assert plan_of([multi_nic()], **settings).hosts["k3s-1"].variables["ansible_host"] == expected


def test_disagreeing_static_and_agent_addresses_warn_naming_file_and_resource():
    vm = guest("k3s-2", static_ipv4=["192.168.2.22"], agent_ipv4=["192.168.2.122"], source="k3s.tfstate")
    plan = plan_of([vm])
    assert plan.hosts["k3s-2"].variables["ansible_host"] == "192.168.2.22"
    assert plan.warnings == [
        "k3s-2 (proxmox_vm_qemu.k3s-2 in k3s.tfstate): the static address 192.168.2.22 of NIC 0 is not among the "
        "guest agent's addresses 192.168.2.122; ansible_host is 192.168.2.22 (from primary_static; set "
        "address_precedence to choose)"
    ]


def test_fallback_template_sees_the_guest_name():
    plan = plan_of([guest("nas", static_ipv4=[])], fallback=lambda v: f"{v['name']}.home.arpa")
    assert plan.hosts["nas"].variables["ansible_host"] == "nas.home.arpa"


# -- duplicates across files --------------------------------------------------------------------------------


def test_duplicate_across_two_files_names_both_files_and_keeps_the_other_hosts():
    first = [guest("k3s-1", source="a.tfstate"), guest("k3s-2", source="a.tfstate")]
    second = [guest("k3s-1", source="b.tfstate"), guest("k3s-3", source="b.tfstate")]
    plan = plan_of(first + second)
    assert sorted(plan.hosts) == ["k3s-1", "k3s-2", "k3s-3"]
    assert plan.hosts["k3s-1"].origin == "proxmox_vm_qemu.k3s-1 in a.tfstate"
    assert plan.warnings == [
        "duplicate host name 'k3s-1': proxmox_vm_qemu.k3s-1 in a.tfstate and proxmox_vm_qemu.k3s-1 in b.tfstate; "
        "the second is skipped (rename a VM or set a hostname template)"
    ]
    with pytest.raises(InventoryBuildError, match=r"in a\.tfstate and proxmox_vm_qemu\.k3s-1 in b\.tfstate"):
        plan_of(first + second, strict=True)


# -- short and qualified names, shared addresses, empty roles ---------------------------------------------


def test_fqdn_ansible_host_merges_with_the_guest_of_the_short_name():
    plan = plan_of(
        [guest("k3s-1", static_ipv4=[]), guest("k3s-2")],
        hosts=[
            DeclaredHost("k3s-1.home.arpa", "ansible_host.k3s[0]", ["server"], {"ansible_user": "debian"}),
            DeclaredHost("k3s-2.home.arpa", "ansible_host.k3s[1]", ["agent"], {}),
        ],
    )
    assert sorted(plan.hosts) == ["k3s-1", "k3s-2"]
    assert plan.hosts["k3s-1"].variables["ansible_host"] == "k3s-1.home.arpa"  # no address in the state
    assert plan.hosts["k3s-1"].variables["ansible_user"] == "debian"
    assert plan.hosts["k3s-2"].groups == ["agent"]
    assert plan.hosts["k3s-2"].variables["ansible_host"].startswith("192.168.1.")


def test_short_ansible_host_merges_with_a_guest_named_by_fqdn_but_never_across_domains():
    plan = plan_of(
        [guest("k3s-1.lab.example"), guest("nas.a.example"), guest("nas.b.example")],
        hosts=[
            DeclaredHost("k3s-1", "ansible_host.a", ["server"], {}),
            DeclaredHost("nas", "ansible_host.b", [], {"ansible_host": "192.0.2.5"}),
            DeclaredHost("192.0.2.9", "ansible_host.c", [], {}),
        ],
    )
    assert plan.hosts["k3s-1.lab.example"].groups == ["server"]
    assert "nas" in plan.hosts  # two guests could be meant: no merge
    assert "192.0.2.9" in plan.hosts


def test_merging_can_be_turned_off():
    plan = plan_of(
        [guest("k3s-1")], hosts=[DeclaredHost("k3s-1.home.arpa", "ansible_host.a", [], {})], merge_short_names=False
    )
    assert sorted(plan.hosts) == ["k3s-1", "k3s-1.home.arpa"]


def test_shared_address_warns_naming_every_host():
    plan = plan_of(
        [guest("a", static_ipv4=["192.168.1.5"], source="x.tfstate"), guest("b", static_ipv4=["192.168.1.5"])]
    )
    assert plan.warnings == [
        "192.168.1.5 is the ansible_host of 2 hosts: a (proxmox_vm_qemu.a in x.tfstate), b (proxmox_vm_qemu.b)"
    ]


def test_empty_role_warning():
    settings = InventorySettings()
    assert empty_role_warning(1, 0, 3, ["a.tfstate"], settings) is None
    assert empty_role_warning(0, 0, 0, ["a.tfstate"], settings) is None
    warning = empty_role_warning(0, 0, 3, ["a.tfstate", "b.tfstate"], settings)
    assert warning.startswith("the groups server and agent are empty: none of the 3 hosts from a.tfstate, b.tfstate")
    assert "server_tags ['k3s-server']" in warning
    assert empty_role_warning(0, 2, 3, ["a.tfstate"], settings).startswith("the group server is empty")
