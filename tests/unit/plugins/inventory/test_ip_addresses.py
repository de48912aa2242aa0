# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.homelab.k3s.plugins.plugin_utils.ip_addresses import (
    proxmox_ipconfig_addresses,
    usable_address,
    usable_addresses,
)


@pytest.mark.parametrize(
    ("value", "version", "expected"),
    [
        ("192.168.1.21/24", 4, "192.168.1.21"),
        (" 192.168.1.21 ", 4, "192.168.1.21"),
        ("fd00:1::21/64", 6, "fd00:1::21"),
        ("FD00:0001:0000::0021", 6, "fd00:1::21"),
        ("dhcp", 4, None),
        ("auto", 6, None),
        ("", 4, None),
        (None, 4, None),
        (42, 4, None),
        ("127.0.0.1", 4, None),
        ("::1", 6, None),
        ("169.254.10.1", 4, None),
        ("fe80::be24:11ff:fe00:21", 6, None),
        ("fe80::1%eth0", 6, None),
        ("0.0.0.0", 4, None),  # noqa: S104 - the unspecified address is the point here
        ("224.0.0.1", 4, None),
        ("192.168.1.21", 6, None),
        ("fd00::21", 4, None),
        ("192.168.1", 4, None),
        ("300.1.1.1", 4, None),
        ("k3s-master-1.lab", 4, None),
    ],
)
def test_usable_address(value, version, expected):
    assert usable_address(value, version) == expected


def test_usable_addresses_keeps_order_and_drops_repeats():
    values = ["127.0.0.1", "192.168.1.22/24", None, "192.168.1.21", "192.168.1.22"]
    assert usable_addresses(values) == ["192.168.1.22", "192.168.1.21"]


@pytest.mark.parametrize(
    ("ipconfig", "expected"),
    [
        ("ip=192.168.1.21/24,gw=192.168.1.1", {4: "192.168.1.21/24"}),
        ("gw=192.168.1.1, ip=192.168.1.21/24 ,ip6=fd00::21/64,gw6=fd00::1", {4: "192.168.1.21/24", 6: "fd00::21/64"}),
        ("ip=dhcp,ip6=auto", {4: "dhcp", 6: "auto"}),
        ("", {}),
        (None, {}),
    ],
)
def test_proxmox_ipconfig_addresses(ipconfig, expected):
    assert proxmox_ipconfig_addresses(ipconfig) == expected
