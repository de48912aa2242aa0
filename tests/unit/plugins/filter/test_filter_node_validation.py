# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""k3s_problems and agent_problems: every check of the k3s and agent roles' settings, with the roles' messages."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.filter.agent_problems import FilterModule as AgentProblems
from ansible_collections.homelab.k3s.plugins.filter.k3s_problems import FilterModule as K3sProblems
from ansible_collections.homelab.k3s.plugins.plugin_utils.node_validation import agent_problems, k3s_problems

SHA = "a" * 64


def k3s(**changes):
    base = {
        "host": "s1",
        "version": "v1.31.4+k3s1",
        "architecture": "x86_64",
        "arch": "amd64",
        "asset": "k3s",
        "arches": ["amd64", "arm64", "arm"],
        "source": "release",
        "mirror_url": "",
        "file_dir": "",
        "sha256": {},
        "airgap_images": [],
        "config": {},
        "node_taints": [],
        "api_endpoint": "",
    }
    base.update(changes)
    return base


def agent(**changes):
    base = {
        "host": "a1",
        "group": "server",
        "server_hosts": ["s1", "s2"],
        "server_url": "",
        "url": "https://192.168.1.10:6443",
        "has_token": False,
        "plan": {"token_host": "s1", "unreachable": []},
        "check_mode": False,
        "config": {},
    }
    base.update(changes)
    return base


def test_filters_are_registered():
    assert K3sProblems().filters()["k3s_problems"] is k3s_problems
    assert AgentProblems().filters()["agent_problems"] is agent_problems


def test_good_k3s_settings_have_no_problem():
    assert k3s_problems(k3s(api_endpoint="fd00::10", node_taints=["dedicated=gpu:NoSchedule", "x:NoExecute"])) == []


@pytest.mark.parametrize("version", ["v1.31.4+k3s1", "v1.32.0-rc1+k3s2"])
def test_pinned_releases(version):
    assert k3s_problems(k3s(version=version)) == []


@pytest.mark.parametrize("version", ["latest", "v1.31", "1.31.4+k3s1"])
def test_unpinned_release(version):
    assert k3s_problems(k3s(version=version)) == [
        f"k3s_version '{version}' is not a pinned k3s release such as v1.31.4+k3s1."
    ]


def test_architecture_without_a_build():
    assert k3s_problems(k3s(architecture="riscv64", arch="unsupported", asset="unsupported")) == [
        "The architecture riscv64 of s1 has no k3s build (amd64, arm64 and armhf have)."
    ]


def test_mirror_needs_its_url():
    assert k3s_problems(k3s(source="url")) == [
        "k3s_source is url: set k3s_mirror_url to a mirror with the release layout (<url>/<version>/k3s)."
    ]
    assert k3s_problems(k3s(source="url", mirror_url="https://mirror.lan/k3s")) == []


def test_file_source_needs_the_binary_and_its_checksums(tmp_path):
    assert k3s_problems(k3s(source="file")) == [
        "k3s_source is file: s1 needs k3s in k3s_file_dir ('') on the controller."
    ]
    assert k3s_problems(k3s(source="file", file_dir=str(tmp_path))) == [
        f"k3s_source is file: s1 needs k3s in k3s_file_dir ('{tmp_path}') on the controller."
    ]
    (tmp_path / "k3s").write_text("binary")
    assert k3s_problems(k3s(source="file", file_dir=str(tmp_path))) == [
        f"k3s_source is file: put sha256sum-amd64.txt from the release beside {tmp_path}/k3s, or set k3s_sha256.amd64."
    ]
    assert k3s_problems(k3s(source="file", file_dir=str(tmp_path), sha256={"amd64": SHA})) == []
    (tmp_path / "sha256sum-amd64.txt").write_text(f"{SHA}  k3s\n")
    assert k3s_problems(k3s(source="file", file_dir=str(tmp_path))) == []


def test_bad_checksums():
    assert k3s_problems(k3s(sha256={"amd64": SHA.upper(), "x86_64": SHA, "arm64": "abc"})) == [
        "k3s_sha256 maps an architecture (amd64, arm64, arm) to 64 hex digits; 'x86_64' is not that.",
        "k3s_sha256 maps an architecture (amd64, arm64, arm) to 64 hex digits; 'arm64' is not that.",
    ]


def test_airgap_images_need_a_checksum(tmp_path):
    images = [{"src": f"{tmp_path}/images.tar.zst"}, {"src": "/x/other.tar", "sha256": SHA}]
    assert k3s_problems(k3s(airgap_images=images)) == [
        f"k3s_airgap_images: give a sha256 for {tmp_path}/images.tar.zst or put the release's sha256sum-amd64.txt"
        " beside it."
    ]
    (tmp_path / "sha256sum-amd64.txt").write_text("")
    assert k3s_problems(k3s(airgap_images=images)) == []


def test_k3s_config_reserved_flag():
    assert k3s_problems(k3s(config={"token": "x"})) == [
        "k3s_config: 'token' is set by the roles; use server_token / agent_token instead."
    ]


def test_k3s_config_reserves_the_flags_of_servers_and_agents():
    # k3s_config is read by both kinds of node: a flag set on servers only is reserved there too.
    config = {"cluster-init": True, "server": "https://x:6443", "data-dir": "/srv/k3s", "node-label": ["a=b"]}
    assert k3s_problems(k3s(config=config)) == [
        "k3s_config: 'cluster-init' is set by the roles; use server_datastore instead.",
        "k3s_config: 'server' is set by the roles; use agent_server_url (agents) or the cluster"
        " (servers join through a running member) instead.",
        "k3s_config: 'data-dir' is set by the roles; use k3s_data_dir instead.",
    ]


def test_bad_taints():
    assert k3s_problems(k3s(node_taints=["gpu", "a=b:Never", "a=b=c:NoSchedule"])) == [
        f"k3s_node_taints: '{taint}' is not key=value:Effect (Effect NoSchedule, PreferNoSchedule or NoExecute)."
        for taint in ["gpu", "a=b:Never", "a=b=c:NoSchedule"]
    ]


@pytest.mark.parametrize("endpoint", ["https://k3s.lan", "k3s.lan:6443", "192.168.1.5/24"])
def test_api_endpoint_with_scheme_or_port(endpoint):
    assert k3s_problems(k3s(api_endpoint=endpoint)) == [
        f"k3s_api_endpoint is a host name or IP address without scheme or port, not '{endpoint}'."
    ]


def test_k3s_settings_must_be_complete():
    with pytest.raises(AnsibleFilterError, match="the settings lack version"):
        k3s_problems({key: value for key, value in k3s().items() if key != "version"})
    with pytest.raises(AnsibleFilterError, match="expects a mapping of settings"):
        k3s_problems(["s1"])


def test_good_agent_settings_have_no_problem():
    assert agent_problems(agent()) == []
    assert agent_problems(agent(server_hosts=[], server_url="https://k3s.lan:6443", has_token=True)) == []


def test_a_server_in_the_agent_group():
    assert agent_problems(agent(host="s1")) == [
        "s1 is in the server group 'server' and runs the agent role: a k3s server is already a node, keep it out"
        " of the agent group."
    ]


def test_no_server_to_join():
    assert agent_problems(agent(server_hosts=[], url="", has_token=True, group="control")) == [
        "No server to join: the inventory group 'control' is empty and agent_server_url is not set."
    ]
    assert agent_problems(agent(url="", plan={"token_host": "", "unreachable": ["s1", "s2"]}, has_token=True)) == [
        "No server to join: none of s1, s2 answered (s1, s2 did not). Start a server, or set agent_server_url and"
        " agent_token."
    ]


@pytest.mark.parametrize("url", ["http://k3s.lan:6443", "k3s.lan:6443", "https://:6443"])
def test_agent_server_url_must_be_https(url):
    assert agent_problems(agent(url=url, server_url=url)) == [
        f"agent_server_url must be an https:// URL such as https://k3s.lan:6443, not '{url}'."
    ]


def test_agent_token():
    assert agent_problems(agent(server_hosts=[], server_url="https://k3s.lan:6443")) == [
        "agent_token is needed when the agent joins a server outside the inventory (agent_server_url)."
    ]
    no_holder = agent(plan={"token_host": "", "unreachable": []})
    assert agent_problems(no_holder) == [
        "No running server to read the agent token from: s1, s2 hold none or do not answer. Run the server play"
        " first, or set agent_token."
    ]
    assert agent_problems({**no_holder, "check_mode": True}) == []
    assert agent_problems({**no_holder, "has_token": True}) == []


def test_agent_config_reserved_flag():
    assert agent_problems(agent(config={"server": "https://x:6443"})) == [
        "agent_config: 'server' is set by the roles; use agent_server_url instead."
    ]


def test_agent_config_reserves_the_agent_flags_only():
    # Server-only flags are not the agent's: the agent role does not set them.
    config = {"token-file": "/t", "agent-token": "x", "cluster-init": True, "data-dir": "/srv/k3s"}
    assert agent_problems(agent(config=config)) == [
        "agent_config: 'token-file' is set by the roles; use agent_token instead.",
        "agent_config: 'data-dir' is set by the roles; use k3s_data_dir instead.",
    ]


def test_agent_settings_must_be_complete():
    with pytest.raises(AnsibleFilterError, match="the settings lack plan"):
        agent_problems({key: value for key, value in agent().items() if key != "plan"})
