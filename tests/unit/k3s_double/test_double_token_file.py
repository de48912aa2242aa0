# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""--token-file as k3s reads it (util.ReadFile): it replaces --token, a missing file is waited for, a
file that cannot be read ends the command at once (under systemd: a crash loop)."""

import os
import time

import pytest

FATAL_DIRECTORY = 'level=fatal msg="Error: read {path}: is a directory"'


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    cluster = cluster_factory()
    cluster.server("s1", "--token", "filesecret")
    return cluster


@pytest.mark.parametrize("command", ["server", "agent"])
def test_a_token_file_that_is_a_directory_ends_the_command_at_once(cluster, command, tmp_path):
    # A valid --token beside it does not help: the file replaces it.
    if command == "server":
        args = cluster.server_args("bad-server", "--token", "filesecret", "--token-file", str(tmp_path))
    else:
        args = [
            *["agent", "-d", cluster.path("bad-agent"), "-s", cluster.url("s1"), "-t", cluster.token("s1")],
            *["--node-name", "bad-agent", "--token-file", str(tmp_path)],
        ]
    started = time.monotonic()
    process = cluster.start(args, f"bad-{command}", wait=None)
    process.proc.wait(timeout=20)
    assert process.proc.returncode == 1
    assert time.monotonic() - started < 15
    assert FATAL_DIRECTORY.format(path=tmp_path) in process.output()


def test_a_missing_token_file_is_waited_for_and_replaces_the_token(cluster, tmp_path):
    token_file = tmp_path / "token"
    agent = cluster.agent("a1", "s1", "K10wrong::node:wrong", "--token-file", str(token_file), wait=False)
    agent.wait_for(f"Waiting for {token_file} to be available")
    time.sleep(2.5)
    assert agent.proc.poll() is None, agent.output()
    token_file.write_text(cluster.token("s1") + "\n")
    agent.wait_for("Node a1 registered")


def test_a_wait_for_a_token_file_ends_on_sigterm(cluster, tmp_path):
    server = cluster.start(
        cluster.server_args("waiting", "--token-file", str(tmp_path / "missing")), "waiting", wait=None
    )
    server.wait_for(f"Waiting for {tmp_path / 'missing'} to be available")
    assert server.stop() == 1
    assert f"Error: stopped while waiting for {tmp_path / 'missing'}" in server.output()
    assert not os.path.exists(cluster.path("waiting", "server", "token"))
