# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""awx/configure.yml without an AWX server: syntax, lint, and its data checked against the rules AWX
applies when the objects are created (playbook list, surveys, credential types)."""

import os
import re
import subprocess

import pytest
from awx_runner import BIN, ROOT, load_vars

VARS = ROOT / "awx" / "vars"
TEMPLATES = load_vars(VARS / "job_templates.yml")["homelab_awx_job_templates"]
CREDENTIAL_TYPES = load_vars(VARS / "credential_types.yml")["homelab_awx_credential_types"]
SURVEY_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}
# A line AWX takes as the start of a playbook when it lists the project's playbooks.
PLAYBOOK_LINE = re.compile(r"^\s*?-?\s*?(?:hosts|(ansible\.builtin\.)?include|(ansible\.builtin\.)?import_playbook):")


def _run(*args):
    return subprocess.run([str(a) for a in args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def awx_playbooks():
    """The playbooks AWX offers for a job template of this project."""
    found = []
    for dirpath, dirnames, filenames in os.walk(ROOT):  # links are not followed, as in AWX
        rel = os.path.relpath(dirpath, ROOT)
        parts = [] if rel == "." else rel.split(os.sep)
        if {"roles", "tasks", "group_vars", "host_vars"} & set(parts) or any(p.startswith(".") for p in parts):
            dirnames[:] = []
            continue
        for name in filenames:
            if name.endswith((".yml", ".yaml")):
                with open(os.path.join(dirpath, name), encoding="utf-8", errors="ignore") as handle:
                    if any(PLAYBOOK_LINE.match(line) for line in handle):
                        found.append(os.path.normpath(os.path.join(rel, name)))
    return found


def test_configure_playbook_passes_syntax_check():
    result = _run(BIN / "ansible-playbook", "awx/configure.yml", "--syntax-check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_configure_playbook_passes_ansible_lint():
    result = _run(BIN / "ansible-lint", "--offline", "--profile", "production", "awx")
    assert result.returncode == 0, result.stdout + result.stderr


def test_job_templates_cover_the_day_two_playbooks():
    assert {t["name"] for t in TEMPLATES} >= {"site", "apps", "upgrade", "backup", "restore", "reset"}
    assert len({t["name"] for t in TEMPLATES}) == len(TEMPLATES)


@pytest.mark.parametrize("template", TEMPLATES, ids=[t["name"] for t in TEMPLATES])
def test_job_template_playbook_is_one_awx_lists(template):
    assert (ROOT / template["playbook"]).is_file()
    assert template["playbook"] in awx_playbooks()


@pytest.mark.parametrize("template", TEMPLATES, ids=[t["name"] for t in TEMPLATES])
def test_survey_follows_awx_rules(template):
    playbook = (ROOT / template["playbook"]).read_text()
    defaults = "\n".join(p.read_text() for p in ROOT.glob("roles/*/defaults/main.yml"))
    for question in template["survey"]:
        assert {"variable", "question_name", "type", "required"} <= question.keys()
        assert question["type"] in SURVEY_TYPES
        assert re.fullmatch(r"[a-z_][a-z0-9_]*", question["variable"])
        # a variable the playbook or a role reads
        assert question["variable"] in playbook or f"\n{question['variable']}:" in defaults, question["variable"]
        if question["type"] == "multiplechoice":
            assert question["default"] in question["choices"]
        if question["type"] == "integer":
            assert question["min"] <= question.get("default", question["min"]) <= question["max"]
        if question["type"] == "text" and "default" in question:
            assert question.get("min", 0) <= len(question["default"]) <= question.get("max", 1024)


def test_confirmations_default_to_no():
    confirmations = [q for t in TEMPLATES for q in t["survey"] if q["variable"].endswith("_confirm")]
    assert {t["name"] for t in TEMPLATES if any(q["variable"].endswith("_confirm") for q in t["survey"])} >= {
        "restore",
        "reset",
    }
    assert [(q["default"], q["choices"]) for q in confirmations] == [("no", ["no", "yes"])] * len(confirmations)


@pytest.mark.parametrize("kind", CREDENTIAL_TYPES, ids=[t["name"] for t in CREDENTIAL_TYPES])
def test_credential_type_injects_only_its_inputs(kind):
    fields = {f["id"] for f in kind["inputs"]["fields"]}
    assert set(kind["inputs"]["required"]) <= fields
    secrets = {f["id"] for f in kind["inputs"]["fields"] if f.get("secret")}
    assert secrets, "secrets are marked secret"

    def templates(value):
        if isinstance(value, dict):
            for item in value.values():
                yield from templates(item)
        else:
            yield value

    for name in kind["injectors"].get("env", {}):
        # AWX refuses ANSIBLE_* variables in credential types
        assert re.fullmatch(r"[A-Z_][A-Z0-9_]*", name) and not name.startswith("ANSIBLE_")
    for template in templates(kind["injectors"]):
        (field,) = re.fullmatch(r"\{\{ (\w+) \}\}", template).groups()
        assert field in fields
