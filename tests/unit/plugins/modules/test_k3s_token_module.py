# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

import json

import pytest

from ansible_collections.homelab.k3s.plugins.modules import k3s_token

CA_HASH = "0f6b1c0a9e1d4c2b7a3f5e8d9c0b1a2f3e4d5c6b7a8f9e0d1c2b3a4f5e6d7c8b"
SECRETS = ["plain", "a+b*c%d$e/f", r"x\y(z)[q]^r.s", "%s%d", "with space", "semi;colon&amp"]


@pytest.fixture
def server_dir(tmp_path):
    def make(secret, agent_secret=None):
        server = tmp_path / "server"
        server.mkdir(exist_ok=True)
        (server / "token").write_text(f"K10{CA_HASH}::server:{secret}\n")
        (server / "node-token").unlink(missing_ok=True)
        (server / "node-token").symlink_to(server / "token")
        if agent_secret is not None:
            (server / "agent-token").write_text(f"K10{CA_HASH}::node:{agent_secret}\n")
        return str(tmp_path)

    return make


@pytest.mark.parametrize("check_mode", [False, True])
def test_reads_the_server_token(run_module, server_dir, check_mode):
    data_dir = server_dir("hunter2")
    result = run_module(k3s_token, {"data_dir": data_dir}, check_mode=check_mode)
    assert not result["changed"]
    assert result["token"] == f"K10{CA_HASH}::server:hunter2"
    assert result["token_file"] == f"{data_dir}/server/token"
    assert (result["ca_hash"], result["format"]) == (CA_HASH, "full")
    assert "matches" not in result


def test_reads_the_agent_token_when_one_is_configured(run_module, server_dir):
    result = run_module(k3s_token, {"data_dir": server_dir("hunter2", agent_secret="agent-only"), "kind": "agent"})
    assert result["token"].endswith("::node:agent-only")
    assert result["token_file"].endswith("/server/agent-token")


def test_agent_token_falls_back_to_the_server_token(run_module, server_dir):
    result = run_module(k3s_token, {"data_dir": server_dir("hunter2"), "kind": "agent", "timeout": 0})
    assert result["token"].endswith("::server:hunter2")
    assert result["token_file"].endswith("/server/token")


def test_node_token_is_the_server_token(run_module, server_dir):
    result = run_module(k3s_token, {"data_dir": server_dir("hunter2"), "kind": "node"})
    assert result["token"].endswith("::server:hunter2")


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("form", ["bare", "full", "padded"])
def test_the_same_token_matches(run_module, server_dir, secret, form):
    supplied = {"bare": secret, "full": f"K10{CA_HASH}::server:{secret}", "padded": f"  {secret}\n"}[form]
    result = run_module(k3s_token, {"data_dir": server_dir(secret), "token": supplied, "must_match": True})
    assert result["matches"] is True
    assert result["supplied_format"] == ("full" if form == "full" else "bare")


@pytest.mark.parametrize("supplied", [".*", "hunter.", "hunter2 and more", "HUNTER2", "%s"])
def test_a_different_token_does_not_match(run_module, server_dir, supplied):
    result = run_module(k3s_token, {"data_dir": server_dir("hunter2"), "token": supplied})
    assert result["matches"] is False
    assert not result.get("failed")


def test_must_match_fails_with_a_message_that_reveals_neither_token(run_module, server_dir):
    data_dir = server_dir("n0de-$ecret")
    result = run_module(k3s_token, {"data_dir": data_dir, "token": "supplied%secret", "must_match": True})
    assert result["failed"]
    assert "the secret differs" in result["msg"]
    assert f"{data_dir}/server/token" in result["msg"]
    assert "k3s token rotate" in result["msg"]
    output = json.dumps(result)
    assert "n0de-$ecret" not in output
    assert "supplied%secret" not in output


def test_must_match_names_a_foreign_ca(run_module, server_dir):
    result = run_module(
        k3s_token,
        {"data_dir": server_dir("hunter2"), "token": "K10" + "1" * 64 + "::server:hunter2", "must_match": True},
    )
    assert result["failed"]
    assert "the CA hash differs" in result["msg"]
    assert "secret differs" not in result["msg"]


def test_must_match_needs_a_token(run_module, server_dir):
    result = run_module(k3s_token, {"data_dir": server_dir("hunter2"), "must_match": True})
    assert result["failed"]
    assert "token" in result["msg"]


def test_a_malformed_token_is_rejected_before_reading_anything(run_module, tmp_path):
    result = run_module(k3s_token, {"data_dir": str(tmp_path), "token": "K10abc::server:hunter2", "timeout": 30})
    assert result["failed"]
    assert "CA hash" in result["msg"]
    assert "hunter2" not in json.dumps(result)


def test_a_missing_token_file_fails_with_what_to_check(run_module, tmp_path):
    result = run_module(k3s_token, {"data_dir": str(tmp_path), "timeout": 0})
    assert result["failed"]
    assert f"{tmp_path}/server/token did not appear" in result["msg"]
    assert "is k3s running" in result["msg"]


def test_an_unreadable_token_file_asks_for_become(run_module, server_dir, monkeypatch):
    data_dir = server_dir("hunter2")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("builtins.open", denied)
    result = run_module(k3s_token, {"data_dir": data_dir})
    assert result["failed"]
    assert "become" in result["msg"]


def test_the_module_writes_nothing(run_module, server_dir, tmp_path):
    data_dir = server_dir("hunter2", agent_secret="agent-only")
    before = sorted((path.name, path.read_text()) for path in (tmp_path / "server").iterdir())
    run_module(k3s_token, {"data_dir": data_dir, "kind": "agent", "token": "agent-only"})
    assert sorted((path.name, path.read_text()) for path in (tmp_path / "server").iterdir()) == before
