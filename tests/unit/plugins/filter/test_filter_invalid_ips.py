# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.filter import invalid_ips as module
from ansible_collections.homelab.k3s.plugins.filter.invalid_ips import invalid_ips


@pytest.mark.parametrize("value", ["192.168.1.10", "10.0.0.1", "2001:db8::7", "::1", "fe80::1"])
def test_addresses_are_fine(value):
    assert invalid_ips([value]) == []


@pytest.mark.parametrize(
    "value",
    [
        "node1.lan",
        "",
        "192.168.1",
        "10.1",
        "010.0.0.1",
        "192.168.1.256",
        "192.168.1.10/24",
        " 192.168.1.10",
        "192.168.1.10 ",
        "fe80::1%eth0",
        "2001:db8::/64",
        None,
        42,
        ["192.168.1.10"],
    ],
)
def test_non_addresses_are_returned(value):
    assert invalid_ips([value]) == [value]


def test_a_mapping_returns_the_keys_of_bad_values_in_order():
    addresses = {"s1": "192.168.1.10", "a1": "a1.lan", "a2": "2001:db8::2", "a3": None}
    assert invalid_ips(addresses) == ["a1", "a3"]


@pytest.mark.parametrize(
    "value",
    ["10.42.0.0/16", "10.43.0.0/255.255.0.0", "192.168.1.7", "192.168.1.7/32", "0.0.0.0/0", "2001:db8::/64", "::/0"],
)
def test_networks_are_fine(value):
    assert invalid_ips([value], kind="network") == []


@pytest.mark.parametrize(
    "value",
    ["10.42.0.1/16", "10.42/16", "10.42.0.0/33", "10.42.0.0/", "10.42.0.0/16 ", "lan", "2001:db8::1/64", "", None],
)
def test_non_networks_are_returned(value):
    assert invalid_ips(["10.42.0.0/16", value], kind="network") == [value]


def test_unknown_kind_and_input_type_are_refused():
    with pytest.raises(AnsibleFilterError, match="kind must be one of address, network, got 'cidr'"):
        invalid_ips([], kind="cidr")
    with pytest.raises(AnsibleFilterError, match="expects a list or a mapping, got str"):
        invalid_ips("10.0.0.1")


def test_missing_netaddr_names_the_package(monkeypatch):
    monkeypatch.setattr(module, "HAS_NETADDR", False)
    with pytest.raises(AnsibleFilterError, match=r"needs the Python library netaddr on the controller: pip install"):
        invalid_ips(["10.0.0.1"])
