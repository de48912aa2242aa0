# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Local sources of Terraform state: state files and directories, and ``terraform show -json``."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from ansible_collections.homelab.k3s.plugins.plugin_utils.terraform_state import TerraformStateError

DEFAULT_BINARIES = ("terraform", "tofu")
LOCAL_STATE_FILE = "terraform.tfstate"


def state_file_paths(path: Path) -> list[Path]:
    """The state files a configured path stands for: the file itself, or a directory's ``*.tfstate`` files."""
    if path.is_dir():
        files = sorted(entry for entry in path.glob("*.tfstate") if entry.is_file())
        if not files:
            raise TerraformStateError(f"{path}: the directory holds no *.tfstate file")
        return files
    if not path.exists():
        raise TerraformStateError(f"{path}: no such state file or directory")
    return [path]


def read_state_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TerraformStateError(f"{path}: cannot read the state file: {exc.strerror}") from None


def find_binary(configured: str | None) -> str | None:
    """The terraform/tofu executable to run: the configured one, else the first found on PATH."""
    if configured:
        found = shutil.which(os.path.expanduser(configured))
        if found is None:
            raise TerraformStateError(f"binary_path {configured!r} is not an executable file or a command on PATH")
        return found
    for name in DEFAULT_BINARIES:
        found = shutil.which(name)
        if found:
            return found
    return None


def show_json(project: Path, binary: str, workspace: str | None, timeout: int) -> bytes:
    """Run ``<binary> show -json`` in a project directory and return its output."""
    if not project.is_dir():
        raise TerraformStateError(f"{project}: the project directory does not exist")
    env = dict(os.environ, TF_IN_AUTOMATION="1")
    if workspace:
        env["TF_WORKSPACE"] = workspace
    command = [binary, "show", "-json", "-no-color"]
    try:
        result = subprocess.run(command, cwd=project, env=env, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise TerraformStateError(f"{project}: '{binary} show -json' did not finish within {timeout}s") from None
    except OSError as exc:
        raise TerraformStateError(f"{project}: cannot run {binary}: {exc.strerror}") from None
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise TerraformStateError(
            f"{project}: '{binary} show -json' failed with exit code {result.returncode}: " + " ".join(detail)
        )
    return result.stdout


def project_state(project: Path, configured_binary: str | None, workspace: str | None, timeout: int):
    """State of a project directory as ``(source label, document, note)``.

    Runs ``show -json`` when a binary is available. Without one, a local-backend
    project's state file is read directly and ``note`` says so.
    """
    binary = find_binary(configured_binary)
    if binary:
        return f"{project} ({Path(binary).name} show -json)", show_json(project, binary, workspace, timeout), None
    local = project / LOCAL_STATE_FILE
    if workspace and workspace != "default":
        local = project / "terraform.tfstate.d" / workspace / LOCAL_STATE_FILE
    if local.is_file():
        return str(local), read_state_file(local), f"neither terraform nor tofu is on PATH: read {local} directly"
    raise TerraformStateError(
        f"{project}: neither terraform nor tofu is on PATH (set binary_path) and the project has no local state file"
    )
