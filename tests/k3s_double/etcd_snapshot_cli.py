# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`k3s etcd-snapshot save|ls|delete|prune`: requests to the running server's /db/snapshot endpoint,
authenticated with the server token, printed the way k3s prints them.
"""

import datetime
import json
import os
import sys

from k3s_double import datadir, goyaml, httpclient, logs, tokens
from k3s_double.logs import Fatal

FORMATS = ("json", "yaml", "table")
TIMEOUT = 120


def _token(options):
    if options["etcd-token"]:
        return options["etcd-token"]
    path = os.path.join(datadir.data_dir(options["data-dir"]), "server", "token")
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().rstrip("\n")
    except OSError as exc:
        raise Fatal(f"Error: open {path}: {exc.strerror.lower()}") from exc


def _s3_request(options):
    if not options["s3"]:
        return None
    return {
        "accessKey": options["s3-access-key"],
        "bucket": options["s3-bucket"],
        "configSecret": options["s3-config-secret"],
        "endpoint": options["s3-endpoint"],
        "endpointCA": options["s3-endpoint-ca"],
        "folder": options["s3-folder"],
        "insecure": options["s3-insecure"],
        "proxy": options["s3-proxy"],
        "region": options["s3-region"],
        "secretKey": options["s3-secret-key"],
        "skipSSLVerify": options["s3-skip-ssl-verify"],
        "timeout": options["s3-timeout"],
    }


def _request(options, operation, names=None, retention_zero=False):
    body = {"operation": operation}
    if names:
        body["name"] = names
    if options.is_set("dir"):
        body["dir"] = options["dir"]
    if options.is_set("snapshot-compress"):
        body["compress"] = options["snapshot-compress"]
    if retention_zero:
        body["retention"] = 0
    elif options.is_set("snapshot-retention"):
        body["retention"] = options["snapshot-retention"]
    s3 = _s3_request(options)
    if s3:
        body["s3"] = s3
    try:
        supervisor = httpclient.Supervisor(options["etcd-server"], _token(options), "server").connect()
    except (httpclient.RequestError, tokens.TokenError) as exc:
        raise Fatal(f"Error: {exc}") from exc
    try:
        return supervisor.call("POST", "/db/snapshot", body, timeout=TIMEOUT)
    except httpclient.RequestError as exc:
        if exc.status is None:
            raise Fatal(f"Error: see server log for details: {exc}") from exc
        raise Fatal(f"Error: see server log for details: {exc.api_message()}") from exc


def _created(item):
    return item.get("status", {}).get("creationTime") or ""


def _local_rfc3339(text):
    moment = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone().isoformat().replace("+00:00", "Z")


def _table(items):
    rows = [("Name", "Location", "Size", "Created")]
    for item in items:
        spec, status = item["spec"], item["status"]
        rows.append((spec["snapshotName"], spec["location"], status.get("size", "0"), _local_rfc3339(_created(item))))
    widths = [max(len(row[i]) for row in rows) + 1 for i in range(3)]
    return "".join("".join(c.ljust(w) for c, w in zip(row[:3], widths)) + row[3] + "\n" for row in rows)


def save(options):
    if options.args:
        raise Fatal("Error: this command does not take any arguments")
    result = _request(options, "save", [options["name"]], retention_zero=True)
    for name in result.get("created") or []:
        logs.info(f"Snapshot {name} saved.")
    return 0


def delete(options):
    if not options.args:
        raise Fatal("Error: no snapshots given for removal")
    result = _request(options, "delete", list(options.args))
    deleted = result.get("deleted") or []
    for name in deleted:
        logs.info(f"Snapshot {name} deleted.")
    for name in options.args:
        if name not in deleted:
            logs.warning(f"Snapshot {name} not found.")
    return 0


def prune(options):
    result = _request(options, "prune", [options["name"]])
    for name in result.get("deleted") or []:
        logs.info(f"Snapshot {name} deleted.")
    return 0


def list_snapshots(options):
    output = (options["output"] or "").lower()
    if output and output not in FORMATS:
        raise Fatal(f"Error: invalid output format: {options['output']}")
    result = _request(options, "list")
    items = sorted(result.get("items") or [], key=lambda i: (_created(i), i["spec"]["snapshotName"]))
    result["items"] = items or None
    if output == "json":
        sys.stdout.write(json.dumps(result, indent=4, ensure_ascii=False) + "\n")
    elif output == "yaml":
        sys.stdout.write(goyaml.dump(result))
    else:
        sys.stdout.write(_table(items))
    return 0


COMMANDS = {
    "save": save,
    "delete": delete,
    "ls": list_snapshots,
    "list": list_snapshots,
    "l": list_snapshots,
    "prune": prune,
}
