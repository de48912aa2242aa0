# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import shutil

import pytest
from terraform_inventory_helpers import FIXTURES, fake_binary

from ansible_collections.homelab.k3s.plugins.plugin_utils.terraform_sources import (
    find_binary,
    project_state,
    read_state_file,
    show_json,
    state_file_paths,
)
from ansible_collections.homelab.k3s.plugins.plugin_utils.terraform_state import TerraformStateError


def test_state_file_path_is_taken_as_is(tmp_path):
    state = tmp_path / "a.tfstate"
    state.write_text("{}")
    assert state_file_paths(state) == [state]


def test_directory_stands_for_its_tfstate_files_in_order(tmp_path):
    for name in ("b.tfstate", "a.tfstate", "terraform.tfstate.backup", "notes.txt"):
        (tmp_path / name).write_text("{}")
    (tmp_path / "sub.tfstate").mkdir()
    assert [path.name for path in state_file_paths(tmp_path)] == ["a.tfstate", "b.tfstate"]


def test_directory_without_state_files_is_an_error(tmp_path):
    with pytest.raises(TerraformStateError, match=r"holds no \*\.tfstate file"):
        state_file_paths(tmp_path)


def test_missing_path_is_an_error(tmp_path):
    with pytest.raises(TerraformStateError, match="no such state file or directory"):
        state_file_paths(tmp_path / "gone.tfstate")


def test_unreadable_state_file_is_an_error(tmp_path):
    with pytest.raises(TerraformStateError, match="cannot read the state file"):
        read_state_file(tmp_path)  # a directory cannot be read as a file


def test_show_json_runs_in_the_project_with_the_workspace(tmp_path):
    binary = fake_binary(tmp_path / "bin")
    project = tmp_path / "project"
    project.mkdir()
    label, document, note = project_state(project, str(binary), "staging", timeout=10)
    assert document == (FIXTURES / "bpg.show.json").read_bytes()
    assert label == f"{project} (tofu show -json)"
    assert note is None
    assert (tmp_path / "bin" / "calls").read_text().splitlines() == [
        "show -json -no-color",
        str(project),
        "staging",
        "1",
    ]


def test_binary_found_on_path(tmp_path, monkeypatch):
    binary = fake_binary(tmp_path / "bin", name="terraform")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert find_binary(None) == str(binary)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert find_binary(None) is None


def test_configured_binary_that_does_not_exist(tmp_path):
    with pytest.raises(TerraformStateError, match="binary_path '/nowhere/tofu' is not an executable"):
        find_binary("/nowhere/tofu")


def test_failing_show_reports_exit_code_and_stderr(tmp_path):
    binary = fake_binary(tmp_path / "bin", exit_code=1)
    with pytest.raises(TerraformStateError, match="failed with exit code 1: Error: Backend initialization required"):
        show_json(tmp_path, str(binary), None, timeout=10)


def test_show_that_hangs_is_stopped(tmp_path):
    binary = fake_binary(tmp_path / "bin", sleep=5)
    with pytest.raises(TerraformStateError, match="did not finish within 1s"):
        show_json(tmp_path, str(binary), None, timeout=1)


def test_missing_project_directory(tmp_path):
    binary = fake_binary(tmp_path / "bin")
    with pytest.raises(TerraformStateError, match="project directory does not exist"):
        show_json(tmp_path / "nope", str(binary), None, timeout=10)


def test_without_binary_the_local_state_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    shutil.copy(FIXTURES / "telmate.tfstate", tmp_path / "terraform.tfstate")
    workspace = tmp_path / "terraform.tfstate.d" / "staging"
    workspace.mkdir(parents=True)
    shutil.copy(FIXTURES / "bpg.tfstate", workspace / "terraform.tfstate")
    label, document, note = project_state(tmp_path, None, None, timeout=10)
    assert document == (FIXTURES / "telmate.tfstate").read_bytes()
    assert note == f"neither terraform nor tofu is on PATH: read {tmp_path / 'terraform.tfstate'} directly"
    label, document, note = project_state(tmp_path, None, "staging", timeout=10)
    assert document == (FIXTURES / "bpg.tfstate").read_bytes()
    assert label == str(workspace / "terraform.tfstate")


def test_without_binary_and_local_state_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(TerraformStateError, match="neither terraform nor tofu is on PATH"):
        project_state(tmp_path, None, None, timeout=10)
