# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hosted CI workflows (.github/workflows) pass actionlint and run what docs/testing says they run."""

import pathlib
import shutil
import subprocess

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = shutil.which("actionlint")


def actionlint(*paths):
    assert ACTIONLINT, "actionlint is missing: pip install -r requirements-dev.txt"
    return subprocess.run(
        [ACTIONLINT, "-no-color", *map(str, paths)], capture_output=True, text=True, timeout=120, check=False
    )


def test_workflows_exist():
    assert [w.name for w in WORKFLOWS] == ["real-k3s.yml"]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_passes_actionlint(workflow):
    result = actionlint(workflow)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    text = (ROOT / ".github" / "workflows" / "real-k3s.yml").read_text(encoding="utf-8")
    broken.write_text(text.replace("${{ matrix.scenario }}", "${{ matrix.scenarios }}"), encoding="utf-8")
    result = actionlint(broken)
    assert result.returncode != 0
    assert "scenarios" in result.stdout


def _k3s_scenarios():
    """The scenarios whose k3s source follows K3S_LAB_SOURCE (the test double, or the release)."""
    found = set()
    for path in sorted((ROOT / "molecule").glob("*/molecule.yml")):
        name = path.parent.name
        scenario = yaml.safe_load(path.read_text(encoding="utf-8"))
        source = scenario["provisioner"]["inventory"].get("group_vars", {}).get("all", {}).get("k3s_source", "")
        if "K3S_LAB_SOURCE" in str(source):
            found.add(name)
    return found


def test_real_k3s_workflow_runs_every_k3s_scenario_on_the_release():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "real-k3s.yml").read_text(encoding="utf-8"))
    job = workflow["jobs"]["scenario"]
    assert job["env"]["K3S_LAB_SOURCE"] == "release"
    assert set(job["strategy"]["matrix"]["scenario"]) == _k3s_scenarios()
    commands = " ".join(step.get("run", "") for step in job["steps"])
    assert "tests/setup.sh" in commands
    assert "tests/run.sh molecule" in commands
