# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The node name k3s registers for an inventory host (the k3s role's rule), read from hostvars."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def node_name(hostvars: Mapping[str, Any], host: str) -> str:
    """k3s_node_name, else the host's gathered nodename, else its inventory name; lower case as k3s makes it.

    A host that is not in ``hostvars`` (or has no facts: unreachable, not gathered) falls back to its name.
    """
    try:
        variables = hostvars[host]
    except (KeyError, TypeError):
        variables = {}
    if not isinstance(variables, Mapping):
        variables = {}
    facts = variables.get("ansible_facts")
    nodename = facts.get("nodename") if isinstance(facts, Mapping) else None
    return str(variables.get("k3s_node_name") or nodename or host).lower()
