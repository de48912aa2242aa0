# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: sha256sum_entry
short_description: Look up a file's checksum in C(sha256sum) output
version_added: 0.1.0
author: homelab.k3s contributors
description:
  - Reads text in the format C(sha256sum) writes (a release's C(sha256sum-amd64.txt), for example) and returns the
    checksum listed for one file name.
  - Fails with a message naming the file when it is not listed or its checksum is not 64 hexadecimal digits.
positional: filename
options:
  _input:
    description: The content of the checksum file.
    type: str
    required: true
  filename:
    description: The file name to look up, as listed (without directories).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Checksum of the arm64 binary
  ansible.builtin.debug:
    msg: "{{ lookup('file', '/srv/k3s/sha256sum-arm64.txt') | homelab.k3s.sha256sum_entry('k3s-arm64') }}"
"""

RETURN = r"""
_value:
  description: The checksum, lower case.
  type: str
"""

import re

from ansible.errors import AnsibleFilterError

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def sha256sum_entry(text, filename):
    """Return the sha256 listed for `filename` in sha256sum-formatted text."""
    for line in str(text).splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) != 2:
            continue
        digest, name = parts[0].lower(), parts[1].lstrip("*").strip()
        if name.rsplit("/", 1)[-1] != filename:
            continue
        if not _HEX64.match(digest):
            raise AnsibleFilterError(f"sha256sum_entry: the checksum listed for {filename} is not a sha256: {digest!r}")
        return digest
    raise AnsibleFilterError(f"sha256sum_entry: {filename} is not listed in the checksum file")


class FilterModule:
    def filters(self):
        return {"sha256sum_entry": sha256sum_entry}
