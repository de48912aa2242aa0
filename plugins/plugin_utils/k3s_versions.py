# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""k3s releases such as v1.32.1+k3s1 or v1.33.0-rc1+k3s1: what one looks like, and their order."""

from __future__ import annotations

import re
from typing import NamedTuple

# A pinned release; k3s --version prints it after "k3s version ".
PATTERN = r"v([0-9]+)\.([0-9]+)\.([0-9]+)(?:-rc([0-9]+))?\+k3s([0-9]+)"
RELEASE = re.compile(f"^{PATTERN}$")
REPORTED = re.compile(rf"\bk3s version ({PATTERN})")


class K3sVersion(NamedTuple):
    """A k3s release; tuples of it compare in release order (an rc before its release, then the +k3sN builds)."""

    major: int
    minor: int
    patch: int
    released: int  # 0 for a release candidate, 1 for the release itself
    rc: int
    build: int

    @property
    def next_minor(self) -> str:
        """The next minor version, for a message: v1.33.x after v1.32.4+k3s1."""
        return f"v{self.major}.{self.minor + 1}.x"


def k3s_version(text: object) -> K3sVersion | None:
    """The release named by ``text``; None when it is not a pinned k3s release."""
    found = RELEASE.match(str(text or ""))
    if not found:
        return None
    major, minor, patch, rc, build = found.groups()
    return K3sVersion(int(major), int(minor), int(patch), 0 if rc else 1, int(rc or 0), int(build))


def reported_version(text: object) -> str:
    """The release named by `k3s --version` output, empty when it does not name one."""
    found = REPORTED.search(str(text or ""))
    return found.group(1) if found else ""
