# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keys and certificates made with the openssl command, laid out as k3s lays out ${data-dir}/server/tls."""

import ipaddress
import os
import secrets
import subprocess
import tempfile
import time

CA_DAYS = 3650
LEAF_DAYS = 365


class PKIError(Exception):
    pass


def _openssl(args, stdin=None, env=None):
    try:
        result = subprocess.run(["openssl", *args], input=stdin, capture_output=True, check=False, env=env, timeout=60)
    except FileNotFoundError as exc:
        raise PKIError("the openssl command is required by the k3s test double") from exc
    if result.returncode != 0:
        raise PKIError(f"openssl {args[0]} failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def write_private(path, data, mode=0o600):
    """Write a file atomically with the given mode from the start."""
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data if isinstance(data, bytes) else data.encode())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def new_key(path):
    key = _openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout"])
    write_private(path, key)


def _config(extensions):
    lines = ["[req]", "distinguished_name = dn", "prompt = no", "[dn]", "[ext]", *extensions]
    return "\n".join(lines) + "\n"


def _subject(common_name, organization=None):
    return (f"/O={organization}" if organization else "") + f"/CN={common_name}"


def _issue(key, cert, subject, extensions, days, ca=None):
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "openssl.cnf")
        with open(config, "w", encoding="utf-8") as handle:
            handle.write(_config(extensions))
        args = ["req", "-new", "-x509", "-config", config, "-extensions", "ext", "-key", key, "-subj", subject]
        args += ["-days", str(days), "-sha256", "-set_serial", "0x" + secrets.token_hex(8)]
        if ca:
            args += ["-CA", ca[0], "-CAkey", ca[1]]
        pem = _openssl(args)
    write_private(cert, pem, 0o644)


def new_ca(key, cert, name):
    """A self-signed CA named like k3s names its CAs: k3s-server-ca@<unix time>."""
    new_key(key)
    extensions = [
        "basicConstraints = critical, CA:TRUE",
        "keyUsage = critical, digitalSignature, keyEncipherment, keyCertSign",
        "subjectKeyIdentifier = hash",
    ]
    _issue(key, cert, _subject(f"{name}@{int(time.time())}"), extensions, CA_DAYS)


def _san_entries(names):
    entries = []
    for name in names:
        try:
            entries.append(f"IP:{ipaddress.ip_address(name)}")
        except ValueError:
            entries.append(f"DNS:{name}")
    return entries


def new_serving_cert(key, cert, ca, common_name, sans):
    new_key(key)
    extensions = [
        "basicConstraints = critical, CA:FALSE",
        "keyUsage = critical, digitalSignature, keyEncipherment",
        "extendedKeyUsage = serverAuth",
        "subjectAltName = " + ", ".join(_san_entries(sans)),
    ]
    _issue(key, cert, _subject(common_name, "k3s"), extensions, LEAF_DAYS, ca)


def new_client_cert(key, cert, ca, common_name, organization=None):
    new_key(key)
    extensions = [
        "basicConstraints = critical, CA:FALSE",
        "keyUsage = critical, digitalSignature, keyEncipherment",
        "extendedKeyUsage = clientAuth",
    ]
    _issue(key, cert, _subject(common_name, organization), extensions, LEAF_DAYS, ca)


def cert_sans(cert):
    """The subject alternative names of a certificate, as plain strings."""
    try:
        text = _openssl(["x509", "-in", cert, "-noout", "-ext", "subjectAltName"]).decode()
    except PKIError:
        return set()
    names = set()
    for line in text.splitlines()[1:]:
        for entry in line.split(","):
            kind, _sep, value = entry.strip().partition(":")
            if kind in ("DNS", "IP Address") and value:
                names.add(str(ipaddress.ip_address(value)) if kind == "IP Address" else value)
    return names


def encrypt(data, passphrase):
    """Encrypt bytes with a passphrase (AES-256-CBC, PBKDF2); the result is base64 text."""
    env = dict(os.environ, K3S_DOUBLE_PASSPHRASE=passphrase)
    args = ["enc", "-aes-256-cbc", "-pbkdf2", "-salt", "-a", "-A", "-pass", "env:K3S_DOUBLE_PASSPHRASE"]
    return _openssl(args, stdin=data, env=env).decode().strip()


def decrypt(text, passphrase):
    """Reverse of encrypt; raises PKIError when the passphrase is wrong."""
    env = dict(os.environ, K3S_DOUBLE_PASSPHRASE=passphrase)
    args = ["enc", "-d", "-aes-256-cbc", "-pbkdf2", "-a", "-A", "-pass", "env:K3S_DOUBLE_PASSPHRASE"]
    return _openssl(args, stdin=(text + "\n").encode(), env=env)
