# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the test double as `python3 -m k3s_double` (the built zipapp has its own launcher)."""

import sys

from k3s_double.cli import main

sys.exit(main(sys.argv))
