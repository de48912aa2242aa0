# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Watch (`?watch=1` on a list path): a stream of `{"type": ..., "object": ...}` events, one JSON object a
line, as the kube-apiserver sends them (https://kubernetes.io/docs/reference/using-api/api-concepts/
#efficient-detection-of-changes).

The double has no event log: a watch lists the objects every POLL seconds and sends what changed since the
last list, so several changes to one object between two lists arrive as one MODIFIED event. What the start
sends follows the resourceVersion semantics of a watch: without `resourceVersion` (or with "0") an ADDED
event for every object first; with one, the objects changed since that revision (ADDED when created since,
MODIFIED otherwise). `sendInitialEvents=true` sends every object as ADDED and then a BOOKMARK annotated
`k8s.io/initial-events-end: "true"` (the streaming list of KEP-3157, which client-go's reflectors ask for).
The stream ends after `timeoutSeconds` (default MAX_SECONDS) or when the client goes.
"""

import time

POLL = 0.5
MAX_SECONDS = 1800


def _key(obj):
    meta = obj.get("metadata", {})
    return (meta.get("namespace") or "", meta.get("name") or "")


def _revision(obj):
    try:
        return int(obj.get("metadata", {}).get("resourceVersion") or 0)
    except ValueError:
        return 0


def events(list_items, query, created_revision, type_meta, stop=None):
    """Yield watch events; list_items() -> (items, revision); created_revision(obj) -> int; type_meta is the
    `kind` and `apiVersion` of the objects (for bookmarks).

    `stop()` returning true ends the stream early (the server shutting down)."""
    try:
        timeout = min(float(query.get("timeoutSeconds") or MAX_SECONDS), MAX_SECONDS)
    except ValueError:
        timeout = MAX_SECONDS
    deadline = time.monotonic() + timeout
    items, revision = list_items()
    seen = {_key(obj): obj for obj in items}
    since = query.get("resourceVersion") or ""
    initial = query.get("sendInitialEvents") == "true"
    if initial or since in ("", "0"):
        for obj in items:
            yield {"type": "ADDED", "object": obj}
        if initial and query.get("allowWatchBookmarks") == "true":
            yield _bookmark(type_meta, revision)
    else:
        try:
            start = int(since)
        except ValueError:
            start = revision
        for obj in items:
            if _revision(obj) > start:
                yield {"type": "ADDED" if created_revision(obj) > start else "MODIFIED", "object": obj}
    while time.monotonic() < deadline and not (stop and stop()):
        time.sleep(POLL)
        items, revision = list_items()
        current = {_key(obj): obj for obj in items}
        for key, obj in current.items():
            before = seen.get(key)
            if before is None:
                yield {"type": "ADDED", "object": obj}
            elif before != obj:
                yield {"type": "MODIFIED", "object": obj}
        for key, obj in seen.items():
            if key not in current:
                gone = dict(obj, metadata=dict(obj.get("metadata", {}), resourceVersion=str(revision)))
                yield {"type": "DELETED", "object": gone}
        seen = current


def _bookmark(type_meta, revision):
    meta = {"resourceVersion": str(revision), "annotations": {"k8s.io/initial-events-end": "true"}}
    return {"type": "BOOKMARK", "object": dict(type_meta, metadata=meta)}
