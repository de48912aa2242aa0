# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS Signature Version 4 for the GET requests that read state from S3-compatible object stores."""

from __future__ import annotations

import datetime
import hashlib
import hmac
from urllib.parse import quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_PAYLOAD_SHA256 = hashlib.sha256(b"").hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def _canonical_query(query: str) -> str:
    pairs = []
    for part in query.split("&") if query else []:
        name, _eq, value = part.partition("=")
        pairs.append((quote(name, safe="-_.~"), quote(value, safe="-_.~")))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def signed_get_headers(
    url: str,
    region: str,
    access_key: str,
    secret_key: str,
    session_token: str | None = None,
    extra_headers: dict | None = None,
    now: datetime.datetime | None = None,
    service: str = "s3",
) -> dict[str, str]:
    """Headers that sign a GET of ``url`` (whose path must already be percent-encoded).

    The result carries Host, x-amz-date, x-amz-content-sha256, the optional
    x-amz-security-token and Authorization; send all of them unchanged.
    """
    now = now or datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    parts = urlsplit(url)
    headers = {
        "host": parts.netloc,
        "x-amz-content-sha256": EMPTY_PAYLOAD_SHA256,
        "x-amz-date": amz_date,
    }
    if session_token:
        headers["x-amz-security-token"] = session_token
    for name, value in (extra_headers or {}).items():
        headers[name.lower()] = " ".join(str(value).split())
    signed_names = ";".join(sorted(headers))
    canonical_request = "\n".join(
        [
            "GET",
            parts.path or "/",
            _canonical_query(parts.query),
            "".join(f"{name}:{headers[name]}\n" for name in sorted(headers)),
            signed_names,
            EMPTY_PAYLOAD_SHA256,
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        [ALGORITHM, amz_date, scope, hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()]
    )
    key = _hmac(("AWS4" + secret_key).encode("utf-8"), day)
    for step in (region, service, "aws4_request"):
        key = _hmac(key, step)
    signature = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    result = {name.title() if name == "host" else name: value for name, value in headers.items()}
    result["Authorization"] = (
        f"{ALGORITHM} Credential={access_key}/{scope}, SignedHeaders={signed_names}, Signature={signature}"
    )
    return result
