# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read what a node holds of k3s from its files, without changing anything or returning a secret.

The paths are those k3s and its install script use: the binary and the installer's scripts in the bin
directory, ``<systemd dir>/k3s.service`` and ``k3s-agent.service`` with their ``.env`` files,
``/etc/rancher/k3s/config.yaml`` with ``config.yaml.d/*.yaml``, and the server's state under the data
directory (``server/token``, ``server/tls/server-ca.crt``, ``server/db/state.db``, ``server/db/etcd``).
Every value that can be a secret is replaced by ``sha256:<hex>`` of it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import time
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit, urlunsplit

try:
    import yaml

    HAS_YAML = True
except ImportError:  # pragma: no cover - the fallback parser below is tested directly
    HAS_YAML = False

PARSE_ERRORS = (ValueError, yaml.YAMLError) if HAS_YAML else (ValueError,)

from ansible_collections.homelab.k3s.plugins.module_utils.k3s_token import TokenFormatError, parse_token

MANAGED_MARKER = "Managed by homelab.k3s"
# The first line of the units, environment files and config files the k3s role writes (the managed_header
# filter puts it there); reset removes only the units that hold it (the foreign_files filter). The one home of
# this text: change it here and both sides follow.
MANAGED_HEADER = "# " + MANAGED_MARKER
# The install script writes this line into the units it creates (install.sh, create_systemd_service_file).
INSTALLER_MARKER = "Documentation=https://k3s.io"
UNITS = {"k3s": "k3s.service", "k3s-agent": "k3s-agent.service"}
INSTALLER_SCRIPTS = ["k3s-killall.sh", "k3s-uninstall.sh", "k3s-agent-uninstall.sh"]
INSTALLER_LINKS = ["kubectl", "crictl", "ctr"]
SYSTEMD_PROPERTIES = [
    "LoadState",
    "ActiveState",
    "SubState",
    "UnitFileState",
    "NRestarts",
    "InvocationID",
    "FragmentPath",
    "EnvironmentFiles",
    "ExecMainPID",
    "ExecMainStartTimestampMonotonic",
]

# Flags (config keys without the trailing '+') whose values are secrets.
SECRET_FLAGS = frozenset(
    [
        "token",
        "agent-token",
        "datastore-endpoint",
        "etcd-s3-access-key",
        "etcd-s3-secret-key",
        "etcd-s3-session-token",
        "vpn-auth",
    ]
)
# Environment variable names whose values are secrets.
_SECRET_ENV = re.compile(r"(TOKEN|SECRET|PASSWORD|PASSWD|ACCESS_KEY|DATASTORE_ENDPOINT|VPN_AUTH)", re.IGNORECASE)
_USERINFO = re.compile(r"\A[a-zA-Z][a-zA-Z0-9+.-]*://[^/@]*@")
_VERSION = re.compile(r"\Ak3s version (?P<version>v\S+)(?: \((?P<commit>[^)]*)\))?")
_ENV_LINE = re.compile(r"\A\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>.*?)\s*\Z")


def sha256_text(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def hashed(value: Any) -> str:
    """The form a secret is reported in: 'sha256:' and the hex digest of its text."""
    if isinstance(value, list):
        value = ",".join(str(v) for v in value)
    return "sha256:" + sha256_text(str(value))


def has_credentials(value: Any) -> bool:
    return isinstance(value, str) and bool(_USERINFO.match(value))


def is_secret_flag(name: str) -> bool:
    return name.rstrip("+").lstrip("-") in SECRET_FLAGS


def redact_url(value: str) -> str:
    """A URL without its user and password (postgres://u:p@db:5432/k3s -> postgres://db:5432/k3s)."""
    parts = urlsplit(value)
    if not parts.netloc or "@" not in parts.netloc:
        return value
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, parts.query, parts.fragment))


def mask_flags(flags: Dict[str, Any]) -> Dict[str, Any]:
    """Config or command line flags with every secret value replaced by its hash."""
    masked: Dict[str, Any] = {}
    for name, value in flags.items():
        if is_secret_flag(name) or has_credentials(value):
            masked[name] = hashed(value)
        elif isinstance(value, list):
            masked[name] = [hashed(v) if has_credentials(v) else v for v in value]
        else:
            masked[name] = value
    return masked


def mask_env(env: Dict[str, str]) -> Dict[str, str]:
    return {k: hashed(v) if _SECRET_ENV.search(k) or has_credentials(v) else v for k, v in env.items()}


def read_text(path: str) -> Optional[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def parse_version(output: str) -> Dict[str, str]:
    """The first line of 'k3s --version', its version and commit."""
    first = (output or "").strip().splitlines()[0] if (output or "").strip() else ""
    match = _VERSION.match(first)
    return {
        "version_line": first,
        "version": match.group("version") if match else "",
        "commit": (match.group("commit") or "") if match else "",
    }


def parse_env_file(text: str) -> Dict[str, str]:
    """KEY=value lines as systemd reads an EnvironmentFile (quotes removed, comments skipped)."""
    env: Dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith(("#", ";")):
            continue
        match = _ENV_LINE.match(line)
        if not match:
            continue
        value = match.group("value")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
            if line.strip().endswith('"'):
                value = value.replace('\\"', '"').replace("\\\\", "\\")
        env[match.group("key")] = value
    return env


def _scalar(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if re.match(r"\A-?[0-9]+\Z", text):
        return int(text)
    return text


def parse_simple_yaml(text: str) -> Dict[str, Any]:
    """The flat subset of YAML a k3s config uses, for nodes without PyYAML: key: value, lists, [a, b]."""
    result: Dict[str, Any] = {}
    key = None
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not line.strip() or line.strip() == "---":
            continue
        stripped = line.strip()
        if stripped.startswith("- ") and key is not None:
            if not isinstance(result.get(key), list):
                result[key] = []
            result[key].append(_scalar(stripped[2:]))
            continue
        name, colon, value = stripped.partition(":")
        if not colon:
            raise ValueError(f"cannot read the line '{name[:40]}'")
        key = _scalar(name)
        value = value.strip()
        if value.startswith("[") and value.endswith("]"):
            result[key] = [_scalar(v) for v in value[1:-1].split(",") if v.strip()]
        else:
            result[key] = _scalar(value) if value else []
    return result


def parse_config(text: str) -> Dict[str, Any]:
    data = yaml.safe_load(text) if HAS_YAML else parse_simple_yaml(text)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError("the file is not a mapping of flag names to values")
    return {str(k): v for k, v in data.items()}


def merge_config(files: List[Tuple[str, Dict[str, Any]]]) -> Dict[str, Any]:
    """Merge config files in order as k3s does: later keys win, 'key+' appends to a list."""
    merged: Dict[str, Any] = {}
    for _path, data in files:
        for key, value in data.items():
            if key.endswith("+"):
                base = key[:-1]
                existing = merged.get(base, [])
                existing = existing if isinstance(existing, list) else [existing]
                merged[base] = existing + (value if isinstance(value, list) else [value])
            else:
                merged[key] = value
    return merged


def read_config(config_file: str) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """config.yaml and config.yaml.d/*.yaml|*.yml: (facts with the secrets hashed, the merged flags as read)."""
    paths = []
    if os.path.isfile(config_file):
        paths.append(config_file)
    drop_in = config_file + ".d"
    if os.path.isdir(drop_in):
        paths += [
            os.path.join(drop_in, name) for name in sorted(os.listdir(drop_in)) if name.endswith((".yaml", ".yml"))
        ]
    parsed: List[Tuple[str, Dict[str, Any]]] = []
    errors: Dict[str, str] = {}
    for path in paths:
        try:
            parsed.append((path, parse_config(read_text(path) or "")))
        except PARSE_ERRORS as error:
            errors[path] = str(error).splitlines()[0] if str(error) else "cannot be parsed"
        except PermissionError:
            errors[path] = "permission denied"
    merged = merge_config(parsed)
    facts = {
        "path": config_file,
        "exists": os.path.isfile(config_file),
        "files": paths,
        "keys": mask_flags(merged),
        "secret_keys": sorted(k for k in merged if is_secret_flag(k) or has_credentials(merged[k])),
        "errors": errors,
    }
    return facts, merged


def parse_exec_start(value: str) -> Dict[str, Any]:
    """The k3s command of an ExecStart line: its mode (server/agent) and flags (secrets hashed)."""
    try:
        words = shlex.split(value.replace("\\\n", " "))
    except ValueError:
        words = value.split()
    mode = ""
    flags: Dict[str, Any] = {}
    rest = words[1:] if words else []
    if rest and not rest[0].startswith("-"):
        mode, rest = rest[0], rest[1:]
    index = 0
    while index < len(rest):
        word = rest[index]
        index += 1
        if not word.startswith("-"):
            continue
        name, equals, value_part = word.lstrip("-").partition("=")
        if not equals:
            if index < len(rest) and not rest[index].startswith("-"):
                value_part = rest[index]
                index += 1
            else:
                value_part = "true"
        if name in flags:
            previous = flags[name]
            flags[name] = (previous if isinstance(previous, list) else [previous]) + [value_part]
        else:
            flags[name] = value_part
    return {"mode": mode, "flags": mask_flags(flags)}


def unit_exec_start(text: str) -> str:
    """The ExecStart value of a unit file, continuation lines joined."""
    joined = re.sub(r"\\\s*\n", " ", text)
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped.startswith("ExecStart="):
            return stripped[len("ExecStart=") :].lstrip("-@+!:")
    return ""


def unit_writer(text: Optional[str]) -> str:
    if text is None:
        return "none"
    if MANAGED_MARKER in text:
        return "homelab.k3s"
    if INSTALLER_MARKER in text:
        return "install-script"
    return "other"


def env_files_of_unit(text: Optional[str], unit: str) -> List[str]:
    """EnvironmentFile= paths of a unit file, %N expanded, without the leading '-'."""
    files = []
    for line in (text or "").splitlines():
        stripped = line.strip()
        if stripped.startswith("EnvironmentFile="):
            path = stripped[len("EnvironmentFile=") :].lstrip("-").strip()
            files.append(path.replace("%N", unit.rsplit(".", 1)[0]).replace("%n", unit))
    return files


def read_env_file(path: str) -> Tuple[Dict[str, Any], Dict[str, str]]:
    """An EnvironmentFile: (facts with the secrets hashed, the variables as read)."""
    try:
        text = read_text(path)
    except PermissionError:
        return {"path": path, "exists": True, "readable": False, "keys": {}, "secret_keys": []}, {}
    if text is None:
        return {"path": path, "exists": False, "readable": False, "keys": {}, "secret_keys": []}, {}
    env = parse_env_file(text)
    facts = {
        "path": path,
        "exists": True,
        "readable": True,
        "managed_by": "homelab.k3s" if MANAGED_MARKER in text else "other",
        "keys": mask_env(env),
        "secret_keys": sorted(k for k in env if _SECRET_ENV.search(k) or has_credentials(env[k])),
    }
    return facts, env


def read_token(data_dir: str, name: str) -> Dict[str, Any]:
    """A token file of the server: present, its CA hash (public) and the sha256 of its secret."""
    path = os.path.join(data_dir, "server", name)
    result: Dict[str, Any] = {"path": path, "present": False, "ca_hash": "", "secret_sha256": "", "format": ""}
    try:
        content = read_text(path)
    except PermissionError:
        result.update(present=True, error="permission denied")
        return result
    if content is None or not content.strip():
        return result
    result["present"] = True
    try:
        token = parse_token(content)
    except TokenFormatError as error:
        result["error"] = str(error)
        return result
    result.update(ca_hash=token.ca_hash, secret_sha256=sha256_text(token.secret), format=token.format)
    return result


def sha256_file(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return ""


def read_datastore(data_dir: str, config_keys: Dict[str, Any], env: Dict[str, str]) -> Dict[str, Any]:
    """Which datastore the node holds: embedded etcd member, SQLite state.db, an external endpoint."""
    db_dir = os.path.join(data_dir, "server", "db")
    etcd_dir = os.path.join(db_dir, "etcd")
    member_dir = os.path.join(etcd_dir, "member")
    sqlite = os.path.join(db_dir, "state.db")
    endpoint = config_keys.get("datastore-endpoint") or env.get("K3S_DATASTORE_ENDPOINT") or ""
    etcd_name = (read_text(os.path.join(etcd_dir, "name")) or "").strip()
    result: Dict[str, Any] = {
        "etcd_member_dir": member_dir,
        "etcd_member": os.path.isdir(member_dir),
        "etcd_name": etcd_name,
        "sqlite_db": sqlite,
        "sqlite": os.path.isfile(sqlite),
        "external": bool(endpoint),
        "external_endpoint": redact_url(endpoint) if endpoint else "",
        "external_endpoint_sha256": sha256_text(endpoint) if endpoint else "",
    }
    if result["etcd_member"]:
        result["kind"] = "etcd"
    elif endpoint:
        result["kind"] = "external"
    elif result["sqlite"]:
        result["kind"] = "sqlite"
    else:
        result["kind"] = "none"
    return result


def read_leftovers(bin_dir: str) -> Dict[str, Any]:
    scripts = {
        name: os.path.join(bin_dir, name) for name in INSTALLER_SCRIPTS if os.path.isfile(os.path.join(bin_dir, name))
    }
    links = {}
    for name in INSTALLER_LINKS:
        path = os.path.join(bin_dir, name)
        if os.path.islink(path):
            links[name] = os.readlink(path)
    return {"scripts": scripts, "links": links}


def boot_time() -> float:
    """The boot time in epoch seconds, to the microsecond: systemd's monotonic timestamps count from it.

    /proc/stat's btime is whole seconds: a file written in the last second before a start would look newer
    than the start and the service owe a restart it does not.
    """
    return time.time() - time.clock_gettime(time.CLOCK_MONOTONIC)


def started_at(monotonic_usec: str, boot: float) -> float:
    """When the main process started, in epoch seconds, from systemd's monotonic timestamp; 0 when not started."""
    if not str(monotonic_usec).isdigit() or int(monotonic_usec) == 0 or not boot:
        return 0.0
    return boot + int(monotonic_usec) / 1_000_000


def image_files(data_dir: str) -> List[str]:
    """The files k3s imports images from when it starts: the regular files of <data_dir>/agent/images, sorted.

    Hidden files are left out: k3s keeps its own state there (which tarballs it imported), written while it runs.
    """
    images = os.path.join(data_dir, "agent", "images")
    try:
        names = sorted(os.listdir(images))
    except OSError:
        return []
    return [
        os.path.join(images, name)
        for name in names
        if not name.startswith(".") and os.path.isfile(os.path.join(images, name))
    ]


def changed_since(paths: List[str], since: float) -> List[str]:
    """The files of paths modified after since (epoch seconds); none when since is 0 (not started)."""
    if not since:
        return []
    newer = []
    for path in paths:
        try:
            if os.stat(path).st_mtime > since:
                newer.append(path)
        except OSError:
            continue
    return newer
