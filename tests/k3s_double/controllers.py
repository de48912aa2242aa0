# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the cluster's controllers would do to objects, done at write time since the double runs no pods.

- Namespaces are Active, CRDs Established, Services get a cluster IP.
- Workloads (Deployments, StatefulSets, DaemonSets, ReplicaSets) report every replica ready; Jobs complete.
- The helm controller gives each HelmChart an install Job `helm-install-<name>`, records it in the
  HelmChart's status.jobName, and installs the chart's fixture if a test gave one (k3s_double.charts); the
  Job succeeds once the chart is installed.
"""

import hashlib
import ipaddress
import json

from k3s_double import api as api_module
from k3s_double import charts, nodes

HELM_IMAGE = "rancher/klipper-helm:v0.9.3-build20241008"
CHART_LABEL = "helmcharts.helm.cattle.io/chart"
CONFIG_HASH = "helmcharts.helm.cattle.io/configHash"
# On an install Job whose chart is not installed yet: the Job stays active until it is.
PENDING = "k3s-double/pending-install"


def _condition(kind, reason, message, moment):
    return {
        "type": kind,
        "status": "True",
        "reason": reason,
        "message": message,
        "lastUpdateTime": moment,
        "lastTransitionTime": moment,
    }


def _cluster_ip(api, namespace, name):
    if namespace == "default" and name == "kubernetes":
        offset = 1
    else:
        offset = 11 + int(hashlib.sha256(f"{namespace}/{name}".encode()).hexdigest(), 16) % 60000
    network = ipaddress.ip_network(api.settings.get("service_cidr", "10.43.0.0/16"), strict=False)
    return str(network.network_address + offset % max(network.num_addresses - 2, 1))


def _workload_status(obj, moment, node_count):
    spec = obj.get("spec", {})
    generation = obj["metadata"].get("generation", 1)
    kind = obj["kind"]
    if kind == "DaemonSet":
        return {
            "currentNumberScheduled": node_count,
            "desiredNumberScheduled": node_count,
            "numberAvailable": node_count,
            "numberMisscheduled": 0,
            "numberReady": node_count,
            "observedGeneration": generation,
            "updatedNumberScheduled": node_count,
        }
    replicas = spec.get("replicas", 1)
    status = {
        "observedGeneration": generation,
        "replicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
    }
    if kind == "Deployment":
        status["updatedReplicas"] = replicas
        status["conditions"] = [
            _condition("Available", "MinimumReplicasAvailable", "Deployment has minimum availability.", moment),
            _condition(
                "Progressing",
                "NewReplicaSetAvailable",
                f'ReplicaSet "{obj["metadata"]["name"]}" has successfully progressed.',
                moment,
            ),
        ]
    elif kind == "StatefulSet":
        status.update(currentReplicas=replicas, updatedReplicas=replicas)
    elif kind == "ReplicaSet":
        status["fullyLabeledReplicas"] = replicas
    return status


def _job_status(obj, moment):
    if PENDING in obj["metadata"].get("annotations", {}):
        return {"startTime": moment, "active": 1, "ready": 0, "terminating": 0, "uncountedTerminatedPods": {}}
    completions = obj.get("spec", {}).get("completions", 1)
    condition = {"status": "True", "lastProbeTime": moment, "lastTransitionTime": moment}
    return {
        "startTime": moment,
        "completionTime": moment,
        "succeeded": completions,
        "ready": 0,
        "terminating": 0,
        "uncountedTerminatedPods": {},
        "conditions": [
            dict(
                condition,
                type="SuccessCriteriaMet",
                reason="CompletionsReached",
                message="Reached expected number of succeeded pods",
            ),
            dict(
                condition,
                type="Complete",
                reason="CompletionsReached",
                message="Reached expected number of succeeded pods",
            ),
        ],
    }


def _helm_enabled(api):
    return not api.settings.get("disable_helm_controller", False)


def _chart_hash(chart):
    return "SHA256=" + hashlib.sha256(json.dumps(chart.get("spec", {}), sort_keys=True).encode()).hexdigest().upper()


def prepare(api, resource, obj, existing):
    """Fill in what controllers set on an object about to be written."""
    moment = nodes.now_iso()
    kind = resource.kind
    meta = obj["metadata"]
    if kind == "Namespace":
        meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj["status"] = {"phase": "Active"}
    elif kind == "CustomResourceDefinition":
        spec = obj.get("spec", {})
        established = {"status": "True", "lastTransitionTime": moment}
        obj["status"] = {
            "acceptedNames": spec.get("names", {}),
            "conditions": [
                dict(established, type="NamesAccepted", reason="NoConflicts", message="no conflicts found"),
                dict(
                    established,
                    type="Established",
                    reason="InitialNamesAccepted",
                    message="the initial names have been accepted",
                ),
            ],
            "storedVersions": [v["name"] for v in spec.get("versions", []) if v.get("storage")],
        }
    elif kind == "Service":
        spec = obj.setdefault("spec", {})
        if spec.get("type") != "ExternalName" and not spec.get("clusterIP"):
            spec["clusterIP"] = _cluster_ip(api, meta.get("namespace"), meta["name"])
        if spec.get("clusterIP") and spec["clusterIP"] != "None":
            spec.setdefault("clusterIPs", [spec["clusterIP"]])
        spec.setdefault("type", "ClusterIP")
    elif kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
        node_count = len(api.ds.list("/registry/nodes/")) if kind == "DaemonSet" else 0
        obj["status"] = _workload_status(obj, moment, node_count)
    elif kind == "Job":
        if not (existing or {}).get("status", {}).get("completionTime"):
            obj["status"] = _job_status(obj, moment)
    elif kind == "HelmChart" and _helm_enabled(api):
        obj.setdefault("status", {})["jobName"] = f"helm-install-{meta['name']}"
        obj["status"]["conditions"] = [
            {"type": "JobCreated", "status": "True", "reason": "Job created", "message": ""},
            {"type": "Failed", "status": "False", "reason": "", "message": ""},
        ]


def _install_job(chart, image):
    meta = chart["metadata"]
    spec = chart.get("spec", {})
    name = f"helm-install-{meta['name']}"
    env = [
        {"name": "NAME", "value": meta["name"]},
        {"name": "VERSION", "value": str(spec.get("version", ""))},
        {"name": "REPO", "value": spec.get("repo", "")},
        {"name": "HELM_DRIVER", "value": "secret"},
        {"name": "CHART_NAMESPACE", "value": spec.get("targetNamespace") or meta.get("namespace", "default")},
        {"name": "CHART", "value": spec.get("chart", "")},
    ]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": meta.get("namespace", "default"),
            "labels": {CHART_LABEL: meta["name"]},
            "annotations": {CONFIG_HASH: _chart_hash(chart)},
            "ownerReferences": [
                {
                    "apiVersion": "helm.cattle.io/v1",
                    "kind": "HelmChart",
                    "name": meta["name"],
                    "uid": meta.get("uid", ""),
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "backoffLimit": 1000,
            "completions": 1,
            "parallelism": 1,
            "template": {
                "metadata": {"labels": {CHART_LABEL: meta["name"]}},
                "spec": {
                    "serviceAccountName": f"helm-{meta['name']}",
                    "restartPolicy": "OnFailure",
                    "containers": [{"name": "helm", "image": image, "args": ["install"], "env": env}],
                },
            },
        },
    }


def after_write(api, resource, obj, existing):
    """Create what controllers create in answer to a write."""
    if resource.kind != "HelmChart" or not _helm_enabled(api):
        return
    jobs = api.resource("jobs.batch")
    job = _install_job(obj, api.settings.get("helm_job_image") or HELM_IMAGE)
    namespace = job["metadata"]["namespace"]
    try:
        current = api.get(jobs, namespace, job["metadata"]["name"])
    except api_module.APIError:
        current = None
    if current and current["metadata"].get("annotations", {}).get(CONFIG_HASH) == _chart_hash(obj):
        return
    if current:
        api.delete(jobs, namespace, job["metadata"]["name"])
    if not charts.install(api, obj):
        job["metadata"]["annotations"][PENDING] = "waiting for namespace " + charts.target_namespace(obj)
    api.create(jobs, namespace, job)


def retry_pending_installs(api):
    """Install the charts whose Job still waits, as the job's retries would; its Job then succeeds."""
    if not _helm_enabled(api):
        return
    jobs = api.resource("jobs.batch")
    for chart in api.list(api.resource("helmcharts.helm.cattle.io"))[0]:
        name, namespace = f"helm-install-{chart['metadata']['name']}", chart["metadata"].get("namespace")
        try:
            job = api.get(jobs, namespace, name)
        except api_module.APIError:
            continue
        if PENDING in job["metadata"].get("annotations", {}) and charts.install(api, chart):
            del job["metadata"]["annotations"][PENDING]
            api.update(jobs, namespace, name, job)


def after_delete(api, resource, obj):
    if resource.kind != "HelmChart":
        return
    if _helm_enabled(api):
        charts.uninstall(api, obj)
    jobs = api.resource("jobs.batch")
    try:
        api.delete(jobs, obj["metadata"].get("namespace"), f"helm-install-{obj['metadata']['name']}")
    except api_module.APIError:
        return
