# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The checks of the server role's settings on one host, before anything changes (server_problems filter)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ansible_collections.homelab.k3s.plugins.plugin_utils.filter_input import checked_settings
from ansible_collections.homelab.k3s.plugins.plugin_utils.settings_checks import (
    address_problems,
    cidr_problems,
    config_merge,
    config_problems,
    reserved_flags,
)

PACKAGED_COMPONENTS = ("traefik", "servicelb", "local-storage", "metrics-server", "coredns", "runtimes")
DATASTORE_URL = re.compile(r"^(postgres|mysql|https?)://|^unix://")
KUBECONFIG_MODE = re.compile(r"^0[0-7]{3}$")
SETTINGS = (
    "host",
    "group",
    "server_hosts",
    "node_hosts",
    "datastore",
    "etcd_allow_even",
    "datastore_endpoint",
    "api_endpoint",
    "config",
    "k3s_config",
    "flags",
    "disable",
    "kubeconfig_mode",
    "kube_vip",
    "kube_vip_address",
    "kube_vip_interface",
)


def _facts(hostvars: Mapping[str, Any], host: str) -> Mapping[str, Any]:
    """A host's gathered facts; empty when the host has none (not gathered, not in the inventory)."""
    try:
        facts = hostvars[host].get("ansible_facts")
    except (KeyError, AttributeError):
        return {}
    return facts if isinstance(facts, Mapping) else {}


def _interface_facts(facts: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    """The facts of a network interface: Ansible names them with '-' and '.' made '_'."""
    found = facts.get(name.replace("-", "_").replace(".", "_"))
    return found if isinstance(found, Mapping) else None


def _node_networks(hostvars: Mapping[str, Any], hosts: list[str]) -> dict[str, str]:
    networks = {}
    for host in hosts:
        ipv4 = _facts(hostvars, host).get("default_ipv4")
        if isinstance(ipv4, Mapping) and "network" in ipv4 and "netmask" in ipv4:
            networks[host] = f"{ipv4['network']}/{ipv4['netmask']}"
    return networks


def _count_problems(s: Mapping[str, Any]) -> list[str]:
    problems = []
    group, count, datastore = s["group"], len(s["server_hosts"]), s["datastore"]
    if s["host"] not in s["server_hosts"]:
        problems.append(
            f"{s['host']} runs the server role but is not in the inventory group '{group}' (k3s_server_group)."
        )
    if datastore == "sqlite" and count > 1:
        problems.append(
            f"server_datastore sqlite holds one server, the group '{group}' has {count}: use etcd"
            " (an odd number of servers, 3 or more) or external."
        )
    if datastore == "etcd" and count % 2 == 0 and not s["etcd_allow_even"]:
        problems.append(
            f"Embedded etcd needs an odd number of servers (1, 3, 5 ...) to keep quorum; the group '{group}' has"
            f" {count}. Add or remove a server, use server_datastore external, or set server_etcd_allow_even: true"
            " if an even count is meant (e.g. while replacing a server)."
        )
    if datastore == "external":
        if not DATASTORE_URL.match(str(s["datastore_endpoint"] or "")):
            problems.append(
                "server_datastore external needs server_datastore_endpoint, a postgres://, mysql:// or"
                " http(s):// (etcd) URL."
            )
        if count > 1 and not s["api_endpoint"]:
            problems.append(
                f"An external datastore with {count} servers needs k3s_api_endpoint (a load balancer, DNS name or"
                " kube-vip address) as the fixed registration address."
            )
    return problems


def _setting_problems(s: Mapping[str, Any]) -> list[str]:
    problems = [
        f"{problem}."
        for problem in config_problems(s["config"], source="server_config", reserved=reserved_flags("server"))
    ]
    problems.extend(
        f"server_disable: '{component}' is not a packaged component (traefik, servicelb, local-storage,"
        " metrics-server, coredns, runtimes)."
        for component in s["disable"] or []
        if component not in PACKAGED_COMPONENTS
    )
    mode = s["kubeconfig_mode"]
    if not KUBECONFIG_MODE.match(str(mode)):
        problems.append(f"server_kubeconfig_mode is a quoted octal mode such as \"0600\", not '{mode}'.")
    return problems


def _kube_vip_problems(s: Mapping[str, Any], hostvars: Mapping[str, Any], cluster: Mapping[str, Any]) -> list[str]:
    inside: dict[str, str] = {}
    outside: dict[str, Any] = dict(cluster)
    for host in s["server_hosts"]:
        try:
            chosen = hostvars[host].get("server_kube_vip_interface")
        except (KeyError, AttributeError):
            chosen = None
        iface = _interface_facts(_facts(hostvars, host), str(chosen or s["kube_vip_interface"] or ""))
        ipv4 = iface.get("ipv4") if iface else None
        if isinstance(ipv4, Mapping):
            inside[f"the network of {host}"] = f"{ipv4['address']}/{ipv4['netmask']}"
            outside[f"the address of {host}"] = ipv4["address"]
    problems = [
        f"server_kube_vip_address: {problem}."
        for problem in address_problems(s["kube_vip_address"], inside=inside, outside=outside)
    ]
    own = s["kube_vip_interface"] or ""
    if not own or _interface_facts(_facts(hostvars, s["host"]), own) is None:
        problems.append(f"server_kube_vip_interface: {s['host']} has no interface '{own}'.")
    return problems


def server_problems(settings: Mapping[str, Any], hostvars: Mapping[str, Any]) -> list[str]:
    """One message per problem with the server settings of ``settings['host']``; empty when there is none.

    ``settings`` holds the role's values (see SETTINGS); ``hostvars`` gives the gathered facts of the hosts
    (``default_ipv4`` of every node, the kube-vip interface of every server) and each server's own
    ``server_kube_vip_interface``.
    """
    checked_settings(settings, SETTINGS, "server_problems")
    problems = _count_problems(settings) + _setting_problems(settings)
    # A server_config that is not a dictionary was reported above; the networks are checked without it.
    layers = [layer if isinstance(layer, Mapping) else None for layer in (settings["k3s_config"], settings["config"])]
    merged = config_merge(settings["flags"], *layers)
    cluster = {"cluster-cidr": merged.get("cluster-cidr", ""), "service-cidr": merged.get("service-cidr", "")}
    networks = {**cluster, "the node network": _node_networks(hostvars, list(settings["node_hosts"]))}
    problems.extend(
        f"{problem}: pick networks that do not overlap (server_cluster_cidr, server_service_cidr)."
        for problem in cidr_problems(networks)
    )
    if settings["kube_vip"]:
        problems.extend(_kube_vip_problems(settings, hostvars, cluster))
    return problems
