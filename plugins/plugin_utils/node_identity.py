# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who a host is to the cluster: its Kubernetes node name, the address other nodes reach it at, the API URL,
whether it is a container.

The one home of these rules (node_name, node_addresses, api_url and in_container filters); the roles read them
from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

# The virtualization_type facts of a guest that is a container (no kernel, no reboot, no clock of its own).
CONTAINER_TYPES = ("container", "docker", "podman", "lxc", "containerd", "systemd-nspawn", "openvz")


def in_container(facts: Any) -> bool:
    """Whether the host of ``facts`` (its ansible_facts) is a container: a guest of a container type."""
    if not isinstance(facts, Mapping):
        raise AnsibleFilterError(f"in_container: pass the host's ansible_facts, not {type(facts).__name__}")
    return facts.get("virtualization_role") == "guest" and facts.get("virtualization_type") in CONTAINER_TYPES


def host_vars(hostvars: Any, host: str) -> Mapping[str, Any]:
    """The variables of one host; empty when the host is not in ``hostvars``."""
    try:
        found = hostvars[host]
    except (KeyError, TypeError, AttributeError):
        return {}
    return found if isinstance(found, Mapping) else {}


def _text(value: Any) -> str:
    """A variable as text; an undefined, null or empty one is ''."""
    return "" if value is None else str(value).strip()


def _fact(variables: Mapping[str, Any], *keys: str) -> str:
    value: Any = variables.get("ansible_facts")
    for key in keys:
        if not isinstance(value, Mapping):
            return ""
        value = value.get(key)
    return _text(value)


def node_name(variables: Mapping[str, Any], host: str, name: Any = None) -> str:
    """The name k3s registers the host's node under, lower-cased.

    ``name`` (the host's k3s_node_name as the play sees it), else the node name the k3s role settled on
    (``__k3s_node_name``), else k3s_node_name, else the host's own name (the nodename fact), else the
    inventory name.
    """
    if name is None:
        chosen = _text(variables.get("__k3s_node_name")) or _text(variables.get("k3s_node_name"))
    else:
        chosen = _text(name)
    return (chosen or _fact(variables, "nodename") or host).lower()


def node_address(variables: Mapping[str, Any], host: str) -> str:
    """The address other nodes reach the host at: the first k3s_node_ip, the default route's address,
    ansible_host, else the inventory name."""
    return (
        _text(variables.get("k3s_node_ip")).split(",", maxsplit=1)[0].strip()
        or _fact(variables, "default_ipv4", "address")
        or _text(variables.get("ansible_host", host))
        or host
    )


def api_url(address: str, port: Any = 6443) -> str:
    """The https URL of a Kubernetes API at an address (IPv6 in brackets) and port; '' without an address."""
    address = _text(address)
    if not address:
        return ""
    host = f"[{address}]" if ":" in address and not address.startswith("[") else address
    return f"https://{host}:{port}"


def host_list(value: Any, plugin: str) -> list[str]:
    """The host names a filter was given: one name or a list of them."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(h, str) for h in value):
        return list(value)
    raise AnsibleFilterError(f"{plugin}: the input must be an inventory host name or a list of them, not {value!r}")


def check_hostvars(hostvars: Any, plugin: str) -> None:
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError(f"{plugin}: pass hostvars as the first argument, e.g. {plugin}(hostvars)")
