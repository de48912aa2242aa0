# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Chart fixtures: what the double's helm controller installs for a HelmChart (k3s_double.charts)."""

import json
import os

import pytest

CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.test
spec:
  group: example.test
  scope: Namespaced
  names: {kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}
  versions:
    - name: v1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
"""
WORKLOAD = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: widget-controller
spec:
  selector: {matchLabels: {app: widget}}
  template:
    metadata: {labels: {app: widget}}
    spec: {containers: [{name: c, image: registry.invalid/widget:1}]}
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Service
    metadata:
      name: widget
    spec:
      selector: {app: widget}
      ports: [{port: 80}]
"""
CHART = """apiVersion: helm.cattle.io/v1
kind: HelmChart
metadata: {name: widgets, namespace: kube-system}
spec: {chart: widget-chart, repo: https://charts.example.test, version: 1.0.0, targetNamespace: widgets}
"""
NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata: {name: widgets}\n"
WIDGET = "apiVersion: example.test/v1\nkind: Widget\nmetadata: {name: w1, namespace: widgets}\nspec: {size: 3}\n"


@pytest.fixture(scope="module")
def cluster(cluster_factory, tmp_path_factory):
    charts = tmp_path_factory.mktemp("charts")
    for sub, name, content in (("crds", "crds.yaml", CRD), ("templates", "workload.yaml", WORKLOAD)):
        os.makedirs(charts / "widget-chart" / sub)
        (charts / "widget-chart" / sub / name).write_text(content)
    cluster = cluster_factory()
    cluster.start(cluster.server_args("s1"), "s1", env={"K3S_DOUBLE_CHARTS_DIR": str(charts)})
    return cluster


def write(cluster, name, content):
    with open(os.path.join(cluster.path("s1", "server", "manifests"), name), "w", encoding="utf-8") as handle:
        handle.write(content)


def job(cluster):
    result = cluster.kubectl("s1", "get", "job", "helm-install-widgets", "-n", "kube-system", "-o", "json")
    return None if result.returncode else json.loads(result.stdout)


def test_install_waits_for_the_target_namespace_then_applies_the_chart(cluster):
    write(cluster, "widgets.yaml", CHART)
    assert cluster.wait_until(lambda: job(cluster) is not None, timeout=15)
    status = job(cluster)["status"]
    assert status.get("active") == 1 and not status.get("succeeded"), "no namespace yet: the job keeps trying"
    assert cluster.kubectl("s1", "get", "deployment", "widget-controller", "-n", "widgets").returncode == 1

    write(cluster, "widgets-namespace.yaml", NAMESPACE)
    assert cluster.wait_until(lambda: (job(cluster) or {}).get("status", {}).get("succeeded") == 1, timeout=15)
    deployment = cluster.kubectl_json("s1", "get", "deployment", "widget-controller", "-n", "widgets")
    assert deployment["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"
    assert deployment["metadata"]["annotations"]["meta.helm.sh/release-name"] == "widgets"
    assert cluster.kubectl_json("s1", "get", "service", "widget", "-n", "widgets")["spec"]["clusterIP"]


def test_the_chart_crds_serve_their_kinds(cluster, tmp_path):
    path = tmp_path / "widget.yaml"
    path.write_text(WIDGET)
    applied = cluster.kubectl("s1", "apply", "-f", str(path))
    assert applied.returncode == 0, applied.stderr
    assert cluster.kubectl_json("s1", "get", "widgets", "w1", "-n", "widgets")["spec"] == {"size": 3}


def test_uninstall_deletes_the_release_and_keeps_the_crds(cluster):
    os.unlink(os.path.join(cluster.path("s1", "server", "manifests"), "widgets.yaml"))
    deleted = cluster.kubectl("s1", "delete", "helmchart", "widgets", "-n", "kube-system")
    assert deleted.returncode == 0, deleted.stderr
    assert cluster.kubectl("s1", "get", "deployment", "widget-controller", "-n", "widgets").returncode == 1
    assert cluster.kubectl("s1", "get", "service", "widget", "-n", "widgets").returncode == 1
    assert job(cluster) is None
    assert cluster.kubectl("s1", "get", "crd", "widgets.example.test").returncode == 0
