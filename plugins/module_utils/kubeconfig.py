# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rename, merge and remove the entries of a k3s kubeconfig, and show them without key material."""

from __future__ import annotations

import copy
import hashlib
import hmac
import os
import tempfile
import traceback
from typing import Optional
from urllib.parse import urlsplit

YAML_IMPORT_ERROR: Optional[str]
try:
    import yaml
except ImportError:  # pragma: no cover - exercised only where PyYAML is missing
    yaml = None  # type: ignore[assignment]
    YAML_IMPORT_ERROR = traceback.format_exc()
else:
    YAML_IMPORT_ERROR = None

SECTIONS = ("clusters", "users", "contexts")
SENSITIVE_KEYS = frozenset(
    (
        "certificate-authority-data",
        "client-certificate-data",
        "client-key-data",
        "token",
        "password",
        "id-token",
        "refresh-token",
        "access-token",
        "client-secret",
    )
)
FILE_MODE = 0o600
DIR_MODE = 0o700

# Fingerprints are keyed per run: equal values show equal fingerprints within one diff,
# and nothing about a value can be checked against them afterwards.
_FINGERPRINT_KEY = os.urandom(32)


class KubeconfigError(ValueError):
    """Bad input. The message never contains kubeconfig content."""


def validate_server_url(url):
    """Return the URL without a trailing slash when it is an https URL with a host, else raise."""
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        raise KubeconfigError(f"server {url!r} has an invalid port") from None
    if parts.scheme != "https" or not parts.hostname:
        raise KubeconfigError(f"server must be an https URL such as https://192.168.1.10:6443, got {url!r}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise KubeconfigError(f"server must not contain credentials, a query or a fragment, got {url!r}")
    if port == 0:
        raise KubeconfigError(f"server {url!r} has an invalid port")
    return url.strip().rstrip("/")


def parse_yaml(text, label):
    """Parse a kubeconfig; errors name the line, never the content."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise KubeconfigError(f"{label} is not valid YAML{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise KubeconfigError(f"{label} is not a kubeconfig: its top level is not a mapping")
    for section in SECTIONS:
        if data.get(section) is not None and not isinstance(data[section], list):
            raise KubeconfigError(f"{label} is not a kubeconfig: '{section}' is not a list")
    return data


def to_yaml(data):
    return yaml.safe_dump(data, default_flow_style=False, sort_keys=False)


def empty_config():
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [],
        "users": [],
        "contexts": [],
        "current-context": "",
    }


def _find(data, section, name):
    for entry in data.get(section) or []:
        if isinstance(entry, dict) and entry.get("name") == name:
            return entry
    return None


def k3s_entries(source, name, server=None):
    """Return the cluster, user and context of a k3s kubeconfig, renamed to name.

    The context used is the current context, or the only one. When server is given it
    replaces the server URL of the cluster.
    """
    contexts = [entry for entry in source.get("contexts") or [] if isinstance(entry, dict)]
    context = _find(source, "contexts", source.get("current-context"))
    if context is None:
        if len(contexts) != 1:
            raise KubeconfigError(
                f"the source kubeconfig has {len(contexts)} contexts and none is current; give it exactly one"
            )
        context = contexts[0]
    context_body = context.get("context") or {}
    cluster = _find(source, "clusters", context_body.get("cluster"))
    user = _find(source, "users", context_body.get("user"))
    if cluster is None or user is None:
        missing = "cluster" if cluster is None else "user"
        raise KubeconfigError(
            f"context {context.get('name')!r} of the source kubeconfig names a {missing} the file does not define"
        )
    cluster_body = copy.deepcopy(cluster.get("cluster") or {})
    if server:
        cluster_body["server"] = server
    if not cluster_body.get("server"):
        raise KubeconfigError("the cluster of the source kubeconfig has no server URL; set server")
    context_body = copy.deepcopy(context_body)
    context_body.update(cluster=name, user=name)
    return {
        "clusters": {"name": name, "cluster": cluster_body},
        "users": {"name": name, "user": copy.deepcopy(user.get("user") or {})},
        "contexts": {"name": name, "context": context_body},
    }


def merge(dest, entries, name, set_current_context):
    """Return dest with the entries named name replaced in place (or appended); the rest is kept."""
    result = copy.deepcopy(dest) if dest else empty_config()
    for section in SECTIONS:
        merged, placed = [], False
        for entry in result.get(section) or []:
            if isinstance(entry, dict) and entry.get("name") == name:
                if not placed:
                    merged.append(entries[section])
                    placed = True
            else:
                merged.append(entry)
        if not placed:
            merged.append(entries[section])
        result[section] = merged
    result.setdefault("apiVersion", "v1")
    result.setdefault("kind", "Config")
    if set_current_context or not result.get("current-context"):
        result["current-context"] = name
    return result


def remove(dest, name):
    """Return dest without the cluster, user and context named name."""
    result = copy.deepcopy(dest)
    for section in SECTIONS:
        entries = result.get(section)
        if isinstance(entries, list):
            result[section] = [
                entry for entry in entries if not (isinstance(entry, dict) and entry.get("name") == name)
            ]
    if result.get("current-context") == name:
        result["current-context"] = ""
    return result


def fingerprint(value):
    digest = hmac.new(_FINGERPRINT_KEY, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"<redacted hmac-sha256:{digest[:8]}>"


def redact(data):
    """Return a copy with every credential value replaced by a keyed fingerprint."""
    if isinstance(data, dict):
        return {
            key: fingerprint(value) if key in SENSITIVE_KEYS and isinstance(value, str) else redact(value)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [redact(item) for item in data]
    return data


def write_private_file(path, text):
    """Write text to path atomically; the file is 0600 from its first byte and keeps its owner."""
    directory = os.path.dirname(path) or "."
    owner = None
    if os.path.exists(path):
        stat = os.stat(path)
        owner = (stat.st_uid, stat.st_gid)
    handle, temporary = tempfile.mkstemp(prefix=".kubeconfig-", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, FILE_MODE)
        if owner and os.geteuid() == 0:
            os.chown(temporary, *owner)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
