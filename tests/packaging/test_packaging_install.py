# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection installed from its tarball and from a git URL, used from an empty directory."""

import json
import os
import shutil
import stat
import sys

import pytest
import yaml
from pkg_helpers import BIN, ROOT, run, tool_env

HOSTS = """\
k3s_cluster:
  children:
    server:
      hosts:
        pi5-master: {ansible_host: 192.168.88.30}
    agent:
      hosts:
        pi5-worker: {ansible_host: 192.168.88.31}
  vars:
    ansible_connection: local
    ansible_become: false
    ansible_python_interpreter: PYTHON
"""

KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters:
  - name: default
    cluster: {server: "https://127.0.0.1:6443", certificate-authority-data: Q0E=}
users:
  - name: default
    user: {client-certificate-data: Q0VSVA==, client-key-data: S0VZ}
contexts:
  - name: default
    context: {cluster: default, user: default}
current-context: default
"""

# Uses a module (with its module_utils), an action (with its plugin_utils), a filter and a role's argument specs
# of the installed collection.
PLAYBOOK = """\
- name: Use the installed collection
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Validate a manifest on the controller
      homelab.k3s.manifest_validate:
        manifests:
          - {apiVersion: v1, kind: ConfigMap, metadata: {name: homelab, namespace: default}, data: {k3s: "yes"}}
        kubernetes_version: "1.35"

    - name: Merge a k3s kubeconfig
      homelab.k3s.kubeconfig:
        content: "{{ lookup('ansible.builtin.file', 'k3s.yaml') }}"
        server: https://192.168.88.30:6443
        name: homelab
        dest: "{{ playbook_dir }}/kube/config"
      register: merged

    - name: Summarise nodes
      ansible.builtin.debug:
        msg: "{{ [{'host': 'pi5-master', 'role': 'server', 'address': '192.168.88.30', 'node_name': 'pi5-master'}]
                 | homelab.k3s.cluster_summary(nodes={'items': []}) | first }}"
"""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """An empty directory: no ansible.cfg, no collections/ link."""
    path = tmp_path_factory.mktemp("user")
    (path / "hosts.yml").write_text(HOSTS.replace("PYTHON", sys.executable))
    (path / "k3s.yaml").write_text(KUBECONFIG)
    (path / "use.yml").write_text(PLAYBOOK)
    return path


def _env(collections):
    return tool_env(ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_LOCALHOST_WARNING="0")


def _installed(collections):
    return collections / "ansible_collections" / "homelab" / "k3s"


def test_tarball_install_resolves_dependencies_offline(from_tarball):
    output = from_tarball.output
    assert "homelab.k3s:" in output and "was installed successfully" in output
    # The dependencies of galaxy.yml are satisfied by the collections of the ansible package.
    assert "'ansible.posix:" in output and "'community.general:" in output
    assert (_installed(from_tarball.collections) / "MANIFEST.json").is_file()


@pytest.mark.parametrize("source", ["from_tarball", "from_git"])
def test_every_playbook_resolves_from_the_installed_collection(source, request, workdir):
    collections = request.getfixturevalue(source).collections
    playbooks = sorted(p.stem for p in (_installed(collections) / "playbooks").glob("*.yml"))
    assert {"site", "apps"} <= set(playbooks)
    for name in playbooks:
        result = run(
            [BIN / "ansible-playbook", f"homelab.k3s.{name}", "-i", "hosts.yml", "--syntax-check"],
            cwd=workdir,
            env=_env(collections),
        )
        assert f"playbook: {_installed(collections)}/playbooks/{name}.yml" in result.stdout


def test_site_lists_its_plays_and_roles(from_tarball, workdir):
    collections = from_tarball.collections
    result = run(
        [BIN / "ansible-playbook", "homelab.k3s.site", "-i", "hosts.yml", "--list-tasks"],
        cwd=workdir,
        env=_env(collections),
    )
    for task in ("homelab.k3s.base", "homelab.k3s.prereqs", "homelab.k3s.server", "homelab.k3s.agent"):
        assert task in result.stdout


def test_site_runs_and_stops_at_bad_input(from_tarball, workdir):
    """A real run of site (in check mode, on this machine): the roles' argument specs refuse a bad value first."""
    collections = from_tarball.collections
    result = run(
        [BIN / "ansible-playbook", "homelab.k3s.site", "-i", "hosts.yml", "--check", "-e", "base_ntp=sundial"],
        cwd=workdir,
        env=_env(collections),
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "base_ntp must be one of: timesyncd, chrony, none, got: sundial" in result.stdout + result.stderr
    recap = [line for line in result.stdout.split("PLAY RECAP")[-1].splitlines() if " : ok=" in line]
    assert len(recap) == 2 and all("changed=0" in line for line in recap), result.stdout


def test_module_and_filter_run_from_the_installed_collection(from_tarball, workdir):
    collections = from_tarball.collections
    shutil.rmtree(workdir / "kube", ignore_errors=True)
    env = _env(collections)
    args = [
        BIN / "ansible-playbook",
        "use.yml",
        "-i",
        "localhost,",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
    ]
    first = run(args, cwd=workdir, env=env)
    second = run(args, cwd=workdir, env=env)
    assert "changed=1" in first.stdout
    assert "changed=0" in second.stdout and "failed=0" in second.stdout
    assert "homelab.k3s cluster - 1 node (1 server, 0 agents), 0 Ready" in second.stdout
    kubeconfig = workdir / "kube" / "config"
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
    merged = yaml.safe_load(kubeconfig.read_text())
    assert merged["clusters"] == [
        {"name": "homelab", "cluster": {"server": "https://192.168.88.30:6443", "certificate-authority-data": "Q0E="}}
    ]


def test_inventory_plugin_runs_from_the_installed_collection(from_tarball, tmp_path):
    collections = from_tarball.collections
    fixtures = ROOT / "tests" / "fixtures" / "terraform"
    for name in ("telmate.terraform.yml", "telmate.tfstate"):
        shutil.copy(fixtures / name, tmp_path / name)
    result = run(
        [BIN / "ansible-inventory", "-i", "telmate.terraform.yml", "--list"],
        cwd=tmp_path,
        env=_env(collections),
    )
    inventory = json.loads(result.stdout)
    assert sorted(inventory["k3s_cluster"]["children"]) == ["agent", "server"]
    assert len(inventory["server"]["hosts"]) == 1 and len(inventory["agent"]["hosts"]) == 2


def test_git_install_holds_committed_files_only(from_git):
    installed = _installed(from_git.collections)
    assert "was installed successfully" in from_git.output
    assert (installed / "MANIFEST.json").is_file() and (installed / "playbooks" / "site.yml").is_file()
    links = [p for p in installed.rglob("*") if p.is_symlink()]
    assert links == []
    assert not (installed / "collections").exists()
    assert not list(installed.rglob("__pycache__"))
    assert os.path.isdir(installed / "roles" / "base")
