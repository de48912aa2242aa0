# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`k3s server`: datastore, certificates, tokens, kubeconfig, the HTTPS listener, its own node, the deploy
controller and etcd snapshots, run in the foreground until SIGTERM.
"""

import hashlib
import ipaddress
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse

from k3s_double import (
    apiserver,
    cluster,
    datadir,
    deploy,
    httpclient,
    kubeconfig,
    kubelet,
    logs,
    manifests,
    nodes,
    pki,
    readfile,
    snapshots,
    systemd,
    token_rotation,
    tokens,
    version,
)
from k3s_double.api import API, APIError, Unavailable
from k3s_double.logs import Fatal
from k3s_double.store import Store

BOOTSTRAP_PREFIX = "/bootstrap/"
BOOTSTRAP_FILES = (
    "server-ca.crt",
    "server-ca.key",
    "client-ca.crt",
    "client-ca.key",
    "request-header-ca.crt",
    "request-header-ca.key",
    "service.key",
)
CAS = {"server-ca": "k3s-server-ca", "client-ca": "k3s-client-ca", "request-header-ca": "k3s-request-header-ca"}
DATASTORE_SCHEMES = ("sqlite", "postgres", "mysql", "http", "https", "nats", "unix", "unixs")
RESET_DONE = (
    "Managed etcd cluster membership has been reset, restart without --cluster-reset flag now. "
    "Backup and delete ${datadir}/server/db on each peer etcd server and rejoin the nodes"
)
DIFFERENT_TOKEN = (
    "starting kubernetes: preparing server: bootstrap data already found and encrypted with different token"
)


def _url_host(address):
    try:
        return f"[{address}]" if ipaddress.ip_address(address).version == 6 else address
    except ValueError:
        return address


def _read(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return None


def _read_token_file(path, what):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError as exc:
        raise Fatal(f"Error: failed to read {what} from {path}: {exc.strerror}") from exc


class Server:
    def __init__(self, options, args):
        self.options = options
        self.args = args
        self.data_dir = datadir.data_dir(options["data-dir"])
        self.server_dir = os.path.join(self.data_dir, "server")
        self.tls_dir = os.path.join(self.server_dir, "tls")
        self.cred_dir = os.path.join(self.server_dir, "cred")
        self.db_dir = os.path.join(self.server_dir, "db")
        self.etcd_dir = os.path.join(self.db_dir, "etcd")
        self.manifests_dir = os.path.join(self.server_dir, "manifests")
        self.node_name = (options["node-name"] or nodes.default_node_name()).lower()
        self.port = options["https-listen-port"]
        self.bind = options["bind-address"] or "0.0.0.0"  # noqa: S104 - k3s listens on all addresses by default
        self.node_ip = kubelet.internal_ip(options)
        self.advertise = options["advertise-address"] or self.node_ip
        self.join_url = options["server"]
        self.disabled = set(options["disable"])
        if options["disable-cloud-controller"]:
            self.disabled.add("ccm")
        self.stop = threading.Event()
        self.exit_code = 0
        self.secret = ""
        self.given_token = ""
        self.agent_secret = ""
        self.token_hash = ""
        self.datastore = None
        self.api = None
        self.listener = None
        self.snapshots = snapshots.SnapshotManager(self)
        self.rotation = token_rotation.Rotation(self)
        self.routes = {}

    # -- paths and settings ------------------------------------------------------------------------

    def tls(self, name):
        return os.path.join(self.tls_dir, name)

    @property
    def local_url(self):
        host = self.bind if self.bind not in ("0.0.0.0", "::") else "127.0.0.1"  # noqa: S104
        return f"https://{_url_host(host)}:{self.port}"

    @property
    def peer_url(self):
        return f"https://{_url_host(self.advertise)}:{self.port}"

    def settings(self):
        cidrs = self.options["service-cidr"] or ["10.43.0.0/16"]
        return {
            "grace_seconds": kubelet.component_arg(
                self.options["kube-controller-manager-arg"], "node-monitor-grace-period", nodes.DEFAULT_GRACE_SECONDS
            ),
            "service_cidr": cidrs[0],
            "disable_helm_controller": self.options["disable-helm-controller"],
            "helm_job_image": self.options["helm-job-image"],
        }

    def passwords(self):
        rotated = self.rotation.accepted(self.secret)
        return {"server": [self.secret, *rotated], "node": [p for p in (self.agent_secret, self.secret) if p] + rotated}

    def cacerts(self):
        with open(self.tls("server-ca.crt"), "rb") as handle:
            return handle.read()

    # -- datastore -----------------------------------------------------------------------------------

    def _embedded_etcd(self):
        if self.options["datastore-endpoint"]:
            return False
        return bool(
            self.options["cluster-init"]
            or self.join_url
            or self.options["cluster-reset"]
            or os.path.exists(os.path.join(self.etcd_dir, "name"))
        )

    def _sqlite_path(self):
        endpoint = self.options["datastore-endpoint"]
        default = os.path.join(self.db_dir, "state.db")
        if not endpoint:
            return default
        parsed = urllib.parse.urlsplit(endpoint)
        scheme = parsed.scheme or ("postgres" if endpoint.startswith("postgres") else "")
        if scheme not in DATASTORE_SCHEMES:
            raise Fatal(f'Error: invalid datastore endpoint "{endpoint}": unsupported scheme')
        if scheme == "sqlite":
            path = parsed.path or default
            return path if os.path.isabs(path) else os.path.join(self.db_dir, path)
        logs.warning(f"The k3s test double keeps the {scheme} datastore in {default} (SQLite)")
        return default

    def open_datastore(self):
        if self._embedded_etcd():
            os.makedirs(self.etcd_dir, mode=0o700, exist_ok=True)
            name_file = os.path.join(self.etcd_dir, "name")
            if os.path.exists(name_file):
                with open(name_file, encoding="utf-8") as handle:
                    member = handle.read().strip()
            else:
                member = cluster.new_member_name(self.node_name)
                pki.write_private(name_file, member + "\n")
            store = Store(os.path.join(self.etcd_dir, "member", "snap", "db"))
            self.datastore = cluster.EtcdDatastore(store, member, self.peer_url)
            self.datastore.on_removed = self._removed_from_cluster
        else:
            self.datastore = cluster.LocalDatastore(Store(self._sqlite_path()))
        self.api = API(self.datastore, self.settings())
        if self.datastore.embedded_etcd:
            self.api.member_removal = self.datastore.removal_ops

    def _removed_from_cluster(self):
        logs.log(
            "fatal",
            "this server is not a member of the etcd cluster any more (its node was deleted); "
            f"delete {self.db_dir} and restart to rejoin",
        )
        self.exit_code = 1
        self.stop.set()

    # -- tokens ----------------------------------------------------------------------------------------

    def resolve_tokens(self):
        # As k3s: --token-file and --agent-token-file replace --token and --agent-token.
        given = self.options["token"]
        if self.options["token-file"]:
            given = readfile.read_file(self.options["token-file"], self.stop)
        self.given_token = given
        token_file = os.path.join(self.server_dir, "token")
        try:
            if given:
                self.secret = tokens.password_of(given)
            elif os.path.exists(token_file):
                self.secret = tokens.password_of(_read_token_file(token_file, "token"))
            elif self.join_url:
                raise Fatal("Error: token is required to join a cluster")
            else:
                self.secret = tokens.random_secret()
            agent = self.options["agent-token"]
            if self.options["agent-token-file"]:
                agent = readfile.read_file(self.options["agent-token-file"], self.stop)
            self.agent_secret = tokens.password_of(agent) if agent else ""
        except tokens.TokenError as exc:
            raise Fatal(f"Error: {exc}") from exc
        self.token_hash = hashlib.sha256(self.secret.encode()).hexdigest()

    def write_token_files(self):
        ca = self.cacerts()
        token_file = os.path.join(self.server_dir, "token")
        pki.write_private(token_file, tokens.format_token(ca, "server", self.secret) + "\n")
        node_token = os.path.join(self.server_dir, "node-token")
        if os.path.lexists(node_token):
            os.unlink(node_token)
        os.symlink(token_file, node_token)
        agent_file = os.path.join(self.server_dir, "agent-token")
        if self.agent_secret:
            pki.write_private(agent_file, tokens.format_token(ca, "node", self.agent_secret) + "\n")
        elif os.path.exists(agent_file):
            os.unlink(agent_file)
        lines = [f"{self.secret},server,server,k3s:server", f"{self.agent_secret or self.secret},node,node,k3s:agent"]
        pki.write_private(os.path.join(self.cred_dir, "passwd"), "\n".join(lines) + "\n")

    # -- certificates ----------------------------------------------------------------------------------

    def bootstrap(self):
        """Take the cluster CAs from the datastore (encrypted with the token), or create and store them."""
        os.makedirs(self.tls_dir, mode=0o700, exist_ok=True)
        key = BOOTSTRAP_PREFIX + hashlib.sha256(self.secret.encode()).hexdigest()[:12]
        found = self.datastore.get(key)
        if found:
            logs.info("Reconciling bootstrap data between datastore and disk")
            try:
                files = json.loads(pki.decrypt(found[0]["data"], self.secret))
            except (pki.PKIError, ValueError) as exc:
                raise Fatal(DIFFERENT_TOKEN) from exc
            for name, content in files.items():
                if _read(self.tls(name)) != content:
                    pki.write_private(self.tls(name), content, 0o600 if name.endswith(".key") else 0o644)
            return
        if self.datastore.list(BOOTSTRAP_PREFIX):
            raise Fatal(DIFFERENT_TOKEN)
        for base, name in CAS.items():
            if not os.path.exists(self.tls(f"{base}.crt")):
                pki.new_ca(self.tls(f"{base}.key"), self.tls(f"{base}.crt"), name)
        if not os.path.exists(self.tls("service.key")):
            pki.new_key(self.tls("service.key"))
        files = {}
        for name in BOOTSTRAP_FILES:
            with open(self.tls(name), encoding="utf-8") as handle:
                files[name] = handle.read()
        blob = pki.encrypt(json.dumps(files).encode(), self.secret)
        try:
            self.datastore.commit([{"op": "put", "key": key, "value": {"data": blob}, "expect": 0}])
        except Unavailable as exc:
            raise Fatal(f"Error: failed to save bootstrap data: {exc}") from exc

    def serving_sans(self):
        cidr = ipaddress.ip_network((self.options["service-cidr"] or ["10.43.0.0/16"])[0], strict=False)
        domain = self.options["cluster-domain"]
        names = [
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
            f"kubernetes.default.svc.{domain}",
            "localhost",
            socket.gethostname(),
            self.node_name,
            "127.0.0.1",
            "::1",
            str(cidr.network_address + 1),
            *(self.options["node-ip"] or [self.node_ip]),
            *nodes.host_addresses(),
            *self.options["node-external-ip"],
            self.advertise,
            *self.options["tls-san"],
        ]
        if self.bind not in ("0.0.0.0", "::"):  # noqa: S104
            names.append(self.bind)
        return list(dict.fromkeys(n for n in names if n))

    def issue_certificates(self):
        ca = (self.tls("server-ca.crt"), self.tls("server-ca.key"))
        client_ca = (self.tls("client-ca.crt"), self.tls("client-ca.key"))
        serving, serving_key = self.tls("serving-kube-apiserver.crt"), self.tls("serving-kube-apiserver.key")
        sans = self.serving_sans()
        if not os.path.exists(serving) or pki.cert_sans(serving) != set(sans) or not self._signed_by(serving, ca[0]):
            pki.new_serving_cert(serving_key, serving, ca, "kube-apiserver", sans)
        admin, admin_key = self.tls("client-admin.crt"), self.tls("client-admin.key")
        if not os.path.exists(admin) or not self._signed_by(admin, client_ca[0]):
            pki.new_client_cert(admin_key, admin, client_ca, "system:admin", "system:masters")

    @staticmethod
    def _signed_by(cert, ca):
        result = subprocess.run(["openssl", "verify", "-CAfile", ca, cert], capture_output=True, check=False)
        return result.returncode == 0

    def write_kubeconfigs(self):
        with open(self.tls("server-ca.crt"), "rb") as ca, open(self.tls("client-admin.crt"), "rb") as cert:
            ca_pem, cert_pem = ca.read(), cert.read()
        with open(self.tls("client-admin.key"), "rb") as key:
            key_pem = key.read()
        admin = kubeconfig.file_kubeconfig(
            self.local_url, self.tls("server-ca.crt"), self.tls("client-admin.crt"), self.tls("client-admin.key")
        )
        kubeconfig.write(os.path.join(self.cred_dir, "admin.kubeconfig"), admin)
        mode_text = self.options["write-kubeconfig-mode"]
        try:
            mode = int(mode_text, 8) if mode_text else 0o600
        except ValueError as exc:
            raise Fatal(f'Error: failed to parse --write-kubeconfig-mode "{mode_text}"') from exc
        output = datadir.kubeconfig_output(self.options["write-kubeconfig"])
        config = kubeconfig.admin_kubeconfig(self.local_url, ca_pem, cert_pem, key_pem)
        try:
            kubeconfig.write(output, config, mode, self.options["write-kubeconfig-group"] or None)
        except (OSError, ValueError) as exc:
            raise Fatal(f"Error: failed to write kubeconfig {output}: {exc}") from exc
        logs.info(f"Wrote kubeconfig {output}")

    # -- embedded etcd membership ----------------------------------------------------------------------

    def _supervisor(self, url):
        try:
            return httpclient.Supervisor(url, self.given_token or self.secret, "server").connect()
        except (httpclient.RequestError, tokens.TokenError) as exc:
            raise Fatal(f"Error: failed to validate token: {exc}") from exc

    def _connect_to_cluster(self):
        """Check the token against the server to join, retrying while that server cannot be reached."""
        token = self.given_token or self.secret
        while True:
            try:
                return httpclient.Supervisor(self.join_url, token, "server").connect()
            except tokens.TokenError as exc:
                raise Fatal(f"Error: failed to validate token: {exc}") from exc
            except httpclient.RequestError as exc:
                logs.error(str(exc))
            if self.stop.wait(2):
                raise Fatal("Error: stopped while waiting for the server to join")

    def join_or_check(self):
        ds = self.datastore
        if ds.cluster_id():
            if self.join_url:
                self._check_same_cluster()
            return
        if not self.join_url:
            ds.initialize(self.node_name)
            logs.info(f"Starting etcd for new cluster, cluster-id={ds.cluster_id()}")
            return
        supervisor = self._connect_to_cluster()
        ds.cacerts, ds.auth = supervisor.cacerts, ("server", self.secret)
        member = {"name": ds.name, "peerURL": self.peer_url, "nodeName": self.node_name}
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = supervisor.call("POST", cluster.PEER_PATH + "/join", member, timeout=30)
                break
            except httpclient.RequestError as exc:
                if exc.status == 404:
                    raise Fatal(f"Error: etcd cluster join failed: {self.join_url} does not run embedded etcd") from exc
                if exc.status in (401, 409):
                    raise Fatal(f"Error: etcd cluster join failed: {exc.api_message()}") from exc
                if time.monotonic() > deadline:
                    raise Fatal(f"Error: etcd cluster join failed: {exc.api_message()}") from exc
                logs.info(f"Waiting to join the etcd cluster: {exc.api_message()}")
                if self.stop.wait(2):
                    raise Fatal("Error: stopped while joining the etcd cluster") from exc
        ds.store.load(answer["dump"])
        logs.info(f"Joined etcd cluster {ds.cluster_id()} as member {ds.name}")

    def _check_same_cluster(self):
        ds = self.datastore
        supervisor = self._supervisor(self.join_url)
        try:
            remote = supervisor.call("GET", cluster.PEER_PATH + "/status")
        except httpclient.RequestError as exc:
            logs.warning(f"Failed to check the etcd cluster of {self.join_url}: {exc}")
            return
        if remote["clusterID"] != ds.cluster_id():
            raise Fatal(
                f"etcd cluster join failed: cluster ID mismatch: this member has cluster ID {ds.cluster_id()}, "
                f"{self.join_url} has {remote['clusterID']}; delete {self.db_dir} and restart to join its cluster"
            )
        if not any(m["name"] == ds.name for m in remote["members"]):
            raise Fatal(
                f"etcd cluster join failed: member {ds.name} is not part of the etcd cluster of {self.join_url}; "
                f"delete {self.db_dir} and restart to rejoin"
            )

    # -- supervisor endpoints --------------------------------------------------------------------------

    def build_routes(self):
        routes = {
            "/v1-k3s/double/nodes": apiserver.Route(self._register_node, ("node", "server")),
            "/v1-k3s/double/heartbeat": apiserver.Route(self._heartbeat, ("node", "server")),
            "/db/snapshot": apiserver.Route(self.snapshots.handle),
            token_rotation.PATH: apiserver.Route(self.rotation.handle, methods=("PUT",)),
        }
        if self.datastore.embedded_etcd:
            ds = self.datastore
            peer = cluster.PEER_PATH
            routes.update(
                {
                    peer + "/status": apiserver.Route(lambda _b, _u: (200, ds.status()), methods=("GET",)),
                    peer + "/dump": apiserver.Route(lambda _b, _u: (200, ds.store.dump()), methods=("GET",)),
                    peer + "/append": apiserver.Route(lambda b, _u: ds.on_append(b)),
                    peer + "/load": apiserver.Route(lambda b, _u: ds.on_load(b)),
                    peer + "/propose": apiserver.Route(lambda b, _u: ds.on_propose(b)),
                    peer + "/join": apiserver.Route(self._join),
                }
            )
        return routes

    def _servers(self):
        if self.datastore.embedded_etcd:
            return [m["peerURL"] for m in self.datastore.members()]
        return [self.peer_url]

    def _register_node(self, body, _user):
        kubelet.register(self.api, body["node"])
        logs.info(f"Registered node {body['node']['metadata']['name']}")
        return 200, {"servers": self._servers()}

    def _heartbeat(self, body, _user):
        try:
            kubelet.post_status(self.api, body["name"])
        except APIError as exc:
            return exc.code, exc.status()
        return 200, {"servers": self._servers()}

    def _join(self, body, _user):
        member = {"name": body["name"], "peerURL": body["peerURL"], "nodeName": body["nodeName"]}
        try:
            self.datastore.commit(self.datastore.join_ops(member))
        except Unavailable as exc:
            return 503, APIError(503, "ServiceUnavailable", str(exc)).status()
        except cluster.MemberConflict as exc:
            return 409, APIError(409, "Conflict", str(exc)).status()
        logs.info(f"Added etcd member {member['name']} at {member['peerURL']}")
        return 200, {"dump": self.datastore.store.dump()}

    # -- cluster content -------------------------------------------------------------------------------

    def seed(self):
        """The namespaces and the kubernetes Service every cluster has."""
        objects = [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
            for name in ("default", "kube-system", "kube-public", "kube-node-lease")
        ]
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {
                    "name": "kubernetes",
                    "namespace": "default",
                    "labels": {"component": "apiserver", "provider": "kubernetes"},
                },
                "spec": {"ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": self.port}]},
            }
        )
        for obj in objects:
            resource = self.api.resource_for(obj)
            try:
                self.api.create(resource, obj["metadata"].get("namespace"), obj)
            except APIError as exc:
                if exc.reason != "AlreadyExists":
                    raise

    def stage_manifests(self, controller):
        values = {
            "CLUSTER_DNS": (self.options["cluster-dns"] or ["10.43.0.10"])[0],
            "CLUSTER_DOMAIN": self.options["cluster-domain"],
            "DEFAULT_LOCAL_STORAGE_PATH": self.options["default-local-storage-path"] or "/var/lib/rancher/k3s/storage",
            "SYSTEM_DEFAULT_REGISTRY": (self.options["system-default-registry"] + "/")
            if self.options["system-default-registry"]
            else "",
            "SYSTEM_DEFAULT_REGISTRY_RAW": self.options["system-default-registry"],
            "KUBERNETES_API": f"{_url_host(self.advertise)}:{self.port}",
        }
        manifests.stage(self.manifests_dir, self.disabled, values)
        for component, target in manifests.PACKAGED.items():
            if component in self.disabled:
                for name in manifests.addon_names(target):
                    controller.remove(name)

    def own_node(self):
        roles = {"node-role.kubernetes.io/control-plane": "true", "node-role.kubernetes.io/master": "true"}
        annotations = {}
        if self.datastore.embedded_etcd:
            roles["node-role.kubernetes.io/etcd"] = "true"
            annotations = {
                "etcd.k3s.cattle.io/node-name": self.datastore.name,
                "etcd.k3s.cattle.io/node-address": self.advertise,
            }
        try:
            return kubelet.build(self.options, self.node_name, roles, "server", self.args, annotations)
        except nodes.NodeConfigError as exc:
            raise Fatal(f"Error: {exc}") from exc

    # -- background loops ------------------------------------------------------------------------------

    def _loop(self, name, target, *args):
        def run():
            try:
                target(*args)
            except Exception as exc:
                logs.error(f"{name} stopped: {exc!r}")

        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.start()
        return thread

    def _post_own_status(self, node):
        interval = kubelet.status_interval(self.options)
        while not self.stop.wait(interval):
            try:
                kubelet.post_status(self.api, self.node_name)
            except APIError as exc:
                if exc.reason == "NotFound":
                    logs.info(f"Node {self.node_name} was deleted, registering it again")
                    self._retry(lambda: kubelet.register(self.api, node))
                else:
                    logs.warning(f"Failed to update node status: {exc}")

    def _retry(self, action):
        """Run action until the datastore takes it (embedded etcd waits for a quorum of members)."""
        while True:
            try:
                return action()
            except APIError as exc:
                if exc.code != 500:
                    raise
                logs.info(f"Waiting for the datastore: {exc}")
            except (httpclient.RequestError, OSError) as exc:
                logs.info(f"Waiting for etcd members: {exc}")
            if self.stop.wait(2):
                raise Fatal("Error: stopped while waiting for the datastore")

    # -- main ------------------------------------------------------------------------------------------

    def cluster_reset(self):
        if not self.datastore.embedded_etcd:
            raise Fatal("Error: --cluster-reset requires the embedded etcd datastore")
        reset_flag = os.path.join(self.db_dir, "reset-flag")
        if os.path.exists(reset_flag):
            raise Fatal(
                "cluster-reset was successfully performed, please remove the cluster-reset flag and start k3s "
                "normally, if you need to perform another cluster reset, you must first manually delete the "
                f"{reset_flag} file"
            )
        restore = self.options["cluster-reset-restore-path"]
        if restore:
            if self.options["etcd-s3"] and not os.path.exists(restore):
                s3 = snapshots.S3.from_options(self.options)
                logs.info(f"Retrieving etcd snapshot {restore} from S3")
                local = os.path.join(self.snapshots.directory(), os.path.basename(restore))
                shutil.copy2(os.path.join(s3.directory, os.path.basename(restore)), local)
                logs.info("S3 download complete")
                restore = local
            try:
                dump = snapshots.read_snapshot(restore)
            except snapshots.SnapshotError as exc:
                raise Fatal(f"Error: failed to restore etcd snapshot: {exc}") from exc
            if os.path.isdir(self.tls_dir):
                backup = f"{self.tls_dir}-{int(time.time())}"
                logs.info(f"Cluster reset: backing up certificates directory to {backup}")
                shutil.copytree(self.tls_dir, backup)
            logs.info(f"Pre-restore etcd database moved; restoring snapshot {restore}")
            self.datastore.store.load(dump)
        self.datastore.initialize(self.node_name)
        self.bootstrap()
        self.issue_certificates()
        self.write_token_files()
        pki.write_private(reset_flag, "")
        logs.info(RESET_DONE)
        return 0

    def run(self):
        logs.info(f"Starting k3s {version.VERSION} ({version.COMMIT})")
        logs.warning("This is the homelab.k3s test double, not k3s: it runs no containers")
        systemd.stop_on_signals(self.stop)
        for path in (self.server_dir, self.cred_dir, self.manifests_dir):
            os.makedirs(path, mode=0o700, exist_ok=True)
        self.resolve_tokens()
        self._check_port()
        self.open_datastore()
        if self.options["cluster-reset"]:
            return self.cluster_reset()
        reset_flag = os.path.join(self.db_dir, "reset-flag")
        if os.path.exists(reset_flag):
            os.unlink(reset_flag)
        ds = self.datastore
        if ds.embedded_etcd:
            ds.auth = ("server", self.secret)
            if os.path.exists(self.tls("server-ca.crt")):
                ds.cacerts = self.cacerts()
            self.join_or_check()
        self.bootstrap()
        if ds.embedded_etcd:
            ds.cacerts = self.cacerts()
        self.issue_certificates()
        self.write_token_files()
        self.write_kubeconfigs()
        self.routes = self.build_routes()
        self.listener = self._listen()
        logs.info(f"Running kube-apiserver (test double) on {self.bind}:{self.port}")
        sync = None
        if ds.embedded_etcd:
            sync = self._loop("etcd-sync", ds.run_sync, self.stop)
            if len(ds.members()) > 1:
                self._retry(ds.sync_once)
        self._retry(self.seed)
        controller = deploy.DeployController(self.api, self.manifests_dir)
        self._retry(lambda: self.stage_manifests(controller))
        if not self.options["disable-agent"]:
            node = self.own_node()
            self._retry(lambda: kubelet.register(self.api, node))
            self._loop("node-status", self._post_own_status, node)
        self._retry(lambda: controller.scan(force=True))
        self._loop("deploy", controller.run, self.stop, 2.0)
        if ds.embedded_etcd:
            self._retry(self.snapshots.reconcile)
            if not self.options["etcd-disable-snapshots"]:
                self._loop(
                    "etcd-snapshots",
                    self.snapshots.run_schedule,
                    self.stop,
                    self.options["etcd-snapshot-schedule-cron"],
                )
        logs.info("k3s is up and running")
        systemd.notify("READY=1\n")
        self._wait()
        logs.info("Shutting down k3s (test double)")
        self.listener.shutdown()
        if sync:
            sync.join(timeout=5)
        return self.exit_code

    def _check_port(self):
        """Fail before touching the cluster when the listen port is taken, as binding it later would."""
        family = socket.AF_INET6 if ":" in self.bind else socket.AF_INET
        probe = socket.socket(family, socket.SOCK_STREAM)
        try:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((self.bind, self.port))
        except OSError as exc:
            raise Fatal(f"Error: listen tcp {self.bind}:{self.port}: bind: {exc.strerror}") from exc
        except OverflowError as exc:
            raise Fatal(f"Error: listen tcp: address {self.port}: invalid port") from exc
        finally:
            probe.close()

    def _listen(self):
        context = apiserver.server_context(
            self.tls("serving-kube-apiserver.crt"), self.tls("serving-kube-apiserver.key"), self.tls("client-ca.crt")
        )
        try:
            return apiserver.serve(self, self.bind, self.port, context)
        except OSError as exc:
            raise Fatal(f"Error: listen tcp {self.bind}:{self.port}: bind: {exc.strerror}") from exc
        except OverflowError as exc:
            raise Fatal(f"Error: listen tcp: address {self.port}: invalid port") from exc

    def _wait(self):
        while not self.stop.wait(0.5):
            pass


def run(options, args):
    server = Server(options, args)
    try:
        return server.run()
    finally:
        if server.listener:
            server.listener.server_close()
