# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The firewall module against small fakes of ufw and firewall-cmd that keep their state like the real ones."""

import json

import pytest
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.k3s.plugins.module_utils.firewall import Rule, firewalld_target, ufw_rule_args
from ansible_collections.homelab.k3s.plugins.modules import firewall

NODES = ["10.0.0.5", "10.0.0.6"]


def k3s_rules(nodes):
    rules = [{"port": 6443, "comment": "k3s api"}]
    for node in nodes:
        rules.append({"port": 10250, "from": node, "comment": "k3s kubelet"})
        rules.append({"port": 8472, "proto": "udp", "from": node, "comment": "k3s flannel vxlan"})
    rules.append({"proto": "any", "from": "10.42.0.0/16", "comment": "k3s cluster network"})
    return rules


class FakeUfw:
    """user.rules/user6.rules tuples, ufw.conf and /etc/default/ufw in a directory, changed as ufw does."""

    def __init__(self, tmp_path):
        self.dir = tmp_path / "ufw"
        self.dir.mkdir()
        self.defaults = tmp_path / "default-ufw"
        self.rules = []  # [Rule]
        self.enabled = False
        self.policy = {"incoming": "DROP", "routed": "DROP"}
        self.calls = []
        self.fail_on = None
        self.save()

    def save(self):
        lines = {4: [], 6: []}
        for rule in self.rules:
            comment = f" comment={rule.comment.encode().hex()}" if rule.comment else ""
            families = [4, 6] if rule.source == "any" else [6 if ":" in rule.source else 4]
            for family in families:
                anywhere = "0.0.0.0/0" if family == 4 else "::/0"
                src = anywhere if rule.source == "any" else rule.source
                line = f"### tuple ### allow {rule.proto} {rule.port or 'any'} {anywhere} any {src} in{comment}"
                lines[family].append(line)
        (self.dir / "user.rules").write_text("\n".join(["*filter", *lines[4], "COMMIT"]) + "\n")
        (self.dir / "user6.rules").write_text("\n".join(["*filter", *lines[6], "COMMIT"]) + "\n")
        (self.dir / "ufw.conf").write_text(f"# ufw.conf\nENABLED={'yes' if self.enabled else 'no'}\nLOGLEVEL=low\n")
        self.defaults.write_text(
            f'DEFAULT_INPUT_POLICY="{self.policy["incoming"]}"\nDEFAULT_OUTPUT_POLICY="ACCEPT"\n'
            f'DEFAULT_FORWARD_POLICY="{self.policy["routed"]}"\n'
        )

    def __call__(self, argv):
        args = argv[1:]
        self.calls.append(args)
        if self.fail_on and self.fail_on(args):
            return 1, "", "ERROR: fake failure"
        if args[:2] == ["--force", "enable"]:
            self.enabled = True
        elif args == ["disable"]:
            self.enabled = False
        elif args[0] == "default":
            self.policy[args[2]] = firewall.UFW_POLICIES[args[1]]
        else:
            delete = args[0] == "delete"
            rule = self.parse(args[1:] if delete else args)
            self.rules = [r for r in self.rules if r.key != rule.key]
            if not delete:
                self.rules.append(rule)
        self.save()
        return 0, "Rules updated\n", ""

    @staticmethod
    def parse(args):
        """``allow [proto P] from S [to any port N] [comment C]`` -> Rule."""
        assert args[0] == "allow", args
        values = {}
        index = 1
        while index < len(args):
            word = args[index]
            if word == "to":
                assert args[index + 1] == "any", args
                index += 2
                continue
            values[word] = args[index + 1]
            index += 2
        return Rule(values.get("proto", "any"), values.get("port"), values["from"], values.get("comment", ""))


class FakeFirewalld:
    """Permanent ports, rich rules and sources per zone; firewall-cmd's list/add/remove options."""

    def __init__(self):
        self.zones = {
            "public": {"port": ["22/tcp"], "rich-rule": [], "source": []},
            "trusted": {"port": [], "rich-rule": [], "source": []},
        }
        self.calls = []
        self.reloads = 0

    def __call__(self, argv):
        args = argv[1:]
        self.calls.append(args)
        if args == ["--get-default-zone"]:
            return 0, "public\n", ""
        if args == ["--reload"]:
            self.reloads += 1
            return 0, "success\n", ""
        assert args[0] == "--permanent"
        zone = self.zones[args[1].split("=", 1)[1]]
        if args[2].startswith("--list-"):
            kind = {"--list-ports": "port", "--list-rich-rules": "rich-rule", "--list-sources": "source"}[args[2]]
            sep = "\n" if kind == "rich-rule" else " "
            return 0, sep.join(zone[kind]) + "\n", ""
        for option in args[2:]:
            name, value = option[2:].split("=", 1)
            verb, kind = name.split("-", 1)
            if verb == "add" and value not in zone[kind]:
                zone[kind].append(value)
            if verb == "remove":
                zone[kind].remove(value)
        return 0, "success\n", ""


@pytest.fixture
def ufw(tmp_path, monkeypatch):
    fake = FakeUfw(tmp_path)
    monkeypatch.setattr(firewall, "UFW_DIR", str(fake.dir))
    monkeypatch.setattr(firewall, "UFW_DEFAULTS", str(fake.defaults))
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, *a, **k: f"/usr/sbin/{name}")
    monkeypatch.setattr(AnsibleModule, "run_command", lambda self, argv, **kw: fake(argv))
    return fake


@pytest.fixture
def firewalld(tmp_path, monkeypatch):
    fake = FakeFirewalld()
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, *a, **k: f"/usr/bin/{name}")
    monkeypatch.setattr(AnsibleModule, "run_command", lambda self, argv, **kw: fake(argv))
    fake.state_file = str(tmp_path / "state" / "firewalld-rules.json")
    return fake


def keys(rules):
    return sorted((r["proto"], r["port"] or "", r["from"]) for r in rules)


def test_ufw_fresh_then_converged(run_module, ufw):
    args = {"backend": "ufw", "rules": k3s_rules(NODES)}
    result = run_module(firewall, args, diff=True)
    assert result["changed"]
    # SSH first, before the firewall is enabled; enabling last.
    assert ufw.calls[0] == ["allow", "proto", "tcp", "from", "any", "to", "any", "port", "22", "comment", "k3s ssh"]
    assert ufw.calls[-1] == ["--force", "enable"]
    assert ["default", "allow", "routed"] in ufw.calls
    assert ufw.enabled and ufw.policy == {"incoming": "DROP", "routed": "ACCEPT"}
    assert len(ufw.rules) == 1 + len(k3s_rules(NODES))
    assert "+allow 10250/tcp from 10.0.0.6  # k3s kubelet" in result["diff"]["after"].replace("\n", "\n+")
    assert "-ufw: disabled" in "-" + result["diff"]["before"].replace("\n", "\n-")

    ufw.calls.clear()
    again = run_module(firewall, args, diff=True)
    assert not again["changed"]
    assert ufw.calls == []
    assert again["diff"] == {}
    assert again["added"] == again["removed"] == []


def test_ufw_removes_rules_of_an_address_that_left(run_module, ufw):
    run_module(firewall, {"backend": "ufw", "rules": k3s_rules(NODES)})
    ufw(["ufw", "allow", "proto", "tcp", "from", "10.0.0.8", "to", "any", "port", "8080", "comment", "operator"])
    ufw.calls.clear()
    replaced = {"backend": "ufw", "rules": k3s_rules(["10.0.0.5", "10.0.0.7"])}

    check = run_module(firewall, replaced, check_mode=True, diff=True)
    assert check["changed"] and ufw.calls == []
    assert keys(check["removed"]) == [("tcp", "10250", "10.0.0.6"), ("udp", "8472", "10.0.0.6")]
    assert keys(check["added"]) == [("tcp", "10250", "10.0.0.7"), ("udp", "8472", "10.0.0.7")]
    assert "allow 10250/tcp from 10.0.0.6  # k3s kubelet" in check["diff"]["before"]
    assert "10.0.0.6" not in check["diff"]["after"]

    result = run_module(firewall, replaced)
    assert result["changed"]
    # Added before removed; only the stale rules deleted.
    assert [c[0] for c in ufw.calls] == ["allow", "allow", "delete", "delete"]
    sources = {rule.source for rule in ufw.rules}
    assert "10.0.0.6" not in sources and {"10.0.0.7", "10.0.0.8"} <= sources
    assert not run_module(firewall, replaced)["changed"]


def test_ufw_comment_is_rewritten_and_prefixed(run_module, ufw):
    ufw(["ufw", "allow", "proto", "tcp", "from", "any", "to", "any", "port", "22"])
    result = run_module(firewall, {"backend": "ufw", "rules": [{"port": 9100, "comment": "node exporter"}]})
    assert keys(result["updated"]) == [("tcp", "22", "any")]
    comments = {rule.port: rule.comment for rule in ufw.rules}
    assert comments == {"22": "k3s ssh", "9100": "k3s node exporter"}


def test_ufw_policies_and_disable(run_module, ufw):
    run_module(firewall, {"backend": "ufw", "rules": []})
    result = run_module(firewall, {"backend": "ufw", "default_routed": "deny", "enabled": False})
    assert result["changed"]
    assert ufw.policy["routed"] == "DROP" and not ufw.enabled


def test_ufw_bad_rule_changes_nothing(run_module, ufw):
    result = run_module(firewall, {"backend": "ufw", "rules": [{"port": 6443}, {"port": "65536"}]})
    assert result["failed"]
    assert "rules[1]: port '65536'" in result["msg"] and "nothing was changed" in result["msg"]
    assert ufw.calls == []


def test_ufw_missing(run_module, ufw, monkeypatch):
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, *a, **k: None)
    result = run_module(firewall, {"backend": "ufw"})
    assert result["failed"] and "ufw is not installed" in result["msg"]


def test_ufw_failure_names_the_command(run_module, ufw):
    ufw.fail_on = lambda args: "8472" in args
    result = run_module(firewall, {"backend": "ufw", "rules": k3s_rules(NODES)})
    assert result["failed"] and "8472" in result["msg"] and "fake failure" in result["msg"]
    assert not ufw.enabled


def test_bad_ssh_port(run_module, ufw):
    result = run_module(firewall, {"backend": "ufw", "ssh_port": 0})
    assert result["failed"] and "ssh_port 0" in result["msg"]


def test_firewalld_fresh_exact_and_converged(run_module, firewalld):
    args = {"backend": "firewalld", "rules": k3s_rules(NODES), "state_file": firewalld.state_file}
    result = run_module(firewall, args, diff=True)
    assert result["changed"]
    public, trusted = firewalld.zones["public"], firewalld.zones["trusted"]
    assert public["port"] == ["22/tcp", "6443/tcp"]
    assert len(public["rich-rule"]) == 4
    assert trusted["source"] == ["10.42.0.0/16"]
    # One add call per zone, one reload.
    changes = [c for c in firewalld.calls if c[0] == "--permanent" and not c[2].startswith("--list")]
    assert len(changes) == 2 and firewalld.reloads == 1
    with open(firewalld.state_file) as handle:
        assert len(json.load(handle)["rules"]) == 1 + len(k3s_rules(NODES))

    firewalld.calls.clear()
    again = run_module(firewall, args)
    assert not again["changed"]
    assert all(c[2].startswith("--list") for c in firewalld.calls if c[0] == "--permanent")

    replaced = dict(args, rules=k3s_rules(["10.0.0.5"]))
    check = run_module(firewall, replaced, check_mode=True, diff=True)
    assert check["changed"] and len(public["rich-rule"]) == 4
    assert keys(check["removed"]) == [("tcp", "10250", "10.0.0.6"), ("udp", "8472", "10.0.0.6")]
    assert run_module(firewall, replaced)["changed"]
    assert not any("10.0.0.6" in rule for rule in public["rich-rule"])
    assert not run_module(firewall, replaced)["changed"]


def test_firewalld_leaves_rules_it_did_not_add(run_module, firewalld):
    firewalld.zones["public"]["port"].append("9090/tcp")
    args = {"backend": "firewalld", "rules": [{"port": 6443}], "state_file": firewalld.state_file}
    run_module(firewall, args)
    assert "9090/tcp" in firewalld.zones["public"]["port"]
    # the SSH port was there before: recorded as wanted, never removed
    assert run_module(firewall, dict(args, rules=[]))["removed"] == [
        {"proto": "tcp", "port": "6443", "from": "any", "comment": ""}
    ]
    assert "22/tcp" in firewalld.zones["public"]["port"]


def test_firewalld_needs_a_protocol(run_module, firewalld):
    result = run_module(firewall, {"backend": "firewalld", "rules": [{"port": 53, "proto": "any"}]})
    assert result["failed"] and "needs proto tcp or udp" in result["msg"]
    assert firewalld.calls == []


def test_rendered_targets_match_the_fake():
    rule = Rule("tcp", "10250", "10.0.0.5")
    assert firewalld_target(rule)[0] == "rich_rule"
    assert FakeUfw.parse(ufw_rule_args(rule)) == rule
