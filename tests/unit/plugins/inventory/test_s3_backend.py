# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""S3-compatible state, read from a real HTTP server on 127.0.0.1 that checks the SigV4 request shape."""

from __future__ import annotations

import datetime
import re

import pytest
from terraform_inventory_helpers import FIXTURES

from ansible_collections.homelab.k3s.plugins.plugin_utils.aws_sigv4 import signed_get_headers
from ansible_collections.homelab.k3s.plugins.plugin_utils.terraform_remote import fetch_s3_state, s3_object_url
from ansible_collections.homelab.k3s.plugins.plugin_utils.terraform_state import TerraformStateError

STATE = (FIXTURES / "bpg.tfstate").read_bytes()
ACCESS_KEY = "MINIOFIXTUREKEY"
SECRET_KEY = "minio-fixture-secret-key"
AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<day>\d{8})/(?P<region>[a-z0-9-]+)/s3/aws4_request, "
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})$"
)


def minio_like(expect_path, expect_token=None):
    def respond(handler):
        authorization = handler.headers.get("Authorization", "")
        match = AUTHORIZATION.match(authorization)
        if not match or match["key"] != ACCESS_KEY:
            return 403, {}, b"<Error><Code>InvalidAccessKeyId</Code></Error>"
        signed = match["signed"].split(";")
        required = ["host", "x-amz-content-sha256", "x-amz-date"] + (["x-amz-security-token"] if expect_token else [])
        if sorted(signed) != signed or not set(required) <= set(signed):
            return 400, {}, b"<Error><Code>AuthorizationHeaderMalformed</Code></Error>"
        if not handler.headers.get("x-amz-date", "").startswith(match["day"]):
            return 403, {}, b"<Error><Code>SignatureDoesNotMatch</Code></Error>"
        if expect_token and handler.headers.get("x-amz-security-token") != expect_token:
            return 403, {}, b"<Error><Code>InvalidToken</Code></Error>"
        if handler.path != expect_path:
            return 404, {}, b"<Error><Code>NoSuchKey</Code></Error>"
        return 200, {"Content-Type": "application/json"}, STATE

    return respond


@pytest.fixture(autouse=True)
def clean_aws_environment(monkeypatch, tmp_path):
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


def test_signature_matches_the_published_aws_example():
    headers = signed_get_headers(
        "https://examplebucket.s3.amazonaws.com/test.txt",
        "us-east-1",
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        extra_headers={"Range": "bytes=0-9"},
        now=datetime.datetime(2013, 5, 24, tzinfo=datetime.timezone.utc),
    )
    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


def test_path_style_get_from_a_minio_like_server(local_server):
    server = local_server(minio_like("/tfstate/homelab/k3s.tfstate"))
    settings = {
        "type": "s3",
        "bucket": "tfstate",
        "key": "homelab/k3s.tfstate",
        "endpoint": server.url,
        "use_path_style": True,
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
    }
    label, document = fetch_s3_state(settings, timeout=5)
    assert document == STATE
    assert label == f"s3 backend {server.url}/tfstate/homelab/k3s.tfstate"
    (request,) = server.requests
    assert AUTHORIZATION.match(request.headers["Authorization"])["region"] == "us-east-1"
    assert request.headers["Host"] == f"127.0.0.1:{server.port}"
    assert SECRET_KEY not in str(request.headers)


def test_credentials_region_and_endpoint_from_the_environment(local_server, monkeypatch):
    server = local_server(minio_like("/tfstate/env%3A/staging/k3s.tfstate", expect_token="session-fixture"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session-fixture")
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", server.url)
    settings = {"type": "s3", "bucket": "tfstate", "key": "k3s.tfstate", "use_path_style": True, "workspace": "staging"}
    assert fetch_s3_state(settings, timeout=5)[1] == STATE
    assert AUTHORIZATION.match(server.requests[0].headers["Authorization"])["region"] == "eu-central-1"


def test_credentials_from_the_shared_credentials_file(local_server, monkeypatch, tmp_path):
    server = local_server(minio_like("/tfstate/k3s.tfstate"))
    credentials = tmp_path / "credentials"
    credentials.write_text(f"[homelab]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    settings = {
        "type": "s3",
        "bucket": "tfstate",
        "key": "k3s.tfstate",
        "endpoint": server.url,
        "use_path_style": True,
        "profile": "homelab",
    }
    assert fetch_s3_state(settings, timeout=5)[1] == STATE


def test_refused_credentials_name_the_s3_error_code_only(local_server):
    server = local_server(minio_like("/tfstate/k3s.tfstate"))
    settings = {
        "type": "s3",
        "bucket": "tfstate",
        "key": "k3s.tfstate",
        "endpoint": server.url,
        "use_path_style": True,
        "access_key": "WRONGKEY",
        "secret_key": SECRET_KEY,
    }
    with pytest.raises(TerraformStateError) as error:
        fetch_s3_state(settings, timeout=5)
    assert str(error.value).endswith("HTTP 403 Forbidden: the credentials were refused (InvalidAccessKeyId)")
    assert SECRET_KEY not in str(error.value)


def test_missing_object_means_no_state(local_server):
    server = local_server(minio_like("/tfstate/other.tfstate"))
    settings = {
        "type": "s3",
        "bucket": "tfstate",
        "key": "k3s.tfstate",
        "endpoint": server.url,
        "use_path_style": True,
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
    }
    assert fetch_s3_state(settings, timeout=5)[1] is None


def test_missing_credentials_and_settings():
    with pytest.raises(TerraformStateError, match="no credentials"):
        fetch_s3_state({"type": "s3", "bucket": "b", "key": "k"}, timeout=5)
    with pytest.raises(TerraformStateError, match="bucket and key are required"):
        fetch_s3_state({"type": "s3", "bucket": "b"}, timeout=5)
    with pytest.raises(TerraformStateError, match="unknown settings dynamodb_table"):
        fetch_s3_state({"type": "s3", "bucket": "b", "key": "k", "dynamodb_table": "locks"}, timeout=5)


@pytest.mark.parametrize(
    ("settings", "url", "region"),
    [
        ({"bucket": "b", "key": "a/k.tfstate"}, "https://b.s3.us-east-1.amazonaws.com/a/k.tfstate", "us-east-1"),
        (
            {"bucket": "b", "key": "k 1.tfstate", "region": "eu-west-1"},
            "https://b.s3.eu-west-1.amazonaws.com/k%201.tfstate",
            "eu-west-1",
        ),
        (
            {"bucket": "b", "key": "k", "endpoint": "minio.lab:9000", "use_path_style": True},
            "https://minio.lab:9000/b/k",
            "us-east-1",
        ),
        (
            {"bucket": "b", "key": "k", "workspace": "dev", "workspace_key_prefix": "ws", "endpoint": "http://m/"},
            "http://b.m/ws/dev/k",
            "us-east-1",
        ),
    ],
)
def test_object_urls(settings, url, region):
    assert s3_object_url(settings) == (url, region)
