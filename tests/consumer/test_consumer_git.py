# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Installing from git, as the README and the quickstart say: a git URL, and a requirements file with a git
source. Both build the collection from the repository's committed files, so they must hold what the artifact
holds, and both fetch the declared dependencies from Galaxy."""

from __future__ import annotations

import json
import tarfile

import pytest
import yaml
from conftest import ROOT, GalaxyServer, run, user_env
from local_galaxy import declared_dependencies


@pytest.fixture(scope="module")
def bare_clone(tmp_path_factory):
    path = tmp_path_factory.mktemp("git") / "homelab.k3s.git"
    run(["git", "clone", "--quiet", "--bare", ROOT, path], cwd=path.parent)
    return path


@pytest.fixture(scope="module")
def artifact_files(artifact):
    with tarfile.open(artifact) as archive:
        return sorted(e["name"] for e in json.load(archive.extractfile("FILES.json"))["files"])


def _install(args, workstation, oldest, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    with GalaxyServer(oldest) as galaxy:
        result = run(
            ["ansible-galaxy", "collection", "install", *args],
            cwd=tmp_path,
            env=user_env(workstation["venv"], home, ANSIBLE_GALAXY_SERVER=galaxy.url),
        )
    return home / ".ansible" / "collections" / "ansible_collections", result.stdout


def _check(collections, output, artifact_files):
    installed = collections / "homelab" / "k3s"
    assert "homelab.k3s:0.1.0 was installed successfully" in output
    files = sorted(e["name"] for e in json.loads((installed / "FILES.json").read_text())["files"])
    assert files == artifact_files
    assert [p for p in installed.rglob("*") if p.is_symlink()] == []
    for fqcn in declared_dependencies():
        assert (collections / fqcn.replace(".", "/") / "MANIFEST.json").is_file(), fqcn


def test_install_from_a_git_url(bare_clone, workstation, oldest, artifact_files, tmp_path):
    collections, output = _install([f"git+file://{bare_clone}"], workstation, oldest, tmp_path)
    _check(collections, output, artifact_files)


def test_install_from_a_requirements_file_with_a_git_source(bare_clone, workstation, oldest, artifact_files, tmp_path):
    head = run(["git", "rev-parse", "HEAD"], cwd=bare_clone).stdout.strip()
    requirements = tmp_path / "requirements.yml"
    requirements.write_text(
        yaml.safe_dump({"collections": [{"name": f"file://{bare_clone}", "type": "git", "version": head}]})
    )
    collections, output = _install(["-r", requirements], workstation, oldest, tmp_path)
    _check(collections, output, artifact_files)
