# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Story 3: the server token and the certificates are rotated one node at a time; the cluster stays up.

The commands are those of docs/runbooks/token-rotate.md and cert-rotate.md.
"""

import hashlib
import os
import stat
import subprocess

from cluster import AGENTS, DATA_DIR, EPHEMERAL, NODES, PROJECT, SERVERS, kubectl, node
from day2 import SNAPSHOTS, is_ready, nodes, run_runbook, runbook_command, tail

TOKEN_CHECK = runbook_command("token-rotate", "--check")
TOKEN = runbook_command("token-rotate", "homelab.k3s.token_rotate", excludes=("--check", "@"))
CERT_CHECK = runbook_command("cert-rotate", "--check")
CERT = runbook_command("cert-rotate", "homelab.k3s.cert_rotate", excludes=("--check", "maintenance_cert_services"))
SERVING = f"{DATA_DIR}/server/tls/serving-kube-apiserver.crt"


def server_tokens():
    """The sha256 of each server's token file (the tokens themselves stay out of the logs of these checks)."""
    return {name: node(name).check_output(f"sha256sum < {DATA_DIR}/server/token").split()[0] for name in SERVERS}


def env_token(name):
    """The sha256 of K3S_TOKEN in the node's service environment, newline-terminated like the token file."""
    service = "k3s" if name in SERVERS else "k3s-agent"
    script = f"sed -n 's/^K3S_TOKEN=\"\\(.*\\)\"$/\\1/p' /etc/systemd/system/{service}.service.env | sha256sum"
    return node(name).check_output(script).split()[0]


def read_token(name):
    """A server's token, read with podman outside Ansible, so that the log check below means something."""
    env = dict(os.environ, CONTAINERS_CONF=str(PROJECT / ".lab" / "containers.conf"))
    argv = ["podman", "exec", name, "cat", f"{DATA_DIR}/server/token"]
    return subprocess.run(argv, capture_output=True, text=True, check=True, env=env).stdout.strip()


def all_ready():
    listed = nodes()
    assert sorted(listed) == sorted(NODES)
    assert all(is_ready(item) for item in listed.values())
    assert not [name for name, item in listed.items() if item["spec"].get("unschedulable")]


def serial(name):
    return node(name).check_output(f"openssl x509 -in {SERVING} -noout -serial").strip()


def test_token_rotation_in_check_mode_changes_nothing():
    before = server_tokens()
    run = run_runbook(TOKEN_CHECK)
    assert run.rc == 0, tail(run)
    assert "Check mode: nothing is changed. Rotate the server token on" in run.output
    assert server_tokens() == before


def test_token_rotation_gives_every_node_the_new_token():
    before = server_tokens()
    old = before[SERVERS[0]]
    run = run_runbook(TOKEN)
    assert run.rc == 0, tail(run)
    after = server_tokens()
    assert len(set(after.values())) == 1, "every server has the same token"
    new = after[SERVERS[0]]
    assert new != old
    for name in SERVERS[1:] + AGENTS:
        assert env_token(name) == new, f"{name} does not have the new token in its service environment"
    kept = sorted(SNAPSHOTS.glob("token-before-rotation-*"))
    assert kept and hashlib.sha256(kept[-1].read_bytes()).hexdigest() == old
    assert stat.S_IMODE(kept[-1].stat().st_mode) == 0o600
    all_ready()
    # Writes go through every server after the restarts.
    for via in SERVERS:
        assert kubectl("create", "namespace", f"after-rotation-{via}", via=via).rc == 0
    secret = read_token(SERVERS[0]).split("::server:")[-1]
    assert hashlib.sha256(f"{read_token(SERVERS[0])}\n".encode()).hexdigest() == new
    assert len(secret) >= 16
    assert secret not in (EPHEMERAL / "ansible.log").read_text()


def test_certificate_rotation_in_check_mode_changes_nothing():
    before = {name: serial(name) for name in SERVERS}
    run = run_runbook(CERT_CHECK)
    assert run.rc == 0, tail(run)
    assert "Check mode: nothing is changed. Rotate the certificates of every k3s service" in run.output
    assert {name: serial(name) for name in SERVERS} == before


def test_certificate_rotation_issues_new_certificates_from_the_same_ca():
    before = {name: serial(name) for name in SERVERS}
    ca = node(SERVERS[0]).check_output(f"sha256sum {DATA_DIR}/server/tls/server-ca.crt")
    run = run_runbook(CERT)
    assert run.rc == 0, tail(run)
    for name in SERVERS:
        assert serial(name) != before[name], name
        assert node(name).run(f"ls -d {DATA_DIR}/server/tls-*").rc == 0, f"{name}: no copy of the old certificates"
    assert node(SERVERS[0]).check_output(f"sha256sum {DATA_DIR}/server/tls/server-ca.crt") == ca
    assert run.output.count("Successfully backed up certificates to") >= len(NODES), tail(run)
    all_ready()
