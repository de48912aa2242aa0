# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A cluster the k3s install script set up, taken over by site.yml: read back from the nodes."""

import json

import pytest
import yaml
from cluster import (
    AGENTS,
    EPHEMERAL,
    FIRST_SERVER,
    NODES,
    PROJECT,
    RECAP,
    SERVERS,
    invocations,
    kubectl,
    node,
    playbook,
    variables,
)

INSTALLER_SCRIPTS = ["k3s-killall.sh", "k3s-uninstall.sh", "k3s-agent-uninstall.sh"]


def state(name):
    return json.loads((EPHEMERAL / f"state-{name}.json").read_text())


def service(host):
    return "k3s" if host in SERVERS else "k3s-agent"


@pytest.fixture(scope="module")
def now():
    """The services now: InvocationID, when they became active, and the journal's invocation IDs."""
    result = {}
    for host in NODES:
        unit = service(host)
        shown = (
            node(host)
            .check_output(f"systemctl show --property InvocationID,ActiveEnterTimestampMonotonic {unit}")
            .splitlines()
        )
        values = dict(line.split("=", 1) for line in shown)
        result[host] = {
            "invocation": values["InvocationID"],
            "active_since": int(values["ActiveEnterTimestampMonotonic"]),
            "journal": invocations(host, unit),
        }
    return result


def restarts(host, now):
    """Runs of the service since the takeover began, counted by systemd InvocationID."""
    before = state("before")[host]["invocation"]
    journal = now[host]["journal"]
    assert before in journal, f"{host}: the journal lost the run before the takeover"
    return len(journal) - journal.index(before) - 1


def test_check_mode_and_the_refused_run_changed_nothing():
    assert state("untouched") == state("before")


def test_check_mode_shows_the_takeover_of_every_node():
    output = (EPHEMERAL / "adopt-check.log").read_text()
    for host in NODES:
        unit = service(host)
        assert f"{host}: take over {unit} (set up by install-script, in the next plays)" in output
        assert f"unit {unit}.service: written by install-script, replaced by the homelab.k3s unit" in output
    assert f"binary: {variables(FIRST_SERVER)['k3s_version']} kept" in output
    assert "restart: k3s once, after the files are written" in output
    assert "restart: k3s-agent once, after the files are written" in output
    assert "its arguments --cluster-init --disable=traefik move to config.yaml" in output
    assert "-K3S_URL=https://" in output
    # The agent's server URL moves from the environment file to config.yaml; it is not dropped.
    assert "+server=https://" in output
    assert '+server="' not in output and "+server=," not in output
    assert "adopt-lab-secret" not in output


def test_an_identity_change_is_refused_naming_setting_and_value():
    output = (EPHEMERAL / "adopt-refused.log").read_text()
    assert (
        f"server_cluster_cidr: {FIRST_SERVER} runs with cluster-cidr 10.42.0.0/16 (the k3s default),"
        " the inventory asks for 10.52.0.0/16" in output
    )
    assert "Nothing was changed on any node" in output
    # The whole site.yml ran: it stopped before the operating system play, with nothing changed.
    assert "PLAY [Prepare the operating system of every node]" not in output
    recap = {m[1]: int(m[3]) for m in RECAP.finditer(output)}
    assert recap == {host: 0 for host in NODES}, recap


@pytest.mark.parametrize("host", NODES)
def test_every_node_restarted_once(host, now):
    count = restarts(host, now)
    print(f"{host}: {count} restart(s) of {service(host)}")
    assert count == 1


def test_one_node_at_a_time_servers_first(now):
    order = sorted(NODES, key=lambda host: now[host]["active_since"])
    print("restart order:", ", ".join(order))
    assert order == SERVERS + AGENTS
    starts = [now[host]["active_since"] for host in order]
    print("seconds between restarts:", [round((b - a) / 1e6, 1) for a, b in zip(starts, starts[1:])])


def test_the_units_are_managed_and_the_cluster_kept_its_identity(now):
    before = state("before")
    for host in NODES:
        files = dict(item.split("=", 1) for item in before[host]["files"].split())
        current = node(host)
        unit = service(host)
        assert current.file(f"/etc/systemd/system/{unit}.service").contains("^# Managed by homelab.k3s")
        assert current.file(f"/etc/systemd/system/{unit}.service.env").mode == 0o600
        ca = "/var/lib/rancher/k3s/server/tls/server-ca.crt"
        if host in SERVERS:
            assert current.check_output(f"sha256sum {ca}")[:16] == files[ca]
            assert current.file("/var/lib/rancher/k3s/server/db/etcd/member").is_directory
            # The membership flags the install script gave (--cluster-init, K3S_URL) are kept in config.yaml.
            config = yaml.safe_load(current.file("/etc/rancher/k3s/config.yaml").content_string)
            if host == FIRST_SERVER:
                assert config.get("cluster-init") is True, config
            else:
                assert config.get("server") == f"https://{variables(FIRST_SERVER)['ansible_host']}:6443", config
            assert (
                current.file("/var/lib/rancher/k3s/server/token")
                .content_string.strip()
                .endswith(":server:adopt-lab-secret")
            )


def test_nobody_left_and_every_node_is_ready():
    items = json.loads(kubectl("get", "nodes", "--output", "json").stdout)["items"]
    ready = {
        item["metadata"]["name"]: any(
            c["type"] == "Ready" and c["status"] == "True" for c in item["status"]["conditions"]
        )
        for item in items
    }
    assert ready == {host: True for host in NODES}


def test_objects_created_before_are_still_there():
    result = kubectl("--namespace", "adopt-keep", "get", "configmap", "kept", "--output", "jsonpath={.data.made-by}")
    assert result.rc == 0 and result.stdout == "install-script"


def test_zz_reset_removes_everything_the_installer_left_too():
    """Last: reset.yml on every node removes the k3s of the takeover and what the install script left."""
    for host in NODES:
        assert node(host).file(f"/usr/local/bin/{service(host)}-uninstall.sh").exists, host
    rc, output, recap = playbook(
        "-e",
        "maintenance_reset_confirm=true",
        "-e",
        "maintenance_reset_delete_snapshots=true",
        target=PROJECT / "playbooks" / "reset.yml",
    )
    assert rc == 0 and all(recap[host][1] == 0 for host in NODES), output[-3000:]
    for host in NODES:
        current = node(host)
        unit = service(host)
        assert not current.service(unit).is_running, host
        for path in [
            *(f"/usr/local/bin/{name}" for name in [*INSTALLER_SCRIPTS, "k3s", "kubectl", "crictl", "ctr"]),
            f"/etc/systemd/system/{unit}.service",
            f"/etc/systemd/system/{unit}.service.env",
            "/etc/rancher/k3s",
            "/var/lib/rancher/k3s",
        ]:
            assert not current.file(path).exists, f"{host}: {path}"
