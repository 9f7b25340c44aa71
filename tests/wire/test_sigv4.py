"""SigV4 verification, with botocore's own signers as the oracle.

Every request that botocore's ``SigV4Auth``, ``SigV4QueryAuth``, ``S3SigV4Auth`` or
``S3SigV4QueryAuth`` signs must verify, whatever its path, query and headers; every tampered or
out-of-time request must fail with AWS's code and wording.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from unittest.mock import patch
from urllib.parse import quote, urlsplit

import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth  # type: ignore[import-untyped]
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.credentials import Credentials  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from localiam.state.access_keys import new_access_key, new_secret_key, new_session_token
from localiam.wire.http import HttpRequest
from localiam.wire.sigv4 import (
    SIGNATURE_MISMATCH,
    AuthResult,
    SigningKey,
    SigV4Error,
    _signing_key,
    carries_signature,
    verify_request,
    wrong_region,
    wrong_service,
)

SIGNED_AT = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)
HOST = "localhost:4599"
ACCOUNT = "123456789012"
LONG_TERM = SigningKey(new_access_key(ACCOUNT), new_secret_key(), account_id=ACCOUNT)
SESSION = SigningKey(
    new_access_key(ACCOUNT, temporary=True),
    new_secret_key(),
    session_token=new_session_token(),
    expires_at=SIGNED_AT + timedelta(days=8),  # outlives the longest presigned URL
    account_id=ACCOUNT,
)
KEYS = {key.access_key_id: key for key in (LONG_TERM, SESSION)}


def sign(
    signer: Callable[..., SigV4Auth],
    key: SigningKey = LONG_TERM,
    *,
    method: str = "GET",
    path: str = "/",
    query: str = "",
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    service: str = "iam",
    region: str = "us-east-1",
    expires: int | None = None,
    unsigned_payload: bool = False,
    at: datetime = SIGNED_AT,
) -> HttpRequest:
    """Sign with botocore and return the request as a server receives it."""
    url = f"http://{HOST}{path}" + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, data=body)
    for name, value in headers:
        request.headers[name] = value  # HTTPHeaders appends: repeated headers stay repeated
    if unsigned_payload:
        request.context["client_config"] = Config(s3={"payload_signing_enabled": False})
    credentials = Credentials(key.access_key_id, key.secret, key.session_token)
    auth = signer(credentials, service, region) if expires is None else signer(credentials, service, region, expires)
    with patch("botocore.auth.get_current_datetime", return_value=at.replace(tzinfo=None)):
        auth.add_auth(request)
    prepared = request.prepare()
    url_parts = urlsplit(prepared.url)
    sent_headers = (("Host", HOST), *request.headers.items())
    return HttpRequest(method, url_parts.path, url_parts.query, sent_headers, prepared.body or b"")


def verify(request: HttpRequest, *, now: datetime = SIGNED_AT, s3: bool = False, **kwargs: bool) -> AuthResult:
    return verify_request(request, KEYS.get, now=now, s3=s3, **kwargs)


def failure(request: HttpRequest, **kwargs: object) -> SigV4Error:
    with pytest.raises(SigV4Error) as caught:
        verify(request, **kwargs)  # type: ignore[arg-type]
    error = caught.value
    for key in KEYS.values():
        shown = f"{error} {error!r} {error.details}"
        assert key.secret not in shown
    return error


def with_header(request: HttpRequest, name: str, value: str | None) -> HttpRequest:
    """Replace (or, with ``None``, drop) every header called ``name``."""
    kept = tuple((k, v) for k, v in request.headers if k.lower() != name.lower())
    return replace(request, headers=kept if value is None else (*kept, (name, value)))


def authorization(request: HttpRequest) -> str:
    value = request.header("authorization")
    assert value is not None
    return value


# -- strategies --------------------------------------------------------------------------------

unicode_text = st.text(
    st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Z", "Cc", "Cf", "Co")), max_size=8
)
path_segment = st.one_of(
    unicode_text.map(lambda text: quote(text, safe="~")),
    st.text("abzAZ09-._~!$&'()*+,;=:@", max_size=6),
    st.sampled_from(["", ".", "..", "%2E", "a%2Fb", "%25", "+", "%20"]),
)
paths = st.lists(path_segment, max_size=6).map(lambda segments: "/" + "/".join(segments))

query_keys = st.one_of(st.sampled_from(["a", "A", "b", "X-Amz-Foo", "list-type", ""]), unicode_text)
query_values = st.one_of(st.none(), st.just(""), unicode_text, st.sampled_from(["+", "%", "a b", "=", "&"]))
queries = st.lists(st.tuples(query_keys, query_values), max_size=6).map(
    lambda pairs: "&".join(
        quote(k, safe="-_.~") + ("" if v is None else "=" + quote(v, safe="-_.~")) for k, v in pairs if k or v
    )
)

_reserved = {"host", "authorization", "x-amz-date", "date", "x-amz-security-token", "x-amz-content-sha256"}
_not_signed_by_botocore = {"expect", "user-agent", "te", "trailer", "upgrade", "connection", "keep-alive", "baggage"}
header_names = st.one_of(
    st.sampled_from(["X-Custom", "x-custom", "Content-Type", "X-Amz-Meta-Thing"]),
    st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,10}", fullmatch=True),
).filter(lambda name: name.lower() not in _reserved | _not_signed_by_botocore and not name.lower().startswith("proxy-"))
header_values = st.text(st.sampled_from([chr(c) for c in range(0x21, 0x7F)] + [" ", " ", "\t"]), max_size=16)
header_lists = st.lists(st.tuples(header_names, header_values), max_size=5)
keys = st.sampled_from(["long-term", "session"]).map(lambda kind: LONG_TERM if kind == "long-term" else SESSION)
regions = st.sampled_from(["us-east-1", "eu-west-3", "ap-southeast-2"])
services = st.sampled_from(["iam", "sts", "lambda", "execute-api", "organizations"])
methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"])
skews = st.integers(-900, 900).map(lambda seconds: timedelta(seconds=seconds))


# -- every correctly signed request verifies ------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(keys, methods, paths, queries, header_lists, st.binary(max_size=64), services, regions, skews)
def test_header_signed_requests_verify(
    key: SigningKey,
    method: str,
    path: str,
    query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    service: str,
    region: str,
    skew: timedelta,
) -> None:
    request = sign(
        SigV4Auth,
        key,
        method=method,
        path=path,
        query=query,
        headers=headers,
        body=body,
        service=service,
        region=region,
    )
    result = verify(request, now=SIGNED_AT + skew)
    assert (result.access_key_id, result.region, result.service) == (key.access_key_id, region, service)
    assert result.key is KEYS[key.access_key_id]
    assert "host" in result.signed_headers and "x-amz-date" in result.signed_headers
    assert result.amz_date == SIGNED_AT and not result.presigned


@settings(max_examples=150, deadline=None)
@given(keys, methods, paths, queries, header_lists, st.binary(max_size=64), regions, st.booleans(), skews)
def test_s3_header_signed_requests_verify(
    key: SigningKey,
    method: str,
    path: str,
    query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    region: str,
    unsigned: bool,
    skew: timedelta,
) -> None:
    request = sign(
        S3SigV4Auth,
        key,
        method=method,
        path=path,
        query=query,
        headers=headers,
        body=body,
        service="s3",
        region=region,
        unsigned_payload=unsigned,
    )
    result = verify(request, s3=True, now=SIGNED_AT + skew)
    assert result.payload_hash == ("UNSIGNED-PAYLOAD" if unsigned else hashlib.sha256(body).hexdigest())
    assert (result.service, result.region) == ("s3", region)


@settings(max_examples=100, deadline=None)
@given(keys, paths, queries, header_lists, services, regions, st.integers(1, 604800), skews)
def test_presigned_requests_verify(
    key: SigningKey,
    path: str,
    query: str,
    headers: list[tuple[str, str]],
    service: str,
    region: str,
    expires: int,
    skew: timedelta,
) -> None:
    request = sign(
        SigV4QueryAuth, key, path=path, query=query, headers=headers, service=service, region=region, expires=expires
    )
    assert request.header("authorization") is None
    result = verify(request, now=SIGNED_AT + skew)
    assert result.presigned and result.expires is None
    assert (result.service, result.region) == (service, region)


@settings(max_examples=100, deadline=None)
@given(keys, st.sampled_from(["GET", "PUT", "HEAD"]), paths, queries, header_lists, regions, st.integers(1, 604800))
def test_s3_presigned_urls_verify_until_they_expire(
    key: SigningKey, method: str, path: str, query: str, headers: list[tuple[str, str]], region: str, expires: int
) -> None:
    request = sign(
        S3SigV4QueryAuth,
        key,
        method=method,
        path=path,
        query=query,
        headers=headers,
        service="s3",
        region=region,
        expires=expires,
    )
    result = verify(request, s3=True, now=SIGNED_AT + timedelta(seconds=expires))
    assert result.presigned and result.payload_hash == "UNSIGNED-PAYLOAD"
    assert result.expires == SIGNED_AT + timedelta(seconds=expires)
    error = failure(request, s3=True, now=SIGNED_AT + timedelta(seconds=expires + 1))
    assert (error.code, error.message, error.status) == ("AccessDenied", "Request has expired", 403)


def test_aws_signature_test_suite_get_vanilla() -> None:
    """The ``get-vanilla`` case of AWS's SigV4 test suite, signature as AWS published it."""
    key = SigningKey("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    request = HttpRequest(
        "GET",
        "/",
        "",
        (
            ("Host", "example.amazonaws.com"),
            ("X-Amz-Date", "20150830T123600Z"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                "SignedHeaders=host;x-amz-date, "
                "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            ),
        ),
        b"",
    )
    result = verify_request(request, {"AKIDEXAMPLE": key}.get, now=datetime(2015, 8, 30, 12, 36))
    assert (result.region, result.service) == ("us-east-1", "service")


@pytest.mark.parametrize(
    ("path", "normalised"), [("/a/../b//c/./d", "/b/c/d"), ("//x/", "/x/"), ("/a/b/../", "/a/"), ("/a/..", "/")]
)
def test_only_s3_signs_the_path_as_sent(path: str, normalised: str) -> None:
    """Other services sign the path with dot segments and repeated slashes removed (so the
    normalised path verifies too); S3 signs it exactly as sent."""
    other = sign(SigV4Auth, path=path)
    assert verify(other) and verify(replace(other, raw_path=normalised))
    s3 = sign(S3SigV4Auth, path=path, service="s3")
    assert verify(s3, s3=True)
    assert failure(replace(s3, raw_path=normalised), s3=True).code == "SignatureDoesNotMatch"


def test_date_header_instead_of_x_amz_date() -> None:
    request = sign(SigV4Auth, headers=[("Date", "Sat, 01 Jan 2000 00:00:00 GMT")])
    assert request.header("x-amz-date") is None
    assert verify(request).amz_date == SIGNED_AT


# -- the negative matrix ---------------------------------------------------------------------


def _base(key: SigningKey = LONG_TERM) -> HttpRequest:
    return sign(
        SigV4Auth,
        key,
        method="POST",
        path="/",
        query="a=1",
        headers=[("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), ("X-Custom", "v")],
        body=b"Action=ListUsers&Version=2010-05-08",
    )


def _s3_base(key: SigningKey = LONG_TERM) -> HttpRequest:
    return sign(
        S3SigV4Auth, key, method="PUT", path="/bucket/key", headers=[("X-Custom", "v")], body=b"hello", service="s3"
    )


def _rewrite_auth(request: HttpRequest, old: str, new: str) -> HttpRequest:
    return with_header(request, "Authorization", authorization(request).replace(old, new))


TAMPERED = {
    "signed header": lambda r: with_header(r, "X-Custom", "w"),
    "body": lambda r: replace(r, body=r.body + b"&UserName=x"),
    "query": lambda r: replace(r, raw_query="a=2"),
    "path": lambda r: replace(r, raw_path="/other"),
    "method": lambda r: replace(r, method="PUT"),
    "date": lambda r: with_header(r, "X-Amz-Date", (SIGNED_AT + timedelta(seconds=1)).strftime("%Y%m%dT%H%M%SZ")),
    "region": lambda r: _rewrite_auth(r, "/us-east-1/", "/us-west-2/"),
    "service": lambda r: _rewrite_auth(r, "/iam/", "/sts/"),
    "signed headers list": lambda r: _rewrite_auth(r, ";x-custom", ""),
    "signature": lambda r: _rewrite_auth(r, "Signature=", "Signature=0"),
}


@pytest.mark.parametrize("tamper", TAMPERED.values(), ids=TAMPERED.keys())
def test_tampered_requests_do_not_match(tamper: Callable[[HttpRequest], HttpRequest]) -> None:
    error = failure(tamper(_base()))
    assert (error.code, error.status) == ("SignatureDoesNotMatch", 403)
    assert error.message.startswith(
        SIGNATURE_MISMATCH + "\n\nThe Canonical String for this request should have been\n'"
    )
    assert "\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n" in error.message


def test_signature_mismatch_names_the_canonical_request() -> None:
    error = failure(with_header(_base(), "X-Custom", "w"))
    assert "\nx-custom:w\n" in error.message and "\ncontent-type;host;x-amz-date;x-custom\n" in error.message


def test_wrong_secret() -> None:
    impostor = SigningKey(LONG_TERM.access_key_id, new_secret_key())
    error = failure(sign(SigV4Auth, impostor))
    assert error.code == "SignatureDoesNotMatch"


def test_unknown_access_key() -> None:
    stranger = SigningKey(new_access_key(ACCOUNT), new_secret_key())
    error = failure(sign(SigV4Auth, stranger))
    assert (error.code, error.message, error.status) == (
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
        403,
    )
    s3_error = failure(sign(S3SigV4Auth, stranger, service="s3"), s3=True)
    assert (s3_error.code, s3_error.message) == (
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
    )
    assert s3_error.details == (("AWSAccessKeyId", stranger.access_key_id),)


INVALID_TOKEN = ("InvalidClientTokenId", "The security token included in the request is invalid.", 403)


def test_session_token_tampered() -> None:
    request = with_header(_base(SESSION), "X-Amz-Security-Token", SESSION.session_token + "x")  # type: ignore[operator]
    error = failure(request)
    assert (error.code, error.message, error.status) == INVALID_TOKEN


def test_session_token_missing() -> None:
    error = failure(with_header(_base(SESSION), "X-Amz-Security-Token", None))
    assert (error.code, error.message, error.status) == INVALID_TOKEN


def test_token_sent_with_a_long_term_key() -> None:
    tokened = replace(LONG_TERM, session_token=new_session_token())
    error = failure(sign(SigV4Auth, tokened))
    assert (error.code, error.message, error.status) == INVALID_TOKEN
    s3_error = failure(sign(S3SigV4Auth, tokened, service="s3"), s3=True)
    assert (s3_error.code, s3_error.message, s3_error.status) == (
        "InvalidToken",
        "The provided token is malformed or otherwise invalid.",
        400,
    )


def test_expired_session() -> None:
    assert SESSION.expires_at is not None
    request = sign(SigV4Auth, SESSION, at=SESSION.expires_at)
    error = failure(request, now=SESSION.expires_at)
    assert (error.code, error.message, error.status) == (
        "ExpiredToken",
        "The security token included in the request is expired",
        403,
    )
    s3_error = failure(sign(S3SigV4Auth, SESSION, service="s3", at=SESSION.expires_at), s3=True, now=SESSION.expires_at)
    assert (s3_error.code, s3_error.message) == ("ExpiredToken", "The provided token has expired.")


def test_header_signature_older_than_fifteen_minutes() -> None:
    error = failure(_base(), now=SIGNED_AT + timedelta(minutes=15, seconds=1))
    assert (error.code, error.status) == ("SignatureDoesNotMatch", 403)
    assert error.message == (
        "Signature expired: 20260314T150926Z is now earlier than 20260314T150927Z (20260314T152427Z - 15 min.)"
    )
    assert verify(_base(), now=SIGNED_AT + timedelta(minutes=15))


def test_future_dated_signature() -> None:
    error = failure(_base(), now=SIGNED_AT - timedelta(minutes=16))
    assert (error.code, error.status) == ("SignatureDoesNotMatch", 403)
    assert error.message == (
        "Signature not yet current: 20260314T150926Z is still later than 20260314T150826Z (20260314T145326Z + 15 min.)"
    )


def test_s3_clock_skew() -> None:
    error = failure(_s3_base(), s3=True, now=SIGNED_AT + timedelta(minutes=20))
    assert (error.code, error.status) == ("RequestTimeTooSkewed", 403)
    assert error.message == "The difference between the request time and the current time is too large."
    assert error.details == (
        ("RequestTime", "20260314T150926Z"),
        ("ServerTime", "2026-03-14T15:29:26Z"),
        ("MaxAllowedSkewMilliseconds", "900000"),
    )


def test_presigned_request_outside_fifteen_minutes_fails_even_with_long_expiry() -> None:
    """Services other than S3 ignore X-Amz-Expires (aws/aws-sdk-go#2167)."""
    request = sign(SigV4QueryAuth, service="sts", expires=3600)
    assert verify(request, now=SIGNED_AT + timedelta(minutes=15))
    error = failure(request, now=SIGNED_AT + timedelta(minutes=16))
    assert error.code == "SignatureDoesNotMatch" and error.message.startswith("Signature expired: ")


def test_expired_s3_presigned_url_details() -> None:
    request = sign(S3SigV4QueryAuth, service="s3", path="/bucket/key", expires=60)
    error = failure(request, s3=True, now=SIGNED_AT + timedelta(seconds=61))
    assert error.details == (
        ("X-Amz-Expires", "60"),
        ("Expires", "2026-03-14T15:10:26Z"),
        ("ServerTime", "2026-03-14T15:10:27Z"),
    )


def test_s3_presigned_url_not_yet_valid() -> None:
    request = sign(S3SigV4QueryAuth, service="s3", expires=60)
    error = failure(request, s3=True, now=SIGNED_AT - timedelta(minutes=16))
    assert (error.code, error.status) == ("AccessDenied", 403)


def test_s3_presign_expiry_over_a_week() -> None:
    request = sign(S3SigV4QueryAuth, service="s3", expires=604801)
    error = failure(request, s3=True)
    assert (error.code, error.status) == ("AuthorizationQueryParametersError", 400)
    assert error.message == (
        "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than "
        "604800 seconds"
    )


def test_tampered_s3_presigned_url() -> None:
    request = sign(S3SigV4QueryAuth, service="s3", path="/bucket/key", expires=60)
    error = failure(replace(request, raw_path="/bucket/other"), s3=True)
    assert (error.code, error.message) == (
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing "
        "method.",
    )
    assert [name for name, _ in error.details] == [
        "AWSAccessKeyId",
        "StringToSign",
        "SignatureProvided",
        "StringToSignBytes",
        "CanonicalRequest",
        "CanonicalRequestBytes",
    ]
    assert dict(error.details)["CanonicalRequest"].startswith("GET\n/bucket/other\n")


def test_s3_body_does_not_match_its_hash() -> None:
    error = failure(replace(_s3_base(), body=b"goodbye"), s3=True)
    assert (error.code, error.status) == ("XAmzContentSHA256Mismatch", 400)
    assert error.message == "The provided 'x-amz-content-sha256' header does not match what was computed."
    assert [name for name, _ in error.details] == ["ClientComputedContentSHA256", "S3ComputedContentSHA256"]


def test_s3_header_auth_requires_the_content_hash() -> None:
    error = failure(with_header(_s3_base(), "X-Amz-Content-SHA256", None), s3=True)
    assert (error.code, error.message, error.status) == (
        "InvalidRequest",
        "Missing required header for this request: x-amz-content-sha256",
        400,
    )


def test_unsigned_payload_only_for_s3() -> None:
    request = with_header(_base(), "X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD")
    assert verify(request)  # not signed, so it changes nothing: the body's hash is what counts
    unsigned = sign(SigV4Auth, body=b"x", headers=[("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD")])
    assert failure(unsigned).code == "SignatureDoesNotMatch"


def test_streaming_payloads_wait_for_the_chunk_decoder() -> None:
    streaming = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    with patch.object(S3SigV4Auth, "payload", return_value=streaming):
        request = sign(S3SigV4Auth, method="PUT", path="/b/k", service="s3", body=b"5;chunk-signature=...")
    error = failure(request, s3=True)
    assert (error.code, error.status) == ("NotImplemented", 501)
    result = verify(request, s3=True, streaming=True)
    assert result.streaming and result.payload_hash == streaming and len(result.signature) == 64


MISSING_PARTS = {
    "Credential": (
        lambda a: a.replace("Credential=", "Cred="),
        "Authorization header requires 'Credential' parameter. Authorization=AWS4-HMAC-SHA256",
    ),
    "Signature": (
        lambda a: a.replace("Signature=", "Sig="),
        "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256",
    ),
    "SignedHeaders": (
        lambda a: a.replace("SignedHeaders=", "Headers="),
        "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256",
    ),
    "all": (
        lambda a: "AWS4-HMAC-SHA256",
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256",
    ),
    "bearer": (
        lambda a: "Bearer eyJ0eXAi",
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. Authorization=Bearer",
    ),
}


@pytest.mark.parametrize(("edit", "message"), MISSING_PARTS.values(), ids=MISSING_PARTS.keys())
def test_incomplete_authorization_header(edit: Callable[[str], str], message: str) -> None:
    request = with_header(_base(), "Authorization", edit(authorization(_base())))
    error = failure(request)
    assert (error.code, error.message, error.status) == ("IncompleteSignature", message, 400)


def test_authorization_header_without_a_date() -> None:
    request = with_header(with_header(_base(), "X-Amz-Date", None), "Authorization", "AWS4-HMAC-SHA256 Credential=x")
    error = failure(request)
    assert error.message == (
        "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' "
        "parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=AWS4-HMAC-SHA256"
    )


def test_malformed_authorization_header() -> None:
    header = "AWS4-HMAC-SHA256 FooBar, BazBurp"
    error = failure(with_header(_base(), "Authorization", header))
    assert (error.code, error.message) == (
        "IncompleteSignature",
        "'FooBar' not a valid key=value pair (missing equal-sign) in Authorization header: "
        "'AWS4-HMAC-SHA256 FooBar, BazBurp'",
    )
    error = failure(with_header(_base(), "Authorization", "AWS5-HMAC-SHA256 Credential=x"))
    assert error.message == "Unsupported AWS 'algorithm': 'AWS5-HMAC-SHA256'."


def test_s3_incomplete_authorization_header() -> None:
    request = with_header(_s3_base(), "Authorization", authorization(_s3_base()).replace("Signature=", "Sig="))
    error = failure(request, s3=True)
    assert (error.code, error.status) == ("AuthorizationHeaderMalformed", 400)
    assert error.message == (
        "The authorization header is malformed; the authorization header requires three components: Credential, "
        "SignedHeaders, and Signature."
    )


def test_no_authentication_at_all() -> None:
    request = with_header(_base(), "Authorization", None)
    assert not carries_signature(request) and carries_signature(_base())
    error = failure(request)
    assert (error.code, error.message, error.status) == (
        "MissingAuthenticationToken",
        "Request is missing Authentication Token",
        403,
    )


def test_presigned_query_missing_parameters() -> None:
    presigned = sign(SigV4QueryAuth, service="sts")
    assert carries_signature(presigned)
    query = "&".join(p for p in presigned.raw_query.split("&") if not p.startswith(("X-Amz-Signature", "X-Amz-Date")))
    error = failure(replace(presigned, raw_query=query))
    assert (error.code, error.status) == ("IncompleteSignature", 400)
    assert error.message == (
        "AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include "
        "'X-Amz-Date'. Re-examine the query-string parameters."
    )


def test_both_header_and_query_authentication() -> None:
    presigned = sign(SigV4QueryAuth, service="sts")
    error = failure(replace(presigned, headers=_base().headers))
    assert error.message == "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."


def test_host_must_be_signed() -> None:
    error = failure(_rewrite_auth(_base(), "SignedHeaders=content-type;host;", "SignedHeaders=content-type;"))
    assert (error.code, error.message) == (
        "SignatureDoesNotMatch",
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    )


def test_credential_scope_date_must_be_the_request_date() -> None:
    error = failure(_rewrite_auth(_base(), "/20260314/", "/20260315/"))
    assert error.message == (
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
        "'20260315' != '20260314', from '20260314T150926Z'."
    )


def test_credential_scope_terminator_and_shape() -> None:
    error = failure(_rewrite_auth(_base(), "/aws4_request", "/aws5_request"))
    assert error.message == "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'."
    error = failure(_rewrite_auth(_base(), "/us-east-1/iam/", "/"))
    assert error.code == "IncompleteSignature"
    assert error.message.startswith("Credential must have exactly 5 slash-delimited elements")


def test_malformed_amz_date() -> None:
    error = failure(with_header(_base(), "X-Amz-Date", "2026-03-14T15:09:26Z"))
    assert (error.code, error.message) == (
        "IncompleteSignature",
        "Date must be in ISO-8601 'basic format'. Got '2026-03-14T15:09:26Z'. See http://en.wikipedia.org/wiki/ISO_8601",
    )


def test_router_errors() -> None:
    assert wrong_region("eu-central-1", expected="us-east-1").message == (
        "Credential should be scoped to a valid region, not 'eu-central-1'."
    )
    assert wrong_service("batch").message == "Credential should be scoped to correct service: 'batch'."
    s3_error = wrong_region("us-east-1", expected="eu-west-1", s3=True)
    assert s3_error.code == "AuthorizationHeaderMalformed" and s3_error.details == (("Region", "eu-west-1"),)


def test_secrets_stay_out_of_reprs_and_the_signing_key_cache_is_bounded() -> None:
    assert SESSION.secret not in repr(SESSION) and SESSION.session_token not in repr(SESSION)  # type: ignore[operator]
    result = verify(_base(SESSION))
    assert SESSION.secret not in repr(result)
    assert _signing_key.cache_info().maxsize == 1024


def test_naive_now_is_utc() -> None:
    assert verify(_base(), now=SIGNED_AT.replace(tzinfo=None))
