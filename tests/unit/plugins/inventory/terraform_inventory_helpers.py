# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers of the homelab.k3s.terraform inventory tests: paths, ansible-inventory runs, local servers, fakes."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[4]
FIXTURES = REPO / "tests" / "fixtures" / "terraform"
COLLECTIONS = REPO / "collections"
ANSIBLE_INVENTORY = Path(sys.executable).with_name("ansible-inventory")
PLUGIN = "homelab.k3s.terraform"


def unwrap(value):
    """Inventory JSON with ansible-inventory's ``{"__ansible_unsafe": ...}`` wrappers removed."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    return value


@dataclass
class InventoryRun:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        """The inventory printed by --list (verbose runs print other lines before it)."""
        start = 0 if self.stdout.startswith("{") else self.stdout.index("\n{") + 1
        return unwrap(json.loads(self.stdout[start:]))

    def hosts_of(self, group: str) -> list:
        """Hosts directly in ``group`` in ``--list`` output, sorted."""
        return sorted(self.json().get(group, {}).get("hosts", []))


def run_inventory(config: Path, *args: str, env: dict | None = None, timeout: int = 60) -> InventoryRun:
    """Run ansible-inventory on a configuration file, the way a user would."""
    with tempfile.TemporaryDirectory(prefix="ansible-local-") as local_temp:
        environment = dict(os.environ)
        environment.update(
            {
                "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
                "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true",
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_LOCAL_TEMP": local_temp,
                "NO_PROXY": "127.0.0.1,localhost",
            }
        )
        environment.update(env or {})
        result = subprocess.run(
            [str(ANSIBLE_INVENTORY), "-i", str(config), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=config.parent,
            env=environment,
            check=False,
        )
    return InventoryRun(result.returncode, result.stdout, result.stderr)


def write_config(directory: Path, name: str, **options) -> Path:
    """Write ``<name>.terraform.yml`` with the given options (JSON is valid YAML)."""
    path = directory / f"{name}.terraform.yml"
    path.write_text(json.dumps({"plugin": PLUGIN, **options}, indent=2) + "\n")
    return path


class RecordingDisplay:
    """Stands in for the plugin's Display: keeps warnings, drops the rest."""

    def __init__(self):
        self.warnings: list = []

    def warning(self, message, *args, **kwargs):
        self.warnings.append(str(message))

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


# -- local HTTP(S) servers ---------------------------------------------------------------------------------


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict


@dataclass
class LocalServer:
    """A threaded HTTP server on 127.0.0.1 with an ephemeral port.

    ``respond(handler)`` returns ``(status or (status, reason), headers, body bytes or JSON value)``.
    """

    respond: object
    tls: ssl.SSLContext | None = None
    requests: list = field(default_factory=list)

    def __post_init__(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 5

            def do_GET(self):
                server.requests.append(Recorded("GET", self.path, dict(self.headers.items())))
                status, headers, body = server.respond(self)
                payload = body if isinstance(body, bytes) else json.dumps(body).encode()
                code, reason = status if isinstance(status, tuple) else (status, None)
                self.send_response(code, reason)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        if self.tls is not None:
            self._httpd.socket = self.tls.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def stop(self):
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


# -- fakes ----------------------------------------------------------------------------------------------------


def fake_binary(directory: Path, name: str = "tofu", exit_code: int = 0, sleep: int = 0) -> Path:
    """An executable that records its arguments, directory and workspace, then prints the bpg show output."""
    directory.mkdir(parents=True, exist_ok=True)
    binary = directory / name
    binary.write_text(
        "#!/bin/sh\n"
        f"sleep {sleep}\n"
        'printf "%s\\n" "$*" "$PWD" "${TF_WORKSPACE:-none}" "${TF_IN_AUTOMATION:-}" > "$(dirname "$0")/calls"\n'
        f"if [ {exit_code} -ne 0 ]; then echo 'Error: Backend initialization required' >&2; exit {exit_code}; fi\n"
        f'cat "{FIXTURES / "bpg.show.json"}"\n'
    )
    binary.chmod(0o755)
    return binary


# Proxmox VE API answers, shaped as the API documents them.

TOKEN_ID = "inventory@pve!k3s"
TOKEN_SECRET = "0b7a6c3e-fixture-token-secret"


def agent_interfaces(address):
    """``GET /nodes/{node}/qemu/{vmid}/agent/network-get-interfaces`` as Proxmox VE returns it."""
    return {
        "data": {
            "result": [
                {
                    "name": "lo",
                    "hardware-address": "00:00:00:00:00:00",
                    "ip-addresses": [
                        {"ip-address": "127.0.0.1", "ip-address-type": "ipv4", "prefix": 8},
                        {"ip-address": "::1", "ip-address-type": "ipv6", "prefix": 128},
                    ],
                    "statistics": {"rx-bytes": 1, "rx-dropped": 0, "rx-errs": 0, "rx-packets": 1},
                },
                {
                    "name": "eth0",
                    "hardware-address": "bc:24:11:0a:0b:0c",
                    "ip-addresses": [
                        {"ip-address": address, "ip-address-type": "ipv4", "prefix": 24},
                        {"ip-address": "fd00:1::32", "ip-address-type": "ipv6", "prefix": 64},
                        {"ip-address": "fe80::be24:11ff:fe0a:b0c", "ip-address-type": "ipv6", "prefix": 64},
                    ],
                    "statistics": {"rx-bytes": 1, "rx-dropped": 0, "rx-errs": 0, "rx-packets": 1},
                },
                {"name": "cni0", "hardware-address": "aa:bb:cc:dd:ee:ff"},
            ]
        }
    }


CONTAINER_INTERFACES = {
    "data": [
        {"name": "lo", "hwaddr": "00:00:00:00:00:00", "inet": "127.0.0.1/8", "inet6": "::1/128"},
        {
            "name": "eth0",
            "hwaddr": "bc:24:11:0d:0e:0f",
            "hardware-address": "bc:24:11:0d:0e:0f",
            "inet": "192.168.1.61/24",
            "inet6": "fd00:1::61/64",
            "ip-addresses": [
                {"ip-address": "192.168.1.61", "ip-address-type": "inet", "prefix": "24"},
                {"ip-address": "fd00:1::61", "ip-address-type": "inet6", "prefix": "64"},
            ],
        },
    ]
}


def proxmox_like(handler):
    if handler.headers.get("Authorization") != f"PVEAPIToken={TOKEN_ID}={TOKEN_SECRET}":
        return (401, "invalid token value!"), {}, {"data": None}
    routes = {
        "/api2/json/nodes/pve2/qemu/302/agent/network-get-interfaces": agent_interfaces("192.168.1.132"),
        "/api2/json/nodes/pve2/qemu/303/agent/network-get-interfaces": agent_interfaces("192.168.1.133"),
        "/api2/json/nodes/pve2/lxc/320/interfaces": CONTAINER_INTERFACES,
    }
    if handler.path in routes:
        return 200, {"Content-Type": "application/json;charset=UTF-8"}, routes[handler.path]
    if handler.path.endswith("/agent/network-get-interfaces"):
        return (500, "QEMU guest agent is not running"), {}, {"data": None}
    return (500, "Configuration file 'nodes/pve2/qemu/999.conf' does not exist"), {}, {"data": None}
