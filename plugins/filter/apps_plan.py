# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
name: apps_plan
short_description: Plan the apps role's work from the app catalog
version_added: 0.1.0
author: homelab.k3s maintainers (@homelab-k3s)
description:
  - Checks the enabled apps (unknown names, missing dependencies, cycles, each app's C(checks)) and renders, in
    order, the files the apps role writes into the k3s manifests directory, the install Jobs it waits for and the
    objects it deletes for apps marked absent. See docs/roles/apps.md for the definition form.
  - Secret values are only looked at to know whether an app has any; they never appear in the result
    (see R(homelab.k3s.apps_secret_files,ansible_collections.homelab.k3s.apps_secret_files_filter)).
options:
  _input:
    description: The catalog, app name to definition.
    type: dict
    required: true
  enabled:
    description: Names, or mappings with C(name) and C(state) (C(present) or C(absent)).
    type: list
    elements: raw
    required: true
  values:
    description: Chart values per app, merged over the definitions' C(values).
    type: dict
  secret_values:
    description: Secret chart values per app.
    type: dict
  definitions:
    description: Extra apps, or changes merged over catalog apps.
    type: dict
  settings:
    description: The role's settings (domain, ingress, manifests directory, namespaces).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Plan the apps
  ansible.builtin.set_fact:
    __apps_plan: >-
      {{ __apps_catalog | homelab.k3s.apps_plan(apps_enabled, apps_values, apps_secret_values,
         apps_definitions, __apps_settings) }}
"""

RETURN = r"""
_value:
  description:
    - C(namespaces) and C(present) (files to write, install Job to wait for, files to remove, in order),
      C(absent) (objects to delete, files, k3s Addons), C(remove_namespaces), and C(documents) (every manifest to
      validate).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.plugin_utils import apps_catalog as catalog_lib
from ansible_collections.homelab.k3s.plugins.plugin_utils.apps_manifests import (
    addon_name,
    chart_values,
    dump_yaml,
    install_job,
    manifest_file,
    namespace_path,
    paths_of,
    prepare,
)


def plan(catalog, enabled, values=None, secret_values=None, definitions=None, settings=None):
    """Everything the role writes, waits for and deletes, in order.

    Returns ``{"namespaces", "present", "absent", "remove_namespaces", "documents"}``;
    secret values are only looked at to know whether an app has any.
    """
    try:
        merged, absent, present, settings = prepare(catalog, enabled, definitions, settings)
    except catalog_lib.AppsError as exc:
        raise AnsibleFilterError(str(exc)) from exc

    levels = catalog_lib.namespace_levels(merged, present, settings)
    namespaces = [
        manifest_file(
            namespace_path(settings, namespace),
            catalog_lib.namespace_documents(namespace, level, settings),
            f"namespace {namespace}",
        )
        for namespace, level in sorted(levels.items())
    ]
    documents = [document for item in namespaces for document in item["documents"]]

    present_plan = []
    for name in present:
        definition = merged[name]
        paths = paths_of(settings, name)
        has_secrets = bool(chart_values(name, definition, secret_values, "secret_values") or definition.get("secrets"))
        values_merged = chart_values(name, definition, values, "values")
        chart_docs = catalog_lib.chart_documents(name, definition, values_merged, dump_yaml, has_secrets)
        resource_docs = catalog_lib.resource_documents(name, definition, settings)
        entry = {
            "name": name,
            "namespace": definition["namespace"],
            "chart": manifest_file(paths["chart"], chart_docs, f"app {name}") if chart_docs else None,
            "resources": manifest_file(paths["resources"], resource_docs, f"app {name}") if resource_docs else None,
            "job": install_job(name, definition),
            "secrets_path": paths["secrets"],
            "has_secrets": has_secrets,
            "stale_files": [
                paths[kind]
                for kind, docs in (("chart", chart_docs), ("resources", resource_docs), ("secrets", has_secrets))
                if not docs
            ],
        }
        present_plan.append(entry)
        documents.extend(chart_docs + resource_docs)

    absent_plan = []
    used_namespaces = {merged[name]["namespace"] for name in present}
    remove_namespaces: list[dict[str, str]] = []
    for name in absent:
        definition = merged[name]
        paths = paths_of(settings, name)
        secret_docs = catalog_lib.secret_documents(
            name, definition, chart_values(name, definition, secret_values, "secret_values"), dump_yaml
        )
        # A HelmChartConfig goes too: the chart k3s manages falls back to its own values.
        chart_docs = catalog_lib.chart_documents(name, definition, {}, dump_yaml, False)
        resource_docs = catalog_lib.resource_documents(name, definition, settings)
        absent_plan.append(
            {
                "name": name,
                "namespace": definition["namespace"],
                "delete": catalog_lib.delete_order(secret_docs + chart_docs + resource_docs),
                "files": [paths["resources"], paths["chart"], paths["secrets"]],
                "addons": [addon_name(paths[kind]) for kind in ("resources", "chart", "secrets")],
            }
        )
        namespace = definition["namespace"]
        if (
            settings["remove_namespaces"]
            and namespace not in used_namespaces
            and namespace not in catalog_lib.UNMANAGED_NAMESPACES
            and namespace not in [item["name"] for item in remove_namespaces]
        ):
            path = namespace_path(settings, namespace)
            remove_namespaces.append({"name": namespace, "path": path, "addon": addon_name(path)})

    return {
        "namespaces": namespaces,
        "present": present_plan,
        "absent": absent_plan,
        "remove_namespaces": remove_namespaces,
        "documents": documents,
    }


class FilterModule:
    """The apps role's plan."""

    def filters(self):
        return {"apps_plan": plan}
