"""Where an S3 request's bucket and key are, and whether a request is for S3 at all.

Addressing. A request is *virtual-hosted* when its Host (port dropped, lower-cased) is
``{bucket}.{suffix}`` for one of the configured suffixes, tried in order; the bucket is then the
host's part before the suffix (dots included: ``my.bucket.s3.amazonaws.com``) and the whole path is
the key. A ``*`` in a suffix stands for letters, digits and hyphens inside one DNS label (a region:
``s3.*.amazonaws.com``, ``s3-*.amazonaws.com``). Otherwise the request is *path-style*: the first
path segment is the bucket and the rest the key. A Host equal to a suffix (``s3.amazonaws.com``,
``localhost``), an IP address or any other host is path-style. Defaults:
``s3.amazonaws.com``, ``s3.dualstack.*.amazonaws.com``, ``s3.*.amazonaws.com``,
``s3-*.amazonaws.com``, ``s3.localhost``, ``localhost`` (so ``bucket.localhost:4599`` works).

Routing rule (:func:`is_s3_request`), first answer wins:

1. a path under ``/v20180820/`` is S3 Control (it signs as ``s3`` too): not S3;
2. a SigV4 credential scope (header or presigned query) decides: service ``s3`` or not;
3. an ``X-Amz-Target`` header, or an ``Action`` in the query string or a POSTed form: not S3;
4. a virtual-hosted Host, SigV2 (``Authorization: AWS key:sig``, or presigned ``AWSAccessKeyId``
   and ``Signature`` in the query), a query key of S3's model (``acl``, ``uploads``, ``list-type``,
   ``prefix``, ``uploadId`` ...) or an S3 header (``x-amz-content-sha256``, ``x-amz-acl``,
   ``x-amz-grant-*``, ``x-amz-meta-*``, ``x-amz-copy-source*``, ``x-amz-expected-bucket-owner``,
   ``x-amz-bucket-*``): S3;
5. anything else: not S3, except that :func:`s3_anonymous_resolver` (meant to be the *last*
   resolver) takes every remaining request without credentials, such as an anonymous
   ``GET /bucket/key`` of a public object.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, unquote

from localiam.wire import routing
from localiam.wire.http import HttpRequest, host_name
from localiam.wire.models import service_model

if TYPE_CHECKING:
    from localiam.wire.routing import Route, Router

DEFAULT_SUFFIXES = (
    "s3.amazonaws.com",
    "s3.dualstack.*.amazonaws.com",
    "s3.*.amazonaws.com",
    "s3-*.amazonaws.com",
    "s3.localhost",
    "localhost",
)
S3_CONTROL_PREFIX = "/v20180820/"
_S3_HEADER_PREFIXES = ("x-amz-acl", "x-amz-grant-", "x-amz-meta-", "x-amz-copy-source", "x-amz-bucket-")
_S3_HEADERS = {"x-amz-content-sha256", "x-amz-expected-bucket-owner"}


@dataclass(frozen=True, slots=True)
class S3Address:
    """The bucket and key a request names (``None`` when it names none), how it named them, and
    its raw path rewritten to path style (``/bucket/key``, still percent-encoded)."""

    bucket: str | None
    key: str | None
    virtual_hosted: bool
    path: str


def _suffix_pattern(suffix: str) -> re.Pattern[str]:
    body = r"\.".join(re.escape(label).replace(r"\*", "[a-z0-9-]+") for label in suffix.lower().split("."))
    return re.compile(rf"(?:(?P<bucket>.+)\.)?{body}")


class S3Addressing:
    """Path-style and virtual-hosted-style addressing with configurable host suffixes."""

    def __init__(self, suffixes: Iterable[str] = DEFAULT_SUFFIXES) -> None:
        self.suffixes = tuple(suffixes)
        self._patterns = [_suffix_pattern(s) for s in self.suffixes]

    def bucket_from_host(self, host: str) -> str | None:
        """The bucket of a virtual-hosted Host (no port), or ``None``."""
        host = host.lower()
        for pattern in self._patterns:
            match = pattern.fullmatch(host)
            if match is not None:
                return match.group("bucket")
        return None

    def resolve(self, request: HttpRequest) -> S3Address:
        raw_path = request.raw_path or "/"
        if not raw_path.startswith("/"):
            raw_path = "/" + raw_path
        bucket = self.bucket_from_host(host_name(request))
        if bucket is not None:
            key = unquote(raw_path[1:]) or None
            return S3Address(bucket, key, True, "/" + quote(bucket, safe="") + raw_path)
        first, _, rest = raw_path[1:].partition("/")
        return S3Address(unquote(first) or None, unquote(rest) or None, False, raw_path)


@functools.cache
def s3_query_keys() -> frozenset[str]:
    """Every query key S3's model uses: the subresources of its request URIs (``acl``,
    ``uploads``, ``list-type`` ...) and its query-string members (``prefix``, ``uploadId`` ...)."""
    model = service_model("s3")
    keys: set[str] = set()
    for name in model.operation_names:
        op = model.operation_model(name)
        keys.update(k for k, _ in parse_qsl(str(op.http.get("requestUri", "")).partition("?")[2], True))
        shape = op.input_shape
        if shape is not None:
            for member_name, member in shape.members.items():
                if member.serialization.get("location") == "querystring":
                    keys.add(str(member.serialization.get("name", member_name)))
    keys.discard("x-id")
    return frozenset(keys)


def _has_credentials(request: HttpRequest, query: set[str]) -> bool:
    return request.header("authorization") is not None or bool(
        query & {"X-Amz-Credential", "X-Amz-Signature", "AWSAccessKeyId", "Signature"}
    )


def _is_other_protocol(request: HttpRequest, query: set[str]) -> bool:
    if request.header("x-amz-target") is not None or "Action" in query:
        return True
    content_type = (request.header("content-type") or "").lower()
    if request.method.upper() == "POST" and content_type.startswith("application/x-www-form-urlencoded"):
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        return "Action" in form
    return False


def is_s3_request(request: HttpRequest, addressing: S3Addressing | None = None) -> bool:
    """Whether ``request`` is for S3, by the rule in this module's docstring (steps 1-4)."""
    if request.raw_path.startswith(S3_CONTROL_PREFIX):
        return False
    scope = routing.credential_scope_service(request)
    if scope is not None:
        return scope == "s3"
    query = {k for k, _ in request.query_pairs()}
    if _is_other_protocol(request, query):
        return False
    if (addressing or S3Addressing()).bucket_from_host(host_name(request)) is not None:
        return True
    if (request.header("authorization") or "").startswith("AWS "):
        return True
    if {"AWSAccessKeyId", "Signature"} <= query or query & s3_query_keys():
        return True
    for name, _ in request.headers:
        lowered = name.lower()
        if lowered in _S3_HEADERS or lowered.startswith(_S3_HEADER_PREFIXES):
            return True
    return False


def s3_resolver(router: Router, addressing: S3Addressing | None = None) -> Callable[[HttpRequest], Route | None]:
    """A :attr:`Router.resolvers` entry routing to ``router``'s ``s3`` protocol the requests
    :func:`is_s3_request` recognises; put it before the query resolver."""
    chosen = addressing or S3Addressing()

    def resolve(request: HttpRequest) -> Route | None:
        if is_s3_request(request, chosen):
            return routing.Route("s3", router.protocols["s3"])
        return None

    return resolve


def s3_anonymous_resolver(router: Router) -> Callable[[HttpRequest], Route | None]:
    """A last-resort :attr:`Router.resolvers` entry: a request without credentials, without an
    ``X-Amz-Target`` or ``Action`` and outside ``/_localiam/`` and S3 Control is S3 (an anonymous
    read of a public object)."""

    def resolve(request: HttpRequest) -> Route | None:
        query = {k for k, _ in request.query_pairs()}
        if (
            _has_credentials(request, query)
            or _is_other_protocol(request, query)
            or request.raw_path.startswith(("/_localiam/", S3_CONTROL_PREFIX))
        ):
            return None
        return routing.Route("s3", router.protocols["s3"])

    return resolve
