# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.filter.loop_reads import loop_reads

RUNNING = {"services": {"k3s": {"active_state": "active"}}}


def test_skipped_hosts_take_the_earlier_read_and_read_hosts_their_own():
    results = [
        {"item": "server1", "skipped": True, "changed": False},
        {"item": "server2", "unreachable": True, "msg": "ssh: connect to host server2 port 22: No route to host"},
        {"item": "server3", "services": {"k3s": {"active_state": "inactive"}}},
    ]
    reads = loop_reads(results, {"server1": RUNNING, "server2": {}, "server3": {}})
    assert reads["server1"] is RUNNING
    assert reads["server2"]["unreachable"] is True
    assert reads["server3"]["services"]["k3s"]["active_state"] == "inactive"
    assert list(reads) == ["server1", "server2", "server3"]


def test_no_loop_no_reads():
    assert loop_reads([], {"server1": RUNNING}) == {}


@pytest.mark.parametrize(
    ("results", "earlier", "message"),
    [
        ([{"item": "server1", "skipped": True}], {"server1": {}}, "skipped server1 but the run has no read of it"),
        ([{"item": "server1", "skipped": True}], {}, "skipped server1 but the run has no read of it"),
        ([{"skipped": True}], {}, "every result must have the host it read in 'item'"),
        ("server1", {}, "the input must be a loop's results"),
    ],
)
def test_bad_input(results, earlier, message):
    with pytest.raises(AnsibleFilterError, match=message):
        loop_reads(results, earlier)
