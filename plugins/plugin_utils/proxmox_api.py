# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guest addresses from the Proxmox VE API (token authentication), for guests whose state has none."""

from __future__ import annotations

from urllib.parse import urlsplit

from ansible_collections.homelab.k3s.plugins.plugin_utils.ip_addresses import usable_addresses
from ansible_collections.homelab.k3s.plugins.plugin_utils.proxmox_resources import LOOPBACK_INTERFACES

try:
    from proxmoxer import ProxmoxAPI
    from proxmoxer.core import ResourceException
    from requests.exceptions import RequestException
except ImportError:  # reported when enrichment is asked for
    ProxmoxAPI = None


class ProxmoxApiError(Exception):
    """The API cannot be used at all (missing library, bad settings, unreachable)."""


class GuestUnavailable(Exception):
    """The API answered, but not with addresses for this guest (agent not running, guest stopped)."""


def split_token_id(user: str | None, token_id: str | None) -> tuple[str, str]:
    """User and token name from ``user@realm!name``, or from a separate user and a bare token name."""
    token_id = token_id or ""
    if "!" in token_id:
        token_user, _bang, name = token_id.partition("!")
        return token_user, name
    if not user or not token_id:
        raise ProxmoxApiError("proxmox_token_id must be 'user@realm!token', or set proxmox_user and a token name")
    return user, token_id


class ProxmoxGuestAddresses:
    """Reads guest-agent (VM) and interface (container) addresses through proxmoxer."""

    def __init__(self, url, user, token_id, token_secret, validate_certs=True, ca_path=None, timeout=10):
        if ProxmoxAPI is None:
            raise ProxmoxApiError("proxmox_api_enrichment needs proxmoxer: pip install proxmoxer requests")
        if not url or not token_secret:
            raise ProxmoxApiError("proxmox_api_enrichment needs proxmox_url, proxmox_token_id and proxmox_token_secret")
        parts = urlsplit(url if "://" in url else f"https://{url}")
        if not parts.hostname:
            raise ProxmoxApiError(f"proxmox_url {url!r} has no host name")
        user, token_name = split_token_id(user, token_id)
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        self.label = f"{host}:{parts.port or 8006}"
        self._api = ProxmoxAPI(
            host,
            port=parts.port or 8006,
            user=user,
            token_name=token_name,
            token_value=token_secret,
            verify_ssl=ca_path or validate_certs,
            timeout=timeout,
        )

    def _get(self, call, what: str):
        try:
            return call()
        except ResourceException as exc:
            if exc.status_code in (401, 403):
                raise ProxmoxApiError(
                    f"Proxmox API at {self.label} refused the API token (HTTP {exc.status_code})"
                ) from None
            raise GuestUnavailable(f"{what}: HTTP {exc.status_code} {str(exc.content or '').strip()}") from None
        except RequestException as exc:
            detail = f"{type(exc).__name__}: {str(exc)[:300]}"
            raise ProxmoxApiError(f"Proxmox API at {self.label} failed: {detail}") from None

    def addresses(self, kind: str, node: str, vmid: int, version: int = 4) -> list:
        """Usable addresses of a guest, interface by interface, loopback interfaces skipped."""
        key = "ipv4" if version == 4 else "ipv6"
        values = []
        if kind == "qemu":
            answer = self._get(
                lambda: self._api.nodes(node).qemu(vmid).agent("network-get-interfaces").get(),
                f"VM {vmid} on {node}",
            )
            interfaces = answer.get("result") if isinstance(answer, dict) else None
            for interface in interfaces or []:
                if interface.get("name") in LOOPBACK_INTERFACES:
                    continue
                for entry in interface.get("ip-addresses") or []:
                    if entry.get("ip-address-type") == key:
                        values.append(entry.get("ip-address"))
        else:
            interfaces = self._get(self._api.nodes(node).lxc(vmid).interfaces.get, f"container {vmid} on {node}")
            for interface in interfaces or []:
                if interface.get("name") in LOOPBACK_INTERFACES:
                    continue
                values.append(interface.get("inet" if version == 4 else "inet6"))
        return usable_addresses(values, version)
