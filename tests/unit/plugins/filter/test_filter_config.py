# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.filter.config_merge import config_merge
from ansible_collections.homelab.k3s.plugins.filter.config_problems import config_problems
from ansible_collections.homelab.k3s.plugins.plugin_utils.settings_checks import RESERVED_FLAGS, reserved_flags


def test_merge_later_scalar_wins_and_lists_accumulate_without_repeats():
    base = {"cluster-cidr": "10.42.0.0/16", "tls-san": ["k3s.lan"], "disable": ["traefik"]}
    merged = config_merge(base, {"cluster-cidr": "10.52.0.0/16", "tls-san": ["k3s.lan", "10.0.0.5"]})
    assert merged == {"cluster-cidr": "10.52.0.0/16", "tls-san": ["k3s.lan", "10.0.0.5"], "disable": ["traefik"]}


def test_merge_null_removes_a_key_and_inputs_stay_untouched():
    base = {"flannel-backend": "vxlan", "node-label": ["a=1"]}
    merged = config_merge(base, {"flannel-backend": None}, {"node-label": ["b=2"]})
    assert merged == {"node-label": ["a=1", "b=2"]}
    assert base == {"flannel-backend": "vxlan", "node-label": ["a=1"]}


def test_merge_list_replaces_scalar_and_dedupes_a_first_list():
    assert config_merge({"node-ip": "10.0.0.1"}, {"node-ip": ["10.0.0.1", "10.0.0.1", "fd00::1"]}) == {
        "node-ip": ["10.0.0.1", "fd00::1"]
    }


def test_merge_skips_none_layers():
    assert config_merge(None, {"a": 1}, None) == {"a": 1}


def test_merge_rejects_a_non_mapping_layer():
    with pytest.raises(AnsibleFilterError, match="argument 1 must be a dictionary"):
        config_merge({}, ["disable"])


def test_problems_empty_for_a_good_config():
    config = {"disable": ["traefik"], "write-kubeconfig-mode": "0600", "node-taint": [], "secrets-encryption": True}
    assert config_problems(config, source="server_config") == []


def test_problems_name_dashed_keys_reserved_keys_and_nested_values():
    problems = config_problems(
        {"--disable": "traefik", "token": "x", "kubelet-arg": {"max-pods": 200}},
        source="server_config",
        reserved={"token": "server_token"},
    )
    assert problems == [
        "server_config: '--disable' is not a k3s flag name; write it without leading dashes, e.g. 'disable'",
        "server_config: 'token' is set by the roles; use server_token instead",
        "server_config: the value of 'kubelet-arg' must be a string, number, boolean or a list of those, got dict",
    ]


def test_problems_for_a_config_that_is_not_a_mapping():
    assert config_problems(["disable=traefik"], source="k3s_config") == [
        "k3s_config must be a dictionary of k3s flags (flag name: value), got list"
    ]
    assert config_problems(None) == []


# The tables the server, agent and k3s roles held before RESERVED_FLAGS was their one home: the messages
# users get must not change.
SERVER_TABLE = {
    "token": "server_token",
    "token-file": "server_token",
    "agent-token": "agent_token",
    "agent-token-file": "agent_token",
    "server": "the cluster (new servers join through a running member)",
    "cluster-init": "server_datastore",
    "datastore-endpoint": "server_datastore_endpoint",
    "write-kubeconfig-mode": "server_kubeconfig_mode",
    "data-dir": "k3s_data_dir",
}
AGENT_TABLE = {
    "token": "agent_token",
    "token-file": "agent_token",
    "server": "agent_server_url",
    "data-dir": "k3s_data_dir",
}
NODE_TABLE = {
    **SERVER_TABLE,
    "token": "server_token / agent_token",
    "token-file": "server_token / agent_token",
    "server": "agent_server_url (agents) or the cluster (servers join through a running member)",
}


@pytest.mark.parametrize(("kind", "table"), [("server", SERVER_TABLE), ("agent", AGENT_TABLE), ("node", NODE_TABLE)])
def test_reserved_flags_by_kind_of_node(kind, table):
    assert reserved_flags(kind) == table


def test_reserved_flags_of_every_node_hold_those_of_each_kind():
    shared = reserved_flags("node")
    assert set(reserved_flags("server")) | set(reserved_flags("agent")) == set(shared) == set(RESERVED_FLAGS)
    for flag, hints in RESERVED_FLAGS.items():
        if "node" not in hints:
            assert all(hint in shared[flag].split(" / ") for hint in hints.values())


def test_reserved_flags_of_an_unknown_kind():
    with pytest.raises(AnsibleFilterError, match="server, agent or node, not 'master'"):
        reserved_flags("master")


def test_reserved_flags_feed_config_problems():
    assert config_problems({"cluster-init": True}, source="agent_config", reserved=reserved_flags("agent")) == []
    assert config_problems({"cluster-init": True}, source="server_config", reserved=reserved_flags("server")) == [
        "server_config: 'cluster-init' is set by the roles; use server_datastore instead"
    ]
