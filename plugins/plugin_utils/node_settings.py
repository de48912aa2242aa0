# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What k3s a node runs with, from homelab.k3s.k3s_facts: its settings from every source k3s reads.

k3s takes a setting from config.yaml, from K3S_* environment variables (the unit's EnvironmentFile) and from
the command line, the command line last. The takeover plan and the cluster plan read the node the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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


def get_path(data: Any, *path: str, default: Any = None) -> Any:
    """The value at ``path`` in nested mappings; ``default`` when a key is missing."""
    for key in path:
        if not isinstance(data, Mapping) or key not in data:
            return default
        data = data[key]
    return data


def _flag_value(name: str, value: Any) -> Any:
    """A flag as k3s_facts reports it, with switches as booleans."""
    if name in SWITCHES and isinstance(value, str):
        return value.lower() not in ("false", "0")
    return value


def _merge(settings: dict[str, Any], sources: dict[str, str], flags: Mapping, source: str) -> None:
    for name, value in flags.items():
        value = _flag_value(name, value)
        if isinstance(value, list) or isinstance(settings.get(name), list):
            base = settings.get(name, [])
            settings[name] = (base if isinstance(base, list) else [base]) + (
                value if isinstance(value, list) else [value]
            )
        else:
            settings[name] = value
        sources[name] = source


def read_node(facts: Mapping) -> dict[str, Any]:
    """What the node runs (from homelab.k3s.k3s_facts): service, who wrote it, its settings and their sources."""
    services = get_path(facts, "services", default={}) or {}
    service = next((name for name in ("k3s", "k3s-agent") if get_path(services, name, "exists")), "")
    unit = services.get(service) or {}
    command = get_path(unit, "exec_start", default={}) or {}
    mode = command.get("mode") or ("" if not service else "server" if service == "k3s" else "agent")
    env: dict[str, Any] = {}
    for path in unit.get("environment_files") or []:
        env.update(get_path(facts, "env_files", path, "keys", default={}) or {})
    config = dict(get_path(facts, "config", "keys", default={}) or {})
    settings: dict[str, Any] = {}
    sources: dict[str, str] = {}
    _merge(settings, sources, config, "config.yaml")
    env_flags = {ENV_FLAGS[key]: value for key, value in env.items() if key in ENV_FLAGS and value != ""}
    _merge(settings, sources, env_flags, f"{service}.service.env")
    for name in env_flags:
        key = next(k for k in ENV_FLAGS if ENV_FLAGS[k] == name and k in env)
        sources[name] = f"{service}.service.env {key}"
    _merge(settings, sources, command.get("flags") or {}, f"{service}.service ExecStart")
    kind = get_path(facts, "datastore", "kind", default="none")
    return {
        "service": service,
        "mode": mode,
        "managed": unit.get("managed_by") == "homelab.k3s",
        "writer": unit.get("managed_by") or "none",
        "arguments": command.get("flags") or {},
        "settings": settings,
        "sources": sources,
        "env": env,
        "config": config,
        "datastore": "" if kind == "none" else kind,
        "token": get_path(facts, "token", "secret_sha256", default="") or "",
        "version": get_path(facts, "binary", "version", default="") or "",
    }
