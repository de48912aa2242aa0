# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Command-line flags of k3s server, agent and etcd-snapshot, parsed the way k3s' CLI library parses them.

Go's flag rules apply: `-name`, `--name`, `--name=value`, `--name value`; boolean flags take no separate
value; an unknown flag ends the command with "flag provided but not defined: -name".
"""

import os

STR, BOOL, BOOL_TRUE, INT, SLICE, DURATION = "str", "bool", "boolt", "int", "slice", "duration"

# Slice flags whose values k3s also splits on commas.
COMMA_SPLIT = {"disable", "tls-san", "node-ip", "node-external-ip", "cluster-cidr", "service-cidr", "cluster-dns"}


class UsageError(Exception):
    """A command-line mistake, reported as 'Incorrect Usage' like the real CLI."""


class Flag:
    def __init__(self, names, kind=STR, default=None, env=None):
        self.names = names.split(",")
        self.name = self.names[0]
        self.kind = kind
        self.default = default
        self.env = env.split(",") if env else []

    @property
    def takes_value(self):
        return self.kind not in (BOOL, BOOL_TRUE)


def _f(names, kind=STR, default=None, env=None):
    return Flag(names, kind, default, env)


COMMON = [
    _f("config,c", default="/etc/rancher/k3s/config.yaml", env="K3S_CONFIG_FILE"),
    _f("debug", BOOL, env="K3S_DEBUG"),
    _f("v", INT, 0),
    _f("vmodule"),
    _f("log,l"),
    _f("alsologtostderr", BOOL),
]

AGENT_NODE = [
    _f("data-dir,d", env="K3S_DATA_DIR"),
    _f("node-name", env="K3S_NODE_NAME"),
    _f("with-node-id", BOOL),
    _f("node-label", SLICE),
    _f("node-taint", SLICE),
    _f("image-credential-provider-bin-dir", default="/var/lib/rancher/credentialprovider/bin"),
    _f("image-credential-provider-config", default="/var/lib/rancher/credentialprovider/config.yaml"),
    _f("selinux", BOOL, env="K3S_SELINUX"),
    _f("lb-server-port", INT, 6444, env="K3S_LB_SERVER_PORT"),
    _f("protect-kernel-defaults", BOOL),
    _f("docker", BOOL),
    _f("container-runtime-endpoint"),
    _f("default-runtime"),
    _f("image-service-endpoint"),
    _f("disable-default-registry-endpoint", BOOL),
    _f("nonroot-devices", BOOL),
    _f("pause-image", default="rancher/mirrored-pause:3.6"),
    _f("snapshotter", default="overlayfs"),
    _f("private-registry", default="/etc/rancher/k3s/registries.yaml"),
    _f("airgap-extra-registry", SLICE),
    _f("node-ip,i", SLICE),
    _f("bind-address"),
    _f("node-external-ip", SLICE),
    _f("node-internal-dns", SLICE),
    _f("node-external-dns", SLICE),
    _f("resolv-conf", env="K3S_RESOLV_CONF"),
    _f("flannel-iface"),
    _f("flannel-conf"),
    _f("flannel-cni-conf"),
    _f("vpn-auth", env="K3S_VPN_AUTH"),
    _f("vpn-auth-file", env="K3S_VPN_AUTH_FILE"),
    _f("kubelet-arg", SLICE),
    _f("kube-proxy-arg", SLICE),
    _f("enable-pprof", BOOL),
    _f("rootless", BOOL),
    _f("prefer-bundled-bin", BOOL),
]

AGENT_ONLY = [
    _f("token,t", env="K3S_TOKEN"),
    _f("token-file", env="K3S_TOKEN_FILE"),
    _f("server,s", env="K3S_URL"),
    _f("disable-apiserver-lb", BOOL),
    # Hidden and deprecated, still accepted by `k3s agent` (not by `k3s server`).
    _f("disable-selinux", BOOL_TRUE),
    _f("no-flannel", BOOL),
    _f("cluster-secret", env="K3S_CLUSTER_SECRET"),
]

ETCD_S3 = [
    _f("etcd-s3", BOOL),
    _f("etcd-s3-endpoint", default="s3.amazonaws.com"),
    _f("etcd-s3-endpoint-ca"),
    _f("etcd-s3-skip-ssl-verify", BOOL),
    _f("etcd-s3-access-key", env="AWS_ACCESS_KEY_ID"),
    _f("etcd-s3-secret-key", env="AWS_SECRET_ACCESS_KEY"),
    _f("etcd-s3-bucket"),
    _f("etcd-s3-region", default="us-east-1"),
    _f("etcd-s3-folder"),
    _f("etcd-s3-proxy"),
    _f("etcd-s3-config-secret"),
    _f("etcd-s3-insecure", BOOL),
    _f("etcd-s3-timeout", DURATION, "5m0s"),
]

SERVER_ONLY = [
    _f("bind-address"),
    _f("https-listen-port", INT, 6443),
    _f("advertise-address"),
    _f("advertise-port", INT, 0),
    _f("tls-san", SLICE),
    _f("tls-san-security", BOOL_TRUE),
    _f("cluster-cidr", SLICE),
    _f("service-cidr", SLICE),
    _f("service-node-port-range", default="30000-32767"),
    _f("cluster-dns", SLICE),
    _f("cluster-domain", default="cluster.local"),
    _f("flannel-backend", default="vxlan"),
    _f("flannel-ipv6-masq", BOOL),
    _f("flannel-external-ip", BOOL),
    _f("egress-selector-mode", default="agent"),
    _f("servicelb-namespace", default="kube-system"),
    _f("write-kubeconfig,o", env="K3S_KUBECONFIG_OUTPUT"),
    _f("write-kubeconfig-mode", env="K3S_KUBECONFIG_MODE"),
    _f("write-kubeconfig-group", env="K3S_KUBECONFIG_GROUP"),
    _f("helm-job-image"),
    _f("token,t", env="K3S_TOKEN"),
    _f("token-file", env="K3S_TOKEN_FILE"),
    _f("agent-token", env="K3S_AGENT_TOKEN"),
    _f("agent-token-file", env="K3S_AGENT_TOKEN_FILE"),
    _f("server,s", env="K3S_URL"),
    _f("cluster-init", BOOL, env="K3S_CLUSTER_INIT"),
    _f("cluster-reset", BOOL, env="K3S_CLUSTER_RESET"),
    _f("cluster-reset-restore-path"),
    _f("kube-apiserver-arg", SLICE),
    _f("etcd-arg", SLICE),
    _f("kube-controller-manager-arg", SLICE),
    _f("kube-scheduler-arg", SLICE),
    _f("kube-cloud-controller-manager-arg", SLICE),
    _f("kube-controller-arg", SLICE),
    _f("kube-cloud-controller-arg", SLICE),
    _f("datastore-endpoint", env="K3S_DATASTORE_ENDPOINT"),
    _f("datastore-cafile", env="K3S_DATASTORE_CAFILE"),
    _f("datastore-certfile", env="K3S_DATASTORE_CERTFILE"),
    _f("datastore-keyfile", env="K3S_DATASTORE_KEYFILE"),
    _f("etcd-expose-metrics", BOOL),
    _f("etcd-disable-snapshots", BOOL),
    _f("etcd-snapshot-name", default="etcd-snapshot"),
    _f("etcd-snapshot-schedule-cron", default="0 */12 * * *"),
    _f("etcd-snapshot-retention", INT, 5),
    _f("etcd-snapshot-dir"),
    _f("etcd-snapshot-compress", BOOL),
    _f("default-local-storage-path"),
    _f("disable", SLICE),
    _f("disable-scheduler", BOOL),
    _f("disable-cloud-controller", BOOL),
    _f("disable-kube-proxy", BOOL),
    _f("disable-network-policy", BOOL),
    _f("disable-helm-controller", BOOL),
    _f("disable-apiserver", BOOL),
    _f("disable-controller-manager", BOOL),
    _f("disable-etcd", BOOL),
    _f("embedded-registry", BOOL),
    _f("supervisor-metrics", BOOL),
    _f("system-default-registry", env="K3S_SYSTEM_DEFAULT_REGISTRY"),
    _f("secrets-encryption", BOOL),
    _f("secrets-encryption-provider", default="aescbc"),
    _f("disable-agent", BOOL),
]

ETCD_SNAPSHOT = [
    _f("config,c", default="/etc/rancher/k3s/config.yaml", env="K3S_CONFIG_FILE"),
    _f("debug", BOOL, env="K3S_DEBUG"),
    _f("log,l"),
    _f("alsologtostderr", BOOL),
    _f("node-name", env="K3S_NODE_NAME"),
    _f("data-dir,d", env="K3S_DATA_DIR"),
    _f("etcd-token,t"),
    _f("etcd-server,s", default="https://127.0.0.1:6443"),
    _f("dir,etcd-snapshot-dir"),
    _f("name", default="on-demand"),
    _f("snapshot-compress,etcd-snapshot-compress", BOOL),
    _f("snapshot-retention,etcd-snapshot-retention", INT, 5),
] + [_f(f"{f.name[len('etcd-') :]},{f.name}", f.kind, f.default, ",".join(f.env) or None) for f in ETCD_S3]


def _unique(flags):
    seen, result = set(), []
    for flag in flags:
        if flag.name not in seen:
            seen.add(flag.name)
            result.append(flag)
    return result


SERVER = _unique(COMMON + SERVER_ONLY + ETCD_S3 + AGENT_NODE)
AGENT = _unique(COMMON + AGENT_ONLY + AGENT_NODE)
ETCD_SNAPSHOT_LIST = [*ETCD_SNAPSHOT, _f("o,output")]

_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def parse_bool(text, name):
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise UsageError(f'invalid boolean value "{text}" for -{name}: parse error')


def parse_duration(text):
    """Seconds in a Go duration such as 40s, 5m0s, 1h30m or 1.5s."""
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    total, number, rest = 0.0, "", text.strip()
    if rest in ("0", ""):
        return 0.0
    while rest:
        if rest[0].isdigit() or rest[0] == ".":
            number += rest[0]
            rest = rest[1:]
            continue
        for unit in ("ns", "us", "µs", "ms", "s", "m", "h"):
            if rest.startswith(unit) and number:
                total += float(number) * units[unit]
                number, rest = "", rest[len(unit) :]
                break
        else:
            raise ValueError(f'time: invalid duration "{text}"')
    if number:
        raise ValueError(f'time: missing unit in duration "{text}"')
    return total


class Options:
    """Parsed flag values, read by flag name."""

    def __init__(self, flags):
        self._flags = {name: flag for flag in flags for name in flag.names}
        self._values = {}
        self._set = set()
        self.args = []

    def flag(self, name):
        return self._flags.get(name)

    def __getitem__(self, name):
        flag = self._flags[name]
        if flag.name in self._values:
            return self._values[flag.name]
        if flag.kind == SLICE:
            return []
        if flag.kind == BOOL:
            return False
        if flag.kind == BOOL_TRUE:
            return True
        return flag.default if flag.default is not None else ("" if flag.kind == STR else flag.default)

    def is_set(self, name):
        return self._flags[name].name in self._set

    def set(self, name, raw, from_env=False):
        flag = self._flags[name]
        if flag.kind in (BOOL, BOOL_TRUE):
            value = parse_bool(raw, name)
        elif flag.kind == INT:
            try:
                value = int(raw, 0)
            except ValueError:
                raise UsageError(f'invalid value "{raw}" for flag -{name}: parse error') from None
        elif flag.kind == DURATION:
            try:
                parse_duration(raw)
            except ValueError:
                raise UsageError(f'invalid value "{raw}" for flag -{name}: parse error') from None
            value = raw
        elif flag.kind == SLICE:
            items = raw.split(",") if (from_env or flag.name in COMMA_SPLIT) else [raw]
            value = self._values.get(flag.name, []) + [item.strip() for item in items if item.strip()]
        else:
            value = raw
        self._values[flag.name] = value
        self._set.add(flag.name)

    def items(self):
        return sorted((name, self._values[name]) for name in self._set)


def parse(args, flags, stop_at_positional=False):
    """Parse args against flags; positional arguments end up in Options.args."""
    options = Options(flags)
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            options.args.extend(args[index:])
            break
        if not arg.startswith("-") or arg == "-":
            if stop_at_positional:
                options.args.extend(args[index - 1 :])
                break
            options.args.append(arg)
            continue
        name = arg[2:] if arg.startswith("--") else arg[1:]
        if not name or name.startswith("-") or name.startswith("="):
            raise UsageError(f"bad flag syntax: {arg}")
        value = None
        if "=" in name:
            name, value = name.split("=", 1)
        flag = options.flag(name)
        if flag is None:
            raise UsageError(f"flag provided but not defined: -{name}")
        if flag.takes_value and value is None:
            if index >= len(args):
                raise UsageError(f"flag needs an argument: -{name}")
            value = args[index]
            index += 1
        options.set(name, "true" if value is None else value)
    for flag in flags:
        if flag.name in options._set:
            continue
        for env in flag.env:
            if os.environ.get(env):
                options.set(flag.name, os.environ[env], from_env=True)
                break
    return options
