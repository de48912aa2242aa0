# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running the ansible tools the way a user without any configuration does."""

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TIMEOUT = 180


@cache
def empty_home() -> Path:
    """A home directory of its own: collections in the machine's ~/.ansible must not count as installed."""
    home = Path(tempfile.mkdtemp(prefix="pkg-home-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    return home


def tool_env(**extra):
    """A user with nothing configured: no ANSIBLE_* settings, an empty home, the venv's tools first."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "PY_COLORS"))}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    env.update(HOME=str(empty_home()))
    env.update(extra)
    return env


def run(args, cwd, env=None, check=True):
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env or tool_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    if check and result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args))} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result
