# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline validation catches invalid manifests, built-in kinds and custom resources alike."""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from ansible.errors import AnsibleActionFail
from apps_harness import SCHEMA_DIR, RoleRenderer, run_action, validate

from ansible_collections.homelab.k3s.plugins.action import manifest_validate as action
from ansible_collections.homelab.k3s.plugins.modules import manifest_validate as module_docs
from ansible_collections.homelab.k3s.plugins.plugin_utils import apps_validation
from ansible_collections.homelab.k3s.plugins.plugin_utils.apps_validation import load_schemas, validate_manifests

POOLS = [{"name": "default", "addresses": ["192.168.50.240-192.168.50.250"]}]


@pytest.fixture(scope="module")
def documents():
    plan = RoleRenderer({"apps_metallb_pools": POOLS}).plan(
        [
            "metallb",
            "metallb-pools",
            "cert-manager",
            "cert-manager-issuers",
            "traefik",
            "kube-prometheus-stack",
            "monitoring-rules",
        ]
    )
    assert validate(plan["documents"]) == []
    return plan["documents"]


def _first(documents, kind):
    return copy.deepcopy(next(doc for doc in documents if doc["kind"] == kind))


def test_every_shipped_schema_is_used_by_a_kind():
    stems = sorted(path.stem for path in SCHEMA_DIR.glob("*.json"))
    assert stems == [
        "application-argoproj.io-v1alpha1",
        "certificate-cert-manager.io-v1",
        "clusterissuer-cert-manager.io-v1",
        "helmchart-helm.cattle.io-v1",
        "helmchartconfig-helm.cattle.io-v1",
        "ipaddresspool-metallb.io-v1beta1",
        "l2advertisement-metallb.io-v1beta1",
        "prometheusrule-monitoring.coreos.com-v1",
    ]


def test_a_misspelt_helmchart_field_is_caught(documents):
    chart = _first(documents, "HelmChart")
    chart["spec"]["valueContent"] = chart["spec"].pop("valuesContent", "a: 1\n")
    errors = validate([chart])
    assert len(errors) == 1
    assert errors[0].startswith(f"HelmChart kube-system/{chart['metadata']['name']}: spec: ")
    assert "'valueContent' was unexpected" in errors[0]


def test_wrong_types_and_values_in_custom_resources_are_caught(documents):
    pool = _first(documents, "IPAddressPool")
    pool["spec"]["addresses"] = "192.168.50.240-192.168.50.250"
    chart = _first(documents, "HelmChart")
    chart["spec"]["failurePolicy"] = "explode"
    rule = _first(documents, "PrometheusRule")
    del rule["spec"]["groups"][0]["name"]
    issuer = _first(documents, "ClusterIssuer")
    issuer["metadata"]["namespace"] = "cert-manager"
    errors = validate([pool, chart, rule, issuer])
    assert any("IPAddressPool metallb-system/default: spec.addresses:" in error for error in errors)
    assert any("spec.failurePolicy: 'explode' is not one of" in error for error in errors)
    assert any("spec.groups[0]: 'name' is a required property" in error for error in errors)
    assert any("ClusterIssuer cert-manager/" in error and "'namespace' was unexpected" in error for error in errors)


def test_invalid_builtin_kinds_are_caught(documents):
    namespace = _first(documents, "Namespace")
    namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = 3
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web", "namespace": "web"},
        "spec": {
            "rules": [
                {
                    "host": "web.lab",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "web", "port": {"number": "eighty"}}},
                            }
                        ]
                    },
                }
            ]
        },
    }
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "n"}, "stringdata": {}}
    errors = validate([namespace, ingress, secret])
    assert len(errors) == 3
    assert "backend.service.port.number: 'eighty' is not of type 'integer'" in errors[1]
    assert errors[2].startswith("Secret n/s:")


def test_unknown_kinds_fail_or_warn():
    widget = {"apiVersion": "example.org/v1", "kind": "Widget", "metadata": {"name": "w"}}
    schemas = load_schemas([str(SCHEMA_DIR)])
    errors, warnings = validate_manifests([widget], "1.35", schemas)
    assert errors == [
        "Widget w: no schema for example.org/v1 Widget (add widget-example.org-v1.json to a schema directory)"
    ]
    errors, warnings = validate_manifests([widget], "1.35", schemas, unknown_kinds="warn")
    assert errors == [] and len(warnings) == 1
    errors, warnings = validate_manifests([{"kind": "Widget"}], "1.35", schemas)
    assert errors == ["Widget ?: every manifest needs apiVersion and kind"]


def test_user_schema_directories_extend_the_catalog(tmp_path):
    (tmp_path / "widget-example.org-v1.json").write_text(
        json.dumps({"type": "object", "required": ["spec"], "properties": {"spec": {"type": "object"}}})
    )
    widget = {"apiVersion": "example.org/v1", "kind": "Widget", "metadata": {"name": "w"}}
    assert validate([widget], schema_dirs=(SCHEMA_DIR, tmp_path)) == [
        "Widget w: (top level): 'spec' is a required property"
    ]
    widget["spec"] = {}
    assert validate([widget], schema_dirs=(SCHEMA_DIR, tmp_path)) == []


def test_action_fails_with_every_problem_listed(documents):
    chart = _first(documents, "HelmChart")
    chart["spec"]["version"] = 41
    result = run_action(
        {
            "manifests": [chart, _first(documents, "Namespace")],
            "kubernetes_version": "1.35",
            "schema_dirs": [str(SCHEMA_DIR)],
        }
    )
    assert result["failed"] is True
    assert result["validated"] == 2
    assert result["errors"] == [
        f"HelmChart kube-system/{chart['metadata']['name']}: spec.version: 41 is not of type 'string'"
    ]
    assert result["msg"].startswith("Invalid manifests:\nHelmChart kube-system/")


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check_mode"])
def test_action_passes_valid_manifests(documents, check_mode):
    result = run_action(
        {"manifests": documents, "kubernetes_version": "1.35", "schema_dirs": [str(SCHEMA_DIR)]}, check_mode=check_mode
    )
    assert result.get("failed") is not True
    assert result["validated"] == len(documents)
    assert result["changed"] is False
    assert result["errors"] == []


def test_action_reports_unknown_kinds_as_warnings():
    widget = {"apiVersion": "example.org/v1", "kind": "Widget", "metadata": {"name": "w"}}
    result = run_action({"manifests": [widget], "kubernetes_version": "1.35", "unknown_kinds": "warn"})
    assert result.get("failed") is not True
    assert result["warnings"] == [
        "Widget w: no schema for example.org/v1 Widget (add widget-example.org-v1.json to a schema directory)"
    ]


def test_action_refuses_bad_arguments():
    with pytest.raises(AnsibleActionFail, match=r"Unsupported parameters .*: schema_dir\."):
        run_action({"manifests": [], "kubernetes_version": "1.35", "schema_dir": [str(SCHEMA_DIR)]})
    with pytest.raises(AnsibleActionFail, match="unknown_kinds must be one of: fail, warn, ignore"):
        run_action({"manifests": [], "kubernetes_version": "1.35", "unknown_kinds": "skip"})
    with pytest.raises(AnsibleActionFail, match="missing required arguments: kubernetes_version"):
        run_action({"manifests": []})


def test_action_names_an_unreadable_schema_directory(tmp_path):
    result = run_action({"manifests": [], "kubernetes_version": "1.35", "schema_dirs": [str(tmp_path / "nowhere")]})
    assert result["failed"] is True
    assert result["msg"].startswith("Cannot read the schemas: ")


def test_action_names_a_missing_library_and_the_controller_python(monkeypatch):
    monkeypatch.setattr(apps_validation, "HAS_JSONSCHEMA", False)
    monkeypatch.setattr(apps_validation, "JSONSCHEMA_IMPORT_ERROR", ImportError("No module named 'jsonschema'"))
    result = run_action({"manifests": [], "kubernetes_version": "1.35"})
    assert result["failed"] is True
    assert "needs the Python library jsonschema on the controller" in result["msg"]
    assert "No module named 'jsonschema'" in result["msg"]


def test_documented_options_are_the_argument_spec():
    """The module file is documentation only: its options must say what the action accepts."""
    documented = yaml.safe_load(module_docs.DOCUMENTATION)["options"]
    assert sorted(documented) == sorted(action.ARGUMENT_SPEC)
    for name, spec in action.ARGUMENT_SPEC.items():
        doc = documented[name]
        for key in ("type", "elements", "choices", "default"):
            assert doc.get(key) == spec.get(key), (name, key)
        assert doc.get("required", False) == spec.get("required", False), name
