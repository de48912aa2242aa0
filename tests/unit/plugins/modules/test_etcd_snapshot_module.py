# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# End to end against fake_k3s.py, a stand-in for `k3s etcd-snapshot` that prints the list
# shapes described in tests/unit/fixtures/etcd_snapshot/README.md.

import json

import pytest
from snapshot_args import S3, args

from ansible_collections.homelab.k3s.plugins.modules import etcd_snapshot


def keys(records):
    return sorted((record["kind"], record["name"]) for record in records)


def seed_nightlies(fake, count, kinds=("local",)):
    for index in range(count):
        for kind in kinds:
            fake.add(f"nightly-server-1-{1716000000 + index * 3600}", 1716000000 + index * 3600, kind=kind)


@pytest.mark.parametrize("shape", ["current", "legacy"])
def test_absent_reads_both_list_shapes(run_module, fake_k3s, shape):
    fake_k3s.state["format"] = shape
    fake_k3s.save_state()
    fake_k3s.add("on-demand-server-1-1717000000", 1717000000)
    fake_k3s.add("etcd-snapshot-server-1-1716000000", 1716000000)
    result = run_module(etcd_snapshot, args(fake_k3s, state="absent", name="etcd-snapshot-server-1-1716000000"))
    assert result["changed"]
    record = result["removed"][0]
    assert (record["kind"], record["node"], record["size"], record["created"]) == (
        "local",
        "server-1",
        5976096,
        "2024-05-18T02:40:00Z",
    )
    assert [r["name"] for r in result["snapshots"]] == ["on-demand-server-1-1717000000"]


def test_listing_is_left_to_the_info_module(run_module, fake_k3s):
    result = run_module(etcd_snapshot, args(fake_k3s, state="list"))
    assert result["failed"]
    assert "state" in result["msg"]
    assert fake_k3s.calls() == []


def test_present_saves_a_snapshot_and_returns_it(run_module, fake_k3s):
    fake_k3s.add("pre-upgrade-server-1-1716000000", 1716000000)
    result = run_module(etcd_snapshot, args(fake_k3s, name="pre-upgrade"))
    assert result["changed"]
    assert result["snapshot"]["name"] == "pre-upgrade-server-1-1717000060"
    assert result["snapshot"]["created"] == "2024-05-29T16:27:40Z"
    assert [r["name"] for r in result["snapshots"]] == ["pre-upgrade-server-1-1717000060"]
    assert fake_k3s.subcommands() == ["ls", "save", "ls"]
    assert fake_k3s.calls()[1]["argv"][-2:] == ["--name", "pre-upgrade"]
    assert fake_k3s.names() == ["pre-upgrade-server-1-1716000000", "pre-upgrade-server-1-1717000060"]


def test_present_defaults_to_on_demand(run_module, fake_k3s):
    result = run_module(etcd_snapshot, args(fake_k3s))
    assert result["snapshot"]["name"] == "on-demand-server-1-1717000060"


def test_present_in_check_mode_saves_nothing(run_module, fake_k3s):
    result = run_module(etcd_snapshot, args(fake_k3s, name="pre-upgrade"), check_mode=True)
    assert result["changed"]
    assert result["snapshots"] == []
    assert "snapshot" not in result
    assert fake_k3s.subcommands() == ["ls"]
    assert fake_k3s.names() == []


def test_present_with_s3_passes_flags_and_keeps_secrets_out_of_argv_and_result(run_module, fake_k3s):
    result = run_module(etcd_snapshot, args(fake_k3s, name="nightly", **S3))
    assert [r["kind"] for r in result["snapshots"]] == ["local", "s3"]
    assert result["snapshot"]["kind"] == "local"
    assert result["snapshots"][1]["s3"]["bucket"] == "k3s-snapshots"
    save = fake_k3s.calls()[1]
    assert save["argv"][:2] == ["etcd-snapshot", "save"]
    for flag, value in [
        ("--etcd-s3-endpoint", "minio.home.arpa:9000"),
        ("--etcd-s3-bucket", "k3s-snapshots"),
        ("--etcd-s3-folder", "homelab"),
    ]:
        assert save["argv"][save["argv"].index(flag) + 1] == value
    assert "--etcd-s3" in save["argv"]
    assert (save["access_key"], save["secret_key"]) == (S3["s3_access_key"], S3["s3_secret_key"])
    for secret in (S3["s3_access_key"], S3["s3_secret_key"]):
        assert all(secret not in json.dumps(call["argv"]) for call in fake_k3s.calls())
        assert secret not in json.dumps(result)


def test_s3_credentials_fall_back_to_the_aws_environment(run_module, fake_k3s, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-env-access")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "from-env-secret")
    run_module(etcd_snapshot, args(fake_k3s, state="absent", name="x", s3=True, s3_bucket="b"))
    call = fake_k3s.calls()[0]
    assert (call["access_key"], call["secret_key"]) == ("from-env-access", "from-env-secret")
    assert "from-env-secret" not in json.dumps(call["argv"])


def test_absent_deletes_an_existing_snapshot(run_module, fake_k3s):
    fake_k3s.add("on-demand-server-1-1716000000", 1716000000)
    fake_k3s.add("on-demand-server-1-1716003600", 1716003600)
    result = run_module(etcd_snapshot, args(fake_k3s, state="absent", name="on-demand-server-1-1716000000"))
    assert result["changed"]
    assert [r["name"] for r in result["removed"]] == ["on-demand-server-1-1716000000"]
    assert [r["name"] for r in result["snapshots"]] == ["on-demand-server-1-1716003600"]
    assert fake_k3s.subcommands() == ["ls", "delete", "ls"]
    assert fake_k3s.calls()[1]["argv"][-1] == "on-demand-server-1-1716000000"
    assert fake_k3s.names() == ["on-demand-server-1-1716003600"]


def test_absent_of_a_missing_snapshot_changes_nothing(run_module, fake_k3s):
    fake_k3s.add("on-demand-server-1-1716003600", 1716003600)
    result = run_module(etcd_snapshot, args(fake_k3s, state="absent", name="on-demand-server-1-1716000000"))
    assert not result["changed"]
    assert result["removed"] == []
    assert fake_k3s.subcommands() == ["ls"]


def test_absent_in_check_mode_reports_an_existing_snapshot(run_module, fake_k3s):
    fake_k3s.add("on-demand-server-1-1716000000", 1716000000)
    result = run_module(
        etcd_snapshot, args(fake_k3s, state="absent", name="on-demand-server-1-1716000000"), check_mode=True
    )
    assert result["changed"]
    assert [r["name"] for r in result["removed"]] == ["on-demand-server-1-1716000000"]
    assert result["snapshots"] == []
    assert fake_k3s.names() == ["on-demand-server-1-1716000000"]


def test_absent_needs_a_name(run_module, fake_k3s):
    result = run_module(etcd_snapshot, args(fake_k3s, state="absent"))
    assert result["failed"]
    assert "name" in result["msg"]


def test_pruned_keeps_the_newest_and_reports_what_went(run_module, fake_k3s):
    seed_nightlies(fake_k3s, 7)
    fake_k3s.add("on-demand-server-1-1700000000", 1700000000)
    result = run_module(etcd_snapshot, args(fake_k3s, state="pruned", name="nightly", retention=3))
    assert result["changed"]
    assert [r["name"] for r in result["removed"]] == [f"nightly-server-1-{1716000000 + i * 3600}" for i in range(4)]
    assert fake_k3s.names() == [f"nightly-server-1-{1716000000 + i * 3600}" for i in range(4, 7)] + [
        "on-demand-server-1-1700000000"
    ]
    prune = fake_k3s.calls()[1]["argv"]
    assert prune[-4:] == ["--name", "nightly", "--snapshot-retention", "3"]
    again = run_module(etcd_snapshot, args(fake_k3s, state="pruned", name="nightly", retention=3))
    assert not again["changed"]
    assert again["removed"] == []


@pytest.mark.parametrize("kinds", [("local",), ("local", "s3")])
def test_pruned_check_mode_predicts_the_real_prune(run_module, fake_k3s, kinds):
    seed_nightlies(fake_k3s, 6, kinds=kinds)
    extra = S3 if "s3" in kinds else {}
    prune_args = args(fake_k3s, state="pruned", name="nightly", retention=2, **extra)
    predicted = run_module(etcd_snapshot, prune_args, check_mode=True)
    assert predicted["changed"]
    assert "prune" not in fake_k3s.subcommands()
    assert len(fake_k3s.load_state()["snapshots"]) == 6 * len(kinds)
    done = run_module(etcd_snapshot, prune_args)
    assert keys(predicted["removed"]) == keys(done["removed"])
    assert keys(predicted["snapshots"]) == keys(done["snapshots"])
    assert len(done["removed"]) == 4 * len(kinds)


def test_pruned_with_nothing_to_remove_is_unchanged_in_check_mode(run_module, fake_k3s):
    seed_nightlies(fake_k3s, 2)
    result = run_module(etcd_snapshot, args(fake_k3s, state="pruned", name="nightly"), check_mode=True)
    assert not result["changed"]
    assert result["removed"] == []


def test_sqlite_servers_get_a_clear_error(run_module, fake_k3s):
    fake_k3s.state["datastore"] = "sqlite"
    fake_k3s.save_state()
    for state in ("present", "absent", "pruned"):
        result = run_module(etcd_snapshot, args(fake_k3s, state=state, name="x"))
        assert result["failed"]
        assert result["msg"].startswith("this server does not use embedded etcd")
    assert set(fake_k3s.subcommands()) == {"ls"}


def test_a_missing_binary_fails(run_module, tmp_path):
    result = run_module(etcd_snapshot, {"k3s_bin": str(tmp_path / "k3s"), "state": "pruned"})
    assert result["failed"]
    assert "install k3s first" in result["msg"]


@pytest.mark.parametrize(("state", "changed"), [("present", True), ("pruned", False), ("absent", False)])
def test_a_missing_binary_in_check_mode_means_no_snapshots(run_module, tmp_path, state, changed):
    result = run_module(etcd_snapshot, {"k3s_bin": str(tmp_path / "k3s"), "state": state, "name": "x"}, check_mode=True)
    assert not result.get("failed")
    assert result["changed"] is changed
    assert result["snapshots"] == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"state": "pruned", "retention": 0}, "retention must be 1 or more"),
        ({"state": "absent", "name": "../../etc/passwd"}, "without '/'"),
        ({"state": "present", "name": " "}, "snapshot name"),
    ],
)
def test_bad_input_fails_before_running_k3s(run_module, fake_k3s, extra, message):
    result = run_module(etcd_snapshot, args(fake_k3s, **extra))
    assert result["failed"]
    assert message in result["msg"]
    assert fake_k3s.calls() == []
