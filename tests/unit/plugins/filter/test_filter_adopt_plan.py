# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.filter.adopt_plan import (
    adopt_plan,
    parse_args,
    parse_env,
    token_secret,
    unit_command,
)

# A unit in the shape the k3s install script writes: one quoted argument per continued line.
SCRIPT_UNIT = """[Unit]
Description=Lightweight Kubernetes
[Service]
Type=notify
EnvironmentFile=-/etc/systemd/system/k3s.service.env
ExecStart=/usr/local/bin/k3s \\
    server \\
\t'--cluster-init' \\
\t'--disable=traefik' \\
\t'--tls-san' \\
\t'k3s.lan' \\

"""
AGENT_UNIT = "[Service]\nExecStart=/usr/local/bin/k3s \\\n    agent \\\n\n"
MANAGED_UNIT = "# Managed by homelab.k3s: local changes are overwritten.\n[Service]\nExecStart=/usr/local/bin/k3s server\n"
CA = "K10" + "a" * 64
VERSION = "k3s version v1.31.4+k3s1 (testdouble)"


def server_found(**changes):
    found = {
        "units": {"k3s": SCRIPT_UNIT, "k3s-agent": None},
        "env": {"k3s": "K3S_TOKEN='lab-secret'\n"},
        "config": "write-kubeconfig-mode: '0644'\nnode-label:\n  - zone=a\n",
        "datastore": "etcd",
        "token": f"{CA}::server:lab-secret\n",
        "version": VERSION,
    }
    found.update(changes)
    return found


def server_wanted(**changes):
    wanted = {
        "host": "s1",
        "mode": "server",
        "bootstrap": True,
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


def test_unit_command_joins_continued_lines_and_unquotes():
    assert unit_command(SCRIPT_UNIT) == [
        "/usr/local/bin/k3s",
        "server",
        "--cluster-init",
        "--disable=traefik",
        "--tls-san",
        "k3s.lan",
    ]


def test_parse_args_knows_switches_values_and_repeats():
    assert parse_args(["--cluster-init", "--node-label", "a=1", "--node-label=b=2", "-secrets-encryption=false"]) == {
        "cluster-init": True,
        "node-label": ["a=1", "b=2"],
        "secrets-encryption": False,
    }


def test_parse_env_reads_quoted_and_exported_values():
    assert parse_env("K3S_TOKEN='a b'\n# c\nexport K3S_URL=\"https://s:6443\"\n\n") == {
        "K3S_TOKEN": "a b",
        "K3S_URL": "https://s:6443",
    }


def test_token_secret_of_full_and_short_tokens():
    assert token_secret(f"{CA}::server:abc") == "abc"
    assert token_secret(f"{CA}::node:abc\n") == "abc"
    assert token_secret("abc") == "abc"


def test_a_matching_server_is_taken_over_with_a_plan_and_no_secret():
    plan = adopt_plan(server_found(), server_wanted())
    assert plan["installed"] and plan["takeover"] and plan["service"] == "k3s"
    assert plan["problems"] == []
    text = "\n".join(plan["changes"])
    assert "binary: v1.31.4+k3s1 kept" in text
    assert "its arguments --cluster-init --disable=traefik --tls-san k3s.lan move to config.yaml" in text
    assert "env k3s.service.env: unchanged" in text
    assert "~write-kubeconfig-mode: 0644 -> 0600" in text
    assert "+cluster-init=true" in text
    assert "restart: k3s once" in text
    assert "lab-secret" not in repr(plan)


def test_a_node_the_role_wrote_is_not_taken_over():
    plan = adopt_plan(server_found(units={"k3s": MANAGED_UNIT}), server_wanted(token="other"))
    assert plan["installed"] and not plan["takeover"]
    assert plan["problems"] == [] and plan["changes"] == []


def test_a_bare_node_has_nothing_to_take_over():
    plan = adopt_plan({"units": {}, "env": {}, "config": "", "datastore": "", "token": ""}, server_wanted())
    assert not plan["installed"] and not plan["takeover"]


def test_another_token_is_refused_naming_the_setting():
    (problem,) = adopt_plan(server_found(), server_wanted(token="other"))["problems"]
    assert problem.startswith("server_token: s1 belongs to a cluster with another token")
    assert "other" not in problem.replace("another", "") and "lab-secret" not in problem


def test_the_same_secret_in_the_full_token_format_is_accepted():
    assert adopt_plan(server_found(), server_wanted(token=f"{CA}::server:lab-secret"))["problems"] == []


def test_an_agent_token_is_compared_with_the_one_in_its_environment():
    found = {"units": {"k3s-agent": AGENT_UNIT}, "env": {"k3s-agent": "K3S_TOKEN=abc\nK3S_URL=https://s:6443\n"}}
    wanted = {"host": "a1", "mode": "agent", "config": {"server": "https://s:6443"}, "token": "xyz"}
    (problem,) = adopt_plan(found, wanted)["problems"]
    assert problem.startswith("agent_token: a1 belongs to a cluster with another token (k3s-agent.service.env K3S_TOKEN")
    plan = adopt_plan(found, dict(wanted, token="", env={"K3S_TOKEN": f"{CA}::server:abc"}))
    assert plan["problems"] == []
    assert "env k3s-agent.service.env: -K3S_URL=https://s:6443" in plan["changes"]


def test_another_datastore_is_refused():
    (problem,) = adopt_plan(server_found(datastore="sqlite"), server_wanted())["problems"]
    assert problem.startswith("server_datastore: s1 keeps the cluster in sqlite, the inventory asks for etcd")


def test_an_external_datastore_is_found_in_the_environment():
    found = server_found(env={"k3s": "K3S_DATASTORE_ENDPOINT='postgres://u:p@db/k3s'\n"}, datastore="")
    (problem,) = adopt_plan(found, server_wanted())["problems"]
    assert "keeps the cluster in external (k3s.service.env K3S_DATASTORE_ENDPOINT)" in problem
    assert "u:p" not in problem


def test_cluster_init_on_a_joined_server_is_refused():
    found = server_found(units={"k3s": "[Service]\nExecStart=/usr/local/bin/k3s server\n"})
    found["env"] = {"k3s": "K3S_TOKEN=lab-secret\nK3S_URL=https://10.0.0.2:6443\n"}
    (problem,) = adopt_plan(found, server_wanted())["problems"]
    assert "s1 is first, so it would start with cluster-init, but it joined the cluster at https://10.0.0.2:6443" in problem


def test_the_server_that_started_the_cluster_must_come_first():
    config = dict(server_wanted()["config"], server="https://10.0.0.1:6443")
    del config["cluster-init"]
    (problem,) = adopt_plan(server_found(), server_wanted(host="s2", bootstrap=False, config=config))["problems"]
    assert "s2 started the cluster (cluster-init, k3s.service ExecStart)" in problem


def test_other_cidrs_are_refused_naming_the_value_found():
    found = server_found(config="cluster-cidr: 10.52.0.0/16\n")
    problems = adopt_plan(found, server_wanted())["problems"]
    assert problems == [
        "server_cluster_cidr: s1 runs with cluster-cidr 10.52.0.0/16 (config.yaml), the inventory asks for"
        " 10.42.0.0/16: set server_cluster_cidr: 10.52.0.0/16"
    ]
    wanted = server_wanted()
    wanted["config"] = dict(wanted["config"], **{"service-cidr": "10.53.0.0/16"})
    (problem,) = adopt_plan(server_found(), wanted)["problems"]
    assert problem.startswith("server_service_cidr: s1 runs with service-cidr 10.43.0.0/16 (the k3s default)")


def test_another_data_dir_and_another_mode_are_refused():
    found = server_found(units={"k3s": SCRIPT_UNIT.replace("'--cluster-init'", "'--data-dir=/srv/k3s'")})
    problems = adopt_plan(found, server_wanted())["problems"]
    assert problems[0].startswith("k3s_data_dir: s1 keeps its data in /srv/k3s (k3s.service ExecStart)")
    found = {"units": {"k3s-agent": AGENT_UNIT}, "env": {}}
    (problem,) = adopt_plan(found, server_wanted())["problems"]
    assert problem.startswith("s1 runs k3s as agent (k3s-agent.service) but the inventory puts it in the server group")


def test_settings_the_inventory_drops_are_listed_with_their_source():
    wanted = server_wanted()
    wanted["config"] = {k: v for k, v in wanted["config"].items() if k != "disable"}
    changes = adopt_plan(server_found(), wanted)["changes"]
    assert "settings dropped or changed: -disable=traefik (k3s.service ExecStart)" in changes[4]


def test_config_appends_and_bad_config_fail_clearly():
    plan = adopt_plan(server_found(config="node-label: [a=1]\nnode-label+: [b=2]\n"), server_wanted())
    assert plan["settings"]["node-label"] == "a=1,b=2"
    with pytest.raises(AnsibleFilterError, match="not a mapping"):
        adopt_plan(server_found(config="- a\n"), server_wanted())
    with pytest.raises(AnsibleFilterError, match="must both be dictionaries"):
        adopt_plan([], {})
