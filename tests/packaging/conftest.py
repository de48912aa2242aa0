# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the collection, install it into empty directories and run the ansible tools from there.

Offline: no Galaxy server is reachable, so `--offline` resolves the dependencies against the collections
the `ansible` package already installed in the venv.
"""

import tarfile
from collections import namedtuple

import pytest
from pkg_helpers import BIN, ROOT, run


@pytest.fixture(scope="session")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    run([BIN / "ansible-galaxy", "collection", "build", "--output-path", out, ROOT], cwd=ROOT)
    (path,) = out.glob("homelab-k3s-*.tar.gz")
    return path


@pytest.fixture(scope="session")
def members(tarball):
    with tarfile.open(tarball) as archive:
        return archive.getmembers()


Installed = namedtuple("Installed", "collections output")


def install(source, tmp_path_factory, name):
    """Install `source` into a new, empty collections directory."""
    dest = tmp_path_factory.mktemp(name)
    result = run([BIN / "ansible-galaxy", "collection", "install", "--offline", "-p", dest, source], cwd=dest)
    return Installed(dest, result.stdout)


@pytest.fixture(scope="session")
def from_tarball(tarball, tmp_path_factory):
    return install(tarball, tmp_path_factory, "from-tarball")


@pytest.fixture(scope="session")
def from_git(tmp_path_factory):
    """Installed from a git URL: a clone of HEAD, so only committed files count."""
    clone = tmp_path_factory.mktemp("git") / "homelab.k3s"
    run(["git", "clone", "--quiet", "--no-hardlinks", ROOT, clone], cwd=clone.parent)
    return install(f"git+file://{clone}", tmp_path_factory, "from-git")
