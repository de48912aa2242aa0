# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the summary role shows besides the cluster: the inventory's nodes and the hosts that failed
(summary_hosts and summary_failures filters)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.plugin_utils.node_identity import host_vars, node_address, node_name

MESSAGE_LENGTH = 240


def _hosts(value: Any, plugin: str, what: str) -> list[str]:
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) and all(isinstance(h, str) for h in value):
        return list(value)
    raise AnsibleFilterError(f"{plugin}: {what} must be a list of inventory host names, not {value!r}")


def summary_hosts(servers: Any, agents: Any, hostvars: Any) -> list[dict[str, str]]:
    """The inventory's nodes, servers first: host, role, address and the node name k3s registers.

    A host in both groups is a server (k3s runs it as one).
    """
    servers = _hosts(servers, "summary_hosts", "the servers")
    agents = _hosts(agents, "summary_hosts", "the agents")
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError("summary_hosts: pass hostvars as the second argument")
    hosts = [(h, "server") for h in servers] + [(h, "agent") for h in agents if h not in servers]
    return [
        {
            "host": h,
            "role": role,
            "address": node_address(host_vars(hostvars, h), h),
            "node_name": node_name(host_vars(hostvars, h), h),
        }
        for h, role in hosts
    ]


def _truncate(text: str, length: int = MESSAGE_LENGTH, end: str = "...", leeway: int = 5) -> str:
    """Shorten at a word boundary, as Jinja's truncate filter does."""
    if len(text) <= length + leeway:
        return text
    return text[: length - len(end)].rsplit(" ", 1)[0] + end


def _failure(hostvars: Any, host: str) -> Mapping[str, Any]:
    failure = host_vars(hostvars, host).get("summary_failure")
    return failure if isinstance(failure, Mapping) else {}


def summary_failures(all_hosts: Any, play_hosts: Any, hostvars: Any) -> dict[str, list[str]]:
    """Which hosts failed (site.yml records summary_failure) or left the run earlier (unreachable or failed).

    Returns ``failed`` (the hosts with a recorded failure) and ``lines`` (what to print after the table).
    """
    all_hosts = _hosts(all_hosts, "summary_failures", "the input (ansible_play_hosts_all)")
    play_hosts = _hosts(play_hosts, "summary_failures", "the hosts still in the play (ansible_play_hosts)")
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError("summary_failures: pass hostvars as the second argument")
    failed = [h for h in all_hosts if _failure(hostvars, h)]
    gone = [h for h in all_hosts if h not in play_hosts and h not in failed]
    lines = []
    if failed or gone:
        lines.append(f"FAILED {len(failed) + len(gone)} of {len(all_hosts)} hosts")
    for h in failed:
        failure = _failure(hostvars, h)
        message = failure.get("message")
        text = re.sub(r"\s+", " ", str("" if message is None else message).replace(": ", " - "))
        lines.append(f"  {h} failed at '{failure.get('task', '?')}' - {_truncate(text)}")
    lines.extend(f"  {h} did not reach the summary (unreachable, or failed where the recap shows)" for h in gone)
    return {"failed": failed, "lines": lines}
