# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTPS listener of a server: health and version endpoints, /cacerts, a Kubernetes-shaped REST API
for clients with an admin certificate, and token-authenticated supervisor endpoints for nodes and peers.
"""

import base64
import binascii
import hmac
import http.server
import json
import select
import socket
import socketserver
import ssl
import threading
import urllib.parse

import yaml

from k3s_double import logs, openapi, protobuf, tables, version, watch
from k3s_double.api import APIError, bad_request

PUBLIC_TEXT = ("/ping", "/readyz", "/livez", "/healthz")
MAX_BODY = 64 * 1024 * 1024
# Request bodies the double decodes; protobuf only for the kinds of protobuf.DECODERS, CBOR not at all.
PROTOBUF = "application/vnd.kubernetes.protobuf"
BODY_TYPES = (
    "application/json",
    "application/yaml",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/json-patch+json",
    "application/apply-patch+yaml",
)


def _unsupported_media():
    return APIError(
        415,
        "UnsupportedMediaType",
        f"the body of the request was in an unknown format - accepted media types include: {', '.join(BODY_TYPES)}",
    )


def unauthorized():
    return APIError(401, "Unauthorized", "Unauthorized")


class Route:
    """A supervisor endpoint: `users` may call it with their token; `handler(body, user)` -> (status, body)."""

    def __init__(self, handler, users=("server",), methods=("POST",)):
        self.handler = handler
        self.users = users
        self.methods = methods


class Listener(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address, context, app):
        self.context = context
        self.app = app
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, Handler)

    def finish_request(self, request, client_address):
        request.settimeout(30)
        try:
            request = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            logs.debug(f"http: TLS handshake error from {client_address[0]}:{client_address[1]}: {exc}")
            return
        super().finish_request(request, client_address)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "k3s-test-double"

    def log_message(self, format, *args):
        logs.debug("http: " + format % args)

    # -- responses ---------------------------------------------------------------------------------

    def _send(self, status, body, content_type="application/json"):
        if not isinstance(body, bytes):
            body = (
                json.dumps(body, separators=(",", ":")).encode()
                if content_type == "application/json"
                else body.encode()
            )
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, error):
        self._send(error.code, error.status())

    # -- request parts -----------------------------------------------------------------------------

    def _read_body(self):
        """Read the whole request body first, whatever the answer, so the next request on a kept-alive
        connection starts where it should."""
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            raise bad_request("request body too large")
        self._raw = self.rfile.read(length) if length else b""

    def _body(self):
        raw = self._raw
        if not raw:
            return None
        kind = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if kind == PROTOBUF:
            try:
                return protobuf.decode(raw)
            except protobuf.Unsupported as exc:
                raise _unsupported_media() from exc
        if kind and kind not in BODY_TYPES:
            raise _unsupported_media()
        try:
            if "yaml" in kind:
                return yaml.safe_load(raw)
            return json.loads(raw)
        except (ValueError, yaml.YAMLError) as exc:
            raise bad_request(f"the body of the request could not be decoded: {exc}") from exc

    def _basic_user(self):
        header = self.headers.get("Authorization") or ""
        if not header.startswith("Basic "):
            return None
        try:
            user, _sep, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        for expected in self.server.app.passwords().get(user, ()):
            if expected and hmac.compare_digest(expected.encode(), password.encode()):
                return user
        return None

    def _has_client_cert(self):
        try:
            return bool(self.connection.getpeercert())
        except (AttributeError, ValueError):
            return False

    # -- dispatch ----------------------------------------------------------------------------------

    def do_GET(self):
        self._dispatch()

    def do_HEAD(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_PATCH(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def _dispatch(self):
        url = urllib.parse.urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        query = dict(urllib.parse.parse_qsl(url.query))
        app = self.server.app
        self._raw = b""
        try:
            self._read_body()
            if path == "/cacerts" and self.command in ("GET", "HEAD"):
                return self._send(200, app.cacerts(), "text/plain")
            if path.split("/")[1:2] and "/" + path.split("/")[1] in PUBLIC_TEXT and self.command in ("GET", "HEAD"):
                return self._send(200, "pong" if path == "/ping" else "ok", "text/plain; charset=utf-8")
            if path == "/version" and self.command in ("GET", "HEAD"):
                return self._send(200, version.kube_version_info())
            route = app.routes.get(path)
            if route:
                return self._supervisor(route)
            if path == "/api" or path == "/apis" or path.startswith(("/api/", "/apis/", "/openapi/")):
                if not self._has_client_cert():
                    raise unauthorized()
                if path.startswith("/openapi/"):
                    return self._openapi(path)
                return self._rest(path, query)
            raise APIError(404, "NotFound", "the server could not find the requested resource")
        except APIError as exc:
            self._error(exc)
        except (BrokenPipeError, ConnectionResetError):
            return None
        except Exception as exc:
            logs.error(f"http: {self.command} {path}: {exc!r}")
            self._error(APIError(500, "InternalError", f"Internal error occurred: {exc}"))
        return None

    def _supervisor(self, route):
        user = self._basic_user()
        if user is None or user not in route.users:
            raise unauthorized()
        if self.command not in route.methods:
            raise APIError(405, "MethodNotAllowed", f"{self.command} is not supported")
        status, body = route.handler(self._body(), user)
        self._send(status, body)

    # -- OpenAPI -----------------------------------------------------------------------------------

    def _openapi(self, path):
        registry = self.server.app.api.registry()
        if self.command not in ("GET", "HEAD"):
            raise APIError(405, "MethodNotAllowed", f"{self.command} is not supported on this path")
        if path == "/openapi/v2":
            return self._send(200, openapi.v2_protobuf(), "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
        if path == "/openapi/v3":
            return self._send(200, openapi.root(registry))
        gv_path = path[len("/openapi/v3/") :] if path.startswith("/openapi/v3/") else ""
        resources = openapi.group_versions(registry).get(gv_path)
        if not resources:
            raise APIError(404, "NotFound", "the server could not find the requested resource")
        return self._send(200, openapi.document(gv_path, resources))

    # -- watch -------------------------------------------------------------------------------------

    def _client_gone(self):
        """During a watch the client sends nothing: a readable socket means it closed the connection."""
        try:
            return bool(select.select([self.connection], [], [], 0)[0])
        except (OSError, ValueError):
            return True

    def _watch(self, api, resource, namespace, query):
        def list_items():
            items, revision = api.list(resource, namespace, query.get("labelSelector"))
            return _field_filter(items, query.get("fieldSelector")), revision

        def created(obj):
            found = api.ds.get(api.key(resource, obj["metadata"].get("namespace"), obj["metadata"]["name"]))
            return found[2] if found else 0

        type_meta = {"kind": resource.kind, "apiVersion": resource.api_version}
        stream = watch.events(list_items, query, created, type_meta, stop=self._client_gone)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.close_connection = True
        try:
            for event in stream:
                line = json.dumps(event, separators=(",", ":")).encode() + b"\n"
                self.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            return

    # -- REST --------------------------------------------------------------------------------------

    def _rest(self, path, query):
        api = self.server.app.api
        parts = path.strip("/").split("/")
        if parts == ["api"]:
            return self._send(200, {"kind": "APIVersions", "versions": ["v1"]})
        if parts == ["apis"]:
            return self._send(200, _group_list(api.registry()))
        if parts[0] == "api":
            group, ver, rest = "", parts[1], parts[2:]
        else:
            if len(parts) < 3:
                return self._send(200, _group(parts[1], api.registry()))
            group, ver, rest = parts[1], parts[2], parts[3:]
        if not rest:
            return self._send(200, _resource_list(group, ver, api.registry()))
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] != "status":
            namespace, rest = rest[1], rest[2:]
        resource = api.registry().by_path(group, ver, rest[0])
        if resource is None:
            raise APIError(404, "NotFound", "the server could not find the requested resource")
        name = rest[1] if len(rest) > 1 else None
        subresource = rest[2] if len(rest) > 2 else None
        if subresource not in (None, "status") and not (resource.kind == "Pod" and subresource == "eviction"):
            raise APIError(404, "NotFound", "the server could not find the requested resource")
        dry_run = query.get("dryRun") == "All"
        method = self.command
        if subresource == "eviction":
            if method != "POST":
                raise APIError(405, "MethodNotAllowed", f"{method} is not supported on this path")
            return self._evict(api, resource, namespace, name, dry_run)
        if name is None:
            if method == "GET" and query.get("watch") in ("1", "true"):
                return self._watch(api, resource, namespace, query)
            if method in ("GET", "HEAD"):
                items, revision = api.list(resource, namespace, query.get("labelSelector"))
                items = _field_filter(items, query.get("fieldSelector"))
                if tables.wants_table(self.headers.get("Accept")):
                    include = query.get("includeObject", "Metadata")
                    return self._send(200, tables.table(resource.kind, items, revision, include))
                body = {
                    "kind": f"{resource.kind}List",
                    "apiVersion": resource.api_version,
                    "metadata": {"resourceVersion": str(revision)},
                    "items": items,
                }
                return self._send(200, body)
            if method == "POST":
                body = self._body() or {}
                return self._send(201, api.create(resource, namespace, body, dry_run))
        else:
            if method in ("GET", "HEAD"):
                obj = api.get(resource, namespace, name)
                if tables.wants_table(self.headers.get("Accept")):
                    include = query.get("includeObject", "Metadata")
                    revision = obj["metadata"]["resourceVersion"]
                    return self._send(200, tables.table(resource.kind, [obj], revision, include))
                return self._send(200, obj)
            if method == "PUT":
                body = self._body() or {}
                return self._send(200, api.update(resource, namespace, name, body, dry_run, subresource == "status"))
            if method == "PATCH":
                return self._send(200, self._patch(api, resource, namespace, name, dry_run))
            if method == "DELETE":
                options = self._body() or {}
                dry_run = dry_run or "All" in (options.get("dryRun") or [])
                api.delete(resource, namespace, name, dry_run)
                return self._send(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"})
        raise APIError(405, "MethodNotAllowed", f"{method} is not supported on this path")

    def _evict(self, api, resource, namespace, name, dry_run):
        """The eviction subresource: no PodDisruptionBudget is checked, the pod is deleted."""
        body = self._body() or {}
        if body.get("kind") != "Eviction":
            raise bad_request("the body of an eviction must be a policy/v1 Eviction")
        options = body.get("deleteOptions") or {}
        api.delete(resource, namespace, name, dry_run or "All" in (options.get("dryRun") or []))
        return self._send(201, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201})

    def _patch(self, api, resource, namespace, name, dry_run):
        kind = (self.headers.get("Content-Type") or "").split(";")[0]
        body = self._body()
        if kind == "application/json-patch+json":
            return api.patch(resource, namespace, name, body or [], "json", dry_run)
        if kind == "application/apply-patch+yaml":
            body = dict(body or {})
            try:
                api.get(resource, namespace, name)
            except APIError as exc:
                if exc.reason != "NotFound":
                    raise
                return api.create(resource, namespace, body, dry_run)
        return api.patch(resource, namespace, name, body or {}, "merge", dry_run)


def _field_value(obj, path):
    value = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return "" if value is None else str(value)


def _field_filter(items, selector):
    """Filter by field selectors `a.b=v`, `a.b==v`, `a.b!=v`, such as `metadata.name` (kubectl wait and
    delete --wait) and the pods' `spec.nodeName` (kubectl drain)."""
    if not selector:
        return items
    requirements = []
    for part in selector.split(","):
        if "!=" in part:
            path, value = part.split("!=", 1)
            requirements.append((path.strip(), value.strip(), False))
        elif "=" in part:
            path, value = part.split("=", 1)
            requirements.append((path.strip(), value.lstrip("=").strip(), True))
    return [o for o in items if all((_field_value(o, p) == v) == eq for p, v, eq in requirements)]


def _group_version(group, ver):
    return {"groupVersion": f"{group}/{ver}", "version": ver}


def _group(name, registry):
    versions = registry.groups().get(name)
    if not versions:
        raise APIError(404, "NotFound", "the server could not find the requested resource")
    return {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": name,
        "versions": [_group_version(name, v) for v in versions],
        "preferredVersion": _group_version(name, versions[0]),
    }


def _group_list(registry):
    groups = [_group(name, registry) for name in sorted(registry.groups())]
    for group in groups:
        del group["kind"], group["apiVersion"]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


def _resource_list(group, ver, registry):
    resources = []
    for resource in registry.resources:
        if resource.group != group or resource.version != ver:
            continue
        entry = {
            "name": resource.plural,
            "singularName": resource.singular,
            "namespaced": resource.namespaced,
            "kind": resource.kind,
            "verbs": VERBS,
        }
        if resource.short_names:
            entry["shortNames"] = list(resource.short_names)
        resources.append(entry)
        if resource.kind == "Pod":
            resources.append(
                {
                    "name": "pods/eviction",
                    "singularName": "",
                    "namespaced": True,
                    "group": "policy",
                    "version": "v1",
                    "kind": "Eviction",
                    "verbs": ["create"],
                }
            )
        resources.append(
            {
                "name": f"{resource.plural}/status",
                "singularName": "",
                "namespaced": resource.namespaced,
                "kind": resource.kind,
                "verbs": ["get", "patch", "update"],
            }
        )
    if not resources:
        raise APIError(404, "NotFound", "the server could not find the requested resource")
    group_version = f"{group}/{ver}" if group else ver
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}


def server_context(cert, key, client_ca):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.load_verify_locations(client_ca)
    context.verify_mode = ssl.CERT_OPTIONAL
    return context


def serve(app, bind_address, port, context):
    """Start the listener in a background thread; returns the server (call shutdown() to stop)."""
    listener = Listener((bind_address, port), context, app)
    thread = threading.Thread(target=listener.serve_forever, name="https", daemon=True)
    thread.start()
    return listener
