# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import hashlib

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.filter.adopt_plan import adopt_plan, token_secret
from ansible_collections.homelab.k3s.plugins.module_utils.k3s_facts import (
    env_files_of_unit,
    mask_env,
    mask_flags,
    merge_config,
    parse_config,
    parse_env_file,
    parse_exec_start,
    unit_exec_start,
    unit_writer,
)

# A unit in the shape the k3s install script writes: one quoted argument per continued line.
SCRIPT_UNIT = """[Unit]
Description=Lightweight Kubernetes
Documentation=https://k3s.io
[Service]
Type=notify
EnvironmentFile=-/etc/default/%N
EnvironmentFile=-/etc/systemd/system/k3s.service.env
ExecStart=/usr/local/bin/k3s \\
    server \\
\t'--cluster-init' \\
\t'--disable=traefik' \\
\t'--tls-san' \\
\t'k3s.lan' \\

"""
AGENT_UNIT = "[Unit]\nDocumentation=https://k3s.io\n[Service]\nExecStart=/usr/local/bin/k3s \\\n    agent \\\n\n"
MANAGED_UNIT = (
    "# Managed by homelab.k3s: local changes are overwritten.\n[Service]\nExecStart=/usr/local/bin/k3s server\n"
)
CA = "K10" + "a" * 64


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


def facts(unit="", env="", config="", datastore="none", token="", version="v1.31.4+k3s1", service="k3s"):
    """What homelab.k3s.k3s_facts returns for a node with these files (through its own parsers)."""
    name = f"{service}.service"
    env_path = f"/etc/systemd/system/{name}.env"
    services = {
        s: {"exists": False, "managed_by": "none", "environment_files": [], "exec_start": {}}
        for s in ("k3s", "k3s-agent")
    }
    if unit:
        services[service] = {
            "exists": True,
            "managed_by": unit_writer(unit),
            "environment_files": env_files_of_unit(unit, name),
            "exec_start": parse_exec_start(unit_exec_start(unit)),
        }
    return {
        "binary": {"version": version},
        "services": services,
        "env_files": {env_path: {"keys": mask_env(parse_env_file(env))}} if env else {},
        "config": {"keys": mask_flags(merge_config([("c", parse_config(config))])) if config else {}},
        "datastore": {"kind": datastore},
        "token": {"secret_sha256": sha(token_secret(token)) if token else ""},
    }


def server_facts(**changes):
    values = {
        "unit": SCRIPT_UNIT,
        "env": "K3S_TOKEN='lab-secret'\n",
        "config": "write-kubeconfig-mode: '0644'\nnode-label:\n  - zone=a\n",
        "datastore": "etcd",
        "token": f"{CA}::server:lab-secret\n",
    }
    values.update(changes)
    return facts(**values)


def server_wanted(**changes):
    wanted = {
        "host": "s1",
        "mode": "server",
        "datastore": "etcd",
        "config": {
            "cluster-init": True,
            "cluster-cidr": "10.42.0.0/16",
            "service-cidr": "10.43.0.0/16",
            "disable": ["traefik"],
            "tls-san": ["k3s.lan"],
            "write-kubeconfig-mode": "0600",
            "node-label": ["zone=a"],
        },
        "env": {"K3S_TOKEN": "lab-secret", "K3S_DATASTORE_ENDPOINT": ""},
        "token": "lab-secret",
        "version": "v1.31.4+k3s1",
        "data_dir": "/var/lib/rancher/k3s",
    }
    wanted.update(changes)
    return wanted


def agent_facts(env="K3S_TOKEN=abc\nK3S_URL=https://s:6443\n"):
    return facts(
        unit=AGENT_UNIT.replace(
            "[Service]\n", "[Service]\nEnvironmentFile=-/etc/systemd/system/k3s-agent.service.env\n"
        ),
        env=env,
        service="k3s-agent",
    )


def test_token_secret_of_full_and_short_tokens():
    assert token_secret(f"{CA}::server:abc") == "abc"
    assert token_secret(f"{CA}::node:abc\n") == "abc"
    assert token_secret("abc") == "abc"


def test_a_matching_server_is_taken_over_with_a_plan_and_no_secret():
    plan = adopt_plan(server_facts(), server_wanted())
    assert plan["installed"] and plan["takeover"] and plan["service"] == "k3s" and plan["writer"] == "install-script"
    assert plan["problems"] == []
    binary, unit, env, config, settings, restart = plan["changes"]
    assert binary == "binary: v1.31.4+k3s1 kept"
    assert unit == (
        "unit k3s.service: written by install-script, replaced by the homelab.k3s unit"
        " (its arguments --cluster-init --disable=traefik --tls-san=k3s.lan move to config.yaml)"
    )
    assert env == "env k3s.service.env: unchanged"
    assert "+cluster-init=true" in config and "~write-kubeconfig-mode: 0644 -> 0600" in config
    assert settings == "settings dropped or changed: ~write-kubeconfig-mode: 0644 -> 0600"
    assert restart == "restart: k3s once, after the files are written"
    assert "lab-secret" not in repr(plan)


def test_another_version_is_shown_as_a_binary_change():
    plan = adopt_plan(server_facts(version="v1.30.8+k3s1"), server_wanted())
    assert plan["changes"][0] == "binary: v1.30.8+k3s1 -> v1.31.4+k3s1"


def test_a_node_the_role_wrote_is_not_taken_over():
    plan = adopt_plan(server_facts(unit=MANAGED_UNIT), server_wanted(token="other"))
    assert plan["installed"] and not plan["takeover"]
    assert plan["problems"] == [] and plan["changes"] == []


def test_a_bare_node_has_nothing_to_take_over():
    plan = adopt_plan(facts(), server_wanted())
    assert not plan["installed"] and not plan["takeover"] and plan["service"] == ""


def test_another_token_is_refused_naming_the_setting():
    (problem,) = adopt_plan(server_facts(), server_wanted(token="other"))["problems"]
    assert problem.startswith(
        f"server_token: s1 belongs to a cluster with another token (its server token file: secret sha256"
        f" {sha('lab-secret')[:12]})"
    )
    assert "lab-secret" not in problem


def test_the_same_secret_in_the_full_token_format_is_accepted():
    assert adopt_plan(server_facts(), server_wanted(token=f"{CA}::server:lab-secret"))["problems"] == []


def test_an_agent_token_is_checked_against_the_first_server():
    wanted = {"host": "a1", "mode": "agent", "config": {"server": "https://s:6443"}, "token": "xyz"}
    wanted["cluster_tokens"] = [sha("abc"), ""]
    (problem,) = adopt_plan(agent_facts(), wanted)["problems"]
    assert problem.startswith("agent_token: a1 belongs to a cluster with another token (the first server's token")
    plan = adopt_plan(agent_facts(), dict(wanted, token="", env_later=["K3S_TOKEN"]))
    assert plan["problems"] == []
    assert plan["changes"][2] == (
        "env k3s-agent.service.env: -K3S_URL=https://s:6443, K3S_TOKEN set to the token read from the first server"
    )
    assert plan["changes"][3] == "config.yaml keys: +server=https://s:6443"
    assert plan["changes"][4] == "settings: all kept"


def test_another_datastore_is_refused():
    (problem,) = adopt_plan(server_facts(datastore="sqlite"), server_wanted())["problems"]
    assert (
        problem
        == "server_datastore: s1 keeps the cluster in sqlite, the inventory asks for etcd: set server_datastore: sqlite"
    )


def test_an_external_datastore_is_found_in_the_environment():
    found = server_facts(env="K3S_DATASTORE_ENDPOINT='postgres://u:p@db/k3s'\n", datastore="external")
    (problem,) = adopt_plan(found, server_wanted())["problems"]
    assert "keeps the cluster in external (k3s.service.env K3S_DATASTORE_ENDPOINT)" in problem
    wanted = server_wanted(datastore="external", datastore_endpoint="postgres://u:q@db/k3s")
    wanted["config"] = {k: v for k, v in wanted["config"].items() if k != "cluster-init"}
    (problem,) = adopt_plan(found, wanted)["problems"]
    assert problem.startswith("server_datastore_endpoint: s1 uses another datastore endpoint")
    assert "u:p" not in problem and "u:q" not in problem
    assert adopt_plan(found, dict(wanted, datastore_endpoint="postgres://u:p@db/k3s"))["problems"] == []


def test_cluster_init_on_a_joined_server_is_refused():
    found = server_facts(
        unit=SCRIPT_UNIT.replace("\t'--cluster-init' \\\n", ""),
        env="K3S_TOKEN=lab-secret\nK3S_URL=https://10.0.0.2:6443\n",
    )
    (problem,) = adopt_plan(found, server_wanted())["problems"]
    assert "s1 would start with cluster-init, but it joined the cluster at https://10.0.0.2:6443" in problem
    assert "(k3s.service.env K3S_URL)" in problem


def test_the_server_that_started_the_cluster_must_come_first():
    config = dict(server_wanted()["config"], server="https://10.0.0.1:6443")
    del config["cluster-init"]
    (problem,) = adopt_plan(server_facts(), server_wanted(host="s2", config=config))["problems"]
    assert "s2 started the cluster (cluster-init, k3s.service ExecStart)" in problem


def test_other_cidrs_are_refused_naming_the_value_found():
    problems = adopt_plan(server_facts(config="cluster-cidr: 10.52.0.0/16\n"), server_wanted())["problems"]
    assert problems == [
        "server_cluster_cidr: s1 runs with cluster-cidr 10.52.0.0/16 (config.yaml), the inventory asks for"
        " 10.42.0.0/16: set server_cluster_cidr: 10.52.0.0/16"
    ]
    wanted = server_wanted()
    wanted["config"] = dict(wanted["config"], **{"service-cidr": "10.53.0.0/16"})
    (problem,) = adopt_plan(server_facts(), wanted)["problems"]
    assert problem.startswith("server_service_cidr: s1 runs with service-cidr 10.43.0.0/16 (the k3s default)")


def test_another_data_dir_and_another_mode_are_refused():
    found = server_facts(unit=SCRIPT_UNIT.replace("'--cluster-init'", "'--data-dir=/srv/k3s'"))
    problems = adopt_plan(found, server_wanted())["problems"]
    assert problems[0].startswith("k3s_data_dir: s1 keeps its data in /srv/k3s (k3s.service ExecStart)")
    (problem,) = adopt_plan(agent_facts(), server_wanted())["problems"]
    assert problem.startswith("s1 runs k3s as agent (k3s-agent.service) but the inventory puts it in the server group")


def test_settings_the_inventory_drops_are_listed_with_their_source():
    wanted = server_wanted()
    wanted["config"] = {k: v for k, v in wanted["config"].items() if k != "disable"}
    changes = adopt_plan(server_facts(), wanted)["changes"]
    assert changes[4].startswith("settings dropped or changed: -disable=traefik (k3s.service ExecStart)")


def test_a_unit_of_another_project_is_taken_over_too():
    plan = adopt_plan(server_facts(unit=SCRIPT_UNIT.replace("Documentation=https://k3s.io\n", "")), server_wanted())
    assert plan["takeover"] and plan["writer"] == "other"


def test_config_appends_are_merged_and_bad_input_fails_clearly():
    found = server_facts(config="node-label: [zone=a]\nnode-label+: [b=2]\n")
    assert adopt_plan(found, server_wanted())["settings"]["node-label"] == "zone=a,b=2"
    with pytest.raises(AnsibleFilterError, match="must both be dictionaries"):
        adopt_plan([], {})
