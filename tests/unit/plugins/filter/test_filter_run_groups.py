# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""run_groups and run_group_problems: the cluster's hosts whatever the inventory calls its groups."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.filter.run_group_problems import FilterModule as Problems
from ansible_collections.homelab.k3s.plugins.filter.run_group_problems import run_group_problems
from ansible_collections.homelab.k3s.plugins.filter.run_groups import FilterModule as RunGroups
from ansible_collections.homelab.k3s.plugins.filter.run_groups import run_groups

# The layout of techno-tim's k3s-ansible: master, node and k3s_cluster with both as children.
TECHNO_TIM = {
    "all": ["m2", "m1", "n1", "nas"],
    "ungrouped": ["nas"],
    "master": ["m2", "m1"],
    "node": ["n1"],
    "k3s_cluster": ["m2", "m1", "n1"],
}
DEFAULTS = ("server", "agent", "k3s_cluster")


def test_filters_are_registered():
    assert RunGroups().filters()["run_groups"] is run_groups
    assert Problems().filters()["run_group_problems"] is run_group_problems


def test_renamed_groups_fill_the_plays_groups_in_the_inventory_order_servers_first():
    assert run_groups(TECHNO_TIM, "master", "node", "k3s_cluster") == [
        {"name": "m2", "groups": ["server"]},
        {"name": "m1", "groups": ["server"]},
        {"name": "n1", "groups": ["agent"]},
    ]
    assert run_group_problems(TECHNO_TIM, "master", "node", "k3s_cluster") == []


def test_the_default_names_add_nothing():
    groups = {"all": ["s1", "a1", "nas"], "server": ["s1"], "agent": ["a1"], "k3s_cluster": ["s1", "a1"]}
    assert run_groups(groups, *DEFAULTS) == []
    assert run_group_problems(groups, *DEFAULTS) == []


def test_every_server_and_agent_is_in_the_cluster_and_the_cluster_group_adds_its_others():
    groups = {"all": ["s1", "a1", "lb"], "server": ["s1"], "agent": ["a1"], "nodes": ["lb"]}
    assert run_groups(groups, "server", "agent", "nodes") == [
        {"name": "s1", "groups": ["k3s_cluster"]},
        {"name": "a1", "groups": ["k3s_cluster"]},
        {"name": "lb", "groups": ["k3s_cluster"]},
    ]


def test_without_agent_or_cluster_group_the_cluster_is_the_servers():
    assert run_groups({"all": ["s1"], "server": ["s1"]}, *DEFAULTS) == [{"name": "s1", "groups": ["k3s_cluster"]}]
    assert run_group_problems({"all": ["s1"], "server": ["s1"]}, *DEFAULTS) == []


def test_a_host_in_both_groups_is_a_server_once():
    groups = {"master": ["s1", "s1"], "node": ["s1", "a1"]}
    assert run_groups(groups, "master", "node", "k3s_cluster") == [
        {"name": "s1", "groups": ["server", "k3s_cluster"]},
        {"name": "a1", "groups": ["agent", "k3s_cluster"]},
    ]


def test_default_names_on_a_renamed_inventory_say_what_to_set():
    (problem,) = run_group_problems(TECHNO_TIM, *DEFAULTS)
    expected = "k3s_server_group: the inventory has no group 'server' (its groups: k3s_cluster, master, node)."
    assert problem.startswith(expected)
    assert "group_vars/all" in problem


def test_an_empty_server_group_is_refused():
    (problem,) = run_group_problems({"all": [], "master": []}, "master", "node", "k3s_cluster")
    assert "has an empty group 'master'" in problem


def test_an_unrelated_group_with_a_plays_name_is_refused():
    groups = dict(TECHNO_TIM, server=["nas"])
    (problem,) = run_group_problems(groups, "master", "node", "k3s_cluster")
    assert problem.startswith("k3s_server_group is 'master', but the inventory also has a group 'server' with nas:")
    assert problem.endswith("Rename that group, or set k3s_server_group: server.")
    # A plays' group that holds only the named group's hosts (server:children master) is fine.
    assert run_group_problems(dict(TECHNO_TIM, server=["m2", "m1"]), "master", "node", "k3s_cluster") == []


def test_groups_that_are_not_lists_are_an_error():
    with pytest.raises(AnsibleFilterError, match="inventory's groups"):
        run_groups(["server"], *DEFAULTS)
    with pytest.raises(AnsibleFilterError, match="not a list of hosts"):
        run_groups({"server": "s1"}, *DEFAULTS)


def test_the_takeover_play_goes_one_node_at_a_time_only_when_a_node_is_taken_over():
    from ansible_collections.homelab.k3s.plugins.filter.takeover_serial import FilterModule as Serial
    from ansible_collections.homelab.k3s.plugins.filter.takeover_serial import takeover_serial

    assert Serial().filters()["takeover_serial"] is takeover_serial
    hostvars = {
        "s1": {"__k3s_adopt_plan": {"takeover": False}},
        "s2": {},
        "a1": {"__k3s_adopt_plan": {"takeover": True}},
    }
    assert takeover_serial(["s1", "s2", "a1"], hostvars) == 1
    assert takeover_serial(["s1", "s2"], hostvars) == 0
    assert takeover_serial(["gone"], hostvars) == 0
    with pytest.raises(AnsibleFilterError, match="list of hosts"):
        takeover_serial("s1", hostvars)
