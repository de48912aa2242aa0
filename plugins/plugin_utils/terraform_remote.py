# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Remote state: Terraform's HTTP backend and S3-compatible object stores.

Credentials come from the backend settings or the usual environment variables.
They are sent only in request headers and never appear in an error message.
"""

from __future__ import annotations

import configparser
import os
import re
from http.client import HTTPException
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlsplit, urlunsplit

from ansible.module_utils.urls import open_url

from ansible_collections.homelab.k3s.plugins.plugin_utils.aws_sigv4 import signed_get_headers
from ansible_collections.homelab.k3s.plugins.plugin_utils.terraform_state import TerraformStateError

HTTP_SETTINGS = frozenset({"type", "address", "username", "password", "validate_certs", "ca_path"})
S3_SETTINGS = frozenset(
    {
        "type",
        "bucket",
        "key",
        "region",
        "endpoint",
        "access_key",
        "secret_key",
        "session_token",
        "profile",
        "use_path_style",
        "workspace",
        "workspace_key_prefix",
        "validate_certs",
        "ca_path",
    }
)
_S3_ERROR_CODE = re.compile(rb"<Code>([^<]{1,100})</Code>")


def safe_url(url: str) -> str:
    """``url`` without user info, query or fragment, fit for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def check_settings(settings: dict, allowed: frozenset, label: str) -> None:
    unknown = sorted(set(settings) - allowed)
    if unknown:
        known = ", ".join(sorted(allowed))
        raise TerraformStateError(f"{label}: unknown settings {', '.join(unknown)}; known: {known}")


def _get(url: str, label: str, timeout: int, validate_certs: bool, ca_path, **kwargs) -> bytes | None:
    """GET ``url``; None when the store has no state there (404, or 204 as some HTTP backends answer)."""
    try:
        response = open_url(
            url,
            method="GET",
            timeout=timeout,
            validate_certs=validate_certs,
            ca_path=ca_path,
            follow_redirects="none",  # credentials must not follow a redirect elsewhere
            **kwargs,
        )
        if response.getcode() == 204:
            return None
        return response.read()
    except HTTPError as exc:
        if exc.code == 404:
            return None
        detail = ""
        if exc.code in (401, 403):
            detail = ": the credentials were refused"
            match = _S3_ERROR_CODE.search(exc.read(4096) or b"")
            if match:
                detail += f" ({match.group(1).decode('ascii', 'replace')})"
        raise TerraformStateError(f"{label}: HTTP {exc.code} {exc.reason}{detail}") from None
    except (URLError, HTTPException, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TerraformStateError(f"{label}: request failed: {reason}") from None


def fetch_http_state(settings: dict, timeout: int) -> tuple[str, bytes | None]:
    """Read state from Terraform's HTTP backend; returns ``(source label, document or None)``."""
    check_settings(settings, HTTP_SETTINGS, "http backend")
    address = settings.get("address") or os.environ.get("TF_HTTP_ADDRESS")
    if not address:
        raise TerraformStateError("http backend: no address (set address or TF_HTTP_ADDRESS)")
    username = settings.get("username") or os.environ.get("TF_HTTP_USERNAME")
    password = settings.get("password") or os.environ.get("TF_HTTP_PASSWORD")
    label = f"http backend {safe_url(str(address))}"
    auth = {}
    if username or password:
        auth = {"url_username": str(username or ""), "url_password": str(password or ""), "force_basic_auth": True}
    document = _get(
        str(address),
        label,
        timeout,
        _validate_certs(settings),
        settings.get("ca_path"),
        use_netrc=False,
        **auth,
    )
    return label, document


def _validate_certs(settings: dict) -> bool:
    value = settings.get("validate_certs", True)
    return value if isinstance(value, bool) else str(value).lower() not in ("false", "no", "0", "off")


def _shared_credentials(profile: str) -> dict:
    path = Path(os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials").expanduser()
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (OSError, configparser.Error):
        return {}
    if not parser.has_section(profile):
        return {}
    return dict(parser.items(profile))


def s3_credentials(settings: dict) -> tuple[str, str, str | None]:
    """Access key, secret key and session token: settings, then environment, then the shared credentials file."""
    access_key = settings.get("access_key")
    secret_key = settings.get("secret_key")
    token = settings.get("session_token")
    if not (access_key and secret_key):
        access_key = os.environ.get("AWS_ACCESS_KEY_ID")
        secret_key = os.environ.get("AWS_SECRET_ACCESS_KEY")
        token = token or os.environ.get("AWS_SESSION_TOKEN")
    if not (access_key and secret_key):
        profile = settings.get("profile") or os.environ.get("AWS_PROFILE") or "default"
        shared = _shared_credentials(str(profile))
        access_key = shared.get("aws_access_key_id")
        secret_key = shared.get("aws_secret_access_key")
        token = token or shared.get("aws_session_token")
    if not (access_key and secret_key):
        raise TerraformStateError(
            "s3 backend: no credentials (set access_key and secret_key, AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or a profile in the shared credentials file)"
        )
    return str(access_key), str(secret_key), str(token) if token else None


def s3_object_url(settings: dict) -> tuple[str, str]:
    """The object's URL (percent-encoded) and the region to sign for."""
    bucket = settings.get("bucket")
    key = settings.get("key")
    if not bucket or not key:
        raise TerraformStateError("s3 backend: bucket and key are required")
    workspace = settings.get("workspace")
    if workspace and workspace != "default":
        key = f"{settings.get('workspace_key_prefix') or 'env:'}/{workspace}/{key}"
    region = settings.get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    region = region or "us-east-1"
    endpoint = settings.get("endpoint") or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    endpoint = str(endpoint or f"https://s3.{region}.amazonaws.com")
    if "://" not in endpoint:
        endpoint = f"https://{endpoint}"
    parts = urlsplit(endpoint)
    base_path = parts.path.rstrip("/")
    object_path = quote(str(key).lstrip("/"), safe="/-_.~")
    if settings.get("use_path_style"):
        netloc, path = parts.netloc, f"{base_path}/{quote(str(bucket), safe='-_.~')}/{object_path}"
    else:
        netloc, path = f"{bucket}.{parts.netloc}", f"{base_path}/{object_path}"
    return urlunsplit((parts.scheme, netloc, path, "", "")), str(region)


def fetch_s3_state(settings: dict, timeout: int) -> tuple[str, bytes | None]:
    """Read state from an S3-compatible store; returns ``(source label, document or None)``."""
    check_settings(settings, S3_SETTINGS, "s3 backend")
    url, region = s3_object_url(settings)
    access_key, secret_key, token = s3_credentials(settings)
    headers = signed_get_headers(url, region, access_key, secret_key, token)
    label = f"s3 backend {safe_url(url)}"
    return label, _get(url, label, timeout, _validate_certs(settings), settings.get("ca_path"), headers=headers)
