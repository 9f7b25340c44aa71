"""Request limits: everything localiam refuses before it reads, or parses, more of a request.

Every ceiling is here, with the AWS page (or observed AWS answer) it follows, or, where AWS
publishes none, the reason for the value chosen. The server reads this module (:mod:`localiam.server.app`,
:mod:`localiam.server.transport`); the parsers use :func:`load_json` and :func:`parse_xml`.

Bodies (:func:`body_limit`): a request whose ``Content-Length`` (an aws-chunked S3 upload: its
``x-amz-decoded-content-length``) is over the ceiling is refused before a byte of its body is
read; a body without a declared length is read up to the ceiling and refused there.

- S3 ``PutObject`` and ``UploadPart``: 5 GiB, the largest single PUT (User Guide
  ``upload-objects``: "you can upload a single object up to 5 GB"); ``EntityTooLarge`` (400,
  "Your proposed upload exceeds the maximum allowed size", with ``ProposedSize`` and
  ``MaxSizeAllowed`` as S3 sends them: versity/versitygw#2041). Other S3 bodies (policies, ACLs,
  tagging, ``DeleteObjects``, ``CompleteMultipartUpload``) are XML or JSON documents: 4 MiB, twice
  the largest the model allows (10,000 parts with checksums), ``MaxMessageLengthExceeded`` (400,
  "Your request was too big.", S3 API Reference ``ErrorResponses``).
- Lambda (``gettingstarted-limits``, ``API_Invoke``): ``Invoke`` 6 MB synchronous and 1 MB
  asynchronous (``X-Amz-Invocation-Type: Event``); ``CreateFunction`` 70,167,211 bytes and
  ``UpdateFunctionCode`` 69,905,067 bytes, the request that carries a 50 MB zip in base64 as
  Lambda counts it; ``RequestEntityTooLargeException`` (413) worded as Lambda words it: "Request
  must be smaller than 6291456 bytes for the InvokeFunction operation" (pelmers/streetwarp-web#14),
  "... 69905067 bytes for the UpdateFunctionCode operation" (serverless/serverless#10179),
  "... 70167211 bytes for the CreateFunction operation" (localstack/docs#933), and for an
  asynchronous payload "N byte payload is too large for the Event invocation type (limit L
  bytes)" (faultline/faultline#12). Other Lambda operations: the synchronous 6 MB.
- IAM, STS, Organizations and S3 Control publish no request-size quota. The ceiling holds the
  largest request their models allow, form- or JSON-encoded: IAM 16 MiB (``CreateSAMLProvider``
  takes a 10,000,000-character metadata document), STS, Organizations and S3 Control 1 MiB (their
  largest members are 100,000 characters). The answer is HTTP 413 with the protocol's error
  shape: ``RequestEntityTooLarge`` (query), ``RequestEntityTooLargeException`` (JSON).

Request line and headers (:func:`check_head`):

- S3 counts the request line and the header section together, 8 KiB at most, and answers 400
  ``RequestHeaderSectionTooLarge`` "The request header and query parameters used to make the
  request exceed the maximum allowed size." (S3 API Reference ``ErrorResponses``; 8192 bytes as
  clients observe it, User Guide ``UsingMetadata``: "The PUT request header is limited to 8 KB").
- Other AWS front ends document no ceiling; localiam takes 32 KiB of path and query string,
  16 KiB of header names and values and 100 header fields, and answers 400 in the protocol's
  shape (``ValidationError`` for the query protocol, ``ValidationException`` for JSON) naming
  what is too large.
- Two ``Authorization`` headers are refused rather than reading the first: ``IncompleteSignature``
  (400) in the query and JSON protocols, ``InvalidArgument`` (400, ``ArgumentName``
  ``Authorization``) in S3's.
- :data:`TRANSPORT_HEAD_LIMIT` is the connection's own ceiling (:mod:`localiam.server.transport`):
  a request line and headers still incomplete past it are refused before the application sees
  them, so an endless header cannot fill memory.

Parsing: JSON and XML nest at most :data:`NESTING_LIMIT` levels (no AWS input nests more than a
dozen); deeper JSON is the protocol's serialization error (``SerializationException``, Lambda's
``InvalidRequestContentException``), deeper XML, or XML with more than :data:`XML_ELEMENT_LIMIT`
elements, is S3's ``MalformedXML`` (S3 refuses a ``DeleteObjects`` of more than 1,000 keys the
same way). A query-protocol form carries at most :data:`FORM_FIELD_LIMIT` fields.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import defusedxml.ElementTree as SafeET  # type: ignore[import-untyped]

from localiam.errors import AwsError
from localiam.wire.http import HttpRequest

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

S3_HEADER_SECTION_LIMIT = 8192
URL_LIMIT = 32 * KIB
HEADER_SECTION_LIMIT = 16 * KIB
HEADER_COUNT_LIMIT = 100
TRANSPORT_HEAD_LIMIT = 64 * KIB
"""Bytes of an incomplete request line and header section the connection buffers before it
refuses the request; above every limit of :func:`check_head`, so those answer first."""

NESTING_LIMIT = 100
XML_ELEMENT_LIMIT = 100_000
FORM_FIELD_LIMIT = 10_000

S3_OBJECT_LIMIT = 5 * GIB
S3_DOCUMENT_LIMIT = 4 * MIB
S3_POST_FORM_LIMIT = 64 * MIB
"""A browser POST upload's whole form (``RESTObjectPOST``): held in memory while it is parsed,
so a ceiling well below S3's 5 GB; larger files go up with PutObject or multipart uploads."""
LAMBDA_SYNC_PAYLOAD = 6 * MIB
LAMBDA_ASYNC_PAYLOAD = 1 * MIB
LAMBDA_REQUEST_LIMITS = {"CreateFunction": 70_167_211, "UpdateFunctionCode": 69_905_067}
SERVICE_BODY_LIMITS = {"iam": 16 * MIB, "sts": 1 * MIB, "organizations": 1 * MIB, "s3control": 1 * MIB}
DEFAULT_BODY_LIMIT = 1 * MIB

_S3_STREAMED = frozenset({"PutObject", "UploadPart"})
_LAMBDA_NAMES = {"Invoke": "InvokeFunction"}  # the operation as Lambda names it in its message


class TooDeep(ValueError):
    """A JSON or XML document nested deeper than :data:`NESTING_LIMIT`, or XML with more than
    :data:`XML_ELEMENT_LIMIT` elements."""


# --- bodies -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BodyLimit:
    """The most body bytes a request may carry, and its refusal: ``refuse(size)`` is the error
    for a body of ``size`` bytes (``None`` when the size is not declared)."""

    limit: int
    refuse: Callable[[int | None], AwsError]


def body_limit(service: str, protocol: str, operation: str | None, request: HttpRequest) -> BodyLimit:
    """The body ceiling of ``request`` to ``service`` (spoken in ``protocol``; ``operation`` as
    far as the request line tells it, for the rest protocols)."""
    if service == "s3":
        if operation in _S3_STREAMED:
            return BodyLimit(S3_OBJECT_LIMIT, _entity_too_large)
        if operation == "PostObject":
            return BodyLimit(S3_POST_FORM_LIMIT, _entity_too_large)
        return BodyLimit(S3_DOCUMENT_LIMIT, _message_too_long)
    if service == "lambda":
        name = operation or "Invoke"
        if operation == "Invoke" and (request.header("x-amz-invocation-type") or "").strip() == "Event":
            return BodyLimit(LAMBDA_ASYNC_PAYLOAD, _event_too_large)
        limit = LAMBDA_REQUEST_LIMITS.get(name, LAMBDA_SYNC_PAYLOAD)
        return BodyLimit(limit, lambda size: _lambda_too_large(limit, _LAMBDA_NAMES.get(name, name)))
    limit = SERVICE_BODY_LIMITS.get(service, DEFAULT_BODY_LIMIT)
    code = "RequestEntityTooLarge" if protocol == "query" else "RequestEntityTooLargeException"
    return BodyLimit(limit, lambda size: _too_large(code, limit, size))


def declared_size(request: HttpRequest) -> int | None:
    """The body size the request declares: an aws-chunked upload's
    ``x-amz-decoded-content-length`` (its Content-Length counts the chunk framing too), else
    ``Content-Length``; ``None`` when neither is given (``Transfer-Encoding: chunked``)."""
    chunked = "aws-chunked" in (request.header("content-encoding") or "").lower() or (
        request.header("x-amz-content-sha256") or ""
    ).startswith("STREAMING-")
    for name in ("x-amz-decoded-content-length", "content-length") if chunked else ("content-length",):
        value = request.header(name)
        if value is not None and value.strip().isdigit():
            return int(value.strip())
    return None


def check_declared_size(request: HttpRequest, limit: BodyLimit) -> AwsError | None:
    """The refusal of a request whose declared body is larger than ``limit``, else ``None``."""
    size = declared_size(request)
    return limit.refuse(size) if size is not None and size > limit.limit else None


def _entity_too_large(size: int | None) -> AwsError:
    fields = {"ProposedSize": str(size)} if size is not None else {}
    fields["MaxSizeAllowed"] = str(S3_OBJECT_LIMIT)
    return AwsError(
        "Your proposed upload exceeds the maximum allowed size", code="EntityTooLarge", status=400, fields=fields
    )


def _message_too_long(size: int | None) -> AwsError:
    return AwsError(
        "Your request was too big.",
        code="MaxMessageLengthExceeded",
        status=400,
        fields={"MaxMessageLengthBytes": str(S3_DOCUMENT_LIMIT)},
    )


def _lambda_too_large(limit: int, operation: str) -> AwsError:
    message = f"Request must be smaller than {limit} bytes for the {operation} operation"
    return AwsError(message, code="RequestEntityTooLargeException", status=413)


def _event_too_large(size: int | None) -> AwsError:
    if size is None:
        return _lambda_too_large(LAMBDA_ASYNC_PAYLOAD, "InvokeFunction")
    message = f"{size} byte payload is too large for the Event invocation type (limit {LAMBDA_ASYNC_PAYLOAD} bytes)"
    return AwsError(message, code="RequestEntityTooLargeException", status=413)


def _too_large(code: str, limit: int, size: int | None) -> AwsError:
    found = f"; this one is {size} bytes" if size is not None else ""
    return AwsError(f"The request body must be at most {limit} bytes{found}.", code=code, status=413)


# --- request line and headers -------------------------------------------------------------------


def check_head(request: HttpRequest, service: str, protocol: str, *, url_length: int | None = None) -> AwsError | None:
    """The refusal of a request line and headers over the limits (or with two
    ``Authorization`` headers), else ``None``. ``url_length`` is the length of the path and
    query string as received, when the transport kept only their start."""
    url = url_length if url_length is not None else len(request.raw_path) + len(request.raw_query) + 1
    header_bytes = 0
    authorizations = 0
    for name, value in request.headers:
        header_bytes += len(name) + len(value)
        if len(name) == 13 and name.lower() == "authorization":
            authorizations += 1
    count = len(request.headers)
    if service == "s3":
        # "GET " + URL + " HTTP/1.1\r\n", then "name: value\r\n" per header.
        section = len(request.method) + url + 11 + header_bytes + 4 * count
        if section > S3_HEADER_SECTION_LIMIT:
            return AwsError(
                "The request header and query parameters used to make the request exceed the maximum allowed size.",
                code="RequestHeaderSectionTooLarge",
                status=400,
                fields={"MaxSizeAllowed": str(S3_HEADER_SECTION_LIMIT)},
            )
    else:
        if url > URL_LIMIT:
            return _head_error(
                protocol, f"The request's path and query string are {url} bytes; at most {URL_LIMIT} are accepted."
            )
        if count > HEADER_COUNT_LIMIT:
            return _head_error(
                protocol, f"The request has {count} header fields; at most {HEADER_COUNT_LIMIT} are accepted."
            )
        if header_bytes > HEADER_SECTION_LIMIT:
            return _head_error(
                protocol,
                f"The request's headers are {header_bytes} bytes; at most {HEADER_SECTION_LIMIT} are accepted.",
            )
    if authorizations > 1:
        message = f"The request has {authorizations} Authorization headers; sign it with exactly one."
        if protocol == "rest-xml":
            return AwsError(message, code="InvalidArgument", status=400, fields={"ArgumentName": "Authorization"})
        return AwsError(message, code="IncompleteSignature", status=400)
    return None


def _head_error(protocol: str, message: str) -> AwsError:
    code = "ValidationError" if protocol == "query" else "ValidationException"
    return AwsError(message, code=code, status=400)


def check_form(request: HttpRequest, protocol: str = "query") -> AwsError | None:
    """The refusal of a form body (``application/x-www-form-urlencoded``, or a body without a
    Content-Type, as the query protocol reads it) with more than :data:`FORM_FIELD_LIMIT`
    fields: counted before anything splits it (routing reads a form's ``Action``)."""
    body = request.body
    if not body:
        return None
    content_type = (request.header("content-type") or "").lower()
    if content_type and not content_type.startswith("application/x-www-form-urlencoded"):
        return None
    fields = body.count(b"&") + 1
    if fields <= FORM_FIELD_LIMIT:
        return None
    return _head_error(protocol, f"The request has {fields} form fields; at most {FORM_FIELD_LIMIT} are accepted.")


# --- parsing ------------------------------------------------------------------------------------


def load_json(data: bytes | str) -> Any:
    """``json.loads(data)``, refusing with :class:`TooDeep` a document nested deeper than
    :data:`NESTING_LIMIT` (the decoder would otherwise raise ``RecursionError``)."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise _too_deep("JSON") from None
    # Nesting needs a bracket per level: a document with fewer brackets in all (strings'
    # included) cannot be too deep, and counting them costs far less than walking it.
    raw = data.encode() if isinstance(data, str) else data
    if raw.count(b"{") + raw.count(b"[") > NESTING_LIMIT and _nests_deeper(value, NESTING_LIMIT):
        raise _too_deep("JSON")
    return value


def _nests_deeper(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def parse_xml(body: bytes) -> ET.Element:
    """An untrusted XML document (defusedxml, ``forbid_dtd=True``), refusing with
    :class:`TooDeep` one nested deeper than :data:`NESTING_LIMIT` or with more than
    :data:`XML_ELEMENT_LIMIT` elements; raises ``ET.ParseError`` or defusedxml's errors when it
    is not well formed."""
    depth = elements = 0
    events = SafeET.iterparse(io.BytesIO(body), events=("start", "end"), forbid_dtd=True)
    for event, _ in events:
        if event == "start":
            depth += 1
            elements += 1
            if depth > NESTING_LIMIT:
                raise _too_deep("XML")
            if elements > XML_ELEMENT_LIMIT:
                raise TooDeep(f"The XML document has more than {XML_ELEMENT_LIMIT} elements.")
        else:
            depth -= 1
    root: ET.Element = events.root
    return root


def _too_deep(kind: str) -> TooDeep:
    return TooDeep(f"The {kind} document nests deeper than {NESTING_LIMIT} levels.")
