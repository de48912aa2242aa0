# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run ``k3s etcd-snapshot`` subcommands; S3 credentials travel in the environment, never in argv."""

from __future__ import annotations

from ansible.module_utils.basic import env_fallback

from ansible_collections.homelab.k3s.plugins.module_utils.etcd_snapshot import (
    SnapshotListError,
    is_no_etcd_error,
    parse_snapshot_list,
)

# option name -> k3s flag; the flags take a value
S3_VALUE_FLAGS = (
    ("s3_endpoint", "--etcd-s3-endpoint"),
    ("s3_endpoint_ca", "--etcd-s3-endpoint-ca"),
    ("s3_bucket", "--etcd-s3-bucket"),
    ("s3_folder", "--etcd-s3-folder"),
    ("s3_region", "--etcd-s3-region"),
)
# option name -> k3s flag; the flags are switches
S3_SWITCH_FLAGS = (
    ("s3_insecure", "--etcd-s3-insecure"),
    ("s3_skip_ssl_verify", "--etcd-s3-skip-ssl-verify"),
)
# option name -> environment variable k3s reads the flag from
S3_SECRET_ENV = (
    ("s3_access_key", "AWS_ACCESS_KEY_ID"),
    ("s3_secret_key", "AWS_SECRET_ACCESS_KEY"),
)

NO_ETCD_MESSAGE = (
    "this server does not use embedded etcd (it runs on SQLite or an external datastore), so it has no"
    " etcd snapshots; etcd snapshots need servers started with cluster-init"
)


def snapshot_cli_argument_spec():
    """The options of the modules that run ``k3s etcd-snapshot``, documented in doc_fragments/etcd_snapshot_cli."""
    spec = dict(
        k3s_bin=dict(type="path", default="/usr/local/bin/k3s"),
        data_dir=dict(type="path"),
        s3=dict(type="bool", default=False),
    )
    spec.update((option, dict(type="str")) for option, _flag in S3_VALUE_FLAGS)
    spec.update(
        (option, dict(type="str", no_log=True, fallback=(env_fallback, [variable])))
        for option, variable in S3_SECRET_ENV
    )
    spec.update((option, dict(type="bool", default=False)) for option, _flag in S3_SWITCH_FLAGS)
    return spec


class K3sCliError(Exception):
    def __init__(self, message, rc=None, stderr=""):
        super().__init__(message)
        self.rc = rc
        self.stderr = stderr


def s3_arguments(params):
    """Return (flags, environment) for the S3 options in params; nothing when s3 is off."""
    if not params.get("s3"):
        return [], {}
    flags = ["--etcd-s3"]
    for option, flag in S3_VALUE_FLAGS:
        if params.get(option):
            flags.extend([flag, params[option]])
    for option, flag in S3_SWITCH_FLAGS:
        if params.get(option):
            flags.append(flag)
    environment = {variable: params[option] for option, variable in S3_SECRET_ENV if params.get(option)}
    return flags, environment


def _last_line(text):
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""


class EtcdSnapshotCli:
    """A k3s binary and the options every etcd-snapshot subcommand takes.

    run_command has the signature of AnsibleModule.run_command.
    """

    def __init__(self, run_command, k3s_bin, data_dir=None, s3_params=None):
        self._run_command = run_command
        self.k3s_bin = k3s_bin
        self.data_dir = data_dir
        self._s3_flags, self._s3_environment = s3_arguments(s3_params or {})

    def command(self, subcommand, *arguments):
        """The argv of a subcommand; it holds no secret."""
        argv = [self.k3s_bin, "etcd-snapshot", subcommand]
        if self.data_dir:
            argv.extend(["--data-dir", self.data_dir])
        return argv + self._s3_flags + list(arguments)

    def run(self, subcommand, *arguments):
        argv = self.command(subcommand, *arguments)
        rc, out, err = self._run_command(argv, environ_update=dict(self._s3_environment))
        if rc != 0:
            raise K3sCliError(self._explain(subcommand, rc, out, err), rc=rc, stderr=err)
        return out, err

    @staticmethod
    def _explain(subcommand, rc, out, err):
        text = f"{err or ''}\n{out or ''}"
        if is_no_etcd_error(text):
            return NO_ETCD_MESSAGE
        hint = ""
        lowered = text.lower()
        if "connection refused" in lowered:
            hint = " Is k3s running on this node? The etcd-snapshot commands talk to the local server."
        elif "permission denied" in lowered:
            hint = " Run the task with become: true."
        return f"k3s etcd-snapshot {subcommand} failed (rc={rc}): {_last_line(err or out)}.{hint}"

    def list(self):
        out, _err = self.run("ls", "--output", "json")
        try:
            return parse_snapshot_list(out)
        except SnapshotListError as error:
            raise K3sCliError(f"Cannot read the snapshot list: {error}") from None

    def save(self, name):
        return self.run("save", "--name", name)

    def delete(self, name):
        return self.run("delete", name)

    def prune(self, prefix, retention):
        return self.run("prune", "--name", prefix, "--snapshot-retention", str(retention))
