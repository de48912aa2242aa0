# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's main() with given arguments and return the JSON it prints."""

import json
import os
import stat
import sys

import pytest
from ansible.module_utils.common import warnings as module_warnings
from ansible.module_utils.testing import patch_module_args

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture
def run_module(capsys):
    """run_module(module, args, check_mode=False, diff=False) -> result dict ('failed' set on failure)."""

    def run(module, args, check_mode=False, diff=False):
        args = dict(args)
        if check_mode:
            args["_ansible_check_mode"] = True
        if diff:
            args["_ansible_diff"] = True
        capsys.readouterr()
        # Warnings are process-wide and deduplicated: start every run without earlier ones.
        module_warnings._global_warnings.clear()
        module_warnings._global_deprecations.clear()
        with patch_module_args(args), pytest.raises(SystemExit) as exited:
            module.main()
        result = json.loads(capsys.readouterr().out)
        assert bool(result.get("failed")) == (exited.value.code != 0), result
        return result

    return run


class FakeK3s:
    """The fake k3s in a directory of its own, with its state and call log."""

    def __init__(self, directory):
        self.directory = directory
        self.binary = str(directory / "k3s")
        with open(os.path.join(HERE, "fake_k3s.py")) as handle:
            source = handle.read()
        with open(self.binary, "w") as handle:
            handle.write(f"#!{sys.executable}\n" + source)
        os.chmod(self.binary, os.stat(self.binary).st_mode | stat.S_IXUSR)
        self.state = {"node": "server-1", "clock": 1717000000, "datastore": "etcd", "format": "current"}
        self.state["snapshots"] = []
        self.save_state()

    def add(self, name, ts, kind="local", size=5976096):
        self.state["snapshots"].append({"name": name, "kind": kind, "ts": ts, "size": size})
        self.save_state()

    def save_state(self):
        with open(self.directory / "state.json", "w") as handle:
            json.dump(self.state, handle)

    def load_state(self):
        with open(self.directory / "state.json") as handle:
            self.state = json.load(handle)
        return self.state

    def names(self, kind="local"):
        return sorted(s["name"] for s in self.load_state()["snapshots"] if s["kind"] == kind)

    def calls(self):
        path = self.directory / "calls.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]

    def subcommands(self):
        return [call["argv"][1] for call in self.calls()]


@pytest.fixture
def fake_k3s(tmp_path):
    directory = tmp_path / "bin"
    directory.mkdir()
    return FakeK3s(directory)


@pytest.fixture
def fixture_path():
    root = os.path.join(HERE, "..", "..", "fixtures")
    return lambda *parts: os.path.normpath(os.path.join(root, *parts))
