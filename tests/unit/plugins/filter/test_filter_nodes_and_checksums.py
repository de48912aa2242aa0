# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.filter.node_status import node_status
from ansible_collections.homelab.k3s.plugins.filter.sha256sum_entry import sha256sum_entry


def _node(name, ready, labels=None, taints=None):
    return {
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"taints": taints} if taints else {},
        "status": {"conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": ready}]},
    }


NODES = {
    "apiVersion": "v1",
    "kind": "List",
    "items": [
        _node("worker1", "False", {"tier": "edge"}),
        _node(
            "server1",
            "True",
            {"node-role.kubernetes.io/control-plane": "true", "node-role.kubernetes.io/master": "true"},
            [
                {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"},
                {"key": "dedicated", "value": "db", "effect": "NoExecute"},
            ],
        ),
        _node("worker2", "Unknown"),
    ],
}


def test_node_status_from_json_text_is_sorted_with_readiness_taints_and_roles():
    nodes = node_status(json.dumps(NODES))
    assert [n["name"] for n in nodes] == ["server1", "worker1", "worker2"]
    server = nodes[0]
    assert server["ready"] is True
    assert server["roles"] == ["control-plane", "master"]
    assert server["taints"] == ["node-role.kubernetes.io/control-plane:NoSchedule", "dedicated=db:NoExecute"]
    assert nodes[1] == {
        "name": "worker1",
        "ready": False,
        "labels": {"tier": "edge"},
        "taints": [],
        "roles": [],
        "version": "",
    }
    assert nodes[2]["ready"] is False


def test_node_status_names_the_kubelet_version():
    node = _node("server1", "True")
    node["status"]["nodeInfo"] = {"kubeletVersion": "v1.36.4+k3s1"}
    assert node_status({"items": [node]})[0]["version"] == "v1.36.4+k3s1"


def test_node_status_accepts_parsed_data_and_an_empty_cluster():
    assert node_status({"items": []}) == []


@pytest.mark.parametrize("bad", ["The connection to the server was refused", "{}", "[]"])
def test_node_status_rejects_other_output(bad):
    with pytest.raises(AnsibleFilterError, match="kubectl get nodes -o json"):
        node_status(bad)


SUMS = (
    "0b1e" + "0" * 60 + "  k3s\n"
    "AB12" + "f" * 60 + " *k3s-arm64\n"
    "1234" + "e" * 60 + "  k3s-airgap-images-amd64.tar.zst\n"
    "nonsense line\n"
    "nothex  k3s-armhf\n"
)


def test_sha256sum_entry_finds_exact_names_in_text_or_binary_mode():
    assert sha256sum_entry(SUMS, "k3s") == "0b1e" + "0" * 60
    assert sha256sum_entry(SUMS, "k3s-arm64") == "ab12" + "f" * 60
    assert sha256sum_entry("abcd" + "0" * 60 + "  dist/artifacts/k3s\n", "k3s") == "abcd" + "0" * 60


def test_sha256sum_entry_fails_for_missing_or_malformed_entries():
    with pytest.raises(AnsibleFilterError, match="k3s-s390x is not listed"):
        sha256sum_entry(SUMS, "k3s-s390x")
    with pytest.raises(AnsibleFilterError, match="listed for k3s-armhf is not a sha256"):
        sha256sum_entry(SUMS, "k3s-armhf")
