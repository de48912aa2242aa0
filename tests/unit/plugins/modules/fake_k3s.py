# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tiny stand-in for ``k3s etcd-snapshot``; the tests copy it next to a state.json and run it.

state.json: {"node", "clock", "datastore": "etcd"|"sqlite", "format": "current"|"legacy",
"snapshots": [{"name", "kind": "local"|"s3", "ts", "size"}]}. Every call is appended to
calls.jsonl with its argv and whether the S3 credentials came in the environment.
"""

import json
import os
import sys
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
STATE = os.path.join(HERE, "state.json")
CALLS = os.path.join(HERE, "calls.jsonl")
VALUE_FLAGS = {
    "--data-dir",
    "--name",
    "--snapshot-retention",
    "--output",
    "--etcd-s3-endpoint",
    "--etcd-s3-endpoint-ca",
    "--etcd-s3-bucket",
    "--etcd-s3-folder",
    "--etcd-s3-region",
}


def parse(argv):
    flags, positional, index = {}, [], 0
    while index < len(argv):
        argument = argv[index]
        if argument in VALUE_FLAGS:
            flags[argument] = argv[index + 1]
            index += 2
        elif argument.startswith("--"):
            flags[argument] = True
            index += 1
        else:
            positional.append(argument)
            index += 1
    return flags, positional


def rfc3339(ts):
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def location(snapshot):
    if snapshot["kind"] == "s3":
        return "s3://k3s-snapshots/homelab/" + snapshot["name"]
    return "file:///var/lib/rancher/k3s/server/db/snapshots/" + snapshot["name"]


def current_item(snapshot, node):
    spec = {"snapshotName": snapshot["name"], "nodeName": node, "location": location(snapshot)}
    if snapshot["kind"] == "s3":
        spec["s3"] = {"endpoint": "minio.home.arpa:9000", "bucket": "k3s-snapshots", "prefix": "homelab"}
    return {
        "kind": "ETCDSnapshotFile",
        "apiVersion": "k3s.cattle.io/v1",
        "metadata": {"name": snapshot["kind"] + "-" + snapshot["name"]},
        "spec": spec,
        "status": {"size": str(snapshot["size"]), "creationTime": rfc3339(snapshot["ts"]), "readyToUse": True},
    }


def legacy_item(snapshot, node):
    item = {
        "name": snapshot["name"],
        "nodeName": "s3" if snapshot["kind"] == "s3" else node,
        "createdAt": rfc3339(snapshot["ts"]),
        "size": snapshot["size"],
        "status": "successful",
        "compressed": False,
    }
    if snapshot["kind"] == "s3":
        item["s3Config"] = {"bucket": "k3s-snapshots", "folder": "homelab"}
    else:
        item["location"] = location(snapshot)
    return item


def visible(state, flags):
    return [s for s in state["snapshots"] if s["kind"] == "local" or "--etcd-s3" in flags]


def print_list(state, flags):
    snapshots = sorted(visible(state, flags), key=lambda s: (s["ts"], s["name"]))
    if state.get("format") == "legacy":
        body = {s["kind"] + "-" + s["name"]: legacy_item(s, state["node"]) for s in snapshots}
        sys.stdout.write(json.dumps(body) + "\n")
    else:
        items = [current_item(s, state["node"]) for s in snapshots]
        body = {"kind": "List", "apiVersion": "v1", "metadata": {}, "items": items}
        sys.stdout.write(json.dumps(body, indent=4) + "\n")


def main():
    with open(STATE) as handle:
        state = json.load(handle)
    flags, positional = parse(sys.argv[3:])
    with open(CALLS, "a") as handle:
        record = {
            "argv": sys.argv[1:],
            "access_key": os.environ.get("AWS_ACCESS_KEY_ID"),
            "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY"),
        }
        handle.write(json.dumps(record) + "\n")
    if state.get("datastore") == "sqlite":
        sys.stderr.write('level=fatal msg="Error: see server log for details: etcd datastore disabled"\n')
        return 1
    sys.stderr.write('level=warning msg="Unknown flag --token found in config.yaml, skipping"\n')
    command = sys.argv[2]
    kinds = ["local", "s3"] if "--etcd-s3" in flags else ["local"]
    if command == "ls":
        print_list(state, flags)
    elif command == "save":
        state["clock"] += 60
        name = "{}-{}-{}".format(flags.get("--name", "on-demand"), state["node"], state["clock"])
        for kind in kinds:
            state["snapshots"].append({"name": name, "kind": kind, "ts": state["clock"], "size": 5976096})
        sys.stderr.write(f'level=info msg="Snapshot {name} saved."\n')
    elif command == "delete":
        for name in positional:
            before = len(state["snapshots"])
            state["snapshots"] = [s for s in state["snapshots"] if not (s["name"] == name and s["kind"] in kinds)]
            if len(state["snapshots"]) == before:
                sys.stderr.write(f'level=warning msg="Snapshot {name} not found."\n')
    elif command == "prune":
        prefix, keep = flags.get("--name", "on-demand"), int(flags.get("--snapshot-retention", 5))
        for kind in kinds:
            matching = [s for s in state["snapshots"] if s["kind"] == kind and s["name"].startswith(prefix)]
            matching.sort(key=lambda s: s["ts"], reverse=True)
            for snapshot in matching[keep:]:
                state["snapshots"].remove(snapshot)
    else:
        sys.stderr.write(f"unknown command {command}\n")
        return 2
    with open(STATE, "w") as handle:
        json.dump(state, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
