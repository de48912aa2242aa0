# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The input check every filter that takes a mapping of role settings makes first."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError


def checked_settings(settings: Any, keys: Iterable[str], plugin: str) -> Mapping[str, Any]:
    """``settings`` when it is a mapping holding every key of ``keys``; otherwise an error naming the filter."""
    if not isinstance(settings, Mapping):
        raise AnsibleFilterError(f"{plugin} expects a mapping of settings, got {type(settings).__name__}")
    missing = [key for key in keys if key not in settings]
    if missing:
        raise AnsibleFilterError(f"{plugin}: the settings lack {', '.join(missing)}")
    return settings
