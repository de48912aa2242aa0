# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guest addresses from a local HTTPS server answering with the Proxmox VE API's response shapes."""

from __future__ import annotations

import importlib.util

import pytest
from terraform_inventory_helpers import TOKEN_ID, TOKEN_SECRET, proxmox_like

from ansible_collections.homelab.k3s.plugins.plugin_utils import proxmox_api
from ansible_collections.homelab.k3s.plugins.plugin_utils.proxmox_api import (
    GuestUnavailable,
    ProxmoxApiError,
    ProxmoxGuestAddresses,
    split_token_id,
)

needs_proxmoxer = pytest.mark.skipif(importlib.util.find_spec("proxmoxer") is None, reason="proxmoxer missing")


@pytest.fixture
def proxmox(local_server, server_tls, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    return local_server(proxmox_like, tls=server_tls)


def client(server, tls_files, **overrides):
    settings = {
        "url": server.url,
        "user": None,
        "token_id": TOKEN_ID,
        "token_secret": TOKEN_SECRET,
        "ca_path": str(tls_files[0]),
        "timeout": 5,
    }
    settings.update(overrides)
    return ProxmoxGuestAddresses(**settings)


@needs_proxmoxer
def test_vm_addresses_from_the_guest_agent(proxmox, tls_files):
    api = client(proxmox, tls_files)
    assert api.addresses("qemu", "pve2", 302) == ["192.168.1.132"]
    assert api.addresses("qemu", "pve2", 302, version=6) == ["fd00:1::32"]
    assert proxmox.requests[0].headers["Authorization"] == f"PVEAPIToken={TOKEN_ID}={TOKEN_SECRET}"


@needs_proxmoxer
def test_container_addresses_from_its_interfaces(proxmox, tls_files):
    api = client(proxmox, tls_files)
    assert api.addresses("lxc", "pve2", 320) == ["192.168.1.61"]
    assert api.addresses("lxc", "pve2", 320, version=6) == ["fd00:1::61"]


@needs_proxmoxer
def test_agent_not_running(proxmox, tls_files):
    with pytest.raises(GuestUnavailable, match="VM 304 on pve2: HTTP 500 QEMU guest agent is not running"):
        client(proxmox, tls_files).addresses("qemu", "pve2", 304)


@needs_proxmoxer
def test_refused_token_stops_enrichment_without_showing_the_secret(proxmox, tls_files):
    with pytest.raises(ProxmoxApiError) as error:
        client(proxmox, tls_files, token_secret="wrong-secret").addresses("qemu", "pve2", 302)
    assert str(error.value) == f"Proxmox API at 127.0.0.1:{proxmox.port} refused the API token (HTTP 401)"


@needs_proxmoxer
@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_untrusted_certificate_and_unreachable_api(proxmox, tls_files):
    with pytest.raises(ProxmoxApiError, match="SSLError"):
        client(proxmox, tls_files, ca_path=None).addresses("qemu", "pve2", 302)
    assert client(proxmox, tls_files, ca_path=None, validate_certs=False).addresses("qemu", "pve2", 302)
    port = proxmox.port
    proxmox.stop()
    with pytest.raises(ProxmoxApiError, match=f"Proxmox API at 127.0.0.1:{port} failed: ConnectionError"):
        client(proxmox, tls_files, timeout=2).addresses("qemu", "pve2", 302)


def test_token_id_forms():
    assert split_token_id(None, "root@pam!inventory") == ("root@pam", "inventory")
    assert split_token_id("root@pam", "inventory") == ("root@pam", "inventory")
    with pytest.raises(ProxmoxApiError, match="user@realm!token"):
        split_token_id(None, "inventory")


def test_missing_settings():
    with pytest.raises(ProxmoxApiError, match="needs proxmox_url"):
        ProxmoxGuestAddresses(None, None, TOKEN_ID, TOKEN_SECRET)
    with pytest.raises(ProxmoxApiError, match="needs proxmox_url"):
        ProxmoxGuestAddresses("https://pve:8006", None, TOKEN_ID, None)


def test_missing_library_is_named(monkeypatch):
    monkeypatch.setattr(proxmox_api, "ProxmoxAPI", None)
    with pytest.raises(ProxmoxApiError, match="needs proxmoxer: pip install proxmoxer requests"):
        ProxmoxGuestAddresses("https://pve:8006", None, TOKEN_ID, TOKEN_SECRET)
