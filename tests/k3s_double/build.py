# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the k3s test double as release assets: one executable Python zipapp per architecture name.

    python3 tests/k3s_double/build.py --version v1.36.4+k3s1 --out .cache/k3s-double/v1.36.4+k3s1

writes k3s, k3s-arm64 and k3s-armhf and sha256sum-amd64.txt, sha256sum-arm64.txt and sha256sum-arm.txt in the
layout of a k3s release. The three are the same program, each marked with its architecture: run on a machine
of another architecture it fails as a foreign binary does, so a role that picks the wrong asset is caught. The
output depends only on the sources, the version and the architecture: the same input gives the same sha256.
"""

import argparse
import hashlib
import io
import json
import os
import re
import stat
import sys
import zipfile

PACKAGE = "k3s_double"
SHEBANG = b"#!/usr/bin/env python3\n"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
VERSION_PATTERN = re.compile(r"^v\d+\.\d+\.\d+(-rc\d+)?\+k3s\d+$")
LAUNCHER = """# The homelab.k3s k3s test double (not k3s): see docs/testing/k3s-test-double.md
import sys

from k3s_double.cli import main

sys.exit(main(sys.argv))
"""
ASSETS = {"amd64": "k3s", "arm64": "k3s-arm64", "arm": "k3s-armhf"}
KUBECTL_MEMBER = f"{PACKAGE}/bin/kubectl"


def _entry(name, data):
    info = zipfile.ZipInfo(name, FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    info.create_system = 3
    return info, data


def archive(version, arch="amd64", kubectl=None):
    """The zipapp bytes for a version and an architecture (amd64, arm64, arm); `kubectl` is the path of a
    real kubectl binary of that architecture to carry."""
    source_dir = os.path.dirname(os.path.abspath(__file__))
    entries = [_entry("__main__.py", LAUNCHER.encode())]
    for name in sorted(os.listdir(source_dir)):
        if name.endswith(".py") and name not in ("build.py", "__main__.py"):
            with open(os.path.join(source_dir, name), "rb") as handle:
                entries.append(_entry(f"{PACKAGE}/{name}", handle.read()))
    entries.append(_entry(f"{PACKAGE}/build_info.json", json.dumps({"version": version, "arch": arch}).encode()))
    if kubectl:
        with open(kubectl, "rb") as handle:
            entries.append(_entry(KUBECTL_MEMBER, handle.read()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for info, data in sorted(entries, key=lambda e: e[0].filename):
            # A large binary compresses nearly as well at level 1, in a tenth of the time.
            zipped.writestr(info, data, compresslevel=1 if info.filename == KUBECTL_MEMBER else 9)
    return SHEBANG + buffer.getvalue()


def build(version, out, kubectl=None, kubectl_arm64=None):
    """Write the assets and checksum files; `kubectl` goes into the amd64 asset, `kubectl_arm64` into the
    arm64 one. Returns the sha256 of the amd64 asset."""
    if not VERSION_PATTERN.match(version):
        raise ValueError(f"not a k3s version (like v1.36.4+k3s1): {version}")
    os.makedirs(out, exist_ok=True)
    digests = {}
    for arch, asset in ASSETS.items():
        data = archive(version, arch, {"amd64": kubectl, "arm64": kubectl_arm64}.get(arch))
        digest = digests[arch] = hashlib.sha256(data).hexdigest()
        path = os.path.join(out, asset)
        with open(path, "wb") as handle:
            handle.write(data)
        os.chmod(path, 0o755)  # noqa: S103 - a release asset is an executable for everyone
        with open(os.path.join(out, f"sha256sum-{arch}.txt"), "w", encoding="utf-8") as handle:
            handle.write(f"{digest}  {asset}\n")
    return digests["amd64"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", required=True, help="the k3s version to claim, e.g. v1.36.4+k3s1")
    parser.add_argument("--out", required=True, help="directory for the assets and checksum files")
    parser.add_argument("--kubectl", help="a real kubectl binary for `k3s kubectl` to run (amd64 asset)")
    parser.add_argument("--kubectl-arm64", help="a real arm64 kubectl binary (arm64 asset)")
    args = parser.parse_args(argv)
    for option, path in (("--kubectl", args.kubectl), ("--kubectl-arm64", args.kubectl_arm64)):
        if path and not os.access(path, os.X_OK):
            parser.error(f"{option}: not an executable file: {path}")
    try:
        digest = build(args.version, args.out, args.kubectl, args.kubectl_arm64)
    except ValueError as exc:
        parser.error(str(exc))
    sys.stdout.write(f"{digest}  {os.path.join(args.out, ASSETS['amd64'])}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
