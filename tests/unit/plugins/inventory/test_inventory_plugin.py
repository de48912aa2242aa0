# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The homelab.k3s.terraform plugin end to end: through ansible-inventory, and in-process for the edge cases."""

from __future__ import annotations

import base64
import importlib.util
import json
import shutil

import pytest
from ansible.errors import AnsibleParserError
from terraform_inventory_helpers import (
    FIXTURES,
    TOKEN_ID,
    TOKEN_SECRET,
    fake_binary,
    proxmox_like,
    run_inventory,
    write_config,
)

SECRETS = ("fixture-cloud-init-password", "fixture-container-password", "fixture-become-password", "PRIVATE KEY")


def assert_no_secrets(*texts):
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


# -- ansible-inventory, as a user runs it -------------------------------------------------------------------


def test_graph_of_the_telmate_seed_layout():
    run = run_inventory(FIXTURES / "telmate.terraform.yml", "--graph", "k3s_cluster")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "@k3s_cluster:",
        "  |--@server:",
        "  |  |--k3s-master-1",
        "  |--@agent:",
        "  |  |--k3s-worker-1",
        "  |  |--k3s-worker-2",
    ]


def test_list_of_the_telmate_seed_layout():
    run = run_inventory(FIXTURES / "telmate.terraform.yml", "--list")
    assert run.returncode == 0, run.stderr
    inventory = run.json()
    assert inventory["k3s_cluster"]["children"] == ["server", "agent"]
    assert run.hosts_of("server") == ["k3s-master-1"]
    assert run.hosts_of("agent") == ["k3s-worker-1", "k3s-worker-2"]
    assert run.hosts_of("proxmox_node_pve1") == ["k3s-master-1", "k3s-worker-1"]
    assert run.hosts_of("proxmox_node_pve2") == ["k3s-worker-2"]
    assert run.hosts_of("proxmox_tag_k3s_agent") == ["k3s-worker-1", "k3s-worker-2"]
    hostvars = inventory["_meta"]["hostvars"]
    assert {name: hostvars[name]["ansible_host"] for name in hostvars} == {
        "k3s-master-1": "192.168.1.21",
        "k3s-worker-1": "192.168.1.22",
        "k3s-worker-2": "192.168.1.23",
    }
    assert hostvars["k3s-worker-2"] == {
        "ansible_host": "192.168.1.23",
        "proxmox_agent_ipv4": ["192.168.1.23"],
        "proxmox_agent_ipv6": [],
        "proxmox_guest_type": "qemu",
        "proxmox_name": "k3s-worker-2",
        "proxmox_node": "pve2",
        "proxmox_static_ipv4": ["192.168.1.23"],
        "proxmox_static_ipv6": [],
        "proxmox_tags": ["k3s", "k3s-agent"],
        "proxmox_vmid": 203,
        "terraform_address": "proxmox_vm_qemu.agent[1]",
    }
    assert_no_secrets(run.stdout, run.stderr)


def test_list_of_the_bpg_seed_layout_through_opentofu_modules():
    run = run_inventory(FIXTURES / "bpg.terraform.yml", "--list")
    assert run.returncode == 0, run.stderr
    hostvars = run.json()["_meta"]["hostvars"]
    assert sorted(hostvars) == ["k3s-master-1", "k3s-worker-1", "k3s-worker-2"]  # the template VM is no host
    assert run.hosts_of("server") == ["k3s-master-1"]
    assert run.hosts_of("agent") == ["k3s-worker-1", "k3s-worker-2"]
    assert hostvars["k3s-worker-2"]["ansible_host"] == "192.168.1.123"  # DHCP: the guest agent's address
    assert hostvars["k3s-master-1"]["terraform_address"] == (
        'module.k3s.proxmox_virtual_environment_vm.node["k3s-master-1"]'
    )
    assert_no_secrets(run.stdout, run.stderr)


def test_list_of_nested_modules_with_constructed_features():
    run = run_inventory(FIXTURES / "nested.terraform.yml", "--list")
    assert run.returncode == 0, run.stderr
    inventory = run.json()
    hostvars = inventory["_meta"]["hostvars"]
    assert {name: hostvars[name]["ansible_host"] for name in hostvars} == {
        "builder": "192.168.1.91",
        "dns-1": "192.168.1.53",
        "lab-agent-a": "192.168.1.132",
        "lab-agent-b": "192.168.1.133",
        "lab-server-1": "192.168.1.31",
        "registry": "192.168.1.60",
    }
    assert run.hosts_of("server") == ["lab-server-1"]
    assert run.hosts_of("agent") == ["lab-agent-a", "lab-agent-b"]
    assert run.hosts_of("guest_lxc") == ["dns-1", "registry"]
    assert run.hosts_of("containers") == ["dns-1", "registry"]
    assert hostvars["lab-agent-a"]["k3s_node_name"] == "lab-agent-a.lab.example"
    stderr = " ".join(run.stderr.split())
    assert "proxmox_vm_qemu.scratch in" in stderr and "is tainted; skipped" in stderr
    assert "sandbox (proxmox_vm_qemu.sandbox in " in stderr
    assert "nested.tfstate): no IPv4 address in the state; host skipped" in stderr
    assert_no_secrets(run.stdout, run.stderr)


def test_list_with_ansible_provider_hosts_and_groups():
    run = run_inventory(FIXTURES / "ansible_provider.terraform.yml", "--list")
    assert run.returncode == 0, run.stderr
    inventory = run.json()
    hostvars = inventory["_meta"]["hostvars"]
    assert run.hosts_of("server") == ["k3s-1"]
    assert run.hosts_of("agent") == ["k3s-2", "k3s-3", "pi-1"]
    assert run.hosts_of("arm64") == ["pi-1"]
    assert inventory["lab"]["children"] == ["k3s_cluster"]
    assert hostvars["k3s-2"]["ansible_host"] == "192.168.1.42"
    assert hostvars["k3s-2"]["ansible_user"] == "debian"
    assert hostvars["k3s-2"]["k3s_version"] == "v1.31.4+k3s1"  # ansible_group variables
    assert hostvars["pi-1"] == {
        "ansible_host": "192.168.1.50",
        "ansible_user": "pi",
        "ansible_python_interpreter": "/usr/bin/python3",
        "k3s_version": "v1.31.4+k3s1",
    }
    assert "sensitive variables left out: ansible_become_password" in " ".join(run.stderr.split())
    assert_no_secrets(run.stdout, run.stderr)


def test_unreadable_state_fails_the_run_with_the_reason(tmp_path):
    shutil.copy(FIXTURES / "not_json.tfstate", tmp_path / "hosts.tfstate")
    config = write_config(tmp_path, "broken", state_files=["hosts.tfstate"])
    run = run_inventory(config, "--list")
    assert run.returncode != 0
    assert "hosts.tfstate: not a Terraform state: invalid JSON" in " ".join(run.stderr.split())


def test_http_backend_through_ansible_inventory(tmp_path, local_server):
    password = "glpat-e2e-fixture"
    expected = "Basic " + base64.b64encode(f"deploy:{password}".encode()).decode()
    state = (FIXTURES / "telmate.tfstate").read_bytes()

    def respond(handler):
        ok = handler.headers.get("Authorization") == expected
        return (200, {}, state) if ok else (401, {}, b"")

    server = local_server(respond)
    config = write_config(tmp_path, "gitlab", backends=[{"type": "http", "address": f"{server.url}/state/k3s"}])
    run = run_inventory(config, "--list", "-vvvv", env={"TF_HTTP_USERNAME": "deploy", "TF_HTTP_PASSWORD": password})
    assert run.returncode == 0, run.stderr
    assert run.hosts_of("agent") == ["k3s-worker-1", "k3s-worker-2"]
    assert password not in run.stdout + run.stderr


@pytest.mark.skipif(importlib.util.find_spec("proxmoxer") is None, reason="proxmoxer missing")
def test_proxmox_api_enrichment_through_ansible_inventory(tmp_path, local_server, server_tls, tls_files):
    server = local_server(proxmox_like, tls=server_tls)
    state = json.loads((FIXTURES / "nested.tfstate").read_text())
    for resource in state["resources"]:  # the agents' addresses are no longer in the state
        if resource["name"] == "agent":
            for instance in resource["instances"]:
                instance["attributes"].update(default_ipv4_address="", ssh_host="")
    (tmp_path / "lab.tfstate").write_text(json.dumps(state))
    config = write_config(
        tmp_path,
        "lab",
        state_files=["lab.tfstate"],
        proxmox_api_enrichment=True,
        proxmox_url=server.url,
        proxmox_ca_path=str(tls_files[0]),
        agent_name_pattern="-agent-",
    )
    run = run_inventory(
        config, "--list", "-vvvv", env={"PROXMOX_TOKEN_ID": TOKEN_ID, "PROXMOX_TOKEN_SECRET": TOKEN_SECRET}
    )
    assert run.returncode == 0, run.stderr
    hostvars = run.json()["_meta"]["hostvars"]
    assert hostvars["lab-agent-a"]["ansible_host"] == "192.168.1.132"
    assert hostvars["lab-agent-b"]["ansible_host"] == "192.168.1.133"
    assert run.hosts_of("agent") == ["lab-agent-a", "lab-agent-b"]
    paths = sorted(request.path.rsplit("/", 3)[-3] for request in server.requests)
    assert paths == ["302", "303", "393"]  # only guests without an address: the agents and the sandbox
    assert "sandbox: no address from the Proxmox API" in " ".join(run.stderr.split())
    assert TOKEN_SECRET not in run.stdout + run.stderr


# -- in-process ---------------------------------------------------------------------------------------------


def test_verify_file_accepts_only_terraform_configs(tmp_path, inventory_plugin_factory):
    plugin = inventory_plugin_factory()
    for name in ("k3s.terraform.yml", "k3s.terraform.yaml", "k3s.proxmox.yml", "terraform.yml"):
        (tmp_path / name).write_text("plugin: homelab.k3s.terraform\n")
    assert plugin.verify_file(str(tmp_path / "k3s.terraform.yml"))
    assert plugin.verify_file(str(tmp_path / "k3s.terraform.yaml"))
    assert not plugin.verify_file(str(tmp_path / "k3s.proxmox.yml"))
    assert not plugin.verify_file(str(tmp_path / "terraform.yml"))


def test_several_sources_at_once_including_a_directory_and_show(tmp_path, monkeypatch, parse_config):
    states = tmp_path / "states"
    states.mkdir()
    shutil.copy(FIXTURES / "nested.tfstate", states / "lab.tfstate")
    shutil.copy(FIXTURES / "ansible_provider.tfstate", states / "ansible.tfstate")
    binary = fake_binary(tmp_path / "bin", name="terraform")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    project = tmp_path / "project"
    project.mkdir()
    config = write_config(
        tmp_path,
        "all",
        state_files=["states"],
        project_paths=["project"],
        workspace="prod",
        hostname="{{ proxmox_name | default(inventory_hostname, true) }}",
    )
    inventory, _plugin = parse_config(config)
    assert sorted(host.name for host in inventory.groups["server"].hosts) == ["k3s-1", "k3s-master-1"]
    assert "lab-server-1" in inventory.hosts
    assert "k3s-worker-2" in inventory.hosts
    assert (binary.parent / "calls").read_text().splitlines()[2] == "prod"


def test_hostname_template_and_address_fallback(tmp_path, parse_config):
    shutil.copy(FIXTURES / "nested.tfstate", tmp_path / "lab.tfstate")
    config = write_config(
        tmp_path,
        "named",
        state_files=["lab.tfstate"],
        hostname="{{ proxmox_name }}.{{ proxmox_node }}",
        address_fallback="{{ proxmox_name }}.lab.example",
    )
    inventory, _plugin = parse_config(config)
    assert inventory.get_host("sandbox.pve2").vars["ansible_host"] == "sandbox.lab.example"
    assert inventory.get_host("registry.pve2").vars["ansible_host"] == "192.168.1.60"


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("skip", False), ("include", True)],
)
def test_tainted_policy(tmp_path, parse_config, policy, expected):
    shutil.copy(FIXTURES / "nested.tfstate", tmp_path / "lab.tfstate")
    inventory, plugin = parse_config(write_config(tmp_path, policy, state_files=["lab.tfstate"], tainted=policy))
    assert ("scratch-1" in inventory.hosts) is expected
    assert any("is tainted; skipped" in warning for warning in plugin.display.warnings) is not expected


def test_tainted_fail(tmp_path, parse_config):
    shutil.copy(FIXTURES / "nested.tfstate", tmp_path / "lab.tfstate")
    with pytest.raises(AnsibleParserError, match=r"proxmox_vm_qemu.scratch in .* is tainted \(set tainted"):
        parse_config(write_config(tmp_path, "fail", state_files=["lab.tfstate"], tainted="fail"))


def test_strict_fails_on_a_guest_without_address(tmp_path, parse_config):
    shutil.copy(FIXTURES / "nested.tfstate", tmp_path / "lab.tfstate")
    with pytest.raises(AnsibleParserError, match=r"sandbox \(proxmox_vm_qemu.sandbox in .*lab.tfstate\): no IPv4"):
        parse_config(write_config(tmp_path, "strict", state_files=["lab.tfstate"], strict=True))


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("version3.tfstate", "state format version 3 is not supported"),
        ("duplicate.tfstate", "duplicate host name 'k3s-node': module.a.proxmox_vm_qemu.node in .* and module.b"),
    ],
)
def test_clear_errors(tmp_path, parse_config, fixture, message):
    shutil.copy(FIXTURES / fixture, tmp_path / fixture)
    with pytest.raises(AnsibleParserError, match=message):
        parse_config(write_config(tmp_path, "bad", state_files=[fixture], strict=True))


def test_configuration_errors(tmp_path, parse_config):
    with pytest.raises(AnsibleParserError, match="no such state file"):
        parse_config(write_config(tmp_path, "missing", state_files=["nope.tfstate"]))
    with pytest.raises(AnsibleParserError, match="type must be one of http, s3"):
        parse_config(write_config(tmp_path, "backend", backends=[{"type": "consul"}]))
    shutil.copy(FIXTURES / "telmate.tfstate", tmp_path / "t.tfstate")
    with pytest.raises(AnsibleParserError, match="server_name_pattern is not a valid regular expression"):
        parse_config(write_config(tmp_path, "regex", state_files=["t.tfstate"], server_name_pattern="("))


def test_missing_netaddr_is_named(tmp_path, parse_config, monkeypatch):
    from ansible_collections.homelab.k3s.plugins.inventory import terraform

    monkeypatch.setattr(terraform, "HAS_NETADDR", False)
    with pytest.raises(AnsibleParserError, match="needs the Python library netaddr"):
        parse_config(write_config(tmp_path, "no_netaddr", state_files=[]))


def test_empty_backend_warns_and_gives_no_hosts(tmp_path, local_server, parse_config):
    server = local_server(lambda handler: (404, {}, b""))
    inventory, plugin = parse_config(
        write_config(tmp_path, "empty", backends=[{"type": "http", "address": server.url}])
    )
    assert list(inventory.hosts) == []
    assert plugin.display.warnings == [f"http backend {server.url}: no state stored there yet"]


def test_cache_holds_no_secrets_and_is_used(tmp_path, parse_config):
    shutil.copy(FIXTURES / "ansible_provider.tfstate", tmp_path / "a.tfstate")
    cache_dir = tmp_path / "cache"
    options = {
        "state_files": ["a.tfstate"],
        "cache": True,
        "cache_plugin": "jsonfile",
        "cache_connection": str(cache_dir),
    }
    config = write_config(tmp_path, "cached", **options)
    parse_config(config, cache=False)  # refresh: reads the state, writes the cache
    (cache_file,) = cache_dir.iterdir()
    cached = cache_file.read_text()
    assert "k3s-1" in cached
    assert_no_secrets(cached)
    (tmp_path / "a.tfstate").write_text("not json any more")
    inventory, _plugin = parse_config(config, cache=True)  # served from the cache
    assert sorted(inventory.hosts) == ["k3s-1", "k3s-2", "k3s-3", "pi-1"]


def test_kept_sensitive_variables_are_never_cached(tmp_path, parse_config):
    shutil.copy(FIXTURES / "ansible_provider.tfstate", tmp_path / "a.tfstate")
    cache_dir = tmp_path / "cache"
    config = write_config(
        tmp_path,
        "sensitive",
        state_files=["a.tfstate"],
        keep_sensitive_variables=True,
        cache=True,
        cache_plugin="jsonfile",
        cache_connection=str(cache_dir),
    )
    inventory, plugin = parse_config(config, cache=False)
    assert inventory.get_host("pi-1").vars["ansible_become_password"] == "fixture-become-password"
    assert not cache_dir.exists() or not list(cache_dir.iterdir())
    assert any("not cached" in warning for warning in plugin.display.warnings)
