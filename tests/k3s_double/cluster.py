# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Datastores behind the API: SQLite (kine's default) and the embedded-etcd stand-in.

The embedded etcd is emulated by servers that each keep a full copy of the store and replicate writes
to each other over their HTTPS port. The reachable member with the lowest name leads: it checks a
write's preconditions, gives it the next revision and sends it to every reachable member; a write is
accepted only when a majority of members hold it. Reads are served from the local copy. A member that
was down catches up by taking a full copy from a member with a higher revision.
"""

import json
import secrets
import threading
import time

from k3s_double import httpclient, logs
from k3s_double.api import Unavailable
from k3s_double.store import Conflict

MEMBERS_KEY = "/k3s-double/etcd/members"
CLUSTER_KEY = "/k3s-double/etcd/cluster"
PEER_PATH = "/v1-k3s/double/db"
PEER_TIMEOUT = 3
NO_QUORUM = "etcdserver: request timed out, no quorum of etcd members is reachable"


class MemberConflict(Exception):
    """A joining member clashes with an existing one."""


class LocalDatastore:
    """Every server reads and writes one SQLite file (local, or shared through --datastore-endpoint)."""

    embedded_etcd = False

    def __init__(self, store):
        self.store = store

    def get(self, key):
        return self.store.get(key)

    def list(self, prefix):
        return self.store.list(prefix)

    def revision(self):
        return self.store.revision()

    def commit(self, ops):
        return self.store.commit(ops)


def new_cluster_id():
    return secrets.token_hex(8)


def new_member_name(node_name):
    return f"{node_name}-{secrets.token_hex(4)}"


class EtcdDatastore(LocalDatastore):
    embedded_etcd = True

    def __init__(self, store, member_name, peer_url):
        super().__init__(store)
        self.name = member_name
        self.peer_url = peer_url
        self._cacerts = None
        self._pool = None
        self.auth = None
        self._lead_lock = threading.RLock()
        self._alive = {}
        self.on_removed = None

    @property
    def cacerts(self):
        return self._cacerts

    @cacerts.setter
    def cacerts(self, value):
        self._cacerts = value
        self._pool = httpclient.Pool(httpclient.ca_context(value), PEER_TIMEOUT) if value else None

    # -- membership ----------------------------------------------------------------------------------

    def members(self):
        found = self.store.get(MEMBERS_KEY)
        return found[0] if found else []

    def cluster_id(self):
        found = self.store.get(CLUSTER_KEY)
        return found[0]["id"] if found else ""

    def initialize(self, node_name):
        """Start a new cluster with this server as its only member (--cluster-init, --cluster-reset)."""
        cluster = {"id": new_cluster_id()}
        member = {"name": self.name, "peerURL": self.peer_url, "nodeName": node_name}
        ops = [
            {"op": "put", "key": CLUSTER_KEY, "value": cluster},
            {"op": "put", "key": MEMBERS_KEY, "value": [member]},
        ]
        self.store.commit(ops)
        return cluster["id"]

    def join_ops(self, member):
        """Add a member; a stale member of the same node (rejoining with a wiped datastore) is replaced."""
        members = []
        for existing in self.members():
            if existing["nodeName"] == member["nodeName"] or existing["name"] == member["name"]:
                continue
            if existing["peerURL"] == member["peerURL"]:
                raise MemberConflict(f"etcdserver: Peer URLs already exists: {member['peerURL']}")
            members.append(existing)
        return [{"op": "put", "key": MEMBERS_KEY, "value": [*members, member]}]

    def removal_ops(self, node_name):
        members = self.members()
        kept = [m for m in members if m.get("nodeName") != node_name]
        if len(kept) == len(members):
            return []
        logs.info(f"Removing name={node_name} from etcd cluster")
        return [{"op": "put", "key": MEMBERS_KEY, "value": kept}]

    # -- peers ---------------------------------------------------------------------------------------

    def _call(self, member, method, path, body=None):
        url = member["peerURL"].rstrip("/") + PEER_PATH + path
        data = self._pool.checked(url, method, body, self.auth)
        return json.loads(data) if data else None

    def peer_statuses(self):
        """{member name: status or None} for the other members."""
        result = {}
        for member in self.members():
            if member["name"] == self.name:
                continue
            try:
                result[member["name"]] = self._call(member, "GET", "/status")
            except (httpclient.RequestError, OSError, ValueError):
                result[member["name"]] = None
            self._alive[member["name"]] = (time.monotonic(), result[member["name"]] is not None)
        return result

    def status(self):
        return {
            "name": self.name,
            "revision": self.store.revision(),
            "clusterID": self.cluster_id(),
            "members": self.members(),
        }

    def _is_alive(self, member):
        if member["name"] == self.name:
            return True
        checked, alive = self._alive.get(member["name"], (0, False))
        if time.monotonic() - checked < 1:
            return alive
        try:
            self._call(member, "GET", "/status")
            alive = True
        except (httpclient.RequestError, OSError, ValueError):
            alive = False
        self._alive[member["name"]] = (time.monotonic(), alive)
        return alive

    def _pull(self, member):
        dump = self._call(member, "GET", "/dump")
        self.store.load(dump)
        logs.info(f"Synced the datastore from etcd member {member['name']} at revision {dump['revision']}")

    # -- writes --------------------------------------------------------------------------------------

    def commit(self, ops):
        tried = set()
        while True:
            candidates = [m for m in sorted(self.members(), key=lambda m: m["name"]) if m["name"] not in tried]
            if not candidates:
                raise Unavailable(NO_QUORUM)
            leader = next((m for m in candidates if self._is_alive(m)), None)
            if leader is None:
                raise Unavailable(NO_QUORUM)
            if leader["name"] == self.name:
                return self.lead(ops)
            try:
                return self._call(leader, "POST", "/propose", {"ops": ops})["revision"]
            except httpclient.RequestError as exc:
                if exc.status == 409:
                    detail = json.loads(exc.body)
                    raise Conflict(detail["key"], detail["expected"], detail["actual"]) from exc
                if exc.status == 503:
                    raise Unavailable(exc.api_message()) from exc
                self._alive[leader["name"]] = (time.monotonic(), False)
                tried.add(leader["name"])

    def lead(self, ops):
        with self._lead_lock:
            members = self.members()
            quorum = len(members) // 2 + 1
            statuses = self.peer_statuses()
            reachable = [m for m in members if statuses.get(m["name"])]
            if 1 + len(reachable) < quorum:
                raise Unavailable(NO_QUORUM)
            ahead = [m for m in reachable if statuses[m["name"]]["revision"] > self.store.revision()]
            if ahead:
                self._pull(max(ahead, key=lambda m: statuses[m["name"]]["revision"]))
            self.store.check(ops)
            revision = self.store.commit(ops, revision=self.store.revision() + 1)
            acks = 1
            entry = {"clusterID": self.cluster_id(), "revision": revision, "ops": ops}
            for member in reachable:
                if self._replicate(member, entry):
                    acks += 1
            if acks < quorum:
                raise Unavailable(NO_QUORUM)
            return revision

    def _replicate(self, member, entry):
        try:
            answer = self._call(member, "POST", "/append", entry)
            if answer.get("needDump"):
                self._call(member, "POST", "/load", {"clusterID": entry["clusterID"], "dump": self.store.dump()})
            return True
        except (httpclient.RequestError, OSError, ValueError) as exc:
            logs.warning(f"Failed to replicate revision {entry['revision']} to etcd member {member['name']}: {exc}")
            return False

    # -- requests from peers -------------------------------------------------------------------------

    def on_append(self, entry):
        if entry["clusterID"] != self.cluster_id():
            return 409, {"error": "cluster ID mismatch"}
        current = self.store.revision()
        if entry["revision"] <= current:
            return 200, {"ok": True}
        if entry["revision"] != current + 1:
            return 200, {"needDump": True}
        try:
            self.store.commit(entry["ops"], revision=entry["revision"])
        except Conflict:
            return 200, {"needDump": True}
        return 200, {"ok": True}

    def on_load(self, body):
        if body["clusterID"] != self.cluster_id():
            return 409, {"error": "cluster ID mismatch"}
        self.store.load(body["dump"])
        return 200, {"ok": True}

    def on_propose(self, body):
        try:
            return 200, {"revision": self.lead(body["ops"])}
        except Conflict as exc:
            return 409, {"key": exc.key, "expected": exc.expected, "actual": exc.actual}
        except Unavailable as exc:
            return 503, {"kind": "Status", "message": str(exc)}

    # -- background sync -----------------------------------------------------------------------------

    def sync_once(self):
        """Catch up with a member that is ahead; notice when this member was removed."""
        members = self.members()
        if members and not any(m["name"] == self.name for m in members):
            if self.on_removed:
                self.on_removed()
            return
        statuses = self.peer_statuses()
        mine = self.cluster_id()
        same = [m for m in members if statuses.get(m["name"]) and statuses[m["name"]]["clusterID"] == mine]
        ahead = [m for m in same if statuses[m["name"]]["revision"] > self.store.revision()]
        if ahead:
            with self._lead_lock:
                self._pull(max(ahead, key=lambda m: statuses[m["name"]]["revision"]))

    def run_sync(self, stop, interval=2.0):
        while not stop.wait(interval):
            try:
                self.sync_once()
            except (httpclient.RequestError, OSError, ValueError, KeyError) as exc:
                logs.debug(f"etcd member sync: {exc}")
