# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

import json
import os
import re
import shutil
import stat

import pytest
import yaml

from ansible_collections.homelab.k3s.plugins.modules import kubeconfig

SERVER = "https://192.168.1.10:6443"


@pytest.fixture
def k3s_yaml(fixture_path):
    with open(fixture_path("kubeconfig", "k3s.yaml")) as handle:
        return handle.read()


@pytest.fixture
def key_material(fixture_path):
    """Every credential of both fixtures, and a 16-character slice of each."""
    values = []
    for name in ("k3s.yaml", "several.yaml"):
        with open(fixture_path("kubeconfig", name)) as handle:
            text = handle.read()
        values += re.findall(r"(?:-data|token|password): (\S+)", text)
    return values + [value[8:24] for value in values]


@pytest.fixture
def several(tmp_path, fixture_path):
    dest = tmp_path / "kube" / "config"
    dest.parent.mkdir()
    shutil.copyfile(fixture_path("kubeconfig", "several.yaml"), dest)
    os.chmod(dest, 0o600)
    return dest


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def read(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


def entry(config, section, name):
    return next(item for item in config[section] if item["name"] == name)


def assert_no_key_material(result, key_material):
    output = json.dumps(result)
    for value in key_material:
        assert value not in output


def test_a_new_kubeconfig_is_created_private(run_module, tmp_path, k3s_yaml):
    dest = tmp_path / "home" / ".kube" / "config"
    result = run_module(kubeconfig, {"content": k3s_yaml, "server": SERVER, "dest": str(dest)})
    assert result["changed"]
    assert (result["dest"], result["context"], result["server"]) == (str(dest), "k3s", SERVER)
    assert mode(dest) == 0o600
    assert mode(dest.parent) == 0o700
    config = read(dest)
    assert config["current-context"] == "k3s"
    assert entry(config, "clusters", "k3s")["cluster"]["server"] == SERVER
    assert entry(config, "contexts", "k3s")["context"] == {"cluster": "k3s", "user": "k3s"}
    assert "default" not in json.dumps(config)


def test_a_second_run_changes_nothing(run_module, tmp_path, k3s_yaml):
    args = {"content": k3s_yaml, "server": SERVER, "dest": str(tmp_path / "config"), "name": "homelab"}
    run_module(kubeconfig, args)
    text = (tmp_path / "config").read_text()
    result = run_module(kubeconfig, args, diff=True)
    assert not result["changed"]
    assert result["diff"] == []
    assert (tmp_path / "config").read_text() == text


def test_src_is_read_from_a_file(run_module, tmp_path, fixture_path):
    dest = tmp_path / "config"
    result = run_module(kubeconfig, {"src": fixture_path("kubeconfig", "k3s.yaml"), "dest": str(dest)})
    assert result["changed"]
    assert result["server"] == "https://127.0.0.1:6443"


def test_merge_keeps_the_other_clusters_and_replaces_the_same_name(run_module, several, k3s_yaml):
    before = read(several)
    result = run_module(kubeconfig, {"content": k3s_yaml, "server": SERVER, "dest": str(several)})
    assert result["changed"]
    after = read(several)
    for section in ("clusters", "users", "contexts"):
        assert [item["name"] for item in after[section]] == ["work", "k3s", "minikube"]
        assert entry(after, section, "work") == entry(before, section, "work")
        assert entry(after, section, "minikube") == entry(before, section, "minikube")
    assert entry(after, "clusters", "k3s")["cluster"]["server"] == SERVER
    assert entry(after, "users", "k3s") != entry(before, "users", "k3s")
    assert after["current-context"] == "work"
    assert result["current_context"] == "work"
    assert after["preferences"] == {"colors": True}
    assert after["extensions"] == before["extensions"]


def test_set_current_context_switches_to_the_cluster(run_module, several, k3s_yaml):
    result = run_module(
        kubeconfig, {"content": k3s_yaml, "dest": str(several), "name": "lab", "set_current_context": True}
    )
    assert result["current_context"] == "lab"
    assert read(several)["current-context"] == "lab"


def test_a_dest_without_current_context_gets_one(run_module, several, k3s_yaml):
    config = read(several)
    config["current-context"] = ""
    several.write_text(yaml.safe_dump(config))
    run_module(kubeconfig, {"content": k3s_yaml, "dest": str(several), "name": "lab"})
    assert read(several)["current-context"] == "lab"


def test_absent_removes_the_named_entries_only(run_module, several):
    config = read(several)
    config["current-context"] = "k3s"
    several.write_text(yaml.safe_dump(config))
    result = run_module(kubeconfig, {"state": "absent", "dest": str(several)})
    assert result["changed"]
    assert "server" not in result
    after = read(several)
    for section in ("clusters", "users", "contexts"):
        assert [item["name"] for item in after[section]] == ["work", "minikube"]
    assert after["current-context"] == ""
    assert run_module(kubeconfig, {"state": "absent", "dest": str(several)})["changed"] is False


def test_absent_without_a_file_changes_nothing(run_module, tmp_path):
    result = run_module(kubeconfig, {"state": "absent", "dest": str(tmp_path / "config")})
    assert not result["changed"]
    assert not (tmp_path / "config").exists()


def test_a_wrong_mode_is_fixed_without_rewriting(run_module, tmp_path, k3s_yaml):
    dest = tmp_path / "config"
    args = {"content": k3s_yaml, "dest": str(dest)}
    run_module(kubeconfig, args)
    os.chmod(dest, 0o644)
    inode = os.stat(dest).st_ino
    checked = run_module(kubeconfig, args, check_mode=True, diff=True)
    assert checked["changed"]
    assert [(diff["before"], diff["after"]) for diff in checked["diff"]] == [("0644\n", "0600\n")]
    assert mode(dest) == 0o644
    result = run_module(kubeconfig, args)
    assert result["changed"]
    assert mode(dest) == 0o600
    assert os.stat(dest).st_ino == inode


def test_the_comparison_is_by_content_not_by_text(run_module, several, k3s_yaml):
    run_module(kubeconfig, {"content": k3s_yaml, "dest": str(several)})
    several.write_text(json.dumps(read(several), indent=1))  # JSON is YAML: same content, other text
    result = run_module(kubeconfig, {"content": k3s_yaml, "dest": str(several)})
    assert not result["changed"]


def test_check_mode_reports_and_writes_nothing(run_module, several, k3s_yaml, tmp_path):
    text = several.read_text()
    result = run_module(kubeconfig, {"content": k3s_yaml, "dest": str(several)}, check_mode=True, diff=True)
    assert result["changed"]
    assert several.read_text() == text
    new = tmp_path / "new" / "config"
    result = run_module(kubeconfig, {"content": k3s_yaml, "dest": str(new)}, check_mode=True, diff=True)
    assert result["changed"]
    assert result["diff"][0]["before"] == ""
    assert not new.parent.exists()


def test_the_diff_shows_changes_but_no_key_material(run_module, several, k3s_yaml, key_material):
    result = run_module(kubeconfig, {"content": k3s_yaml, "server": SERVER, "dest": str(several)}, diff=True)
    (diff,) = result["diff"]
    assert "https://192.168.1.50:6443" in diff["before"]
    assert SERVER in diff["after"]
    redacted = re.compile(r"client-key-data: <redacted hmac-sha256:([0-9a-f]{8})>")
    assert redacted.search(diff["before"]).group(1) != redacted.search(diff["after"]).group(1)
    assert_no_key_material(result, key_material)


def test_absent_diff_and_results_hold_no_key_material(run_module, several, key_material):
    result = run_module(kubeconfig, {"state": "absent", "dest": str(several)}, diff=True, check_mode=True)
    assert "<redacted hmac-sha256:" in result["diff"][0]["before"]
    assert_no_key_material(result, key_material)


def test_failures_hold_no_key_material(run_module, several, k3s_yaml, key_material):
    broken = k3s_yaml.replace("contexts:", "contexts: [")
    result = run_module(kubeconfig, {"content": broken, "dest": str(several)})
    assert result["failed"]
    assert "content is not valid YAML at line" in result["msg"]
    assert_no_key_material(result, key_material)


def test_backup_keeps_a_private_copy(run_module, several, k3s_yaml):
    os.chmod(several, 0o644)
    text = several.read_text()
    result = run_module(kubeconfig, {"content": k3s_yaml, "dest": str(several), "backup": True})
    backup = result["backup_file"]
    with open(backup) as handle:
        assert handle.read() == text
    assert mode(backup) == 0o600
    assert mode(several) == 0o600


def test_a_linked_kubeconfig_is_updated_where_it_points(run_module, several, k3s_yaml, tmp_path):
    link = tmp_path / "link"
    link.symlink_to(several)
    result = run_module(kubeconfig, {"content": k3s_yaml, "dest": str(link), "server": SERVER})
    assert result["changed"]
    assert link.is_symlink()
    assert entry(read(several), "clusters", "k3s")["cluster"]["server"] == SERVER


@pytest.mark.parametrize("server", ["http://192.168.1.10:6443", "192.168.1.10:6443", "https://:6443"])
def test_a_server_that_is_not_an_https_url_fails(run_module, tmp_path, k3s_yaml, server):
    result = run_module(kubeconfig, {"content": k3s_yaml, "dest": str(tmp_path / "c"), "server": server})
    assert result["failed"]
    assert "https URL" in result["msg"]
    assert not (tmp_path / "c").exists()


def test_a_broken_dest_is_left_alone(run_module, tmp_path, k3s_yaml):
    dest = tmp_path / "config"
    dest.write_text("clusters: [\n")
    result = run_module(kubeconfig, {"content": k3s_yaml, "dest": str(dest)})
    assert result["failed"]
    assert f"dest {dest} is not valid YAML" in result["msg"]
    assert dest.read_text() == "clusters: [\n"


def test_present_needs_content_or_src(run_module, tmp_path):
    result = run_module(kubeconfig, {"dest": str(tmp_path / "config")})
    assert result["failed"]
    assert "content" in result["msg"]
