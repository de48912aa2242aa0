# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform apps as the cluster sees them after site.yml; check mode; then whoami removed.

The tests run in file order: the last one removes whoami from the cluster.
"""

import json
import re

import pytest
import yaml
from cluster import FIRST_SERVER, PROJECT, kubectl, node, playbook, variables

APPS_PLAYBOOK = PROJECT / "playbooks" / "apps.yml"
MANIFESTS = "/var/lib/rancher/k3s/server/manifests"
CATALOG = PROJECT / "roles" / "apps" / "files" / "catalog"
CHARTS = {
    "traefik": "traefik",
    "metallb": "metallb",
    "cert-manager": "cert-manager",
    "kube-prometheus-stack": "kube-prometheus-stack",
    "argocd": "argo-cd",
    "whoami": "whoami",
}
UI_HOSTS = {"traefik", "grafana", "prometheus", "alertmanager", "argocd", "whoami"}


def kubectl_json(*args):
    """`k3s kubectl ... -o json` on the first server, parsed; None when the object is not there."""
    result = kubectl(*args, "-o", "json")
    if result.rc != 0:
        assert "NotFound" in result.stderr or "not found" in result.stderr, result.stderr
        return None
    return json.loads(result.stdout)


def items(*args):
    return {item["metadata"]["name"]: item for item in (kubectl_json("get", *args) or {"items": []})["items"]}


def settings():
    return variables(FIRST_SERVER)


def catalog_version(app):
    return yaml.safe_load((CATALOG / f"{app}.yml").read_text())[app]["chart"]["version"]


def test_every_chart_is_installed_at_its_catalog_version():
    charts = items("helmcharts.helm.cattle.io", "--namespace", "kube-system")
    jobs = items("jobs", "--namespace", "kube-system")
    for app, chart in CHARTS.items():
        assert app in charts, f"HelmChart {app} missing"
        spec = charts[app]["spec"]
        assert spec["chart"] == chart
        assert spec["version"] == catalog_version(app)
        job = jobs[charts[app]["status"]["jobName"]]
        assert job["status"].get("succeeded", 0) >= 1, f"install job of {app} did not succeed"
    # k3s's own Traefik is disabled; the app's runs in its own namespace.
    assert "traefik-crd" not in charts
    assert charts["traefik"]["spec"]["targetNamespace"] == "traefik"


def test_values_reach_the_charts():
    charts = items("helmcharts.helm.cattle.io", "--namespace", "kube-system")
    assert yaml.safe_load(charts["whoami"]["spec"]["valuesContent"])["replicaCount"] == 2
    traefik = yaml.safe_load(charts["traefik"]["spec"]["valuesContent"])
    prefix = settings()["ansible_host"].rsplit(".", 1)[0]
    assert traefik["service"]["type"] == "LoadBalancer"
    assert f"{prefix}.200" in json.dumps(traefik["service"])


def test_the_grafana_password_is_a_secret_not_a_value(playbook_log):
    charts = items("helmcharts.helm.cattle.io", "--namespace", "kube-system")
    password = settings()["apps_grafana_admin_password"]
    assert password not in json.dumps(charts["kube-prometheus-stack"])
    assert charts["kube-prometheus-stack"]["spec"].get("valuesSecrets"), "values from a Secret"
    secrets_file = node(FIRST_SERVER).file(f"{MANIFESTS}/homelab-kube-prometheus-stack-secrets.yaml")
    assert secrets_file.mode == 0o600
    assert password not in playbook_log


def test_the_chart_workloads_and_crds_are_in_the_cluster():
    assert "whoami" in items("deployments", "--namespace", "whoami")
    assert "argocd-server" in items("services", "--namespace", "argocd")
    crds = items("customresourcedefinitions")
    wanted = ("ipaddresspools.metallb.io", "clusterissuers.cert-manager.io", "prometheusrules.monitoring.coreos.com")
    for name in wanted:
        assert name in crds, name


def test_metallb_pool_inside_the_lab_network():
    prefix = settings()["ansible_host"].rsplit(".", 1)[0]
    pools = items("ipaddresspools.metallb.io", "--namespace", "metallb-system")
    assert pools["lab"]["spec"]["addresses"] == [f"{prefix}.200-{prefix}.209"]
    adverts = items("l2advertisements.metallb.io", "--namespace", "metallb-system")
    assert any("lab" in advert["spec"].get("ipAddressPools", []) for advert in adverts.values())


def test_cluster_issuers_and_the_ca():
    issuers = items("clusterissuers.cert-manager.io")
    assert {"selfsigned", "homelab-ca"} <= set(issuers)
    assert issuers["homelab-ca"]["spec"]["ca"]["secretName"]
    assert "homelab-ca" in items("certificates.cert-manager.io", "--namespace", "cert-manager")


def test_alert_rules_of_the_seeds():
    rules = items("prometheusrules.monitoring.coreos.com", "--namespace", "monitoring")["homelab-nodes"]
    alerts = {rule["alert"]: rule for group in rules["spec"]["groups"] for rule in group["rules"] if "alert" in rule}
    expressions = " ".join(rule["expr"] for rule in alerts.values())
    for threshold in ("80", "90", "70"):
        assert re.search(rf"\b{threshold}\b", expressions), f"no alert at {threshold}"
    assert len(alerts) >= 5


def test_every_ui_has_an_ingress_with_tls_from_the_issuer():
    domain = settings()["apps_domain"]
    found = {}
    for namespace in ("traefik", "monitoring", "argocd", "whoami"):
        for ingress in items("ingresses", "--namespace", namespace).values():
            for rule in ingress["spec"]["rules"]:
                found[rule["host"]] = ingress
    assert {f"{name}.{domain}" for name in UI_HOSTS} <= set(found)
    for host, ingress in found.items():
        assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "homelab-ca"
        assert host in ingress["spec"]["tls"][0]["hosts"]
        assert ingress["spec"]["ingressClassName"] == "traefik"


def test_namespaces_carry_pod_security_labels():
    namespaces = items("namespaces")
    assert namespaces["whoami"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    assert namespaces["metallb-system"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"


def test_the_manifest_files_belong_to_root():
    server = node(FIRST_SERVER)
    directory = server.file(MANIFESTS)
    assert directory.mode == 0o700 and directory.user == "root"
    for app in CHARTS:
        manifest = server.file(f"{MANIFESTS}/homelab-{app}.yaml")
        assert manifest.exists and manifest.user == "root" and manifest.mode == 0o644


def test_check_mode_on_the_converged_cluster_changes_nothing():
    rc, output, recap = playbook("--check", "--diff")
    assert rc == 0, output[-3000:]
    assert recap and all(changed == 0 and failed == 0 for changed, failed in recap.values()), output[-3000:]


def test_site_ends_with_the_app_urls():
    rc, output, _recap = playbook("--tags", "summary")
    assert rc == 0, output[-3000:]
    domain = settings()["apps_domain"]
    for name in ("grafana", "argocd", "whoami"):
        assert f"https://{name}.{domain}" in output


@pytest.fixture(scope="module")
def whoami_removed():
    enabled = [app for app in settings()["apps_enabled"] if app != "whoami"]
    extra = json.dumps({"apps_enabled": [*enabled, {"name": "whoami", "state": "absent"}]})
    first = playbook("--extra-vars", extra, target=APPS_PLAYBOOK)
    again = playbook("--extra-vars", extra, target=APPS_PLAYBOOK)
    return first, again


def test_removing_an_app_deletes_what_it_created(whoami_removed):
    (rc, output, recap), _again = whoami_removed
    assert rc == 0, output[-3000:]
    assert settings()["apps_grafana_admin_password"] not in output
    assert recap[FIRST_SERVER][0] > 0
    assert "whoami" not in items("helmcharts.helm.cattle.io", "--namespace", "kube-system")
    assert "whoami" not in items("namespaces")
    assert kubectl_json("get", "ingress", "whoami", "--namespace", "whoami") is None
    assert "homelab-whoami" not in items("addons.k3s.cattle.io", "--namespace", "kube-system")
    server = node(FIRST_SERVER)
    for suffix in ("", "-resources", "-secrets"):
        assert not server.file(f"{MANIFESTS}/homelab-whoami{suffix}.yaml").exists
    assert not server.file(f"{MANIFESTS}/homelab-namespace-whoami.yaml").exists
    # The other apps stay.
    assert "argocd" in items("helmcharts.helm.cattle.io", "--namespace", "kube-system")


def test_removing_again_changes_nothing(whoami_removed):
    _first, (rc, output, recap) = whoami_removed
    assert rc == 0, output[-3000:]
    assert all(changed == 0 for changed, _failed in recap.values()), output[-3000:]
