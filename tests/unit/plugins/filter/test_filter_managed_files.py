# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""managed_header and foreign_files: the header the k3s role writes is the one reset looks for."""

from __future__ import annotations

import base64
import pathlib

import jinja2
import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible.plugins.filter.core import combine, to_nice_yaml

from ansible_collections.homelab.k3s.plugins.filter.foreign_files import FilterModule as ForeignFiles
from ansible_collections.homelab.k3s.plugins.filter.foreign_files import foreign_files
from ansible_collections.homelab.k3s.plugins.filter.managed_header import FilterModule as ManagedHeader
from ansible_collections.homelab.k3s.plugins.filter.managed_header import managed_header
from ansible_collections.homelab.k3s.plugins.module_utils.k3s_facts import MANAGED_HEADER, unit_writer

ROOT = pathlib.Path(__file__).resolve().parents[4]
K3S_ROLE = ROOT / "roles" / "k3s"
MAINTENANCE_ROLE = ROOT / "roles" / "maintenance"
INSTALL_SCRIPT_UNIT = "[Unit]\nDescription=Lightweight Kubernetes\nDocumentation=https://k3s.io\n"


def slurped(path, text):
    return {"item": path, "source": path, "encoding": "base64", "content": base64.b64encode(text.encode()).decode()}


def environment():
    # As the template module renders: trailing newline kept, a block tag's newline dropped.
    env = jinja2.Environment(  # noqa: S701 - unit files and YAML, not HTML
        trim_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined
    )
    env.filters.update(
        {
            "homelab.k3s.managed_header": managed_header,
            "homelab.k3s.foreign_files": foreign_files,
            "combine": combine,
            "to_nice_yaml": to_nice_yaml,
        }
    )
    return env


def role_vars(role):
    return yaml.safe_load((role / "vars" / "main.yml").read_text(encoding="utf-8"))


def render_unit(mode):
    k3s_vars = role_vars(K3S_ROLE)
    variables = {
        "k3s_mode": mode,
        "__k3s_service": "k3s" if mode == "server" else "k3s-agent",
        "__k3s_unit_dir": k3s_vars["__k3s_unit_dir"],
        "__k3s_binary": "/usr/local/bin/k3s",
        "__k3s_service_limit_defaults": k3s_vars["__k3s_service_limit_defaults"],
        "k3s_service_limits": {},
        "k3s_environment": {},
        "k3s_mode_env": {"K3S_TOKEN": "secret"},
    }
    env = environment()
    unit = env.from_string((K3S_ROLE / "templates" / "k3s.service.j2").read_text(encoding="utf-8"))
    env_file = env.from_string((K3S_ROLE / "templates" / "k3s.env.j2").read_text(encoding="utf-8"))
    return unit.render(variables), env_file.render(variables)


def test_filters_are_registered():
    assert ManagedHeader().filters()["managed_header"] is managed_header
    assert ForeignFiles().filters()["foreign_files"] is foreign_files


@pytest.mark.parametrize(
    ("note", "line"),
    [
        ("local changes are overwritten.", "# Managed by homelab.k3s: local changes are overwritten."),
        ("  environment of k3s.service ", "# Managed by homelab.k3s: environment of k3s.service"),
        ("", "# Managed by homelab.k3s"),
        (None, "# Managed by homelab.k3s"),
    ],
)
def test_managed_header(note, line):
    assert managed_header(note) == line


def test_foreign_files_lists_the_files_without_the_header_in_order():
    results = [
        slurped("/etc/systemd/system/k3s.service", "# Managed by homelab.k3s: x\n[Unit]\n"),
        slurped("/etc/systemd/system/k3s-agent.service", INSTALL_SCRIPT_UNIT),
        {"source": "/etc/x.service", "content": base64.b64encode(b"Managed by homelab.k3s\n").decode()},
    ]
    assert foreign_files(results) == ["/etc/systemd/system/k3s-agent.service", "/etc/x.service"]
    assert foreign_files([]) == []


@pytest.mark.parametrize(
    ("results", "message"),
    [
        ({"results": []}, "pass the results of a looped slurp, not dict"),
        ("k3s.service", "pass the results of a looped slurp, not str"),
        (["k3s.service"], "result 0 is not a slurp result"),
        ([{"item": "k3s.service", "skipped": True}], "result 0 has no content"),
        ([{"item": "k3s.service", "content": "not base64!"}], "the content of result 0 is not base64"),
    ],
)
def test_foreign_files_rejects_what_is_not_slurp_results(results, message):
    with pytest.raises(AnsibleFilterError, match=message):
        foreign_files(results)


@pytest.mark.parametrize("mode", ["server", "agent"])
def test_the_units_the_k3s_role_writes_are_the_collections_to_reset_and_k3s_facts(mode):
    unit, env_file = render_unit(mode)
    assert unit.startswith("# Managed by homelab.k3s: local changes are overwritten.\n[Unit]\n")
    service = "k3s" if mode == "server" else "k3s-agent"
    assert env_file == f'# Managed by homelab.k3s: environment of {service}.service\nK3S_TOKEN="secret"\n'
    assert foreign_files([slurped(f"/etc/systemd/system/{service}.service", unit)]) == []
    assert unit_writer(unit) == "homelab.k3s"
    assert unit_writer(env_file) == "homelab.k3s"


def test_the_k3s_config_files_start_with_the_header():
    k3s_vars = role_vars(K3S_ROLE)
    env = environment()
    header = env.from_string(k3s_vars["__k3s_managed_header"]).render()
    assert header == MANAGED_HEADER
    text = env.from_string(k3s_vars["__k3s_config_text"]).render(
        __k3s_managed_header=header, __k3s_config_content={"node-name": "s1"}
    )
    assert text == "# Managed by homelab.k3s\nnode-name: s1\n"


def test_reset_looks_for_the_header_the_k3s_role_writes():
    env = environment()
    marker = env.from_string(role_vars(MAINTENANCE_ROLE)["__maintenance_unit_marker"]).render()
    assert marker == MANAGED_HEADER
    tasks = yaml.safe_load((MAINTENANCE_ROLE / "tasks" / "reset.yml").read_text(encoding="utf-8"))
    (refuse,) = [task for task in tasks if task["name"] == "Refuse to remove k3s units the collection did not write"]
    unit = render_unit("server")[0]
    results = [slurped("/etc/systemd/system/k3s.service", unit), slurped("/etc/systemd/system/k3s-agent.service", "")]
    foreign = env.from_string(refuse["vars"]["__foreign"]).render(__maintenance_unit_files={"results": results})
    assert foreign == "['/etc/systemd/system/k3s-agent.service']"
