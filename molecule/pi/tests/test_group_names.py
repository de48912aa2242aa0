# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""This scenario's inventory keeps techno-tim's group names (master, node) and a cluster group of its own,
named by k3s_server_group, k3s_agent_group and k3s_cluster_group: the cluster was built and is idempotent
with them (converge, idempotence), and group settings that do not match the inventory stop site.yml before
any host is read."""

from cluster import AGENTS, EPHEMERAL, RUNNER, SERVERS, playbook


def test_the_inventory_has_none_of_the_default_group_names():
    assert SERVERS == ["pi-server1"] and AGENTS == ["pi-agent1"]
    for group in ("server", "agent", "k3s_cluster"):
        assert RUNNER.get_hosts(group) == []


def test_the_default_names_on_this_inventory_stop_the_run_before_any_host_is_read():
    rc, output, recap = playbook("-e", "k3s_server_group=server")
    assert rc != 0
    assert "k3s_server_group: the inventory has no group 'server' (its groups: master, node, rpi_cluster)." in output
    assert "PLAY [Check the run before changing anything]" not in output
    assert all(changed == 0 for changed, _failed in recap.values()), recap


def test_an_unrelated_group_named_server_stops_the_run(tmp_path):
    extra = tmp_path / "nas.yml"
    # A host that does not exist: the run must stop before it would be contacted.
    extra.write_text("server:\n  hosts:\n    nas1:\n      ansible_host: 192.0.2.1\n")
    rc, output, recap = playbook(extra_inventory=extra)
    assert rc != 0
    assert "k3s_server_group is 'master', but the inventory also has a group 'server' with nas1:" in output
    assert "PLAY [Check the run before changing anything]" not in output
    assert "nas1" not in recap or recap["nas1"] == (0, 1)
    assert (EPHEMERAL / "inventory").exists()
