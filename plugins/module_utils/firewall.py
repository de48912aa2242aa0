# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One rule model for ufw and firewalld: parse what is there, plan the exact change, render commands.

A rule is ``(proto, port, source)``: ``proto`` is ``tcp``, ``udp`` or ``any``; ``port`` a port, a range
``low:high`` or ``None`` (every port); ``source`` an address, a network or ``any``. It always means
"accept incoming traffic from source to port". The plan adds what is missing and removes what this
collection put there before and is no longer wanted (ufw: rules whose comment starts with the owner
prefix; firewalld: rules recorded in a state file), so a rule for an address that left goes away.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

PROTOCOLS = ("tcp", "udp", "any")
_PORT = re.compile(r"\A(\d{1,5})(?:[:-](\d{1,5}))?\Z")
_UFW_ANY = {"0.0.0.0/0", "::/0"}
UFW_POLICIES = {"allow": "ACCEPT", "deny": "DROP", "reject": "REJECT"}


class RuleError(ValueError):
    """A rule of the input is malformed; the message names the rule and what to fix."""


class Rule(NamedTuple):
    proto: str
    port: Optional[str]
    source: str
    comment: str = ""

    @property
    def key(self) -> Tuple[str, str, str]:
        return (self.proto, self.port or "", self.source)

    def describe(self) -> str:
        """A readable line, used in diffs: ``allow 10250/tcp from 10.0.0.5  # k3s kubelet``."""
        port = self.port or "all ports"
        proto = "" if self.proto == "any" else f"/{self.proto}"
        text = f"allow {port}{proto} from {self.source}"
        return f"{text}  # {self.comment}" if self.comment else text


def normalize_port(value: object, where: str) -> Optional[str]:
    """``6443``, ``"2379:2380"`` or ``"2379-2380"`` -> ``"6443"`` / ``"2379:2380"``; empty -> None."""
    if value is None or str(value).strip() in ("", "any"):
        return None
    text = str(value).strip()
    match = _PORT.match(text)
    if not match:
        raise RuleError(f"{where}: port '{text}' is not a port (6443) or a range (30000:32767)")
    low = int(match.group(1))
    high = int(match.group(2)) if match.group(2) else low
    if not 1 <= low <= high <= 65535:
        raise RuleError(f"{where}: port '{text}' must be within 1-65535, the low end first")
    return str(low) if low == high else f"{low}:{high}"


def normalize_source(value: object, where: str) -> str:
    """``any``, an address or a network; host networks (/32, /128) become the plain address."""
    text = str(value if value is not None else "any").strip()
    if text in ("", "any") or text in _UFW_ANY:
        return "any"
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise RuleError(f"{where}: source '{text}' is not an IP address or network") from None
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


def normalize_rules(rules: Iterable[dict], ssh_port: Optional[int]) -> List[Rule]:
    """The wanted rules, validated and deduplicated, the SSH rule first (it must never go missing)."""
    result: List[Rule] = []
    seen = set()
    if ssh_port:
        port = normalize_port(ssh_port, "ssh_port")
        result.append(Rule("tcp", port, "any", "k3s ssh"))
        seen.add(result[0].key)
    for index, raw in enumerate(rules):
        where = f"rules[{index}]"
        if not isinstance(raw, dict):
            raise RuleError(f"{where} must be a dict with port, proto, from and comment")
        unknown = set(raw) - {"port", "proto", "from", "comment"}
        if unknown:
            raise RuleError(f"{where} has unknown keys {sorted(unknown)}; use port, proto, from and comment")
        proto = str(raw.get("proto") or "tcp").lower()
        if proto not in PROTOCOLS:
            raise RuleError(f"{where}: proto '{proto}' must be one of {', '.join(PROTOCOLS)}")
        port = normalize_port(raw.get("port"), where)
        source = normalize_source(raw.get("from"), where)
        if port is None and source == "any":
            raise RuleError(f"{where} would accept every port from anywhere: give a port or a source")
        if port and ":" in port and proto == "any":
            raise RuleError(f"{where}: a port range ({port}) needs proto tcp or udp")
        rule = Rule(proto, port, source, str(raw.get("comment") or ""))
        if rule.key not in seen:
            seen.add(rule.key)
            result.append(rule)
    return result


class Plan(NamedTuple):
    add: List[Rule]
    update: List[Rule]
    remove: List[Rule]


def plan(wanted: Sequence[Rule], present: Sequence[Rule], owned: Sequence[Rule]) -> Plan:
    """What to add (missing), update (comment differs) and remove (owned, present, no longer wanted)."""
    present_by_key: Dict[Tuple[str, str, str], Rule] = {rule.key: rule for rule in present}
    wanted_keys = {rule.key for rule in wanted}
    add = [rule for rule in wanted if rule.key not in present_by_key]
    update = [
        rule
        for rule in wanted
        if rule.key in present_by_key and rule.comment and present_by_key[rule.key].comment != rule.comment
    ]
    removed = set()
    remove = []
    for rule in owned:
        if rule.key not in wanted_keys and rule.key in present_by_key and rule.key not in removed:
            removed.add(rule.key)
            remove.append(present_by_key[rule.key])
    return Plan(add, update, remove)


# ---------------------------------------------------------------- ufw


def parse_ufw_tuples(text: str) -> List[Rule]:
    """The plain incoming allow rules of a ufw user.rules/user6.rules file (``### tuple ###`` lines).

    Rules of other shapes (deny, limit, routed, to a given destination, from a source port, with
    application profiles or an interface) are not in this model and are left out.
    """
    rules: List[Rule] = []
    for line in text.splitlines():
        if not line.startswith("### tuple ### "):
            continue
        body = line[len("### tuple ### ") :].strip()
        comment = ""
        if " comment=" in body:
            body, _sep, encoded = body.rpartition(" comment=")
            try:
                comment = bytes.fromhex(encoded.strip()).decode("utf-8", "replace")
            except ValueError:
                comment = ""
        fields = body.split()
        if len(fields) != 7:
            continue
        action, proto, dport, dst, sport, src, direction = fields
        if action != "allow" or direction != "in" or dst not in _UFW_ANY or sport != "any":
            continue
        if proto not in PROTOCOLS:
            continue
        port = None if dport == "any" else dport
        source = "any" if src in _UFW_ANY else src
        rules.append(Rule(proto, port, source, comment))
    return rules


def merge_families(*lists: Sequence[Rule]) -> List[Rule]:
    """IPv4 and IPv6 files list a rule from anywhere twice: keep each rule once."""
    seen = set()
    result = []
    for rules in lists:
        for rule in rules:
            if rule.key not in seen:
                seen.add(rule.key)
                result.append(rule)
    return result


def ufw_rule_args(rule: Rule, delete: bool = False) -> List[str]:
    """The ufw command line (after ``ufw``) that adds, updates or deletes the rule."""
    args = ["delete"] if delete else []
    args.append("allow")
    if rule.proto != "any":
        args += ["proto", rule.proto]
    args += ["from", rule.source]
    if rule.port:
        args += ["to", "any", "port", rule.port]
    if rule.comment and not delete:
        args += ["comment", rule.comment]
    return args


def parse_shell_assignments(text: str) -> Dict[str, str]:
    """``KEY=value`` and ``KEY="value"`` lines of /etc/ufw/ufw.conf and /etc/default/ufw."""
    values = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _sep, value = line.partition("=")
        values[key.strip()] = value.strip().strip("\"'")
    return values


# ---------------------------------------------------------------- firewalld


def firewalld_target(rule: Rule) -> Tuple[str, str]:
    """Where a rule lives in firewalld: ``("port", "6443/tcp")``, ``("rich_rule", ...)`` or ``("source", net)``.

    Ports open to anyone are zone ports; ports open to given sources are rich rules; a source with
    no port is trusted as a whole (a source of the trusted zone).
    """
    if rule.port is None:
        if rule.proto != "any":
            raise RuleError(f"firewalld trusts a source for every protocol: set proto any for {rule.source}")
        return ("source", rule.source)
    port = rule.port.replace(":", "-")
    if rule.proto == "any":
        raise RuleError(f"firewalld needs proto tcp or udp for port {rule.port} (from {rule.source})")
    if rule.source == "any":
        return ("port", f"{port}/{rule.proto}")
    family = "ipv6" if ":" in rule.source else "ipv4"
    return (
        "rich_rule",
        f'rule family="{family}" source address="{rule.source}" port port="{port}" protocol="{rule.proto}" accept',
    )


_RICH = re.compile(
    r'\Arule family="(ipv4|ipv6)" source address="([^"]+)" port port="([0-9-]+)" protocol="(tcp|udp)" accept\Z'
)


def parse_firewalld(ports: str, rich_rules: str, sources: str) -> List[Rule]:
    """The rules of this model in the output of ``--list-ports``, ``--list-rich-rules`` and ``--list-sources``."""
    rules: List[Rule] = []
    for item in ports.split():
        port, _sep, proto = item.partition("/")
        if proto in ("tcp", "udp"):
            rules.append(Rule(proto, port.replace("-", ":"), "any"))
    for line in rich_rules.splitlines():
        match = _RICH.match(" ".join(line.split()))
        if match:
            _family, address, port, proto = match.groups()
            try:
                source = normalize_source(address, "rich rule")
            except RuleError:
                continue
            rules.append(Rule(proto, port.replace("-", ":"), source))
    for item in sources.split():
        try:
            rules.append(Rule("any", None, normalize_source(item, "source")))
        except RuleError:
            continue
    return rules


def rule_to_record(rule: Rule) -> dict:
    return {"proto": rule.proto, "port": rule.port, "from": rule.source, "comment": rule.comment}


def rule_from_record(record: dict) -> Optional[Rule]:
    """A rule read back from the firewalld state file; None when the record is unreadable."""
    try:
        proto = str(record.get("proto") or "any")
        if proto not in PROTOCOLS:
            return None
        return Rule(
            proto,
            normalize_port(record.get("port"), "state"),
            normalize_source(record.get("from"), "state"),
            str(record.get("comment") or ""),
        )
    except (RuleError, AttributeError):
        return None
