# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Server-side printing: a `meta.k8s.io/v1` Table for a GET with `Accept: application/json;as=Table;
v=v1;g=meta.k8s.io`, which `kubectl get` asks for to print its columns
(https://kubernetes.io/docs/reference/using-api/api-concepts/#receiving-resources-as-tables).

The columns are those the API server prints for the kind (COLUMNS; the WIDE ones with priority 1, shown by
`-o wide`); other kinds get Name and Age, as custom resources without printer columns do.
Each row carries its object as `PartialObjectMetadata`, or whole with `includeObject=Object`.
"""

import datetime


def human_duration(seconds):
    """kubectl's AGE column (k8s.io/apimachinery duration.HumanDuration)."""
    seconds = int(seconds)
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


def age(obj, now=None):
    stamp = obj.get("metadata", {}).get("creationTimestamp")
    if not stamp:
        return "<unknown>"
    created = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return human_duration((now - created).total_seconds())


def _condition(obj, kind):
    return next((c for c in obj.get("status", {}).get("conditions") or [] if c.get("type") == kind), {})


def node_status(node):
    status = "Ready" if _condition(node, "Ready").get("status") == "True" else "NotReady"
    if node.get("spec", {}).get("unschedulable"):
        status += ",SchedulingDisabled"
    return status


def node_roles(node):
    roles = set()
    for key, value in (node.get("metadata", {}).get("labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/"):
            roles.add(key.split("/", 1)[1])
        elif key == "kubernetes.io/role":
            roles.add(value)
    return ",".join(sorted(r for r in roles if r)) or "<none>"


def _address(node, kind):
    found = [a["address"] for a in node.get("status", {}).get("addresses") or [] if a.get("type") == kind]
    return ",".join(found) or "<none>"


def _ports(service):
    ports = []
    for port in service.get("spec", {}).get("ports") or []:
        text = f"{port.get('port')}"
        if port.get("nodePort"):
            text += f":{port['nodePort']}"
        ports.append(f"{text}/{port.get('protocol', 'TCP')}")
    return ",".join(ports) or "<none>"


def _job_status(job):
    for kind in ("Complete", "Failed", "Suspended"):
        if _condition(job, kind).get("status") == "True":
            return kind
    return "Running"


def _job_duration(job):
    status = job.get("status", {})
    if not status.get("startTime"):
        return ""
    start = datetime.datetime.strptime(status["startTime"], "%Y-%m-%dT%H:%M:%SZ")
    end_text = status.get("completionTime")
    if end_text:
        end = datetime.datetime.strptime(end_text, "%Y-%m-%dT%H:%M:%SZ")
    else:
        end = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    return human_duration((end - start).total_seconds())


def _default_class(obj):
    annotations = obj.get("metadata", {}).get("annotations") or {}
    default = annotations.get("storageclass.kubernetes.io/is-default-class") == "true"
    return obj["metadata"]["name"] + (" (default)" if default else "")


def _get(obj, *path, default="<none>"):
    value = obj
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return default if value in (None, "") else str(value)


def _replicas(obj, ready="readyReplicas"):
    return f"{obj.get('status', {}).get(ready, 0)}/{obj.get('spec', {}).get('replicas', 1)}"


# kind -> [(header, function(obj)), ...], and the extra columns of -o wide
COLUMNS = {
    "Node": [
        ("NAME", lambda o: o["metadata"]["name"]),
        ("STATUS", node_status),
        ("ROLES", node_roles),
        ("AGE", age),
        ("VERSION", lambda o: _get(o, "status", "nodeInfo", "kubeletVersion", default="")),
    ],
    "Namespace": [
        ("NAME", lambda o: o["metadata"]["name"]),
        ("STATUS", lambda o: _get(o, "status", "phase")),
        ("AGE", age),
    ],
    "Deployment": [
        ("NAME", lambda o: o["metadata"]["name"]),
        ("READY", _replicas),
        ("UP-TO-DATE", lambda o: str(o.get("status", {}).get("updatedReplicas", 0))),
        ("AVAILABLE", lambda o: str(o.get("status", {}).get("availableReplicas", 0))),
        ("AGE", age),
    ],
    "StatefulSet": [("NAME", lambda o: o["metadata"]["name"]), ("READY", _replicas), ("AGE", age)],
    "DaemonSet": [
        ("NAME", lambda o: o["metadata"]["name"]),
        ("DESIRED", lambda o: str(o.get("status", {}).get("desiredNumberScheduled", 0))),
        ("CURRENT", lambda o: str(o.get("status", {}).get("currentNumberScheduled", 0))),
        ("READY", lambda o: str(o.get("status", {}).get("numberReady", 0))),
        ("UP-TO-DATE", lambda o: str(o.get("status", {}).get("updatedNumberScheduled", 0))),
        ("AVAILABLE", lambda o: str(o.get("status", {}).get("numberAvailable", 0))),
        (
            "NODE SELECTOR",
            lambda o: (
                ",".join(
                    f"{k}={v}"
                    for k, v in (
                        o.get("spec", {}).get("template", {}).get("spec", {}).get("nodeSelector") or {}
                    ).items()
                )
                or "<none>"
            ),
        ),
        ("AGE", age),
    ],
    "Job": [
        ("NAME", lambda o: o["metadata"]["name"]),
        ("STATUS", _job_status),
        (
            "COMPLETIONS",
            lambda o: f"{o.get('status', {}).get('succeeded', 0)}/{o.get('spec', {}).get('completions', 1)}",
        ),
        ("DURATION", _job_duration),
        ("AGE", age),
    ],
    "Service": [
        ("NAME", lambda o: o["metadata"]["name"]),
        ("TYPE", lambda o: _get(o, "spec", "type", default="ClusterIP")),
        ("CLUSTER-IP", lambda o: _get(o, "spec", "clusterIP")),
        ("EXTERNAL-IP", lambda o: ",".join(o.get("spec", {}).get("externalIPs") or []) or "<none>"),
        ("PORT(S)", _ports),
        ("AGE", age),
    ],
    "ConfigMap": [
        ("NAME", lambda o: o["metadata"]["name"]),
        ("DATA", lambda o: str(len(o.get("data") or {}) + len(o.get("binaryData") or {}))),
        ("AGE", age),
    ],
    "Secret": [
        ("NAME", lambda o: o["metadata"]["name"]),
        ("TYPE", lambda o: o.get("type", "Opaque")),
        ("DATA", lambda o: str(len(o.get("data") or {}))),
        ("AGE", age),
    ],
    "Pod": [
        ("NAME", lambda o: o["metadata"]["name"]),
        ("READY", lambda o: f"0/{len(o.get('spec', {}).get('containers') or [])}"),
        ("STATUS", lambda o: _get(o, "status", "phase", default="Pending")),
        ("RESTARTS", lambda o: "0"),
        ("AGE", age),
    ],
    "StorageClass": [
        ("NAME", _default_class),
        ("PROVISIONER", lambda o: o.get("provisioner", "")),
        ("RECLAIMPOLICY", lambda o: o.get("reclaimPolicy", "Delete")),
        ("VOLUMEBINDINGMODE", lambda o: o.get("volumeBindingMode", "Immediate")),
        ("ALLOWVOLUMEEXPANSION", lambda o: "true" if o.get("allowVolumeExpansion") else "false"),
        ("AGE", age),
    ],
    "HelmChart": [
        ("NAME", lambda o: o["metadata"]["name"]),
        ("JOB", lambda o: _get(o, "status", "jobName", default="")),
        ("CHART", lambda o: _get(o, "spec", "chart", default="")),
        ("TARGETNAMESPACE", lambda o: _get(o, "spec", "targetNamespace", default="")),
        ("VERSION", lambda o: _get(o, "spec", "version", default="")),
        ("REPO", lambda o: _get(o, "spec", "repo", default="")),
        ("HELMVERSION", lambda o: _get(o, "spec", "helmVersion", default="")),
        ("BOOTSTRAP", lambda o: _get(o, "spec", "bootstrap", default="")),
    ],
    "ETCDSnapshotFile": [
        ("NAME", lambda o: o["metadata"]["name"]),
        ("SNAPSHOTNAME", lambda o: _get(o, "spec", "snapshotName", default="")),
        ("NODE", lambda o: _get(o, "spec", "nodeName", default="")),
        ("LOCATION", lambda o: _get(o, "spec", "location", default="")),
        ("SIZE", lambda o: _get(o, "status", "size", default="")),
        ("CREATIONTIME", lambda o: _get(o, "status", "creationTime", default="")),
    ],
}

WIDE = {
    "Node": [
        ("INTERNAL-IP", lambda o: _address(o, "InternalIP")),
        ("EXTERNAL-IP", lambda o: _address(o, "ExternalIP")),
        ("OS-IMAGE", lambda o: _get(o, "status", "nodeInfo", "osImage")),
        ("KERNEL-VERSION", lambda o: _get(o, "status", "nodeInfo", "kernelVersion")),
        ("CONTAINER-RUNTIME", lambda o: _get(o, "status", "nodeInfo", "containerRuntimeVersion")),
    ],
}


def columns(kind, wide):
    base = COLUMNS.get(kind, [("NAME", lambda o: o["metadata"]["name"]), ("AGE", age)])
    return base + (WIDE.get(kind, []) if wide else [])


def wants_table(accept):
    return any("as=Table" in part and "g=meta.k8s.io" in part for part in (accept or "").split(","))


def _row_object(obj, include):
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata", {})}


def table(kind, objects, resource_version, include="Metadata"):
    base = columns(kind, False)
    wide = columns(kind, True)[len(base) :]
    definitions = [
        {"name": name, "type": "string", "format": "name" if name == "NAME" else "", "description": "", "priority": p}
        for p, group in ((0, base), (1, wide))
        for name, _cell in group
    ]
    rows = []
    for obj in objects:
        row = {"cells": [cell(obj) for _name, cell in base + wide]}
        included = _row_object(obj, include)
        if included is not None:
            row["object"] = included
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": str(resource_version)},
        "columnDefinitions": definitions,
        "rows": rows,
    }
