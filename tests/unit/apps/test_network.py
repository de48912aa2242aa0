# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MetalLB address pools are checked against the node, pod and service networks."""

from __future__ import annotations

# Imported for its side effect: it loads the collection the way ansible-playbook does.
import apps_harness  # noqa: F401  # pylint: disable=unused-import

from ansible_collections.homelab.k3s.plugins.filter.apps_metallb_resources import metallb_resources
from ansible_collections.homelab.k3s.plugins.filter.apps_pool_errors import pool_errors

NODES = ["192.168.50.11", "192.168.50.12", "s3.lan"]
RESERVED = ["10.42.0.0/16", "10.43.0.0/16"]


def _errors(pools, network="192.168.50.0/24"):
    return pool_errors(pools, network, NODES, RESERVED)


def test_a_free_range_inside_the_node_network_passes():
    assert _errors([{"name": "default", "addresses": ["192.168.50.240-192.168.50.250", "192.168.50.128/28"]}]) == []


def test_ranges_outside_or_on_top_of_something_are_reported():
    errors = _errors(
        [
            {"name": "outside", "addresses": ["192.168.60.1-192.168.60.5"]},
            {"name": "nodes", "addresses": ["192.168.50.10-192.168.50.12"]},
            {"name": "pods", "addresses": ["10.42.3.0/24"]},
            {"name": "first", "addresses": ["192.168.50.200-192.168.50.210"]},
            {"name": "second", "addresses": ["192.168.50.205/32"]},
        ]
    )
    assert errors == [
        "pool outside: 192.168.60.1-192.168.60.5 is not inside the node network 192.168.50.0/24",
        "pool nodes: 192.168.50.10-192.168.50.12 contains node address(es) 192.168.50.11, 192.168.50.12",
        "pool pods: 10.42.3.0/24 is not inside the node network 192.168.50.0/24",
        "pool pods: 10.42.3.0/24 overlaps the cluster network 10.42.0.0/16",
        "pool second: 192.168.50.205/32 overlaps 192.168.50.200-192.168.50.210 of pool first",
    ]


def test_bad_input_is_reported():
    errors = pool_errors([{"name": "Bad_Name", "addresses": ["not-an-ip"]}, {"name": "empty"}], "", [], ["nope"])
    assert "reserved network 'nope' is not a CIDR" in errors
    assert "the node network is unknown: set apps_node_network (for example 192.168.1.0/24)" in errors
    assert "pool name 'Bad_Name' must be a DNS label" in errors
    assert "pool Bad_Name: 'not-an-ip' is neither a range a-b, a CIDR nor an address" in errors
    assert "pool empty has no addresses" in errors
    assert pool_errors([], "192.168.50.0/24") == ["no address pool is defined: set apps_metallb_pools"]


def test_pools_become_address_pools_and_one_l2_advertisement():
    documents = metallb_resources(
        [
            {"name": "lan", "addresses": ["192.168.50.240/29"], "auto_assign": False},
            {"name": "bgp", "addresses": ["10.0.0.0/29"], "l2": False},
        ]
    )
    assert [doc["kind"] for doc in documents] == ["IPAddressPool", "IPAddressPool", "L2Advertisement"]
    assert documents[0]["spec"] == {"addresses": ["192.168.50.240/29"], "autoAssign": False}
    assert documents[2]["spec"] == {"ipAddressPools": ["lan"]}
    assert metallb_resources([]) == []
