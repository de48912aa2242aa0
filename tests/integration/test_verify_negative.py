# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base scenario's testinfra checks fail on a host the roles never touched.

Proves the verify step can fail: it runs molecule/base/tests/test_base.py
against a fresh lab host and expects the checks of every role task to fail.
"""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "tests" / "lab" / "lab.sh"
NET = "verify-negative"
HOST = "unconverged1"


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    subprocess.run(["bash", str(LAB), "up", HOST, "--net", NET], check=True, capture_output=True)
    try:
        text = subprocess.run(
            ["bash", str(LAB), "inventory", "--net", NET], check=True, capture_output=True, text=True
        ).stdout
        text += f"  children:\n    k3s_cluster:\n      children:\n        server: {{hosts: {{{HOST}: {{}}}}}}\n"
        path = tmp_path_factory.mktemp("inventory") / "hosts.yml"
        path.write_text(text)
        yield path
    finally:
        subprocess.run(["bash", str(LAB), "down", "--net", NET], check=False, capture_output=True)


def test_base_checks_fail_on_an_unconverged_host(inventory):
    result = subprocess.run(
        [
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-rf",
            "--connection=ansible",
            f"--ansible-inventory={inventory}",
            str(ROOT / "molecule" / "base" / "tests" / "test_base.py"),
        ],
        env={**__import__("os").environ, "MOLECULE_INVENTORY_FILE": str(inventory)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    failed = set(re.findall(r"FAILED \S+::(test_\w+)", out))
    expected = {
        "test_packages",
        "test_hostname_and_hosts_file",
        "test_timesyncd_enabled",
        "test_firewall",
        "test_kernel_modules",
        "test_sysctl",
    }
    assert expected <= failed, (sorted(failed), out)
