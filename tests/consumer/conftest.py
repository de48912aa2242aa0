# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection as a user gets it: the built artifact, ansible-core and the documented libraries only.

- a local Galaxy server (tests/packaging/local_galaxy.py) serves the declared dependencies: the oldest versions
  galaxy.yml allows (from an older `ansible` release on PyPI) for a user's workstation, the newest (from the
  `ansible` release of requirements-dev.txt) for the AWX execution environment;
- two venvs without the `ansible` package: the workstation (ansible-core and the libraries of the installed
  collection's requirements.txt) and the execution environment (what execution-environment.yml lists);
- two fresh lab hosts on their own network `consumer`, and the k3s test double as the k3s release.

Wheels and the older `ansible` release are cached in .cache/consumer, so a second run needs no index.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import ansible
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "packaging"))
sys.path.insert(0, str(ROOT / "tests" / "awx"))

from k3s_double import build
from local_galaxy import GalaxyServer, dependency_tarballs, extract_from_wheel

CACHE = ROOT / ".cache" / "consumer"
# The oldest ansible release whose collections are the lower bounds of galaxy.yml's dependencies.
OLDEST_ANSIBLE = "9.0.1"
NET = "consumer"
HOSTS = {"cons-s1": "server", "cons-a1": "agent"}
K3S_VERSION = "v1.31.4+k3s1"
# A command that runs longer fails the test (CONSUMER_TIMEOUT: more time on a loaded machine).
TIMEOUT = int(os.environ.get("CONSUMER_TIMEOUT", "900"))
LAB = ["bash", str(ROOT / "tests" / "lab" / "lab.sh")]


def run(args, cwd, env=None, check=True, timeout=TIMEOUT, log=None):
    """Run a command; with `log`, its output goes to that file as it comes (a stuck run shows where it was)."""
    if log is None:
        result = subprocess.run(
            [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    else:
        with open(log, "w", encoding="utf-8") as out:
            try:
                code = subprocess.run(
                    [str(a) for a in args],
                    cwd=cwd,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    timeout=timeout,
                    check=False,
                ).returncode
            except subprocess.TimeoutExpired:
                pytest.fail(f"{' '.join(map(str, args))} ran {timeout}s:\n{Path(log).read_text()[-8000:]}")
        result = subprocess.CompletedProcess(args, code, Path(log).read_text(), "")
    if check and result.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, args))} exited {result.returncode}\n{result.stdout[-8000:]}\n{result.stderr[-4000:]}"
        )
    return result


def pipe(args, cwd, env, data=b""):
    """Run a stage of a pipeline: bytes in, bytes out."""
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, input=data, capture_output=True, timeout=TIMEOUT, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args))} exited {result.returncode}\n{result.stderr.decode()[-4000:]}")
    return result.stdout


def user_env(venv: Path, home: Path, **extra) -> dict[str, str]:
    """A shell with the venv active and nothing else: no ANSIBLE_* settings, no development venv on PATH."""
    dev = str(Path(sys.executable).parent)
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != dev and not p.startswith(str(ROOT))]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANSIBLE_", "PY_COLORS", "VIRTUAL_ENV", "PYTHON", "MOLECULE_"))
    }
    env.update(PATH=os.pathsep.join([str(venv / "bin"), *path]), HOME=str(home), ANSIBLE_NOCOLOR="1")
    env.update(extra)
    return env


def execution_environment() -> dict:
    return yaml.safe_load((ROOT / "execution-environment.yml").read_text())


def _pip_install(venv: Path, requirements: list[str]) -> None:
    """Install from the wheel cache; fill the cache from the index first when something is missing."""
    wheels = CACHE / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    pip = [venv / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    offline = run([*pip, "--no-index", "--find-links", wheels, *requirements], cwd=venv, check=False)
    if offline.returncode != 0:
        run([sys.executable, "-m", "pip", "download", "-q", "-d", wheels, *requirements], cwd=venv)
        run([*pip, "--no-index", "--find-links", wheels, *requirements], cwd=venv)


def make_venv(path: Path, requirements: list[str]) -> Path:
    run([sys.executable, "-m", "venv", path], cwd=path.parent)
    _pip_install(path, requirements)
    return path


def installed_packages(venv: Path) -> dict[str, str]:
    listed = run([venv / "bin" / "python", "-m", "pip", "list", "--format", "json"], cwd=venv).stdout
    return {p["name"].lower(): p["version"] for p in json.loads(listed)}


@pytest.fixture(scope="session")
def artifact(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    run([Path(sys.executable).parent / "ansible-galaxy", "collection", "build", "--output-path", out, ROOT], cwd=ROOT)
    (path,) = out.glob("homelab-k3s-*.tar.gz")
    return path


@pytest.fixture(scope="session")
def oldest(tmp_path_factory):
    """Tarballs of the declared dependencies as the oldest `ansible` release with their lower bounds ships them."""
    wheel = CACHE / "ansible" / f"ansible-{OLDEST_ANSIBLE}-py3-none-any.whl"
    if not wheel.exists():
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                f"ansible=={OLDEST_ANSIBLE}",
                "-d",
                wheel.parent,
            ],
            cwd=ROOT,
        )
    collections = extract_from_wheel(wheel, CACHE / "ansible" / OLDEST_ANSIBLE)
    return dependency_tarballs(collections, tmp_path_factory.mktemp("galaxy-oldest"))


@pytest.fixture(scope="session")
def newest(tmp_path_factory):
    """Tarballs of the declared dependencies from the `ansible` release the development venv holds."""
    collections = Path(ansible.__file__).resolve().parents[1] / "ansible_collections"
    return dependency_tarballs(collections, tmp_path_factory.mktemp("galaxy-newest"))


@pytest.fixture(scope="session")
def workstation(tmp_path_factory, artifact, oldest):
    """A user's workstation: ansible-core, the artifact with its dependencies from Galaxy, the listed libraries."""
    base = tmp_path_factory.mktemp("workstation")
    home = base / "home"
    home.mkdir()
    core = execution_environment()["dependencies"]["ansible_core"]["package_pip"]
    venv = make_venv(base / "venv", [core])
    with GalaxyServer(oldest) as galaxy:
        env = user_env(venv, home, ANSIBLE_GALAXY_SERVER=galaxy.url)
        installed = run(["ansible-galaxy", "collection", "install", artifact], cwd=home, env=env)
        served = galaxy.versions()
    collection = home / ".ansible" / "collections" / "ansible_collections" / "homelab" / "k3s"
    before = installed_packages(venv)
    _pip_install(venv, ["-r", str(collection / "requirements.txt")])
    return {
        "venv": venv,
        "home": home,
        "env": user_env(venv, home),
        "install_output": installed.stdout,
        "served": served,
        "collections": home / ".ansible" / "collections" / "ansible_collections",
        "packages_core": before,
        "packages": installed_packages(venv),
    }


@pytest.fixture(scope="session")
def execution_env(tmp_path_factory):
    """The execution environment's Python: ansible-core, ansible-runner, execution-environment.yml's Python list."""
    definition = execution_environment()["dependencies"]
    venv = make_venv(
        tmp_path_factory.mktemp("ee") / "venv",
        [
            definition["ansible_core"]["package_pip"],
            definition["ansible_runner"]["package_pip"],
            "-r",
            str(ROOT / definition["python"]),
        ],
    )
    return venv


@pytest.fixture(scope="session")
def double(tmp_path_factory):
    """The k3s test double in the layout of a k3s release, with an airgap image archive beside it."""
    out = tmp_path_factory.mktemp("k3s-double")
    # `k3s kubectl` on the hosts runs the real kubectl of requirements-dev.txt.
    build.build(K3S_VERSION, str(out), kubectl=str(Path(sys.executable).parent / "kubectl"))
    image = out / "k3s-airgap-images-amd64.tar.zst"
    image.write_text("homelab.k3s lab: not an image archive\n")
    digest = run(["sha256sum", image.name], cwd=out).stdout
    with open(out / "sha256sum-amd64.txt", "a", encoding="utf-8") as handle:
        handle.write(digest)
    return out


@pytest.fixture(scope="session")
def lab():
    """Two fresh lab hosts on the network `consumer`; removed afterwards."""
    run([*LAB, "down", "--net", NET], cwd=ROOT, check=False)
    try:
        # A loaded machine can take longer than lab.sh waits for sshd: `up` again starts nothing new and waits again.
        for attempt in range(3):
            if run([*LAB, "up", *HOSTS, "--net", NET], cwd=ROOT, check=attempt == 2).returncode == 0:
                break
        listed = yaml.safe_load(run([*LAB, "inventory", "--net", NET], cwd=ROOT).stdout)
        yield listed["all"]
    finally:
        run([*LAB, "down", "--net", NET], cwd=ROOT, check=False)


def inventory(lab, double, kubeconfig):
    """The lab hosts as k3s_cluster, with the settings the k3s-single scenario uses for lab hosts."""
    hosts = lab["hosts"]
    return {
        "k3s_cluster": {
            "children": {
                group: {"hosts": {name: hosts[name] for name, role in HOSTS.items() if role == group}}
                for group in ("server", "agent")
            },
            "vars": {
                **lab["vars"],
                "ansible_python_interpreter": "/usr/bin/python3",
                "ansible_pipelining": True,
                "k3s_version": K3S_VERSION,
                "k3s_source": "file",
                "k3s_file_dir": str(double),
                "k3s_airgap_images": [{"src": str(double / "k3s-airgap-images-amd64.tar.zst")}],
                # Lab hosts cannot raise their hard limits (no CAP_SYS_RESOURCE).
                "k3s_service_limits": {"LimitNOFILE": 16384, "LimitNPROC": 16384},
                "base_packages": [],
                "base_ntp": "none",
                "base_firewall": False,
                "server_kubeconfig_dest": str(kubeconfig),
                "server_kubeconfig_name": "consumer",
                # One app: its manifests go through the manifest_validate action, which imports kubernetes-validate
                # and jsonschema (requirements.txt) in the venv's Python, the one running Ansible.
                "apps_enabled": ["whoami"],
                "apps_ingress_tls": False,
                "apps_wait": False,
            },
        }
    }


@pytest.fixture(scope="session")
def userdir(tmp_path_factory, lab, double):
    """A directory outside the clone with the user's inventory: no ansible.cfg, no collections/ link."""
    path = tmp_path_factory.mktemp("user")
    (path / "hosts.yml").write_text(yaml.safe_dump(inventory(lab, double, path / "kubeconfig"), sort_keys=False))
    return path
