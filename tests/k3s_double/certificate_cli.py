# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`k3s certificate rotate` (docs.k3s.io/cli/certificate; k3s pkg/cli/cert).

Run while k3s is stopped: it copies the server's TLS directory to server/tls-<unix time> (an agent's
certificates to agent/tls-<unix time>), deletes the certificates and keys of the services named with
--service (all of them by default; never the CAs or the service-account key) and leaves a
`dynamic-cert-regenerate` file for the supervisor's listener. The next start issues new ones from the same
CAs. The double's server issues two of them: the API server's serving certificate (api-server, k3s-server)
and the admin client certificate (admin).
"""

import os
import shutil
import sys
import time

from k3s_double import datadir, flags, logs
from k3s_double.logs import Fatal

SERVICES = [
    "admin",
    "api-server",
    "controller-manager",
    "scheduler",
    "k3s-controller",
    "k3s-server",
    "cloud-controller",
    "etcd",
    "auth-proxy",
    "kubelet",
    "kube-proxy",
]
AGENT_SERVICES = ["kubelet", "kube-proxy"]
# The files of each service in the double's server/tls directory.
SERVER_FILES = {
    "admin": ["client-admin.crt", "client-admin.key"],
    "api-server": ["serving-kube-apiserver.crt", "serving-kube-apiserver.key"],
    "k3s-server": ["serving-kube-apiserver.crt", "serving-kube-apiserver.key"],
}
FLAGS = [
    flags.Flag("debug", flags.BOOL, env="K3S_DEBUG"),
    flags.Flag("config,c", default="/etc/rancher/k3s/config.yaml", env="K3S_CONFIG_FILE"),
    flags.Flag("log,l"),
    flags.Flag("alsologtostderr", flags.BOOL),
    flags.Flag("data-dir,d", env="K3S_DATA_DIR"),
    flags.Flag("service,s", flags.SLICE),
]


def rotate(options):
    data_dir = datadir.data_dir(options["data-dir"])
    server_dir, agent_dir = os.path.join(data_dir, "server"), os.path.join(data_dir, "agent")
    services = [s for value in options["service"] for s in value.split(",") if s]
    for service in services:
        if service not in SERVICES:
            raise Fatal(f"Error: service {service} is not recognized")
    is_server = os.path.isdir(server_dir)
    if not services:
        if is_server:
            logs.info("Server detected, rotating agent and server certificates")
            services = SERVICES
        else:
            logs.info("Agent detected, rotating agent certificates")
            services = AGENT_SERVICES
    stamp = f"tls-{int(time.time())}"
    tls_dir = os.path.join(server_dir, "tls")
    if os.path.isdir(tls_dir):
        backup = os.path.join(server_dir, stamp)
        shutil.copytree(tls_dir, backup)
    else:
        backup = os.path.join(agent_dir, stamp)
        os.makedirs(backup, mode=0o700, exist_ok=True)
    if "k3s-server" in services and os.path.isdir(tls_dir):
        with open(os.path.join(tls_dir, "dynamic-cert-regenerate"), "w", encoding="utf-8"):
            pass
        os.chmod(os.path.join(tls_dir, "dynamic-cert-regenerate"), 0o600)
        logs.info("Rotating dynamic listener certificate")
    for service in services:
        logs.info(f"Rotating certificates for {service}")
        for name in SERVER_FILES.get(service, []):
            path = os.path.join(tls_dir, name)
            if os.path.exists(path):
                os.unlink(path)
                logs.debug(f"file {path} is deleted")
    logs.info(
        f"Successfully backed up certificates to {backup}, please restart k3s server or agent to rotate certificates"
    )
    return 0


def main(args):
    """`k3s certificate <command>`: rotate is supported; rotate-ca and check are not."""
    if not args or args[0] in ("-h", "--help", "help"):
        sys.stdout.write(
            "NAME:\n   k3s certificate - Manage K3s certificates\n\nCOMMANDS:\n   rotate  Rotate certificates\n"
        )
        return 0
    command, rest = args[0], args[1:]
    if command in ("rotate-ca", "check"):
        raise Fatal(f"Error: k3s certificate {command} is not supported by the k3s test double (only rotate)")
    if command != "rotate":
        sys.stderr.write(f"No help topic for '{command}'\n")
        return 3
    options = flags.parse(rest, FLAGS)
    logs.set_debug(options["debug"])
    return rotate(options)
