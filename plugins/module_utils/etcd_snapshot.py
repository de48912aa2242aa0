# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the output of ``k3s etcd-snapshot ls -o json`` into plain records, and plan a prune.

Two shapes exist. Current k3s prints a ``List`` of ``ETCDSnapshotFile`` objects::

    {"kind": "List", "apiVersion": "v1", "metadata": {}, "items": [
        {"kind": "ETCDSnapshotFile", "apiVersion": "k3s.cattle.io/v1", "metadata": {"name": ...},
         "spec": {"snapshotName", "nodeName", "location", "metadata"?, "s3"?},
         "status": {"size": "<quantity>", "creationTime", "readyToUse", "error"?: {"time", "message"}}}]}

Older releases print an object keyed by ``local-<name>`` / ``s3-<name>`` whose values are
``{"name", "location", "nodeName", "createdAt", "size": <int>, "status", "message"?: <base64>,
"s3Config"?, "compressed"}``. Both become the same record; see RECORD_FIELDS.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime, timezone

RECORD_FIELDS = ("name", "kind", "node", "location", "size", "created", "status", "message", "compressed", "s3")
COMPRESSED_SUFFIX = ".zip"

_QUANTITY = re.compile(r"\A([+-]?[0-9.]+)([eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE])?\Z")
_QUANTITY_FACTORS = {
    None: 1,
    "n": 10**-9,
    "u": 10**-6,
    "m": 10**-3,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}
_TIME = re.compile(r"\A(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?\Z")
_NO_ETCD = ("etcd datastore disabled", "etcd database not found", "managed etcd database not found")


class SnapshotListError(ValueError):
    """The list output has an unknown shape."""


def parse_quantity(value):
    """Return the number of bytes of a Kubernetes quantity (``"5976096"``, ``"12M"``, ``"3Mi"``) or int."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise SnapshotListError(f"size {value!r} is not a quantity")
    if isinstance(value, (int, float)):
        return int(value)
    match = _QUANTITY.match(str(value).strip())
    if not match:
        raise SnapshotListError(f"size {value!r} is not a quantity")
    number, suffix = match.groups()
    if suffix in _QUANTITY_FACTORS:
        return round(float(number) * _QUANTITY_FACTORS[suffix])
    return round(float(number + suffix))  # decimal exponent, e.g. 6e6


def parse_time(value):
    """Return an RFC 3339 / ISO 8601 time as ``YYYY-MM-DDTHH:MM:SSZ`` in UTC, or None."""
    if not value:
        return None
    match = _TIME.match(str(value).strip())
    if not match:
        raise SnapshotListError(f"time {value!r} is not an RFC 3339 time")
    day, clock, _fraction, zone = match.groups()
    if zone in (None, "Z"):
        zone = "+00:00"
    elif ":" not in zone:
        zone = zone[:3] + ":" + zone[3:]
    moment = datetime.strptime(f"{day}T{clock}{zone.replace(':', '')}", "%Y-%m-%dT%H:%M:%S%z")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _decode_base64(text):
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return text


def _s3_details(s3):
    if not s3:
        return None
    return {
        "endpoint": s3.get("endpoint"),
        "bucket": s3.get("bucket"),
        "folder": s3.get("prefix", s3.get("folder")),
        "region": s3.get("region"),
        "insecure": bool(s3.get("insecure")),
        "skip_ssl_verify": bool(s3.get("skipSSLVerify")),
        "endpoint_ca": s3.get("endpointCA"),
    }


def _record(name, node, location, size, created, status, message, s3):
    return {
        "name": name,
        "kind": "s3" if s3 is not None or node == "s3" else "local",
        "node": node,
        "location": location,
        "size": parse_quantity(size),
        "created": parse_time(created),
        "status": status,
        "message": message,
        "compressed": name.endswith(COMPRESSED_SUFFIX),
        "s3": _s3_details(s3),
    }


def _from_snapshot_file(item):
    spec = item.get("spec") or {}
    status = item.get("status") or {}
    error = status.get("error") or {}
    ready = status.get("readyToUse")
    return _record(
        name=spec.get("snapshotName") or (item.get("metadata") or {}).get("name"),
        node=spec.get("nodeName"),
        location=spec.get("location"),
        size=status.get("size"),
        created=error.get("time") or status.get("creationTime"),
        status=None if ready is None else ("successful" if ready else "failed"),
        message=error.get("message"),
        s3=spec.get("s3"),
    )


def _from_legacy_file(item):
    return _record(
        name=item["name"],
        node=item.get("nodeName"),
        location=item.get("location"),
        size=item.get("size"),
        created=item.get("createdAt"),
        status=item.get("status"),
        message=_decode_base64(item["message"]) if item.get("message") else None,
        s3=item.get("s3Config"),
    )


def _load(text):
    text = (text or "").strip()
    try:
        return json.loads(text) if text else {}
    except ValueError:
        # tolerate lines a k3s wrapper may print before the document
        start = text.find("{")
        try:
            return json.loads(text[start:]) if start >= 0 else None
        except ValueError:
            return None


def sort_records(records):
    """Oldest first, by creation time and then name: the order k3s lists them in."""
    return sorted(records, key=lambda record: (record["created"] or "", record["name"]))


def parse_snapshot_list(text):
    """Return the records of either list shape, oldest first."""
    data = _load(text)
    if not isinstance(data, dict):
        raise SnapshotListError("the output of 'k3s etcd-snapshot ls -o json' is not a JSON object")
    if "items" in data or data.get("kind") == "List":
        items = data.get("items") or []
        records = [_from_snapshot_file(item) for item in items if isinstance(item, dict)]
    elif all(isinstance(value, dict) and "name" in value for value in data.values()):
        records = [_from_legacy_file(value) for value in data.values()]
    else:
        raise SnapshotListError("the output of 'k3s etcd-snapshot ls -o json' has an unknown shape")
    return sort_records(records)


def record_key(record):
    return (record["kind"], record["name"])


def added(before, after):
    keys = {record_key(record) for record in before}
    return [record for record in after if record_key(record) not in keys]


def removed(before, after):
    keys = {record_key(record) for record in after}
    return [record for record in before if record_key(record) not in keys]


def plan_prune(records, prefix, retention):
    """Return the records k3s would remove: per kind, all but the newest retention with the prefix.

    k3s sorts newest first by the creation time (for S3 by the object's modification time,
    which the list does not show; the creation time stands in for it).
    """
    if retention < 1:
        return []
    doomed = []
    for kind in ("local", "s3"):
        matching = [r for r in records if r["kind"] == kind and r["name"].startswith(prefix)]
        matching.sort(key=lambda record: (record["created"] or "", record["name"]), reverse=True)
        doomed.extend(matching[retention:])
    return sort_records(doomed)


def is_no_etcd_error(text):
    lowered = (text or "").lower()
    return any(marker in lowered for marker in _NO_ETCD)
