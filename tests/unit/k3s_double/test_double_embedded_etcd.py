# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Three servers on embedded etcd: quorum, resync, snapshots, member removal and restore, as real processes."""

import base64
import json
import os
import re
import shutil
import ssl
import urllib.request

import pytest
import yaml

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: default\ndata:\n  k: v\n"


@pytest.fixture(scope="module")
def ha(cluster_factory, tmp_path_factory):
    cluster = cluster_factory()
    cluster.s3 = str(tmp_path_factory.mktemp("s3"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("K3S_DOUBLE_S3_DIR", cluster.s3)
        cluster.server("s1", "--cluster-init", "--token", "hasecret", "--etcd-disable-snapshots")
        url = cluster.url("s1")
        for name in ("s2", "s3"):
            cluster.server(name, "--server", url, "--token", "hasecret", "--etcd-disable-snapshots")
        yield cluster


def process(cluster, name):
    return next(p for p in reversed(cluster.processes) if p.args[p.args.index("--node-name") + 1] == name)


def apply_configmap(cluster, server, name):
    return cluster.kubectl(server, "apply", "-f", "-", stdin=CONFIGMAP.format(name=name))


def has_configmap(cluster, server, name):
    return cluster.kubectl(server, "get", "configmap", name).returncode == 0


def members(cluster, server):
    """Node names of the etcd members, from the server's peer status endpoint."""
    request = urllib.request.Request(cluster.url(server) + "/v1-k3s/double/db/status")
    request.add_header("Authorization", "Basic " + base64.b64encode(b"server:hasecret").decode())
    context = ssl.create_default_context(cafile=cluster.path(server, "server", "tls", "server-ca.crt"))
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        return sorted(m["nodeName"] for m in json.loads(response.read())["members"])


def test_servers_share_the_cluster_ca_and_become_etcd_members(ha):
    tokens = {ha.token(name) for name in ("s1", "s2", "s3")}
    assert len(tokens) == 1
    assert members(ha, "s3") == ["s1", "s2", "s3"]
    for name in ("s1", "s2", "s3"):
        assert os.path.isfile(ha.path(name, "server", "db", "etcd", "name"))
    nodes = ha.kubectl_json("s3", "get", "nodes")
    roles = {n["metadata"]["name"]: n["metadata"]["labels"].get("node-role.kubernetes.io/etcd") for n in nodes["items"]}
    assert roles == {"s1": "true", "s2": "true", "s3": "true"}
    config = yaml.safe_load(open(ha.kubeconfig("s3")))  # noqa: SIM115
    config["clusters"][0]["cluster"]["server"] = ha.url("s1")
    with open(ha.path("cross.yaml"), "w", encoding="utf-8") as handle:
        yaml.safe_dump(config, handle)
    assert ha.kubectl("cross", "get", "nodes").returncode == 0


def test_writes_survive_one_member_down_and_the_member_resyncs(ha):
    assert apply_configmap(ha, "s2", "one").returncode == 0
    ha.wait_until(lambda: has_configmap(ha, "s3", "one"))
    s1 = process(ha, "s1")
    s1.stop()
    written = apply_configmap(ha, "s2", "two")
    assert written.returncode == 0, written.stderr
    assert has_configmap(ha, "s3", "two")
    ha.start(s1.args[1:], "s1")
    ha.wait_until(lambda: has_configmap(ha, "s1", "two"))


def test_writes_need_a_quorum_but_reads_do_not(ha):
    s2, s3 = process(ha, "s2"), process(ha, "s3")
    s2.stop()
    s3.stop()
    refused = apply_configmap(ha, "s1", "three")
    assert refused.returncode == 1
    assert "no quorum of etcd members is reachable" in refused.stderr
    assert has_configmap(ha, "s1", "two")
    ha.start(s2.args[1:], "s2")
    ha.start(s3.args[1:], "s3")
    assert apply_configmap(ha, "s1", "three").returncode == 0


def test_snapshot_save_list_prune_and_delete(ha):
    saved = ha.snapshot("s1", "save", "--name", "demo")
    assert saved.returncode == 0, saved.stderr
    first = re.search(r'msg="Snapshot (demo-s1-\d+) saved\."', saved.stderr).group(1)
    path = ha.path("s1", "server", "db", "snapshots", first)
    assert os.path.isfile(path)
    table = ha.snapshot("s1", "ls").stdout.splitlines()
    assert table[0].split() == ["Name", "Location", "Size", "Created"]
    assert table[1].split()[:3] == [first, f"file://{path}", str(os.path.getsize(path))]
    listing = json.loads(ha.snapshot("s1", "ls", "-o", "json").stdout)
    assert list(listing) == ["kind", "apiVersion", "metadata", "items"]
    assert (listing["kind"], listing["apiVersion"], listing["metadata"]) == ("List", "v1", {})
    item = listing["items"][0]
    assert item["kind"] == "ETCDSnapshotFile" and item["apiVersion"] == "k3s.cattle.io/v1"
    assert item["metadata"] == {
        "name": f"local-{first}",
        "creationTimestamp": None,
        "labels": {"etcd.k3s.cattle.io/snapshot-storage-node": "s1"},
    }
    assert item["spec"] == {"snapshotName": first, "nodeName": "s1", "location": f"file://{path}"}
    assert item["status"]["size"] == str(os.path.getsize(path)) and item["status"]["readyToUse"] is True
    assert yaml.safe_load(ha.snapshot("s1", "ls", "-o", "yaml").stdout)["items"][0]["spec"]["snapshotName"] == first
    files = ha.kubectl_json("s1", "get", "etcdsnapshotfiles")["items"]
    assert [f["spec"]["snapshotName"] for f in files] == [first]
    assert files[0]["metadata"]["name"].startswith(f"local-{first}-")
    s3_args = ["--s3", "--s3-bucket", "backups", "--s3-folder", "k3s"]
    assert ha.snapshot("s1", "save", "--name", "demo", "--snapshot-compress", *s3_args).returncode == 0
    s3_files = os.listdir(os.path.join(ha.s3, "backups", "k3s"))
    assert len(s3_files) == 1 and s3_files[0].endswith(".zip")
    s3_list = json.loads(ha.snapshot("s1", "ls", "-o", "json", *s3_args).stdout)["items"]
    assert {i["spec"]["nodeName"] for i in s3_list} == {"s1", "s3"}
    pruned = ha.snapshot("s1", "prune", "--name", "demo", "--snapshot-retention", "1")
    assert f"Snapshot {first} deleted." in pruned.stderr
    remaining = [i["spec"]["snapshotName"] for i in json.loads(ha.snapshot("s1", "ls", "-o", "json").stdout)["items"]]
    assert remaining == s3_files
    deleted = ha.snapshot("s1", "delete", remaining[0], "nothing-here")
    assert f"Snapshot {remaining[0]} deleted." in deleted.stderr
    assert "Snapshot nothing-here not found." in deleted.stderr
    assert json.loads(ha.snapshot("s1", "ls", "-o", "json").stdout)["items"] is None
    bad = ha.snapshot("s1", "ls", "-o", "xml")
    assert bad.returncode == 1 and "invalid output format: xml" in bad.stderr


def test_deleting_a_server_node_removes_its_etcd_member(ha):
    s3 = process(ha, "s3")
    assert ha.kubectl("s1", "delete", "node", "s3").stdout == 'node "s3" deleted\n'
    assert s3.proc.wait(timeout=20) == 1
    assert "not a member of the etcd cluster" in s3.output()
    assert members(ha, "s1") == ["s1", "s2"]
    refused = ha.run(*s3.args[1:])
    assert refused.returncode == 1
    assert "is not part of the etcd cluster" in refused.stderr
    shutil.rmtree(ha.path("s3", "server", "db"))
    ha.start(s3.args[1:], "s3")
    assert members(ha, "s1") == ["s1", "s2", "s3"]


def test_restore_from_a_snapshot_resets_the_cluster(ha):
    assert apply_configmap(ha, "s1", "before").returncode == 0
    saved = ha.snapshot("s1", "save", "--name", "restore")
    name = re.search(r'msg="Snapshot (restore-s1-\d+) saved\."', saved.stderr).group(1)
    snapshot = ha.path("s1", "server", "db", "snapshots", name)
    assert apply_configmap(ha, "s1", "after").returncode == 0
    servers = {name: process(ha, name) for name in ("s1", "s2", "s3")}
    for proc in servers.values():
        proc.stop()
    reset = ha.run(*servers["s1"].args[1:], "--cluster-reset", f"--cluster-reset-restore-path={snapshot}", timeout=60)
    assert reset.returncode == 0, reset.stderr
    assert "Managed etcd cluster membership has been reset, restart without --cluster-reset flag now" in reset.stderr
    again = ha.run(*servers["s1"].args[1:], "--cluster-reset", timeout=60)
    assert again.returncode == 1 and "cluster-reset was successfully performed" in again.stderr
    ha.start(servers["s1"].args[1:], "s1")
    assert has_configmap(ha, "s1", "before")
    assert not has_configmap(ha, "s1", "after")
    assert members(ha, "s1") == ["s1"]
    stale = ha.run(*servers["s2"].args[1:])
    assert stale.returncode == 1
    assert "cluster ID mismatch" in stale.stderr
    shutil.rmtree(ha.path("s2", "server", "db"))
    ha.start(servers["s2"].args[1:], "s2")
    assert members(ha, "s1") == ["s1", "s2"]


def test_joining_server_waits_for_an_unreachable_cluster_and_stops_on_sigterm(cluster_factory):
    cluster = cluster_factory()
    args = cluster.server_args("late", "--server", "https://127.0.0.1:1", "--token", "t")
    late = cluster.start(args, "late", wait=None)
    cluster.wait_until(lambda: late.output().count("failed to get CA certs") >= 2, timeout=15)
    assert late.stop() == 1
    assert "Received SIGTERM, shutting down" in late.output()


def test_scheduled_snapshots_keep_the_retention(cluster_factory):
    cluster = cluster_factory()
    cluster.server(
        "solo", "--cluster-init", "--etcd-snapshot-schedule-cron", "@every 1s", "--etcd-snapshot-retention", "2"
    )
    directory = cluster.path("solo", "server", "db", "snapshots")

    def scheduled():
        return sorted(n for n in os.listdir(directory) if n.startswith("etcd-snapshot-solo-"))

    cluster.wait_until(lambda: len(scheduled()) == 2, timeout=15)
    first = scheduled()
    cluster.wait_until(lambda: scheduled() != first, timeout=15)
    assert len(scheduled()) == 2


def test_servers_can_share_an_external_sqlite_datastore(cluster_factory):
    cluster = cluster_factory()
    shared = "sqlite://" + cluster.path("shared.db")
    cluster.server("x1", "--datastore-endpoint", shared, "--token", "ext")
    cluster.server("x2", "--datastore-endpoint", shared, "--token", "ext")
    assert cluster.token("x1") == cluster.token("x2")
    names = cluster.kubectl("x2", "get", "nodes", "-o", "jsonpath={.items[*].metadata.name}").stdout
    assert names == "x1 x2"
    refused = cluster.snapshot("x1", "save")
    assert "etcd datastore disabled" in refused.stderr
