# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`k3s agent`: join a cluster with a token, register the node, post its status until SIGTERM.

The wire protocol between the double's processes (/v1-k3s/double/...) is the double's own; what agents
check before using it is the real one: the CA bundle from /cacerts must match the token's CA hash, and the
token's secret must be accepted.
"""

import json
import os
import threading

from k3s_double import datadir, httpclient, kubelet, logs, nodes, pki, readfile, systemd, tokens, version
from k3s_double.logs import Fatal

REGISTER = "/v1-k3s/double/nodes"
HEARTBEAT = "/v1-k3s/double/heartbeat"
RETRY_SECONDS = 2


class Agent:
    def __init__(self, options, args):
        self.options = options
        self.args = args
        self.data_dir = datadir.data_dir(options["data-dir"])
        self.agent_dir = os.path.join(self.data_dir, "agent")
        self.node_name = (options["node-name"] or nodes.default_node_name()).lower()
        self.stop = threading.Event()
        self.servers = []
        self.supervisor = None

    def _token(self):
        token = self.options["token"]
        if self.options["token-file"]:
            # As k3s: a token file replaces --token.
            token = readfile.read_file(self.options["token-file"], self.stop)
        if not token:
            raise Fatal("Error: --token is required")
        return token

    def connect(self):
        url = self.options["server"]
        if not url:
            raise Fatal("Error: --server is required")
        token = self._token()
        while not self.stop.is_set():
            try:
                self.supervisor = httpclient.Supervisor(url, token, "node").connect()
                return
            except tokens.TokenError as exc:
                raise Fatal(f"Error: {exc}") from exc
            except httpclient.RequestError as exc:
                logs.error(str(exc))
            self.stop.wait(RETRY_SECONDS)

    def register(self, node):
        while not self.stop.is_set():
            try:
                answer = self.supervisor.call("POST", REGISTER, {"node": node}, timeout=30)
                self._remember(answer["servers"])
                logs.info(f"Node {self.node_name} registered with {self.supervisor.server_url}")
                return
            except httpclient.RequestError as exc:
                if exc.status == 401:
                    raise Fatal(f"Error: failed to retrieve configuration from server: {exc}") from exc
                logs.info(f"Waiting to retrieve agent configuration; server is not ready: {exc}")
            self.stop.wait(RETRY_SECONDS)

    def _remember(self, servers):
        self.servers = list(dict.fromkeys([self.supervisor.server_url, *servers]))
        state = {
            "ServerURL": self.supervisor.server_url,
            "ServerAddresses": [s.split("://", 1)[1] for s in self.servers],
        }
        pki.write_private(os.path.join(self.agent_dir, "etc", "k3s-agent-load-balancer.json"), json.dumps(state))

    def post_status(self, node):
        """Post the heartbeat to the first server that answers, as the agent's load balancer would."""
        for server in self.servers:
            try:
                answer = self.supervisor.call("POST", HEARTBEAT, {"name": self.node_name}, server_url=server)
                self._remember(answer.get("servers", []))
                return
            except httpclient.RequestError as exc:
                if exc.status == 404:
                    logs.info(f"Node {self.node_name} was deleted, registering it again")
                    self.supervisor.server_url = server
                    self.register(node)
                    return
                logs.warning(f"Failed to post node status to {server}: {exc}")

    def run(self):
        logs.info(f"Starting k3s agent {version.VERSION} ({version.COMMIT})")
        logs.warning("This is the homelab.k3s test double, not k3s: it runs no containers")
        systemd.stop_on_signals(self.stop)
        try:
            node = kubelet.build(self.options, self.node_name, {}, "agent", self.args)
        except nodes.NodeConfigError as exc:
            raise Fatal(f"Error: {exc}") from exc
        self.connect()
        if self.stop.is_set():
            return 0
        pki.write_private(os.path.join(self.agent_dir, "server-ca.crt"), self.supervisor.cacerts, 0o644)
        self.register(node)
        if self.stop.is_set():
            return 0
        systemd.notify("READY=1\n")
        interval = kubelet.status_interval(self.options)
        while not self.stop.wait(interval):
            self.post_status(node)
        logs.info("Shutting down k3s agent (test double)")
        return 0


def run(options, args):
    return Agent(options, args).run()
