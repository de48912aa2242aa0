# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Terraform's HTTP backend, read from a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import base64

import pytest
from terraform_inventory_helpers import FIXTURES

from ansible_collections.homelab.k3s.plugins.plugin_utils.terraform_remote import fetch_http_state, safe_url
from ansible_collections.homelab.k3s.plugins.plugin_utils.terraform_state import TerraformStateError

STATE = (FIXTURES / "telmate.tfstate").read_bytes()
PASSWORD = "glpat-fixture-token"


def basic(username, password):
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def gitlab_like(handler):
    """Serve the state at the GitLab path to ``deploy`` / PASSWORD, 401 otherwise, 404 for other states."""
    if handler.headers.get("Authorization") != basic("deploy", PASSWORD):
        return 401, {"WWW-Authenticate": 'Basic realm="GitLab"'}, b'{"message":"401 Unauthorized"}'
    if handler.path == "/api/v4/projects/42/terraform/state/k3s":
        return 200, {"Content-Type": "application/json"}, STATE
    return 404, {}, b'{"message":"404 Not Found"}'


@pytest.fixture
def gitlab(local_server):
    return local_server(gitlab_like)


@pytest.fixture(autouse=True)
def no_backend_environment(monkeypatch):
    for name in ("TF_HTTP_ADDRESS", "TF_HTTP_USERNAME", "TF_HTTP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


def test_get_with_basic_auth(gitlab):
    address = f"{gitlab.url}/api/v4/projects/42/terraform/state/k3s"
    label, document = fetch_http_state(
        {"type": "http", "address": address, "username": "deploy", "password": PASSWORD}, timeout=5
    )
    assert document == STATE
    assert label == f"http backend {address}"
    assert [request.method for request in gitlab.requests] == ["GET"]


def test_settings_from_the_environment(gitlab, monkeypatch):
    monkeypatch.setenv("TF_HTTP_ADDRESS", f"{gitlab.url}/api/v4/projects/42/terraform/state/k3s")
    monkeypatch.setenv("TF_HTTP_USERNAME", "deploy")
    monkeypatch.setenv("TF_HTTP_PASSWORD", PASSWORD)
    assert fetch_http_state({"type": "http"}, timeout=5)[1] == STATE


def test_refused_credentials_are_not_repeated_in_the_error(gitlab):
    address = f"{gitlab.url}/api/v4/projects/42/terraform/state/k3s"
    with pytest.raises(TerraformStateError) as error:
        fetch_http_state({"type": "http", "address": address, "username": "deploy", "password": "wrong-secret"}, 5)
    assert str(error.value) == f"http backend {address}: HTTP 401 Unauthorized: the credentials were refused"
    assert "wrong-secret" not in str(error.value)


def test_credentials_in_the_address_stay_out_of_messages(gitlab):
    address = f"http://deploy:{PASSWORD}@127.0.0.1:{gitlab.port}/api/v4/projects/42/terraform/state/other?x=1"
    label, document = fetch_http_state({"type": "http", "address": address}, timeout=5)
    assert document is None  # no state stored yet
    assert PASSWORD not in label
    assert label == f"http backend http://127.0.0.1:{gitlab.port}/api/v4/projects/42/terraform/state/other"


def test_redirects_are_not_followed_with_credentials(local_server):
    target = local_server(lambda handler: (200, {}, STATE))
    redirecting = local_server(lambda handler: (302, {"Location": f"{target.url}/elsewhere"}, b""))
    with pytest.raises(TerraformStateError, match="HTTP 302"):
        fetch_http_state({"type": "http", "address": redirecting.url, "username": "u", "password": "p"}, timeout=5)
    assert target.requests == []


def test_no_content_means_no_state(local_server):
    server = local_server(lambda handler: (204, {}, b""))
    assert fetch_http_state({"type": "http", "address": server.url}, timeout=5)[1] is None


def test_server_errors_and_unreachable_servers(local_server):
    server = local_server(lambda handler: (500, {}, b"oops"))
    with pytest.raises(TerraformStateError, match="HTTP 500"):
        fetch_http_state({"type": "http", "address": server.url}, timeout=5)
    port = server.port
    server.stop()
    with pytest.raises(TerraformStateError, match="request failed"):
        fetch_http_state({"type": "http", "address": f"http://127.0.0.1:{port}/"}, timeout=2)


def test_missing_address_and_unknown_settings():
    with pytest.raises(TerraformStateError, match="no address"):
        fetch_http_state({"type": "http"}, timeout=5)
    with pytest.raises(TerraformStateError, match="unknown settings lock_address"):
        fetch_http_state({"type": "http", "address": "http://127.0.0.1:9/", "lock_address": "x"}, timeout=5)


def test_https_with_a_ca_bundle(local_server, server_tls, tls_files):
    server = local_server(lambda handler: (200, {}, STATE), tls=server_tls)
    settings = {"type": "http", "address": server.url, "ca_path": str(tls_files[0])}
    assert fetch_http_state(settings, timeout=5)[1] == STATE
    with pytest.raises(TerraformStateError, match="request failed"):
        fetch_http_state({"type": "http", "address": server.url}, timeout=5)
    assert fetch_http_state({"type": "http", "address": server.url, "validate_certs": False}, timeout=5)[1] == STATE


def test_safe_url():
    assert safe_url("https://u:p@[fd00::1]:8443/a/b?token=x#f") == "https://[fd00::1]:8443/a/b"
