# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# End to end against fake_k3s.py (the list shapes of tests/unit/fixtures/etcd_snapshot/README.md),
# and against the fixtures themselves: the real `k3s etcd-snapshot ls -o json` formats.

import json
import os
import stat
import sys
from unittest import mock

import pytest
from ansible.module_utils.basic import AnsibleModule
from snapshot_args import S3, args

from ansible_collections.homelab.k3s.plugins.modules import etcd_snapshot_info


def printing_k3s(directory, fixture_file):
    """A k3s that prints a fixture for `etcd-snapshot ls` and a log line on stderr."""
    binary = directory / "k3s-printing"
    binary.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        "sys.stderr.write('level=info msg=\"Managed etcd cluster\"\\n')\n"
        f"sys.stdout.write(open({str(fixture_file)!r}).read())\n"
    )
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    return str(binary)


@pytest.mark.parametrize("shape", ["current", "legacy"])
def test_lists_structured_records_oldest_first(run_module, fake_k3s, shape):
    fake_k3s.state["format"] = shape
    fake_k3s.save_state()
    fake_k3s.add("on-demand-server-1-1717000000", 1717000000)
    fake_k3s.add("etcd-snapshot-server-1-1716000000", 1716000000)
    result = run_module(etcd_snapshot_info, args(fake_k3s))
    assert result["changed"] is False
    assert [r["name"] for r in result["snapshots"]] == [
        "etcd-snapshot-server-1-1716000000",
        "on-demand-server-1-1717000000",
    ]
    record = result["snapshots"][1]
    assert (record["kind"], record["node"], record["size"], record["created"], record["compressed"]) == (
        "local",
        "server-1",
        5976096,
        "2024-05-29T16:26:40Z",
        False,
    )
    assert record["location"] == "file:///var/lib/rancher/k3s/server/db/snapshots/on-demand-server-1-1717000000"
    assert fake_k3s.calls()[0]["argv"] == ["etcd-snapshot", "ls", "--output", "json"]


def test_filters_by_name_prefix(run_module, fake_k3s):
    fake_k3s.add("on-demand-server-1-1717000000", 1717000000)
    fake_k3s.add("etcd-snapshot-server-1-1716000000", 1716000000)
    result = run_module(etcd_snapshot_info, args(fake_k3s, name="on-demand"))
    assert [r["name"] for r in result["snapshots"]] == ["on-demand-server-1-1717000000"]


def test_filters_by_kind_and_passes_s3_flags_without_secrets_in_argv(run_module, fake_k3s):
    fake_k3s.add("nightly-server-1-1716000000", 1716000000, kind="local")
    fake_k3s.add("nightly-server-1-1716000000", 1716000000, kind="s3")
    result = run_module(etcd_snapshot_info, args(fake_k3s, kind="s3", **S3))
    assert [(r["kind"], r["name"]) for r in result["snapshots"]] == [("s3", "nightly-server-1-1716000000")]
    assert result["snapshots"][0]["s3"]["bucket"] == "k3s-snapshots"
    call = fake_k3s.calls()[0]
    assert "--etcd-s3" in call["argv"]
    assert call["argv"][call["argv"].index("--etcd-s3-bucket") + 1] == "k3s-snapshots"
    assert (call["access_key"], call["secret_key"]) == (S3["s3_access_key"], S3["s3_secret_key"])
    for secret in (S3["s3_access_key"], S3["s3_secret_key"]):
        assert secret not in json.dumps(call["argv"])
        assert secret not in json.dumps(result)


def test_without_s3_the_bucket_is_not_asked(run_module, fake_k3s):
    fake_k3s.add("nightly-server-1-1716000000", 1716000000, kind="s3")
    result = run_module(etcd_snapshot_info, args(fake_k3s, s3_bucket="ignored-without-s3"))
    assert result["snapshots"] == []
    assert "--etcd-s3" not in fake_k3s.calls()[0]["argv"]
    assert "--etcd-s3-bucket" not in fake_k3s.calls()[0]["argv"]


def test_passes_the_data_dir(run_module, fake_k3s):
    run_module(etcd_snapshot_info, args(fake_k3s, data_dir="/srv/k3s"))
    argv = fake_k3s.calls()[0]["argv"]
    assert argv[argv.index("--data-dir") + 1] == "/srv/k3s"


def test_empty_list(run_module, fake_k3s):
    result = run_module(etcd_snapshot_info, args(fake_k3s))
    assert (result["changed"], result["snapshots"]) == (False, [])


def test_check_mode_lists_the_same(run_module, fake_k3s):
    fake_k3s.add("on-demand-server-1-1717000000", 1717000000)
    result = run_module(etcd_snapshot_info, args(fake_k3s), check_mode=True)
    assert [r["name"] for r in result["snapshots"]] == ["on-demand-server-1-1717000000"]
    assert fake_k3s.subcommands() == ["ls"]


@pytest.mark.parametrize(
    ("fixture_file", "expected"),
    [
        (
            "ls_current.json",
            {"count": 5, "kinds": {"local", "s3"}, "compressed": True, "failed": False},
        ),
        ("ls_current_failed.json", {"count": None, "kinds": None, "compressed": None, "failed": True}),
        ("ls_legacy.json", {"count": None, "kinds": {"local", "s3"}, "compressed": None, "failed": None}),
    ],
)
def test_reads_the_real_list_formats(run_module, tmp_path, fixture_path, fixture_file, expected):
    binary = printing_k3s(tmp_path, fixture_path("etcd_snapshot", fixture_file))
    result = run_module(etcd_snapshot_info, {"k3s_bin": binary})
    snapshots = result["snapshots"]
    assert snapshots, result
    assert [r["created"] for r in snapshots] == sorted(r["created"] for r in snapshots)
    for record in snapshots:
        assert set(record) == {
            "name",
            "kind",
            "node",
            "location",
            "size",
            "created",
            "status",
            "message",
            "compressed",
            "s3",
        }
        assert isinstance(record["size"], int) or record["status"] == "failed"
        assert record["created"].endswith("Z")
        assert (record["s3"] is None) == (record["kind"] == "local")
    if expected["count"] is not None:
        assert len(snapshots) == expected["count"]
    if expected["kinds"] is not None:
        assert {r["kind"] for r in snapshots} == expected["kinds"]
    if expected["compressed"] is not None:
        assert any(r["compressed"] for r in snapshots) is expected["compressed"]
    if expected["failed"] is not None:
        assert any(r["status"] == "failed" for r in snapshots) is expected["failed"]


def test_sqlite_servers_get_a_clear_error(run_module, fake_k3s):
    fake_k3s.state["datastore"] = "sqlite"
    fake_k3s.save_state()
    result = run_module(etcd_snapshot_info, args(fake_k3s))
    assert result["failed"]
    assert result["msg"].startswith("this server does not use embedded etcd")


def test_a_missing_binary_fails(run_module, tmp_path):
    result = run_module(etcd_snapshot_info, {"k3s_bin": str(tmp_path / "k3s")})
    assert result["failed"]
    assert "install k3s first" in result["msg"]


def test_a_missing_binary_in_check_mode_means_no_snapshots(run_module, tmp_path):
    # Warning output depends on process-wide state other tests change: watch the call itself.
    with mock.patch.object(AnsibleModule, "warn") as warn:
        result = run_module(etcd_snapshot_info, {"k3s_bin": str(tmp_path / "k3s")}, check_mode=True)
    assert not result.get("failed")
    assert result["snapshots"] == []
    assert any("does not exist" in call.args[0] for call in warn.call_args_list)


def test_an_unknown_kind_is_refused(run_module, fake_k3s):
    result = run_module(etcd_snapshot_info, args(fake_k3s, kind="nfs"))
    assert result["failed"]
    assert "kind" in result["msg"]
    assert not os.path.exists(fake_k3s.directory / "calls.jsonl")
