"""Verifying AWS Signature Version 4 on a request, header-signed or presigned.

:func:`verify_request` takes the request exactly as received (:class:`~localiam.wire.http.HttpRequest`),
a lookup from access key id to :class:`SigningKey` (the ``server`` layer backs it with the store),
the current time, and whether the request is for S3. It returns an :class:`AuthResult` or raises
:class:`SigV4Error` (an :class:`~localiam.errors.AuthFailure`) with AWS's code and wording.

What AWS documents and this module follows:

- the canonical request, string to sign and signing key: IAM User Guide ``create-signed-request``
  and ``reference_sigv-signing-request``; presigned URLs: S3 API Reference
  ``sigv4-query-string-auth``; S3's differences (the path is neither normalised nor encoded a
  second time, ``x-amz-content-sha256`` is required and may be ``UNSIGNED-PAYLOAD``): S3 API
  Reference ``sig-v4-header-based-auth``;
- only the headers named in SignedHeaders are canonicalised, and ``host`` must be one of them;
- the date in the credential scope must be the date of ``X-Amz-Date``, the signature is good for
  15 minutes either side of it (``CommonErrors``: RequestExpired), a presigned S3 URL until
  ``X-Amz-Date + X-Amz-Expires`` (at most 604800 seconds);
- the wording of the errors (``reference_sigv-troubleshooting`` and the texts AWS returned in
  public issue threads, cited next to each message below).

Observed, not documented: services other than S3 ignore ``X-Amz-Expires`` and accept a presigned
request for the same 15 minutes as a header-signed one (aws/aws-sdk-go#2167 for STS,
aws/aws-sdk-ruby#2498 for SQS, STS's answer quoted in aws/aws-sdk-ruby#2887); so does this module.

The region and service of the credential scope are returned, not checked: the router knows which
ones fit (:func:`wrong_region`, :func:`wrong_service` build its errors). Streaming payloads
(``STREAMING-...``, ``aws-chunked`` bodies) are refused unless the caller asks for them; the result
then carries the seed signature and the key for the chunk verifier. Secrets never reach an error
message or a ``repr``.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote, unquote_to_bytes

from localiam.errors import AuthFailure
from localiam.wire.http import HttpRequest

__all__ = [
    "ALGORITHM",
    "SIGNATURE_MISMATCH",
    "UNSIGNED_PAYLOAD",
    "AuthResult",
    "HttpRequest",
    "SigV4Error",
    "SigningKey",
    "carries_signature",
    "verify_request",
    "wrong_region",
    "wrong_service",
]

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_PREFIX = "STREAMING-"
MAX_SKEW = timedelta(minutes=15)
MAX_PRESIGN_EXPIRES = 604800  # seconds, seven days (sigv4-query-string-auth)

# boto/boto3#756 (STS, the query protocol) returns this text, then the canonical request and the
# string to sign; S3 returns the short form with them as separate elements (aws/aws-sdk-js#3977).
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
S3_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your key and signing method."
)

_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_AMZ_DATE_RE = re.compile(r"\d{8}T\d{6}Z")
_ISO_SECONDS = "%Y-%m-%dT%H:%M:%SZ"
_SPACES = re.compile(r"[ \t]+")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_QUERY_AUTH_PARAMS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date")


@dataclass(frozen=True, slots=True)
class SigningKey:
    """What the verifier needs to know about an access key; ``server`` may subclass it to carry
    the principal along."""

    access_key_id: str
    secret: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None
    account_id: str = ""
    principal_arn: str | None = None


@dataclass(frozen=True, slots=True)
class AuthResult:
    """A request whose signature verified."""

    access_key_id: str
    key: SigningKey
    region: str
    service: str
    signed_headers: tuple[str, ...]
    amz_date: datetime
    presigned: bool
    payload_hash: str  # the signed payload hash: hex digest, UNSIGNED-PAYLOAD or STREAMING-...
    signature: str = field(repr=False)  # the seed signature of an aws-chunked body
    expires: datetime | None = None  # when a presigned S3 URL stops working

    @property
    def streaming(self) -> bool:
        return self.payload_hash.startswith(STREAMING_PREFIX)


class SigV4Error(AuthFailure):
    """An authentication failure; ``details`` are the extra elements S3 puts in its error body
    (``RequestTime``, ``CanonicalRequest`` ...), in order."""

    def __init__(self, code: str, message: str, status: int, details: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(message, code=code, status=status)
        self.details = details


LookupKey = Callable[[str], SigningKey | None]


def verify_request(
    request: HttpRequest,
    lookup: LookupKey,
    *,
    now: datetime,
    s3: bool = False,
    streaming: bool = False,
    body_unread: bool = False,
) -> AuthResult:
    """Verify the SigV4 signature of ``request`` at time ``now``; ``s3`` selects S3's rules and
    error codes, ``streaming`` lets ``STREAMING-*`` payloads through to a chunk decoder.
    ``body_unread`` (S3) says ``request.body`` is not the body: a hex ``x-amz-content-sha256``
    is then left to :class:`localiam.wire.chunked.PlainBodyVerifier` as the body streams in."""
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    signed = _read_signature(request, s3)
    amz_date = _parse_date(signed.date_text, s3)
    expires = _check_time(signed, amz_date, now, s3)
    key_id, scope_date, region, service = _parse_credential(signed.credential, signed.presigned, s3)
    if scope_date != signed.date_text[:8]:
        raise _mismatch(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{scope_date}' != '{signed.date_text[:8]}', from '{signed.date_text}'."
        )
    if "host" not in signed.headers:
        raise _mismatch("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
    key = lookup(key_id)
    if key is None:
        raise _unknown_key(key_id, s3)
    _check_session(key, signed.token, now, s3)
    payload_hash = _payload_hash(request, signed, s3)
    if payload_hash.startswith(STREAMING_PREFIX) and not (s3 and streaming):
        raise SigV4Error(
            "NotImplemented",
            "A header you provided implies functionality that is not implemented",
            501,
            (("Header", "x-amz-content-sha256"),),
        )
    canonical = _canonical_request(request, signed, payload_hash, s3)
    scope = f"{scope_date}/{region}/{service}/aws4_request"
    string_to_sign = f"{ALGORITHM}\n{signed.date_text}\n{scope}\n{_sha256(canonical.encode())}"
    expected = hmac.new(_signing_key(key.secret, scope_date, region, service), string_to_sign.encode(), "sha256")
    if not hmac.compare_digest(expected.hexdigest().encode(), signed.signature.encode("utf-8", "replace")):
        raise _signature_mismatch(key_id, canonical, string_to_sign, signed.signature, s3)
    if s3 and not body_unread and payload_hash != UNSIGNED_PAYLOAD and not payload_hash.startswith(STREAMING_PREFIX):
        computed = _sha256(request.body)
        if payload_hash != computed:
            # grosskur/lua-resty-aws#2, s3tools/s3cmd#812
            raise SigV4Error(
                "XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
                400,
                (("ClientComputedContentSHA256", payload_hash), ("S3ComputedContentSHA256", computed)),
            )
    return AuthResult(
        access_key_id=key_id,
        key=key,
        region=region,
        service=service,
        signed_headers=signed.headers,
        amz_date=amz_date,
        presigned=signed.presigned,
        payload_hash=payload_hash,
        signature=signed.signature,
        expires=expires,
    )


def carries_signature(request: HttpRequest) -> bool:
    """Whether the request claims SigV4 authentication at all (S3 serves anonymous requests)."""
    if request.header("authorization") is not None:
        return True
    return any(name == "X-Amz-Algorithm" for name, _ in _request_params(request))


def wrong_region(region: str, *, expected: str, s3: bool = False) -> SigV4Error:
    """The error for a credential scoped to a region the endpoint does not serve
    (aws/aws-sdk-php#732; S3: the region it expected)."""
    if s3:
        return SigV4Error(
            "AuthorizationHeaderMalformed",
            f"The authorization header is malformed; the region '{region}' is wrong; expecting '{expected}'",
            400,
            (("Region", expected),),
        )
    return _mismatch(f"Credential should be scoped to a valid region, not '{region}'.")


def wrong_service(expected: str) -> SigV4Error:
    """The error for a credential scoped to another service (cllunsford/aws-signing-proxy#25)."""
    return _mismatch(f"Credential should be scoped to correct service: '{expected}'.")


# -- reading the signature -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Signed:
    credential: str
    headers: tuple[str, ...]
    signature: str
    date_text: str
    token: str | None
    presigned: bool
    expires_seconds: int | None = None


def _read_signature(request: HttpRequest, s3: bool) -> _Signed:
    authorization = request.header("authorization")
    params = _request_params(request)
    query = dict(reversed(params))  # the first of repeated names wins
    if authorization is not None and "X-Amz-Algorithm" in query:
        raise _mismatch("Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.")
    if authorization is not None:
        return _from_header(request, authorization, query, s3)
    if "X-Amz-Algorithm" in query:
        return _from_query(request, query, s3)
    # amzn/selling-partner-api-docs#3081 (STS)
    raise SigV4Error("MissingAuthenticationToken", "Request is missing Authentication Token", 403)


def _from_header(request: HttpRequest, authorization: str, query: dict[str, str], s3: bool) -> _Signed:
    scheme, _, rest = authorization.strip().partition(" ")
    fields: dict[str, str] = {}
    if scheme == ALGORITHM:
        for part in rest.split(","):
            part = part.strip()
            if not part:
                continue
            name, equals, value = part.partition("=")
            if not equals:
                raise _incomplete(
                    f"'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: "
                    f"'{authorization}'"
                )
            fields.setdefault(name.strip(), value.strip())
    elif scheme.startswith("AWS") and scheme != "AWS":
        raise _incomplete(f"Unsupported AWS 'algorithm': '{scheme}'.")
    date_text = request.header("x-amz-date")
    if date_text is None and (http_date := request.header("date")) is not None:
        date_text = _from_http_date(http_date, s3)
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not fields.get(name)
    ]
    if s3 and missing:
        raise SigV4Error(
            "AuthorizationHeaderMalformed",  # ex-aws/ex_aws#537
            "The authorization header is malformed; the authorization header requires three components: "
            "Credential, SignedHeaders, and Signature.",
            400,
        )
    if date_text is None:
        if s3:
            raise _s3_date_required()
        missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if missing:
        # aws/chalice#828, rclone: every missing part, then the scheme the header named
        raise _incomplete(" ".join(missing) + f" Authorization={scheme}")
    assert date_text is not None
    token = request.header("x-amz-security-token")
    return _Signed(
        credential=fields["Credential"],
        headers=_signed_header_names(fields["SignedHeaders"]),
        signature=fields["Signature"],
        date_text=date_text,
        token=token if token is not None else query.get("X-Amz-Security-Token"),
        presigned=False,
    )


def _from_query(request: HttpRequest, query: dict[str, str], s3: bool) -> _Signed:
    if s3:
        if any(not query.get(name) for name in (*_QUERY_AUTH_PARAMS, "X-Amz-Expires")):
            raise _query_parameters_error(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
                "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
            )
        if query["X-Amz-Algorithm"] != ALGORITHM:
            raise _query_parameters_error(f'X-Amz-Algorithm only supports "{ALGORITHM}"')
    else:
        missing = [
            f"AWS query-string parameters must include '{name}'." for name in _QUERY_AUTH_PARAMS if not query.get(name)
        ]
        if missing:
            raise _incomplete(" ".join(missing) + " Re-examine the query-string parameters.")
        if query["X-Amz-Algorithm"] != ALGORITHM:
            raise _incomplete(f"Unsupported AWS 'algorithm': '{query['X-Amz-Algorithm']}'.")
    expires_seconds = None
    if s3:
        raw = query["X-Amz-Expires"]
        if not raw.isascii() or not raw.isdigit():
            raise _query_parameters_error("X-Amz-Expires should be a number")
        expires_seconds = int(raw)
        if expires_seconds > MAX_PRESIGN_EXPIRES:
            # bryanjos/aws_auth#31
            raise _query_parameters_error(
                "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be "
                f"less than {MAX_PRESIGN_EXPIRES} seconds"
            )
    token = query.get("X-Amz-Security-Token")
    return _Signed(
        credential=query["X-Amz-Credential"],
        headers=_signed_header_names(query["X-Amz-SignedHeaders"]),
        signature=query["X-Amz-Signature"],
        date_text=query["X-Amz-Date"],
        token=token if token is not None else request.header("x-amz-security-token"),
        presigned=True,
        expires_seconds=expires_seconds,
    )


def _signed_header_names(value: str) -> tuple[str, ...]:
    return tuple(name.strip().lower() for name in value.split(";") if name.strip())


def _from_http_date(value: str, s3: bool) -> str:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise _s3_date_required() if s3 else _bad_date(value) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime(_AMZ_DATE)


def _parse_date(text: str, s3: bool) -> datetime:
    if _AMZ_DATE_RE.fullmatch(text):
        try:  # YYYYMMDDTHHMMSSZ, read by hand: strptime costs a tenth of a verification
            return datetime(
                int(text[0:4]),
                int(text[4:6]),
                int(text[6:8]),
                int(text[9:11]),
                int(text[11:13]),
                int(text[13:15]),
                tzinfo=UTC,
            )
        except ValueError:
            pass
    raise _s3_date_required() if s3 else _bad_date(text)


def _check_time(signed: _Signed, amz_date: datetime, now: datetime, s3: bool) -> datetime | None:
    """Raise unless ``now`` is inside the signature's window; the end of a presigned S3 URL's."""
    if s3 and signed.presigned:
        assert signed.expires_seconds is not None
        expires = amz_date + timedelta(seconds=signed.expires_seconds)
        if amz_date - now > MAX_SKEW:
            raise SigV4Error("AccessDenied", "Request is not yet valid", 403)
        if now > expires:
            # aws/aws-sdk-php#1333
            raise SigV4Error(
                "AccessDenied",
                "Request has expired",
                403,
                (
                    ("X-Amz-Expires", str(signed.expires_seconds)),
                    ("Expires", expires.strftime(_ISO_SECONDS)),
                    ("ServerTime", now.strftime(_ISO_SECONDS)),
                ),
            )
        return expires
    if abs(now - amz_date) <= MAX_SKEW:
        return None
    if s3:
        # aws/aws-sdk-php#612
        raise SigV4Error(
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
            403,
            (
                ("RequestTime", signed.date_text),
                ("ServerTime", now.strftime(_ISO_SECONDS)),
                ("MaxAllowedSkewMilliseconds", str(int(MAX_SKEW.total_seconds() * 1000))),
            ),
        )
    stamp = now.strftime(_AMZ_DATE)
    if amz_date < now:
        # aws/aws-cli#6676 (STS), aws/aws-sdk-go#884 (SNS): SignatureDoesNotMatch, 403
        raise _mismatch(
            f"Signature expired: {signed.date_text} is now earlier than "
            f"{(now - MAX_SKEW).strftime(_AMZ_DATE)} ({stamp} - 15 min.)"
        )
    # aws/aws-sdk-js#142
    raise _mismatch(
        f"Signature not yet current: {signed.date_text} is still later than "
        f"{(now + MAX_SKEW).strftime(_AMZ_DATE)} ({stamp} + 15 min.)"
    )


def _parse_credential(credential: str, presigned: bool, s3: bool) -> tuple[str, str, str, str]:
    parts = credential.split("/")
    if len(parts) != 5:
        if s3:
            expecting = 'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'
            if presigned:
                raise _query_parameters_error(
                    f"Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; {expecting}"
                )
            # krobertson/deb-s3#157
            raise SigV4Error(
                "AuthorizationHeaderMalformed",
                f"The authorization header is malformed; the Credential is mal-formed; {expecting}",
                400,
            )
        raise _incomplete(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
            f"got '{credential}'"
        )
    key_id, date, region, service, terminator = parts
    if terminator != "aws4_request":
        raise _mismatch(f"Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'.")
    return key_id, date, region, service


def _check_session(key: SigningKey, token: str | None, now: datetime, s3: bool) -> None:
    if key.session_token is None:
        if token:
            raise _invalid_token(s3)
    elif token is None:
        raise _unknown_key(key.access_key_id, s3) if s3 else _invalid_token(s3)
    elif not hmac.compare_digest(token.encode(), key.session_token.encode()):
        raise _invalid_token(s3)
    if key.expires_at is not None:
        expires_at = key.expires_at if key.expires_at.tzinfo else key.expires_at.replace(tzinfo=UTC)
        if now >= expires_at:
            if s3:
                # aws/aws-sdk-ruby#808
                raise SigV4Error("ExpiredToken", "The provided token has expired.", 400)
            # aws/aws-sdk-java-v2#1649, aws-samples/aws-iot-twinmaker-samples#147
            raise SigV4Error("ExpiredToken", "The security token included in the request is expired", 403)


# -- the canonical request -------------------------------------------------------------------


def _payload_hash(request: HttpRequest, signed: _Signed, s3: bool) -> str:
    declared = request.header("x-amz-content-sha256")
    if not s3:
        return _sha256(request.body)
    if signed.presigned:
        if declared is None:
            declared = dict(reversed(_request_params(request))).get("X-Amz-Content-Sha256")
        return declared.strip() if declared is not None else UNSIGNED_PAYLOAD
    if declared is None:
        # aws/aws-cli#2138
        raise SigV4Error("InvalidRequest", "Missing required header for this request: x-amz-content-sha256", 400)
    return declared.strip()


def _canonical_request(request: HttpRequest, signed: _Signed, payload_hash: str, s3: bool) -> str:
    return "\n".join(
        (
            request.method,
            _canonical_uri(request.raw_path, s3),
            _canonical_query(request.raw_query, signed.presigned),
            _canonical_headers(request, signed.headers),
            ";".join(signed.headers),
            payload_hash,
        )
    )


def _canonical_uri(raw_path: str, s3: bool) -> str:
    """S3 signs the path as sent; every other service the path with dot segments and repeated
    slashes removed, percent-encoded once more (create-signed-request, step 1)."""
    path = raw_path or "/"
    if s3:
        return path
    return quote(_remove_dot_segments(path), safe="/~")


def _remove_dot_segments(path: str) -> str:
    segments: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    trailing = "/" if segments and path.endswith("/") else ""
    return "/" + "/".join(segments) + trailing


def _canonical_query(raw_query: str, presigned: bool) -> str:
    pairs = []
    for part in raw_query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        encoded_name = _uri_encode(name)
        if presigned and encoded_name == "X-Amz-Signature":
            continue
        pairs.append((encoded_name, _uri_encode(value)))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _uri_encode(component: str) -> str:
    """Decode once, then encode everything but the unreserved characters, hex in upper case."""
    return quote(unquote_to_bytes(component), safe="~")


def _canonical_headers(request: HttpRequest, names: tuple[str, ...]) -> str:
    values: dict[str, list[str]] = {name: [] for name in names}
    for name, value in request.headers:
        wanted = values.get(name.strip().lower())
        if wanted is not None:
            wanted.append(_SPACES.sub(" ", value.strip(" \t")))
    return "".join(f"{name}:{','.join(values[name])}\n" for name in names)


def _request_params(request: HttpRequest) -> list[tuple[str, str]]:
    return request.memo("sigv4_params", lambda: _query_params(request.raw_query))


def _query_params(raw_query: str) -> list[tuple[str, str]]:
    params = []
    for part in raw_query.split("&"):
        if part:
            name, _, value = part.partition("=")
            params.append((unquote(name), unquote(value)))
    return params


@functools.lru_cache(maxsize=1024)
def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request");
    cached per (secret, date, region, service), at most 1024 entries."""
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), "sha256").digest()
    return key


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- errors ----------------------------------------------------------------------------------


def _mismatch(message: str) -> SigV4Error:
    return SigV4Error("SignatureDoesNotMatch", message, 403)


def _incomplete(message: str) -> SigV4Error:
    return SigV4Error("IncompleteSignature", message, 400)


def _bad_date(text: str) -> SigV4Error:
    return _incomplete(
        f"Date must be in ISO-8601 'basic format'. Got '{text}'. See http://en.wikipedia.org/wiki/ISO_8601"
    )


def _s3_date_required() -> SigV4Error:
    return SigV4Error("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header", 403)


def _query_parameters_error(message: str) -> SigV4Error:
    return SigV4Error("AuthorizationQueryParametersError", message, 400)


def _unknown_key(key_id: str, s3: bool) -> SigV4Error:
    if s3:
        # raster-foundry/raster-foundry#289
        return SigV4Error(
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            403,
            (("AWSAccessKeyId", key_id),),
        )
    return _invalid_token(s3)


def _invalid_token(s3: bool) -> SigV4Error:
    if s3:
        # s3tools/s3cmd#297, aws/aws-sdk-js#3534
        return SigV4Error("InvalidToken", "The provided token is malformed or otherwise invalid.", 400)
    # jrl84/amazon-sp-api#218 (STS), aws/aws-sdk-go#3888
    return SigV4Error("InvalidClientTokenId", "The security token included in the request is invalid.", 403)


def _signature_mismatch(key_id: str, canonical: str, string_to_sign: str, provided: str, s3: bool) -> SigV4Error:
    if s3:
        return SigV4Error(
            "SignatureDoesNotMatch",
            S3_SIGNATURE_MISMATCH,
            403,
            (
                ("AWSAccessKeyId", key_id),
                ("StringToSign", string_to_sign),
                ("SignatureProvided", provided),
                ("StringToSignBytes", _spaced_hex(string_to_sign)),
                ("CanonicalRequest", canonical),
                ("CanonicalRequestBytes", _spaced_hex(canonical)),
            ),
        )
    return _mismatch(
        f"{SIGNATURE_MISMATCH}\n\nThe Canonical String for this request should have been\n'{canonical}'\n\n"
        f"The String-to-Sign should have been\n'{string_to_sign}'\n"
    )


def _spaced_hex(text: str) -> str:
    return " ".join(f"{byte:02x}" for byte in text.encode())
