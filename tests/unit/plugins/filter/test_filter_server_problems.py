# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""server_problems: every check of the server role's settings, with the messages the role prints."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.filter.server_problems import FilterModule
from ansible_collections.homelab.k3s.plugins.plugin_utils.server_validation import server_problems


def settings(**changes):
    base = {
        "host": "s1",
        "group": "server",
        "server_hosts": ["s1"],
        "node_hosts": ["s1", "a1"],
        "datastore": "sqlite",
        "etcd_allow_even": False,
        "datastore_endpoint": "",
        "api_endpoint": "",
        "config": {},
        "k3s_config": {},
        "flags": {"cluster-cidr": "10.42.0.0/16", "service-cidr": "10.43.0.0/16"},
        "disable": [],
        "kubeconfig_mode": "0600",
        "kube_vip": False,
        "kube_vip_address": "",
        "kube_vip_interface": "eth0",
    }
    base.update(changes)
    return base


def facts(address, network="192.168.1.0", netmask="255.255.255.0", interface="eth0"):
    return {
        "ansible_facts": {
            "default_ipv4": {"address": address, "network": network, "netmask": netmask, "interface": interface},
            interface.replace("-", "_").replace(".", "_"): {"ipv4": {"address": address, "netmask": netmask}},
        }
    }


HOSTVARS = {"s1": facts("192.168.1.10"), "s2": facts("192.168.1.11"), "s3": facts("192.168.1.12"), "a1": {}}


def test_good_settings_have_no_problem():
    assert server_problems(settings(), HOSTVARS) == []
    assert FilterModule().filters()["server_problems"] is server_problems


def test_host_outside_the_server_group():
    assert server_problems(settings(host="a1", group="control"), HOSTVARS) == [
        "a1 runs the server role but is not in the inventory group 'control' (k3s_server_group)."
    ]


def test_sqlite_with_more_than_one_server():
    assert server_problems(settings(server_hosts=["s1", "s2"]), HOSTVARS) == [
        "server_datastore sqlite holds one server, the group 'server' has 2: use etcd (an odd number of servers,"
        " 3 or more) or external."
    ]


@pytest.mark.parametrize(
    ("servers", "allow_even", "problems"), [(2, False, 1), (4, False, 1), (3, False, 0), (2, True, 0)]
)
def test_embedded_etcd_wants_an_odd_count(servers, allow_even, problems):
    hosts = ["s1", "s2", "s3", "s4"][:servers]
    found = server_problems(settings(datastore="etcd", server_hosts=hosts, etcd_allow_even=allow_even), HOSTVARS)
    assert len(found) == problems
    if problems:
        assert found[0] == (
            f"Embedded etcd needs an odd number of servers (1, 3, 5 ...) to keep quorum; the group 'server' has"
            f" {servers}. Add or remove a server, use server_datastore external, or set server_etcd_allow_even: true"
            " if an even count is meant (e.g. while replacing a server)."
        )


@pytest.mark.parametrize(
    ("endpoint", "ok"),
    [
        ("postgres://k3s:secret@db.lan:5432/k3s", True),
        ("mysql://k3s@tcp(db.lan:3306)/k3s", True),
        ("https://etcd.lan:2379", True),
        ("http://etcd.lan:2379", True),
        ("unix:///run/kine.sock", True),
        ("", False),
        (None, False),
        ("db.lan:5432", False),
        ("sqlite:///var/lib/k3s.db", False),
    ],
)
def test_external_datastore_needs_a_url(endpoint, ok):
    found = server_problems(settings(datastore="external", datastore_endpoint=endpoint), HOSTVARS)
    message = (
        "server_datastore external needs server_datastore_endpoint, a postgres://, mysql:// or http(s):// (etcd) URL."
    )
    assert found == ([] if ok else [message])


def test_external_datastore_with_servers_needs_an_api_endpoint():
    external = {"datastore": "external", "datastore_endpoint": "postgres://db.lan/k3s", "server_hosts": ["s1", "s2"]}
    assert server_problems(settings(**external), HOSTVARS) == [
        "An external datastore with 2 servers needs k3s_api_endpoint (a load balancer, DNS name or kube-vip"
        " address) as the fixed registration address."
    ]
    assert server_problems(settings(api_endpoint="k3s.lan", **external), HOSTVARS) == []


def test_server_config_flags_end_with_a_full_stop():
    found = server_problems(settings(config={"token": "x", "--debug": True, "node-label": {"a": "b"}}), HOSTVARS)
    assert found == [
        "server_config: 'token' is set by the roles; use server_token instead.",
        "server_config: '--debug' is not a k3s flag name; write it without leading dashes, e.g. 'disable'.",
        "server_config: the value of 'node-label' must be a string, number, boolean or a list of those, got dict.",
    ]
    assert server_problems(settings(config=["disable"]), HOSTVARS) == [
        "server_config must be a dictionary of k3s flags (flag name: value), got list."
    ]


def test_server_config_reserves_the_server_flags():
    config = {"server": "https://x:6443", "agent-token-file": "/t", "write-kubeconfig-mode": "0644", "node-ip": "x"}
    assert server_problems(settings(config=config), HOSTVARS) == [
        "server_config: 'server' is set by the roles; use the cluster (new servers join through a running member)"
        " instead.",
        "server_config: 'agent-token-file' is set by the roles; use agent_token instead.",
        "server_config: 'write-kubeconfig-mode' is set by the roles; use server_kubeconfig_mode instead.",
    ]


def test_disable_names_packaged_components_only():
    found = server_problems(settings(disable=["traefik", "servicelb", "flannel", "local-storage"]), HOSTVARS)
    assert found == [
        "server_disable: 'flannel' is not a packaged component (traefik, servicelb, local-storage, metrics-server,"
        " coredns, runtimes)."
    ]


@pytest.mark.parametrize(
    ("mode", "ok"), [("0600", True), ("0644", True), (600, False), ("600", False), ("0800", False)]
)
def test_kubeconfig_mode_is_a_quoted_octal(mode, ok):
    found = server_problems(settings(kubeconfig_mode=mode), HOSTVARS)
    assert found == ([] if ok else [f"server_kubeconfig_mode is a quoted octal mode such as \"0600\", not '{mode}'."])


def test_networks_that_overlap():
    found = server_problems(
        settings(flags={"cluster-cidr": "192.168.0.0/16", "service-cidr": "192.168.1.0/24"}), HOSTVARS
    )
    tail = ": pick networks that do not overlap (server_cluster_cidr, server_service_cidr)."
    assert found == [
        "cluster-cidr 192.168.0.0/16 overlaps service-cidr 192.168.1.0/24" + tail,
        "cluster-cidr 192.168.0.0/16 overlaps the node network of s1 192.168.1.0/24" + tail,
        "service-cidr 192.168.1.0/24 overlaps the node network of s1 192.168.1.0/24" + tail,
    ]


def test_configured_networks_win_over_the_role_flags():
    # server_config is merged over k3s_config over the role's flags, as the k3s role writes them.
    found = server_problems(settings(k3s_config={"cluster-cidr": "10.43.0.0/16"}), HOSTVARS)
    assert found == [
        "cluster-cidr 10.43.0.0/16 overlaps service-cidr 10.43.0.0/16: pick networks that do not overlap"
        " (server_cluster_cidr, server_service_cidr)."
    ]
    assert (
        server_problems(
            settings(k3s_config={"cluster-cidr": "10.43.0.0/16"}, config={"cluster-cidr": "10.44.0.0/16"}), HOSTVARS
        )
        == []
    )


def test_not_a_network():
    found = server_problems(settings(flags={"cluster-cidr": "10.42.0.0", "service-cidr": "10.43.0.0/16"}), HOSTVARS)
    assert found == [
        "cluster-cidr: '10.42.0.0' is not a network in CIDR notation (e.g. 10.42.0.0/16): pick networks that do not"
        " overlap (server_cluster_cidr, server_service_cidr)."
    ]


def test_hosts_without_facts_are_left_out_of_the_node_networks():
    hostvars = {"s1": {"ansible_facts": {"default_ipv4": {"address": "192.168.1.10"}}}, "a1": {"ansible_facts": None}}
    flags = {"cluster-cidr": "192.168.0.0/16", "service-cidr": "10.43.0.0/16"}
    assert server_problems(settings(flags=flags), hostvars) == []
    assert server_problems(settings(flags=flags, node_hosts=["s1", "a1", "gone"]), {}) == []


KUBE_VIP = {"kube_vip": True, "server_hosts": ["s1", "s2", "s3"], "datastore": "etcd"}


def test_kube_vip_address_in_the_servers_network():
    assert server_problems(settings(kube_vip_address="192.168.1.50", **KUBE_VIP), HOSTVARS) == []


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("10.0.0.50", "server_kube_vip_address: 10.0.0.50 is outside the network of s1 192.168.1.0/24."),
        ("192.168.1.11", "server_kube_vip_address: 192.168.1.11 is already the address of s2."),
        (
            "192.168.1.255",
            "server_kube_vip_address: 192.168.1.255 is the network or broadcast address of the network of s1"
            " 192.168.1.0/24.",
        ),
        ("", "server_kube_vip_address: '' is not an IP address (write it without a prefix length, e.g. 192.168.1.50)."),
        (
            "192.168.1.50/24",
            "server_kube_vip_address: '192.168.1.50/24' is not an IP address (write it without a prefix length,"
            " e.g. 192.168.1.50).",
        ),
    ],
)
def test_kube_vip_address_problems(address, message):
    assert message in server_problems(settings(kube_vip_address=address, **KUBE_VIP), HOSTVARS)


def test_kube_vip_address_inside_the_cluster_networks():
    flags = {"cluster-cidr": "192.168.1.64/26", "service-cidr": "10.43.0.0/16"}
    found = server_problems(settings(kube_vip_address="192.168.1.70", flags=flags, **KUBE_VIP), HOSTVARS)
    assert "server_kube_vip_address: 192.168.1.70 is inside cluster-cidr 192.168.1.64/26." in found


def test_kube_vip_interface_per_server_and_names_with_dashes_and_dots():
    hostvars = {
        "s1": facts("192.168.1.10", interface="br-lan.10"),
        "s2": {**facts("192.168.1.11", interface="enp1s0"), "server_kube_vip_interface": "enp1s0"},
        "s3": facts("192.168.1.12", interface="br-lan.10"),
    }
    found = server_problems(
        settings(kube_vip_address="192.168.1.11", kube_vip_interface="br-lan.10", **KUBE_VIP), hostvars
    )
    assert found == ["server_kube_vip_address: 192.168.1.11 is already the address of s2."]


def test_kube_vip_interface_missing_on_the_host():
    found = server_problems(settings(kube_vip_address="192.168.1.50", kube_vip_interface="wlan0", **KUBE_VIP), HOSTVARS)
    assert found[-1] == "server_kube_vip_interface: s1 has no interface 'wlan0'."
    found = server_problems(settings(kube_vip_address="192.168.1.50", kube_vip_interface="", **KUBE_VIP), HOSTVARS)
    assert found[-1] == "server_kube_vip_interface: s1 has no interface ''."


def test_kube_vip_is_not_checked_when_off():
    assert server_problems(settings(kube_vip_address="nonsense", kube_vip_interface=""), HOSTVARS) == []


def test_problems_come_in_order():
    found = server_problems(
        settings(host="x", server_hosts=["s1", "s2"], disable=["x"], kubeconfig_mode="644", config={"token": "t"}),
        HOSTVARS,
    )
    assert [message.split(" ")[0] for message in found] == [
        "x",
        "server_datastore",
        "server_config:",
        "server_disable:",
        "server_kubeconfig_mode",
    ]


@pytest.mark.parametrize(
    ("value", "message"), [(["a"], "expects a mapping"), ({"host": "s1"}, "the settings lack group")]
)
def test_bad_settings_are_an_error(value, message):
    with pytest.raises(AnsibleFilterError, match=message):
        server_problems(value, HOSTVARS)
