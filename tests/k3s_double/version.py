# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The k3s version the double claims to be, fixed at build time."""

import json
import pkgutil
import platform
import re

DEFAULT_VERSION = "v1.36.4+k3s1"
COMMIT = "testdouble"
BUILD_INFO = "build_info.json"
VERSION_PATTERN = re.compile(r"^v(\d+)\.(\d+)\.(\d+)(-rc\d+)?\+k3s\d+$")

# The Go release each Kubernetes minor of k3s was built with, for the `go version` line and /version.
# From the k3s release notes ("Update to v1.3x.y-k3s1 and Go 1.z"); later minors take the newest known.
_GO_VERSIONS = {
    28: "go1.20.14",
    29: "go1.22.8",
    30: "go1.22.9",
    31: "go1.22.9",
    32: "go1.23.4",
    33: "go1.24.2",
    34: "go1.25.11",
    35: "go1.25.11",
    36: "go1.26.4",
}


def _build_info():
    try:
        data = pkgutil.get_data("k3s_double", BUILD_INFO)
        return json.loads(data.decode()) if data else {}
    except (OSError, ValueError):
        return {}


_INFO = _build_info()
VERSION = _INFO.get("version") or DEFAULT_VERSION
# The architecture of the release asset this build is (None when run from the sources).
ARCH = _INFO.get("arch")


def parts(version=None):
    """Return (major, minor) of a k3s version string."""
    match = VERSION_PATTERN.match(version or VERSION)
    if not match:
        raise ValueError(f"not a k3s version: {version!r}")
    return int(match.group(1)), int(match.group(2))


def go_version():
    return _GO_VERSIONS.get(parts()[1], _GO_VERSIONS[max(_GO_VERSIONS)])


def goarch():
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        machine, "arm" if machine.startswith("arm") else machine
    )


def version_lines():
    """The two lines `k3s --version` prints."""
    python = platform.python_version()
    return [
        f"k3s version {VERSION} ({COMMIT})",
        f"go version {go_version()} (homelab.k3s test double, not k3s: Python {python})",
    ]


def kube_version_info():
    """The body of the apiserver's /version endpoint."""
    major, minor = parts()
    return {
        "major": str(major),
        "minor": str(minor),
        "gitVersion": VERSION,
        "gitCommit": COMMIT,
        "gitTreeState": "clean",
        "buildDate": "1970-01-01T00:00:00Z",
        "goVersion": go_version(),
        "compiler": "gc",
        "platform": f"linux/{goarch()}",
    }
