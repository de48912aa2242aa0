# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""etcd snapshots on the server side: save, list, delete, prune, schedule, and reading one back to restore.

A snapshot is a file named <name>-<node name>-<unix time> (optionally zipped) in ${data-dir}/server/db/
snapshots or --etcd-snapshot-dir, holding a full copy of the datastore. "S3" is a local directory:
${K3S_DOUBLE_S3_DIR:-/var/lib/rancher/k3s-double-s3}/<bucket>/<folder>/.
"""

import datetime
import hashlib
import json
import os
import re
import shutil
import threading
import time
import zipfile

from k3s_double import cron, logs, version
from k3s_double.api import APIError

FORMAT = "homelab.k3s test double etcd snapshot"
STORAGE_NODE = "etcd.k3s.cattle.io/snapshot-storage-node"
TOKEN_HASH = "etcd.k3s.cattle.io/snapshot-token-hash"
_INVALID_KEY = re.compile(r"[^-._a-zA-Z0-9]")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DISABLED = "etcd datastore disabled"


class SnapshotError(Exception):
    pass


def s3_root():
    return os.environ.get("K3S_DOUBLE_S3_DIR") or "/var/lib/rancher/k3s-double-s3"


class S3:
    """A bucket and folder, kept in a local directory."""

    def __init__(self, config):
        self.config = config
        self.bucket = config.get("bucket") or ""
        self.folder = (config.get("folder") or "").strip("/")
        if not self.bucket:
            raise SnapshotError("failed to initialize S3 client: s3 bucket name was not set")

    @classmethod
    def from_options(cls, options, prefix="etcd-s3"):
        def value(name):
            return options[f"{prefix}-{name}" if name else prefix]

        return cls(
            {
                "endpoint": value("endpoint"),
                "endpointCA": value("endpoint-ca"),
                "skipSSLVerify": value("skip-ssl-verify"),
                "bucket": value("bucket"),
                "region": value("region"),
                "folder": value("folder"),
                "insecure": value("insecure"),
            }
        )

    @property
    def directory(self):
        return os.path.join(s3_root(), self.bucket, self.folder)

    def location(self, name):
        return f"s3://{self.bucket}/" + (f"{self.folder}/" if self.folder else "") + name

    def spec(self):
        spec = {
            "endpoint": self.config.get("endpoint") or "s3.amazonaws.com",
            "bucket": self.bucket,
            "region": self.config.get("region") or "us-east-1",
        }
        if self.folder:
            spec["prefix"] = self.folder
        if self.config.get("skipSSLVerify"):
            spec["skipSSLVerify"] = True
        if self.config.get("insecure"):
            spec["insecure"] = True
        return spec


def write_snapshot(path, dump, cluster_id, compress):
    data = json.dumps({"format": FORMAT, "version": version.VERSION, "clusterID": cluster_id, "dump": dump})
    if compress:
        path += ".zip"
        info = zipfile.ZipInfo(os.path.basename(path)[: -len(".zip")], time.localtime()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(info, data)
    else:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(data)
    return path


def read_snapshot(path):
    """The datastore dump held by a snapshot file (plain or zipped)."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                data = archive.read(archive.namelist()[0])
        else:
            with open(path, "rb") as handle:
                data = handle.read()
        content = json.loads(data)
    except (OSError, ValueError, KeyError, IndexError, zipfile.BadZipFile) as exc:
        raise SnapshotError(f"failed to read snapshot {path}: {exc}") from exc
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise SnapshotError(f"{path} is not an etcd snapshot taken by the k3s test double")
    return content["dump"]


def _timestamp(name, mtime):
    base = name[: -len(".zip")] if name.endswith(".zip") else name
    try:
        return int(base.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return int(mtime)


def _rfc3339(seconds):
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def list_dir(directory):
    """[(name, size, unix time)] of the snapshot files in a directory."""
    if not os.path.isdir(directory):
        return []
    found = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if os.path.isfile(path) and not name.startswith("."):
            stat = os.stat(path)
            found.append((name, stat.st_size, _timestamp(name, stat.st_mtime)))
    return found


def resource_name(name, node, location, created, compressed):
    """The ETCDSnapshotFile name k3s derives from a snapshot file."""
    lowered = name.lower()
    digest = hashlib.sha256((node + location).encode()).hexdigest()[:6]
    if not _DNS_SUBDOMAIN.match(lowered) or len(lowered) + 13 > 253:
        lowered = f"etcd-snapshot-{node.split('.')[0]}-{created}" + (".zip" if compressed else "")
    return ("s3-" if node == "s3" else "local-") + lowered + "-" + digest


def list_item(name, node, location, size, created, s3_spec=None, metadata_name=None):
    """One item of the list `k3s etcd-snapshot ls` prints, in the field order k3s marshals it."""
    key = ("s3-" if node == "s3" else "local-") + _INVALID_KEY.sub("_", name)
    spec = {"snapshotName": name, "nodeName": node, "location": location}
    if s3_spec:
        spec["s3"] = s3_spec
    return {
        "kind": "ETCDSnapshotFile",
        "apiVersion": "k3s.cattle.io/v1",
        "metadata": {"name": metadata_name or key, "creationTimestamp": None, "labels": {STORAGE_NODE: node}},
        "spec": spec,
        "status": {"size": str(size), "creationTime": _rfc3339(created), "readyToUse": True},
    }


class SnapshotManager:
    def __init__(self, server):
        self.server = server
        self.lock = threading.Lock()

    @property
    def default_dir(self):
        return os.path.join(self.server.server_dir, "db", "snapshots")

    def directory(self, override=None, create=True):
        directory = override or self.server.options["etcd-snapshot-dir"] or self.default_dir
        if directory == self.default_dir and create:
            os.makedirs(directory, mode=0o700, exist_ok=True)
        if not os.path.isdir(directory):
            raise SnapshotError(f"failed to get etcd-snapshot-dir: stat {directory}: no such file or directory")
        return directory

    def _s3(self, config):
        return S3(config) if config is not None else None

    # -- operations ----------------------------------------------------------------------------------

    def save(self, name, directory=None, compress=False, retention=0, s3_config=None):
        if not self.lock.acquire(blocking=False):
            raise SnapshotError("snapshot save already in progress")
        try:
            s3 = self._s3(s3_config)
            directory = self.directory(directory)
            node = self.server.node_name
            now = int(time.time())
            snapshot = f"{name}-{node}-{now}"
            path = os.path.join(directory, snapshot)
            logs.info(f"Saving etcd snapshot to {path}")
            ds = self.server.datastore
            path = write_snapshot(path, ds.store.dump(), ds.cluster_id(), compress)
            result = {"created": [os.path.basename(path)], "deleted": []}
            result["deleted"] += self._retention(directory, name, retention)
            if s3:
                logs.info(f"Saving etcd snapshot {snapshot} to S3")
                os.makedirs(s3.directory, mode=0o700, exist_ok=True)
                shutil.copy2(path, os.path.join(s3.directory, os.path.basename(path)))
                result["created"].append(os.path.basename(path))
                result["deleted"] += self._retention(s3.directory, name, retention)
                logs.info(f"S3 upload complete for {snapshot}")
            self.reconcile(directory, s3)
            return result
        finally:
            self.lock.release()

    def _retention(self, directory, prefix, retention):
        if retention < 1:
            return []
        logs.info(f"Applying snapshot retention={retention} to local snapshots with prefix {prefix} in {directory}")
        files = sorted((f for f in list_dir(directory) if f[0].startswith(prefix)), key=lambda f: f[2], reverse=True)
        deleted = []
        for name in [f[0] for f in files[retention:]]:
            logs.info(f"Removing local snapshot {os.path.join(directory, name)}")
            os.unlink(os.path.join(directory, name))
            deleted.append(name)
        return deleted

    def snapshot_list(self, directory=None, s3_config=None):
        s3 = self._s3(s3_config)
        items = []
        if s3:
            for name, size, created in list_dir(s3.directory):
                items.append(list_item(name, "s3", s3.location(name), size, created, s3.spec()))
        directory = self.directory(directory)
        for name, size, created in list_dir(directory):
            location = "file://" + os.path.join(directory, name)
            items.append(list_item(name, self.server.node_name, location, size, created))
        return {"kind": "List", "apiVersion": "v1", "metadata": {}, "items": items or None}

    def delete(self, names, directory=None, s3_config=None):
        s3 = self._s3(s3_config)
        directory = self.directory(directory, create=False)
        deleted = []
        for name in names:
            if os.path.basename(name) != name or name in ("", ".", ".."):
                raise SnapshotError("invalid snapshot name: path traversal not allowed")
            path = os.path.join(directory, name)
            if os.path.isfile(path):
                os.unlink(path)
                deleted.append(name)
                logs.info(f"Snapshot {name} deleted locally")
            else:
                logs.info(f"Snapshot {name} not found locally")
            if s3 and os.path.isfile(os.path.join(s3.directory, name)):
                os.unlink(os.path.join(s3.directory, name))
                deleted.append(name)
                logs.info(f"Snapshot {name} deleted from S3")
        self.reconcile(directory, s3)
        return {"deleted": deleted}

    def prune(self, name, retention, directory=None, s3_config=None):
        s3 = self._s3(s3_config)
        directory = self.directory(directory, create=False)
        deleted = self._retention(directory, name, retention)
        if s3:
            deleted += self._retention(s3.directory, name, retention)
        self.reconcile(directory, s3)
        return {"deleted": deleted}

    # -- ETCDSnapshotFile objects ----------------------------------------------------------------------

    def reconcile(self, directory=None, s3=None):
        """Keep one ETCDSnapshotFile per snapshot of this node (and of S3 when configured)."""
        api = self.server.api
        resource = api.resource("etcdsnapshotfiles.k3s.cattle.io")
        node = self.server.node_name
        wanted = {}
        local = directory or self.directory()
        sources = [(node, local, lambda n: "file://" + os.path.join(local, n))]
        if s3:
            sources.append(("s3", s3.directory, s3.location))
        for storage, folder, locate in sources:
            for name, size, created in list_dir(folder):
                location = locate(name)
                obj_name = resource_name(name, storage, location, created, name.endswith(".zip"))
                item = list_item(name, storage, location, size, created, s3.spec() if storage == "s3" else None)
                item["metadata"] = {
                    "name": obj_name,
                    "labels": {STORAGE_NODE: storage},
                    "annotations": {TOKEN_HASH: self.server.token_hash},
                }
                wanted[obj_name] = item
        try:
            storages = ",".join(sorted({node} | ({"s3"} if s3 else set())))
            existing = api.list(resource, None, f"{STORAGE_NODE} in ({storages})")[0]
            for obj in existing:
                if obj["metadata"]["name"] not in wanted:
                    api.delete(resource, None, obj["metadata"]["name"])
            for obj in wanted.values():
                api.apply_object(obj)
        except APIError as exc:
            logs.warning(f"Failed to reconcile ETCDSnapshotFile resources: {exc}")

    # -- requests from `k3s etcd-snapshot` -------------------------------------------------------------

    def handle(self, request, _user):
        if not self.server.datastore.embedded_etcd:
            return 500, APIError(500, "InternalError", DISABLED).status()
        request = request or {}
        operation = request.get("operation")
        names = request.get("name") or []
        directory = request.get("dir")
        s3_config = request.get("s3")
        if s3_config is None and self.server.options["etcd-s3"]:
            s3_config = S3.from_options(self.server.options).config
        retention = request.get("retention")
        if retention is None:
            retention = self.server.options["etcd-snapshot-retention"]
        compress = request.get("compress")
        if compress is None:
            compress = self.server.options["etcd-snapshot-compress"]
        try:
            if operation == "save":
                name = names[0] if names else self.server.options["etcd-snapshot-name"]
                return 200, self.save(name, directory, compress, retention, s3_config)
            if operation == "list":
                return 200, self.snapshot_list(directory, s3_config)
            if operation == "delete":
                return 200, self.delete(names, directory, s3_config)
            if operation == "prune":
                name = names[0] if names else self.server.options["etcd-snapshot-name"]
                return 200, self.prune(name, retention, directory, s3_config)
        except (SnapshotError, OSError) as exc:
            logs.warning(f"Error in etcd-snapshot handler: {exc}")
            return 500, APIError(500, "InternalError", str(exc)).status()
        return 400, APIError(400, "BadRequest", "invalid snapshot operation").status()

    # -- schedule ------------------------------------------------------------------------------------

    def run_schedule(self, stop, spec):
        schedule = cron.Schedule(spec)
        options = self.server.options
        s3_config = S3.from_options(options).config if options["etcd-s3"] else None
        while not stop.wait(1):
            now = time.time()
            if not schedule.due(now):
                continue
            schedule.mark(now)
            try:
                self.save(
                    options["etcd-snapshot-name"],
                    None,
                    options["etcd-snapshot-compress"],
                    options["etcd-snapshot-retention"],
                    s3_config,
                )
            except (SnapshotError, OSError) as exc:
                logs.error(f"Failed to take scheduled snapshot: {exc}")
