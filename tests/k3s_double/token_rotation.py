# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`k3s token rotate` (docs.k3s.io/cli/token; k3s pkg/cli/token and pkg/server/token.go).

The command asks the running server (PUT /v1-k3s/token, authenticated with the current server token) to
replace the server token: the server re-encrypts the bootstrap data (the cluster CAs) in the datastore with
the new token, writes the new token to server/token and its passwd file, and the other nodes go on with the
old token until they are restarted with the new one. `--new-token` empty makes a random one.

k3s' servers talk to each other through etcd's own certificates, so a server still on the old token keeps
replicating. The double's servers replicate with the token instead; to behave the same, every rotation
leaves a record in the datastore (the new secret encrypted with the old one, and the other way round), and a
server accepts, next to its own token, the tokens that record links to it.
"""

import hashlib
import json
import os
import sys

from k3s_double import datadir, flags, httpclient, logs, pki, tokens
from k3s_double.logs import Fatal

PATH = "/v1-k3s/token"
RECORD_KEY = "/double/token-rotations"
BOOTSTRAP_PREFIX = "/bootstrap/"
WARNING = (
    "\033[33mWARNING\033[0m: Recommended to keep a record of the old token. "
    "If restoring from a snapshot, you must use the token associated with that snapshot."
)
FLAGS = [
    flags.Flag("debug", flags.BOOL, env="K3S_DEBUG"),
    flags.Flag("data-dir,d", env="K3S_DATA_DIR"),
    flags.Flag("kubeconfig", env="KUBECONFIG"),
    flags.Flag("token,t", env="K3S_TOKEN"),
    flags.Flag("server,s", default="https://127.0.0.1:6443", env="K3S_URL"),
    flags.Flag("new-token"),
]
OTHER_COMMANDS = ("create", "delete", "generate", "list", "ls")


def bootstrap_key(secret):
    return BOOTSTRAP_PREFIX + hashlib.sha256(secret.encode()).hexdigest()[:12]


def _sealed(secret, passphrase):
    return pki.encrypt(json.dumps({"secret": secret}).encode(), passphrase)


def _opened(blob, passphrase):
    try:
        return json.loads(pki.decrypt(blob, passphrase))["secret"]
    except (pki.PKIError, ValueError, KeyError, TypeError):
        return None


class Rotation:
    """The server side: the PUT handler and the tokens accepted besides the server's own."""

    def __init__(self, server):
        self.server = server
        self._cache = (None, None, [])

    def handle(self, body, _user):
        server = self.server
        wanted = (body or {}).get("newToken") or tokens.random_secret()
        try:
            new = tokens.password_of(wanted)
        except tokens.TokenError as exc:
            return 400, {"kind": "Status", "status": "Failure", "message": f"invalid new token: {exc}", "code": 400}
        old = server.secret
        found = server.datastore.get(bootstrap_key(old))
        if not found:
            return 500, {"kind": "Status", "status": "Failure", "message": "bootstrap data not found", "code": 500}
        files = pki.decrypt(found[0]["data"], old)
        record = server.datastore.get(RECORD_KEY)
        entries = list(record[0]["entries"]) if record else []
        entries.append({"old": _sealed(new, old), "new": _sealed(old, new)})
        ops = [
            {"op": "put", "key": bootstrap_key(new), "value": {"data": pki.encrypt(files, new)}},
            {"op": "put", "key": RECORD_KEY, "value": {"entries": entries}, "expect": record[1] if record else 0},
        ]
        if new != old:
            ops.append({"op": "delete", "key": bootstrap_key(old)})
        server.datastore.commit(ops)
        server.secret = new
        server.token_hash = hashlib.sha256(new.encode()).hexdigest()
        server.write_token_files()
        logs.info("Server token rotated: restart the servers, and the agents that joined with it, with the new token")
        return 200, {}

    def accepted(self, own):
        """The secrets linked to `own` by the rotation records (cached until the record changes)."""
        record = self.server.datastore.get(RECORD_KEY) if self.server.datastore else None
        revision = record[1] if record else 0
        if self._cache[:2] == (own, revision):
            return self._cache[2]
        linked = []
        for entry in record[0]["entries"] if record else []:
            for field in ("old", "new"):
                secret = _opened(entry[field], own)
                if secret and secret != own:
                    linked.append(secret)
        self._cache = (own, revision, linked)
        return linked


def main(args):
    """`k3s token <command>`: rotate is supported; the bootstrap-token commands are not."""
    if not args or args[0] in ("-h", "--help", "help"):
        sys.stdout.write("NAME:\n   k3s token - Manage tokens\n\nCOMMANDS:\n   rotate  Rotate original server token\n")
        return 0
    command, rest = args[0], args[1:]
    if command in OTHER_COMMANDS:
        raise Fatal(f"Error: k3s token {command} is not supported by the k3s test double (only rotate)")
    if command != "rotate":
        sys.stderr.write(f"No help topic for '{command}'\n")
        return 3
    options = flags.parse(rest, FLAGS)
    logs.set_debug(options["debug"])
    sys.stdout.write(WARNING + "\n")
    token = options["token"]
    if not token:
        path = os.path.join(datadir.data_dir(options["data-dir"]), "server", "token")
        try:
            with open(path, encoding="utf-8") as handle:
                token = handle.read().rstrip("\n")
        except OSError as exc:
            raise Fatal(f"Error: open {path}: {exc.strerror.lower()}") from exc
    try:
        supervisor = httpclient.Supervisor(options["server"], token, "server").connect()
        supervisor.call("PUT", PATH, {"newToken": options["new-token"]})
    except tokens.TokenError as exc:
        raise Fatal(f"Error: {exc}") from exc
    except httpclient.RequestError as exc:
        raise Fatal(f"Error: {exc}") from exc
    sys.stdout.write("Token rotated, restart k3s nodes with new token\n")
    return 0
