# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the base role puts on a node: the cluster's addresses, the firewall rules k3s needs, the packages
(base_host_addresses, base_firewall_rules and base_packages filters)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.plugin_utils.filter_input import checked_settings
from ansible_collections.homelab.k3s.plugins.plugin_utils.node_identity import host_vars

FIREWALL_SETTINGS = (
    "host",
    "addresses",
    "server_hosts",
    "ssh_port",
    "api_sources",
    "wireguard",
    "nodeports",
    "extra_rules",
)


def _names(value: Any, plugin: str, what: str) -> list[str]:
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise AnsibleFilterError(f"{plugin}: {what} must be a list of names, not {value!r}")


def base_host_addresses(hosts: Any, hostvars: Any) -> dict[str, str]:
    """{host: address} of the cluster's nodes: base_host_address, else ansible_host, else the inventory name."""
    hosts = _names(hosts, "base_host_addresses", "the input")
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError("base_host_addresses: pass hostvars as the first argument")
    addresses = {}
    for host in hosts:
        variables = host_vars(hostvars, host)
        value = variables.get("base_host_address", variables.get("ansible_host", host))
        addresses[host] = host if value is None else str(value)
    return addresses


def _rule(port: Any, proto: str, sources: Any, comment: str) -> dict[str, Any]:
    return {"port": str(port), "proto": proto, "from": sources, "comment": comment}


def _sources(value: Any) -> list[str]:
    """A rule's sources: a list of addresses or networks, one of them, or none (any)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(source) for source in value]


def base_firewall_rules(settings: Any) -> list[dict[str, str]]:
    """The ports k3s needs (https://docs.k3s.io/installation/requirements), one rule per source address.

    Each rule is {port, proto, from, comment}; ``from`` is ``any`` for a rule without sources, the comment starts
    with ``k3s``.
    """
    checked_settings(settings, FIREWALL_SETTINGS, "base_firewall_rules")
    addresses = settings["addresses"]
    if not isinstance(addresses, Mapping):
        raise AnsibleFilterError("base_firewall_rules: addresses must map each cluster host to its address")
    server_hosts = _names(settings["server_hosts"], "base_firewall_rules", "server_hosts")
    nodes = [str(address) for address in addresses.values()]
    servers = [str(addresses[host]) for host in server_hosts if host in addresses]
    rules = [_rule(settings["ssh_port"], "tcp", [], "ssh")]
    if settings["host"] in server_hosts:
        rules.append(_rule(6443, "tcp", _sources(settings["api_sources"]), "api"))
        rules.append(_rule("2379:2380", "tcp", servers, "etcd"))
    rules.append(_rule(10250, "tcp", nodes, "kubelet"))
    rules.append(_rule(8472, "udp", nodes, "flannel vxlan"))
    if settings["wireguard"]:
        rules.append(_rule("51820:51821", "udp", nodes, "flannel wireguard"))
    if settings["nodeports"]:
        rules.append(_rule("30000:32767", "tcp", [], "nodeports"))
        rules.append(_rule("30000:32767", "udp", [], "nodeports"))
    for index, extra in enumerate(settings["extra_rules"] or []):
        if not isinstance(extra, Mapping) or "port" not in extra:
            raise AnsibleFilterError(
                f"base_firewall_extra_rules: item {index} must be a dictionary with at least a port"
                f" ({{port, proto, from, comment}}), not {extra!r}"
            )
        rules.append(
            _rule(extra["port"], extra.get("proto") or "tcp", _sources(extra.get("from")), extra.get("comment") or "")
        )
    return [
        {
            "port": rule["port"],
            "proto": rule["proto"],
            "from": source,
            "comment": f"k3s {rule['comment']}".strip(),
        }
        for rule in rules
        for source in rule["from"] or ["any"]
    ]


def base_packages(packages: Any, aliases: Any = None) -> list[str]:
    """The packages to install under this family's names, without repeats; an empty alias drops a package."""
    packages = [p for p in (packages or []) if p is not None]
    names = _names(packages, "base_packages", "the packages (base_packages, base_packages_extra)")
    if aliases is None:
        aliases = {}
    if not isinstance(aliases, Mapping):
        raise AnsibleFilterError(f"base_packages: aliases must map a package to this family's name, not {aliases!r}")
    chosen: list[str] = []
    for package in names:
        name = aliases.get(package, package)
        if name and name not in chosen:
            chosen.append(str(name))
    return chosen
