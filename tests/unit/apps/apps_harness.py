# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render the apps role's catalog the way the role does: Ansible's Templar, then the role's filters."""

from __future__ import annotations

import sys
from pathlib import Path

from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins.loader import action_loader, connection_loader, init_plugin_loader
from ansible.template import Templar
from ansible.utils.collection_loader import AnsibleCollectionConfig

REPO = Path(__file__).resolve().parents[3]

# The catalog calls homelab.k3s.* filters: load collections as ansible-playbook does.
if AnsibleCollectionConfig.collection_finder is None:
    for module_name in [name for name in sys.modules if name.split(".")[0] == "ansible_collections"]:
        del sys.modules[module_name]
    init_plugin_loader([str(REPO / "collections")])

from ansible_collections.homelab.k3s.plugins.filter import apps_plan as plan_filters
from ansible_collections.homelab.k3s.plugins.filter import apps_secret_files as secret_filters
from ansible_collections.homelab.k3s.plugins.plugin_utils.apps_validation import load_schemas, validate_manifests

ROLE = REPO / "roles" / "apps"
CATALOG_DIR = ROLE / "files" / "catalog"
SCHEMA_DIR = ROLE / "files" / "schemas"
KUBERNETES_VERSION = "1.35"

# Facts and inventory of a three-node lab on 192.168.50.0/24.
LAB_VARS = {
    "ansible_facts": {"default_ipv4": {"address": "192.168.50.11", "network": "192.168.50.0", "prefix": "24"}},
    "groups": {"k3s_cluster": ["s1", "s2", "a1"]},
    "hostvars": {
        "s1": {"ansible_host": "192.168.50.11"},
        "s2": {"ansible_host": "192.168.50.12"},
        "a1": {"ansible_host": "192.168.50.21"},
    },
    "role_path": str(ROLE),
}


def catalog_names():
    return sorted(path.stem for path in CATALOG_DIR.glob("*.yml"))


class RoleRenderer:
    """The role's defaults, vars and catalog, templated with overrides."""

    def __init__(self, overrides=None):
        self.loader = DataLoader()
        # The shared k3s settings the role brings in (roles/k3s/tasks/settings.yml), under its own defaults.
        variables = self._load(ROLE.parent / "k3s" / "defaults" / "main.yml")
        variables.update(LAB_VARS)
        variables.update(self._load(ROLE / "defaults" / "main.yml"))
        variables.update(self._load(ROLE / "vars" / "main.yml"))
        variables.update(overrides or {})
        self.variables = variables
        self.templar = Templar(loader=self.loader, variables=variables)
        self._templated_catalog = None

    def _load(self, path):
        return self.loader.load_from_file(str(path), trusted_as_template=True) or {}

    def catalog(self):
        """The catalog as include_vars loads it: templates still unrendered."""
        raw = {}
        for path in sorted(CATALOG_DIR.glob("*.yml")):
            raw.update(self._load(path))
        return raw

    def templated_catalog(self):
        if self._templated_catalog is None:
            self._templated_catalog = self.templar.template(self.catalog())
        return self._templated_catalog

    def value(self, name):
        return self.templar.template(self.variables[name])

    def plan(self, enabled=None):
        enabled = self.variables["apps_enabled"] if enabled is None else enabled
        return plan_filters.plan(
            self.templated_catalog(),
            enabled,
            self.value("apps_values"),
            self.value("apps_secret_values"),
            self.value("apps_definitions"),
            self.value("__apps_settings"),
        )

    def secret_files(self, enabled=None, redacted=False):
        enabled = self.variables["apps_enabled"] if enabled is None else enabled
        return secret_filters.secret_files(
            self.templated_catalog(),
            enabled,
            self.value("apps_secret_values"),
            self.value("apps_definitions"),
            self.value("__apps_settings"),
            redacted=redacted,
        )


def validate(documents, schema_dirs=(SCHEMA_DIR,)):
    """Errors from the same validation the manifest_validate action runs."""
    errors, _warnings = validate_manifests(documents, KUBERNETES_VERSION, load_schemas(list(schema_dirs)))
    return errors


def run_action(args, check_mode=False):
    """The result of the homelab.k3s.manifest_validate action, resolved by name as a task resolves it.

    Bad arguments raise AnsibleActionFail, which Ansible turns into a failed result.
    """
    task = Task()
    task.action = "homelab.k3s.manifest_validate"
    task.args = args
    task.check_mode = check_mode
    play_context = PlayContext()
    loader = DataLoader()
    action = action_loader.get(
        task.action,
        task=task,
        connection=connection_loader.get("local", play_context),
        play_context=play_context,
        loader=loader,
        templar=Templar(loader=loader),
        shared_loader_obj=None,
    )
    return action.run(task_vars={})
