# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The checks of the k3s and agent roles' settings on one host, before anything changes
(k3s_problems and agent_problems filters)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ansible_collections.homelab.k3s.plugins.plugin_utils.filter_input import checked_settings
from ansible_collections.homelab.k3s.plugins.plugin_utils.k3s_versions import k3s_version
from ansible_collections.homelab.k3s.plugins.plugin_utils.settings_checks import (
    address_problems,
    config_problems,
    reserved_flags,
)

SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
TAINT = re.compile(r"^[^=:\s]+(=[^=:\s]*)?:(NoSchedule|PreferNoSchedule|NoExecute)$")
K3S_SETTINGS = (
    "host",
    "version",
    "architecture",
    "arch",
    "asset",
    "arches",
    "source",
    "mirror_url",
    "file_dir",
    "sha256",
    "airgap_images",
    "config",
    "node_taints",
    "api_endpoint",
)
AGENT_SETTINGS = (
    "host",
    "group",
    "server_hosts",
    "server_url",
    "url",
    "has_token",
    "plan",
    "check_mode",
    "config",
)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _release_problems(s: Mapping[str, Any]) -> list[str]:
    """The release and where its files come from."""
    problems = []
    version, arch, asset = _text(s["version"]), _text(s["arch"]), _text(s["asset"])
    if k3s_version(version) is None:
        problems.append(f"k3s_version '{version}' is not a pinned k3s release such as v1.31.4+k3s1.")
    if asset == "unsupported":
        problems.append(
            f"The architecture {_text(s['architecture']) or '?'} of {s['host']} has no k3s build"
            " (amd64, arm64 and armhf have)."
        )
    if s["source"] == "url" and not s["mirror_url"]:
        problems.append(
            "k3s_source is url: set k3s_mirror_url to a mirror with the release layout (<url>/<version>/k3s)."
        )
    sha256 = s["sha256"] if isinstance(s["sha256"], Mapping) else {}
    if s["source"] == "file" and asset != "unsupported":
        file_dir = _text(s["file_dir"])
        binary = f"{file_dir}/{asset}"
        if not file_dir or not os.path.isfile(binary):
            problems.append(
                f"k3s_source is file: {s['host']} needs {asset} in k3s_file_dir ('{file_dir}') on the controller."
            )
        elif arch not in sha256 and not os.path.isfile(f"{file_dir}/sha256sum-{arch}.txt"):
            problems.append(
                f"k3s_source is file: put sha256sum-{arch}.txt from the release beside {binary},"
                f" or set k3s_sha256.{arch}."
            )
    problems.extend(
        f"k3s_sha256 maps an architecture (amd64, arm64, arm) to 64 hex digits; '{name}' is not that."
        for name, digest in sha256.items()
        if name not in s["arches"] or not SHA256.match(_text(digest))
    )
    for image in s["airgap_images"] or []:
        image = image if isinstance(image, Mapping) else {"src": image}
        src = _text(image.get("src"))
        if "sha256" not in image and not os.path.isfile(f"{os.path.dirname(src)}/sha256sum-{arch}.txt"):
            problems.append(
                f"k3s_airgap_images: give a sha256 for {src} or put the release's sha256sum-{arch}.txt beside it."
            )
    return problems


def k3s_problems(settings: Any) -> list[str]:
    """One message per problem with the shared k3s settings of ``settings['host']``; empty when there is none.

    Files named by k3s_file_dir and k3s_airgap_images are looked for on the controller, where this runs.
    """
    s = checked_settings(settings, K3S_SETTINGS, "k3s_problems")
    problems = _release_problems(s)
    problems.extend(
        f"{problem}." for problem in config_problems(s["config"], source="k3s_config", reserved=reserved_flags("node"))
    )
    problems.extend(
        f"k3s_node_taints: '{taint}' is not key=value:Effect (Effect NoSchedule, PreferNoSchedule or NoExecute)."
        for taint in s["node_taints"] or []
        if not TAINT.match(_text(taint))
    )
    endpoint = _text(s["api_endpoint"])
    if re.search(r"[/:]", endpoint) and address_problems(endpoint):
        problems.append(f"k3s_api_endpoint is a host name or IP address without scheme or port, not '{endpoint}'.")
    return problems


def _join_problems(s: Mapping[str, Any]) -> list[str]:
    problems = []
    host, group, servers = s["host"], s["group"], list(s["server_hosts"] or [])
    plan = s["plan"] if isinstance(s["plan"], Mapping) else {}
    url = _text(s["url"])
    if host in servers:
        problems.append(
            f"{host} is in the server group '{group}' and runs the agent role:"
            " a k3s server is already a node, keep it out of the agent group."
        )
    if not s["server_url"] and not servers:
        problems.append(f"No server to join: the inventory group '{group}' is empty and agent_server_url is not set.")
    elif not url:
        problems.append(
            f"No server to join: none of {', '.join(servers)} answered ({', '.join(plan.get('unreachable') or [])}"
            " did not). Start a server, or set agent_server_url and agent_token."
        )
    else:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            problems.append(f"agent_server_url must be an https:// URL such as https://k3s.lan:6443, not '{url}'.")
    if not s["has_token"] and not servers:
        problems.append("agent_token is needed when the agent joins a server outside the inventory (agent_server_url).")
    elif not s["has_token"] and not plan.get("token_host") and servers and not s["check_mode"]:
        problems.append(
            f"No running server to read the agent token from: {', '.join(servers)}"
            " hold none or do not answer. Run the server play first, or set agent_token."
        )
    return problems


def agent_problems(settings: Any) -> list[str]:
    """One message per problem with the agent settings of ``settings['host']``; empty when there is none."""
    s = checked_settings(settings, AGENT_SETTINGS, "agent_problems")
    problems = _join_problems(s)
    problems.extend(
        f"{problem}."
        for problem in config_problems(s["config"], source="agent_config", reserved=reserved_flags("agent"))
    )
    return problems
