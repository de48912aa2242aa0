# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The apps scenario reads its hosts and runs playbooks with the k3s scenarios' helpers."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "k3s-single" / "tests"))

# The -vvv log of prepare, converge and idempotence, read before the verifier adds to it: testinfra
# reads the inventory with `ansible-inventory --list`, which would print its variables, secrets
# included, into the same log.
_LOG = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "ansible.log"
_PLAYBOOK_LOG = _LOG.read_text(encoding="utf-8") if _LOG.exists() else ""
os.environ["ANSIBLE_LOG_PATH"] = str(_LOG.with_name("verifier.log"))


@pytest.fixture(scope="session")
def playbook_log():
    assert _PLAYBOOK_LOG, f"{_LOG} is empty: the scenario logs every run there"
    return _PLAYBOOK_LOG
