# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

import os
import stat

import pytest
import yaml

from ansible_collections.homelab.k3s.plugins.module_utils.kubeconfig import (
    KubeconfigError,
    fingerprint,
    k3s_entries,
    merge,
    parse_yaml,
    redact,
    remove,
    to_yaml,
    validate_server_url,
    write_private_file,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "kubeconfig")


def load(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return yaml.safe_load(handle)


def names(config, section):
    return [entry["name"] for entry in config[section]]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://192.168.1.10:6443", "https://192.168.1.10:6443"),
        ("https://k3s.home.arpa:6443/", "https://k3s.home.arpa:6443"),
        ("https://[fd00::10]:6443", "https://[fd00::10]:6443"),
        ("https://k3s.home.arpa", "https://k3s.home.arpa"),
    ],
)
def test_https_urls_are_accepted(url, expected):
    assert validate_server_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://192.168.1.10:6443",
        "192.168.1.10:6443",
        "https://:6443",
        "https://host:99999",
        "https://host:0",
        "https://admin:secret@host:6443",
        "https://host:6443/?debug=1",
        "",
    ],
)
def test_other_urls_are_rejected(url):
    with pytest.raises(KubeconfigError, match="server"):
        validate_server_url(url)


def test_k3s_entries_are_renamed_and_pointed_at_the_server():
    entries = k3s_entries(load("k3s.yaml"), "homelab", "https://10.0.0.5:6443")
    source = load("k3s.yaml")
    assert entries["clusters"] == {
        "name": "homelab",
        "cluster": {
            "certificate-authority-data": source["clusters"][0]["cluster"]["certificate-authority-data"],
            "server": "https://10.0.0.5:6443",
        },
    }
    assert entries["users"] == {"name": "homelab", "user": source["users"][0]["user"]}
    assert entries["contexts"] == {"name": "homelab", "context": {"cluster": "homelab", "user": "homelab"}}


def test_k3s_entries_keep_the_server_when_none_is_given():
    assert k3s_entries(load("k3s.yaml"), "k3s")["clusters"]["cluster"]["server"] == "https://127.0.0.1:6443"


def test_the_current_context_of_a_source_with_several_is_used():
    source = load("several.yaml")
    source["current-context"] = "minikube"
    entries = k3s_entries(source, "k3s")
    assert entries["clusters"]["cluster"]["server"] == "https://192.168.49.2:8443"
    assert entries["users"]["user"]["username"] == "admin"


def test_a_source_with_several_contexts_and_none_current_is_rejected():
    source = load("several.yaml")
    del source["current-context"]
    with pytest.raises(KubeconfigError, match="3 contexts and none is current"):
        k3s_entries(source, "k3s")


def test_a_context_naming_a_missing_user_is_rejected():
    source = load("k3s.yaml")
    source["users"] = []
    with pytest.raises(KubeconfigError, match="names a user"):
        k3s_entries(source, "k3s")


def test_merge_into_nothing_makes_a_complete_kubeconfig():
    merged = merge({}, k3s_entries(load("k3s.yaml"), "k3s"), "k3s", False)
    assert merged["apiVersion"] == "v1"
    assert merged["kind"] == "Config"
    assert merged["preferences"] == {}
    assert merged["current-context"] == "k3s"
    assert [names(merged, section) for section in ("clusters", "users", "contexts")] == [["k3s"]] * 3


def test_merge_replaces_the_entries_of_the_same_name_in_place_and_keeps_the_rest():
    several = load("several.yaml")
    merged = merge(several, k3s_entries(load("k3s.yaml"), "k3s", "https://10.0.0.5:6443"), "k3s", False)
    for section in ("clusters", "users", "contexts"):
        assert names(merged, section) == ["work", "k3s", "minikube"]
        assert merged[section][0] == several[section][0]
        assert merged[section][2] == several[section][2]
    assert merged["clusters"][1]["cluster"]["server"] == "https://10.0.0.5:6443"
    assert merged["preferences"] == {"colors": True}
    assert merged["extensions"] == several["extensions"]
    assert merged["current-context"] == "work"
    assert list(merged) == list(several)


def test_merge_appends_a_new_name_and_can_make_it_current():
    merged = merge(load("several.yaml"), k3s_entries(load("k3s.yaml"), "lab"), "lab", True)
    assert names(merged, "clusters") == ["work", "k3s", "minikube", "lab"]
    assert merged["current-context"] == "lab"


def test_merge_drops_duplicates_of_the_name():
    config = load("several.yaml")
    config["users"].append(dict(config["users"][1]))
    merged = merge(config, k3s_entries(load("k3s.yaml"), "k3s"), "k3s", False)
    assert names(merged, "users") == ["work", "k3s", "minikube"]


def test_merge_leaves_its_input_alone():
    several = load("several.yaml")
    merge(several, k3s_entries(load("k3s.yaml"), "k3s", "https://10.0.0.5:6443"), "k3s", True)
    assert several == load("several.yaml")


def test_remove_takes_out_the_named_entries_and_the_current_context():
    config = load("several.yaml")
    config["current-context"] = "k3s"
    removed = remove(config, "k3s")
    for section in ("clusters", "users", "contexts"):
        assert names(removed, section) == ["work", "minikube"]
    assert removed["current-context"] == ""
    assert removed["preferences"] == {"colors": True}


def test_remove_of_an_unknown_name_changes_nothing():
    assert remove(load("several.yaml"), "nope") == load("several.yaml")


def test_redact_replaces_every_credential_and_nothing_else():
    config = load("several.yaml")
    text = to_yaml(redact(config))
    for section in ("clusters", "users"):
        for entry in config[section]:
            for key, value in entry[section[:-1]].items():
                if key in ("certificate-authority-data", "client-certificate-data", "client-key-data"):
                    assert value not in text
                    assert value[:12] not in text
    assert "work-bearer-token-not-real" not in text
    assert "minikube-password-not-real" not in text
    assert "https://k8s.work.example:443" in text
    assert "username: admin" in text


def test_fingerprints_show_whether_a_value_changed():
    assert fingerprint("a") == fingerprint("a")
    assert fingerprint("a") != fingerprint("b")
    assert fingerprint("a").startswith("<redacted hmac-sha256:")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("clusters: [\n  - name: a\n  cluster: {", "at line"),
        ("- just\n- a list\n", "top level is not a mapping"),
        ("clusters: {name: a}\n", "'clusters' is not a list"),
    ],
)
def test_bad_yaml_is_reported_without_its_content(text, message):
    with pytest.raises(KubeconfigError, match=message) as error:
        parse_yaml(text, "dest /x")
    assert "name: a" not in str(error.value)


def test_an_empty_file_is_an_empty_kubeconfig():
    assert parse_yaml("", "dest /x") == {}
    assert parse_yaml("# nothing\n", "dest /x") == {}


def test_private_files_are_0600_and_replace_the_old_file(tmp_path):
    path = tmp_path / "config"
    path.write_text("old")
    os.chmod(path, 0o644)
    write_private_file(str(path), "new")
    assert path.read_text() == "new"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert [entry.name for entry in tmp_path.iterdir()] == ["config"]
