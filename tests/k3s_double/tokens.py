# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Join tokens in the k3s format: K10<sha256 of the cluster CA bundle>::<user>:<password>."""

import hashlib
import secrets

PREFIX = "K10"
HASH_LENGTH = 64


class TokenError(ValueError):
    pass


def ca_hash(ca_bundle):
    """Hex sha256 of the CA bundle as served by /cacerts (a single self-signed CA: the file's bytes)."""
    if isinstance(ca_bundle, str):
        ca_bundle = ca_bundle.encode()
    return hashlib.sha256(ca_bundle).hexdigest()


def parse(token):
    """Return (ca_hash, username, password) of a full or bare token; hash and username may be empty."""
    if not token:
        raise TokenError("token must not be empty")
    if not token.startswith(PREFIX):
        token = PREFIX + ":::" + token
    rest = token[len(PREFIX) :]
    digest, _sep, creds = rest.partition("::")
    if digest and len(digest) != HASH_LENGTH:
        raise TokenError("invalid token CA hash length")
    username, sep, password = creds.partition(":")
    if not sep or not password:
        raise TokenError("invalid token format")
    return digest, username, password


def password_of(token):
    """The secret part of a token given by the user (bare secrets are kept as they are)."""
    return parse(token)[2]


def format_token(ca_bundle, username, password):
    return f"{PREFIX}{ca_hash(ca_bundle)}::{username}:{password}"


def random_secret():
    return secrets.token_hex(16)
