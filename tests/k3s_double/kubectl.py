# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`k3s kubectl`: the subset of kubectl the collection uses, talking HTTPS to the server with the
kubeconfig's client certificate. Other commands fail with a clear message.
"""

import copy
import json
import os
import sys
import time

import yaml

from k3s_double import datadir, httpclient, jsonpath, kinds, kubeconfig, version
from k3s_double import kubectl_printers as printers
from k3s_double.flags import parse_bool, parse_duration

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
KUSTOMIZE_VERSION = "v5.4.2"
UNSUPPORTED = "is not supported by the k3s test double"


class KubectlError(Exception):
    """An error line kubectl prints before exiting 1."""


# -- flags ---------------------------------------------------------------------------------------------

GLOBAL_FLAGS = {
    "kubeconfig": True,
    "namespace": True,
    "context": True,
    "request-timeout": True,
    "server": True,
    "v": True,
    "insecure-skip-tls-verify": False,
}
SHORT = {
    "n": "namespace",
    "o": "output",
    "f": "filename",
    "l": "selector",
    "A": "all-namespaces",
    "R": "recursive",
    "v": "v",
    "w": "watch",
}
COMMAND_FLAGS = {
    "version": {"client": False, "output": True, "short": False},
    "get": {
        "output": True,
        "selector": True,
        "all-namespaces": False,
        "no-headers": False,
        "show-labels": False,
        "ignore-not-found": False,
        "raw": True,
        "field-selector": True,
        "watch": False,
        "chunk-size": True,
        "sort-by": True,
        "show-kind": False,
    },
    "apply": {
        "filename": True,
        "recursive": False,
        "dry-run": True,
        "output": True,
        "server-side": False,
        "force-conflicts": False,
        "field-manager": True,
        "validate": True,
        "wait": False,
        "prune": False,
    },
    "delete": {
        "filename": True,
        "recursive": False,
        "ignore-not-found": False,
        "wait": False,
        "timeout": True,
        "force": False,
        "grace-period": True,
        "selector": True,
        "all": False,
        "now": False,
        "dry-run": True,
        "cascade": True,
        "all-namespaces": False,
    },
    "label": {"overwrite": False, "selector": True, "all": False, "dry-run": True, "output": True, "list": False},
    "annotate": {"overwrite": False, "selector": True, "all": False, "dry-run": True, "output": True, "list": False},
    "taint": {"overwrite": False, "selector": True, "all": False, "dry-run": True, "output": True},
    "cordon": {"selector": True, "dry-run": True},
    "uncordon": {"selector": True, "dry-run": True},
    "drain": {
        "ignore-daemonsets": False,
        "delete-emptydir-data": False,
        "delete-local-data": False,
        "force": False,
        "timeout": True,
        "grace-period": True,
        "disable-eviction": False,
        "pod-selector": True,
        "selector": True,
        "skip-wait-for-delete-timeout": True,
        "dry-run": True,
        "chunk-size": True,
    },
    "wait": {
        "for": True,
        "timeout": True,
        "all": False,
        "selector": True,
        "all-namespaces": False,
        "field-selector": True,
        "filename": True,
        "output": True,
    },
    "cluster-info": {},
    "create": {"dry-run": True, "output": True, "filename": True, "save-config": False},
}


def parse_args(command, args):
    spec = {**GLOBAL_FLAGS, **COMMAND_FLAGS[command]}
    values, positional, index = {}, [], 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            positional.extend(args[index:])
            break
        if arg.startswith("--"):
            name, sep, value = arg[2:].partition("=")
            if name not in spec:
                raise KubectlError(f"unknown flag: --{name}")
        elif arg.startswith("-") and len(arg) > 1:
            letter = arg[1]
            name = SHORT.get(letter)
            if name is None or name not in spec:
                raise KubectlError(f"unknown shorthand flag: '{letter}' in {arg}")
            rest = arg[2:]
            sep, value = ("=", rest[1:]) if rest.startswith("=") else (("=", rest) if rest else ("", ""))
        else:
            positional.append(arg)
            continue
        if spec[name]:
            if not sep:
                if index >= len(args):
                    raise KubectlError(f"flag needs an argument: --{name}")
                value = args[index]
                index += 1
            values.setdefault(name, []).append(value)
        else:
            values[name] = [parse_bool(value, name) if sep else True]
    return values, positional


def _one(values, name, default=None):
    return values.get(name, [default])[-1]


# -- connection ----------------------------------------------------------------------------------------


class Client:
    def __init__(self, values):
        path = _one(values, "kubeconfig") or (os.environ.get("KUBECONFIG") or "").split(":")[0]
        if not path:
            path = datadir.GLOBAL_KUBECONFIG
            if not os.path.exists(path):
                path = datadir.kubeconfig_output(None)
        try:
            server, ca, cert, key, namespace = kubeconfig.load(path, _one(values, "context"))
        except kubeconfig.KubeconfigError as exc:
            raise KubectlError(f'error loading config file "{path}": {exc}') from exc
        self.server = _one(values, "server") or server
        self.namespace = _one(values, "namespace") or namespace
        self.context = httpclient.ca_context(ca, cert, key) if ca else httpclient.ca_context(b"", cert, key)
        self.timeout = 30
        self._registry = None

    def request(self, method, path, body=None, content_type="application/json"):
        url = self.server.rstrip("/") + path
        headers = {"Content-Type": content_type} if body is not None else {}
        payload = None if body is None else json.dumps(body).encode()
        try:
            status, data = httpclient.request(url, method, payload, self.context, None, self.timeout, headers)
        except httpclient.RequestError as exc:
            host = self.server.split("://", 1)[-1]
            if "connection refused" in str(exc):
                raise KubectlError(
                    f"The connection to the server {host} was refused - did you specify the right host or port?"
                ) from exc
            raise KubectlError(f"Unable to connect to the server: {exc}") from exc
        if status == 401:
            raise KubectlError("error: You must be logged in to the server (Unauthorized)")
        if status >= 400:
            raise ServerError(status, data)
        return json.loads(data) if data and data[:1] in b"{[" else data

    def registry(self):
        if self._registry is None:
            crds = self.request("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions")["items"]
            self._registry = kinds.Registry(crds)
        return self._registry

    def resource(self, name):
        resource = kinds.Registry().by_name(name) or self.registry().by_name(name)
        if resource is None:
            raise KubectlError(f'error: the server doesn\'t have a resource type "{name}"')
        return resource

    def resource_for(self, obj):
        resource = kinds.Registry().by_kind(obj.get("apiVersion"), obj.get("kind"))
        return resource or self.registry().by_kind(obj.get("apiVersion"), obj.get("kind"))


class ServerError(Exception):
    def __init__(self, status, data):
        self.status = status
        try:
            body = json.loads(data)
        except ValueError:
            body = {"message": data.decode(errors="replace"), "reason": ""}
        self.reason = body.get("reason") or ""
        self.message = body.get("message") or ""
        super().__init__(self.message)

    def line(self, context=""):
        reason = f" ({self.reason})" if self.reason else ""
        return f"Error from server{reason}: {context}{self.message}"


def _namespace(client, resource, values):
    if not resource.namespaced:
        return None
    return client.namespace


# -- helpers -------------------------------------------------------------------------------------------


def _targets(client, positional, allow_all=False):
    """(resource, name) pairs from `type name...`, `type/name...` or a bare `type`."""
    if not positional:
        raise KubectlError("error: you must specify the type of resource to get")
    if "/" in positional[0]:
        pairs = []
        for item in positional:
            if "/" not in item:
                raise KubectlError(
                    "error: there is no need to specify a resource type as a separate argument "
                    "when passing arguments in resource/name form"
                )
            kind, name = item.split("/", 1)
            pairs.append((client.resource(kind), name))
        return pairs
    types = positional[0].split(",")
    if len(types) > 1 and len(positional) > 1:
        raise KubectlError("error: arguments in resource/name form must have a single resource and name")
    resources = [client.resource(t) for t in types]
    if len(positional) == 1:
        return [(r, None) for r in resources] if allow_all else [(resources[0], None)]
    return [(resources[0], name) for name in positional[1:]]


def _load_files(values, stdin=None):
    documents = []
    recursive = _one(values, "recursive", False)
    for name in values.get("filename", []):
        if name == "-":
            sources = [("-", (stdin or sys.stdin).read())]
        elif os.path.isdir(name):
            sources = []
            for root, dirs, files in os.walk(name):
                dirs[:] = sorted(dirs) if recursive else []
                for file in sorted(files):
                    if file.endswith((".yaml", ".yml", ".json")):
                        with open(os.path.join(root, file), encoding="utf-8") as handle:
                            sources.append((os.path.join(root, file), handle.read()))
        else:
            try:
                with open(name, encoding="utf-8") as handle:
                    sources = [(name, handle.read())]
            except OSError as exc:
                raise KubectlError(f'error: the path "{name}" does not exist') from exc
        for source, text in sources:
            try:
                loaded = [json.loads(text)] if source.endswith(".json") else list(yaml.safe_load_all(text))
            except (ValueError, yaml.YAMLError) as exc:
                raise KubectlError(f"error: error parsing {source}: {exc}") from exc
            for doc in loaded:
                if not doc:
                    continue
                if doc.get("kind", "").endswith("List") and isinstance(doc.get("items"), list):
                    documents.extend((source, item) for item in doc["items"])
                else:
                    documents.append((source, doc))
    if not documents:
        raise KubectlError(
            "error: no objects passed to apply" if values.get("filename") else "error: must specify one of -f and -k"
        )
    return documents


def _dry_run(values):
    mode = _one(values, "dry-run", "none")
    if mode in ("none", "false"):
        return None
    if mode in ("client", "server", "true"):
        return "server" if mode == "server" else "client"
    raise KubectlError(f'error: Invalid dry-run value ({mode}). Must be "none", "server", or "client".')


def _suffix(dry_run):
    return {"client": " (dry run)", "server": " (server dry run)"}.get(dry_run, "")


def _list(client, resource, namespace, selector=None, all_namespaces=False):
    path = resource.path(None if all_namespaces else namespace)
    if selector:
        path += "?labelSelector=" + httpclient.urllib.parse.quote(selector)
    return client.request("GET", path)["items"]


def _write(text):
    sys.stdout.write(text)


# -- commands ------------------------------------------------------------------------------------------


def cmd_version(client_factory, values, positional):
    output = _one(values, "output")
    info = version.kube_version_info()
    result = {"clientVersion": info, "kustomizeVersion": KUSTOMIZE_VERSION}
    if not _one(values, "client", False):
        result["serverVersion"] = client_factory().request("GET", "/version")
    if output == "json":
        _write(json.dumps(result, indent=2) + "\n")
    elif output == "yaml":
        _write(printers.to_yaml(result))
    elif output:
        raise KubectlError("error: --output must be 'yaml' or 'json'")
    else:
        lines = [f"Client Version: {info['gitVersion']}", f"Kustomize Version: {KUSTOMIZE_VERSION}"]
        if "serverVersion" in result:
            lines.append(f"Server Version: {result['serverVersion']['gitVersion']}")
        _write("\n".join(lines) + "\n")
    return 0


def _print_objects(objects, values, single, kind, all_namespaces):
    output = _one(values, "output", "") or ""
    no_headers = _one(values, "no-headers", False)
    if output in ("json", "yaml"):
        value = (
            objects[0]
            if single
            else {"apiVersion": "v1", "items": objects, "kind": "List", "metadata": {"resourceVersion": ""}}
        )
        _write(printers.to_json(value) if output == "json" else printers.to_yaml(value))
    elif output == "name":
        for obj in objects:
            resource = kinds.Registry().by_kind(obj["apiVersion"], obj["kind"])
            type_name = resource.type_name if resource else obj["kind"].lower()
            _write(f"{type_name}/{obj['metadata']['name']}\n")
    elif output.startswith("jsonpath"):
        template = output.partition("=")[2]
        if not template:
            raise KubectlError("error: template format specified but no template given")
        value = (
            objects[0]
            if single
            else {"apiVersion": "v1", "items": objects, "kind": "List", "metadata": {"resourceVersion": ""}}
        )
        try:
            _write(jsonpath.render(template, value))
        except jsonpath.JSONPathError as exc:
            raise KubectlError(f"error: error parsing jsonpath {template}, {exc}") from exc
    elif output.startswith("custom-columns="):
        _write(printers.custom_columns(objects, output.partition("=")[2], no_headers))
    elif output in ("", "wide"):
        if objects:
            _write(
                printers.print_table(
                    objects, kind, output == "wide", all_namespaces, no_headers, _one(values, "show-labels", False)
                )
            )
    else:
        raise KubectlError(
            f'error: unable to match a printer suitable for the output format "{output}", '
            "allowed formats are: custom-columns,go-template,go-template-file,json,jsonpath,"
            "jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml"
        )


def cmd_get(client_factory, values, positional):
    client = client_factory()
    if _one(values, "raw"):
        data = client.request("GET", _one(values, "raw"))
        _write(data.decode() if isinstance(data, bytes) else json.dumps(data, separators=(",", ":")))
        return 0
    if _one(values, "watch", False):
        raise KubectlError(f"error: kubectl get --watch {UNSUPPORTED}")
    all_namespaces = _one(values, "all-namespaces", False)
    selector = _one(values, "selector")
    pairs = _targets(client, positional, allow_all=True)
    failed, objects, kind = False, [], pairs[0][0].kind
    single = len(pairs) == 1 and pairs[0][1] is not None
    for resource, name in pairs:
        namespace = _namespace(client, resource, values)
        if name is None:
            found = _list(client, resource, namespace, selector, all_namespaces)
            for obj in found:
                obj.setdefault("apiVersion", resource.api_version)
                obj.setdefault("kind", resource.kind)
            objects.extend(found)
            continue
        try:
            objects.append(client.request("GET", resource.path(namespace, name)))
        except ServerError as exc:
            if exc.status == 404 and _one(values, "ignore-not-found", False):
                continue
            sys.stderr.write(exc.line() + "\n")
            failed = True
    if not objects and not failed and all(pair[1] is None for pair in pairs):
        output = _one(values, "output", "") or ""
        if output in ("", "wide"):
            where = "" if all_namespaces or not pairs[0][0].namespaced else f" in {client.namespace} namespace"
            sys.stderr.write(f"No resources found{where}.\n")
            return 0
        single = False
    output = _one(values, "output", "") or ""
    kinds_seen = list(dict.fromkeys(o["kind"] for o in objects))
    if output in ("", "wide") and len(kinds_seen) > 1:
        tables = []
        for kind_name in kinds_seen:
            group = [copy.deepcopy(o) for o in objects if o["kind"] == kind_name]
            resource = client.resource_for(group[0])
            for obj in group:
                obj["metadata"]["name"] = f"{resource.type_name}/{obj['metadata']['name']}"
            tables.append(
                printers.print_table(
                    group,
                    kind_name,
                    output == "wide",
                    all_namespaces,
                    _one(values, "no-headers", False),
                    _one(values, "show-labels", False),
                )
            )
        _write("\n".join(tables))
    elif objects or not single:
        _print_objects(objects, values, single and len(objects) == 1, kind, all_namespaces)
    return 1 if failed else 0


def _three_way(current, desired, previous):
    """kubectl's client-side apply, simplified: fields dropped since the last apply are removed, the
    manifest's fields are set; fields set by others are kept."""
    result = copy.deepcopy(current)

    def merge(target, want, before):
        for key in list(before or {}):
            if key not in want and key in target and key not in ("status",):
                del target[key]
        for key, value in want.items():
            if isinstance(value, dict) and isinstance(target.get(key), dict):
                merge(target[key], value, (before or {}).get(key) if isinstance(before, dict) else None)
            else:
                target[key] = copy.deepcopy(value)

    merge(result, desired, previous)
    return result


def _apply_one(client, obj, dry_run, default_namespace):
    resource = client.resource_for(obj)
    if resource is None:
        raise KubectlError(
            f'resource mapping not found for name: "{obj.get("metadata", {}).get("name", "")}" namespace: '
            f'"{obj.get("metadata", {}).get("namespace", "")}" from "": no matches for kind "{obj.get("kind")}" '
            f'in version "{obj.get("apiVersion")}"\nensure CRDs are installed first'
        )
    obj = copy.deepcopy(obj)
    meta = obj.setdefault("metadata", {})
    namespace = None
    if resource.namespaced:
        namespace = meta.get("namespace") or default_namespace
        meta["namespace"] = namespace
    previous_text = None
    annotations = meta.setdefault("annotations", {})
    annotations.pop(LAST_APPLIED, None)
    if not annotations:
        meta.pop("annotations")
    applied = json.dumps(obj, sort_keys=True, separators=(",", ":")) + "\n"
    meta.setdefault("annotations", {})[LAST_APPLIED] = applied
    name = meta.get("name", "")
    label = f"{resource.type_name}/{name}"
    query = "?dryRun=All" if dry_run == "server" else ""
    try:
        current = client.request("GET", resource.path(namespace, name))
    except ServerError as exc:
        if exc.status != 404:
            raise
        if dry_run != "client":
            client.request("POST", resource.path(namespace) + query, obj)
        return f"{label} created{_suffix(dry_run)}"
    previous_text = (current.get("metadata", {}).get("annotations") or {}).get(LAST_APPLIED)
    previous = json.loads(previous_text) if previous_text else {}
    merged = _three_way(current, obj, previous)
    if merged == current:
        return f"{label} unchanged{_suffix(dry_run)}"
    if dry_run != "client":
        client.request("PUT", resource.path(namespace, name) + query, merged)
    return f"{label} configured{_suffix(dry_run)}"


def cmd_apply(client_factory, values, positional, stdin=None):
    if _one(values, "server-side", False):
        raise KubectlError(f"error: kubectl apply --server-side {UNSUPPORTED}")
    documents = _load_files(values, stdin)
    dry_run = _dry_run(values)
    client = client_factory()
    failed = False
    for source, obj in documents:
        try:
            _write(_apply_one(client, obj, dry_run, client.namespace) + "\n")
        except ServerError as exc:
            action = "creating" if exc.reason in ("NotFound", "AlreadyExists") else "applying"
            sys.stderr.write(exc.line(f'error when {action} "{source}": ') + "\n")
            failed = True
        except KubectlError as exc:
            sys.stderr.write(f"error: {exc}\n" if not str(exc).startswith("error") else f"{exc}\n")
            failed = True
    return 1 if failed else 0


def cmd_create(client_factory, values, positional):
    if len(positional) >= 2 and positional[0] in ("namespace", "ns"):
        obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": positional[1]}}
        dry_run = _dry_run(values)
        output = _one(values, "output")
        if dry_run == "client" and output:
            obj["metadata"]["creationTimestamp"] = None
            obj.update(spec={}, status={})
            _write(printers.to_yaml(obj) if output == "yaml" else printers.to_json(obj))
            return 0
        client = client_factory()
        if dry_run != "client":
            query = "?dryRun=All" if dry_run == "server" else ""
            client.request("POST", "/api/v1/namespaces" + query, obj)
        _write(f"namespace/{positional[1]} created{_suffix(dry_run)}\n")
        return 0
    if values.get("filename"):
        client = client_factory()
        for _source, obj in _load_files(values):
            resource = client.resource_for(obj)
            if resource is None:
                raise KubectlError(f'error: no matches for kind "{obj.get("kind")}"')
            namespace = (obj.get("metadata", {}).get("namespace") or client.namespace) if resource.namespaced else None
            client.request("POST", resource.path(namespace), obj)
            _write(f"{resource.type_name}/{obj['metadata']['name']} created\n")
        return 0
    raise KubectlError(f"error: kubectl create {' '.join(positional[:1])} {UNSUPPORTED}")


def cmd_delete(client_factory, values, positional):
    client = client_factory()
    ignore = _one(values, "ignore-not-found", False)
    pairs = []
    if values.get("filename"):
        for _source, obj in _load_files(values):
            resource = client.resource_for(obj)
            if resource is None:
                raise KubectlError(f'error: no matches for kind "{obj.get("kind")}"')
            namespace = (obj.get("metadata", {}).get("namespace") or client.namespace) if resource.namespaced else None
            pairs.append((resource, namespace, obj["metadata"]["name"]))
        ignore = ignore or False
    else:
        targets = _targets(client, positional)
        for resource, name in targets:
            namespace = _namespace(client, resource, values)
            if name is None:
                selector = _one(values, "selector")
                if not selector and not _one(values, "all", False):
                    raise KubectlError("error: resource(s) were provided, but no name was specified")
                for obj in _list(client, resource, namespace, selector):
                    pairs.append((resource, namespace, obj["metadata"]["name"]))
                if not pairs:
                    sys.stderr.write("No resources found\n")
            else:
                pairs.append((resource, namespace, name))
    dry_run = _dry_run(values)
    failed = False
    for resource, namespace, name in pairs:
        try:
            if dry_run != "client":
                query = "?dryRun=All" if dry_run == "server" else ""
                client.request("DELETE", resource.path(namespace, name) + query)
            _write(f'{resource.type_name} "{name}" deleted{_suffix(dry_run)}\n')
        except ServerError as exc:
            if exc.status == 404 and ignore:
                continue
            sys.stderr.write(exc.line() + "\n")
            failed = True
    return 1 if failed else 0


def _named_targets(client, positional, values, command):
    if not positional:
        raise KubectlError("error: one or more resources must be specified as <resource> <name> or <resource>/<name>")
    if "/" in positional[0]:
        kind, name = positional[0].split("/", 1)
        return client.resource(kind), [name], positional[1:]
    resource = client.resource(positional[0])
    if _one(values, "all", False) or _one(values, "selector"):
        namespace = _namespace(client, resource, values)
        names = [o["metadata"]["name"] for o in _list(client, resource, namespace, _one(values, "selector"))]
        return resource, names, positional[1:]
    names = [p for p in positional[1:] if "=" not in p and not p.endswith("-") and ":" not in p]
    rest = [p for p in positional[1:] if p not in names]
    if not names:
        raise KubectlError("error: resource(s) were provided, but no name was specified")
    return resource, names, rest


def _update(client, resource, namespace, name, mutate):
    """GET, mutate, PUT (retrying conflicts); mutate returns (result, changed) and nothing is sent unchanged."""
    for _attempt in range(5):
        obj = client.request("GET", resource.path(namespace, name))
        result, changed = mutate(obj)
        if not changed:
            return result
        try:
            client.request("PUT", resource.path(namespace, name), obj)
            return result
        except ServerError as exc:
            if exc.reason != "Conflict":
                raise
    raise KubectlError(f"error: could not update {resource.type_name}/{name}: conflicts")


def _label_like(client_factory, values, positional, field, verb):
    client = client_factory()
    resource, names, changes = _named_targets(client, positional, values, verb)
    if not changes:
        raise KubectlError(f"error: at least one {field[:-1]} update is required")
    overwrite = _one(values, "overwrite", False)
    for name in names:
        namespace = _namespace(client, resource, values)

        def mutate(obj):
            meta = obj.setdefault("metadata", {})
            current = meta.setdefault(field, {}) or {}
            meta[field] = current
            changed, removed_only = False, True
            for change in changes:
                if change.endswith("-") and "=" not in change:
                    if change[:-1] in current:
                        del current[change[:-1]]
                        changed = True
                    continue
                key, _sep, value = change.partition("=")
                removed_only = False
                if key in current and current[key] != value and not overwrite:
                    raise KubectlError(f"error: '{key}' already has a value ({current[key]}), and --overwrite is false")
                if current.get(key) != value:
                    current[key] = value
                    changed = True
            word = verb if not removed_only else "un" + verb
            return (word if changed else "not " + verb), changed

        try:
            word = _update(client, resource, namespace, name, mutate)
        except ServerError as exc:
            sys.stderr.write(exc.line() + "\n")
            return 1
        _write(f"{resource.type_name}/{name} {word}\n")
    return 0


def cmd_label(client_factory, values, positional):
    return _label_like(client_factory, values, positional, "labels", "labeled")


def cmd_annotate(client_factory, values, positional):
    return _label_like(client_factory, values, positional, "annotations", "annotated")


def _parse_taint_change(text):
    remove = text.endswith("-")
    text = text[:-1] if remove else text
    spec, sep, effect = text.rpartition(":") if ":" in text else (text, "", "")
    key, _sep, value = spec.partition("=") if sep else (text, "", "")
    if not remove and effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
        raise KubectlError(
            f'error: invalid taint spec: {text}, unsupported taint effect "{effect}"'
            if effect
            else f"error: invalid taint spec: {text}"
        )
    return remove, key, value, effect


def cmd_taint(client_factory, values, positional):
    client = client_factory()
    resource, names, changes = _named_targets(client, positional, values, "taint")
    if resource.kind != "Node":
        raise KubectlError(f"error: invalid resource type {resource.plural}, only nodes is supported")
    parsed = [_parse_taint_change(c) for c in changes]
    if not parsed:
        raise KubectlError("error: at least one taint update is required")
    overwrite = _one(values, "overwrite", False)
    for name in names:

        def mutate(obj, name=name):
            taints = obj.setdefault("spec", {}).setdefault("taints", [])
            removed_only = all(p[0] for p in parsed)
            for remove, key, value, effect in parsed:
                if remove:
                    kept = [t for t in taints if not (t["key"] == key and (not effect or t["effect"] == effect))]
                    if len(kept) == len(taints):
                        raise KubectlError(f'error: taint "{key}{":" + effect if effect else ""}" not found')
                    taints[:] = kept
                    continue
                same = [t for t in taints if t["key"] == key and t["effect"] == effect]
                if same and not overwrite:
                    raise KubectlError(
                        f"error: node {name} already has {key} taint(s) with same effect(s) and --overwrite is false"
                    )
                taints[:] = [t for t in taints if not (t["key"] == key and t["effect"] == effect)]
                taint = {"key": key, "effect": effect}
                if value:
                    taint["value"] = value
                taints.append(taint)
            if not taints:
                obj["spec"].pop("taints")
            return ("untainted" if removed_only else "tainted"), True

        try:
            word = _update(client, resource, None, name, mutate)
        except ServerError as exc:
            sys.stderr.write(exc.line() + "\n")
            return 1
        _write(f"node/{name} {word}\n")
    return 0


def _cordon(client, name, unschedulable):
    resource = client.resource("nodes")

    word = "cordoned" if unschedulable else "uncordoned"

    def mutate(obj):
        if bool(obj.get("spec", {}).get("unschedulable")) == unschedulable:
            return f"already {word}", False
        if unschedulable:
            obj.setdefault("spec", {})["unschedulable"] = True
        else:
            obj.setdefault("spec", {}).pop("unschedulable", None)
        return word, True

    return f"node/{name} {_update(client, resource, None, name, mutate)}"


def _node_names(client, values, positional, command):
    if _one(values, "selector"):
        return [o["metadata"]["name"] for o in _list(client, client.resource("nodes"), None, _one(values, "selector"))]
    names = [p.split("/", 1)[1] if p.startswith(("node/", "nodes/")) else p for p in positional]
    if not names:
        raise KubectlError(f"error: USAGE: {command} NODE [flags]\nSee 'kubectl {command} -h' for help and examples")
    return names


def cmd_cordon(client_factory, values, positional, unschedulable=True):
    client = client_factory()
    for name in _node_names(client, values, positional, "cordon" if unschedulable else "uncordon"):
        try:
            _write(_cordon(client, name, unschedulable) + "\n")
        except ServerError as exc:
            sys.stderr.write(exc.line() + "\n")
            return 1
    return 0


def cmd_uncordon(client_factory, values, positional):
    return cmd_cordon(client_factory, values, positional, unschedulable=False)


def cmd_drain(client_factory, values, positional):
    client = client_factory()
    for name in _node_names(client, values, positional, "drain"):
        try:
            _write(_cordon(client, name, True) + "\n")
        except ServerError as exc:
            sys.stderr.write(exc.line() + "\n")
            return 1
        _write(f"node/{name} drained\n")
    return 0


def _parse_condition(text):
    if text == "delete":
        return ("delete", None, None)
    if text == "create":
        return ("create", None, None)
    if text.startswith("condition="):
        condition, _sep, value = text[len("condition=") :].partition("=")
        return ("condition", condition.lower(), value or "True")
    if text.startswith("jsonpath="):
        expression = text[len("jsonpath=") :]
        if expression.startswith("'") and expression.endswith("'"):
            expression = expression[1:-1]
        path, _sep, value = (
            expression.rpartition("=") if "}=" in expression or "=" in expression.lstrip("{") else (expression, "", "")
        )
        path = path if path.startswith("{") else "{" + path + "}"
        return ("jsonpath", path, value)
    raise KubectlError(f'error: unrecognized condition: "{text}"')


def _met(obj, kind, key, value):
    if kind == "condition":
        for condition in obj.get("status", {}).get("conditions") or []:
            if condition.get("type", "").lower() == key and condition.get("status", "").lower() == value.lower():
                return True
        return False
    if kind == "jsonpath":
        return jsonpath.render(key, obj) == value
    return True


def cmd_wait(client_factory, values, positional):
    client = client_factory()
    conditions = [_parse_condition(c) for c in values.get("for", [])]
    if not conditions:
        raise KubectlError("error: --for must be specified")
    kind, key, value = conditions[-1]
    try:
        timeout = parse_duration(_one(values, "timeout", "30s"))
    except ValueError as exc:
        raise KubectlError(f"error: {exc}") from exc
    resource, names = _wait_targets(client, positional, values)[:2]
    namespace = _namespace(client, resource, values)
    if names == [] and kind != "delete":
        raise KubectlError("error: no matching resources found")
    deadline = time.monotonic() + timeout
    pending = list(names)
    while True:
        still = []
        for name in pending:
            try:
                obj = client.request("GET", resource.path(namespace, name))
            except ServerError as exc:
                if exc.status != 404:
                    raise
                if kind == "delete":
                    _write(f"{resource.type_name}/{name} condition met\n")
                    continue
                if kind == "create":
                    still.append(name)
                    continue
                sys.stderr.write(exc.line() + "\n")
                return 1
            if kind == "delete" or not _met(obj, kind, key, value):
                still.append(name)
            else:
                _write(f"{resource.type_name}/{name} condition met\n")
        pending = still
        if not pending:
            return 0
        if time.monotonic() >= deadline:
            for name in pending:
                sys.stderr.write(f"error: timed out waiting for the condition on {resource.group_resource}/{name}\n")
            return 1
        time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))


def _wait_targets(client, positional, values):
    if positional and "/" in positional[0]:
        kind, name = positional[0].split("/", 1)
        return client.resource(kind), [name] + [p.split("/", 1)[1] for p in positional[1:]], []
    if not positional:
        raise KubectlError("error: you must specify resources by --filename when no resource type is given")
    resource = client.resource(positional[0])
    if len(positional) > 1:
        return resource, positional[1:], []
    if _one(values, "all", False) or _one(values, "selector"):
        namespace = _namespace(client, resource, values)
        return (
            resource,
            [o["metadata"]["name"] for o in _list(client, resource, namespace, _one(values, "selector"))],
            [],
        )
    raise KubectlError("error: resource(s) were provided, but no name was specified")


def cmd_cluster_info(client_factory, values, positional):
    client = client_factory()
    client.request("GET", "/version")
    _write(
        f"\x1b[0;32mKubernetes control plane\x1b[0m is running at \x1b[0;33m{client.server}\x1b[0m\n\n"
        "To further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n"
    )
    return 0


COMMANDS = {
    "version": cmd_version,
    "get": cmd_get,
    "apply": cmd_apply,
    "create": cmd_create,
    "delete": cmd_delete,
    "label": cmd_label,
    "annotate": cmd_annotate,
    "taint": cmd_taint,
    "cordon": cmd_cordon,
    "uncordon": cmd_uncordon,
    "drain": cmd_drain,
    "wait": cmd_wait,
    "cluster-info": cmd_cluster_info,
}


def _command_index(args):
    """Index of the first word that is neither a flag nor a global flag's value (`--kubeconfig FILE get ...`)."""
    index = 0
    while index < len(args):
        arg = args[index]
        if not arg.startswith("-"):
            return index
        name = arg.lstrip("-")
        name = SHORT.get(name, name) if len(name) == 1 else name
        if "=" not in name and GLOBAL_FLAGS.get(name):
            index += 1  # the flag's value
        index += 1
    return None


def main(args):
    """Run one kubectl command; returns the exit code."""
    position = _command_index(args)
    command = None if position is None else args[position]
    if command is None or command in ("help", "-h", "--help"):
        _write(
            "kubectl controls the Kubernetes cluster manager (homelab.k3s test double).\n\n"
            f"Supported commands: {', '.join(sorted(COMMANDS))}\n"
        )
        return 0
    if command not in COMMANDS:
        sys.stderr.write(f"error: kubectl {command} {UNSUPPORTED}\n")
        return 1
    rest = list(args)
    del rest[position]
    try:
        values, positional = parse_args(command, rest)
        return COMMANDS[command](lambda: Client(values), values, positional)
    except KubectlError as exc:
        message = str(exc)
        sys.stderr.write(
            (message if message.startswith(("error", "Error", "The connection", "Unable")) else f"error: {message}")
            + "\n"
        )
        return 1
    except ServerError as exc:
        sys.stderr.write(exc.line() + "\n")
        return 1
