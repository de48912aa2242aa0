# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.homelab.k3s.plugins.module_utils.firewall import (
    Rule,
    RuleError,
    firewalld_target,
    merge_families,
    normalize_rules,
    normalize_source,
    parse_firewalld,
    parse_shell_assignments,
    parse_ufw_tuples,
    plan,
    rule_from_record,
    ufw_rule_args,
)

USER_RULES = """*filter
### RULES ###

### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in comment=6b337320737368
-A ufw-user-input -p tcp --dport 22 -j ACCEPT
### tuple ### allow tcp 10250 0.0.0.0/0 any 10.0.0.5 in comment=6b3373206b7562656c6574
### tuple ### allow any any 0.0.0.0/0 any 10.42.0.0/16 in comment=6b337320636c7573746572206e6574776f726b
### tuple ### allow tcp 30000:32767 0.0.0.0/0 any 0.0.0.0/0 in
### tuple ### deny tcp 25 0.0.0.0/0 any 0.0.0.0/0 in comment=6b33732064656e79
### tuple ### allow tcp 80 10.0.0.1 any 0.0.0.0/0 in
### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 OpenSSH - in
### tuple ### route:allow any any 0.0.0.0/0 any 0.0.0.0/0 in_eth0!out_eth1
### tuple ### allow tcp 443 0.0.0.0/0 any 0.0.0.0/0 in_eth0
### END RULES ###
"""
USER6_RULES = """### tuple ### allow tcp 22 ::/0 any ::/0 in comment=6b337320737368
### tuple ### allow udp 8472 ::/0 any fd00::5 in
"""


def test_parse_ufw_keeps_plain_incoming_allow_rules_only():
    rules = parse_ufw_tuples(USER_RULES)
    assert rules == [
        Rule("tcp", "22", "any", "k3s ssh"),
        Rule("tcp", "10250", "10.0.0.5", "k3s kubelet"),
        Rule("any", None, "10.42.0.0/16", "k3s cluster network"),
        Rule("tcp", "30000:32767", "any", ""),
    ]


def test_both_families_list_a_rule_from_anywhere_once():
    rules = merge_families(parse_ufw_tuples(USER_RULES), parse_ufw_tuples(USER6_RULES))
    assert [rule.key for rule in rules].count(("tcp", "22", "any")) == 1
    assert ("udp", "8472", "fd00::5") in [rule.key for rule in rules]


def test_a_broken_comment_is_read_as_none():
    assert parse_ufw_tuples("### tuple ### allow tcp 1 0.0.0.0/0 any 0.0.0.0/0 in comment=zz\n") == [
        Rule("tcp", "1", "any", "")
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"port": 6443}, Rule("tcp", "6443", "any", "")),
        ({"port": "2379-2380", "from": "10.0.0.9/32"}, Rule("tcp", "2379:2380", "10.0.0.9", "")),
        ({"port": "8472", "proto": "UDP", "from": "fd00::5/128"}, Rule("udp", "8472", "fd00::5", "")),
        ({"proto": "any", "from": "10.42.1.0/16", "comment": "pods"}, Rule("any", None, "10.42.0.0/16", "pods")),
        ({"port": 53, "proto": "any", "from": "0.0.0.0/0"}, Rule("any", "53", "any", "")),
    ],
)
def test_normalize(raw, expected):
    assert normalize_rules([raw], None) == [expected]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"port": "http"}, "rules[0]: port 'http' is not a port"),
        ({"port": "70000"}, "within 1-65535"),
        ({"port": "2380:2379"}, "the low end first"),
        ({"port": 22, "proto": "icmp"}, "proto 'icmp' must be one of"),
        ({"port": 22, "from": "10.0.0.300"}, "source '10.0.0.300' is not an IP address"),
        ({"proto": "any"}, "every port from anywhere"),
        ({"port": "1:2", "proto": "any"}, "needs proto tcp or udp"),
        ({"port": 22, "source": "x"}, "unknown keys ['source']"),
        ("22/tcp", "must be a dict"),
    ],
)
def test_bad_rules_are_named(raw, message):
    with pytest.raises(RuleError, match=message.replace("[", r"\[").replace("]", r"\]")):
        normalize_rules([raw], 22)


def test_ssh_rule_first_and_duplicates_dropped():
    rules = normalize_rules([{"port": 22, "comment": "mine"}, {"port": 6443}, {"port": "6443", "proto": "tcp"}], 2222)
    assert rules == [
        Rule("tcp", "2222", "any", "k3s ssh"),
        Rule("tcp", "22", "any", "mine"),
        Rule("tcp", "6443", "any", ""),
    ]
    assert normalize_rules([{"port": 22, "comment": "x"}], 22) == [Rule("tcp", "22", "any", "k3s ssh")]


def test_plan_adds_updates_and_removes_only_owned_rules():
    wanted = [Rule("tcp", "22", "any", "k3s ssh"), Rule("tcp", "10250", "10.0.0.6", "k3s kubelet")]
    present = [
        Rule("tcp", "22", "any", ""),
        Rule("tcp", "10250", "10.0.0.5", "k3s kubelet"),
        Rule("tcp", "8080", "10.0.0.8", "operator"),
    ]
    owned = [present[1]]
    result = plan(wanted, present, owned)
    assert result.add == [wanted[1]]
    assert result.update == [wanted[0]]
    assert result.remove == [present[1]]


def test_plan_of_a_converged_firewall_is_empty():
    wanted = [Rule("tcp", "22", "any", "k3s ssh")]
    assert plan(wanted, wanted, wanted) == ([], [], [])


def test_owned_rules_already_gone_are_not_removed_again():
    assert plan([], [], [Rule("tcp", "1", "any", "k3s x")]).remove == []


def test_ufw_command_lines():
    assert ufw_rule_args(Rule("tcp", "10250", "10.0.0.5", "k3s kubelet")) == [
        "allow", "proto", "tcp", "from", "10.0.0.5", "to", "any", "port", "10250", "comment", "k3s kubelet",
    ]  # fmt: skip
    assert ufw_rule_args(Rule("any", None, "10.42.0.0/16", "k3s pods"), delete=True) == [
        "delete", "allow", "from", "10.42.0.0/16",
    ]  # fmt: skip


def test_shell_assignments():
    text = '# comment\nDEFAULT_INPUT_POLICY="DROP"\nENABLED=yes\nbroken line\n'
    assert parse_shell_assignments(text) == {"DEFAULT_INPUT_POLICY": "DROP", "ENABLED": "yes"}


def test_firewalld_targets():
    assert firewalld_target(Rule("tcp", "30000:32767", "any")) == ("port", "30000-32767/tcp")
    assert firewalld_target(Rule("udp", "8472", "fd00::5")) == (
        "rich_rule",
        'rule family="ipv6" source address="fd00::5" port port="8472" protocol="udp" accept',
    )
    assert firewalld_target(Rule("any", None, "10.42.0.0/16")) == ("source", "10.42.0.0/16")
    with pytest.raises(RuleError, match="needs proto tcp or udp"):
        firewalld_target(Rule("any", "53", "any"))
    with pytest.raises(RuleError, match="set proto any"):
        firewalld_target(Rule("tcp", None, "10.0.0.1"))


def test_firewalld_lists_round_trip():
    wanted = [Rule("tcp", "6443", "any"), Rule("tcp", "10250", "10.0.0.5"), Rule("any", None, "10.42.0.0/16")]
    rich = "\n".join(value for kind, value in map(firewalld_target, wanted) if kind == "rich_rule")
    rules = parse_firewalld("6443/tcp 53/udp 1-2/sctp", rich + "\nrule service name=ssh accept", "10.42.0.0/16 bad")
    assert {rule.key for rule in rules} == {rule.key for rule in wanted} | {("udp", "53", "any")}


def test_records():
    assert rule_from_record({"proto": "tcp", "port": "1-2", "from": "10.0.0.1/32"}) == Rule("tcp", "1:2", "10.0.0.1")
    assert rule_from_record({"proto": "icmp"}) is None
    assert rule_from_record({"proto": "tcp", "port": "x"}) is None


def test_sources():
    assert normalize_source(None, "x") == "any"
    assert normalize_source("::/0", "x") == "any"
    assert normalize_source("192.168.1.7/24", "x") == "192.168.1.0/24"
