# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# The list shapes come from the k3s sources:
# - current (k3s v1.30 and later; later patch releases of older lines may print it too):
#   pkg/cli/etcdsnapshot/etcd_snapshot.go prints the ETCDSnapshotFileList of
#   pkg/etcd/snapshot.go ListSnapshots with the Kubernetes JSON printer; the item type is
#   ETCDSnapshotFile (spec: snapshotName, nodeName, location, metadata, s3; status: size as a
#   resource.Quantity, creationTime, readyToUse, error) from the k3s.cattle.io/v1 API types.
# - older (up to v1.29): json.Encoder output of the map[string]snapshotFile returned by
#   pkg/etcd/snapshot.go ListSnapshots (name, location, metadata, message in base64, nodeName,
#   createdAt, size, status, s3Config, compressed).
# tests/unit/fixtures/etcd_snapshot/README.md describes both for the k3s test double.

import json
import os

import pytest

from ansible_collections.homelab.k3s.plugins.module_utils.etcd_snapshot import (
    SnapshotListError,
    added,
    is_no_etcd_error,
    parse_quantity,
    parse_snapshot_list,
    parse_time,
    plan_prune,
    removed,
)
from ansible_collections.homelab.k3s.plugins.module_utils.k3s_cli import EtcdSnapshotCli, K3sCliError, s3_arguments

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "etcd_snapshot")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def snapshot(name, created, kind="local"):
    return {"name": name, "kind": kind, "created": created}


def test_current_list_local_and_s3():
    records = parse_snapshot_list(fixture("ls_current.json"))
    assert [(r["name"], r["kind"]) for r in records] == [
        ("on-demand-server-1-1717000000", "local"),
        ("etcd-snapshot-server-1-1717041600", "local"),
        ("etcd-snapshot-server-1-1717084800", "local"),
        ("etcd-snapshot-server-1-1717084800", "s3"),
        ("pre-upgrade-server-1-1717100000.zip", "local"),
    ]
    assert records[0] == {
        "name": "on-demand-server-1-1717000000",
        "kind": "local",
        "node": "server-1",
        "location": "file:///var/lib/rancher/k3s/server/db/snapshots/on-demand-server-1-1717000000",
        "size": 5976096,
        "created": "2024-05-29T16:26:40Z",
        "status": "successful",
        "message": None,
        "compressed": False,
        "s3": None,
    }
    s3 = records[3]
    assert s3["location"] == "s3://k3s-snapshots/homelab/etcd-snapshot-server-1-1717084800"
    assert s3["node"] == "server-1"
    assert s3["size"] == 6000000
    assert s3["s3"] == {
        "endpoint": "minio.home.arpa:9000",
        "bucket": "k3s-snapshots",
        "folder": "homelab",
        "region": "us-east-1",
        "insecure": False,
        "skip_ssl_verify": False,
        "endpoint_ca": None,
    }
    assert records[4]["compressed"] is True


def test_current_list_failed_snapshot():
    (record,) = parse_snapshot_list(fixture("ls_current_failed.json"))
    assert record["status"] == "failed"
    assert record["message"] == "failed to upload snapshot: The specified bucket does not exist"
    assert record["created"] == "2024-06-01T00:00:05Z"
    assert record["size"] is None
    assert record["kind"] == "s3"
    assert record["s3"]["insecure"] is True


def test_legacy_list():
    records = parse_snapshot_list(fixture("ls_legacy.json"))
    assert [(r["name"], r["kind"], r["node"], r["created"]) for r in records] == [
        ("on-demand-server-1-1700000000", "local", "server-1", "2023-11-14T22:13:20Z"),
        ("on-demand-server-1-1700000000", "s3", "s3", "2023-11-14T22:13:21Z"),
        ("etcd-snapshot-server-1-1700020800", "local", "server-1", "2023-11-15T04:00:00Z"),
    ]
    assert records[1]["location"] is None
    assert records[1]["s3"]["folder"] == "homelab"
    assert records[0]["size"] == 4206624


def test_legacy_failed_message_is_decoded():
    text = json.dumps(
        {
            "local-x-1": {
                "name": "x-1",
                "nodeName": "server-1",
                "createdAt": "2023-11-14T22:13:20Z",
                "status": "failed",
                "message": "ZGlzayBmdWxs",
                "compressed": False,
            }
        }
    )
    (record,) = parse_snapshot_list(text)
    assert (record["status"], record["message"], record["size"]) == ("failed", "disk full", None)


@pytest.mark.parametrize("text", ["{}", '{"kind": "List", "apiVersion": "v1", "metadata": {}, "items": null}', ""])
def test_empty_lists(text):
    assert parse_snapshot_list(text) == []


def test_text_before_the_document_is_skipped():
    text = "time=now level=info msg=hello\n" + fixture("ls_current.json")
    assert len(parse_snapshot_list(text)) == 5


@pytest.mark.parametrize(
    "text", ["[]", '{"a": 1}', "Name Location Size Created\n", '{"items": [{"status": {"size": "x"}}]}']
)
def test_unknown_output_is_an_error(text):
    with pytest.raises(SnapshotListError):
        parse_snapshot_list(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5976096", 5976096),
        ("6M", 6000000),
        ("3Mi", 3 * 1024 * 1024),
        ("1.5Gi", 1610612736),
        ("12k", 12000),
        ("1e3", 1000),
        ("2E", 2 * 10**18),
        (4206624, 4206624),
        (None, None),
        ("", None),
    ],
)
def test_quantities(value, expected):
    assert parse_quantity(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-29T16:26:40Z", "2024-05-29T16:26:40Z"),
        ("2024-05-29T18:26:40+02:00", "2024-05-29T16:26:40Z"),
        ("2024-05-29T16:26:40.123456789Z", "2024-05-29T16:26:40Z"),
        ("2024-05-29T11:26:40-0500", "2024-05-29T16:26:40Z"),
        (None, None),
    ],
)
def test_times_become_iso_8601_utc(value, expected):
    assert parse_time(value) == expected


def test_a_bad_time_is_an_error():
    with pytest.raises(SnapshotListError):
        parse_time("yesterday")


def test_prune_keeps_the_newest_of_the_prefix_per_storage():
    records = [
        snapshot("nightly-s1-100", "2024-01-01T00:01:40Z"),
        snapshot("nightly-s1-300", "2024-01-01T00:05:00Z"),
        snapshot("nightly-s1-200", "2024-01-01T00:03:20Z"),
        snapshot("nightly-s1-400", "2024-01-01T00:06:40Z"),
        snapshot("nightly-s1-100", "2024-01-01T00:01:40Z", kind="s3"),
        snapshot("nightly-s1-200", "2024-01-01T00:03:20Z", kind="s3"),
        snapshot("etcd-snapshot-s1-50", "2024-01-01T00:00:50Z"),
    ]
    doomed = plan_prune(records, "nightly", 2)
    assert [(r["name"], r["kind"]) for r in doomed] == [("nightly-s1-100", "local"), ("nightly-s1-200", "local")]
    assert {(r["name"], r["kind"]) for r in plan_prune(records, "nightly", 1)} == {
        ("nightly-s1-100", "local"),
        ("nightly-s1-200", "local"),
        ("nightly-s1-300", "local"),
        ("nightly-s1-100", "s3"),
    }
    assert plan_prune(records, "nightly", 5) == []
    assert plan_prune(records, "etcd-snapshot", 1) == []
    assert plan_prune(records, "nightly", 0) == []


def test_added_and_removed_tell_local_and_s3_apart():
    before = [snapshot("a", "t"), snapshot("b", "t")]
    after = [snapshot("b", "t"), snapshot("b", "t", kind="s3"), snapshot("c", "t")]
    assert added(before, after) == [after[1], after[2]]
    assert removed(before, after) == [before[0]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('level=fatal msg="Error: see server log for details: etcd datastore disabled"', True),
        ("FATA[0000] etcd database not found in /var/lib/rancher/k3s/server", True),
        ("dial tcp 127.0.0.1:6443: connect: connection refused", False),
    ],
)
def test_no_etcd_errors_are_recognised(text, expected):
    assert is_no_etcd_error(text) is expected


def test_s3_arguments_put_secrets_in_the_environment_only():
    flags, environment = s3_arguments(
        {
            "s3": True,
            "s3_endpoint": "minio:9000",
            "s3_bucket": "b",
            "s3_folder": None,
            "s3_region": "",
            "s3_endpoint_ca": "/etc/ssl/minio.pem",
            "s3_insecure": True,
            "s3_skip_ssl_verify": False,
            "s3_access_key": "AKIA+secret",
            "s3_secret_key": "s3cr%t/key",
        }
    )
    assert flags == [
        "--etcd-s3",
        "--etcd-s3-endpoint",
        "minio:9000",
        "--etcd-s3-endpoint-ca",
        "/etc/ssl/minio.pem",
        "--etcd-s3-bucket",
        "b",
        "--etcd-s3-insecure",
    ]
    assert environment == {"AWS_ACCESS_KEY_ID": "AKIA+secret", "AWS_SECRET_ACCESS_KEY": "s3cr%t/key"}


def test_s3_options_are_ignored_without_s3():
    assert s3_arguments({"s3": False, "s3_bucket": "b", "s3_access_key": "k"}) == ([], {})


class Recorder:
    def __init__(self, rc=0, out="{}", err=""):
        self.calls = []
        self.answer = (rc, out, err)

    def __call__(self, argv, environ_update=None):
        self.calls.append((argv, environ_update))
        return self.answer


def test_the_cli_puts_flags_before_the_snapshot_name():
    recorder = Recorder()
    cli = EtcdSnapshotCli(recorder, "/usr/local/bin/k3s", "/srv/k3s", {"s3": True, "s3_secret_key": "sk"})
    cli.delete("on-demand-server-1-1")
    cli.prune("nightly", 3)
    k3s = ["/usr/local/bin/k3s", "etcd-snapshot"]
    common = ["--data-dir", "/srv/k3s", "--etcd-s3"]
    assert recorder.calls == [
        ([*k3s, "delete", *common, "on-demand-server-1-1"], {"AWS_SECRET_ACCESS_KEY": "sk"}),
        ([*k3s, "prune", *common, "--name", "nightly", "--snapshot-retention", "3"], {"AWS_SECRET_ACCESS_KEY": "sk"}),
    ]


@pytest.mark.parametrize(
    ("err", "message"),
    [
        ('level=fatal msg="Error: see server log for details: etcd datastore disabled"', "does not use embedded etcd"),
        ("Get https://127.0.0.1:6443/db/snapshot: connect: connection refused", "Is k3s running"),
        ("open /var/lib/rancher/k3s/server/token: permission denied", "become"),
        ("WARN unknown flag\nlevel=fatal msg=boom", "failed (rc=1): level=fatal msg=boom."),
    ],
)
def test_cli_errors_say_what_to_do(err, message):
    cli = EtcdSnapshotCli(Recorder(rc=1, out="", err=err), "k3s")
    with pytest.raises(K3sCliError) as error:
        cli.list()
    assert message in str(error.value)
    assert error.value.rc == 1


def test_unreadable_list_output_is_a_cli_error():
    with pytest.raises(K3sCliError, match="Cannot read the snapshot list"):
        EtcdSnapshotCli(Recorder(out="Name Size Created\n"), "k3s").list()
