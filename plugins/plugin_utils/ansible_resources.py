# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hosts and groups declared with the ansible/ansible Terraform provider (``ansible_host``, ``ansible_group``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ansible_collections.homelab.k3s.plugins.plugin_utils.terraform_state import ResourceInstance

ANSIBLE_HOST = "ansible_host"
ANSIBLE_GROUP = "ansible_group"


@dataclass
class DeclaredHost:
    name: str
    terraform_address: str
    groups: list = field(default_factory=list)
    variables: dict = field(default_factory=dict)
    source: str = ""  # the state file or backend the host was read from


@dataclass
class DeclaredGroup:
    name: str
    terraform_address: str
    children: list = field(default_factory=list)
    variables: dict = field(default_factory=dict)
    source: str = ""


def _names(value: object) -> list:
    """Group names from a list (or a lone string) of names; empty and non-string entries are left out."""
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    names: list = []
    for item in items:
        if isinstance(item, (str, int)) and not isinstance(item, bool) and str(item).strip():
            name = str(item).strip()
            if name not in names:
                names.append(name)
    return names


def _name(instance: ResourceInstance) -> str:
    value = instance.attributes.get("name")
    return value.strip() if isinstance(value, str) else ""


def _variables(instance: ResourceInstance, keep_sensitive: bool) -> tuple[dict, list]:
    """The ``variables`` map, and the names of those Terraform marks sensitive (left out unless kept)."""
    variables = instance.attributes.get("variables") or {}
    if not isinstance(variables, dict):
        return {}, []
    sensitive = sorted(name for name in variables if instance.is_sensitive("variables", name))
    if keep_sensitive or not sensitive:
        return dict(variables), sensitive
    return {name: value for name, value in variables.items() if name not in sensitive}, sensitive


def declared_host(
    instance: ResourceInstance, keep_sensitive: bool, source: str = ""
) -> tuple[DeclaredHost | None, list]:
    """The host an ``ansible_host`` instance declares, and the names of its sensitive variables."""
    name = _name(instance)
    if not name:
        return None, []
    variables, sensitive = _variables(instance, keep_sensitive)
    groups = _names(instance.attributes.get("groups"))
    return DeclaredHost(name, instance.address, groups, variables, source), sensitive


def declared_group(
    instance: ResourceInstance, keep_sensitive: bool, source: str = ""
) -> tuple[DeclaredGroup | None, list]:
    """The group an ``ansible_group`` instance declares, and the names of its sensitive variables."""
    name = _name(instance)
    if not name:
        return None, []
    variables, sensitive = _variables(instance, keep_sensitive)
    children = _names(instance.attributes.get("children"))
    return DeclaredGroup(name, instance.address, children, variables, source), sensitive
