# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from terraform_inventory_helpers import FIXTURES

from ansible_collections.homelab.k3s.plugins.plugin_utils.ansible_resources import declared_group, declared_host
from ansible_collections.homelab.k3s.plugins.plugin_utils.terraform_state import ResourceInstance, parse_state_document


def instances():
    raw = (FIXTURES / "ansible_provider.tfstate").read_bytes()
    return {instance.address: instance for instance in parse_state_document(raw, "ansible_provider.tfstate")}


def test_host_with_groups_and_variables():
    host, sensitive = declared_host(instances()["ansible_host.k3s[0]"], keep_sensitive=False)
    assert host.name == "k3s-1"
    assert host.groups == ["server"]
    assert host.variables == {"ansible_user": "debian", "k3s_node_label": "zone=rack1"}
    assert host.terraform_address == "ansible_host.k3s[0]"
    assert sensitive == []


def test_sensitive_variables_are_left_out_unless_kept():
    pi = instances()["ansible_host.pi"]
    host, sensitive = declared_host(pi, keep_sensitive=False)
    assert sensitive == ["ansible_become_password"]
    assert host.variables == {"ansible_host": "192.168.1.50", "ansible_user": "pi"}
    host, sensitive = declared_host(pi, keep_sensitive=True)
    assert sensitive == ["ansible_become_password"]
    assert host.variables["ansible_become_password"] == "fixture-become-password"


def test_whole_variables_map_marked_sensitive():
    instance = ResourceInstance(
        "ansible_host.x",
        "ansible_host",
        {"name": "x", "groups": None, "variables": {"a": "1", "b": "2"}},
        sensitive={"variables": True},
    )
    host, sensitive = declared_host(instance, keep_sensitive=False)
    assert (host.variables, host.groups, sensitive) == ({}, [], ["a", "b"])


def test_group_with_children_and_variables():
    group, _warnings = declared_group(instances()["ansible_group.lab"], keep_sensitive=False)
    assert group.name == "lab"
    assert group.children == ["k3s_cluster"]
    assert group.variables == {"ansible_python_interpreter": "/usr/bin/python3"}
    group, _warnings = declared_group(instances()["ansible_group.cluster"], keep_sensitive=False)
    assert group.children == []


def test_nameless_resources_declare_nothing():
    instance = ResourceInstance("ansible_host.x", "ansible_host", {"name": "", "variables": {}})
    assert declared_host(instance, keep_sensitive=False) == (None, [])


def test_groups_given_as_one_string_are_one_group():
    instance = ResourceInstance("ansible_host.x", "ansible_host", {"name": "x", "groups": "proxmox", "variables": []})
    host, _sensitive = declared_host(instance, keep_sensitive=False, source="lab.tfstate")
    assert (host.groups, host.variables, host.source) == (["proxmox"], {}, "lab.tfstate")


def test_names_of_other_types_declare_nothing():
    instance = ResourceInstance("ansible_host.x", "ansible_host", {"name": ["x"], "groups": [None, True, "a", "a"]})
    assert declared_host(instance, keep_sensitive=False) == (None, [])
