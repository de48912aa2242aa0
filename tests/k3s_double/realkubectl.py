# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`k3s kubectl` with the real kubectl: a double built with `build.py --kubectl PATH` carries that binary
as `k3s_double/bin/kubectl` in its archive. The first `k3s kubectl` unpacks it to
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

from k3s_double import datadir

MEMBER = "k3s_double/bin/kubectl"


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
