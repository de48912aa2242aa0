# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.filter.config_merge import config_merge
from ansible_collections.homelab.k3s.plugins.filter.config_problems import config_problems


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
