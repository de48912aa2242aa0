# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of role settings: k3s flag dictionaries, their merge, networks that must not overlap, addresses.

The config_problems, config_merge, cidr_problems and address_problems filters and the server_problems,
k3s_problems and agent_problems filters use these; RESERVED_FLAGS is the one table of the flags the roles set
themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

try:
    import netaddr
except ImportError:  # pragma: no cover - reported when a check that needs it is used
    netaddr = None

_SCALARS = (str, int, float, bool)

# The k3s flags the roles set themselves (secrets, cluster membership, the data directory), each with what a
# user sets instead, by the kind of node whose flags are checked: "server" (server_config), "agent"
# (agent_config). k3s_config ("node") is read by servers and agents both: a flag the roles set on either kind is
# reserved there, with the hints of both kinds joined by " / ", or its own "node" hint.
RESERVED_FLAGS: dict[str, dict[str, str]] = {
    "token": {"server": "server_token", "agent": "agent_token"},
    "token-file": {"server": "server_token", "agent": "agent_token"},
    "agent-token": {"server": "agent_token"},
    "agent-token-file": {"server": "agent_token"},
    "server": {
        "server": "the cluster (new servers join through a running member)",
        "agent": "agent_server_url",
        "node": "agent_server_url (agents) or the cluster (servers join through a running member)",
    },
    "cluster-init": {"server": "server_datastore"},
    "datastore-endpoint": {"server": "server_datastore_endpoint"},
    "write-kubeconfig-mode": {"server": "server_kubeconfig_mode"},
    "data-dir": {"server": "k3s_data_dir", "agent": "k3s_data_dir"},
}
NODE_KINDS = ("server", "agent")
SHARED_KIND = "node"


def reserved_flags(kind: str) -> dict[str, str]:
    """{flag: what to set instead} of the flags the roles set on ``kind`` of node: ``server``, ``agent``, or
    ``node`` for the flags every node reads (k3s_config)."""
    if kind in NODE_KINDS:
        return {flag: hints[kind] for flag, hints in RESERVED_FLAGS.items() if kind in hints}
    if kind != SHARED_KIND:
        raise AnsibleFilterError(
            f"reserved_flags: the kind of node is {', '.join(NODE_KINDS)} or {SHARED_KIND}, not {kind!r}"
        )
    table = {}
    for flag, hints in RESERVED_FLAGS.items():
        joined = _unique([hints[each] for each in NODE_KINDS if each in hints])
        table[flag] = hints.get(SHARED_KIND) or " / ".join(joined)
    return table


def _is_flag_value(value):
    if isinstance(value, _SCALARS):
        return True
    return isinstance(value, list) and all(isinstance(item, _SCALARS) for item in value)


def config_problems(config, source="config", reserved=None):
    """Return messages for keys and values k3s would not accept or the roles manage themselves."""
    if config is None:
        return []
    if not isinstance(config, Mapping):
        return [f"{source} must be a dictionary of k3s flags (flag name: value), got {type(config).__name__}"]
    reserved = reserved or {}
    problems = []
    for key, value in config.items():
        if not isinstance(key, str) or not key or key.startswith("-") or any(c.isspace() for c in key):
            hint = "write it without leading dashes, e.g. 'disable'"
            problems.append(f"{source}: {key!r} is not a k3s flag name; {hint}")
            continue
        if key in reserved:
            problems.append(f"{source}: '{key}' is set by the roles; use {reserved[key]} instead")
        if value is not None and not _is_flag_value(value):
            problems.append(
                f"{source}: the value of '{key}' must be a string, number, boolean or a list of those,"
                f" got {type(value).__name__}"
            )
    return problems


def _unique(items):
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def config_merge(base, *overrides):
    """Merge flat k3s flag dictionaries: scalars replace, lists accumulate, null removes."""
    layers = [base, *overrides]
    merged: dict[str, Any] = {}
    for position, layer in enumerate(layers):
        if layer is None:
            continue
        if not isinstance(layer, Mapping):
            raise AnsibleFilterError(
                f"config_merge: argument {position} must be a dictionary of k3s flags, got {type(layer).__name__}"
            )
        for key, value in layer.items():
            if value is None:
                merged.pop(key, None)
            elif isinstance(value, list) and isinstance(merged.get(key), list):
                merged[key] = _unique([*merged[key], *value])
            elif isinstance(value, list):
                merged[key] = _unique(value)
            else:
                merged[key] = value
    return merged


def _split(value):
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _cidr(text):
    if "/" not in text:
        raise ValueError("no prefix length")
    return netaddr.IPNetwork(text).cidr


def _overlap(a, b):
    return a.version == b.version and a.first <= b.last and b.first <= a.last


def cidr_problems(named):
    """Return messages for invalid networks and for overlaps between differently named networks."""
    if netaddr is None:
        raise AnsibleFilterError("cidr_problems needs the Python library netaddr on the controller")
    if not isinstance(named, Mapping):
        raise AnsibleFilterError(f"cidr_problems expects a mapping of name to network, got {type(named).__name__}")
    problems = []
    parsed = []  # (group, label, network)
    for name, value in named.items():
        members = value.items() if isinstance(value, Mapping) else [(None, value)]
        by_network: dict[Any, Any] = {}
        for label, member in members:
            if member in (None, "", []):
                continue
            for text in _split(member):
                try:
                    network = _cidr(text)
                except (ValueError, netaddr.AddrFormatError):
                    where = f"{name} of {label}" if label is not None else name
                    problems.append(f"{where}: '{text}' is not a network in CIDR notation (e.g. 10.42.0.0/16)")
                    continue
                labels = by_network.setdefault(network, [])
                if label is not None and label not in labels:
                    labels.append(label)
        for network, labels in by_network.items():
            parsed.append((name, f"{name} of {', '.join(labels)}" if labels else name, network))
    for index, (group_a, label_a, net_a) in enumerate(parsed):
        for group_b, label_b, net_b in parsed[index + 1 :]:
            if group_a != group_b and _overlap(net_a, net_b):
                problems.append(f"{label_a} {net_a} overlaps {label_b} {net_b}")
    return problems


def _network(text):
    return netaddr.IPNetwork(text).cidr if "/" in text else netaddr.IPNetwork(str(netaddr.IPAddress(text)))


def _check_inside(address, name, text):
    try:
        network = netaddr.IPNetwork(text)
    except (ValueError, netaddr.AddrFormatError):
        return [f"{name}: '{text}' is not a network in CIDR notation"]
    cidr = network.cidr
    if address.version != cidr.version or address not in cidr:
        return [f"{address} is outside {name} {cidr}"]
    if cidr.version == 4 and cidr.prefixlen < 31 and address in (cidr.network, cidr.broadcast):
        return [f"{address} is the network or broadcast address of {name} {cidr}"]
    return []


def _check_outside(address, name, value):
    problems = []
    for text in _split(value):
        try:
            network = _network(text)
        except (ValueError, netaddr.AddrFormatError):
            problems.append(f"{name}: '{text}' is not an address or network")
            continue
        if network.version != address.version or address not in network:
            continue
        if "/" in text:
            problems.append(f"{address} is inside {name} {network.cidr}")
        else:
            problems.append(f"{address} is already {name}")
    return problems


def address_problems(address, inside=None, outside=None):
    """Return messages when the address is invalid, outside an `inside` network or inside an `outside` one."""
    if netaddr is None:
        raise AnsibleFilterError("address_problems needs the Python library netaddr on the controller")
    for label, mapping in (("inside", inside), ("outside", outside)):
        if mapping is not None and not isinstance(mapping, Mapping):
            raise AnsibleFilterError(f"address_problems: {label} must be a mapping of name to network")
    try:
        if "/" in str(address):
            raise ValueError("prefix given")
        ip = netaddr.IPAddress(str(address).strip())
    except (ValueError, netaddr.AddrFormatError):
        return [f"'{address}' is not an IP address (write it without a prefix length, e.g. 192.168.1.50)"]
    problems = []
    for name, text in (inside or {}).items():
        if text not in (None, ""):
            problems.extend(_check_inside(ip, name, str(text)))
    for name, value in (outside or {}).items():
        if value not in (None, "", []):
            problems.extend(_check_outside(ip, name, value))
    return problems
