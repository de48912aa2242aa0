# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The manifest files of the apps role: settings, paths, YAML dumping and the checked app catalog.

Shared by the apps_plan and apps_secret_files filters.
"""

from __future__ import annotations

import yaml

from ansible_collections.homelab.k3s.plugins.plugin_utils import apps_catalog as catalog_lib

SETTING_KEYS = (
    "domain",
    "ingress_class",
    "ingress_tls",
    "ingress_issuer",
    "ingress_issuer_app",
    "manifests_dir",
    "file_prefix",
    "pod_security_default",
    "namespaces",
    "network_policy",
    "network_policy_allow_namespaces",
    "remove_namespaces",
)
HEADER = "# Managed by the homelab.k3s apps role (%s): local changes are overwritten.\n"


class _Dumper(yaml.SafeDumper):
    """Block style, indented lists, multi-line strings as literal blocks, keys in the order given."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _represent_str(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data):
    """One YAML document, block style, keys in insertion order."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=120)


def dump_documents(documents, what):
    """A manifest file: header comment, then the documents separated by ``---``."""
    body = "".join("---\n" + dump_yaml(document) for document in documents)
    return HEADER % what + body


def _settings(settings):
    settings = catalog_lib.plain(settings or {})
    missing = [key for key in SETTING_KEYS if key not in settings]
    if missing:
        raise catalog_lib.AppsError("apps settings lack {}".format(", ".join(missing)))
    return settings


def paths_of(settings, name):
    base = "{}/{}-{}".format(settings["manifests_dir"].rstrip("/"), settings["file_prefix"], name)
    return {"chart": base + ".yaml", "resources": base + "-resources.yaml", "secrets": base + "-secrets.yaml"}


def namespace_path(settings, namespace):
    return "{}/{}-namespace-{}.yaml".format(settings["manifests_dir"].rstrip("/"), settings["file_prefix"], namespace)


def addon_name(path):
    return path.rsplit("/", 1)[-1].split(".", 1)[0]


def prepare(catalog, enabled, definitions, settings):
    settings = _settings(settings)
    merged = catalog_lib.merge_catalog(catalog, definitions)
    entries = catalog_lib.normalize_enabled(catalog_lib.plain(enabled or []))
    absent, present = catalog_lib.order_apps(merged, entries)
    problems = []
    for name in absent + present:
        problems.extend(catalog_lib.check_definition(name, merged[name]))
    if problems:
        raise catalog_lib.AppsError("; ".join(problems))
    for name in present:
        problems.extend(catalog_lib.failed_checks(name, merged[name]))
    issuer_app = settings["ingress_issuer_app"]
    if settings["ingress_tls"] and issuer_app and issuer_app not in present:
        with_ingress = [name for name in present if merged[name].get("ingress")]
        if with_ingress:
            verb = "publishes" if len(with_ingress) == 1 else "publish"
            problems.append(
                "{} {} Ingresses with TLS from ClusterIssuer {}: add {} to apps_enabled, "
                "or set apps_ingress_tls: false".format(
                    ", ".join(with_ingress), verb, settings["ingress_issuer"], issuer_app
                )
            )
    if problems:
        raise catalog_lib.AppsError("; ".join(problems))
    return merged, absent, present, settings


def chart_values(name, definition, user_values, key):
    return catalog_lib.deep_merge(definition.get(key, {}), catalog_lib.plain((user_values or {}).get(name, {})))


def install_job(name, definition):
    """The helm-install Job helm-controller runs for the app's chart, if it has one."""
    if definition.get("chart") is not None:
        return {"namespace": catalog_lib.SYSTEM_NAMESPACE, "name": "helm-install-" + name}
    config = definition.get("chart_config")
    if config is not None:
        return {
            "namespace": config.get("namespace", catalog_lib.SYSTEM_NAMESPACE),
            "name": "helm-install-" + config["name"],
        }
    return None


def manifest_file(path, documents, what):
    return {"path": path, "content": dump_documents(documents, what), "documents": documents}
