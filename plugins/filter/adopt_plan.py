# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: adopt_plan
short_description: Decide how to take over a k3s node that another installer set up
version_added: 0.2.0
author: homelab.k3s contributors
description:
  - Compares what a k3s node runs, as M(homelab.k3s.k3s_facts) reads it (unit, its command line arguments,
    environment file, C(config.yaml), datastore, token, binary), with what the inventory asks for.
  - A node whose unit this collection wrote is not taken over; a node without a k3s unit neither.
  - Returns the settings that would re-create the cluster or change its identity (another token, another
    datastore, C(cluster-init) on a server that joined, a server that started the cluster placed after another,
    other cluster or service CIDRs, another data directory, a server turned agent or back) as problems that
    name the setting and the value found on the node, and otherwise one line per thing the takeover changes.
  - Secret values (tokens, datastore endpoints, S3 keys) are compared by their sha256 and shown, if at all, as
    the first 12 hex digits of it.
positional: wanted
options:
  _input:
    description: The result of M(homelab.k3s.k3s_facts) on the node.
    type: dict
    required: true
  wanted:
    description:
      - What the inventory asks for. C(host); C(mode) (V(server) or V(agent)); C(datastore) (V(sqlite), V(etcd),
        V(external)); C(datastore_endpoint); C(config) (the C(config.yaml) the role writes); C(env) (the
        environment file the role writes, empty values left out); C(env_later) (keys whose value is only known
        once the first server is read); C(token) and C(token_setting) (C(server_token) or C(agent_token) and its
        name; may be empty); C(cluster_tokens) (for agents, the sha256 of the secrets of the first server's token
        files); C(version); C(data_dir).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Read the node
  homelab.k3s.k3s_facts:
  register: facts

- name: Plan the takeover of a server
  ansible.builtin.set_fact:
    plan: >-
      {{ facts | homelab.k3s.adopt_plan({'host': inventory_hostname, 'mode': 'server', 'datastore': 'etcd',
                                          'config': {'cluster-init': true}, 'version': 'v1.31.4+k3s1'}) }}
"""

RETURN = r"""
_value:
  description: The decision for this node.
  type: dict
  contains:
    installed:
      description: A k3s unit is on the node.
      type: bool
    takeover:
      description: The unit was written by another installer; the role takes the node over.
      type: bool
    writer:
      description: Who wrote the unit (C(install-script), C(other), C(homelab.k3s), C(none)).
      type: str
    service:
      description: The unit found (C(k3s) or C(k3s-agent)), empty when none.
      type: str
    problems:
      description: Settings that would re-create the cluster or change its identity; empty when it is safe.
      type: list
      elements: str
    changes:
      description: One line per thing the takeover changes (binary, unit, environment, config keys, restart).
      type: list
      elements: str
    settings:
      description: The k3s settings the node runs with (unit arguments, environment, C(config.yaml)), secrets hashed.
      type: dict
"""

import hashlib
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.module_utils.k3s_facts import SECRET_FLAGS
from ansible_collections.homelab.k3s.plugins.plugin_utils.node_settings import read_node

# Config keys whose values are secrets: the same list the k3s_facts probe hashes.
SECRET_KEYS = SECRET_FLAGS
SECRET_ENV = frozenset({"K3S_TOKEN", "K3S_AGENT_TOKEN", "K3S_DATASTORE_ENDPOINT", "K3S_CLUSTER_SECRET", "K3S_VPN_AUTH"})
DEFAULTS = {
    "cluster-cidr": "10.42.0.0/16",
    "service-cidr": "10.43.0.0/16",
    "data-dir": "/var/lib/rancher/k3s",
}
SERVICES = {"server": "k3s", "agent": "k3s-agent"}


def _sha256(value) -> str:
    return hashlib.sha256(str(value).encode()).hexdigest()


def _digest(value) -> str:
    """A secret as k3s_facts reports it: sha256:<hex>; a value that already is one stays as it is."""
    text = str(value)
    return text if text.startswith("sha256:") else "sha256:" + _sha256(text)


def token_secret(token) -> str:
    """The secret of a k3s token: the password of K10<ca hash>::<user>:<password>, else the token itself."""
    text = str(token or "").strip()
    if text.startswith("K10") and "::" in text:
        text = text.split("::", 1)[1].split(":", 1)[-1]
    return text


def _norm(value):
    """Compare flags the way k3s reads them: one value or a list, split on commas and sorted."""
    if isinstance(value, bool):
        return value
    items = []
    for item in value if isinstance(value, list) else [value]:
        items += [part.strip() for part in str(item).split(",")]
    return sorted(item for item in items if item != "")


def _show(key: str, value) -> str:
    """A value for a plan line: secrets as a short sha256, lists joined by commas."""
    if key in SECRET_KEYS or key in SECRET_ENV:
        return _short(value)
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def _short(value) -> str:
    return _digest(value)[: len("sha256:") + 12]


def _setting(node: dict, name: str):
    return node["settings"].get(name, DEFAULTS.get(name))


def _where(node: dict, name: str) -> str:
    return node["sources"].get(name, "the k3s default")


def identity_problems(node: dict, wanted: Mapping) -> list[str]:
    """Settings of the inventory that would re-create the cluster or change its identity."""
    host = wanted.get("host", "this node")
    mode = wanted.get("mode", "server")
    config = wanted.get("config") or {}
    problems = []
    if node["mode"] and node["mode"] != mode:
        problems.append(
            f"{host} runs k3s as {node['mode']} ({node['service']}.service) but the inventory puts it in the {mode}"
            f" group: move it to the {node['mode']} group, or remove it from the cluster first"
        )
        return problems
    data_dir = str(wanted.get("data_dir") or DEFAULTS["data-dir"])
    if str(_setting(node, "data-dir")).rstrip("/") != data_dir.rstrip("/"):
        problems.append(
            f"k3s_data_dir: {host} keeps its data in {_setting(node, 'data-dir')} ({_where(node, 'data-dir')}),"
            f" the inventory says {data_dir}: set k3s_data_dir: {_setting(node, 'data-dir')}"
        )
    token = token_secret(wanted.get("token") or "")
    setting = wanted.get("token_setting") or ("server_token" if mode == "server" else "agent_token")
    if mode == "server":
        known, where = ([node["token"]] if node["token"] else []), "its server token file"
    else:
        known, where = [t for t in wanted.get("cluster_tokens") or [] if t], "the first server's token files"
    if token and known and _sha256(token) not in known:
        problems.append(
            f"{setting}: {host} belongs to a cluster with another token ({where}: secret sha256"
            f" {known[0][:12]}); the inventory's token has secret sha256 {_sha256(token)[:12]}: set {setting} to the"
            " cluster's token, or leave it empty to keep the one the cluster has"
        )
    if mode != "server":
        return problems
    datastore = wanted.get("datastore")
    found_store = "external" if node["settings"].get("datastore-endpoint") else node["datastore"]
    if found_store and datastore and found_store != datastore:
        where = f" ({_where(node, 'datastore-endpoint')})" if found_store == "external" else ""
        problems.append(
            f"server_datastore: {host} keeps the cluster in {found_store}{where}, the inventory asks for {datastore}:"
            f" set server_datastore: {found_store}"
        )
    endpoint = wanted.get("datastore_endpoint") or ""
    found_endpoint = node["settings"].get("datastore-endpoint") or ""
    if datastore == "external" and endpoint and found_endpoint and _digest(endpoint) != _digest(found_endpoint):
        problems.append(
            f"server_datastore_endpoint: {host} uses another datastore endpoint ({_where(node, 'datastore-endpoint')},"
            f" {_short(found_endpoint)}): set server_datastore_endpoint to the one the cluster uses"
        )
    joined = node["settings"].get("server")
    if config.get("cluster-init") and joined:
        problems.append(
            f"server_datastore / the order of the server group: {host} would start with cluster-init,"
            f" but it joined the cluster at {joined} ({_where(node, 'server')}): put the server that started the"
            " cluster first in the server group"
        )
    if config.get("server") and node["settings"].get("cluster-init") and not joined:
        problems.append(
            f"the order of the server group: {host} started the cluster (cluster-init, {_where(node, 'cluster-init')})"
            f" but the inventory would make it join {config['server']}: put {host} first in the server group"
        )
    for name, variable in (("cluster-cidr", "server_cluster_cidr"), ("service-cidr", "server_service_cidr")):
        want = config.get(name, DEFAULTS[name])
        have = _setting(node, name)
        if _norm(want) != _norm(have):
            problems.append(
                f"{variable}: {host} runs with {name} {_show(name, have)} ({_where(node, name)}), the inventory asks"
                f" for {_show(name, want)}: set {variable}: {_show(name, have)}"
            )
    return problems


def _cmp(key: str, value):
    return _digest(value) if key in SECRET_KEYS or key in SECRET_ENV else value


def _diff_keys(have: Mapping, want: Mapping) -> tuple[list[str], list[str], list[str]]:
    added = sorted(k for k in want if k not in have)
    removed = sorted(k for k in have if k not in want)
    changed = sorted(k for k in want if k in have and _norm(_cmp(k, want[k])) != _norm(_cmp(k, have[k])))
    return added, removed, changed


def _keys_line(what: str, have: Mapping, want: Mapping, secret: frozenset, later: frozenset = frozenset()) -> str:
    """One line of a plan: +added, -removed, ~changed keys; secret values never shown."""
    added, removed, changed = _diff_keys(have, {k: v for k, v in want.items() if k not in later})
    removed = [k for k in removed if k not in later]
    parts = [f"+{k}" if k in secret else f"+{k}={_show(k, want[k])}" for k in added]
    parts += [f"-{k}" if k in secret else f"-{k}={_show(k, have[k])}" for k in removed]
    parts += [f"~{k}" if k in secret else f"~{k}: {_show(k, have[k])} -> {_show(k, want[k])}" for k in changed]
    parts += [f"{k} set to the token read from the first server" for k in sorted(later)]
    return f"{what}: " + (", ".join(parts) if parts else "unchanged")


def _arguments(flags: Mapping) -> str:
    words = []
    for name, value in flags.items():
        for item in value if isinstance(value, list) else [value]:
            words.append(f"--{name}" if str(item) == "true" else f"--{name}={_show(name, item)}")
    return " ".join(words)


def adopt_plan(facts, wanted):
    """Decide the takeover of one node: problems that refuse it, and the changes it makes."""
    if not isinstance(facts, Mapping) or not isinstance(wanted, Mapping):
        raise AnsibleFilterError("adopt_plan: the k3s_facts result and the wanted settings must both be dictionaries")
    node = read_node(facts)
    installed = bool(node["service"])
    takeover = installed and not node["managed"]
    result = {
        "installed": installed,
        "takeover": takeover,
        "service": node["service"],
        "writer": node["writer"],
        "problems": [],
        "changes": [],
        "settings": {k: _show(k, v) for k, v in sorted(node["settings"].items())},
    }
    if not takeover:
        return result
    result["problems"] = identity_problems(node, wanted)
    service = SERVICES.get(str(wanted.get("mode")), node["service"])
    want_config = dict(wanted.get("config") or {})
    want_env = {k: v for k, v in (wanted.get("env") or {}).items() if str(v) != ""}
    later = frozenset(k for k in wanted.get("env_later") or [] if k not in want_env)
    version = str(wanted.get("version") or "")
    arguments = _arguments(node["arguments"])
    changes = [
        f"binary: {node['version'] or 'unknown'} kept"
        if node["version"] == version
        else f"binary: {node['version'] or 'unknown'} -> {version}",
        f"unit {service}.service: written by {node['writer']}, replaced by the homelab.k3s unit"
        + (f" (its arguments {arguments} move to config.yaml)" if arguments else ""),
        _keys_line(f"env {service}.service.env", node["env"], want_env, SECRET_ENV, later),
        _keys_line("config.yaml keys", node["config"], want_config, SECRET_KEYS),
    ]
    # Settings the node runs with, from any source, that the inventory leaves out or sets differently.
    drift = []
    for name, value in sorted(node["settings"].items()):
        if name in ("token", "agent-token", "datastore-endpoint", "server") and name not in want_config:
            continue  # these travel in the environment file or are checked above
        if name not in want_config:
            drift.append(f"-{name}={_show(name, value)} ({node['sources'][name]})")
        elif _norm(_cmp(name, want_config[name])) != _norm(_cmp(name, value)):
            drift.append(f"~{name}: {_show(name, value)} -> {_show(name, want_config[name])}")
    changes.append(("settings dropped or changed: " + ", ".join(drift)) if drift else "settings: all kept")
    changes.append(f"restart: {service} once, after the files are written")
    result["changes"] = changes
    return result


class FilterModule:
    def filters(self):
        return {"adopt_plan": adopt_plan}
