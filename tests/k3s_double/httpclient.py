# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTPS requests to a k3s server: CA bundle download and checking, token (basic) auth, client certificates."""

import base64
import http.client
import json
import os
import socket
import ssl
import tempfile
import threading
import urllib.parse

from k3s_double import tokens

DEFAULT_TIMEOUT = 10


class RequestError(Exception):
    """A request that could not be made or was answered with an error status."""

    def __init__(self, message, status=None, body=b""):
        super().__init__(message)
        self.status = status
        self.body = body

    def api_message(self):
        """The message of a Kubernetes Status body, or the raw text."""
        try:
            return json.loads(self.body)["message"]
        except (ValueError, KeyError, TypeError):
            return self.body.decode(errors="replace").strip() or str(self)


def _insecure_context():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def ca_context(cadata, cert_pem=None, key_pem=None):
    """A client context trusting only cadata, presenting a client certificate when given."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=cadata if isinstance(cadata, str) else cadata.decode())
    if cert_pem and key_pem:
        with tempfile.TemporaryDirectory() as tmp:
            cert, key = os.path.join(tmp, "client.crt"), os.path.join(tmp, "client.key")
            for path, data in ((cert, cert_pem), (key, key_pem)):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data if isinstance(data, bytes) else data.encode())
            context.load_cert_chain(cert, key)
    return context


def split_url(url):
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "https":
        raise RequestError(f"only https:// URLs are supported, invalid scheme: {url}")
    return parsed.hostname, parsed.port or 443


def _describe(method, url, exc):
    host, port = split_url(url)
    verb = method[0] + method[1:].lower()
    if isinstance(exc, ConnectionRefusedError):
        reason = f"dial tcp {host}:{port}: connect: connection refused"
    elif isinstance(exc, (socket.timeout, TimeoutError)):
        reason = f"dial tcp {host}:{port}: i/o timeout"
    elif isinstance(exc, socket.gaierror):
        reason = f"dial tcp: lookup {host}: no such host"
    elif isinstance(exc, ssl.SSLCertVerificationError):
        reason = f"tls: failed to verify certificate: {exc.verify_message}"
    else:
        reason = str(exc)
    return f'{verb} "{url}": {reason}'


def request(url, method="GET", body=None, context=None, auth=None, timeout=DEFAULT_TIMEOUT, headers=None):
    """Make one request; returns (status, body). Network failures raise RequestError."""
    host, port = split_url(url)
    parsed = urllib.parse.urlsplit(url)
    target = parsed.path or "/"
    if parsed.query:
        target += "?" + parsed.query
    all_headers = dict(headers or {})
    if auth:
        all_headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    if body is not None and not isinstance(body, bytes):
        body = json.dumps(body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    conn = http.client.HTTPSConnection(host, port, context=context or _insecure_context(), timeout=timeout)
    try:
        conn.request(method, target, body=body, headers=all_headers)
        response = conn.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException) as exc:
        raise RequestError(_describe(method, url, exc)) from exc
    finally:
        conn.close()


class Pool:
    """Keep-alive HTTPS connections, reused across threads (one request at a time per connection)."""

    def __init__(self, context, timeout=DEFAULT_TIMEOUT):
        self.context = context
        self.timeout = timeout
        self._idle = {}
        self._lock = threading.Lock()

    def _take(self, host, port):
        with self._lock:
            idle = self._idle.get((host, port))
            if idle:
                return idle.pop(), True
        return http.client.HTTPSConnection(host, port, context=self.context, timeout=self.timeout), False

    def _give(self, host, port, conn):
        with self._lock:
            self._idle.setdefault((host, port), []).append(conn)

    def checked(self, url, method="GET", body=None, auth=None):
        """Like checked(), over a pooled connection."""
        host, port = split_url(url)
        parsed = urllib.parse.urlsplit(url)
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        payload = None if body is None else json.dumps(body).encode()
        for attempt in range(2):
            conn, reused = self._take(host, port)
            try:
                conn.request(method, parsed.path, body=payload, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                if reused and attempt == 0:
                    continue
                raise RequestError(_describe(method, url, exc)) from exc
            self._give(host, port, conn)
            if response.status < 200 or response.status > 299:
                reason = http.client.responses.get(response.status, "")
                raise RequestError(f"{url}: {response.status} {reason}", response.status, data)
            return data
        raise RequestError(f"{method} {url}: no connection")


def checked(url, method="GET", body=None, context=None, auth=None, timeout=DEFAULT_TIMEOUT):
    """Like request, but a status outside 2xx raises RequestError("<url>: 401 Unauthorized")."""
    status, data = request(url, method, body, context, auth, timeout)
    if status < 200 or status > 299:
        reason = http.client.responses.get(status, "")
        raise RequestError(f"{url}: {status} {reason}", status, data)
    return data


def get_ca_certs(server_url, timeout=DEFAULT_TIMEOUT):
    """Download /cacerts without checking the server, then check the server with what was downloaded."""
    url = server_url.rstrip("/") + "/cacerts"
    try:
        cacerts = checked(url, timeout=timeout)
    except RequestError as exc:
        raise RequestError(f"failed to get CA certs: {exc}", exc.status) from exc
    try:
        checked(url, context=ca_context(cacerts), timeout=timeout)
    except (RequestError, ssl.SSLError) as exc:
        raise RequestError(f"CA cert validation failed: {exc}") from exc
    return cacerts


class Supervisor:
    """A client of a server's supervisor endpoints, authenticated with a join token."""

    def __init__(self, server_url, token, username):
        self.server_url = server_url.rstrip("/")
        self.digest, token_user, self.password = tokens.parse(token)
        self.username = username or token_user
        self.cacerts = None

    def connect(self, timeout=DEFAULT_TIMEOUT):
        """Fetch and check the cluster CA against the token's hash, as agents do before anything else."""
        self.cacerts = get_ca_certs(self.server_url, timeout)
        if self.digest:
            actual = tokens.ca_hash(self.cacerts)
            if actual != self.digest:
                raise tokens.TokenError(
                    f"token CA hash does not match the Cluster CA certificate hash: {self.digest} != {actual}"
                )
        return self

    def call(self, method, path, body=None, timeout=DEFAULT_TIMEOUT, server_url=None):
        url = (server_url or self.server_url).rstrip("/") + path
        data = checked(url, method, body, ca_context(self.cacerts), (self.username, self.password), timeout)
        return json.loads(data) if data else None
