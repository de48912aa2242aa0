# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn app definitions into the Kubernetes manifests k3s deploys from its manifests directory.

An app definition is a mapping (one file per app in the role's catalog, or an entry
of ``apps_definitions``) with these keys, all optional except ``namespace``:

``description``, ``namespace``, ``depends_on`` (app names), ``pod_security``
(restricted, baseline or privileged), ``chart`` (HelmChart: ``repo``, ``name``,
``version`` and any other HelmChart spec field), ``chart_config`` (HelmChartConfig
for a chart k3s manages: ``name``, ``namespace``), ``values``, ``secret_values``,
``secrets``, ``ingress`` (list of ``host``, ``service``, ``port``, ``path``, ``class``,
``annotations``), ``manifests`` (plain resources), ``checks`` (``that``, ``msg``).
"""

from __future__ import annotations

import copy
import re
from typing import Any

HELM_API = "helm.cattle.io/v1"
SYSTEM_NAMESPACE = "kube-system"
UNMANAGED_NAMESPACES = frozenset(["default", "kube-system", "kube-public", "kube-node-lease"])
POD_SECURITY_LEVELS = ("restricted", "baseline", "privileged")
STATES = ("present", "absent")
DEFINITION_KEYS = frozenset(
    [
        "description",
        "namespace",
        "depends_on",
        "pod_security",
        "chart",
        "chart_config",
        "values",
        "secret_values",
        "secrets",
        "ingress",
        "manifests",
        "checks",
    ]
)
CLUSTER_SCOPED_KINDS = frozenset(
    [
        "ClusterIssuer",
        "ClusterRole",
        "ClusterRoleBinding",
        "ClusterSecretStore",
        "CustomResourceDefinition",
        "IngressClass",
        "Namespace",
        "PriorityClass",
        "StorageClass",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
    ]
)
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
MANAGED_BY = {"app.kubernetes.io/managed-by": "homelab.k3s"}


class AppsError(Exception):
    """Bad input: the message says what to fix."""


def plain(value):
    """Deep-copy templated data into plain Python types (str, int, float, bool, None, list, dict)."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def deep_merge(base, override):
    """Merge mappings recursively; anything else in ``override`` replaces ``base``."""
    if not isinstance(base, dict) or not isinstance(override, dict):
        return copy.deepcopy(override)
    merged = copy.deepcopy(base)
    for key, value in override.items():
        merged[key] = deep_merge(merged[key], value) if key in merged else copy.deepcopy(value)
    return merged


def normalize_enabled(entries):
    """Return ``[(name, state)]`` from a list of names or ``{name, state}`` mappings."""
    if not isinstance(entries, list):
        raise AppsError("apps_enabled must be a list of app names or {name, state} mappings")
    seen = {}
    for entry in entries:
        if isinstance(entry, str):
            name, state = entry, "present"
        elif isinstance(entry, dict) and isinstance(entry.get("name"), str):
            unknown = sorted(set(entry) - {"name", "state"})
            if unknown:
                raise AppsError("apps_enabled entry {}: unknown keys {}".format(entry["name"], ", ".join(unknown)))
            name, state = entry["name"], entry.get("state", "present")
        else:
            raise AppsError(f"apps_enabled entries are app names or {{name, state}} mappings, got {entry!r}")
        if state not in STATES:
            raise AppsError(f"apps_enabled entry {name}: state must be present or absent, not {state!r}")
        if name in seen:
            raise AppsError(f"apps_enabled lists {name} twice")
        seen[name] = state
    return list(seen.items())


def _truthy(value):
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return bool(value)


def _active(items):
    """Entries whose optional ``when`` is true, without the ``when`` key."""
    kept = []
    for item in items:
        if isinstance(item, dict) and "when" in item:
            if not _truthy(item["when"]):
                continue
            item = {key: value for key, value in item.items() if key != "when"}
        kept.append(item)
    return kept


def merge_catalog(catalog, definitions):
    """Catalog entries overlaid with user definitions (new apps or changes to catalog apps).

    Entries of ``manifests``, ``ingress`` and ``secrets`` with a false ``when`` are dropped.
    """
    merged = {name: plain(definition) for name, definition in (catalog or {}).items()}
    for name, definition in (definitions or {}).items():
        merged[name] = deep_merge(merged.get(name, {}), plain(definition))
    for definition in merged.values():
        for key in ("manifests", "ingress", "secrets"):
            if isinstance(definition, dict) and isinstance(definition.get(key), list):
                definition[key] = _active(definition[key])
    return merged


def check_definition(name, definition):
    """Structural checks on one definition; returns a list of problems."""
    problems = []
    if not DNS_LABEL.match(name) or len(name) > 53:
        problems.append(f"app name {name!r} must be a DNS label of at most 53 characters")
    if not isinstance(definition, dict):
        return [*problems, f"app {name}: the definition must be a mapping"]
    unknown = sorted(set(definition) - DEFINITION_KEYS)
    if unknown:
        problems.append("app {}: unknown keys {}".format(name, ", ".join(unknown)))
    namespace = definition.get("namespace")
    if not isinstance(namespace, str) or not DNS_LABEL.match(namespace):
        problems.append(f"app {name}: namespace must be a DNS label, got {namespace!r}")
    if definition.get("pod_security", "baseline") not in POD_SECURITY_LEVELS:
        problems.append("app {}: pod_security must be one of {}".format(name, ", ".join(POD_SECURITY_LEVELS)))
    chart = definition.get("chart")
    if chart is not None:
        if not isinstance(chart, dict) or not chart.get("name"):
            problems.append(f"app {name}: chart needs at least a name")
        elif not chart.get("version") and not str(chart.get("name")).endswith(".tgz"):
            problems.append("app {}: chart {} needs a pinned version".format(name, chart.get("name")))
    if chart is not None and definition.get("chart_config") is not None:
        problems.append(f"app {name}: use chart or chart_config, not both")
    for key in ("depends_on", "ingress", "manifests", "secrets", "checks"):
        if not isinstance(definition.get(key, []), list):
            problems.append(f"app {name}: {key} must be a list")
    for key in ("values", "secret_values"):
        if not isinstance(definition.get(key, {}), dict):
            problems.append(f"app {name}: {key} must be a mapping")
    return problems


def failed_checks(name, definition):
    """Messages of the definition's ``checks`` whose ``that`` is false."""
    messages = []
    for check in definition.get("checks", []):
        if not _truthy(check.get("that")):
            messages.append("app {}: {}".format(name, check.get("msg", "a check failed")))
    return messages


def order_apps(catalog, enabled):
    """Check names and dependencies; return (absent names, present names) in processing order.

    Present apps come dependencies first; absent apps dependents first.
    """
    unknown = [name for name, _definition in enabled if name not in catalog]
    if unknown:
        known = ", ".join(sorted(catalog))
        raise AppsError(
            f"unknown app(s) {', '.join(unknown)}; known apps: {known} (add your own with apps_definitions)"
        )
    present = [name for name, state in enabled if state == "present"]
    absent = [name for name, state in enabled if state == "absent"]
    problems = []
    for name in present:
        for dependency in catalog[name].get("depends_on", []):
            if dependency not in catalog:
                problems.append(f"app {name} depends on {dependency}, which no definition provides")
            elif dependency not in present:
                problems.append(f"app {name} needs {dependency}: add {dependency} to apps_enabled (state present)")
    if problems:
        raise AppsError("; ".join(problems))
    return list(reversed(_topological(catalog, absent))), _topological(catalog, present)


def _topological(catalog, names):
    ordered = []
    visiting: list[str] = []

    def visit(name):
        if name in ordered:
            return
        if name in visiting:
            cycle = [*visiting[visiting.index(name) :], name]
            raise AppsError("dependency cycle: {}".format(" -> ".join(cycle)))
        visiting.append(name)
        for dependency in catalog[name].get("depends_on", []):
            if dependency in names:
                visit(dependency)
        visiting.pop()
        ordered.append(name)

    for name in names:
        visit(name)
    return ordered


def _labels(app):
    labels = dict(MANAGED_BY)
    labels["homelab.k3s/app"] = app
    return labels


def _api_group(api_version):
    return api_version.rpartition("/")[0]


def _values_spec(values, values_secrets, dump_yaml):
    """The values part of a HelmChart or HelmChartConfig spec: inline values and the Secret holding the rest."""
    spec = {}
    if values:
        spec["valuesContent"] = dump_yaml(values)
    if values_secrets:
        spec["valuesSecrets"] = values_secrets
    return spec


def chart_documents(name, definition, values, dump_yaml, has_secret_values):
    """HelmChart or HelmChartConfig for the app (empty list for manifest-only apps)."""
    values_secrets = [{"name": f"{name}-values", "keys": ["values.yaml"]}] if has_secret_values else []
    chart = definition.get("chart")
    if chart is not None:
        spec = {"chart": chart["name"]}
        if chart.get("repo"):
            spec["repo"] = chart["repo"]
        if chart.get("version"):
            spec["version"] = str(chart["version"])
        spec["targetNamespace"] = definition["namespace"]
        spec.update((key, value) for key, value in chart.items() if key not in ("name", "repo", "version"))
        spec.update(_values_spec(values, values_secrets, dump_yaml))
        return [
            {
                "apiVersion": HELM_API,
                "kind": "HelmChart",
                "metadata": {"name": name, "namespace": SYSTEM_NAMESPACE, "labels": _labels(name)},
                "spec": spec,
            }
        ]
    config = definition.get("chart_config")
    if config is not None:
        spec = _values_spec(values, values_secrets, dump_yaml)
        return [
            {
                "apiVersion": HELM_API,
                "kind": "HelmChartConfig",
                "metadata": {
                    "name": config["name"],
                    "namespace": config.get("namespace", SYSTEM_NAMESPACE),
                    "labels": _labels(name),
                },
                "spec": spec,
            }
        ]
    return []


def ingress_documents(name, definition, settings):
    """One networking.k8s.io/v1 Ingress per entry of ``ingress``, at ``<host>.<apps_domain>``."""
    documents = []
    for entry in definition.get("ingress", []):
        label = entry["host"]
        host = label if "." in label else "{}.{}".format(label, settings["domain"])
        annotations = dict(entry.get("annotations", {}))
        spec = {
            "ingressClassName": entry.get("class") or settings["ingress_class"],
            "rules": [
                {
                    "host": host,
                    "http": {
                        "paths": [
                            {
                                "path": entry.get("path", "/"),
                                "pathType": "Prefix",
                                "backend": {"service": {"name": entry["service"], "port": {"number": entry["port"]}}},
                            }
                        ]
                    },
                }
            ],
        }
        if settings["ingress_tls"]:
            annotations["cert-manager.io/cluster-issuer"] = settings["ingress_issuer"]
            spec["tls"] = [{"hosts": [host], "secretName": "{}-tls".format(label.split(".")[0])}]
        metadata = {"name": label.split(".")[0], "namespace": definition["namespace"], "labels": _labels(name)}
        if annotations:
            metadata["annotations"] = annotations
        documents.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": metadata, "spec": spec})
    return documents


def resource_documents(name, definition, settings):
    """Plain manifests and Ingresses, applied once the chart is installed."""
    documents = []
    for manifest in definition.get("manifests", []):
        document = copy.deepcopy(manifest)
        metadata = document.setdefault("metadata", {})
        if document.get("kind") not in CLUSTER_SCOPED_KINDS:
            metadata.setdefault("namespace", definition["namespace"])
        metadata["labels"] = dict(metadata.get("labels", {}), **_labels(name))
        documents.append(document)
    return documents + ingress_documents(name, definition, settings)


def namespace_documents(namespace, level, settings):
    """Namespace with Pod Security labels, plus a default NetworkPolicy when asked."""
    options = settings["namespaces"].get(namespace, {})
    labels = dict(MANAGED_BY)
    for mode in ("enforce", "audit", "warn"):
        labels[f"pod-security.kubernetes.io/{mode}"] = level
        labels[f"pod-security.kubernetes.io/{mode}-version"] = "latest"
    labels.update(options.get("labels", {}))
    documents = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "labels": labels}}]
    if options.get("network_policy", settings["network_policy"]):
        allowed = options.get("network_policy_allow_namespaces", settings["network_policy_allow_namespaces"])
        sources: list[dict[str, Any]] = [{"podSelector": {}}]
        if allowed:
            sources.append(
                {
                    "namespaceSelector": {
                        "matchExpressions": [
                            {"key": "kubernetes.io/metadata.name", "operator": "In", "values": list(allowed)}
                        ]
                    }
                }
            )
        documents.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "default-ingress", "namespace": namespace, "labels": dict(MANAGED_BY)},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": sources}]},
            }
        )
    return documents


def namespace_levels(catalog, present, settings):
    """Pod Security level per namespace of present apps: the strictest that every app there allows."""
    levels: dict[str, str] = {}
    for name in present:
        namespace = catalog[name]["namespace"]
        if namespace in UNMANAGED_NAMESPACES:
            continue
        wanted = catalog[name].get("pod_security", settings["pod_security_default"])
        current = levels.get(namespace, settings["pod_security_default"])
        levels[namespace] = max(current, wanted, key=POD_SECURITY_LEVELS.index)
    for namespace, options in settings["namespaces"].items():
        if namespace in levels and options.get("pod_security"):
            levels[namespace] = options["pod_security"]
    return levels


def delete_order(documents):
    """Objects to delete, last created first, as kubectl resource, namespace and name."""
    targets = []
    for document in reversed(documents):
        group = _api_group(document["apiVersion"])
        kind = document["kind"].lower()
        targets.append(
            {
                "resource": f"{kind}.{group}" if group else kind,
                "namespace": document["metadata"].get("namespace", ""),
                "name": document["metadata"]["name"],
            }
        )
    return targets


def secret_documents(name, definition, secret_values, dump_yaml):
    """Secrets of the app: chart values delivered through valuesSecrets, then ``secrets`` entries."""
    documents = []
    if secret_values:
        documents.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": f"{name}-values", "namespace": SYSTEM_NAMESPACE, "labels": _labels(name)},
                "type": "Opaque",
                "stringData": {"values.yaml": dump_yaml(secret_values)},
            }
        )
    for secret in definition.get("secrets", []):
        documents.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": secret["name"],
                    "namespace": secret.get("namespace", definition["namespace"]),
                    "labels": _labels(name),
                },
                "type": secret.get("type", "Opaque"),
                "stringData": {key: str(value) for key, value in secret.get("string_data", {}).items()},
            }
        )
    return documents


def redact(documents):
    """Copies of Secrets with every value replaced: schema-equivalent, safe to show."""
    redacted = []
    for document in documents:
        document = copy.deepcopy(document)
        for field in ("stringData", "data"):
            if field in document:
                document[field] = {key: "cmVkYWN0ZWQ=" for key in document[field]}
        redacted.append(document)
    return redacted
