# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The k3s test double: a stand-in for the k3s binary, used only by the collection's tests.

It honours the command line, files, HTTPS endpoints and output formats the roles rely on.
See docs/testing/k3s-test-double.md for what it fakes and how.
"""
