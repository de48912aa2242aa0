# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn the address strings found in Terraform state into addresses Ansible can connect to."""

from __future__ import annotations

import socket

try:
    from netaddr import INET_PTON, valid_ipv4, valid_ipv6
except ImportError:  # the inventory plugin reports it before any address is read
    HAS_NETADDR = False
else:
    HAS_NETADDR = True

# Values of Proxmox IP settings that name a method instead of an address.
_METHODS = frozenset({"", "dhcp", "auto", "manual", "static"})
_IPV6_LOOPBACK = bytes(15) + b"\x01"


def _reachable_ipv4(packed: bytes) -> bool:
    first = packed[0]
    return not (first == 127 or packed[:2] == b"\xa9\xfe" or 224 <= first <= 239 or packed == bytes(4))


def _reachable_ipv6(packed: bytes) -> bool:
    link_local = packed[0] == 0xFE and packed[1] & 0xC0 == 0x80
    return not (packed in (_IPV6_LOOPBACK, bytes(16)) or packed[0] == 0xFF or link_local)


def usable_address(value: object, version: int = 4) -> str | None:
    """Return the address in ``value`` without its CIDR suffix, in canonical form, or None.

    None stands for: not a string, an address method (dhcp, auto), not an IP of
    the wanted version, or an address no other host can reach (loopback,
    link-local, unspecified, multicast).
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.lower() in _METHODS:
        return None
    text = text.split("/", 1)[0]
    if version == 4:
        if not valid_ipv4(text, INET_PTON):
            return None
        packed = socket.inet_pton(socket.AF_INET, text)
        return socket.inet_ntop(socket.AF_INET, packed) if _reachable_ipv4(packed) else None
    if "%" in text or not valid_ipv6(text, INET_PTON):  # a zone index only comes with link-local addresses
        return None
    packed = socket.inet_pton(socket.AF_INET6, text)
    return socket.inet_ntop(socket.AF_INET6, packed) if _reachable_ipv6(packed) else None


def usable_addresses(values, version: int = 4) -> list[str]:
    """The usable addresses among ``values``, in order, without repeats."""
    seen: list[str] = []
    for value in values:
        address = usable_address(value, version)
        if address is not None and address not in seen:
            seen.append(address)
    return seen


def proxmox_ipconfig_addresses(ipconfig: object) -> dict[int, str]:
    """Split a Proxmox ``ipconfigN`` string such as ``ip=192.0.2.10/24,gw=192.0.2.1``.

    Returns the raw ``ip`` (version 4) and ``ip6`` (version 6) values by IP version.
    """
    found: dict[int, str] = {}
    if not isinstance(ipconfig, str):
        return found
    for part in ipconfig.split(","):
        key, _eq, value = part.strip().partition("=")
        if key == "ip":
            found[4] = value
        elif key == "ip6":
            found[6] = value
    return found
