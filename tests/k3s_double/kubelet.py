# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the kubelet part of a k3s node does: register the Node object and keep posting its status."""

import hashlib
import json
import os

from k3s_double import flags, nodes
from k3s_double.api import APIError

DEFAULT_STATUS_INTERVAL = 10.0
_REDACT = ("token", "secret", "access-key", "datastore-endpoint", "vpn-auth")


def component_arg(values, name, default):
    """A --<component>-arg value such as node-monitor-grace-period=40s, as seconds."""
    for value in values:
        key, _sep, text = value.lstrip("-").partition("=")
        if key == name:
            try:
                return flags.parse_duration(text)
            except ValueError:
                return default
    return default


def status_interval(options):
    return component_arg(options["kubelet-arg"], "node-status-update-frequency", DEFAULT_STATUS_INTERVAL)


def node_args(command, args):
    """The k3s.io/node-args annotation: the command's flags, secrets replaced by ********."""
    result, redact_next = [command], False
    for arg in args:
        if redact_next:
            result.append("********")
            redact_next = False
            continue
        name, sep, value = arg.partition("=")
        secret = arg.startswith("-") and any(word in name for word in _REDACT)
        if sep and arg.startswith("-"):
            result += [name, "********" if secret else value]
        else:
            result.append(arg)
            redact_next = secret and arg.startswith("-")
    return result


def node_env():
    env = {
        k: ("********" if any(w in k.lower() for w in ("token", "secret")) else v)
        for k, v in sorted(os.environ.items())
        if k.startswith("K3S_")
    }
    return json.dumps(env, separators=(",", ":"))


def internal_ip(options):
    ips = options["node-ip"] or nodes.host_addresses()[:1] or ["127.0.0.1"]
    return ips[0]


def build(options, node_name, role_labels, command, args, extra_annotations=None):
    """The Node object this node registers with, from its flags."""
    labels = nodes.parse_labels(options["node-label"])
    taints = [nodes.parse_taint(t) for t in options["node-taint"]]
    node_args_json = json.dumps(node_args(command, args), separators=(",", ":"))
    annotations = {
        "k3s.io/node-args": node_args_json,
        "k3s.io/node-config-hash": hashlib.sha256(node_args_json.encode()).hexdigest()[:52].upper(),
        "k3s.io/node-env": node_env(),
        **(extra_annotations or {}),
    }
    return nodes.build(
        node_name, internal_ip(options), role_labels, labels, taints, options["node-external-ip"], annotations
    )


def register(api, node):
    """Create the Node, or update an existing one the way a restarting kubelet does.

    Labels and taints given at registration only apply to a new Node; on an existing one the kubelet keeps
    the labels and taints set since, refreshing only its own well-known labels, annotations and status.
    """
    resource = api.resource("nodes")
    name = node["metadata"]["name"]
    for _attempt in range(5):
        try:
            existing = api.get(resource, None, name)
        except APIError as exc:
            if exc.reason != "NotFound":
                raise
            try:
                return api.create(resource, None, node)
            except APIError as create_error:
                if create_error.reason != "AlreadyExists":
                    raise
                continue
        merged = dict(existing)
        labels = dict(existing["metadata"].get("labels") or {})
        for key, value in node["metadata"]["labels"].items():
            if key.startswith(
                ("kubernetes.io/", "beta.kubernetes.io/", "node-role.kubernetes.io/", "node.kubernetes.io/")
            ):
                labels[key] = value
        merged["metadata"] = dict(existing["metadata"], labels=labels)
        merged["metadata"]["annotations"] = {
            **(existing["metadata"].get("annotations") or {}),
            **node["metadata"]["annotations"],
        }
        spec = dict(existing.get("spec") or {})
        spec["taints"] = [t for t in spec.get("taints") or [] if t.get("key") != nodes.UNREACHABLE]
        if not spec["taints"]:
            spec.pop("taints")
        merged["spec"] = spec
        merged["status"] = node["status"]
        try:
            return api.update(resource, None, name, merged)
        except APIError as exc:
            if exc.reason != "Conflict":
                raise
    raise APIError(409, "Conflict", f"could not register node {name}")


def post_status(api, name):
    """Refresh the node's heartbeat; raises APIError NotFound when the Node was deleted."""
    resource = api.resource("nodes")
    for _attempt in range(5):
        current = api.get(resource, None, name)
        nodes.heartbeat(current)
        current["spec"] = dict(current.get("spec") or {})
        taints = [t for t in current["spec"].get("taints") or [] if t.get("key") != nodes.UNREACHABLE]
        if taints:
            current["spec"]["taints"] = taints
        else:
            current["spec"].pop("taints", None)
        try:
            return api.update(resource, None, name, current)
        except APIError as exc:
            if exc.reason != "Conflict":
                raise
    return None
