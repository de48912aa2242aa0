# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""summary_hosts and summary_failures: the nodes the summary lists and the lines about failed hosts."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.filter.summary_failures import FilterModule as Failures
from ansible_collections.homelab.k3s.plugins.filter.summary_hosts import FilterModule as Hosts
from ansible_collections.homelab.k3s.plugins.plugin_utils.run_summary import summary_failures, summary_hosts

HOSTVARS = {
    "s1": {"ansible_facts": {"nodename": "S1", "default_ipv4": {"address": "192.168.1.10"}}},
    "s2": {"k3s_node_ip": "fd00::2", "k3s_node_name": "Two"},
    "a1": {"ansible_host": "192.168.1.20"},
}


def test_filters_are_registered():
    assert Hosts().filters()["summary_hosts"] is summary_hosts
    assert Failures().filters()["summary_failures"] is summary_failures


def test_servers_first_and_a_server_in_the_agent_group_once():
    assert summary_hosts(["s1", "s2"], ["a1", "s2"], HOSTVARS) == [
        {"host": "s1", "role": "server", "address": "192.168.1.10", "node_name": "s1"},
        {"host": "s2", "role": "server", "address": "fd00::2", "node_name": "two"},
        {"host": "a1", "role": "agent", "address": "192.168.1.20", "node_name": "a1"},
    ]
    assert summary_hosts([], [], HOSTVARS) == []


def test_summary_hosts_refuses_bad_arguments():
    with pytest.raises(AnsibleFilterError, match="the agents must be a list of inventory host names"):
        summary_hosts(["s1"], "a1", HOSTVARS)
    with pytest.raises(AnsibleFilterError, match="pass hostvars"):
        summary_hosts(["s1"], [], None)


def test_no_failure_no_line():
    assert summary_failures(["s1", "a1"], ["s1", "a1"], HOSTVARS) == {"failed": [], "lines": []}


def test_failed_and_departed_hosts():
    hostvars = dict(HOSTVARS)
    hostvars["s2"] = {"summary_failure": {"task": "Check the k3s settings", "message": "k3s_version: bad\n  value"}}
    hostvars["a1"] = {"summary_failure": {}}
    assert summary_failures(["s1", "s2", "a1", "a2"], ["s1", "a1"], hostvars) == {
        "failed": ["s2"],
        "lines": [
            "FAILED 2 of 4 hosts",
            "  s2 failed at 'Check the k3s settings' - k3s_version - bad value",
            "  a2 did not reach the summary (unreachable, or failed where the recap shows)",
        ],
    }


def test_long_messages_are_cut_at_a_word_as_jinja_truncate_does():
    long = " ".join(["word"] * 100)
    hostvars = {"s1": {"summary_failure": {"message": long}}}
    line = summary_failures(["s1"], ["s1"], hostvars)["lines"][1]
    assert line.startswith("  s1 failed at '?' - word word")
    assert line.endswith("word...")
    assert len(line) - len("  s1 failed at '?' - ") <= 240
    hostvars = {"s1": {"summary_failure": {"task": "t", "message": "x" * 245}}}
    assert summary_failures(["s1"], ["s1"], hostvars)["lines"][1] == "  s1 failed at 't' - " + "x" * 245


def test_summary_failures_refuses_bad_arguments():
    with pytest.raises(AnsibleFilterError, match="ansible_play_hosts_all"):
        summary_failures("s1", [], HOSTVARS)
    with pytest.raises(AnsibleFilterError, match="pass hostvars"):
        summary_failures([], [], [])
