# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Story 0: the maintenance entry points leave every host in a play of one's own (molecule/day2/entry_points.yml).

backup, restore and remove_node included with include_role, in --check: each play goes on after the include_role
on every host, the servers that take no snapshot and the nodes that stay included.
"""

import cluster
from cluster import FIRST_SERVER, NODES, PROJECT
from day2 import Run, tail

ENTRY_POINTS = PROJECT / "molecule" / "day2" / "entry_points.yml"


def test_every_host_goes_on_after_backup_restore_and_remove_node(tmp_path):
    # The restore's check looks for the snapshot on the controller: in check mode any file of that name will do.
    (tmp_path / "entry-points-snapshot").write_bytes(b"")
    run = Run(
        *cluster.playbook(
            "--check",
            "-e",
            f"maintenance_restore_controller_dir={tmp_path}",
            "-e",
            "maintenance_restore_snapshot=entry-points-snapshot",
            target=ENTRY_POINTS,
            verbose=True,
            timeout=1200,
        )
    )
    assert run.rc == 0, tail(run, 120)
    assert sorted(run.recap) == sorted(NODES)
    # The one change check mode reports is the snapshot the backup would save on the first server.
    assert run.recap == {name: (1 if name == FIRST_SERVER else 0, 0) for name in NODES}, tail(run, 120)
    for name in NODES:
        assert f"{name} went on after backup, restore, remove_node." in run.output, tail(run, 120)
