# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The execution environment definition: ansible-builder turns it into a build context, and an execution
environment that installs the collection picks up its Python and system dependencies."""

from importlib.metadata import version

import yaml
from packaging.requirements import Requirement
from pkg_helpers import BIN, ROOT, run


def _requirements(path):
    return [line.split("#")[0].strip() for line in path.read_text().splitlines() if line.split("#")[0].strip()]


def test_builder_creates_a_build_context(tmp_path):
    context = tmp_path / "context"
    run([BIN / "ansible-builder", "create", "--file", "execution-environment.yml", "--context", context], cwd=ROOT)
    containerfile = (context / "Containerfile").read_text()
    definition = yaml.safe_load((ROOT / "execution-environment.yml").read_text())
    assert definition["version"] == 3
    assert f'ARG EE_BASE_IMAGE="{definition["images"]["base_image"]["name"]}"' in containerfile
    assert "ansible-core==" in containerfile and "ansible-runner==" in containerfile
    build = context / "_build"
    assert (build / "requirements.yml").read_text() == (ROOT / "collections" / "requirements.yml").read_text()
    assert (build / "requirements.txt").read_text() == (ROOT / "requirements.txt").read_text()
    assert (build / "bindep.txt").read_text() == (ROOT / "bindep.txt").read_text()
    for stage in ("FROM base AS galaxy", "FROM base AS builder", "ansible-galaxy collection install"):
        assert stage in containerfile


def test_installed_collection_declares_its_dependencies(from_tarball):
    collections = from_tarball.collections
    result = run([BIN / "ansible-builder", "introspect", "--sanitize", collections], cwd=collections)
    found = yaml.safe_load(result.stdout)
    python = [line.split("#")[0].strip() for line in found["python"]]
    # --sanitize leaves out what every image has (ansible-core brings PyYAML).
    listed = [line for line in _requirements(ROOT / "requirements.txt") if Requirement(line).name != "PyYAML"]
    assert python == listed
    assert "homelab.k3s" in result.stdout
    system = [line.split("#")[0].strip() for line in found["system"]]
    assert system == _requirements(ROOT / "bindep.txt")


def test_tested_library_versions_are_within_the_ranges():
    """The tests run with libraries the ranges of requirements.txt accept."""
    for line in _requirements(ROOT / "requirements.txt"):
        requirement = Requirement(line)
        assert requirement.specifier.contains(version(requirement.name)), (line, version(requirement.name))


def test_one_list_of_controller_requirements():
    """The execution environment, the collection's own EE metadata and the docs name the same two lists; the
    consumer scenario (tests/consumer) installs from execution-environment.yml and the installed requirements.txt."""
    definition = yaml.safe_load((ROOT / "execution-environment.yml").read_text())["dependencies"]
    assert (definition["python"], definition["galaxy"], definition["system"]) == (
        "requirements.txt",
        "collections/requirements.yml",
        "bindep.txt",
    )
    meta = yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text())["dependencies"]
    assert (meta["python"], meta["system"]) == ("requirements.txt", "bindep.txt")
    assert not (ROOT / "meta" / "ee-requirements.txt").exists()
    for doc in ("docs/quickstart.md", "docs/awx.md"):
        assert "requirements.txt" in (ROOT / doc).read_text(), doc
    names = {Requirement(line).name for line in _requirements(ROOT / "requirements.txt")}
    assert {"netaddr", "PyYAML", "kubernetes-validate", "jsonschema", "proxmoxer", "requests"} == names
