# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deploy controller: manifests in ${data-dir}/server/manifests are applied to the cluster.

Each file (*.yaml, *.yml, *.json, recursively; not dotfiles; not `name.yaml` when `name.yaml.skip`
exists) is tracked by an Addon in kube-system named after the file name up to its first period, holding
the file's path and sha256. A file is applied on start and whenever its checksum changes; objects it no
longer lists are deleted; deleting the file deletes nothing. Files of disabled components are deleted
together with their objects.
"""

import base64
import gzip
import hashlib
import json
import os

import yaml

from k3s_double import controllers, logs
from k3s_double.api import APIError

OWNER_GVK = "k3s.cattle.io/v1, Kind=Addon"
HASH_LABEL = "objectset.rio.cattle.io/hash"
APPLIED = "objectset.rio.cattle.io/applied"
OWNER_NAME = "objectset.rio.cattle.io/owner-name"
OWNER_NAMESPACE = "objectset.rio.cattle.io/owner-namespace"
GVKS = "addon.k3s.cattle.io/gvks"
ADDON_NAMESPACE = "kube-system"


def addon_name(path):
    return os.path.basename(path).split(".", 1)[0]


def checksum(content):
    return hashlib.sha256(content).hexdigest()


def _owner_hash(name):
    return hashlib.sha1(f"k3s-deploy/{ADDON_NAMESPACE}/{name}".encode(), usedforsecurity=False).hexdigest()


def parse_objects(content, path):
    """The objects in a manifest file: YAML documents or JSON, with List objects expanded."""
    documents = [json.loads(content)] if path.endswith(".json") else list(yaml.safe_load_all(content))
    objects = []
    for document in documents:
        if not document:
            continue
        if not isinstance(document, dict) or "kind" not in document or "apiVersion" not in document:
            raise ValueError("Object 'Kind' is missing in the document")
        if document["kind"].endswith("List") and isinstance(document.get("items"), list):
            objects.extend(document["items"])
        else:
            objects.append(document)
    return objects


def manifest_files(base):
    """The manifest files under base that the controller applies, sorted by path."""
    found, skips = [], set()
    for root, dirs, names in os.walk(base, followlinks=True):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            if name.endswith(".skip"):
                skips.add(name[: -len(".skip")])
            found.append(os.path.join(root, name))
    return sorted(
        path
        for path in found
        if not os.path.basename(path).startswith(".")
        and os.path.basename(path) not in skips
        and path.lower().endswith((".yaml", ".yml", ".json"))
    )


class DeployController:
    def __init__(self, api, base):
        self.api = api
        self.base = base
        self.mtimes = {}

    def _owned(self, name):
        """Objects labelled as created by the Addon `name`, as (resource, namespace, name)."""
        owned = []
        for resource in self.api.registry().resources:
            try:
                items = self.api.list(resource, None, f"{HASH_LABEL}={_owner_hash(name)}")[0]
            except APIError:
                continue
            owned.extend((resource, o["metadata"].get("namespace"), o["metadata"]["name"]) for o in items)
        return owned

    def _label(self, obj, name):
        obj = json.loads(json.dumps(obj))
        meta = obj.setdefault("metadata", {})
        applied = base64.b64encode(gzip.compress(json.dumps(obj, sort_keys=True).encode(), mtime=0)).decode()
        meta.setdefault("labels", {})[HASH_LABEL] = _owner_hash(name)
        meta.setdefault("annotations", {}).update(
            {
                APPLIED: applied,
                "objectset.rio.cattle.io/id": "",
                "objectset.rio.cattle.io/owner-gvk": OWNER_GVK,
                OWNER_NAME: name,
                OWNER_NAMESPACE: ADDON_NAMESPACE,
            }
        )
        return obj

    def _addon(self, name):
        try:
            return self.api.get(self.api.resource("addons.k3s.cattle.io"), ADDON_NAMESPACE, name)
        except APIError as exc:
            if exc.reason != "NotFound":
                raise
            return None

    def deploy(self, path, force=False):
        name = addon_name(path)
        with open(path, "rb") as handle:
            content = handle.read()
        digest = checksum(content)
        addon = self._addon(name)
        if addon and not force and addon.get("spec", {}).get("checksum") == digest:
            return False
        objects = [self._label(o, name) for o in parse_objects(content, path)]
        applied = set()
        for obj in objects:
            result = self.api.apply_object(obj)[0]
            resource = self.api.resource_for(result)
            applied.add((resource.group_resource, result["metadata"].get("namespace"), result["metadata"]["name"]))
        for resource, namespace, obj_name in self._owned(name):
            if (resource.group_resource, namespace, obj_name) not in applied:
                self.api.delete(resource, namespace, obj_name)
        gvks = ";".join(sorted({f"{o['apiVersion']}, Kind={o['kind']}" for o in objects}))
        desired = {
            "apiVersion": "k3s.cattle.io/v1",
            "kind": "Addon",
            "metadata": {"name": name, "namespace": ADDON_NAMESPACE, "annotations": {GVKS: gvks}},
            "spec": {"source": path, "checksum": digest},
        }
        self.api.apply_object(desired)
        logs.info(f"Applied manifest at {path}")
        return True

    def remove(self, name):
        """Delete the objects of the Addon `name`, and the Addon."""
        for resource, namespace, obj_name in self._owned(name):
            self.api.delete(resource, namespace, obj_name)
        if self._addon(name):
            self.api.delete(self.api.resource("addons.k3s.cattle.io"), ADDON_NAMESPACE, name)

    def scan(self, force=False):
        for path in manifest_files(self.base):
            try:
                mtime = os.stat(path).st_mtime_ns
                if not force and self.mtimes.get(path) == mtime:
                    continue
                self.deploy(path, force)
                self.mtimes[path] = mtime
            except (OSError, ValueError, yaml.YAMLError, APIError) as exc:
                logs.error(f"Failed to process config: failed to process {path}: {exc}")
        try:
            controllers.retry_pending_installs(self.api)
        except (OSError, ValueError, yaml.YAMLError, APIError) as exc:
            logs.error(f"helm install failed: {exc}")

    def run(self, stop, interval):
        while not stop.wait(interval):
            self.scan()
