# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.filter.cluster_summary import cluster_summary

HOSTS = [
    {"host": "pi5-master", "role": "server", "address": "192.168.88.30", "node_name": "pi5-master"},
    {"host": "pi5-worker", "role": "agent", "address": "192.168.88.31", "node_name": "pi5-worker"},
    {"host": "pi4-worker", "role": "agent", "address": "192.168.88.32", "node_name": "raspberrypi"},
]
DOUBLE = "k3s version v1.31.4+k3s1 (testdouble)\ngo version go1.22.9 (homelab.k3s test double, not k3s: Python 3.11)"
REAL = "k3s version v1.31.4+k3s1 (a1b2c3d4e5)\ngo version go1.22.9"


def _node(name, address, ready=True, roles=(), version="v1.31.4+k3s1"):
    return {
        "metadata": {"name": name, "labels": {f"node-role.kubernetes.io/{r}": "true" for r in roles}},
        "status": {
            "addresses": [{"type": "InternalIP", "address": address}, {"type": "Hostname", "address": name}],
            "conditions": [{"type": "Ready", "status": "True" if ready else "Unknown"}],
            "nodeInfo": {"kubeletVersion": version},
        },
    }


def _list(*items):
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": list(items)})


def _ingress(*hosts, tls=()):
    spec = {"rules": [{"host": h} for h in hosts]}
    if tls:
        spec["tls"] = [{"hosts": list(tls), "secretName": "x-tls"}]
    return {"metadata": {"name": "x"}, "spec": spec}


NODES = _list(
    _node("pi5-master", "192.168.88.30", roles=("control-plane", "master")),
    _node("pi5-worker", "192.168.88.31", ready=False),
    _node("raspberrypi", "192.168.88.32"),
)


def test_table_joins_inventory_and_nodes():
    lines = cluster_summary(HOSTS, nodes=NODES, version=REAL, api_url="https://192.168.88.30:6443")
    assert lines[0] == "homelab.k3s cluster - 3 nodes (1 server, 2 agents), 2 Ready"
    assert lines[1].split() == ["HOST", "ROLE", "ADDRESS", "STATUS", "VERSION"]
    assert lines[2].split() == ["pi5-master", "server", "192.168.88.30", "Ready", "v1.31.4+k3s1"]
    assert lines[3].split() == ["pi5-worker", "agent", "192.168.88.31", "NotReady", "v1.31.4+k3s1"]
    assert lines[4].split() == [
        "pi4-worker",
        "(node",
        "raspberrypi)",
        "agent",
        "192.168.88.32",
        "Ready",
        "v1.31.4+k3s1",
    ]
    # the columns line up
    assert lines[2].index("server") == lines[1].index("ROLE") == lines[3].index("agent")
    assert "k3s         v1.31.4+k3s1 (commit a1b2c3d4), go version go1.22.9" in lines
    assert "api         https://192.168.88.30:6443" in lines


def test_cordoned_node_shows_scheduling_disabled():
    cordoned = _node("pi5-worker", "192.168.88.31")
    cordoned["spec"] = {"unschedulable": True}
    nodes = _list(_node("pi5-master", "192.168.88.30", roles=("control-plane",)), cordoned)
    lines = cluster_summary(HOSTS[:2], nodes=nodes, version=REAL)
    assert lines[0] == "homelab.k3s cluster - 2 nodes (1 server, 1 agent), 2 Ready, 1 cordoned"
    assert lines[3].split()[3] == "Ready,SchedulingDisabled"
    assert lines[2].split()[3] == "Ready"


def test_nodes_matched_by_address_and_strangers_listed():
    hosts = [{"host": "vm1", "role": "server", "address": "10.0.0.5", "node_name": "vm1"}]
    nodes = _list(_node("k3s-master-1", "10.0.0.5", roles=("control-plane",)), _node("old", "10.0.0.9"))
    lines = cluster_summary(hosts, nodes=nodes, version=REAL)
    assert lines[2].split()[:4] == ["vm1", "(node", "k3s-master-1)", "server"]
    assert lines[3].split() == ["old", "(not", "in", "inventory)", "agent", "10.0.0.9", "Ready", "v1.31.4+k3s1"]
    assert lines[0].startswith("homelab.k3s cluster - 2 nodes (1 server, 1 agent), 2 Ready")


def test_host_missing_from_cluster_is_not_joined():
    lines = cluster_summary(HOSTS[:2], nodes=_list(_node("pi5-master", "192.168.88.30")), version=REAL)
    assert lines[3].split() == ["pi5-worker", "agent", "192.168.88.31", "not-joined", "-"]


def test_unreadable_cluster():
    lines = cluster_summary(HOSTS, nodes="", version="")
    assert lines[0].endswith("not readable (k3s not running yet, or check mode)")
    assert [line.split()[3] for line in lines[2:5]] == ["unknown"] * 3
    assert "k3s         not installed on the first server (or not readable)" in lines
    assert "kubeconfig  not written (server_kubeconfig_fetch is false)" in lines


def test_build_line_is_shown_as_printed():
    # What the binary says of itself reaches the summary unchanged: the filter knows of no particular build.
    lines = cluster_summary(HOSTS, nodes=NODES, version=DOUBLE)
    build = "go version go1.22.9 (homelab.k3s test double, not k3s, Python 3.11)"
    assert f"k3s         v1.31.4+k3s1 (commit testdoub), {build}" in lines
    lines = cluster_summary(HOSTS, nodes=NODES, version="k3s version v1.31.4+k3s1 (a1b2c3d4e5)")
    assert "k3s         v1.31.4+k3s1 (commit a1b2c3d4)" in lines


def test_app_urls_and_kubeconfig():
    ingresses = json.dumps(
        {"items": [_ingress("grafana.k3s.local", tls=["grafana.k3s.local"]), _ingress("whoami.k3s.local")]}
    )
    lines = cluster_summary(
        HOSTS, nodes=NODES, ingresses=ingresses, kubeconfig="/home/me/.kube/config", context="homelab"
    )
    assert "apps        https://grafana.k3s.local http://whoami.k3s.local" in lines
    assert "kubeconfig  /home/me/.kube/config (context homelab)" in lines


def test_no_apps():
    assert cluster_summary(HOSTS, nodes=NODES, ingresses=_list())[-1].startswith("apps        none with an ingress")


def test_lines_stay_plain_yaml():
    lines = cluster_summary(HOSTS, nodes=NODES, version=DOUBLE, api_url="https://[fd00::1]:6443")
    assert not [line for line in lines if ": " in line or line.startswith(" ")]


@pytest.mark.parametrize(
    ("hosts", "kwargs", "message"),
    [
        ({"host": "x"}, {}, "must be a list"),
        ([{"role": "server"}], {}, "must be a list"),
        (HOSTS, {"nodes": "{not json"}, "nodes is not JSON"),
        (HOSTS, {"nodes": {"kind": "Node"}}, "kubectl JSON list"),
        (HOSTS, {"ingresses": "[]"}, "ingresses must be a kubectl JSON list"),
    ],
)
def test_bad_input(hosts, kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message):
        cluster_summary(hosts, **kwargs)
