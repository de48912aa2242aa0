# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubeconfig files: the admin kubeconfig a server writes, and the kubeconfigs of its components."""

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
