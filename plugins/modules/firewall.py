#!/usr/bin/python
# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: firewall
short_description: Apply a whole firewall rule set with ufw or firewalld in one call, exactly
version_added: 0.1.0
description:
  - Makes the incoming allow rules of the firewall exactly O(rules) in one call per host, with ufw or
    firewalld and the same rule model.
  - Adds the missing rules and removes the rules this module added before that are no longer in
    O(rules), such as the rules for the address of a replaced node. Rules it did not add are left alone.
  - With ufw, a rule belongs to this module when its comment starts with O(owner_prefix); with firewalld,
    when it is recorded in O(state_file), written after every change.
  - The SSH rule (O(ssh_port) from anywhere) is added first and never removed, before the firewall is
    enabled, so the connection the module runs over is never cut.
  - A no-op run only reads the firewall's files (ufw) or lists (firewalld) and changes nothing.
author:
  - homelab.k3s maintainers (@homelab-k3s)
options:
  backend:
    description: The firewall front end.
    type: str
    required: true
    choices: [ufw, firewalld]
  rules:
    description:
      - The incoming allow rules, each C({port, proto, from, comment}).
      - C(port) is a port such as C(6443) or a range C(30000:32767) (C(30000-32767) too); without a port,
        every port from C(from) is accepted (with firewalld, C(from) becomes a source of O(trusted_zone)).
      - C(proto) is C(tcp) (the default), C(udp) or C(any); C(from) an address, a network or C(any)
        (the default).
      - C(comment) describes the rule (ufw only); it is prefixed with O(owner_prefix) when it does not
        start with it.
    type: list
    elements: dict
    default: []
  ssh_port:
    description: The SSH port, always open from anywhere; its rule is added first and never removed.
    type: int
    default: 22
  owner_prefix:
    description: ufw rules whose comment is this word or starts with it and a space belong to this module.
    type: str
    default: k3s
  default_incoming:
    description: ufw policy for incoming traffic no rule allows.
    type: str
    default: deny
    choices: [allow, deny, reject]
  default_routed:
    description:
      - ufw policy for routed traffic. Pods and services are routed through the node, so C(allow) is the
        default.
    type: str
    default: allow
    choices: [allow, deny, reject]
  enabled:
    description: Enable ufw (after the rules are in place). With firewalld the service is left as it is.
    type: bool
    default: true
  zone:
    description: firewalld zone of the ports and rich rules; empty means the default zone.
    type: str
    default: ""
  trusted_zone:
    description: firewalld zone the sources of rules without a port are added to.
    type: str
    default: trusted
  state_file:
    description: Where the firewalld rules this module added are recorded.
    type: path
    default: /var/lib/homelab-k3s/firewalld-rules.json
attributes:
  check_mode:
    support: full
    description: Reports the rules that would be added and removed.
  diff_mode:
    support: full
    description: Shows the managed rules and the ufw policies before and after.
  platform:
    platforms: posix
    support: full
    description: Linux with ufw or firewalld.
notes:
  - A malformed rule fails the task before anything is changed, naming the rule.
  - With firewalld the permanent configuration is changed and then reloaded, so runtime-only changes
    made by others are dropped.
"""

EXAMPLES = r"""
- name: Open the k3s ports, trust the pod network, close the rest
  homelab.k3s.firewall:
    backend: ufw
    rules:
      - {port: 6443, proto: tcp, comment: k3s api}
      - {port: 10250, proto: tcp, from: 192.168.88.31, comment: k3s kubelet}
      - {port: 8472, proto: udp, from: 192.168.88.31, comment: k3s flannel vxlan}
      - {proto: any, from: 10.42.0.0/16, comment: k3s cluster network}
"""

RETURN = r"""
rules:
  description: The wanted rules after normalisation, the SSH rule first.
  returned: always
  type: list
  elements: dict
  sample: [{"proto": "tcp", "port": "22", "from": "any", "comment": "k3s ssh"}]
added:
  description: Rules added (or that would be added in check mode).
  returned: always
  type: list
  elements: dict
  sample: [{"proto": "tcp", "port": "10250", "from": "10.0.0.7", "comment": "k3s kubelet"}]
updated:
  description: ufw rules whose comment was rewritten.
  returned: always
  type: list
  elements: dict
  sample: []
removed:
  description: Rules removed because they are no longer wanted (or that would be removed).
  returned: always
  type: list
  elements: dict
  sample: [{"proto": "tcp", "port": "10250", "from": "10.0.0.5", "comment": "k3s kubelet"}]
commands:
  description: The firewall commands run (or that would be run in check mode).
  returned: always
  type: list
  elements: list
  sample: [["ufw", "allow", "proto", "tcp", "from", "10.0.0.7", "to", "any", "port", "10250"]]
"""

import json
import os
from typing import Dict, List, Sequence

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.k3s.plugins.module_utils.file_state import read_text
from ansible_collections.homelab.k3s.plugins.module_utils.firewall import (
    UFW_POLICIES,
    Rule,
    RuleError,
    firewalld_target,
    merge_families,
    normalize_rules,
    parse_firewalld,
    parse_shell_assignments,
    parse_ufw_tuples,
    plan,
    rule_from_record,
    rule_to_record,
    ufw_rule_args,
)

UFW_DIR = "/etc/ufw"
UFW_DEFAULTS = "/etc/default/ufw"


def _owned_comment(comment: str, prefix: str) -> bool:
    return comment == prefix or comment.startswith(prefix + " ")


def _with_prefix(rules: Sequence[Rule], prefix: str) -> List[Rule]:
    return [
        rule if _owned_comment(rule.comment, prefix) else rule._replace(comment=f"{prefix} {rule.comment}".strip())
        for rule in rules
    ]


def _lines(rules: Sequence[Rule], extra: Sequence[str] = ()) -> str:
    return "".join(f"{line}\n" for line in [*sorted(rule.describe() for rule in rules), *extra])


class Runner:
    """Runs (or, in check mode, only records) the commands of a plan; fails with what was done so far."""

    def __init__(self, module: AnsibleModule):
        self.module = module
        self.commands: List[List[str]] = []

    def run(self, argv: List[str]) -> None:
        self.commands.append(argv)
        if self.module.check_mode:
            return
        rc, out, err = self.module.run_command(argv)
        if rc != 0:
            self.module.fail_json(
                msg=f"{' '.join(argv)} failed (rc={rc}): {(err or out).strip()}",
                commands=self.commands,
            )

    def read(self, argv: List[str]) -> str:
        rc, out, err = self.module.run_command(argv)
        if rc != 0:
            self.module.fail_json(msg=f"{' '.join(argv)} failed (rc={rc}): {(err or out).strip()}")
        return out


def ufw(module: AnsibleModule, wanted: List[Rule]) -> dict:
    params = module.params
    binary = module.get_bin_path("ufw")
    conf = read_text(os.path.join(UFW_DIR, "ufw.conf"))
    if not binary or conf is None:
        module.fail_json(msg="ufw is not installed on this host: install the ufw package, or use backend firewalld.")
    wanted = _with_prefix(wanted, params["owner_prefix"])
    present = merge_families(
        parse_ufw_tuples(read_text(os.path.join(UFW_DIR, "user.rules")) or ""),
        parse_ufw_tuples(read_text(os.path.join(UFW_DIR, "user6.rules")) or ""),
    )
    owned = [rule for rule in present if _owned_comment(rule.comment, params["owner_prefix"])]
    change = plan(wanted, present, owned)

    defaults = parse_shell_assignments(read_text(UFW_DEFAULTS) or "")
    policies = {
        "incoming": ("DEFAULT_INPUT_POLICY", params["default_incoming"]),
        "routed": ("DEFAULT_FORWARD_POLICY", params["default_routed"]),
    }
    policy_changes = [
        (direction, policy)
        for direction, (key, policy) in policies.items()
        if defaults.get(key) != UFW_POLICIES[policy]
    ]
    is_enabled = parse_shell_assignments(conf or "").get("ENABLED", "no").lower() == "yes"
    enable = params["enabled"] and not is_enabled
    disable = not params["enabled"] and is_enabled

    runner = Runner(module)
    # The SSH rule is the first wanted rule: added before anything else, never removed.
    for rule in change.add + change.update:
        runner.run([binary, *ufw_rule_args(rule)])
    for rule in change.remove:
        runner.run([binary, *ufw_rule_args(rule, delete=True)])
    for direction, policy in policy_changes:
        runner.run([binary, "default", policy, direction])
    if enable:
        runner.run([binary, "--force", "enable"])
    if disable:
        runner.run([binary, "disable"])

    inverse = {value: name for name, value in UFW_POLICIES.items()}
    before_state = [
        f"ufw: {'enabled' if is_enabled else 'disabled'}",
        *(
            f"default {d}: {inverse.get(defaults.get(k, ''), defaults.get(k, 'unset'))}"
            for d, (k, _p) in policies.items()
        ),
    ]
    after_state = [
        f"ufw: {'enabled' if params['enabled'] else 'disabled'}",
        *(f"default {d}: {p}" for d, (_k, p) in policies.items()),
    ]
    wanted_keys = {rule.key for rule in wanted}
    before_rules = [rule for rule in present if rule.key in wanted_keys or rule in owned]
    return _result(runner, wanted, change, _lines(before_rules, before_state), _lines(wanted, after_state))


def _firewalld_zone(runner: Runner, binary: str, zone: str) -> str:
    return zone or runner.read([binary, "--get-default-zone"]).strip()


def firewalld(module: AnsibleModule, wanted: List[Rule]) -> dict:
    params = module.params
    binary = module.get_bin_path("firewall-cmd")
    if not binary:
        module.fail_json(msg="firewall-cmd is not installed on this host: install firewalld, or use backend ufw.")
    targets = {}
    try:
        for rule in wanted:
            targets[rule.key] = firewalld_target(rule)
    except RuleError as error:
        module.fail_json(msg=str(error))
    runner = Runner(module)
    zone = _firewalld_zone(runner, binary, params["zone"])
    trusted = params["trusted_zone"]
    permanent = [binary, "--permanent"]
    present = parse_firewalld(
        runner.read([*permanent, f"--zone={zone}", "--list-ports"]),
        runner.read([*permanent, f"--zone={zone}", "--list-rich-rules"]),
        runner.read([*permanent, f"--zone={trusted}", "--list-sources"]),
    )
    recorded_text = read_text(params["state_file"])
    owned: List[Rule] = []
    if recorded_text:
        try:
            records = json.loads(recorded_text).get("rules", [])
        except (ValueError, AttributeError):
            records = []
        owned = [rule for rule in (rule_from_record(r) for r in records if isinstance(r, dict)) if rule]
    change = plan(wanted, present, owned)
    # Comments are not stored by firewalld: nothing to update.
    change = change._replace(update=[])

    def options(rules: Sequence[Rule], verb: str) -> Dict[str, List[str]]:
        by_zone: Dict[str, List[str]] = {}
        for rule in rules:
            kind, value = targets.get(rule.key) or firewalld_target(rule)
            option = {"port": "port", "rich_rule": "rich-rule", "source": "source"}[kind]
            by_zone.setdefault(trusted if kind == "source" else zone, []).append(f"--{verb}-{option}={value}")
        return by_zone

    for verb, rules in (("add", change.add), ("remove", change.remove)):
        for target_zone, opts in options(rules, verb).items():
            runner.run([*permanent, f"--zone={target_zone}", *opts])
    if change.add or change.remove:
        runner.run([binary, "--reload"])
    state = json.dumps({"rules": [rule_to_record(rule) for rule in wanted]}, indent=2, sort_keys=True) + "\n"
    state_changed = recorded_text != state
    if state_changed and not module.check_mode:
        directory = os.path.dirname(params["state_file"])
        if directory and not os.path.isdir(directory):
            os.makedirs(directory, 0o755)
        tmp = f"{params['state_file']}.homelab-k3s.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(state)
        os.chmod(tmp, 0o644)
        module.atomic_move(tmp, params["state_file"])
    wanted_keys = {rule.key for rule in wanted}
    owned_keys = {rule.key for rule in owned}
    before_rules = [rule for rule in present if rule.key in wanted_keys or rule.key in owned_keys]
    result = _result(runner, wanted, change, _lines(before_rules), _lines(wanted))
    # A first run over rules that were already there only records them (changed, no firewall command).
    result["changed"] = result["changed"] or state_changed
    return result


def _result(runner: Runner, wanted: List[Rule], change, before: str, after: str) -> dict:
    return {
        "changed": bool(runner.commands),
        "rules": [rule_to_record(rule) for rule in wanted],
        "added": [rule_to_record(rule) for rule in change.add],
        "updated": [rule_to_record(rule) for rule in change.update],
        "removed": [rule_to_record(rule) for rule in change.remove],
        "commands": runner.commands,
        "diff": {"before": before, "after": after} if before != after else {},
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "backend": {"type": "str", "required": True, "choices": ["ufw", "firewalld"]},
            "rules": {"type": "list", "elements": "dict", "default": []},
            "ssh_port": {"type": "int", "default": 22},
            "owner_prefix": {"type": "str", "default": "k3s"},
            "default_incoming": {"type": "str", "default": "deny", "choices": ["allow", "deny", "reject"]},
            "default_routed": {"type": "str", "default": "allow", "choices": ["allow", "deny", "reject"]},
            "enabled": {"type": "bool", "default": True},
            "zone": {"type": "str", "default": ""},
            "trusted_zone": {"type": "str", "default": "trusted"},
            "state_file": {"type": "path", "default": "/var/lib/homelab-k3s/firewalld-rules.json"},
        },
        supports_check_mode=True,
    )
    params = module.params
    if not 1 <= params["ssh_port"] <= 65535:
        module.fail_json(msg=f"ssh_port {params['ssh_port']} is not a port: the SSH rule keeps this host reachable.")
    if not params["owner_prefix"].strip():
        module.fail_json(msg="owner_prefix must not be empty: it tells this module's ufw rules from the others.")
    try:
        wanted = normalize_rules(params["rules"], params["ssh_port"])
    except RuleError as error:
        module.fail_json(msg=f"{error}; nothing was changed.")
    result = ufw(module, wanted) if params["backend"] == "ufw" else firewalld(module, wanted)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
