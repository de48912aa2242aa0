# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OpenAPI documents of the API server, as much of them as kubectl reads.

`/openapi/v3` lists one document per group version (`api/v1`, `apis/apps/v1`, ...); each document has the
paths of the group version's resources, every operation marked with `x-kubernetes-group-version-kind` and
`x-kubernetes-action`, and writes taking the `dryRun`, `fieldManager` and `fieldValidation` query parameters,
as the kube-apiserver publishes them. kubectl reads there that the server validates fields itself
(`fieldValidation`), so it skips its own schema check. PATCH lists the patch types the double takes; the
strategic merge patch is left out, so kubectl computes an apply patch from its own compiled-in types (built-in
kinds) or as a JSON merge patch (custom resources) instead of from a schema. The schemas are the objects'
envelope (`apiVersion`, `kind`, `metadata`) with the rest of the object left open.

`/openapi/v2` is the protobuf-encoded swagger 2.0 document kubectl asks for first
(`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`): a `Document` with `swagger`, `info` and no
definitions, so kubectl's schema validation finds no kind to check.
"""

import hashlib
import json

from k3s_double import version

PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml")
_WRITE_PARAMETERS = ("dryRun", "fieldManager", "fieldValidation")


def _gv_path(group, ver):
    return f"apis/{group}/{ver}" if group else f"api/{ver}"


def group_versions(registry):
    """{`api/v1` | `apis/<group>/<version>`: [resources]} of the registry."""
    result = {}
    for resource in registry.resources:
        result.setdefault(_gv_path(resource.group, resource.version), []).append(resource)
    return result


def _schema_name(resource):
    group = resource.group or "core"
    return f"io.k8s.double.{group}.{resource.version}.{resource.kind}"


def _gvk(resource):
    return {"group": resource.group, "version": resource.version, "kind": resource.kind}


def _parameter(name, where="query", required=False):
    return {"name": name, "in": where, "required": required, "schema": {"type": "string", "uniqueItems": True}}


def _operation(resource, action, op_id, body=None, writes=False, status="200"):
    ref = {"$ref": f"#/components/schemas/{_schema_name(resource)}"}
    operation = {
        "operationId": op_id,
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": _gvk(resource),
        "responses": {status: {"description": "OK", "content": {"application/json": {"schema": ref}}}},
    }
    if writes:
        operation["parameters"] = [_parameter(name) for name in _WRITE_PARAMETERS]
    if body:
        operation["requestBody"] = {"content": {kind: {"schema": ref} for kind in body}, "required": True}
    return operation


def document(gv_path, resources):
    """The OpenAPI v3 document of one group version."""
    paths = {}
    schemas = {
        "io.k8s.double.ObjectMeta": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
    }
    for resource in resources:
        kind = resource.kind
        base = f"/{gv_path}"
        name_params = [_parameter("name", "path", True)]
        if resource.namespaced:
            base += "/namespaces/{namespace}"
            name_params.append(_parameter("namespace", "path", True))
        collection = f"{base}/{resource.plural}"
        paths[collection] = {
            "parameters": name_params[1:],
            "get": _operation(resource, "list", f"list{kind}"),
            "post": _operation(resource, "post", f"create{kind}", ["application/json"], True, "201"),
        }
        paths[collection + "/{name}"] = {
            "parameters": name_params,
            "get": _operation(resource, "get", f"read{kind}"),
            "put": _operation(resource, "put", f"replace{kind}", ["application/json"], True),
            "patch": _operation(resource, "patch", f"patch{kind}", PATCH_TYPES, True),
            "delete": _operation(resource, "delete", f"delete{kind}"),
        }
        paths[collection + "/{name}/status"] = {
            "parameters": name_params,
            "get": _operation(resource, "get", f"read{kind}Status"),
            "put": _operation(resource, "put", f"replace{kind}Status", ["application/json"], True),
            "patch": _operation(resource, "patch", f"patch{kind}Status", PATCH_TYPES, True),
        }
        schemas[_schema_name(resource)] = {
            "type": "object",
            "properties": {
                "apiVersion": {"type": "string"},
                "kind": {"type": "string"},
                "metadata": {"$ref": "#/components/schemas/io.k8s.double.ObjectMeta"},
            },
            "x-kubernetes-group-version-kind": [_gvk(resource)],
            "x-kubernetes-preserve-unknown-fields": True,
        }
    info = {"title": "Kubernetes", "version": version.kube_version_info()["gitVersion"]}
    return {"openapi": "3.0.0", "info": info, "paths": paths, "components": {"schemas": schemas}}


def _hash(gv_path, resources):
    text = json.dumps(document(gv_path, resources), sort_keys=True)
    return hashlib.sha512(text.encode()).hexdigest()[:128].upper()


def root(registry):
    """The `/openapi/v3` discovery document: the URL of every group version's document, with its hash."""
    paths = {}
    for gv_path, resources in sorted(group_versions(registry).items()):
        paths[gv_path] = {"serverRelativeURL": f"/openapi/v3/{gv_path}?hash={_hash(gv_path, resources)}"}
    return {"paths": paths}


def _field(number, payload):
    """A protobuf length-delimited field."""
    key = (number << 3) | 2
    length = len(payload)
    varint = b""
    while True:
        byte = length & 0x7F
        length >>= 7
        if length:
            varint += bytes([byte | 0x80])
        else:
            varint += bytes([byte])
            break
    return bytes([key]) + varint + payload


def v2_protobuf():
    """openapi_v2.Document{swagger: "2.0", info: {title, version}, paths: {}} in protobuf wire format
    (gnostic's openapiv2.proto: Document.swagger = 1, info = 2, paths = 8; Info.title = 1, version = 2)."""
    info = _field(1, b"Kubernetes") + _field(2, version.kube_version_info()["gitVersion"].encode())
    return _field(1, b"2.0") + _field(2, info) + _field(8, b"")
