# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The contract test: the double against the record of k3s's source (k3s_source_record.yaml).

The record holds, for pinned commits of k3s-io/k3s, the flags of `k3s server` and `k3s agent`, the token
format, the kubeconfig layout, the config.yaml merge rules and the ETCDSnapshotFile fields, each with the
file and line it comes from. Every difference between the double and the record must be listed in
DIFFERENCES with its reason; anything else is a failure.
"""

import base64
import hashlib
import pathlib

import pytest
import yaml
from k3s_double import configfile, flags, kubeconfig, snapshots, tokens

RECORD = yaml.safe_load((pathlib.Path(__file__).parent / "k3s_source_record.yaml").read_text(encoding="utf-8"))
COMMANDS = {"server": flags.SERVER, "agent": flags.AGENT}

LATER = "added to k3s after the recorded commit (docs.k3s.io/cli/server, /cli/agent for the version the double claims)"
RUNTIME_DATA_DIR = "the double works out the default at run time: ~/.rancher/k3s when not root, as `k3s server` does"
# (command, flag, what) -> why the double differs from the record.
DIFFERENCES = {
    ("server", "data-dir", "env"): LATER + ": K3S_DATA_DIR",
    ("agent", "data-dir", "env"): LATER + ": K3S_DATA_DIR",
    ("agent", "data-dir", "default"): RUNTIME_DATA_DIR,
    ("server", "supervisor-metrics", "extra"): LATER,
    ("server", "secrets-encryption-provider", "extra"): LATER,
    ("server", "etcd-s3-proxy", "extra"): LATER,
    ("server", "etcd-s3-config-secret", "extra"): LATER,
    ("server", "nonroot-devices", "extra"): LATER,
    ("server", "node-internal-dns", "extra"): LATER,
    ("server", "node-external-dns", "extra"): LATER,
    ("agent", "nonroot-devices", "extra"): LATER,
    ("agent", "node-internal-dns", "extra"): LATER,
    ("agent", "node-external-dns", "extra"): LATER,
    ("agent", "disable-apiserver-lb", "extra"): LATER,
    ("agent", "bind-address", "extra"): LATER,
    ("agent", "enable-pprof", "extra"): LATER,
    ("agent", "default-runtime", "extra"): LATER,
    ("agent", "image-service-endpoint", "extra"): LATER,
    ("agent", "disable-default-registry-endpoint", "extra"): LATER,
}


def _differences(command):
    """What differs between the double's flags and the recorded ones, as (command, flag, what) keys."""
    table = {name: flag for flag in COMMANDS[command] for name in flag.names}
    found, recorded = {}, set()
    for entry in RECORD["flags"][command]:
        name = entry["name"]
        recorded.add(name)
        flag = table.get(name)
        where = (entry.get("line") and f"{entry['source']}:{entry['line']}") or entry.get("referenced_at")
        if flag is None or flag.name != name:
            found[(command, name, "missing")] = where
            continue
        if sorted(flag.names[1:]) != sorted(entry.get("aliases", [])):
            found[(command, name, "aliases")] = f"{flag.names[1:]} != {entry.get('aliases', [])} at {where}"
        if flag.kind != entry["kind"]:
            found[(command, name, "kind")] = f"{flag.kind} != {entry['kind']} at {where}"
        default = entry.get("default")
        if not isinstance(default, dict) and (flag.default or None) != (default or None):
            found[(command, name, "default")] = f"{flag.default!r} != {default!r} at {where}"
        if sorted(flag.env) != sorted(entry.get("env", [])):
            found[(command, name, "env")] = f"{flag.env} != {entry.get('env', [])} at {where}"
    for flag in COMMANDS[command]:
        if flag.name not in recorded:
            found[(command, flag.name, "extra")] = "not a flag in the record"
    return found


def test_record_names_its_commits_and_lines():
    assert RECORD["repository"] == "k3s-io/k3s"
    assert all(len(commit) == 40 for commit in RECORD["sources"].values())
    for command in COMMANDS:
        assert len(RECORD["flags"][command]) >= 40
        for entry in RECORD["flags"][command]:
            assert entry.get("line") or entry.get("referenced_at"), entry
    for where in RECORD["lines"].values():
        path, _sep, line = where.rpartition(":")
        assert path in RECORD["sources"] and int(line) > 0


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_flags_are_those_of_k3s(command):
    found = _differences(command)
    listed = {key for key in DIFFERENCES if key[0] == command}
    unexplained = {key: found[key] for key in set(found) - listed}
    assert not unexplained, f"the double differs from k3s's source and DIFFERENCES does not say why: {unexplained}"
    stale = listed - set(found)
    assert not stale, f"DIFFERENCES lists what no longer differs: {sorted(stale)}"


def test_flags_k3s_does_not_have_are_refused():
    """Flags k3s server dropped (and the double used to accept) end in 'flag provided but not defined'."""
    for name in ("no-deploy", "no-flannel", "cluster-secret", "supervisor-port", "disable-selinux"):
        with pytest.raises(flags.UsageError, match=f"flag provided but not defined: -{name}"):
            flags.parse([f"--{name}=x"], flags.SERVER)
    options = flags.parse(["--disable-selinux"], flags.AGENT)
    assert options["disable-selinux"] is True


def test_token_format():
    facts = RECORD["facts"]["token"]
    ca = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    token = tokens.format_token(ca, "server", "s3cret")
    digest = hashlib.sha256(ca).hexdigest()
    assert len(digest) == facts["ca_hash_length"]
    assert token == f"{facts['prefix']}{digest}::server:s3cret"
    assert tokens.parse(token) == (digest, "server", "s3cret")
    assert tokens.parse("s3cret") == ("", "", "s3cret")  # a bare secret
    assert tokens.parse("K10::node:abc") == ("", "node", "abc")
    assert tokens.parse("K10" + digest + "::a:b:c") == (digest, "a", "b:c")
    for bad, message in (("", 0), ("K10abc::server:x", 1), ("K10" + digest + "::server", 2), ("K10::x:", 2)):
        with pytest.raises(tokens.TokenError, match=facts["errors"][message]):
            tokens.parse(bad)


def test_kubeconfig_layout():
    facts = RECORD["facts"]["kubeconfig"]
    config = kubeconfig.admin_kubeconfig("https://127.0.0.1:6443", "CA", "CERT", "KEY")
    assert [c["name"] for c in config["clusters"]] == [facts["cluster"]]
    assert [u["name"] for u in config["users"]] == [facts["user"]]
    assert config["contexts"] == [{"context": {"cluster": facts["cluster"], "user": facts["user"]}, "name": "default"}]
    assert config["current-context"] == facts["current-context"]
    assert sorted(config["clusters"][0]["cluster"]) == sorted(facts["cluster_keys"])
    assert sorted(config["users"][0]["user"]) == sorted(facts["user_keys"])
    assert base64.b64decode(config["users"][0]["user"]["client-key-data"]) == b"KEY"


def test_config_file_merge_rules(tmp_path, monkeypatch, capsys):
    facts = RECORD["facts"]["config"]
    main = tmp_path / "config.yaml"
    main.write_text("node-label: [a=1]\ntls-san: one\nwrite-kubeconfig-mode: '0644'\nt: tok\nfrobnicate: 1\n")
    dropins = tmp_path / "config.yaml.d"
    dropins.mkdir()
    (dropins / "20-b.yml").write_text(f"node-label{facts['append_suffix']}: [c=3]\ntls-san: two\n")
    (dropins / "10-a.yaml").write_text("node-label+: b=2\n")
    (dropins / "30-ignored.txt").write_text("node-label: [x=9]\n")
    args = configfile.merged_args(["--tls-san=cli", "-c", str(main)], flags.SERVER)
    labels = ["--node-label=a=1", "--node-label=b=2", "--node-label=c=3"]
    assert args[:5] == [*labels, "--tls-san=two", "--write-kubeconfig-mode=0644"]
    assert args[5] == f"{facts['single_letter_prefix']}t=tok"
    assert args[6:] == ["--tls-san=cli", "-c", str(main)]  # config file flags come before the command line ones
    assert "Unknown flag --frobnicate found in config.yaml, skipping" in capsys.readouterr().err
    other = tmp_path / "other.yaml"
    other.write_text("node-name: from-env\n")
    monkeypatch.setenv("K3S_CONFIG_FILE", str(other))
    assert configfile.merged_args(["-c", str(main)], flags.SERVER)[0] == "--node-name=from-env"


def test_etcd_snapshot_file_fields():
    facts = RECORD["facts"]["etcd_snapshot_file"]
    s3 = {"endpoint": "s3.example", "bucket": "b", "region": "us-east-1", "prefix": "k3s", "insecure": True}
    location = "file:///var/lib/rancher/k3s/server/db/snapshots/on-demand-n1-1700000000"
    item = snapshots.list_item("on-demand-n1-1700000000", "n1", location, 42, 1700000000, s3_spec=s3)
    assert (item["kind"], item["apiVersion"]) == (facts["kind"], facts["apiVersion"])
    assert set(item["spec"]) <= set(facts["spec"])
    assert {"snapshotName", "nodeName", "location"} <= set(item["spec"])
    assert set(item["spec"]["s3"]) <= set(facts["s3"])
    assert set(item["status"]) <= set(facts["status"])
    assert item["metadata"]["labels"] == {facts["label_storage_node"]: "n1"}
    assert facts["annotation_token_hash"] == snapshots.TOKEN_HASH
    digest = hashlib.sha256(("n1" + location).encode()).hexdigest()[:6]
    name = snapshots.resource_name("On-Demand-n1-1700000000", "n1", location, 1700000000, False)
    assert name == f"local-on-demand-n1-1700000000-{digest}"
    assert snapshots.resource_name("x", "s3", location, 1, False).startswith("s3-x-")
