# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubeconfig files: the admin kubeconfig a server writes, and reading one back for kubectl."""

import base64
import grp
import os

import yaml

from k3s_double import pki


def admin_kubeconfig(server_url, ca_pem, cert_pem, key_pem):
    """The layout k3s writes to k3s.yaml: cluster, user and context all named `default`."""

    def b64(data):
        return base64.b64encode(data if isinstance(data, bytes) else data.encode()).decode()

    return {
        "apiVersion": "v1",
        "clusters": [{"cluster": {"certificate-authority-data": b64(ca_pem), "server": server_url}, "name": "default"}],
        "contexts": [{"context": {"cluster": "default", "user": "default"}, "name": "default"}],
        "current-context": "default",
        "kind": "Config",
        "preferences": {},
        "users": [
            {"name": "default", "user": {"client-certificate-data": b64(cert_pem), "client-key-data": b64(key_pem)}}
        ],
    }


def file_kubeconfig(server_url, ca_file, cert_file, key_file):
    """A kubeconfig that points to certificate files, as ${data-dir}/server/cred/admin.kubeconfig does."""
    return {
        "apiVersion": "v1",
        "clusters": [{"cluster": {"certificate-authority": ca_file, "server": server_url}, "name": "local"}],
        "contexts": [{"context": {"cluster": "local", "namespace": "default", "user": "user"}, "name": "Default"}],
        "current-context": "Default",
        "kind": "Config",
        "preferences": {},
        "users": [{"name": "user", "user": {"client-certificate": cert_file, "client-key": key_file}}],
    }


def write(path, config, mode=0o600, group=None):
    text = yaml.safe_dump(config, default_flow_style=False, sort_keys=False)
    pki.write_private(path, text, mode)
    if group:
        try:
            gid = int(group) if group.isdigit() else grp.getgrnam(group).gr_gid
            os.chown(path, -1, gid)
        except (KeyError, PermissionError) as exc:
            raise ValueError(f"failed to set group {group} on {path}: {exc}") from exc


class KubeconfigError(Exception):
    pass


def _data(entry, key):
    if entry.get(f"{key}-data"):
        return base64.b64decode(entry[f"{key}-data"])
    if entry.get(key):
        with open(entry[key], "rb") as handle:
            return handle.read()
    return None


def load(path, context_name=None):
    """(server URL, CA PEM, client cert PEM, client key PEM, namespace) of a kubeconfig's context."""
    try:
        with open(path, encoding="utf-8") as handle:
            config = yaml.safe_load(handle) or {}
    except OSError as exc:
        message = f"stat {path}: no such file or directory" if not os.path.exists(path) else str(exc)
        raise KubeconfigError(message) from exc
    context_name = context_name or config.get("current-context")
    contexts = {c["name"]: c.get("context", {}) for c in config.get("contexts") or []}
    if context_name not in contexts:
        raise KubeconfigError(f"context was not found for specified context: {context_name}")
    context = contexts[context_name]
    clusters = {c["name"]: c.get("cluster", {}) for c in config.get("clusters") or []}
    users = {u["name"]: u.get("user", {}) for u in config.get("users") or []}
    cluster = clusters.get(context.get("cluster"), {})
    user = users.get(context.get("user"), {})
    if not cluster.get("server"):
        raise KubeconfigError("no server found for cluster")
    return (
        cluster["server"],
        _data(cluster, "certificate-authority"),
        _data(user, "client-certificate"),
        _data(user, "client-key"),
        context.get("namespace") or "default",
    )
