# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The output of `systemctl show`: Key=Value lines, read by k3s_facts and node_probe."""

from __future__ import annotations

from typing import Any, Dict, List


def parse_systemctl_show(output: str) -> Dict[str, Any]:
    """The properties of one unit's block; EnvironmentFiles as a list of paths (always present)."""
    values: Dict[str, Any] = {}
    environment_files: List[str] = []
    for line in output.splitlines():
        key, equals, value = line.partition("=")
        if not equals:
            continue
        if key == "EnvironmentFiles":
            # "path (ignore_errors=yes)", one per line
            if value.strip():
                environment_files.append(value.split(" (", 1)[0].strip())
        else:
            values[key] = value
    values["EnvironmentFiles"] = environment_files
    return values
