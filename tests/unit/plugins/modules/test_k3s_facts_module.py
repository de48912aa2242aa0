# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

import hashlib
import json
import os
import pathlib
import time

import jinja2
import pytest
import yaml
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.k3s.plugins.module_utils import k3s_facts as utils
from ansible_collections.homelab.k3s.plugins.modules import k3s_facts

ROOT = pathlib.Path(__file__).resolve().parents[4]
K3S_ROLE = ROOT / "roles" / "k3s"
CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIBdummy\n-----END CERTIFICATE-----\n"
CA_HASH = hashlib.sha256(CA_PEM.encode()).hexdigest()
SECRET = "s3cr3t-token-value"
AGENT_SECRET = "agent-only-secret"
DB_URL = "postgres://k3s:dbpass@db.lan:5432/k3s"

# The unit the k3s install script writes for a server with flags on its command line.
INSTALLER_UNIT = f"""[Unit]
Description=Lightweight Kubernetes
Documentation=https://k3s.io
Wants=network-online.target

[Service]
Type=notify
EnvironmentFile=-/etc/default/%N
EnvironmentFile=-/etc/sysconfig/%N
EnvironmentFile=-{{systemd}}/k3s.service.env
ExecStart=/usr/local/bin/k3s \\
    server \\
\t'--cluster-init' \\
\t'--token' \\
\t'{SECRET}' \\
\t'--tls-san=k3s.lan' \\
"""

SHOW = """LoadState=loaded
ActiveState=activating
SubState=auto-restart
UnitFileState=enabled
NRestarts=95
InvocationID=0c3fd4b1a5c94c6e9f4e8f3e8b7f1d2a
FragmentPath={path}
EnvironmentFiles=/etc/default/k3s (ignore_errors=yes)
EnvironmentFiles={systemd}/k3s.service.env (ignore_errors=yes)
ExecMainPID=0
"""


@pytest.fixture
def node(tmp_path, monkeypatch):
    """A node installed by the install script, running a server on embedded etcd; systemctl faked."""
    data = tmp_path / "data"
    systemd = tmp_path / "systemd"
    bin_dir = tmp_path / "bin"
    etc = tmp_path / "etc"
    for d in (data / "server" / "tls", data / "server" / "db" / "etcd" / "member", systemd, bin_dir, etc):
        d.mkdir(parents=True)
    (data / "server" / "tls" / "server-ca.crt").write_text(CA_PEM)
    (data / "server" / "token").write_text(f"K10{CA_HASH}::server:{SECRET}\n")
    (data / "server" / "agent-token").write_text(f"K10{CA_HASH}::node:{AGENT_SECRET}\n")
    (data / "server" / "db" / "etcd" / "name").write_text("server1-3f2a1b0c\n")
    (systemd / "k3s.service").write_text(INSTALLER_UNIT.replace("{systemd}", str(systemd)))
    (systemd / "k3s.service.env").write_text(
        f"K3S_TOKEN='{SECRET}'\nK3S_DATASTORE_ENDPOINT=\"{DB_URL}\"\nHTTP_PROXY=http://user:pw@proxy:3128\nK3S_NODE_NAME=server1\n"
    )
    (etc / "config.yaml").write_text(
        "# Managed elsewhere\nnode-ip: 10.0.0.5\ntls-san:\n  - a.lan\ntoken: " + SECRET + "\netcd-s3-secret-key: abc\n"
    )
    (etc / "config.yaml.d").mkdir()
    (etc / "config.yaml.d" / "10-extra.yaml").write_text("tls-san+: [b.lan]\nnode-label: [zone=a]\n")
    (etc / "config.yaml.d" / "ignored.txt").write_text("not: read\n")
    (bin_dir / "k3s").write_text("#!/bin/sh\n")
    os.chmod(bin_dir / "k3s", 0o700)
    for script in ("k3s-killall.sh", "k3s-uninstall.sh"):
        (bin_dir / script).write_text("#!/bin/sh\n")
    for link in ("kubectl", "crictl"):
        (bin_dir / link).symlink_to("k3s")

    calls = []

    def run_command(self, args, **kwargs):
        calls.append(list(args))
        if args[-1] == "--version":
            return 0, "k3s version v1.31.4+k3s1 (a562d090)\ngo version go1.22.9\n", ""
        if args[1] == "show" and args[2] == "k3s.service":
            return 0, SHOW.format(path=systemd / "k3s.service", systemd=systemd), ""
        if args[1] == "show":
            return 0, "LoadState=not-found\nActiveState=inactive\nSubState=dead\nNRestarts=\nEnvironmentFiles=\n", ""
        raise AssertionError(args)

    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, *a, **k: "/bin/" + name)
    args = {
        "data_dir": str(data),
        "config_file": str(etc / "config.yaml"),
        "bin_dir": str(bin_dir),
        "systemd_dir": str(systemd),
    }
    return {"args": args, "calls": calls, "systemd": systemd, "data": data, "bin": bin_dir, "etc": etc}


@pytest.mark.parametrize("check_mode", [False, True])
def test_an_install_script_server_on_etcd(run_module, node, check_mode):
    result = run_module(k3s_facts, node["args"], check_mode=check_mode)
    assert result["changed"] is False
    assert result["binary"]["version"] == "v1.31.4+k3s1"
    assert result["binary"]["commit"] == "a562d090"
    k3s = result["services"]["k3s"]
    assert k3s["managed_by"] == "install-script"
    assert (k3s["active_state"], k3s["sub_state"], k3s["n_restarts"]) == ("activating", "auto-restart", 95)
    assert k3s["invocation_id"] == "0c3fd4b1a5c94c6e9f4e8f3e8b7f1d2a"
    assert k3s["environment_files"] == ["/etc/default/k3s", f"{node['systemd']}/k3s.service.env"]
    assert k3s["exec_start"]["mode"] == "server"
    assert k3s["exec_start"]["flags"]["cluster-init"] == "true"
    assert k3s["exec_start"]["flags"]["tls-san"] == "k3s.lan"
    assert k3s["exec_start"]["flags"]["token"] == "sha256:" + hashlib.sha256(SECRET.encode()).hexdigest()
    assert result["services"]["k3s-agent"]["managed_by"] == "none"
    assert result["installed_by"] == "install-script"
    assert result["active_service"] == "k3s"
    assert result["datastore"]["kind"] == "etcd"
    assert result["datastore"]["etcd_name"] == "server1-3f2a1b0c"
    assert result["datastore"]["external_endpoint"] == "postgres://db.lan:5432/k3s"
    assert result["token"]["ca_hash"] == CA_HASH
    assert result["token"]["secret_sha256"] == hashlib.sha256(SECRET.encode()).hexdigest()
    assert result["agent_token"]["secret_sha256"] == hashlib.sha256(AGENT_SECRET.encode()).hexdigest()
    assert result["ca"]["sha256"] == CA_HASH
    assert result["holds_cluster"] is True
    assert sorted(result["leftovers"]["scripts"]) == ["k3s-killall.sh", "k3s-uninstall.sh"]
    assert result["leftovers"]["links"] == {"crictl": "k3s", "kubectl": "k3s"}
    keys = result["config"]["keys"]
    assert keys["tls-san"] == ["a.lan", "b.lan"]
    assert keys["node-ip"] == "10.0.0.5"
    assert keys["token"].startswith("sha256:")
    assert result["config"]["secret_keys"] == ["etcd-s3-secret-key", "token"]
    assert len(result["config"]["files"]) == 2
    env = result["env_files"][f"{node['systemd']}/k3s.service.env"]
    assert env["keys"]["K3S_NODE_NAME"] == "server1"
    assert env["secret_keys"] == ["HTTP_PROXY", "K3S_DATASTORE_ENDPOINT", "K3S_TOKEN"]
    assert result["env_files"]["/etc/default/k3s"]["exists"] is False


def test_never_returns_a_secret(run_module, node):
    text = json.dumps(run_module(k3s_facts, node["args"]))
    for secret in (SECRET, AGENT_SECRET, "dbpass", "user:pw", '"abc"'):
        assert secret not in text


def _snapshot(node):
    result = {}
    for path in _files(node):
        with open(path, "rb") as handle:
            result[path] = (os.stat(path).st_mtime_ns, handle.read())
    return result


def test_only_reads(run_module, node):
    before = _snapshot(node)
    run_module(k3s_facts, node["args"])
    assert _snapshot(node) == before
    assert {tuple(c[1:2]) for c in node["calls"]} <= {("show",), ("--version",)}


def _files(node):
    for key in ("data", "systemd", "bin", "etc"):
        for root, _dirs, files in os.walk(node[key]):
            for name in files:
                path = os.path.join(root, name)
                if not os.path.islink(path):
                    yield path


def test_a_fresh_host(run_module, tmp_path, monkeypatch):
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, *a, **k: None)
    args = {
        "data_dir": str(tmp_path / "d"),
        "config_file": str(tmp_path / "c.yaml"),
        "bin_dir": str(tmp_path / "b"),
        "systemd_dir": str(tmp_path / "s"),
    }
    result = run_module(k3s_facts, args)
    assert result["binary"] == {
        "path": str(tmp_path / "b" / "k3s"),
        "exists": False,
        "version_line": "",
        "version": "",
        "commit": "",
    }
    assert result["datastore"]["kind"] == "none"
    assert result["token"]["present"] is False
    assert result["ca"] == {"path": str(tmp_path / "d/server/tls/server-ca.crt"), "present": False, "sha256": ""}
    assert (result["holds_cluster"], result["installed_by"], result["active_service"]) == (False, "none", "")
    assert result["config"]["keys"] == {} and result["config"]["files"] == []


def test_a_managed_sqlite_server(run_module, node):
    data, systemd = node["data"], node["systemd"]
    (data / "server" / "db" / "etcd" / "member").rmdir()
    (data / "server" / "db" / "state.db").write_bytes(b"SQLite format 3\0")
    (systemd / "k3s.service").write_text(
        "# Managed by homelab.k3s: local changes are overwritten.\n[Service]\nExecStart=/usr/local/bin/k3s server\n"
    )
    (systemd / "k3s.service.env").unlink()
    (node["etc"] / "config.yaml").write_text("node-ip: 10.0.0.5\n")
    result = run_module(k3s_facts, node["args"])
    assert result["datastore"]["kind"] == "sqlite"
    assert result["datastore"]["external"] is False
    assert result["installed_by"] == "homelab.k3s"
    assert result["services"]["k3s"]["exec_start"] == {"mode": "server", "flags": {}}


def test_a_config_that_cannot_be_parsed(run_module, node):
    (node["etc"] / "config.yaml").write_text("- a list\n- not a mapping\n")
    result = run_module(k3s_facts, node["args"])
    assert list(result["config"]["errors"]) == [str(node["etc"] / "config.yaml")]
    assert result["config"]["keys"] == {"tls-san": ["b.lan"], "node-label": ["zone=a"]}


def test_a_bad_token_file_is_reported_not_shown(run_module, node):
    (node["data"] / "server" / "token").write_text("K10abc::server:" + SECRET)
    result = run_module(k3s_facts, node["args"])
    assert result["token"]["present"] is True
    assert "CA hash" in result["token"]["error"]
    assert SECRET not in json.dumps(result)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("node-ip: 10.0.0.5\n", {"node-ip": "10.0.0.5"}),
        ("tls-san:\n  - a\n  - b\ncluster-init: true\n", {"tls-san": ["a", "b"], "cluster-init": True}),
        ("# c\nnode-label: [x=1, 'y=2']\nport: 6443  # comment\n", {"node-label": ["x=1", "y=2"], "port": 6443}),
    ],
)
def test_the_fallback_yaml_reader(text, expected):
    assert utils.parse_simple_yaml(text) == expected


@pytest.mark.parametrize(
    ("output", "version", "commit"),
    [
        ("k3s version v1.31.4+k3s1 (a562d090)\ngo version go1.22.9\n", "v1.31.4+k3s1", "a562d090"),
        ("k3s version v1.31.4+k3s1 (testdouble)\n", "v1.31.4+k3s1", "testdouble"),
        ("garbage\n", "", ""),
        ("", "", ""),
    ],
)
def test_version_line(output, version, commit):
    parsed = utils.parse_version(output)
    assert (parsed["version"], parsed["commit"]) == (version, commit)


def test_env_file_quoting():
    env = utils.parse_env_file('# c\nA="x \\"y\\""\nexport B=plain\nC=\'single\'\nnot a line\n')
    assert env == {"A": 'x "y"', "B": "plain", "C": "single"}


def test_redact_url():
    assert utils.redact_url(DB_URL) == "postgres://db.lan:5432/k3s"
    assert utils.redact_url("https://etcd.lan:2379") == "https://etcd.lan:2379"


def k3s_started_at(run_module, node, monkeypatch, started):
    """The k3s service as k3s_facts reads it when systemd says its main process started at ``started``
    (microseconds of CLOCK_MONOTONIC)."""
    show = SHOW.replace("ActiveState=activating", "ActiveState=active") + f"ExecMainStartTimestampMonotonic={started}\n"
    original = AnsibleModule.run_command

    def run_command(self, args, **kwargs):
        if args[1:3] == ["show", "k3s.service"]:
            return 0, show.format(path=node["systemd"] / "k3s.service", systemd=node["systemd"]), ""
        return original(self, args, **kwargs)

    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    return run_module(k3s_facts, node["args"])["services"]["k3s"]


def airgap_images(node):
    """Image tarballs in <data_dir>/agent/images, with what k3s itself keeps there beside them."""
    images = node["data"] / "agent" / "images"
    (images / "imported").mkdir(parents=True)
    for name in ("k3s-airgap-images-amd64.tar.zst", "extra.tar"):
        (images / name).write_bytes(b"tarball")
    (images / ".cache.json").write_text("{}")
    return [str(images / "extra.tar"), str(images / "k3s-airgap-images-amd64.tar.zst")]


@pytest.mark.parametrize(("age", "pending"), [(30, True), (-3600, False)])
def test_files_changed_since_the_service_started(run_module, node, monkeypatch, age, pending):
    """An interrupted run leaves files newer than the running service: the restart it owes is visible."""
    images = airgap_images(node)
    started = int((time.clock_gettime(time.CLOCK_MONOTONIC) - age) * 1_000_000)
    k3s = k3s_started_at(run_module, node, monkeypatch, started)
    assert k3s["started_at"] == pytest.approx(time.time() - age, abs=5)
    expected = [str(node["systemd"] / "k3s.service"), str(node["systemd"] / "k3s.service.env")]
    expected += [str(node["etc"] / "config.yaml"), str(node["etc"] / "config.yaml.d" / "10-extra.yaml")]
    expected += [str(node["bin"] / "k3s"), *images]
    assert k3s["changed_since_start"] == (expected if pending else [])


def owed_restart(facts, service):
    """What configure.yml's "Restart a service that runs with older files than it should" restarts for."""
    tasks = yaml.safe_load((K3S_ROLE / "tasks" / "configure.yml").read_text(encoding="utf-8"))
    (check,) = [task for task in tasks if task["name"] == "Restart a service that runs with older files than it should"]
    assert check["notify"] == "Restart k3s"
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)  # noqa: S701 - a task's variable, not HTML
    return env.from_string(check["vars"]["__pending"]).render(
        __k3s_node_facts=facts, __k3s_service=service, __k3s_binary=facts["binary"]["path"]
    )


@pytest.mark.parametrize("replaced", ["binary", "image"])
def test_a_run_interrupted_after_the_binary_or_an_image_was_replaced_restarts_on_the_next_run(
    run_module, node, monkeypatch, replaced
):
    """The new binary or image tarball written, the run killed before the restart: the next run restarts.

    The unit no longer carries the checksums of the binary and the images, so nothing else would restart it.
    """
    images = airgap_images(node)
    started = int(time.clock_gettime(time.CLOCK_MONOTONIC) * 1_000_000) - 60_000_000
    long_ago = time.time() - 3600
    for path in _files(node):
        os.utime(path, (long_ago, long_ago))
    written = str(node["bin"] / "k3s") if replaced == "binary" else images[1]
    os.utime(written, None)
    k3s = k3s_started_at(run_module, node, monkeypatch, started)
    assert k3s["changed_since_start"] == [written]
    facts = {"binary": {"path": str(node["bin"] / "k3s")}, "services": {"k3s": k3s}}
    assert owed_restart(facts, "k3s").strip() == str([written])


def notified(tasks):
    """The names of the tasks of a task list (blocks included) with what each notifies."""
    for task in tasks:
        yield from notified(task.get("block", []) + task.get("rescue", []) + task.get("always", []))
        if "block" not in task:
            yield task["name"], task.get("notify")


@pytest.mark.parametrize(
    ("tasks", "name"),
    [
        ("binary_download.yml", "Download the k3s binary and check its checksum"),
        ("binary_copy.yml", "Copy the k3s binary"),
        ("write_files.yml", "Write config.yaml"),
        ("write_files.yml", "Write the service environment file"),
        ("write_files.yml", "Write the systemd unit"),
        ("write_files.yml", "Write registries.yaml"),
        ("write_files.yml", "Remove registries.yaml"),
        ("airgap.yml", "Copy the airgap images"),
    ],
)
def test_what_the_service_runs_is_installed_with_a_restart(tasks, name):
    loaded = yaml.safe_load((K3S_ROLE / "tasks" / tasks).read_text(encoding="utf-8"))
    assert dict(notified(loaded))[name] == "Restart k3s"


def test_start_time_helpers():
    assert utils.boot_time() == pytest.approx(time.time() - time.clock_gettime(time.CLOCK_MONOTONIC), abs=0.01)
    assert utils.started_at("0", 1700000000.0) == 0.0
    assert utils.started_at("", 1700000000.0) == 0.0
    assert utils.started_at("2500000", 1700000000.0) == 1700000002.5


def test_a_file_written_just_before_the_start_is_not_pending(run_module, node, monkeypatch):
    """The unit written, then the service restarted a moment later: no restart is owed.

    A boot time in whole seconds (/proc/stat's btime) put the start up to a second too early, and a takeover
    restarted a node twice.
    """
    for path in node["systemd"].iterdir():
        os.utime(path, (time.time() - 0.05, time.time() - 0.05))
    started = int(time.clock_gettime(time.CLOCK_MONOTONIC) * 1_000_000)
    k3s = k3s_started_at(run_module, node, monkeypatch, started)
    assert not [path for path in k3s["changed_since_start"] if path.startswith(str(node["systemd"]))]
