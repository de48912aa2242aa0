# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every catalog app renders, with its defaults and with overrides, into manifests the schemas accept."""

from __future__ import annotations

import json

import pytest
import yaml
from apps_harness import CATALOG_DIR, RoleRenderer, catalog_names, validate

# Inputs some apps cannot do without (passwords, Git repositories, address pools).
REQUIRED_INPUTS = {
    "apps_metallb_pools": [{"name": "default", "addresses": ["192.168.50.240-192.168.50.250"]}],
    "apps_influxdb_admin_password": "influx-admin-pw",
    "apps_influxdb_admin_token": "influx-admin-token",
    "apps_argocd_root_repo_url": "https://git.example.org/homelab/apps.git",
    "apps_flux_sync_url": "https://git.example.org/homelab/flux.git",
    "apps_keycloak_admin_password": "keycloak-admin-pw",
    "apps_authentik_secret_key": "k" * 48,
    "apps_authentik_postgresql_password": "authentik-db-pw",
}
SECRETS = [value for value in REQUIRED_INPUTS.values() if isinstance(value, str) and "pw" in value] + ["k" * 48]


def _raw_catalog():
    catalog = {}
    for path in CATALOG_DIR.glob("*.yml"):
        catalog.update(yaml.safe_load(path.read_text()))
    return catalog


RAW = _raw_catalog()


def _with_dependencies(names):
    ordered = []

    def visit(name):
        for dependency in RAW[name].get("depends_on", []):
            visit(dependency)
        if name not in ordered:
            ordered.append(name)

    for name in names:
        visit(name)
    return ordered


def _enabled_for(app):
    names = _with_dependencies([app])
    if any(RAW[name].get("ingress") for name in names):
        names = _with_dependencies([*names, "cert-manager-issuers"])
    return names


def test_catalog_file_names_match_their_app():
    for path in CATALOG_DIR.glob("*.yml"):
        assert list(yaml.safe_load(path.read_text())) == [path.stem]


def test_every_chart_is_pinned_and_described():
    for name, definition in RAW.items():
        assert definition.get("description"), name
        if "chart" in definition:
            assert definition["chart"]["version"], name
            assert definition["chart"]["repo"].startswith("https://"), name


@pytest.mark.parametrize("app", catalog_names())
def test_app_renders_with_defaults(app):
    renderer = RoleRenderer(REQUIRED_INPUTS)
    enabled = _enabled_for(app)
    plan = renderer.plan(enabled)
    entry = next(item for item in plan["present"] if item["name"] == app)
    assert entry["chart"] or entry["resources"]
    assert validate(plan["documents"]) == []
    secret_files = renderer.secret_files(enabled, redacted=True)
    assert validate([doc for item in secret_files for doc in item["documents"]]) == []
    for item in [entry["chart"], entry["resources"]]:
        if item:
            assert list(yaml.safe_load_all(item["content"])) == item["documents"]
    assert not any(secret in json.dumps(plan) for secret in SECRETS)


@pytest.mark.parametrize("app", catalog_names())
def test_app_renders_with_overrides(app):
    overrides = dict(REQUIRED_INPUTS)
    overrides["apps_values"] = {app: {"homelabTest": {"replicas": 2}}}
    overrides["apps_definitions"] = {app: {"pod_security": "privileged"}}
    overrides["apps_domain"] = "lab.example.org"
    overrides["apps_ingress_issuer"] = "letsencrypt-http01"
    overrides["apps_cert_manager_acme_email"] = "admin@example.org"
    renderer = RoleRenderer(overrides)
    plan = renderer.plan(_enabled_for(app))
    assert validate(plan["documents"]) == []
    entry = next(item for item in plan["present"] if item["name"] == app)
    namespace = next(
        item for item in plan["namespaces"] if item["documents"][0]["metadata"]["name"] == entry["namespace"]
    )
    assert namespace["documents"][0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    if entry["chart"]:
        spec = entry["chart"]["documents"][0]["spec"]
        assert yaml.safe_load(spec["valuesContent"])["homelabTest"] == {"replicas": 2}
    for ingress in [doc for doc in plan["documents"] if doc["kind"] == "Ingress"]:
        assert ingress["spec"]["rules"][0]["host"].endswith(".lab.example.org")
        assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "letsencrypt-http01"


def test_ui_apps_get_an_ingress_with_tls():
    renderer = RoleRenderer(REQUIRED_INPUTS)
    plan = renderer.plan(_with_dependencies(["kube-prometheus-stack", "cert-manager-issuers"]))
    hosts = {doc["spec"]["rules"][0]["host"]: doc for doc in plan["documents"] if doc["kind"] == "Ingress"}
    assert set(hosts) == {"grafana.k3s.local", "prometheus.k3s.local", "alertmanager.k3s.local"}
    grafana = hosts["grafana.k3s.local"]
    assert grafana["spec"]["tls"] == [{"hosts": ["grafana.k3s.local"], "secretName": "grafana-tls"}]
    assert grafana["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "homelab-ca"
    assert grafana["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"] == {
        "name": "kube-prometheus-stack-grafana",
        "port": {"number": 80},
    }


def test_catalog_docs_list_every_app_with_its_pinned_version():
    table = (CATALOG_DIR.parents[3] / "docs" / "apps-catalog.md").read_text()
    rows = {line.split("|")[1].strip(" `"): line for line in table.splitlines() if line.startswith("| `")}
    assert set(rows) == set(RAW)
    for name, definition in RAW.items():
        if "chart" in definition:
            cells = [cell.strip() for cell in rows[name].split("|")]
            assert cells[2:5] == [
                definition["chart"]["name"],
                definition["chart"]["repo"],
                str(definition["chart"]["version"]),
            ]
