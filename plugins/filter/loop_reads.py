# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: loop_reads
short_description: The read of each host of a loop, whether the loop made it or the run had made it before
version_added: 0.3.0
author: homelab.k3s contributors
description:
  - A task that reads several hosts (a loop with C(delegate_to)) skips the hosts this run has read already. This
    filter returns, by host, the loop's own result for the hosts it read (unreachable ones included, as the loop
    marked them) and the earlier read for the hosts it skipped.
  - The agent role reads the servers this way, so that the servers of the run are read once, not once per
    agent.
positional: earlier
options:
  _input:
    description: The C(results) of the loop; each has the host in C(item).
    type: list
    elements: dict
    required: true
  earlier:
    description: The reads this run made before, by host (hosts without one may be missing or map to C({})).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Keep what the servers hold
  ansible.builtin.set_fact:
    __facts_by_server: >-
      {{ __probe.results | homelab.k3s.loop_reads(dict(groups['server'] | zip(groups['server']
         | map('extract', hostvars, '__k3s_node_facts') | map('default', {})))) }}
"""

RETURN = r"""
_value:
  description: By host, its k3s_facts result.
  type: dict
"""

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError


def loop_reads(results: list[Any], earlier: Mapping[str, Any]) -> dict[str, Any]:
    """By host: the loop's result, or the earlier read for a host the loop skipped."""
    if not isinstance(results, list) or not isinstance(earlier, Mapping):
        raise AnsibleFilterError("loop_reads: the input must be a loop's results and earlier a dict by host")
    reads: dict[str, Any] = {}
    for result in results:
        if not isinstance(result, Mapping) or "item" not in result:
            raise AnsibleFilterError("loop_reads: every result must have the host it read in 'item'")
        host = str(result["item"])
        if result.get("skipped"):
            read = earlier.get(host)
            if not read:
                raise AnsibleFilterError(f"loop_reads: the loop skipped {host} but the run has no read of it")
            reads[host] = read
        else:
            reads[host] = result
    return reads


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"loop_reads": loop_reads}
