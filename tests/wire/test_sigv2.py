"""SigV2 presigned S3 URLs, with boto3's own presigner (``HmacV1QueryAuth``) as the oracle.

Every URL boto3 presigns must verify, path-style or virtual-hosted, with sub-resources, response
overrides, ``x-amz-*`` parameters and session tokens; every tampered, expired or unknown-key URL
must fail with S3's code and wording.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.config import Config  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from localiam.state.access_keys import new_access_key, new_secret_key, new_session_token
from localiam.wire.http import HttpRequest
from localiam.wire.sigv2 import carries_v2_query_signature, string_to_sign_v2, verify_presigned_v2
from localiam.wire.sigv4 import SigningKey, SigV4Error

ENDPOINT = "http://localhost:4599"
ACCOUNT = "123456789012"
LONG_TERM = SigningKey(new_access_key(ACCOUNT), new_secret_key(), account_id=ACCOUNT)
SESSION = SigningKey(
    new_access_key(ACCOUNT, temporary=True),
    new_secret_key(),
    session_token=new_session_token(),
    expires_at=datetime.now(UTC) + timedelta(days=2),
    account_id=ACCOUNT,
)
KEYS = {key.access_key_id: key for key in (LONG_TERM, SESSION)}
METHODS = {"get_object": "GET", "put_object": "PUT", "upload_part": "PUT", "delete_object": "DELETE"}


def presign(
    operation: str,
    params: dict[str, Any],
    *,
    key: SigningKey = LONG_TERM,
    expires_in: int = 3600,
    addressing: str = "path",
    default_config: bool = False,
) -> tuple[HttpRequest, str | None]:
    """Presign with boto3; return the request a server receives and the virtual-hosted bucket."""
    config = None if default_config else Config(signature_version="s3", s3={"addressing_style": addressing})
    client = boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id=key.access_key_id,
        aws_secret_access_key=key.secret,
        aws_session_token=key.session_token,
        config=config,
    )
    url = client.generate_presigned_url(operation, Params=params, ExpiresIn=expires_in)
    parts = urlsplit(url)
    bucket = parts.hostname.split(".")[0] if addressing == "virtual" and parts.hostname else None
    method = METHODS.get(operation, "GET")
    return HttpRequest(method, parts.path, parts.query, (("Host", parts.netloc),), b""), bucket


def verify(request: HttpRequest, bucket: str | None = None, *, now: datetime | None = None) -> Any:
    return verify_presigned_v2(request, KEYS.get, now=now or datetime.now(UTC), bucket=bucket)


def failure(request: HttpRequest, bucket: str | None = None, *, now: datetime | None = None) -> SigV4Error:
    with pytest.raises(SigV4Error) as caught:
        verify(request, bucket, now=now)
    error = caught.value
    shown = f"{error} {error!r} {error.details}"
    for key in KEYS.values():
        assert key.secret not in shown
    return error


def with_query(request: HttpRequest, **changes: str | None) -> HttpRequest:
    pairs = [(k, v) for k, v in parse_qsl(request.raw_query, keep_blank_values=True) if k not in changes]
    pairs += [(k, v) for k, v in changes.items() if v is not None]
    return HttpRequest(request.method, request.raw_path, urlencode(pairs, quote_via=quote), request.headers, b"")


# -- valid URLs verify ----------------------------------------------------------------------------

object_keys = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)
buckets = st.from_regex(r"[a-z0-9][a-z0-9-]{2,20}[a-z0-9]", fullmatch=True)

OPERATIONS = [
    ("get_object", {"ResponseContentDisposition": 'attachment; filename="x y.txt"', "ResponseContentType": "a/b"}),
    ("get_object", {"VersionId": "3/L4kqtJl+cJ=", "ResponseCacheControl": "no-cache", "ResponseExpires": "0"}),
    ("put_object", {"ACL": "bucket-owner-full-control", "ContentType": "text/plain", "Metadata": {"a": " b "}}),
    ("put_object", {"Tagging": "a=b&c=d", "StorageClass": "STANDARD_IA"}),
    ("upload_part", {"UploadId": "VXBsb2FkIElE+/=", "PartNumber": 7}),
    ("delete_object", {"VersionId": "null"}),
]


@settings(max_examples=60, deadline=None)
@given(
    operation=st.sampled_from(OPERATIONS),
    bucket=buckets,
    object_key=object_keys,
    key=st.sampled_from([LONG_TERM, SESSION]),
    addressing=st.sampled_from(["path", "virtual"]),
)
def test_boto3_presigned_object_urls_verify(
    operation: tuple[str, dict[str, Any]], bucket: str, object_key: str, key: SigningKey, addressing: str
) -> None:
    name, extra = operation
    request, virtual_bucket = presign(
        name, {"Bucket": bucket, "Key": object_key, **extra}, key=key, addressing=addressing
    )
    result = verify(request, virtual_bucket)
    assert result.access_key_id == key.access_key_id
    assert result.key is key
    assert result.signature_version == "AWS"
    assert abs((result.expires - datetime.now(UTC)).total_seconds() - 3600) < 5


@pytest.mark.parametrize("operation", ["get_bucket_acl", "list_objects", "get_bucket_policy", "get_bucket_tagging"])
@pytest.mark.parametrize("addressing", ["path", "virtual"])
def test_bucket_level_urls_verify(operation: str, addressing: str) -> None:
    request, bucket = presign(operation, {"Bucket": "my-bucket"}, addressing=addressing)
    verify(request, bucket)
    if addressing == "path":  # "/my-bucket?acl" signs as "/my-bucket/?acl"
        expires = dict(parse_qsl(request.raw_query))["Expires"]
        assert "\n/my-bucket/" in string_to_sign_v2(request, expires)


def test_list_buckets_url_verifies() -> None:
    request, _ = presign("list_buckets", {})
    verify(request)


def test_boto3_presigns_with_sigv2_by_default_on_a_custom_endpoint_in_us_east_1() -> None:
    request, _ = presign("get_object", {"Bucket": "b", "Key": "k"}, default_config=True)
    assert carries_v2_query_signature(request)
    verify(request)


def test_content_type_sent_as_a_header_counts() -> None:
    request, _ = presign("put_object", {"Bucket": "b", "Key": "k", "ContentType": "image/png"})
    stripped = with_query(request, **{"content-type": None})
    with_header = HttpRequest(
        "PUT", stripped.raw_path, stripped.raw_query, (*stripped.headers, ("Content-Type", "image/png")), b""
    )
    verify(with_header)
    assert failure(stripped).code == "SignatureDoesNotMatch"


# -- failures -------------------------------------------------------------------------------------


def test_expired_url() -> None:
    request, _ = presign("get_object", {"Bucket": "b", "Key": "k"}, expires_in=60)
    expires = int(dict(parse_qsl(request.raw_query))["Expires"])
    verify(request, now=datetime.fromtimestamp(expires, UTC))  # good through its last second
    later = datetime.fromtimestamp(expires + 1, UTC)
    error = failure(request, now=later)
    assert (error.code, error.message, error.status) == ("AccessDenied", "Request has expired", 403)
    assert error.details == (
        ("Expires", datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("ServerTime", later.strftime("%Y-%m-%dT%H:%M:%SZ")),
    )


@pytest.mark.parametrize(
    "tamper",
    [
        lambda r: HttpRequest(r.method, r.raw_path + "x", r.raw_query, r.headers, b""),
        lambda r: HttpRequest("DELETE", r.raw_path, r.raw_query, r.headers, b""),
        lambda r: with_query(r, Expires=str(int(time.time()) + 99999)),
        lambda r: with_query(r, **{"x-amz-acl": "public-read"}),
        lambda r: with_query(r, **{"x-amz-acl": None}),
        lambda r: with_query(r, versionId="other"),
        lambda r: with_query(r, Signature="AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
    ],
)
def test_tampered_url_does_not_match(tamper: Any) -> None:
    request, _ = presign("put_object", {"Bucket": "b", "Key": "k", "ACL": "private"})
    request = with_query(request, versionId="1")  # not signed: an unsigned sub-resource fails too
    assert failure(request).code == "SignatureDoesNotMatch"
    request, _ = presign("put_object", {"Bucket": "b", "Key": "k", "ACL": "private"})
    error = failure(tamper(request))
    assert (error.code, error.status) == ("SignatureDoesNotMatch", 403)
    assert error.message == (
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method."
    )
    names = [name for name, _ in error.details]
    assert names == ["AWSAccessKeyId", "StringToSign", "SignatureProvided", "StringToSignBytes"]
    details = dict(error.details)
    assert details["StringToSign"].startswith(tamper(request).method + "\n")
    assert details["StringToSignBytes"].split(" ")[0] == f"{ord(tamper(request).method[0]):02x}"


def test_virtual_hosted_url_checked_against_its_bucket() -> None:
    request, bucket = presign("get_object", {"Bucket": "right", "Key": "k"}, addressing="virtual")
    assert bucket == "right"
    verify(request, "right")
    assert failure(request, "wrong").code == "SignatureDoesNotMatch"


def test_unknown_access_key() -> None:
    stranger = SigningKey(new_access_key(ACCOUNT), new_secret_key())
    request, _ = presign("get_object", {"Bucket": "b", "Key": "k"}, key=stranger)
    error = failure(request)
    assert (error.code, error.status) == ("InvalidAccessKeyId", 403)
    assert error.message == "The AWS Access Key Id you provided does not exist in our records."
    assert error.details == (("AWSAccessKeyId", stranger.access_key_id),)


@pytest.mark.parametrize("missing", ["AWSAccessKeyId", "Expires", "Signature"])
def test_missing_parameter(missing: str) -> None:
    request, _ = presign("get_object", {"Bucket": "b", "Key": "k"})
    error = failure(with_query(request, **{missing: None}))
    assert (error.code, error.status) == ("AccessDenied", 403)
    assert error.message == "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"


@pytest.mark.parametrize("expires", ["soon", "-1", "1e9", "99999999999999"])
def test_expires_not_seconds_since_epoch(expires: str) -> None:
    request, _ = presign("get_object", {"Bucket": "b", "Key": "k"})
    error = failure(with_query(request, Expires=expires))
    assert (error.code, error.message) == ("AccessDenied", f"Invalid date (should be seconds since epoch): {expires}")


def test_session_token_is_required_and_checked() -> None:
    request, _ = presign("get_object", {"Bucket": "b", "Key": "k"}, key=SESSION)
    assert failure(with_query(request, **{"x-amz-security-token": None})).code == "InvalidAccessKeyId"
    assert failure(with_query(request, **{"x-amz-security-token": "forged"})).code == "InvalidToken"
    request, _ = presign("get_object", {"Bucket": "b", "Key": "k"})
    assert failure(with_query(request, **{"x-amz-security-token": "extra"})).code == "InvalidToken"


def test_expired_session_credentials() -> None:
    request, _ = presign("get_object", {"Bucket": "b", "Key": "k"}, key=SESSION, expires_in=10 * 86400)
    assert SESSION.expires_at is not None
    error = failure(request, now=SESSION.expires_at + timedelta(seconds=1))
    assert (error.code, error.message) == ("ExpiredToken", "The provided token has expired.")


def test_carries_v2_query_signature() -> None:
    request, _ = presign("get_object", {"Bucket": "b", "Key": "k"})
    assert carries_v2_query_signature(request)
    assert not carries_v2_query_signature(HttpRequest("GET", "/b/k", "versionId=1", (), b""))
