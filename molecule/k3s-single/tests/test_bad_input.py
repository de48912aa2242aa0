# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input is rejected before anything changes, with a message that says what to fix."""

import json
import os

import pytest
from cluster import AGENTS, FIRST_SERVER, SERVERS, playbook, variables

pytestmark = pytest.mark.skipif(
    os.environ.get("MOLECULE_SCENARIO_NAME") != "k3s-single", reason="run once, in the k3s-single scenario"
)


def assert_rejected(rc, output, recap, message, hosts):
    assert rc != 0, output[-3000:]
    assert message in " ".join(output.split()), output[-3000:]
    for host in hosts:
        changed, failed = recap[host]
        assert (changed, failed) == (0, 1), f"{host}: changed={changed} failed={failed}\n{output[-3000:]}"


def test_a_second_server_with_embedded_etcd_beside_a_sqlite_server(tmp_path):
    """What the servers hold is read first: a SQLite server is never moved to etcd in place."""
    extra = tmp_path / "two_servers.yml"
    extra.write_text(json.dumps({"server": {"hosts": {AGENTS[0]: {}}}}))
    rc, output, recap = playbook(
        "--tags", "server", "--limit", "server", "-e", "server_datastore=etcd", extra_inventory=extra
    )
    assert_rejected(
        rc, output, recap, f"{FIRST_SERVER} holds a SQLite datastore but server_datastore is etcd", [FIRST_SERVER]
    )
    assert "Nothing was changed." in output
    assert recap[AGENTS[0]][0] == 0, output[-3000:]


def test_overlapping_networks():
    first_octet = variables(FIRST_SERVER)["ansible_host"].split(".")[0]
    cluster, service = f"{first_octet}.0.0.0/8", f"{first_octet}.250.0.0/16"
    rc, output, recap = playbook(
        "--tags", "server", "-e", f"server_cluster_cidr={cluster}", "-e", f"server_service_cidr={service}"
    )
    assert_rejected(rc, output, recap, f"cluster-cidr {cluster} overlaps service-cidr {service}", SERVERS)
    assert f"cluster-cidr {cluster} overlaps the node network of {FIRST_SERVER}" in output


@pytest.mark.skipif(variables(FIRST_SERVER)["k3s_source"] != "file", reason="the binary comes from the controller")
def test_checksum_that_does_not_match():
    wrong = json.dumps({"k3s_sha256": {"amd64": "0" * 64, "arm64": "0" * 64}})
    rc, output, recap = playbook("--tags", "server", "-e", wrong)
    assert_rejected(rc, output, recap, f"expected {'0' * 64} (k3s_sha256.", SERVERS)
    assert "nothing was changed" in output


def test_agent_with_no_reachable_server():
    rc, output, recap = playbook(
        "--tags", "agent", "-e", "agent_server_url=https://192.0.2.1:6443", "-e", "agent_server_timeout=2"
    )
    assert_rejected(rc, output, recap, "cannot reach the k3s server at https://192.0.2.1:6443", AGENTS)
