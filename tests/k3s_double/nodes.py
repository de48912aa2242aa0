# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Node objects as a k3s kubelet registers them, and the status the node lifecycle controller reports."""

import datetime
import hashlib
import os
import platform
import socket

from k3s_double import version

EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
CONTAINERD = "containerd://1.7.23-k3s2"
DEFAULT_GRACE_SECONDS = 40.0
UNREACHABLE = "node.kubernetes.io/unreachable"


class NodeConfigError(ValueError):
    pass


def now_iso(moment=None):
    moment = moment or datetime.datetime.now(datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def parse_labels(items):
    labels = {}
    for item in items:
        key, _sep, value = item.partition("=")
        if not key:
            raise NodeConfigError(f"invalid node label: {item!r}")
        labels[key] = value
    return labels


def parse_taint(text):
    """key=value:Effect or key:Effect, as --node-taint takes it."""
    spec, sep, effect = text.rpartition(":")
    if not sep or effect not in EFFECTS or not spec:
        raise NodeConfigError(f'invalid taint spec: {text}, unsupported taint effect "{effect}"')
    key, _sep, value = spec.partition("=")
    taint = {"key": key, "effect": effect}
    if value:
        taint["value"] = value
    return taint


def host_addresses():
    """The host's non-loopback IPv4 addresses, first the one of the default route."""
    found = []
    try:
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.connect(("192.0.2.1", 9))
            found.append(probe.getsockname()[0])
        finally:
            probe.close()
    except OSError:
        pass
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            if info[4][0] not in found:
                found.append(info[4][0])
    except OSError:
        pass
    return [address for address in found if not address.startswith("127.")]


def default_node_name():
    return socket.gethostname().split(".")[0].lower()


def _os_image():
    try:
        with open("/etc/os-release", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "Linux"


def _machine_id():
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read().strip()
        except OSError:
            continue
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:32]


def _memory_kib():
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 2 * 1024 * 1024


def _conditions(moment):
    def condition(kind, status, reason, message):
        return {
            "type": kind,
            "status": status,
            "reason": reason,
            "message": message,
            "lastHeartbeatTime": moment,
            "lastTransitionTime": moment,
        }

    return [
        condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
    ]


def build(name, internal_ip, role_labels, extra_labels, taints, external_ips=(), annotations=None):
    """A Node object with the labels, addresses, taints and node info a k3s node registers with."""
    arch = version.goarch()
    moment = now_iso()
    labels = {
        "beta.kubernetes.io/arch": arch,
        "beta.kubernetes.io/instance-type": "k3s",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": arch,
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": "k3s",
        **role_labels,
        **extra_labels,
    }
    addresses = [{"type": "InternalIP", "address": internal_ip}]
    addresses += [{"type": "ExternalIP", "address": ip} for ip in external_ips]
    addresses.append({"type": "Hostname", "address": name})
    cpus = str(os.cpu_count() or 1)
    memory = f"{_memory_kib()}Ki"
    uname = platform.uname()
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": labels,
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                "k3s.io/hostname": socket.gethostname(),
                "k3s.io/internal-ip": internal_ip,
                **(annotations or {}),
            },
        },
        "spec": {"providerID": f"k3s://{name}"},
        "status": {
            "addresses": addresses,
            "allocatable": {"cpu": cpus, "ephemeral-storage": "10Gi", "memory": memory, "pods": "110"},
            "capacity": {"cpu": cpus, "ephemeral-storage": "10Gi", "memory": memory, "pods": "110"},
            "conditions": _conditions(moment),
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": arch,
                "bootID": _machine_id(),
                "containerRuntimeVersion": CONTAINERD,
                "kernelVersion": uname.release,
                "kubeProxyVersion": version.VERSION,
                "kubeletVersion": version.VERSION,
                "machineID": _machine_id(),
                "operatingSystem": "linux",
                "osImage": _os_image(),
                "systemUUID": _machine_id(),
            },
        },
    }
    if external_ips:
        node["metadata"]["annotations"]["k3s.io/external-ip"] = ",".join(external_ips)
    if taints:
        node["spec"]["taints"] = list(taints)
    return node


def heartbeat(node, moment=None):
    """Mark the kubelet's conditions as freshly posted (back to healthy if they had gone Unknown)."""
    moment = moment or now_iso()
    fresh = {c["type"]: c for c in _conditions(moment)}
    for condition in node.setdefault("status", {}).setdefault("conditions", []):
        if condition.get("status") == "Unknown" and condition["type"] in fresh:
            condition.update(fresh[condition["type"]])
        condition["lastHeartbeatTime"] = moment
    return node


def effective(node, grace_seconds, now=None):
    """The status a reader sees: conditions go Unknown once the heartbeat is older than the grace period."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    conditions = node.get("status", {}).get("conditions", [])
    ready = next((c for c in conditions if c.get("type") == "Ready"), None)
    if not ready or not ready.get("lastHeartbeatTime"):
        return node
    if (now - parse_time(ready["lastHeartbeatTime"])).total_seconds() <= grace_seconds:
        return node
    moment = now_iso(now)
    for condition in conditions:
        if condition.get("status") != "Unknown":
            condition["lastTransitionTime"] = moment
        condition["status"] = "Unknown"
        condition["reason"] = "NodeStatusUnknown"
        condition["message"] = "Kubelet stopped posting node status."
    taints = node.setdefault("spec", {}).setdefault("taints", [])
    for effect in ("NoSchedule", "NoExecute"):
        if not any(t.get("key") == UNREACHABLE and t.get("effect") == effect for t in taints):
            taints.append({"key": UNREACHABLE, "effect": effect, "timeAdded": moment})
    return node
