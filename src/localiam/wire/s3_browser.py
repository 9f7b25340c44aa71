"""The two S3 requests browsers send that botocore's model has no operation for:

- a CORS preflight, ``OPTIONS /bucket/key`` with ``Origin`` and
  ``Access-Control-Request-Method`` (``RESTOPTIONSobject``): operation ``PreflightCorsRequest``;
- a browser-based upload, ``POST /bucket`` with a ``multipart/form-data`` body (``RESTObjectPOST``,
  ``sigv4-HTTPPOSTForms``, ``sigv4-UsingHTTPPOST``): operation ``PostObject``, whose form is parsed
  here into a :class:`PostForm`, and whose policy signature :func:`verify_post_policy` checks.

The signature of a POST form is over the base64 ``policy`` field, not over the request:
SigV4 (``x-amz-algorithm`` ``AWS4-HMAC-SHA256``, ``x-amz-credential``, ``x-amz-date``,
``x-amz-signature`` = hex HMAC-SHA256 of the policy with the scope's signing key;
``sigv4-post-example``) or SigV2 (``AWSAccessKeyId``, ``signature`` = base64 HMAC-SHA1 of the
policy; ``HTTPPOSTForms``). A form without a signature is anonymous. Field names are matched
case-insensitively; fields after ``file`` are ignored ("The file or content must be the last
field in the form").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import urlencode

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]

from localiam.errors import AwsError
from localiam.wire.http import HttpRequest
from localiam.wire.limits import parse_xml
from localiam.wire.protocol import ParsedRequest, Response
from localiam.wire.sigv2 import V2AuthResult
from localiam.wire.sigv4 import (
    ALGORITHM,
    AuthResult,
    LookupKey,
    SigV4Error,
    _check_session,
    _parse_credential,
    _signing_key,
    _unknown_key,
    wrong_service,
)

PREFLIGHT = "PreflightCorsRequest"
POST_OBJECT = "PostObject"
BROWSER_OPERATIONS = frozenset({PREFLIGHT, POST_OBJECT})


@dataclass(frozen=True, slots=True)
class PostForm:
    """A POST upload's form: its fields (lower-cased names, in order, the file's excluded), the
    file's bytes, file name and content type."""

    fields: dict[str, str]
    file: bytes
    filename: str | None = None
    content_type: str | None = None
    names: dict[str, str] = field(default_factory=dict)
    """The fields' names as sent, by lower-cased name."""
    tagging: str | None = None
    """The ``tagging`` field's tag set (a ``<Tagging>`` document), as PutObject's
    ``x-amz-tagging`` query string; ``None`` without one."""

    def get(self, name: str) -> str | None:
        return self.fields.get(name.lower())


def browser_operation(request: HttpRequest, bucket: str | None, key: str | None) -> str | None:
    """``PreflightCorsRequest`` or ``PostObject`` when the request is one of them."""
    method = request.method.upper()
    if method == "OPTIONS" and bucket:
        return PREFLIGHT
    content_type = (request.header("content-type") or "").lower()
    if method == "POST" and bucket and not key and content_type.startswith("multipart/form-data"):
        return POST_OBJECT
    return None


def parse_browser_request(request: HttpRequest, operation: str, bucket: str, key: str | None) -> ParsedRequest:
    if operation == PREFLIGHT:
        params = {
            "Bucket": bucket,
            "Key": key,
            "Origin": request.header("origin"),
            "AccessControlRequestMethod": request.header("access-control-request-method"),
            "AccessControlRequestHeaders": request.header("access-control-request-headers"),
        }
        return ParsedRequest("s3", PREFLIGHT, params)
    return ParsedRequest("s3", POST_OBJECT, {"Bucket": bucket, "Form": parse_form(request)})


def serialize_browser(operation: str, result: Mapping[str, Any], ids: tuple[tuple[str, str], ...]) -> Response:
    """The answer to a preflight (``CorsHeaders``: the ``Access-Control-*`` headers), or to a
    POST upload (``RESTObjectPOST``): a ``303`` to ``Redirect`` with ``bucket``, ``key`` and
    ``etag`` in its query; else ``SuccessActionStatus`` 200, 201 (a ``PostResponse``
    document) or, by default, 204; ``ETag``, ``Location`` and ``x-amz-version-id`` headers."""
    if operation == PREFLIGHT:
        return Response(200, (*((str(k), str(v)) for k, v in result["CorsHeaders"].items()), *ids), b"")
    headers = [("ETag", str(result["ETag"])), ("Location", str(result["Location"]))]
    if result.get("VersionId") is not None:
        headers.append(("x-amz-version-id", str(result["VersionId"])))
    redirect = result.get("Redirect")
    if redirect:
        query = urlencode({"bucket": result["Bucket"], "key": result["Key"], "etag": result["ETag"]})
        target = f"{redirect}{'&' if '?' in str(redirect) else '?'}{query}"
        return Response(303, (("Location", target), *headers[:1], *headers[2:], *ids), b"")
    status = str(result.get("SuccessActionStatus") or "")
    if status == "201":
        root = ET.Element("PostResponse")
        for name in ("Location", "Bucket", "Key", "ETag"):
            ET.SubElement(root, name).text = str(result[name])
        body = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")
        return Response(201, (*headers, ("Content-Type", "application/xml"), *ids), body)
    return Response(200 if status == "200" else 204, (*headers, *ids), b"")


def _malformed(message: str = "The body of your POST request is not well-formed multipart/form-data.") -> AwsError:
    return AwsError(message, code="MalformedPOSTRequest", status=400)


def parse_form(request: HttpRequest) -> PostForm:
    """The ``multipart/form-data`` body (RFC 7578) as a :class:`PostForm`."""
    content_type = request.header("content-type") or ""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = BytesParser(policy=HTTP).parsebytes(head + request.body)
    if not message.is_multipart():
        raise _malformed()
    fields: dict[str, str] = {}
    names: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        lowered = name.lower()
        if lowered == "file":
            filename = part.get_filename()
            part_type = part.get("content-type")
            tagging = _tagging(fields["tagging"]) if "tagging" in fields else None
            return PostForm(fields, data, filename, str(part_type) if part_type else None, names, tagging)
        if lowered not in fields:
            fields[lowered] = data.decode("utf-8", "replace")
            names[lowered] = name
    raise AwsError(
        "Bucket POST must contain a field named 'file'.  If it is specified, please check the order of the fields.",
        code="InvalidArgument",
        status=400,
        fields={"ArgumentName": "file", "ArgumentValue": ""},
    )


def _tagging(document: str) -> str:
    """``RESTObjectPOST``, ``tagging``: "The specified set of tags to add to the object", as a
    ``<Tagging><TagSet><Tag><Key>..</Key><Value>..</Value></Tag>...`` document."""
    try:
        root = parse_xml(document.encode())
    except (ET.ParseError, ValueError, DefusedXmlException):
        raise AwsError(
            "The XML you provided was not well-formed or did not validate against our published schema",
            code="MalformedXML",
            status=400,
        ) from None
    pairs = []
    for tag in root.iter():
        if tag.tag.rpartition("}")[2] == "Tag":
            values = {child.tag.rpartition("}")[2]: child.text or "" for child in tag}
            pairs.append((values.get("Key", ""), values.get("Value", "")))
    return urlencode(pairs)


def carries_post_signature(form: PostForm) -> bool:
    return any(form.get(name) is not None for name in ("x-amz-signature", "signature", "awsaccesskeyid"))


def verify_post_policy(form: PostForm, lookup: LookupKey, *, now: datetime) -> AuthResult | V2AuthResult:
    """The signature of the form's policy: SigV4 or SigV2 as the fields say. The policy's
    ``expiration`` and conditions are the service's to check."""
    policy = form.get("policy")
    if policy is None:
        raise AwsError(
            "Bucket POST must contain a field named 'policy'.  If it is specified, please check the order of the "
            "fields.",
            code="InvalidArgument",
            status=400,
            fields={"ArgumentName": "policy", "ArgumentValue": ""},
        )
    if form.get("x-amz-signature") is not None or form.get("x-amz-credential") is not None:
        return _verify_v4(form, policy, lookup, now)
    return _verify_v2(form, policy, lookup, now)


def _missing(name: str) -> AwsError:
    return AwsError(
        f"Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields.",
        code="InvalidArgument",
        status=400,
        fields={"ArgumentName": name, "ArgumentValue": ""},
    )


def _mismatch() -> SigV4Error:
    return SigV4Error(
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing "
        "method.",
        403,
    )


def _verify_v4(form: PostForm, policy: str, lookup: LookupKey, now: datetime) -> AuthResult:
    for name in ("x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"):
        if form.get(name) is None:
            raise _missing(name)
    if form.get("x-amz-algorithm") != ALGORITHM:
        raise AwsError(
            "Unsupported algorithm",
            code="InvalidArgument",
            status=400,
            fields={"ArgumentName": "x-amz-algorithm", "ArgumentValue": str(form.get("x-amz-algorithm"))},
        )
    date_text = str(form.get("x-amz-date"))
    try:
        amz_date = datetime.strptime(date_text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise AwsError(
            "Invalid date format header, expected to be in ISO8601, RFC1123 or RFC1123Z time format.",
            code="InvalidArgument",
            status=400,
            fields={"ArgumentName": "x-amz-date", "ArgumentValue": date_text},
        ) from None
    key_id, scope_date, region, service = _parse_credential(str(form.get("x-amz-credential")), True, True)
    if service != "s3":
        raise wrong_service("s3")
    key = lookup(key_id)
    if key is None:
        raise _unknown_key(key_id, True)
    _check_session(key, form.get("x-amz-security-token"), now.astimezone(UTC), True)
    expected = hmac.new(_signing_key(key.secret, scope_date, region, service), policy.encode(), "sha256").hexdigest()
    signature = str(form.get("x-amz-signature"))
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise _mismatch()
    return AuthResult(
        access_key_id=key_id,
        key=key,
        region=region,
        service=service,
        signed_headers=(),
        amz_date=amz_date,
        presigned=False,
        payload_hash="UNSIGNED-PAYLOAD",
        signature=signature,
    )


def _verify_v2(form: PostForm, policy: str, lookup: LookupKey, now: datetime) -> V2AuthResult:
    for name in ("awsaccesskeyid", "signature"):
        if form.get(name) is None:
            raise _missing(form.names.get(name, "AWSAccessKeyId" if name == "awsaccesskeyid" else "Signature"))
    key_id = str(form.get("awsaccesskeyid"))
    key = lookup(key_id)
    if key is None:
        raise _unknown_key(key_id, True)
    _check_session(key, form.get("x-amz-security-token"), now.astimezone(UTC), True)
    digest = hmac.new(key.secret.encode(), policy.encode(), hashlib.sha1).digest()
    signature = str(form.get("signature"))
    if not hmac.compare_digest(base64.b64encode(digest), signature.encode("utf-8", "replace")):
        raise _mismatch()
    return V2AuthResult(access_key_id=key_id, key=key, expires=now, signature=signature)


__all__ = [
    "BROWSER_OPERATIONS",
    "POST_OBJECT",
    "PREFLIGHT",
    "PostForm",
    "browser_operation",
    "carries_post_signature",
    "parse_browser_request",
    "serialize_browser",
    "verify_post_policy",
]
