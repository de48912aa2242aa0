# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes objects on top of the datastore: get, list, create, update, patch, delete, with API errors."""

import copy
import re
import threading
import uuid

from k3s_double import controllers, kinds, nodes, selectors
from k3s_double.store import Conflict

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
# Kinds whose names only have to be valid URL path segments.
_PATH_SEGMENT_NAMES = {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}
CRD_PREFIX = "/registry/customresourcedefinitions.apiextensions.k8s.io/"


class APIError(Exception):
    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self):
        body = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


class Unavailable(Exception):
    """The datastore cannot take writes (embedded etcd without quorum)."""


def _details(resource, name):
    details = {"name": name, "kind": resource.plural}
    if resource.group:
        details["group"] = resource.group
    return details


def not_found(resource, name):
    return APIError(404, "NotFound", f'{resource.group_resource} "{name}" not found', _details(resource, name))


def already_exists(resource, name):
    message = f'{resource.group_resource} "{name}" already exists'
    return APIError(409, "AlreadyExists", message, _details(resource, name))


def conflict(resource, name):
    message = (
        f'Operation cannot be fulfilled on {resource.group_resource} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    return APIError(409, "Conflict", message, _details(resource, name))


def bad_request(message):
    return APIError(400, "BadRequest", message)


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _pointer(path):
    return [part.replace("~1", "/").replace("~0", "~") for part in path.split("/")[1:]]


def json_patch(target, operations):
    """RFC 6902 JSON patch (add, remove, replace, test)."""
    result = copy.deepcopy(target)
    for operation in operations:
        parts = _pointer(operation["path"])
        parent = result
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent.setdefault(part, {})
        last = parts[-1]
        kind = operation["op"]
        if kind == "test":
            current = parent[int(last)] if isinstance(parent, list) else parent.get(last)
            if current != operation.get("value"):
                raise bad_request(f"test operation failed at {operation['path']}")
        elif kind == "remove":
            if isinstance(parent, list):
                parent.pop(int(last))
            else:
                parent.pop(last, None)
        elif isinstance(parent, list):
            index = len(parent) if last == "-" else int(last)
            if kind == "add":
                parent.insert(index, operation["value"])
            else:
                parent[index] = operation["value"]
        else:
            parent[last] = operation["value"]
    return result


def _content(obj):
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


class API:
    """Object operations on a datastore; settings carry the cluster options controllers need."""

    def __init__(self, datastore, settings):
        self.ds = datastore
        self.settings = settings
        self._registry = (None, None)
        self._lock = threading.Lock()
        self.member_removal = None

    # -- resources ---------------------------------------------------------------------------------

    def registry(self):
        revision = self.ds.revision()
        with self._lock:
            if self._registry[0] != revision:
                crds = [entry[1] for entry in self.ds.list(CRD_PREFIX)]
                self._registry = (revision, kinds.Registry(crds))
            return self._registry[1]

    def resource(self, name):
        return self.registry().by_name(name)

    def resource_for(self, obj):
        return self.registry().by_kind(obj.get("apiVersion"), obj.get("kind"))

    @staticmethod
    def key(resource, namespace, name):
        base = f"/registry/{resource.group_resource}/"
        return base + (f"{namespace}/{name}" if resource.namespaced else name)

    # -- reads -------------------------------------------------------------------------------------

    def _present(self, resource, value, mod_rev):
        obj = copy.deepcopy(value)
        obj["apiVersion"] = resource.api_version
        obj["kind"] = resource.kind
        obj.setdefault("metadata", {})["resourceVersion"] = str(mod_rev)
        if resource.kind == "Node":
            nodes.effective(obj, self.settings.get("grace_seconds", nodes.DEFAULT_GRACE_SECONDS))
        return obj

    def _raw(self, resource, namespace, name):
        found = self.ds.get(self.key(resource, namespace, name))
        if not found:
            raise not_found(resource, name)
        return found

    def get(self, resource, namespace, name):
        value, mod_rev = self._raw(resource, namespace, name)[:2]
        return self._present(resource, value, mod_rev)

    def list(self, resource, namespace=None, label_selector=None):
        prefix = f"/registry/{resource.group_resource}/"
        if resource.namespaced and namespace:
            prefix += f"{namespace}/"
        requirements = selectors.parse(label_selector) if label_selector else []
        items = []
        for _key, value, mod_rev, _created in self.ds.list(prefix):
            if selectors.matches(requirements, value.get("metadata", {}).get("labels")):
                items.append(self._present(resource, value, mod_rev))
        return items, self.ds.revision()

    # -- writes ------------------------------------------------------------------------------------

    def _commit(self, ops, resource, name, conflict_error):
        try:
            return self.ds.commit(ops)
        except Conflict as exc:
            if exc.key == ops[0]["key"]:
                raise conflict_error from exc
            raise conflict(resource, name) from exc
        except Unavailable as exc:
            raise APIError(500, "InternalError", str(exc)) from exc

    def _check_name(self, resource, name):
        if not name:
            raise APIError(
                422,
                "Invalid",
                f"{resource.kind}.{resource.group or 'core'} is invalid: metadata.name: "
                "Required value: name or generateName is required",
            )
        if resource.kind in _PATH_SEGMENT_NAMES:
            if name in (".", "..") or "/" in name or "%" in name:
                raise APIError(
                    422,
                    "Invalid",
                    f'{resource.kind} "{name}" is invalid: metadata.name: Invalid value: '
                    f"\"{name}\": may not contain '/' or '%'",
                )
            return
        if not _NAME.match(name) or len(name) > 253:
            message = (
                f'{resource.kind} "{name}" is invalid: metadata.name: Invalid value: "{name}": a lowercase RFC 1123 '
                "subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and "
                "end with an alphanumeric character"
            )
            raise APIError(422, "Invalid", message)

    def _namespace_of(self, resource, namespace, obj):
        if not resource.namespaced:
            obj.get("metadata", {}).pop("namespace", None)
            return None
        namespace = namespace or obj.get("metadata", {}).get("namespace") or "default"
        if obj.get("metadata", {}).get("namespace") not in (None, namespace):
            raise bad_request("the namespace of the provided object does not match the namespace sent on the request")
        return namespace

    def _require_namespace(self, namespace):
        if not self.ds.get(f"/registry/namespaces/{namespace}"):
            ns = self.registry().by_name("namespaces")
            raise not_found(ns, namespace)

    def create(self, resource, namespace, obj, dry_run=False):
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
        name = meta.get("name", "")
        self._check_name(resource, name)
        namespace = self._namespace_of(resource, namespace, obj)
        if namespace:
            self._require_namespace(namespace)
            meta["namespace"] = namespace
        for field in ("resourceVersion", "uid", "creationTimestamp", "deletionTimestamp", "managedFields"):
            meta.pop(field, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = nodes.now_iso()
        meta["generation"] = 1
        obj["apiVersion"], obj["kind"] = resource.api_version, resource.kind
        controllers.prepare(self, resource, obj, None)
        key = self.key(resource, namespace, name)
        if self.ds.get(key):
            raise already_exists(resource, name)
        if dry_run:
            return self._present(resource, obj, 0)
        revision = self._commit(
            [{"op": "put", "key": key, "value": obj, "expect": 0}], resource, name, already_exists(resource, name)
        )
        controllers.after_write(self, resource, obj, None)
        return self._present(resource, obj, revision)

    def update(self, resource, namespace, name, obj, dry_run=False, status_only=False):
        obj = copy.deepcopy(obj)
        namespace = self._namespace_of(resource, namespace, obj)
        existing, mod_rev = self._raw(resource, namespace, name)[:2]
        meta = obj.setdefault("metadata", {})
        if meta.get("name", name) != name:
            raise bad_request("the name of the object does not match the name on the URL")
        wanted = meta.get("resourceVersion")
        if wanted and str(wanted) != str(mod_rev):
            raise conflict(resource, name)
        if status_only:
            obj = dict(copy.deepcopy(existing), status=obj.get("status", {}))
            meta = obj["metadata"]
        old_meta = existing.get("metadata", {})
        meta.update({k: old_meta[k] for k in ("uid", "creationTimestamp", "generation") if k in old_meta})
        meta["name"] = name
        if namespace:
            meta["namespace"] = namespace
        meta.pop("resourceVersion", None)
        meta.pop("managedFields", None)
        if "status" not in obj and "status" in existing:
            obj["status"] = copy.deepcopy(existing["status"])
        obj["apiVersion"], obj["kind"] = resource.api_version, resource.kind
        if _content(obj) != _content(existing):
            meta["generation"] = int(old_meta.get("generation", 1)) + 1
        controllers.prepare(self, resource, obj, existing)
        if dry_run:
            return self._present(resource, obj, mod_rev)
        key = self.key(resource, namespace, name)
        revision = self._commit(
            [{"op": "put", "key": key, "value": obj, "expect": mod_rev}], resource, name, conflict(resource, name)
        )
        controllers.after_write(self, resource, obj, existing)
        return self._present(resource, obj, revision)

    def patch(self, resource, namespace, name, patch, patch_type="merge", dry_run=False):
        for _attempt in range(5):
            current = self.get(resource, namespace, name)
            patched = json_patch(current, patch) if patch_type == "json" else merge_patch(current, patch)
            patched.setdefault("metadata", {})["resourceVersion"] = current["metadata"]["resourceVersion"]
            try:
                return self.update(resource, namespace, name, patched, dry_run=dry_run)
            except APIError as exc:
                if exc.reason != "Conflict":
                    raise
        raise conflict(resource, name)

    def delete(self, resource, namespace, name, dry_run=False):
        if not resource.namespaced:
            namespace = None
        existing, mod_rev = self._raw(resource, namespace, name)[:2]
        obj = self._present(resource, existing, mod_rev)
        if dry_run:
            return obj
        ops = [{"op": "delete", "key": self.key(resource, namespace, name), "expect": mod_rev}]
        if resource.kind == "Namespace":
            for other in self.registry().resources:
                if other.namespaced:
                    prefix = f"/registry/{other.group_resource}/{name}/"
                    ops += [{"op": "delete", "key": entry[0]} for entry in self.ds.list(prefix)]
        if resource.kind == "Node" and self.member_removal:
            ops += self.member_removal(name)
        self._commit(ops, resource, name, not_found(resource, name))
        controllers.after_delete(self, resource, existing)
        return obj

    def apply_object(self, obj, namespace=None, mutate=None):
        """Create or update an object from a full manifest; returns (object, action)."""
        resource = self.resource_for(obj)
        if resource is None:
            raise bad_request(f'no matches for kind "{obj.get("kind")}" in version "{obj.get("apiVersion")}"')
        name = obj.get("metadata", {}).get("name", "")
        namespace = self._namespace_of(resource, namespace, copy.deepcopy(obj))
        try:
            current = self.get(resource, namespace, name)
        except APIError as exc:
            if exc.reason != "NotFound":
                raise
            return self.create(resource, namespace, mutate(obj, None) if mutate else obj), "created"
        desired = mutate(obj, current) if mutate else obj
        merged = copy.deepcopy(current)
        for field, value in desired.items():
            if field != "metadata":
                merged[field] = copy.deepcopy(value)
        for field in ("labels", "annotations"):
            if desired.get("metadata", {}).get(field) is not None:
                merged["metadata"][field] = dict(desired["metadata"][field])
        if merged == current:
            return current, "unchanged"
        return self.update(resource, namespace, name, merged), "configured"
