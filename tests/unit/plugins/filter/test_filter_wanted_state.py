# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""file_matches and managed_block_present: a step is skipped only when the node already holds its result."""

from __future__ import annotations

import hashlib

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.filter.file_matches import FilterModule as Matches
from ansible_collections.homelab.k3s.plugins.filter.managed_block_present import FilterModule as Block
from ansible_collections.homelab.k3s.plugins.module_utils.file_state import file_state
from ansible_collections.homelab.k3s.plugins.plugin_utils.wanted_state import file_matches, managed_block_present

TEXT = "# Managed by homelab.k3s\nnode-name: s1\n"
SHA = hashlib.sha256(TEXT.encode()).hexdigest()
NONE = {"link": None, "sha256": None}
FILE = {"exists": True, "isdir": False, "kind": "file", "mode": "0600", "uid": 0, "gid": 0, "link": None, "sha256": SHA}
LINK = {"exists": True, "isdir": False, "kind": "link", "mode": "0777", "uid": 0, "gid": 0, **NONE, "link": "k3s"}
ABSENT = {"exists": False, "isdir": False, "kind": "absent", "mode": None, "uid": None, "gid": None, **NONE}
READ = {
    "/etc/c.yaml": FILE,
    "/usr/bin/kubectl": LINK,
    "/etc/r.yaml": ABSENT,
    "/etc/localtime": dict(LINK, link="../usr/share/zoneinfo/Europe/Warsaw"),
}


def test_the_filters_are_registered():
    assert Matches().filters()["file_matches"] is file_matches
    assert Block().filters()["managed_block_present"] is managed_block_present


def test_a_file_with_the_content_mode_and_owner_matches():
    assert file_matches(READ, "/etc/c.yaml", content=TEXT, mode="0600", uid=0, gid=0)
    assert file_matches(READ, "/etc/c.yaml", sha256=SHA.upper(), mode="600")


@pytest.mark.parametrize(
    "changes",
    [{"content": TEXT + "x"}, {"mode": "0644"}, {"uid": 1000}, {"gid": 4}, {"kind": "directory"}, {"link": "k3s"}],
)
def test_any_difference_runs_the_step(changes):
    asked = {"content": TEXT, "mode": "0600", "uid": 0, "gid": 0, **changes}
    assert not file_matches(READ, "/etc/c.yaml", **asked)


def test_a_missing_or_partial_read_runs_the_step():
    assert not file_matches(None, "/etc/c.yaml", content=TEXT)
    assert not file_matches({}, "/etc/c.yaml", content=TEXT)
    assert not file_matches({"/etc/c.yaml": {"exists": True}}, "/etc/c.yaml", content=TEXT)
    assert not file_matches(READ, "/etc/r.yaml", content=TEXT)
    assert not file_matches(READ, "/etc/r.yaml", kind="directory")


def test_absent_and_links():
    assert file_matches(READ, "/etc/r.yaml", absent=True)
    assert not file_matches(READ, "/etc/c.yaml", absent=True)
    assert file_matches(READ, "/usr/bin/kubectl", link="k3s")
    assert not file_matches(READ, "/usr/bin/kubectl", link="/usr/bin/k3s")
    assert file_matches(READ, "/usr/bin/kubectl", link_to="/usr/bin/k3s")
    assert file_matches(READ, "/etc/localtime", link_to="/usr/share/zoneinfo/Europe/Warsaw")
    assert not file_matches(READ, "/etc/localtime", link_to="/usr/share/zoneinfo/UTC")
    assert not file_matches(READ, "/etc/c.yaml", link_to="/etc/c.yaml")


def test_a_read_that_is_not_a_dict_is_refused():
    with pytest.raises(AnsibleFilterError, match="dict"):
        file_matches(["/etc/c.yaml"], "/etc/c.yaml")


def test_the_node_read_and_the_comparison_agree(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(TEXT)
    path.chmod(0o600)
    (tmp_path / "kubectl").symlink_to("k3s")
    read = {str(p): file_state(str(p)) for p in (path, tmp_path / "kubectl", tmp_path / "none", tmp_path)}
    assert file_matches(read, str(path), content=TEXT, mode="0600")
    assert not file_matches(read, str(path), content=TEXT, mode="0644")
    assert file_matches(read, str(tmp_path / "kubectl"), link="k3s")
    assert file_matches(read, str(tmp_path / "none"), absent=True)
    assert file_matches(read, str(tmp_path), kind="directory")


MARK = "# {mark} cluster nodes"
BLOCK = "10.0.0.1 s1\n10.0.0.2 a1\n"
HOSTS = "127.0.0.1 localhost\n# BEGIN cluster nodes\n10.0.0.1 s1\n10.0.0.2 a1\n# END cluster nodes\n"


def test_a_block_in_place_is_present():
    assert managed_block_present(HOSTS, BLOCK, MARK)


@pytest.mark.parametrize(
    "text",
    [
        None,
        "127.0.0.1 localhost\n",
        HOSTS.replace("10.0.0.2", "10.0.0.9"),
        HOSTS + "# BEGIN cluster nodes\n",
        HOSTS.rstrip("\n"),
        "# END cluster nodes\n# BEGIN cluster nodes\n10.0.0.1 s1\n10.0.0.2 a1\n",
    ],
)
def test_anything_else_lets_blockinfile_run(text):
    assert not managed_block_present(text, BLOCK, MARK)
