# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""node_name, node_addresses and api_url: who a host is to the cluster."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.filter.api_url import FilterModule as ApiUrl
from ansible_collections.homelab.k3s.plugins.filter.api_url import api_url
from ansible_collections.homelab.k3s.plugins.filter.in_container import FilterModule as InContainer
from ansible_collections.homelab.k3s.plugins.filter.in_container import in_container
from ansible_collections.homelab.k3s.plugins.filter.node_addresses import FilterModule as NodeAddresses
from ansible_collections.homelab.k3s.plugins.filter.node_addresses import node_addresses
from ansible_collections.homelab.k3s.plugins.filter.node_name import FilterModule as NodeName
from ansible_collections.homelab.k3s.plugins.filter.node_name import node_name
from ansible_collections.homelab.k3s.plugins.plugin_utils.cluster_plan import join_url

HOSTVARS = {
    "s1": {"ansible_facts": {"nodename": "S1-Box", "default_ipv4": {"address": "192.168.1.10"}}},
    "s2": {"k3s_node_name": "Control-2", "k3s_node_ip": "10.0.0.2,fd00::2", "ansible_host": "s2.lan"},
    "s3": {"__k3s_node_name": "settled", "k3s_node_name": "ignored", "ansible_host": "192.168.1.12"},
    "a1": {"k3s_node_name": "", "ansible_facts": {"nodename": ""}, "ansible_host": ""},
}


def test_filters_are_registered():
    assert NodeName().filters()["node_name"] is node_name
    assert NodeAddresses().filters()["node_addresses"] is node_addresses
    assert ApiUrl().filters()["api_url"] is api_url


def test_node_name_order_of_choice_and_lower_case():
    assert node_name(["s1", "s2", "s3", "a1", "gone"], HOSTVARS) == ["s1-box", "control-2", "settled", "a1", "gone"]


def test_node_name_of_this_host_prefers_the_name_the_play_sees():
    assert node_name("s1", HOSTVARS, name="Web-1") == "web-1"
    assert node_name("s3", HOSTVARS, name="") == "s3"
    assert node_name("s1", HOSTVARS) == "s1-box"


def test_node_name_refuses_bad_arguments():
    with pytest.raises(AnsibleFilterError, match="pass hostvars"):
        node_name("s1", ["s1"])
    with pytest.raises(AnsibleFilterError, match="name= goes with one host"):
        node_name(["s1"], HOSTVARS, name="x")
    with pytest.raises(AnsibleFilterError, match="inventory host name or a list"):
        node_name([1], HOSTVARS)


def test_node_addresses_order_of_choice():
    assert node_addresses(["s1", "s2", "s3", "a1", "gone"], HOSTVARS) == {
        "s1": "192.168.1.10",
        "s2": "10.0.0.2",
        "s3": "192.168.1.12",
        "a1": "a1",
        "gone": "gone",
    }
    assert node_addresses("s2", HOSTVARS) == {"s2": "10.0.0.2"}


def test_node_addresses_refuses_bad_arguments():
    with pytest.raises(AnsibleFilterError, match="pass hostvars"):
        node_addresses(["s1"], None)
    with pytest.raises(AnsibleFilterError, match="inventory host name or a list"):
        node_addresses({"s1": 1}, HOSTVARS)


@pytest.mark.parametrize(
    ("address", "port", "url"),
    [
        ("192.168.1.10", 6443, "https://192.168.1.10:6443"),
        ("fd00::1", "6443", "https://[fd00::1]:6443"),
        ("[fd00::1]", 443, "https://[fd00::1]:443"),
        ("k3s.lan", 6443, "https://k3s.lan:6443"),
        ("", 6443, ""),
        (None, 6443, ""),
    ],
)
def test_api_url(address, port, url):
    assert api_url(address, port) == url


def test_api_url_is_the_one_the_cluster_plan_joins_at():
    assert join_url("fd00::1", 6443) == api_url("fd00::1")


@pytest.mark.parametrize("port", [0, 70000, "x", True])
def test_api_url_refuses_a_bad_port(port):
    with pytest.raises(AnsibleFilterError, match=r"k3s_api_port"):
        api_url("k3s.lan", port)


def test_api_url_refuses_a_list():
    with pytest.raises(AnsibleFilterError, match="host name or an IP address"):
        api_url(["k3s.lan"])


def test_in_container_filter_is_registered():
    assert InContainer().filters()["in_container"] is in_container


@pytest.mark.parametrize("kind", ["container", "docker", "podman", "lxc", "containerd", "systemd-nspawn", "openvz"])
def test_a_guest_of_a_container_type_is_a_container(kind):
    assert in_container({"virtualization_role": "guest", "virtualization_type": kind}) is True


@pytest.mark.parametrize(
    "facts",
    [
        {"virtualization_role": "guest", "virtualization_type": "kvm"},
        {"virtualization_role": "host", "virtualization_type": "lxc"},
        {"virtualization_role": "NA", "virtualization_type": "NA"},
        {"virtualization_type": "docker"},
        {"virtualization_role": "guest"},
        {"virtualization_role": "guest", "virtualization_type": None},
        {},
    ],
)
def test_a_vm_a_container_host_or_unknown_facts_are_not_a_container(facts):
    assert in_container(facts) is False


def test_in_container_needs_the_facts():
    with pytest.raises(AnsibleFilterError, match="pass the host's ansible_facts, not list"):
        in_container(["guest", "lxc"])
