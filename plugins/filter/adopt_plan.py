# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: adopt_plan
short_description: Decide how to take over a k3s node that another installer set up
version_added: 0.1.0
author: homelab.k3s contributors
description:
  - Compares what a k3s node runs (its unit, environment file, C(config.yaml), datastore, token and binary, as
    read by the k3s role's takeover tasks) with what the inventory asks for.
  - Returns the settings that would re-create the cluster or change its identity (another token, another
    datastore, C(cluster-init) on a server that joined, a server that started the cluster placed after another,
    other cluster or service CIDRs, another data directory, a server turned agent or back) as problems that
    name the setting and the value found on the node, and otherwise the changes the takeover makes.
  - Secret values (tokens, datastore endpoints, S3 keys) never leave the filter; they are compared by their
    sha256 and reported by key only.
positional: wanted
options:
  _input:
    description:
      - What the node runs. C(units) maps the service names C(k3s) and C(k3s-agent) to the text of their unit
        file or V(null); C(env) maps the same names to the text of their environment file; C(config) is the
        text of C(config.yaml); C(datastore) is V(sqlite), V(etcd) or V(null) (what the data directory holds);
        C(token) the text of the server token file; C(version) the first line of C(k3s --version).
    type: dict
    required: true
  wanted:
    description:
      - What the inventory asks for. C(host), C(mode) (V(server) or V(agent)), C(bootstrap) (the first server),
        C(datastore) (V(sqlite), V(etcd), V(external)), C(config) (the C(config.yaml) the role writes), C(env)
        (the environment file the role writes; empty values are left out), C(token) (C(server_token) or
        C(agent_token), may be empty), C(token_setting) (its variable name), C(version), C(data_dir), C(marker)
        (the first line of the role's units).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Plan the takeover of this node
  ansible.builtin.set_fact:
    plan: "{{ {'units': {'k3s': unit_text}, 'env': {'k3s': env_text}, 'config': '', 'datastore': 'sqlite',
               'token': '', 'version': 'k3s version v1.31.4+k3s1 (abc)'}
              | homelab.k3s.adopt_plan(wanted) }}"
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
import shlex
from collections.abc import Mapping

import yaml
from ansible.errors import AnsibleFilterError

SECRET_KEYS = frozenset(
    {
        "token",
        "agent-token",
        "datastore-endpoint",
        "etcd-s3-access-key",
        "etcd-s3-secret-key",
        "etcd-s3-session-token",
        "vpn-auth",
    }
)
SECRET_ENV = frozenset({"K3S_TOKEN", "K3S_AGENT_TOKEN", "K3S_DATASTORE_ENDPOINT", "K3S_CLUSTER_SECRET", "K3S_VPN_AUTH"})
# Environment variables k3s reads as flags.
ENV_FLAGS = {
    "K3S_TOKEN": "token",
    "K3S_CLUSTER_SECRET": "token",
    "K3S_TOKEN_FILE": "token-file",
    "K3S_AGENT_TOKEN": "agent-token",
    "K3S_URL": "server",
    "K3S_DATASTORE_ENDPOINT": "datastore-endpoint",
    "K3S_CLUSTER_INIT": "cluster-init",
    "K3S_NODE_NAME": "node-name",
    "K3S_KUBECONFIG_MODE": "write-kubeconfig-mode",
    "K3S_DATA_DIR": "data-dir",
    "K3S_SELINUX": "selinux",
}
# k3s server and agent flags that take no value.
SWITCHES = frozenset(
    {
        "cluster-init",
        "cluster-reset",
        "debug",
        "disable-agent",
        "disable-apiserver",
        "disable-apiserver-lb",
        "disable-cloud-controller",
        "disable-controller-manager",
        "disable-default-registry-endpoint",
        "disable-etcd",
        "disable-helm-controller",
        "disable-kube-proxy",
        "disable-network-policy",
        "disable-scheduler",
        "docker",
        "embedded-registry",
        "enable-pprof",
        "etcd-disable-snapshots",
        "etcd-expose-metrics",
        "etcd-s3",
        "etcd-s3-insecure",
        "etcd-s3-skip-ssl-verify",
        "etcd-snapshot-compress",
        "flannel-external-ip",
        "flannel-ipv6-masq",
        "no-flannel",
        "nonroot-devices",
        "prefer-bundled-bin",
        "protect-kernel-defaults",
        "rootless",
        "secrets-encryption",
        "selinux",
        "supervisor-metrics",
        "with-node-id",
    }
)
DEFAULTS = {
    "cluster-cidr": "10.42.0.0/16",
    "service-cidr": "10.43.0.0/16",
    "data-dir": "/var/lib/rancher/k3s",
}
SERVICES = {"server": "k3s", "agent": "k3s-agent"}


def _digest(value) -> str:
    return "sha256:" + hashlib.sha256(str(value).encode()).hexdigest()[:16]


def token_secret(token) -> str:
    """The secret of a k3s token: the password of K10<ca hash>::<user>:<password>, else the token itself."""
    text = str(token or "").strip()
    if text.startswith("K10") and "::" in text:
        text = text.split("::", 1)[1].split(":", 1)[-1]
    return text


def _join_continuations(text: str) -> list[str]:
    lines, current = [], ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        lines.append(current + line)
        current = ""
    if current:
        lines.append(current)
    return lines


def unit_command(text: str) -> list[str]:
    """The words of the last ExecStart= of a unit file (systemd keeps the last one)."""
    command: list[str] = []
    for line in _join_continuations(text or ""):
        stripped = line.strip()
        if stripped.startswith("ExecStart="):
            value = stripped[len("ExecStart=") :].lstrip("-@+!:")
            try:
                command = shlex.split(value)
            except ValueError as error:
                raise AnsibleFilterError(f"adopt_plan: cannot read the ExecStart line '{stripped}': {error}") from error
    return command


def parse_args(words: list[str]) -> dict:
    """k3s flags (Go flag syntax) as a dict: lists for repeated flags, True for switches."""
    flags: dict = {}
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if not word.startswith("-") or word in ("-", "--"):
            continue
        name, has_value, value = word.lstrip("-").partition("=")
        if not has_value:
            if name in SWITCHES:
                value = True
            elif index < len(words):
                value = words[index]
                index += 1
            else:
                value = True
        elif name in SWITCHES:
            value = value.lower() not in ("false", "0")
        _add(flags, name, value)
    return flags


def _add(flags: dict, name: str, value) -> None:
    if name in flags and not isinstance(flags[name], bool):
        previous = flags[name] if isinstance(flags[name], list) else [flags[name]]
        flags[name] = previous + (value if isinstance(value, list) else [value])
    else:
        flags[name] = value


def parse_env(text: str) -> dict:
    """KEY=value lines of a systemd environment file (quotes removed)."""
    env = {}
    for line in (text or "").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or "=" not in stripped:
            continue
        if stripped.startswith("export "):
            stripped = stripped[len("export ") :].strip()
        key, _, value = stripped.partition("=")
        try:
            words = shlex.split(value)
        except ValueError:
            words = [value]
        env[key.strip()] = " ".join(words)
    return env


def parse_config(text: str) -> dict:
    """config.yaml as flat flags; a key ending in + adds to the list of the same key."""
    if not (text or "").strip():
        return {}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise AnsibleFilterError(f"adopt_plan: config.yaml on the node is not YAML: {error}") from error
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise AnsibleFilterError("adopt_plan: config.yaml on the node is not a mapping of k3s flags")
    flags: dict = {}
    for key, value in data.items():
        name = str(key)
        if name.endswith("+"):
            _add(flags, name[:-1], value if isinstance(value, list) else [value])
        else:
            flags[name] = value
    return flags


def _norm(value):
    """Compare flags the way k3s reads them: lists split on commas, scalars as strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, list):
        items = []
        for item in value:
            items += [part.strip() for part in str(item).split(",")] if not isinstance(item, bool) else [item]
        return sorted(str(item) for item in items if item != "")
    return str(value)


def _show(key: str, value) -> str:
    if key in SECRET_KEYS:
        return _digest(token_secret(value) if key in ("token", "agent-token") else value)
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def _find_service(units: Mapping) -> str:
    for service in ("k3s", "k3s-agent"):
        if units.get(service):
            return service
    return ""


def read_node(found: Mapping) -> dict:
    """What the node runs: service, who wrote the unit, the effective settings and where each came from."""
    units = found.get("units") or {}
    service = _find_service(units)
    unit_text = units.get(service) or ""
    env_text = (found.get("env") or {}).get(service) or ""
    command = unit_command(unit_text)
    mode = ""
    if len(command) > 1 and command[1] in ("server", "agent"):
        mode = command[1]
    elif service:
        mode = "server" if service == "k3s" else "agent"
    env = parse_env(env_text)
    config = parse_config(found.get("config") or "")
    settings: dict = {}
    sources: dict = {}
    for name, value in config.items():
        settings[name] = value
        sources[name] = "config.yaml"
    for key, value in env.items():
        if key in ENV_FLAGS and value != "":
            name = ENV_FLAGS[key]
            settings[name] = True if name in SWITCHES else value
            sources[name] = f"{service}.service.env {key}"
    for name, value in parse_args(command[2:]).items():
        if isinstance(value, list) or isinstance(settings.get(name), list):
            base = settings.get(name, [])
            settings[name] = (base if isinstance(base, list) else [base]) + (
                value if isinstance(value, list) else [value]
            )
        else:
            settings[name] = value
        sources[name] = f"{service}.service ExecStart"
    version = str(found.get("version") or "").split()
    return {
        "service": service,
        "mode": mode,
        "managed": bool(unit_text) and str(found.get("marker") or "# Managed by homelab.k3s") in unit_text,
        "settings": settings,
        "sources": sources,
        "env": env,
        "config": config,
        "datastore": found.get("datastore") or "",
        "token": token_secret(found.get("token") or ""),
        "version": version[2] if len(version) > 2 and version[0] == "k3s" else "",
    }


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
        group = "server" if mode == "server" else "agent"
        problems.append(
            f"{host} runs k3s as {node['mode']} ({node['service']}.service) but the inventory puts it in the {group}"
            f" group: move it to the {node['mode']} group, or remove it from the cluster first"
        )
        return problems
    data_dir = str(wanted.get("data_dir") or DEFAULTS["data-dir"])
    if str(_setting(node, "data-dir")).rstrip("/") != data_dir.rstrip("/"):
        problems.append(
            f"k3s_data_dir: {host} keeps its data in {_setting(node, 'data-dir')} ({_where(node, 'data-dir')}),"
            f" the inventory says {data_dir}; set k3s_data_dir: {_setting(node, 'data-dir')}"
        )
    token = token_secret(wanted.get("token") or "")
    found_token = node["token"] if mode == "server" else token_secret(node["settings"].get("token") or "")
    setting = wanted.get("token_setting") or ("server_token" if mode == "server" else "agent_token")
    if token and found_token and token != found_token:
        where = "the server token file" if mode == "server" else _where(node, "token")
        problems.append(
            f"{setting}: {host} belongs to a cluster with another token ({where}, secret {_digest(found_token)});"
            f" the inventory's token has secret {_digest(token)}: set {setting} to the cluster's token, or leave it"
            " empty to keep the one the cluster has"
        )
    if mode != "server":
        return problems
    datastore = wanted.get("datastore")
    found_store = "external" if node["settings"].get("datastore-endpoint") else node["datastore"]
    if found_store and datastore and found_store != datastore:
        problems.append(
            f"server_datastore: {host} keeps the cluster in {found_store}"
            f"{' (' + _where(node, 'datastore-endpoint') + ')' if found_store == 'external' else ''},"
            f" the inventory asks for {datastore}: set server_datastore: {found_store}"
        )
    endpoint = wanted.get("datastore_endpoint") or ""
    found_endpoint = node["settings"].get("datastore-endpoint") or ""
    if datastore == "external" and endpoint and found_endpoint and endpoint != found_endpoint:
        problems.append(
            f"server_datastore_endpoint: {host} uses another datastore endpoint ({_where(node, 'datastore-endpoint')},"
            f" {_digest(found_endpoint)}); set server_datastore_endpoint to the one the cluster uses"
        )
    joined = node["settings"].get("server")
    if config.get("cluster-init") and joined:
        problems.append(
            f"server_datastore / the order of the server group: {host} is first, so it would start with cluster-init,"
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


def _diff_keys(have: Mapping, want: Mapping) -> tuple[list[str], list[str], list[str]]:
    added = sorted(k for k in want if k not in have)
    removed = sorted(k for k in have if k not in want)
    changed = sorted(k for k in want if k in have and _norm(_cmp(k, want[k])) != _norm(_cmp(k, have[k])))
    return added, removed, changed


def _cmp(key: str, value):
    if key in ("token", "agent-token", "K3S_TOKEN", "K3S_AGENT_TOKEN", "K3S_CLUSTER_SECRET"):
        return _digest(token_secret(value))
    return value


def _keys_line(what: str, have: Mapping, want: Mapping, secret: frozenset) -> str:
    added, removed, changed = _diff_keys(have, want)
    if not (added or removed or changed):
        return f"{what}: unchanged"

    def label(key, value):
        return key if key in secret else f"{key}={_show(key, value)}"

    parts = [f"+{label(k, want[k])}" for k in added]
    parts += [f"-{label(k, have[k])}" for k in removed]
    parts += [f"~{k}" if k in secret else f"~{k}: {_show(k, have[k])} -> {_show(k, want[k])}" for k in changed]
    return f"{what}: " + ", ".join(parts)


def adopt_plan(found, wanted):
    """Decide the takeover of one node: problems that refuse it, and the changes it makes."""
    if not isinstance(found, Mapping) or not isinstance(wanted, Mapping):
        raise AnsibleFilterError("adopt_plan: the node facts and the wanted settings must both be dictionaries")
    node = read_node(found)
    installed = bool(node["service"])
    takeover = installed and not node["managed"]
    result = {
        "installed": installed,
        "takeover": takeover,
        "service": node["service"],
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
    version = str(wanted.get("version") or "")
    changes = [
        f"binary: {node['version'] or 'unknown'} kept"
        if node["version"] == version
        else f"binary: {node['version'] or 'unknown'} -> {version}",
        f"unit {service}.service: written by another installer, replaced by the homelab.k3s unit"
        + (
            f" (its arguments {' '.join(unit_command((found.get('units') or {}).get(node['service']) or '')[2:])}"
            " move to config.yaml)"
            if unit_command((found.get("units") or {}).get(node["service"]) or "")[2:]
            else ""
        ),
        _keys_line(f"env {service}.service.env", node["env"], want_env, SECRET_ENV),
        _keys_line("config.yaml keys", node["config"], want_config, SECRET_KEYS),
    ]
    # Settings the node runs with from any source that the inventory leaves out or sets differently.
    drift = []
    for name, value in sorted(node["settings"].items()):
        if name in ("token", "agent-token", "datastore-endpoint", "server") and name not in want_config:
            continue  # travel in the environment file or are checked above
        if name not in want_config:
            drift.append(f"-{name}={_show(name, value)} ({node['sources'][name]})")
        elif _norm(_cmp(name, want_config[name])) != _norm(_cmp(name, value)):
            drift.append(f"~{name}: {_show(name, value)} -> {_show(name, want_config[name])}")
    changes.append("settings dropped or changed: " + ", ".join(drift) if drift else "settings: all kept")
    changes.append(f"restart: {service} once, after the files are written")
    result["changes"] = changes
    return result


class FilterModule:
    def filters(self):
        return {"adopt_plan": adopt_plan}
