# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A revisioned key-value store on SQLite, shaped like the etcd keyspace the apiserver writes to.

Every committed change bumps one revision counter; each key remembers the revision that created and last
modified it (`mod_rev` is the object's resourceVersion). Changes are lists of operations committed
atomically, each optionally guarded by the modification revision it expects (0: the key must not exist).
"""

import json
import os
import sqlite3
import threading

SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY, value TEXT NOT NULL, create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Conflict(Exception):
    """An operation's expected revision did not match the stored one."""

    def __init__(self, key, expected, actual):
        super().__init__(f"{key}: expected revision {expected}, found {actual}")
        self.key = key
        self.expected = expected
        self.actual = actual


class Store:
    def __init__(self, path):
        self.path = path
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.RLock()
        with self._connect() as conn:
            conn.executescript(SCHEMA)
        os.chmod(path, 0o600)

    def _connect(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    def close(self):
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _revision(self, conn):
        row = conn.execute("SELECT value FROM meta WHERE name='revision'").fetchone()
        return int(row[0]) if row else 0

    def revision(self):
        return self._revision(self._connect())

    def get(self, key):
        """(value, mod_rev, create_rev) or None."""
        row = self._connect().execute("SELECT value, mod_rev, create_rev FROM kv WHERE key=?", (key,)).fetchone()
        return (json.loads(row[0]), row[1], row[2]) if row else None

    def list(self, prefix):
        """[(key, value, mod_rev, create_rev)] of the keys starting with prefix, sorted by key."""
        rows = self._connect().execute(
            "SELECT key, value, mod_rev, create_rev FROM kv WHERE key >= ? AND key < ? ORDER BY key",
            (prefix, prefix + "\uffff"),
        )
        return [(key, json.loads(value), mod, create) for key, value, mod, create in rows]

    def check(self, ops):
        """Raise Conflict if an operation's expected revision does not hold now."""
        conn = self._connect()
        for op in ops:
            self._check(conn, op)

    def _check(self, conn, op):
        expect = op.get("expect")
        if expect is None:
            return
        row = conn.execute("SELECT mod_rev FROM kv WHERE key=?", (op["key"],)).fetchone()
        actual = row[0] if row else 0
        if actual != expect:
            raise Conflict(op["key"], expect, actual)

    def commit(self, ops, revision=None):
        """Apply ops atomically at the next revision (or at `revision` when replaying); returns it."""
        with self._lock:
            conn = self._connect()
            conn.execute("BEGIN IMMEDIATE")
            try:
                current = self._revision(conn)
                if revision is not None and revision <= current:
                    conn.execute("ROLLBACK")
                    return current
                for op in ops:
                    self._check(conn, op)
                new = revision if revision is not None else current + 1
                for op in ops:
                    if op["op"] == "put":
                        conn.execute(
                            "INSERT INTO kv (key, value, create_rev, mod_rev) VALUES (?, ?, ?, ?) "
                            "ON CONFLICT(key) DO UPDATE SET value=excluded.value, mod_rev=excluded.mod_rev",
                            (op["key"], json.dumps(op["value"], sort_keys=True), new, new),
                        )
                    else:
                        conn.execute("DELETE FROM kv WHERE key=?", (op["key"],))
                conn.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('revision', ?)", (str(new),))
                conn.execute("COMMIT")
                return new
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def dump(self):
        conn = self._connect()
        rows = conn.execute("SELECT key, value, create_rev, mod_rev FROM kv ORDER BY key").fetchall()
        return {"revision": self._revision(conn), "kv": [[k, json.loads(v), c, m] for k, v, c, m in rows]}

    def load(self, dump):
        """Replace the whole content with a dump."""
        with self._lock:
            conn = self._connect()
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("DELETE FROM kv")
                conn.executemany(
                    "INSERT INTO kv (key, value, create_rev, mod_rev) VALUES (?, ?, ?, ?)",
                    [(k, json.dumps(v, sort_keys=True), c, m) for k, v, c, m in dump["kv"]],
                )
                conn.execute(
                    "INSERT OR REPLACE INTO meta (name, value) VALUES ('revision', ?)", (str(dump["revision"]),)
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
