# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A node joins by running site.yml again with it in the inventory; the others change nothing.

Runs last (it wipes and re-adds the last agent): only in k3s-ha, whose verify is otherwise short.
"""

import json
import os

import pytest
from cluster import AGENTS, DATA_DIR, FIRST_SERVER, NODES, node, playbook

pytestmark = pytest.mark.skipif(
    os.environ.get("MOLECULE_SCENARIO_NAME") != "k3s-ha", reason="run once, in the k3s-ha scenario"
)


def ready_nodes():
    output = node(FIRST_SERVER).check_output("/usr/local/bin/k3s kubectl get nodes -o json")
    items = json.loads(output)["items"]
    return {
        i["metadata"]["name"]
        for i in items
        if any(c["type"] == "Ready" and c["status"] == "True" for c in i["status"]["conditions"])
    }


def test_a_fresh_node_joins_by_running_site_again():
    new = AGENTS[-1]
    fresh = node(new)
    fresh.run("systemctl disable --now k3s-agent")
    fresh.run(f"rm -rf /etc/rancher /var/lib/rancher/k3s {DATA_DIR} /etc/systemd/system/k3s-agent.service*")
    fresh.run("rm -f /usr/local/bin/k3s /usr/local/bin/kubectl /usr/local/bin/crictl /usr/local/bin/ctr")
    node(FIRST_SERVER).check_output(f"/usr/local/bin/k3s kubectl delete node {new}")
    assert new not in ready_nodes()

    rc, output, recap = playbook()

    assert rc == 0, output[-3000:]
    assert recap[new][0] > 0
    assert all(recap[h] == (0, 0) for h in NODES if h != new), output[-3000:]
    assert ready_nodes() >= set(NODES)
