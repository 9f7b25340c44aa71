"""Verifying S3 presigned URLs signed with Signature Version 2 (query-string authentication).

boto3 presigns S3 URLs this way on a custom endpoint in us-east-1 (``signature_version='s3'``):
``AWSAccessKeyId``, ``Expires`` (seconds since the epoch) and ``Signature`` (base64 of
HMAC-SHA1 with the secret key) in the query string, and the request's other ``x-amz-*`` headers,
``Content-Type`` and ``Content-MD5`` copied there too.

What AWS documents (S3 API Reference ``RESTAuthentication``, "Query string request authentication
alternative") and this module follows: the string to sign is ::

    METHOD \\n Content-MD5 \\n Content-Type \\n Expires \\n CanonicalizedAmzHeaders CanonicalizedResource

where CanonicalizedAmzHeaders are the ``x-amz-*`` headers, lower-cased, sorted, repeated ones joined
with commas, one ``name:value\\n`` each, and CanonicalizedResource is ``/bucket`` (virtual-hosted
requests only; path-style paths already start with it) + the path as sent (a bucket's own resource
always ends in ``/``: ``/bucket?acl`` signs as ``/bucket/?acl``, as the SDKs sign it) + the sub-resources of
the query string (``?acl``, ``?uploadId=...``, the ``response-*`` overrides ...), sorted by name,
values decoded.

Errors and their wording (texts S3 returned in public issue threads):

- a missing parameter: ``AccessDenied`` "Query-string authentication requires the Signature, Expires
  and AWSAccessKeyId parameters"; an ``Expires`` that is not a number: ``AccessDenied`` "Invalid date
  (should be seconds since epoch): ..." (openstack/swift's s3api tests, which run against S3);
- an expired URL: ``AccessDenied`` "Request has expired" with ``Expires`` and ``ServerTime``
  (aws/aws-sdk-js#2306 for a SigV2 URL, aws/aws-sdk-js#3493);
- an unknown key: ``InvalidAccessKeyId``; a bad signature: ``SignatureDoesNotMatch`` with
  ``AWSAccessKeyId``, ``StringToSign``, ``SignatureProvided``, ``StringToSignBytes`` — the same
  errors :mod:`.sigv4` gives for S3.

Which ``x-amz-*`` value counts when a name comes both as a header and as a query parameter is not
documented: the query parameter (what the presigner signed) wins here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import unquote

from localiam.wire.http import HttpRequest
from localiam.wire.sigv4 import (
    S3_SIGNATURE_MISMATCH,
    LookupKey,
    SigningKey,
    SigV4Error,
    _check_session,
    _spaced_hex,
    _unknown_key,
)

__all__ = ["SIGNATURE_VERSION", "SUBRESOURCES", "V2AuthResult", "carries_v2_query_signature", "verify_presigned_v2"]

SIGNATURE_VERSION = "AWS"  # the value of the s3:signatureversion condition key for SigV2
_QUERY_AUTH_PARAMS = ("AWSAccessKeyId", "Expires", "Signature")
_ISO_SECONDS = "%Y-%m-%dT%H:%M:%SZ"

# The query parameters that are part of the canonicalized resource: RESTAuthentication's list of
# sub-resources and response overrides, plus the sub-resources S3 added since (the same set the
# SDKs sign).
SUBRESOURCES = frozenset(
    {
        "accelerate",
        "acl",
        "analytics",
        "cors",
        "defaultObjectAcl",
        "delete",
        "inventory",
        "lifecycle",
        "location",
        "logging",
        "metrics",
        "notification",
        "object-lock",
        "partNumber",
        "policy",
        "replication",
        "requestPayment",
        "response-cache-control",
        "response-content-disposition",
        "response-content-encoding",
        "response-content-language",
        "response-content-type",
        "response-expires",
        "restore",
        "select",
        "select-type",
        "storageClass",
        "tagging",
        "torrent",
        "uploadId",
        "uploads",
        "versionId",
        "versioning",
        "versions",
        "website",
    }
)


@dataclass(frozen=True, slots=True)
class V2AuthResult:
    """A presigned SigV2 request whose signature verified."""

    access_key_id: str
    key: SigningKey
    expires: datetime
    signature: str = field(repr=False)

    @property
    def signature_version(self) -> str:
        return SIGNATURE_VERSION


def carries_v2_query_signature(request: HttpRequest) -> bool:
    """Whether the query string claims SigV2 authentication (any of its three parameters)."""
    return any(name in _QUERY_AUTH_PARAMS for name, _ in _params(request.raw_query))


def verify_presigned_v2(
    request: HttpRequest, lookup: LookupKey, *, now: datetime, bucket: str | None = None
) -> V2AuthResult:
    """Verify the SigV2 query-string signature of ``request`` at ``now``. ``bucket`` is the bucket
    of a virtual-hosted-style request (its name is in the Host, not the path); leave it ``None``
    for path-style requests."""
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    params = _params(request.raw_query)
    query = dict(reversed(params))  # the first of repeated names wins
    if any(not query.get(name) for name in _QUERY_AUTH_PARAMS):
        raise SigV4Error(
            "AccessDenied",
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
            403,
        )
    expires_text = query["Expires"]
    expires = _parse_expires(expires_text)
    if int(now.timestamp()) > expires:
        raise SigV4Error(
            "AccessDenied",
            "Request has expired",
            403,
            (
                ("Expires", datetime.fromtimestamp(expires, UTC).strftime(_ISO_SECONDS)),
                ("ServerTime", now.strftime(_ISO_SECONDS)),
            ),
        )
    key_id = query["AWSAccessKeyId"]
    key = lookup(key_id)
    if key is None:
        raise _unknown_key(key_id, True)
    token = _amz_value(request, params, "x-amz-security-token")
    _check_session(key, token, now, True)
    string_to_sign = string_to_sign_v2(request, expires_text, bucket=bucket)
    expected = base64.b64encode(hmac.new(key.secret.encode(), string_to_sign.encode(), hashlib.sha1).digest())
    provided = query["Signature"]
    if not hmac.compare_digest(expected, provided.encode("utf-8", "replace")):
        raise SigV4Error(
            "SignatureDoesNotMatch",
            S3_SIGNATURE_MISMATCH,
            403,
            (
                ("AWSAccessKeyId", key_id),
                ("StringToSign", string_to_sign),
                ("SignatureProvided", provided),
                ("StringToSignBytes", _spaced_hex(string_to_sign)),
            ),
        )
    return V2AuthResult(access_key_id=key_id, key=key, expires=datetime.fromtimestamp(expires, UTC), signature=provided)


def string_to_sign_v2(request: HttpRequest, expires: str, *, bucket: str | None = None) -> str:
    """The string a SigV2 presigned URL signs (RESTAuthentication), ``Expires`` in the date line."""
    params = _params(request.raw_query)
    query_lower: dict[str, list[str]] = {}
    for name, value in params:
        query_lower.setdefault(name.lower(), []).append(value)
    amz: dict[str, list[str]] = {}
    for name, value in request.headers:
        lowered = name.strip().lower()
        if lowered.startswith("x-amz-"):
            amz.setdefault(lowered, []).append(value.strip())
    for name, values in query_lower.items():
        if name.startswith("x-amz-"):
            amz[name] = [value.strip() for value in values]
    lines = [
        request.method.upper(),
        _header_or_query(request, query_lower, "content-md5"),
        _header_or_query(request, query_lower, "content-type"),
        expires,
    ]
    lines.extend(f"{name}:{','.join(amz[name])}" for name in sorted(amz))
    lines.append(_canonical_resource(request, bucket))
    return "\n".join(lines)


def _canonical_resource(request: HttpRequest, bucket: str | None) -> str:
    path = request.raw_path or "/"
    if bucket:
        resource = f"/{bucket}{path}"
    elif path.count("/") == 1 and path != "/":
        resource = path + "/"  # a path-style bucket request: "/bucket" signs as "/bucket/"
    else:
        resource = path
    subresources = []
    for part in request.raw_query.split("&"):
        name, equals, value = part.partition("=")
        if name in SUBRESOURCES:
            subresources.append((name, f"{name}={unquote(value)}" if equals else name))
    subresources.sort(key=lambda item: item[0])  # stable: repeated names keep their order
    if subresources:
        resource += "?" + "&".join(text for _, text in subresources)
    return resource


def _header_or_query(request: HttpRequest, query_lower: dict[str, list[str]], name: str) -> str:
    value = request.header(name)
    if value is None and name in query_lower:
        value = query_lower[name][0]
    return value.strip() if value is not None else ""


def _amz_value(request: HttpRequest, params: list[tuple[str, str]], name: str) -> str | None:
    for key, value in params:
        if key.lower() == name:
            return value
    return request.header(name)


def _parse_expires(text: str) -> int:
    if text.isascii() and text.isdigit() and len(text) <= 12:
        return int(text)
    raise SigV4Error("AccessDenied", f"Invalid date (should be seconds since epoch): {text}", 403)


def _params(raw_query: str) -> list[tuple[str, str]]:
    params = []
    for part in raw_query.split("&"):
        if part:
            name, _, value = part.partition("=")
            params.append((unquote(name), unquote(value)))
    return params
