# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: k3s_version_problem
short_description: Compare what a k3s binary reports with the version it should be
version_added: 0.2.0
author: homelab.k3s contributors
description:
  - Reads the output of C(k3s --version) (C(k3s version v1.32.1+k3s1 (abcdef12))) and returns an empty string
    when the binary is the wanted release, or a sentence that names both versions and the file otherwise.
  - Used before an upgrade drains anything, so that a release directory that still holds the old binary is
    found before a node goes down.
positional: wanted, source
options:
  _input:
    description: The output of C(k3s --version).
    type: str
    required: true
  wanted:
    description: The release the binary should be (C(k3s_version)).
    type: str
    required: true
  source:
    description: Where the binary comes from, for the message (a path or URL).
    type: str
    default: the k3s binary
"""

EXAMPLES = r"""
- name: Stop when the release directory holds another version
  ansible.builtin.assert:
    that: __problem | length == 0
    fail_msg: "{{ __problem }}"
  vars:
    __problem: "{{ __version.stdout | homelab.k3s.k3s_version_problem(k3s_version, k3s_file_dir ~ '/k3s') }}"
"""

RETURN = r"""
_value:
  description: Empty when the binary reports the wanted version; otherwise what is wrong and what to do.
  type: str
"""

from ansible_collections.homelab.k3s.plugins.plugin_utils.k3s_versions import reported_version


def k3s_version_problem(text, wanted: str, source: str = "the k3s binary") -> str:
    """Empty when `k3s --version` output names `wanted`; otherwise a message naming both versions."""
    found = reported_version(text)
    if found == wanted:
        return ""
    if not found:
        output = " ".join(str(text or "").split())[:200] or "nothing"
        return (
            f"{source} does not answer --version like k3s (it printed: {output}); it cannot be checked against "
            f"k3s_version {wanted}. Nothing was drained or changed."
        )
    return (
        f"{source} is k3s {found}, not k3s_version {wanted}: the release files were not updated (k3s_file_dir, "
        f"the airgap directory or the mirror still hold {found}). Put the {wanted} assets there, with their "
        "sha256sum file, and run again. Nothing was drained or changed."
    )


class FilterModule:
    def filters(self):
        return {"k3s_version_problem": k3s_version_problem}
