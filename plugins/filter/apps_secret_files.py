# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: apps_secret_files
short_description: Render the Secrets files of the apps role
version_added: 0.1.0
author: homelab.k3s maintainers (@homelab-k3s)
description:
  - For each present app with secrets, the C(<prefix>-<app>-secrets.yaml) file the apps role writes with mode 0600
    and C(no_log) - the chart values Secret for C(valuesSecrets) and the definition's C(secrets).
  - With O(redacted=true) every value is replaced, which keeps the manifests valid for schema checks.
options:
  _input:
    description: The catalog, app name to definition.
    type: dict
    required: true
  enabled:
    description: Names, or mappings with C(name) and C(state).
    type: list
    elements: raw
    required: true
  secret_values:
    description: Secret chart values per app.
    type: dict
  definitions:
    description: Extra apps, or changes merged over catalog apps.
    type: dict
  settings:
    description: The role's settings.
    type: dict
    required: true
  redacted:
    description: Replace every secret value.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Render the secrets of the apps
  ansible.builtin.set_fact:
    __apps_secret_files: >-
      {{ __apps_catalog | homelab.k3s.apps_secret_files(apps_enabled, apps_secret_values, apps_definitions,
         __apps_settings) }}
  no_log: true
"""

RETURN = r"""
_value:
  description: C(app), C(path), C(content) and C(documents) per secrets file.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.plugin_utils import apps_catalog as catalog_lib
from ansible_collections.homelab.k3s.plugins.plugin_utils import apps_manifests


def secret_files(catalog, enabled, secret_values=None, definitions=None, settings=None, redacted=False):
    """Secrets files of present apps: ``[{"app", "path", "content", "documents"}]``.

    With ``redacted=true`` every secret value is replaced, for validation and display.
    """
    try:
        merged, _absent, present, settings = apps_manifests.prepare(catalog, enabled, definitions, settings)
    except catalog_lib.AppsError as exc:
        raise AnsibleFilterError(str(exc)) from exc
    files = []
    for name in present:
        definition = merged[name]
        documents = catalog_lib.secret_documents(
            name,
            definition,
            apps_manifests.chart_values(name, definition, secret_values, "secret_values"),
            apps_manifests.dump_yaml,
        )
        if not documents:
            continue
        if redacted:
            documents = catalog_lib.redact(documents)
        item = apps_manifests.manifest_file(
            apps_manifests.paths_of(settings, name)["secrets"], documents, f"secrets of app {name}"
        )
        item["app"] = name
        files.append(item)
    return files


class FilterModule:
    """Secrets files of the apps role."""

    def filters(self):
        return {"apps_secret_files": secret_files}
