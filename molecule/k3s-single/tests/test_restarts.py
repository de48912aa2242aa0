# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What restarts k3s: the files a run that stopped half-way left, and the unit an earlier collection wrote.

Three nodes, three causes, one run of site.yml: the server's unit as earlier versions of the collection wrote it
(with the checksums of the binary and the airgap images in a comment), an agent's binary and the other agent's
airgap image tarball replaced after their services started, as by a run that stopped before the restart.
Each node restarts exactly once (counted by the systemd invocations in its journal), the next run changes nothing.

Runs in k3s-single only (k3s-ha shares these tests).
"""

import base64
import os

import pytest
from cluster import AGENTS, DATA_DIR, FIRST_SERVER, K3S, NODES, invocation, node, playbook, restarts_since

pytestmark = pytest.mark.skipif(
    os.environ.get("MOLECULE_SCENARIO_NAME") != "k3s-single", reason="run once, in the k3s-single scenario"
)

IMAGES = f"{DATA_DIR}/agent/images"


def rewrite(host, path):
    """A new copy of path put in its place (a new file, as a download or copy writes it)."""
    node(host).check_output(f"cp {path} {path}.new && mv -f {path}.new {path}")


def test_each_node_restarts_once_for_what_it_runs_with_and_the_next_run_changes_nothing():
    server, binary_agent, image_agent = FIRST_SERVER, AGENTS[0], AGENTS[1]
    unit = "/etc/systemd/system/k3s.service"
    text = node(server).file(unit).content_string
    assert "# Restarts when" not in text
    sha256 = node(server).check_output(f"sha256sum {K3S}").split()[0]
    header, rest = text.split("\n", 1)
    old = (
        f"{header}\n# Restarts when what the service reads changes: binary sha256 {sha256},\n"
        f"# airgap images none.\n{rest}"
    )
    # Written before the service started, as an earlier version of the collection left it.
    encoded = base64.b64encode(old.encode()).decode()
    node(server).check_output(f"echo {encoded} | base64 -d > {unit} && touch --date '1 hour ago' {unit}")
    rewrite(binary_agent, K3S)
    images = (
        node(image_agent).check_output(f"find {IMAGES} -maxdepth 1 -type f ! -name '.*' 2>/dev/null || true").split()
    )
    image = images[0] if images else K3S
    rewrite(image_agent, image)
    before = {host: invocation(host) for host in NODES}

    rc, output, recap = playbook()
    assert rc == 0, output[-3000:]
    assert set(recap) >= set(NODES)
    counts = {host: restarts_since(host, before[host]) for host in NODES}
    print("restarts:", counts)
    assert counts == dict.fromkeys(NODES, 1), output[-3000:]
    assert f"k3s-agent on {binary_agent} started before {K3S} last changed" in output
    assert f"k3s-agent on {image_agent} started before {image} last changed" in output
    assert f"k3s on {server} started before" not in output, "the old unit is not newer than the service"
    assert "# Restarts when" not in node(server).file(unit).content_string

    after = {host: invocation(host) for host in NODES}
    rc, output, recap = playbook()
    assert rc == 0, output[-3000:]
    assert all(recap[host] == (0, 0) for host in NODES), output[-3000:]
    assert {host: invocation(host) for host in NODES} == after
