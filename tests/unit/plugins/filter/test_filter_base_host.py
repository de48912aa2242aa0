# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""base_host_addresses, base_firewall_rules and base_packages: what the base role puts on a node."""

from __future__ import annotations

import pathlib

import jinja2
import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.filter.base_firewall_rules import FilterModule as Rules
from ansible_collections.homelab.k3s.plugins.filter.base_host_addresses import FilterModule as Addresses
from ansible_collections.homelab.k3s.plugins.filter.base_packages import FilterModule as Packages
from ansible_collections.homelab.k3s.plugins.plugin_utils.base_host import (
    base_firewall_rules,
    base_host_addresses,
    base_packages,
)

ADDRESSES = {"s1": "10.0.0.1", "s2": "10.0.0.2", "a1": "10.0.0.3"}


def settings(**changes):
    base = {
        "host": "a1",
        "addresses": ADDRESSES,
        "server_hosts": ["s1", "s2", "elsewhere"],
        "ssh_port": 22,
        "api_sources": [],
        "wireguard": False,
        "nodeports": False,
        "extra_rules": [],
    }
    base.update(changes)
    return base


def rule(port, proto, source, comment):
    return {"port": port, "proto": proto, "from": source, "comment": comment}


def test_filters_are_registered():
    assert Addresses().filters()["base_host_addresses"] is base_host_addresses
    assert Rules().filters()["base_firewall_rules"] is base_firewall_rules
    assert Packages().filters()["base_packages"] is base_packages


def test_host_addresses_order_of_choice():
    hostvars = {"s1": {"base_host_address": "10.0.0.1", "ansible_host": "s1.lan"}, "s2": {"ansible_host": "s2.lan"}}
    assert base_host_addresses(["s1", "s2", "a1"], hostvars) == {"s1": "10.0.0.1", "s2": "s2.lan", "a1": "a1"}
    with pytest.raises(AnsibleFilterError, match="pass hostvars"):
        base_host_addresses(["s1"], None)
    with pytest.raises(AnsibleFilterError, match="the input must be a list of names"):
        base_host_addresses("s1", hostvars)


def test_agent_rules():
    nodes = ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
    assert base_firewall_rules(settings()) == [
        rule("22", "tcp", "any", "k3s ssh"),
        *[rule("10250", "tcp", n, "k3s kubelet") for n in nodes],
        *[rule("8472", "udp", n, "k3s flannel vxlan") for n in nodes],
    ]


def test_server_rules_add_the_api_and_etcd_from_the_servers():
    rules = base_firewall_rules(settings(host="s1", api_sources=["192.168.1.0/24"], ssh_port=2222))
    assert rules[:4] == [
        rule("2222", "tcp", "any", "k3s ssh"),
        rule("6443", "tcp", "192.168.1.0/24", "k3s api"),
        rule("2379:2380", "tcp", "10.0.0.1", "k3s etcd"),
        rule("2379:2380", "tcp", "10.0.0.2", "k3s etcd"),
    ]
    assert base_firewall_rules(settings(host="s1"))[1] == rule("6443", "tcp", "any", "k3s api")


def test_wireguard_nodeports_and_extra_rules():
    extra = [
        {"port": 30080, "proto": "udp", "from": ["10.1.0.0/16", "10.2.0.0/16"], "comment": "game"},
        {"port": "9100", "from": "10.9.0.0/16"},
        {"port": 8080},
    ]
    rules = base_firewall_rules(
        settings(addresses={"a1": "10.0.0.3"}, wireguard=True, nodeports=True, extra_rules=extra)
    )
    assert rules[3:] == [
        rule("51820:51821", "udp", "10.0.0.3", "k3s flannel wireguard"),
        rule("30000:32767", "tcp", "any", "k3s nodeports"),
        rule("30000:32767", "udp", "any", "k3s nodeports"),
        rule("30080", "udp", "10.1.0.0/16", "k3s game"),
        rule("30080", "udp", "10.2.0.0/16", "k3s game"),
        rule("9100", "tcp", "10.9.0.0/16", "k3s"),
        rule("8080", "tcp", "any", "k3s"),
    ]


def test_firewall_settings_are_checked():
    with pytest.raises(AnsibleFilterError, match="the settings lack extra_rules"):
        base_firewall_rules({k: v for k, v in settings().items() if k != "extra_rules"})
    with pytest.raises(AnsibleFilterError, match="base_firewall_extra_rules: item 0 must be a dictionary"):
        base_firewall_rules(settings(extra_rules=[{"proto": "tcp"}]))
    with pytest.raises(AnsibleFilterError, match="addresses must map"):
        base_firewall_rules(settings(addresses=["10.0.0.1"]))


def test_packages_renamed_dropped_and_unique():
    aliases = {"vim": "vim-enhanced", "htop": ""}
    assert base_packages(["vim", "htop", "curl", "curl", "", "chrony", "vim-enhanced"], aliases) == [
        "vim-enhanced",
        "curl",
        "chrony",
    ]
    assert base_packages(["vim", "ufw"]) == ["vim", "ufw"]


def test_packages_arguments_are_checked():
    with pytest.raises(AnsibleFilterError, match="base_packages, base_packages_extra"):
        base_packages([["vim"]])
    with pytest.raises(AnsibleFilterError, match="aliases must map"):
        base_packages(["vim"], ["vim-enhanced"])


def test_the_base_role_takes_the_servers_from_base_server_group():
    # The role's expression, rendered as the role renders it: the servers are the hosts of base_server_group,
    # whatever the group is called; its default follows k3s_server_group (the k3s role's default: 'server').
    role = pathlib.Path(__file__).resolve().parents[4] / "roles" / "base"
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)  # noqa: S701 - data, not HTML
    env.filters["homelab.k3s.base_firewall_rules"] = base_firewall_rules
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text(encoding="utf-8"))
    expression = yaml.safe_load((role / "vars" / "main.yml").read_text(encoding="utf-8"))["__base_firewall_rules"]
    shared = yaml.safe_load((role.parent / "k3s" / "defaults" / "main.yml").read_text(encoding="utf-8"))
    assert env.from_string(defaults["base_server_group"]).render(shared) == "server"
    assert env.from_string(defaults["base_server_group"]).render(k3s_server_group="control") == "control"
    variables = {
        "inventory_hostname": "s1",
        "__base_addresses": ADDRESSES,
        "groups": {"server": [], "control": ["s1", "s2"]},
        "base_server_group": "control",
        "base_firewall_ssh_port": 22,
        "base_firewall_api_sources": [],
        "base_firewall_wireguard": False,
        "base_firewall_nodeports": False,
        "base_firewall_extra_rules": [],
    }
    text = env.from_string(expression).render(variables)
    assert "'comment': 'k3s api'" in text
    assert "'from': '10.0.0.2', 'comment': 'k3s etcd'" in text
    variables["base_server_group"] = "server"
    assert "k3s api" not in env.from_string(expression).render(variables)
