# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline replacement for the pip bootstrap script ansible-test downloads.

ansible-test sanity --venv fetches a get-pip script from a host this project's
CI cannot reach. This one installs the interpreter's bundled pip with
ensurepip, then the requested packages with the machine's own pip settings.
"""

import subprocess
import sys

if __name__ == "__main__":
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
    args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
    sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--upgrade", *args]))
