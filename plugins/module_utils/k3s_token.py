# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse, read and compare k3s join tokens without ever echoing them.

A k3s token is either the full form ``K10<sha256 of the cluster CA, hex>::<user>:<secret>``
(also ``K10<hash>::<id>.<secret>`` for bootstrap tokens) or a bare secret. A bare value that
does not start with ``K10`` is the secret as a whole, colons included: that is how k3s reads it.
"""

from __future__ import annotations

import hmac
import os
import re
import time
from collections import namedtuple

FULL_PREFIX = "K10"
CA_HASH_LENGTH = 64
TOKEN_FILES = {"server": "token", "agent": "agent-token", "node": "node-token"}
# A server token older than this belongs to a server that has finished writing its token files.
SETTLED_SECONDS = 10

_HEX = re.compile(r"\A[0-9a-fA-F]+\Z")
_BOOTSTRAP = re.compile(r"\A[a-z0-9]{6}\.[a-z0-9]{16}\Z")

ParsedToken = namedtuple("ParsedToken", ["format", "ca_hash", "username", "secret"])
ParsedToken.__doc__ = "A token split into its parts; format is 'full' (with CA hash) or 'bare'."

Comparison = namedtuple("Comparison", ["matches", "secret_matches", "ca_hash_matches"])
Comparison.__doc__ = "ca_hash_matches is None when one side has no CA hash to compare."


class TokenFormatError(ValueError):
    """The token is malformed. The message describes the problem, never the token."""


class TokenFileTimeout(Exception):
    """The token file did not appear in time."""


def parse_token(raw):
    """Split a token into format, CA hash, user and secret, following the k3s parser."""
    token = (raw or "").strip()
    if not token:
        raise TokenFormatError("the token is empty")
    if not token.startswith(FULL_PREFIX):
        return ParsedToken("bare", "", "", token)

    rest = token[len(FULL_PREFIX) :]
    ca_hash, separator, creds = rest.partition("::")
    if not separator:
        ca_hash, creds = "", rest
    if ca_hash and (len(ca_hash) != CA_HASH_LENGTH or not _HEX.match(ca_hash)):
        raise TokenFormatError(
            f"the CA hash between 'K10' and '::' must be {CA_HASH_LENGTH} hexadecimal characters,"
            f" found {len(ca_hash)} characters"
        )
    if _BOOTSTRAP.match(creds):
        username, secret = "", creds
    else:
        username, colon, secret = creds.partition(":")
        if not colon or not secret:
            raise TokenFormatError("a token starting with 'K10' must end in '::<user>:<secret>'")
    return ParsedToken("full" if ca_hash else "bare", ca_hash.lower(), username, secret)


def _same(left, right):
    return hmac.compare_digest(left.encode("utf-8"), right.encode("utf-8"))


def compare_tokens(supplied, reference):
    """Compare two parsed tokens in constant time: the secrets, and the CA hashes when both carry one."""
    secret_matches = _same(supplied.secret, reference.secret)
    ca_hash_matches = None
    if supplied.ca_hash and reference.ca_hash:
        ca_hash_matches = _same(supplied.ca_hash, reference.ca_hash)
    return Comparison(secret_matches and ca_hash_matches is not False, secret_matches, ca_hash_matches)


def token_path(data_dir, kind):
    return os.path.join(data_dir, "server", TOKEN_FILES[kind])


def _age(path, now):
    """Seconds since the file was last written (0 when it cannot be read)."""
    try:
        return now() - os.stat(path).st_mtime
    except OSError:
        return 0.0


def _read(path):
    """Return the stripped content, or None while the file is missing or still empty."""
    try:
        with open(path, encoding="utf-8") as handle:
            content = handle.read().strip()
    except FileNotFoundError:
        return None
    return content or None


def wait_for_token(data_dir, kind, timeout, sleep=time.sleep, clock=time.monotonic, now=time.time):
    """Wait up to timeout seconds for the token of the given kind; return (path, token).

    k3s writes the server token first and the agent token right after it; older releases
    write no agent-token file when no separate agent token is configured. The agent token
    therefore falls back to the server token once the server token has been seen on two
    polls in a row without an agent-token file, when the server token was written more than
    SETTLED_SECONDS ago (a running server: no agent token is coming), or when time runs out.
    """
    wanted = token_path(data_dir, kind)
    server = token_path(data_dir, "server")
    deadline = clock() + max(timeout, 0)
    server_seen = False
    while True:
        content = _read(wanted)
        if content is not None:
            return wanted, content
        if kind == "agent":
            server_content = _read(server)
            settled = server_seen or clock() >= deadline or _age(server, now) > SETTLED_SECONDS
            if server_content is not None and settled:
                return server, server_content
            server_seen = server_content is not None
        remaining = deadline - clock()
        if remaining <= 0:
            raise TokenFileTimeout(f"{wanted} did not appear within {timeout} seconds")
        sleep(min(1.0, remaining))
