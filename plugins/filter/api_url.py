# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: api_url
short_description: The https URL of the Kubernetes API at an address
version_added: 0.2.0
author: homelab.k3s contributors
description:
  - Builds C(https://<address>:<port>), with an IPv6 address in brackets. An empty address gives an empty string.
options:
  _input:
    description: A host name or an IP address, without scheme or port.
    type: str
    required: true
  port:
    description: The API port.
    type: int
    default: 6443
"""

EXAMPLES = r"""
- name: The API URL of a server
  ansible.builtin.debug:
    msg: "{{ 'fd00::10' | homelab.k3s.api_url(6443) }}"  # https://[fd00::10]:6443
"""

RETURN = r"""
_value:
  description: The URL; empty when the address is.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.plugin_utils.node_identity import api_url as _api_url


def api_url(address, port=6443):
    if address is not None and not isinstance(address, str):
        raise AnsibleFilterError(f"api_url: the input must be a host name or an IP address, not {address!r}")
    if isinstance(port, bool) or not str(port).isdigit() or not 0 < int(port) < 65536:
        raise AnsibleFilterError(f"api_url: the port must be a number from 1 to 65535 (k3s_api_port), not {port!r}")
    return _api_url(address or "", int(port))


class FilterModule:
    def filters(self):
        return {"api_url": api_url}
