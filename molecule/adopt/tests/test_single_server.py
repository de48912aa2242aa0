# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The install script's other common layout, taken over after the HA cluster was reset (test_adopt.py runs
first): one server on SQLite (no --cluster-init) and one agent, with an inventory that maps it."""

import json

import pytest
import yaml
from cluster import AGENTS, EPHEMERAL, FIRST_SERVER, PROJECT, kubectl, node, playbook, variables

SERVER, AGENT = FIRST_SERVER, AGENTS[0]
LAYOUT = PROJECT / "molecule" / "adopt"
# What ansible-inventory adds to a host's variables; the rest is the scenario's mapped inventory.
KEPT = """apiVersion: v1
kind: ConfigMap
metadata:
  name: kept-on-sqlite
  namespace: default
data:
  made-by: install-script
"""
COMPUTED = {"inventory_hostname", "inventory_hostname_short", "group_names", "groups", "playbook_dir", "omit"}


def host_variables(host):
    return {key: value for key, value in variables(host).items() if key not in COMPUTED}


@pytest.fixture(scope="module")
def inventory():
    """The mapped inventory of the single-server cluster: server_datastore sqlite."""
    hosts = {host: dict(host_variables(host), server_datastore="sqlite") for host in (SERVER, AGENT)}
    path = EPHEMERAL / "single-server.yml"
    layout = {
        "all": {
            "children": {
                "k3s_cluster": {
                    "children": {
                        "server": {"hosts": {SERVER: hosts[SERVER]}},
                        "agent": {"hosts": {AGENT: hosts[AGENT]}},
                    }
                }
            }
        }
    }
    path.write_text(yaml.safe_dump(layout))
    path.chmod(0o600)
    return path


def record(inventory, name):
    rc, output, _recap = playbook("-e", f"state_name={name}", inventory=inventory, target=LAYOUT / "state.yml")
    assert rc == 0, output[-3000:]
    return json.loads((EPHEMERAL / f"state-{name}.json").read_text())


@pytest.fixture(scope="module")
def takeover(inventory):
    """Lay the two nodes out as the install script does, keep an object, take them over, run again."""
    rc, output, _recap = playbook(inventory=inventory, target=LAYOUT / "install_script_layout.yml")
    assert rc == 0, output[-3000:]
    made = kubectl("apply", "--filename", "-", stdin=KEPT)
    assert made.rc == 0, made.stderr
    before = record(inventory, "single-before")
    first = playbook(inventory=inventory)
    second = playbook(inventory=inventory)
    after = record(inventory, "single-after")
    return {"before": before, "first": first, "second": second, "after": after}


def test_the_layout_is_a_single_server_on_sqlite(takeover):
    assert node(SERVER).file("/var/lib/rancher/k3s/server/db/state.db").exists
    assert not node(SERVER).file("/var/lib/rancher/k3s/server/db/etcd").exists


def test_the_takeover_runs_and_a_second_run_changes_nothing(takeover):
    rc, output, recap = takeover["first"]
    assert rc == 0 and all(failed == 0 for _changed, failed in recap.values()), output[-3000:]
    rc, output, recap = takeover["second"]
    assert rc == 0 and recap == {SERVER: (0, 0), AGENT: (0, 0)}, output[-3000:]


@pytest.mark.parametrize("host", [SERVER, AGENT])
def test_each_node_restarted_once(takeover, host):
    before = takeover["before"][host]["invocation"]
    journal = takeover["after"][host]["journal"].split()
    assert before in journal, f"{host}: the journal lost the run before the takeover"
    count = len(journal) - journal.index(before) - 1
    print(f"{host}: {count} restart(s)")
    assert count == 1


def test_the_object_and_the_nodes_are_kept(takeover):
    result = kubectl("get", "configmap", "kept-on-sqlite", "--output", "jsonpath={.data.made-by}")
    assert result.rc == 0 and result.stdout == "install-script"
    items = json.loads(kubectl("get", "nodes", "--output", "json").stdout)["items"]
    assert sorted(item["metadata"]["name"] for item in items) == sorted([SERVER, AGENT])
    unit = node(SERVER).file("/etc/systemd/system/k3s.service")
    assert unit.contains("^# Managed by homelab.k3s")
