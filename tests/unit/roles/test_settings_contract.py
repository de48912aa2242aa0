# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared k3s_* settings are one contract: their values live in the k3s role's defaults only, every role
that reads one brings those defaults in and declares it in its argument specs as the k3s role does, and the
playbooks run on the groups the group settings name."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from ansible_collections.homelab.k3s.plugins.plugin_utils import run_groups

ROOT = Path(__file__).resolve().parents[3]
ROLES = ROOT / "roles"
K3S_SPEC = yaml.safe_load((ROLES / "k3s/meta/argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
K3S_DEFAULTS = yaml.safe_load((ROLES / "k3s/defaults/main.yml").read_text())
SETTINGS_IMPORT = {"name": "homelab.k3s.k3s", "tasks_from": "settings"}
OTHER_ROLES = sorted(path.name for path in ROLES.iterdir() if path.is_dir() and path.name != "k3s")


def _role_text(role: str) -> str:
    """Every task, default, variable and template of a role (not its argument specs, which document)."""
    parts = [
        path.read_text()
        for sub in ("tasks", "defaults", "vars", "templates", "handlers")
        for path in sorted((ROLES / role / sub).rglob("*"))
        if path.is_file()
    ]
    return "\n".join(parts)


def _read_settings(role: str) -> set[str]:
    text = _role_text(role)
    return {name for name in K3S_SPEC if re.search(rf"\b{name}\b", text)}


def _entry_files(role: str) -> set[str]:
    """The task files other roles and the playbooks enter a role by: its argument-spec entry points and every
    tasks_from naming it."""
    spec = yaml.safe_load((ROLES / role / "meta/argument_specs.yml").read_text())["argument_specs"]
    entries = set(spec)
    for path in list((ROOT / "playbooks").glob("*.yml")) + list(ROLES.rglob("tasks/*.yml")):
        for match in re.finditer(rf"name: homelab\.k3s\.{role}\n(?:\s+#.*\n)*\s+tasks_from: (\w+)", path.read_text()):
            entries.add(match.group(1))
    return {entry for entry in entries if (ROLES / role / "tasks" / f"{entry}.yml").exists()}


def test_the_contract_is_what_the_k3s_role_declares_and_defaults():
    assert set(K3S_DEFAULTS) >= {"k3s_server_group", "k3s_agent_group", "k3s_cluster_group", "k3s_version"}
    for name, spec in K3S_SPEC.items():
        if "default" in spec:
            assert K3S_DEFAULTS.get(name) == spec["default"], f"{name}: the defaults and the argument specs differ"


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_no_role_restates_a_default_of_the_contract(role):
    text = _role_text(role) + (ROLES / role / "meta/argument_specs.yml").read_text()
    restated = sorted(set(re.findall(r"\b(k3s_\w+)\s*\|\s*default\b", text)) & set(K3S_SPEC))
    assert not restated, f"{role} restates the default of {restated}: the k3s role's defaults are their one home"
    for playbook in (ROOT / "playbooks").glob("*.yml"):
        assert not re.search(r"\bk3s_\w+\s*\|\s*default\b", playbook.read_text()), playbook.name


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_every_role_that_reads_the_contract_brings_its_defaults_in_at_each_entry(role):
    if not _read_settings(role):
        pytest.skip(f"{role} reads no shared k3s setting")
    for entry in sorted(_entry_files(role)):
        tasks = yaml.safe_load((ROLES / role / "tasks" / f"{entry}.yml").read_text())
        first = tasks[0]
        assert first.get("ansible.builtin.import_role") == SETTINGS_IMPORT, f"{role}/tasks/{entry}.yml"


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_every_shared_setting_a_role_reads_is_declared_in_its_argument_specs_as_the_k3s_role_does(role):
    spec = yaml.safe_load((ROLES / role / "meta/argument_specs.yml").read_text())["argument_specs"]
    declared: dict[str, dict[str, Any]] = {}
    for entry in spec.values():
        for name, option in (entry.get("options") or {}).items():
            if name in K3S_SPEC:
                declared.setdefault(name, option)
                assert option.get("type") == K3S_SPEC[name].get("type"), f"{role}: type of {name}"
                if "default" in option:
                    assert option["default"] == K3S_SPEC[name].get("default"), f"{role}: default of {name}"
    missing = sorted(_read_settings(role) - set(declared))
    assert not missing, f"{role} reads {missing} without declaring them in meta/argument_specs.yml"


def test_the_playbooks_run_on_the_groups_the_group_settings_fill():
    known = {run_groups.SERVERS, run_groups.AGENTS, run_groups.CLUSTER}
    for playbook in sorted((ROOT / "playbooks").glob("*.yml")):
        plays = yaml.safe_load(playbook.read_text())
        for play in plays:
            if "hosts" not in play:
                continue
            patterns = {re.sub(r"\[\d+\]$", "", part) for part in str(play["hosts"]).split(":")}
            if playbook.name == "cluster_groups.yml":
                assert patterns == {"server", "all"}
                continue
            assert patterns <= known, f"{playbook.name}: {play['name']} runs on {play['hosts']}"
        standalone = playbook.name not in {"cluster_groups.yml", "preflight.yml", "adopt_check.yml", "adopt.yml"}
        if standalone:
            assert plays[0].get("ansible.builtin.import_playbook") == "cluster_groups.yml", playbook.name


def test_the_settings_page_lists_every_shared_setting_and_who_reads_it():
    page = (ROOT / "docs/settings.md").read_text()
    rows = dict(re.findall(r"^\| `(k3s_\w+)` \| .+? \| ([a-z0-9, ]+) \|$", page, re.MULTILINE))
    expected = {}
    for role in ["k3s", *OTHER_ROLES]:
        for name in set(K3S_SPEC) if role == "k3s" else _read_settings(role):
            expected.setdefault(name, []).append(role)
    shared = {name: roles for name, roles in expected.items() if len(roles) > 1}
    assert {name: sorted(value.split(", ")) for name, value in rows.items()} == {
        name: sorted(roles) for name, roles in shared.items()
    }
