# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names, dependencies, ordering, removal, namespaces and secrets in the apps plan."""

from __future__ import annotations

import json

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from apps_harness import RoleRenderer, validate

MANIFESTS = "/var/lib/rancher/k3s/server/manifests"
POOLS = [{"name": "default", "addresses": ["192.168.50.240-192.168.50.250"]}]


def _names(items):
    return [item["name"] for item in items]


def test_unknown_app_is_a_clear_error():
    with pytest.raises(AnsibleFilterError, match=r"unknown app\(s\) grafanna; known apps: .*kube-prometheus-stack"):
        RoleRenderer().plan(["grafanna"])


def test_missing_dependency_is_a_clear_error():
    with pytest.raises(AnsibleFilterError, match="app cert-manager-issuers needs cert-manager: add cert-manager"):
        RoleRenderer().plan(["cert-manager-issuers"])


def test_ingress_tls_needs_the_issuer_app():
    with pytest.raises(AnsibleFilterError, match=r"whoami publishes Ingresses with TLS .* add cert-manager-issuers"):
        RoleRenderer().plan(["whoami"])
    plan = RoleRenderer({"apps_ingress_tls": False}).plan(["whoami"])
    ingress = plan["present"][0]["resources"]["documents"][0]
    assert "tls" not in ingress["spec"]
    assert "annotations" not in ingress["metadata"]


def test_invalid_values_fail_the_app_checks():
    with pytest.raises(AnsibleFilterError, match="set apps_influxdb_admin_password"):
        RoleRenderer().plan(["influxdb"])
    with pytest.raises(AnsibleFilterError, match=r"192\.168\.60\.1-192\.168\.60\.9 is not inside the node network"):
        RoleRenderer({"apps_metallb_pools": [{"name": "lan", "addresses": ["192.168.60.1-192.168.60.9"]}]}).plan(
            ["metallb", "metallb-pools"]
        )


def test_cycles_and_bad_entries_are_refused():
    cyclic = {"a": {"namespace": "a", "depends_on": ["b"]}, "b": {"namespace": "b", "depends_on": ["a"]}}
    with pytest.raises(AnsibleFilterError, match="dependency cycle: a -> b -> a"):
        RoleRenderer({"apps_definitions": cyclic, "apps_ingress_tls": False}).plan(["a", "b"])
    with pytest.raises(AnsibleFilterError, match="state must be present or absent"):
        RoleRenderer().plan([{"name": "whoami", "state": "gone"}])
    with pytest.raises(AnsibleFilterError, match="lists whoami twice"):
        RoleRenderer().plan(["whoami", "whoami"])
    with pytest.raises(AnsibleFilterError, match="chart podinfo needs a pinned version"):
        RoleRenderer({"apps_definitions": {"podinfo": {"namespace": "podinfo", "chart": {"name": "podinfo"}}}}).plan(
            ["podinfo"]
        )


def test_present_apps_come_dependencies_first():
    renderer = RoleRenderer({"apps_metallb_pools": POOLS})
    plan = renderer.plan(["whoami", "cert-manager-issuers", "metallb-pools", "cert-manager", "metallb"])
    order = _names(plan["present"])
    assert order.index("cert-manager") < order.index("cert-manager-issuers")
    assert order.index("metallb") < order.index("metallb-pools")
    metallb = plan["present"][order.index("metallb")]
    assert metallb["job"] == {"namespace": "kube-system", "name": "helm-install-metallb"}
    assert metallb["chart"]["path"] == f"{MANIFESTS}/homelab-metallb.yaml"
    assert metallb["stale_files"] == [
        f"{MANIFESTS}/homelab-metallb-resources.yaml",
        f"{MANIFESTS}/homelab-metallb-secrets.yaml",
    ]
    pools = plan["present"][order.index("metallb-pools")]
    assert pools["job"] is None
    assert [doc["kind"] for doc in pools["resources"]["documents"]] == ["IPAddressPool", "L2Advertisement"]


def test_absent_apps_are_deleted_dependents_first_helmchart_last():
    plan = RoleRenderer().plan(
        [{"name": "cert-manager", "state": "absent"}, {"name": "cert-manager-issuers", "state": "absent"}]
    )
    assert plan["present"] == []
    assert _names(plan["absent"]) == ["cert-manager-issuers", "cert-manager"]
    issuers, manager = plan["absent"]
    assert issuers["delete"][0] == {"resource": "clusterissuer.cert-manager.io", "namespace": "", "name": "homelab-ca"}
    assert manager["delete"] == [
        {"resource": "helmchart.helm.cattle.io", "namespace": "kube-system", "name": "cert-manager"}
    ]
    assert manager["files"] == [
        f"{MANIFESTS}/homelab-cert-manager-resources.yaml",
        f"{MANIFESTS}/homelab-cert-manager.yaml",
        f"{MANIFESTS}/homelab-cert-manager-secrets.yaml",
    ]
    assert manager["addons"] == [
        "homelab-cert-manager-resources",
        "homelab-cert-manager",
        "homelab-cert-manager-secrets",
    ]
    assert plan["remove_namespaces"] == [
        {
            "name": "cert-manager",
            "path": f"{MANIFESTS}/homelab-namespace-cert-manager.yaml",
            "addon": "homelab-namespace-cert-manager",
        }
    ]


def test_a_namespace_still_in_use_is_kept():
    renderer = RoleRenderer({"apps_influxdb_admin_password": "influx-pw", "apps_influxdb_admin_token": "t"})
    plan = renderer.plan([{"name": "loki", "state": "absent"}, "influxdb", "cert-manager", "cert-manager-issuers"])
    assert plan["remove_namespaces"] == []
    assert "monitoring" in [item["documents"][0]["metadata"]["name"] for item in plan["namespaces"]]
    plan = RoleRenderer({"apps_remove_namespaces": False}).plan([{"name": "whoami", "state": "absent"}])
    assert plan["remove_namespaces"] == []


def test_namespaces_get_pod_security_and_network_policy_on_request():
    renderer = RoleRenderer(
        {
            "apps_metallb_pools": POOLS,
            "apps_ingress_tls": False,
            "apps_namespaces": {"whoami": {"network_policy": True, "labels": {"team": "lab"}}},
        }
    )
    plan = renderer.plan(["metallb", "metallb-pools", "whoami"])
    files = {item["documents"][0]["metadata"]["name"]: item for item in plan["namespaces"]}
    assert (
        files["metallb-system"]["documents"][0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
        == "privileged"
    )
    assert len(files["metallb-system"]["documents"]) == 1
    whoami = files["whoami"]["documents"]
    assert whoami[0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    assert whoami[0]["metadata"]["labels"]["team"] == "lab"
    policy = whoami[1]
    assert policy["kind"] == "NetworkPolicy"
    assert policy["spec"]["ingress"][0]["from"][1]["namespaceSelector"]["matchExpressions"][0]["values"] == [
        "kube-system",
        "traefik",
        "ingress-nginx",
        "monitoring",
    ]
    assert validate(plan["documents"]) == []


def test_secrets_stay_out_of_the_plan_and_go_through_values_secrets():
    overrides = {
        "apps_grafana_admin_password": "grafana-admin-pw",
        "apps_secret_values": {"whoami": {"token": "whoami-token-value"}},
        "apps_cert_manager_acme_email": "admin@example.org",
        "apps_cert_manager_cloudflare_api_token": "cloudflare-token-value",
    }
    renderer = RoleRenderer(overrides)
    enabled = ["cert-manager", "cert-manager-issuers", "kube-prometheus-stack", "whoami"]
    plan = renderer.plan(enabled)
    dumped = json.dumps(plan)
    for secret in ("grafana-admin-pw", "whoami-token-value", "cloudflare-token-value"):
        assert secret not in dumped
    chart = next(item for item in plan["present"] if item["name"] == "kube-prometheus-stack")["chart"]["documents"][0]
    assert chart["spec"]["valuesSecrets"] == [{"name": "kube-prometheus-stack-values", "keys": ["values.yaml"]}]
    files = {item["app"]: item for item in renderer.secret_files(enabled)}
    assert set(files) == {"cert-manager-issuers", "kube-prometheus-stack", "whoami"}
    values = yaml.safe_load(files["kube-prometheus-stack"]["documents"][0]["stringData"]["values.yaml"])
    assert values == {"grafana": {"adminPassword": "grafana-admin-pw"}}
    token = files["cert-manager-issuers"]["documents"][0]
    assert token["metadata"] == {
        "name": "cloudflare-api-token",
        "namespace": "cert-manager",
        "labels": {"app.kubernetes.io/managed-by": "homelab.k3s", "homelab.k3s/app": "cert-manager-issuers"},
    }
    assert token["stringData"] == {"api-token": "cloudflare-token-value"}
    redacted = json.dumps(renderer.secret_files(enabled, redacted=True))
    assert "cloudflare-token-value" not in redacted
    assert "grafana-admin-pw" not in redacted


def test_issuers_follow_the_settings():
    base = RoleRenderer().plan(["cert-manager", "cert-manager-issuers"])
    names = [doc["metadata"]["name"] for doc in base["documents"] if doc["kind"] == "ClusterIssuer"]
    assert names == ["selfsigned", "homelab-ca"]
    full = RoleRenderer(
        {"apps_cert_manager_acme_email": "a@example.org", "apps_cert_manager_cloudflare_api_token": "t"}
    ).plan(["cert-manager", "cert-manager-issuers"])
    issuers = {doc["metadata"]["name"]: doc for doc in full["documents"] if doc["kind"] == "ClusterIssuer"}
    assert set(issuers) == {"selfsigned", "homelab-ca", "letsencrypt-http01", "letsencrypt-dns01"}
    solver = issuers["letsencrypt-dns01"]["spec"]["acme"]["solvers"][0]
    assert solver["dns01"]["cloudflare"]["apiTokenSecretRef"] == {"name": "cloudflare-api-token", "key": "api-token"}
    assert validate(full["documents"]) == []
    with pytest.raises(AnsibleFilterError, match="letsencrypt-dns01 needs apps_cert_manager_cloudflare_api_token"):
        RoleRenderer({"apps_ingress_issuer": "letsencrypt-dns01", "apps_cert_manager_acme_email": "a@b.org"}).plan(
            ["cert-manager", "cert-manager-issuers"]
        )


def test_user_apps_in_the_catalog_form():
    definitions = {
        "podinfo": {
            "description": "podinfo demo",
            "namespace": "demo",
            "pod_security": "restricted",
            "chart": {
                "repo": "https://stefanprodan.github.io/podinfo",
                "name": "podinfo",
                "version": "6.9.0",
                "timeout": "5m",
            },
            "values": {"replicaCount": 1},
            "ingress": [{"host": "podinfo", "service": "podinfo", "port": 9898}],
            "manifests": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "demo"}, "data": {"a": "b"}}],
        },
        "traefik-packaged": {
            "description": "tune the Traefik k3s packages",
            "namespace": "kube-system",
            "chart_config": {"name": "traefik"},
            "values": {"logs": {"access": {"enabled": True}}},
        },
    }
    renderer = RoleRenderer(
        {"apps_definitions": definitions, "apps_ingress_tls": False, "apps_values": {"podinfo": {"replicaCount": 2}}}
    )
    plan = renderer.plan(["podinfo", "traefik-packaged"])
    podinfo, packaged = plan["present"]
    chart = podinfo["chart"]["documents"][0]
    assert chart["spec"]["timeout"] == "5m"
    assert yaml.safe_load(chart["spec"]["valuesContent"]) == {"replicaCount": 2}
    assert [doc["kind"] for doc in podinfo["resources"]["documents"]] == ["ConfigMap", "Ingress"]
    assert podinfo["resources"]["documents"][0]["metadata"]["namespace"] == "demo"
    config = packaged["chart"]["documents"][0]
    assert config["kind"] == "HelmChartConfig"
    assert config["metadata"]["namespace"] == "kube-system"
    assert packaged["job"] == {"namespace": "kube-system", "name": "helm-install-traefik"}
    assert "kube-system" not in [item["documents"][0]["metadata"]["name"] for item in plan["namespaces"]]
    assert validate(plan["documents"]) == []


def test_entries_with_a_false_when_are_dropped():
    plan = RoleRenderer({"apps_longhorn_backup_target": "nfs://nas.lan:/backups"}).plan(
        ["cert-manager", "cert-manager-issuers", "longhorn"]
    )
    longhorn = next(item for item in plan["present"] if item["name"] == "longhorn")
    assert longhorn["has_secrets"] is False
    values = yaml.safe_load(longhorn["chart"]["documents"][0]["spec"]["valuesContent"])
    assert values["defaultBackupStore"] == {
        "backupTarget": "nfs://nas.lan:/backups",
        "backupTargetCredentialSecret": None,
    }
    classes = {doc["metadata"]["name"]: doc for doc in plan["documents"] if doc["kind"] == "StorageClass"}
    assert {name: doc["parameters"]["numberOfReplicas"] for name, doc in classes.items()} == {
        "fast": "3",
        "standard": "2",
        "backup": "1",
    }
    assert classes["standard"]["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    assert classes["fast"]["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "false"


def test_alert_rules_carry_the_thresholds():
    plan = RoleRenderer({"apps_alert_cpu_percent": 75}).plan(
        ["kube-prometheus-stack", "monitoring-rules", "cert-manager", "cert-manager-issuers"]
    )
    rules = {
        rule["alert"]: rule
        for doc in plan["documents"]
        if doc["kind"] == "PrometheusRule"
        for group in doc["spec"]["groups"]
        for rule in group["rules"]
    }
    assert set(rules) == {
        "NodeHighCPU",
        "NodeHighMemory",
        "NodeHighTemperature",
        "PodFailed",
        "HTTP5xxTraefik",
        "HTTP5xxNginx",
    }
    assert rules["NodeHighCPU"]["expr"].endswith("> 75") and rules["NodeHighCPU"]["for"] == "5m"
    assert rules["NodeHighMemory"]["expr"].endswith("> 90")
    assert "> 70" in rules["NodeHighTemperature"]["expr"] and rules["NodeHighTemperature"]["for"] == "2m"
    assert "{{ $labels.instance }}" in rules["NodeHighCPU"]["annotations"]["summary"]


def test_removing_a_chart_config_app_deletes_only_the_helmchartconfig():
    definitions = {
        "traefik-packaged": {"namespace": "kube-system", "chart_config": {"name": "traefik"}, "values": {"a": 1}}
    }
    plan = RoleRenderer({"apps_definitions": definitions}).plan([{"name": "traefik-packaged", "state": "absent"}])
    assert plan["absent"][0]["delete"] == [
        {"resource": "helmchartconfig.helm.cattle.io", "namespace": "kube-system", "name": "traefik"}
    ]
    assert plan["remove_namespaces"] == []
