# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a helm install job would put in the cluster, taken from chart fixtures on the server.

The double downloads and renders no charts. A test may give a chart's objects as plain YAML (documents
or a List) in ``<charts dir>/<spec.chart>/crds/*.yaml`` (applied as they are and kept on uninstall, as
helm treats a chart's crds/ directory) and ``<charts dir>/<spec.chart>/templates/*.yaml`` (applied into
the HelmChart's targetNamespace with helm's release labels, deleted on uninstall). The charts directory is
$K3S_DOUBLE_CHARTS_DIR, by default /etc/rancher/k3s-double/charts: a path of the double, not of k3s.

A chart with a fixture installs once its target namespace exists; until then its install Job stays
active, as a real job retries. A chart without a fixture installs nothing and its Job succeeds at once.
"""

import glob
import os

import yaml

from k3s_double import api as api_module  # a cycle: api imports controllers, which import this

DEFAULT_DIR = "/etc/rancher/k3s-double/charts"
MANAGED_BY = "app.kubernetes.io/managed-by"
RELEASE_NAME = "meta.helm.sh/release-name"
RELEASE_NAMESPACE = "meta.helm.sh/release-namespace"


def charts_dir():
    return os.environ.get("K3S_DOUBLE_CHARTS_DIR", DEFAULT_DIR)


def _fixture(chart):
    name = str(chart.get("spec", {}).get("chart", ""))
    if not name or "/" in name or name.startswith("."):
        return None
    path = os.path.join(charts_dir(), name)
    return path if os.path.isdir(path) else None


def _objects(directory):
    """The objects of the YAML files in directory: documents, and the items of List documents."""
    found = []
    for path in sorted(glob.glob(os.path.join(directory, "*.yaml")) + glob.glob(os.path.join(directory, "*.yml"))):
        with open(path, encoding="utf-8") as handle:
            for doc in yaml.safe_load_all(handle):
                if isinstance(doc, dict) and doc.get("kind", "").endswith("List") and "items" in doc:
                    found.extend(doc["items"] or [])
                elif isinstance(doc, dict) and doc.get("kind"):
                    found.append(doc)
    return found


def target_namespace(chart):
    return chart.get("spec", {}).get("targetNamespace") or chart["metadata"].get("namespace", "default")


def has_fixture(chart):
    return _fixture(chart) is not None


def install(api, chart):
    """Apply the chart's fixture; False while its target namespace does not exist yet."""
    directory = _fixture(chart)
    if directory is None:
        return True
    namespace = target_namespace(chart)
    try:
        api.get(api.resource("namespaces"), None, namespace)
    except api_module.APIError:
        return False
    for obj in _objects(os.path.join(directory, "crds")):
        api.apply_object(obj)
    release = chart["metadata"]["name"]
    for obj in _objects(os.path.join(directory, "templates")):
        meta = obj.setdefault("metadata", {})
        meta.setdefault("labels", {})[MANAGED_BY] = "Helm"
        meta.setdefault("annotations", {}).update({RELEASE_NAME: release, RELEASE_NAMESPACE: namespace})
        if api.resource_for(obj).namespaced:
            meta["namespace"] = namespace
        api.apply_object(obj)
    return True


def uninstall(api, chart):
    """Delete what the release's templates created; CRDs stay, as with helm."""
    release, namespace = chart["metadata"]["name"], target_namespace(chart)
    for resource in api.registry().resources:
        try:
            items = api.list(resource, None, f"{MANAGED_BY}=Helm")[0]
        except api_module.APIError:
            continue
        for obj in items:
            notes = obj["metadata"].get("annotations", {})
            if notes.get(RELEASE_NAME) == release and notes.get(RELEASE_NAMESPACE) == namespace:
                try:
                    api.delete(resource, obj["metadata"].get("namespace"), obj["metadata"]["name"])
                except api_module.APIError:
                    continue
