# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Living under systemd: sd_notify READY=1 for a Type=notify unit, and stopping on SIGTERM/SIGINT."""

import os
import signal
import socket
import threading
import time

from k3s_double import logs


def stop_on_signals(stop):
    """Set the `stop` event on SIGTERM or SIGINT.

    The handler only records the signal: setting an Event inside a handler can deadlock a main thread
    that is waiting on that Event, so a watcher thread sets it.
    """
    received = []

    def handler(signum, _frame):
        received.append(signum)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)

    def watch():
        while not received:
            time.sleep(0.1)
        logs.info(f"Received {signal.Signals(received[0]).name}, shutting down")
        stop.set()

    threading.Thread(target=watch, name="signals", daemon=True).start()


def notify(state):
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return False
    address = "\0" + path[1:] if path.startswith("@") else path
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
    except OSError as exc:
        logs.warning(f"Failed to notify systemd: {exc}")
        return False
    return True
