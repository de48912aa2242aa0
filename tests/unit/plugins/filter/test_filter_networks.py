# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.filter.address_problems import address_problems
from ansible_collections.homelab.k3s.plugins.filter.cidr_problems import cidr_problems


def test_default_k3s_networks_beside_a_lan_are_fine():
    named = {"cluster-cidr": "10.42.0.0/16", "service-cidr": "10.43.0.0/16", "node network": "192.168.1.10/24"}
    assert cidr_problems(named) == []


def test_overlap_between_pod_and_service_networks_is_reported():
    assert cidr_problems({"cluster-cidr": "10.42.0.0/15", "service-cidr": "10.43.0.0/16"}) == [
        "cluster-cidr 10.42.0.0/15 overlaps service-cidr 10.43.0.0/16"
    ]


def test_overlap_with_a_node_network_given_as_address_and_netmask():
    named = {"cluster-cidr": "10.42.0.0/16", "the node network of server1": "10.42.7.3/255.255.255.0"}
    assert cidr_problems(named) == ["cluster-cidr 10.42.0.0/16 overlaps the node network of server1 10.42.7.0/24"]


def test_hosts_of_one_group_share_networks_and_are_named_together():
    named = {
        "cluster-cidr": "10.42.0.0/16",
        "the node network": {"s1": "10.42.7.3/24", "a1": "10.42.7.4/24", "a2": "192.168.1.5/24", "a3": None},
    }
    assert cidr_problems(named) == ["cluster-cidr 10.42.0.0/16 overlaps the node network of s1, a1 10.42.7.0/24"]


def test_an_invalid_member_of_a_group_names_its_label():
    assert cidr_problems({"the node network": {"s1": "10.0.0.1"}}) == [
        "the node network of s1: '10.0.0.1' is not a network in CIDR notation (e.g. 10.42.0.0/16)"
    ]


def test_dual_stack_values_are_split_and_families_never_overlap():
    named = {"cluster-cidr": "10.42.0.0/16,2001:cafe:42::/56", "service-cidr": ["10.43.0.0/16", "2001:cafe:42::/112"]}
    assert cidr_problems(named) == ["cluster-cidr 2001:cafe:42::/56 overlaps service-cidr 2001:cafe:42::/112"]


def test_same_name_may_overlap_itself_and_empty_values_are_skipped():
    assert cidr_problems({"node networks": ["10.0.0.0/24", "10.0.0.0/24"], "service-cidr": ""}) == []


def test_invalid_networks_are_reported_with_an_example():
    assert cidr_problems({"cluster-cidr": "10.42.0.0", "service-cidr": "10.300.0.0/16"}) == [
        "cluster-cidr: '10.42.0.0' is not a network in CIDR notation (e.g. 10.42.0.0/16)",
        "service-cidr: '10.300.0.0/16' is not a network in CIDR notation (e.g. 10.42.0.0/16)",
    ]


def test_cidr_problems_rejects_a_list():
    with pytest.raises(AnsibleFilterError, match="expects a mapping"):
        cidr_problems(["10.42.0.0/16"])


def test_vip_inside_the_node_network_and_outside_the_cluster_is_fine():
    problems = address_problems(
        "192.168.1.50",
        inside={"the node network of s1": "192.168.1.10/255.255.255.0"},
        outside={"cluster-cidr": "10.42.0.0/16", "the address of s1": "192.168.1.10"},
    )
    assert problems == []


def test_vip_outside_the_node_network_or_on_its_broadcast_address():
    assert address_problems("192.168.2.50", inside={"the node network of s1": "192.168.1.0/24"}) == [
        "192.168.2.50 is outside the node network of s1 192.168.1.0/24"
    ]
    assert address_problems("192.168.1.255", inside={"the node network of s1": "192.168.1.0/24"}) == [
        "192.168.1.255 is the network or broadcast address of the node network of s1 192.168.1.0/24"
    ]


def test_vip_inside_a_forbidden_network_or_taken_by_a_node():
    problems = address_problems(
        "10.43.0.10", outside={"service-cidr": "10.43.0.0/16", "the address of s2": "10.43.0.10,fd00::2"}
    )
    assert problems == ["10.43.0.10 is inside service-cidr 10.43.0.0/16", "10.43.0.10 is already the address of s2"]


@pytest.mark.parametrize("value", ["192.168.1.50/24", "vip.lan", "", "300.1.1.1"])
def test_vip_must_be_a_plain_address(value):
    assert address_problems(value) == [
        f"'{value}' is not an IP address (write it without a prefix length, e.g. 192.168.1.50)"
    ]
