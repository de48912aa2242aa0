# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kubectl finds its command word after global flags, as the real one does."""

import pytest
from k3s_double.kubectl import _command_index


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["get", "nodes"], 0),
        (["--kubeconfig", "/tmp/kc", "get", "nodes"], 2),
        (["--kubeconfig=/tmp/kc", "get", "nodes"], 1),
        (["-n", "kube-system", "get", "pods"], 2),
        (["--insecure-skip-tls-verify", "version"], 1),
        (["--kubeconfig", "get"], None),
    ],
)
def test_command_index(args, expected):
    assert _command_index(args) == expected
