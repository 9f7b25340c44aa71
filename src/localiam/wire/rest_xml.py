"""The rest-xml protocol (S3), driven by the botocore model; the request-line matching and the
members outside the body are :mod:`localiam.wire.rest`'s, shared with rest-json.

Parsing. The operation is the one whose HTTP method and ``requestUri`` template match the request:
``{Name}`` matches one path segment, ``{Name+}`` (greedy) the rest of the path, slashes included;
a trailing slash is tolerated (``/bucket/`` is ``/{Bucket}``). The template's query part is a
discriminator (``?acl`` needs the key, ``?list-type=2`` the key and value; botocore's ``x-id`` is
ignored), and so are the input's *required* ``querystring`` and ``header`` members (``UploadPart``
needs ``uploadId`` and ``partNumber``, ``CopyObject`` needs ``x-amz-copy-source``). Of the
operations that match, the one with the most discriminators wins; deprecated operations and S3
Express control-plane ones (``ListDirectoryBuckets``) lose ties. No match is S3's
``MethodNotAllowed`` (405).

Members are read from their locations: ``uri`` (percent-decoded), ``querystring`` (lists repeat
the key), ``header``, ``headers`` (a map of every header with the prefix, such as ``x-amz-meta-``,
keyed by the rest of the name as sent), and the body: an XML payload structure parsed with
defusedxml (``forbid_dtd=True``; bad XML is ``MalformedXML``), or a blob payload (``PutObject``'s
streaming ``Body``) left as ``bytes`` and always present (``b""`` when empty), or a string payload
(``PutBucketPolicy``'s ``Policy``). Values are converted by type: integers, booleans, timestamps
(any of ISO 8601, RFC 822, epoch seconds; an unparsable timestamp *header* is ignored as HTTP says
of ``If-Modified-Since``), jsonvalue headers. A value of the wrong type is ``InvalidArgument``.
Model constraints are not checked here: S3 does not answer with Coral validation errors, so the
service reports missing or invalid members with S3's own codes.

Serializing. Header members become headers (timestamps RFC 822 unless the shape says otherwise),
``statusCode`` members and the model's ``responseCode`` (204 for deletes) the status; the payload
member is the body (raw bytes for blobs and strings, or an XML document rooted at the payload's
name) or, without one, the body members go in a document rooted at S3's result element
(``ListBucketResult``, ``ListAllMyBucketsResult`` ...; see ``ROOT_ELEMENTS``) in the namespace
``http://s3.amazonaws.com/doc/2006-03-01/``. ``GetBucketLocation`` is
``<LocationConstraint>region</LocationConstraint>`` as S3 sends it. HEAD responses and 204s have
no body. Every response carries ``x-amz-request-id`` and ``x-amz-id-2`` (the host id).

Errors are S3's bare document (``ErrorResponses`` in the S3 API reference)::

    <?xml version="1.0" encoding="UTF-8"?>
    <Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>
      <Key>a.txt</Key><RequestId>...</RequestId><HostId>...</HostId></Error>

with the error's extra fields (``BucketName``, ``Key``, ``Method`` ...) between ``Message`` and
``RequestId``, where S3 puts them; an error to a HEAD request has no body.
"""

from __future__ import annotations

import base64
import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]

from localiam.errors import AwsError
from localiam.wire.http import HttpRequest
from localiam.wire.limits import parse_xml
from localiam.wire.models import Shape, service_model
from localiam.wire.models import operation as find_operation
from localiam.wire.protocol import ParsedRequest, Protocol, Response, error_fields
from localiam.wire.rest import INTEGERS, convert, match_route, read_locations, uri_labels, write_locations
from localiam.wire.rest import text as _text
from localiam.wire.s3_addressing import S3Address, S3Addressing
from localiam.wire.s3_browser import (
    BROWSER_OPERATIONS,
    POST_OBJECT,
    browser_operation,
    parse_browser_request,
    serialize_browser,
)

S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"

# The root element of S3's result documents for outputs without a payload member (the model does
# not name them; the S3 API reference does).
ROOT_ELEMENTS = {
    "ListBuckets": "ListAllMyBucketsResult",
    "ListDirectoryBuckets": "ListAllMyDirectoryBucketsResult",
    "ListObjects": "ListBucketResult",
    "ListObjectsV2": "ListBucketResult",
    "ListObjectVersions": "ListVersionsResult",
    "CreateMultipartUpload": "InitiateMultipartUploadResult",
    "CompleteMultipartUpload": "CompleteMultipartUploadResult",
    "ListMultipartUploads": "ListMultipartUploadsResult",
    "ListParts": "ListPartsResult",
    "DeleteObjects": "DeleteResult",
    "GetBucketAcl": "AccessControlPolicy",
    "GetObjectAcl": "AccessControlPolicy",
    "GetObjectTagging": "Tagging",
    "GetBucketTagging": "Tagging",
    "GetBucketVersioning": "VersioningConfiguration",
    "GetBucketCors": "CORSConfiguration",
    "GetBucketLifecycleConfiguration": "LifecycleConfiguration",
    "GetBucketWebsite": "WebsiteConfiguration",
    "GetBucketLogging": "BucketLoggingStatus",
    "GetBucketRequestPayment": "RequestPaymentConfiguration",
    "GetBucketAccelerateConfiguration": "AccelerateConfiguration",
    "GetBucketNotificationConfiguration": "NotificationConfiguration",
    "GetObjectAttributes": "GetObjectAttributesOutput",
}

_XML = "application/xml"


def host_id(request_id: str) -> str:
    """The ``x-amz-id-2`` / ``HostId`` of a response: derived from the request id, so one
    request's headers and error body agree."""
    return base64.b64encode(hashlib.sha256(request_id.encode()).digest()).decode("ascii")


def invalid_argument(name: str, value: str, message: str) -> AwsError:
    return AwsError(message, code="InvalidArgument", status=400, fields={"ArgumentName": name, "ArgumentValue": value})


def _bad_value(shape: Shape, wire: str, raw: str) -> AwsError:
    if shape.type_name in INTEGERS:
        message = f"Provided {wire} not an integer or within integer range"
    elif shape.serialization.get("jsonvalue"):
        message = f"Invalid value for {wire}"
    else:
        message = f"Invalid value for {wire}: {raw}"
    return invalid_argument(wire, raw, message)


def malformed_xml() -> AwsError:
    message = "The XML you provided was not well-formed or did not validate against our published schema"
    return AwsError(message, code="MalformedXML", status=400)


class RestXmlProtocol(Protocol):
    """One rest-xml service: ``RestXmlProtocol("s3")``.

    For S3, ``addressing`` (by default :class:`S3Addressing` with its default host suffixes)
    turns virtual-hosted-style requests (``bucket.s3.amazonaws.com/key``) into path-style ones
    before matching; other rest-xml services match the raw path as it is.
    """

    name = "rest-xml"

    def __init__(self, service: str, addressing: S3Addressing | None = None) -> None:
        self.service = service
        if addressing is None and service == "s3":
            addressing = S3Addressing()
        self.addressing = addressing
        self._model = service_model(service)

    # --- parsing ---------------------------------------------------------------------------------

    def parse(self, request: HttpRequest) -> ParsedRequest:
        path = request.raw_path or "/"
        address = None
        if self.addressing is not None:
            address = self.addressing.resolve(request)
            path = address.path
        query = request.query_pairs()
        found = match_route(self.service, request, path, query)
        browser = self._browser_operation(request, address, found is not None)
        if browser is not None and address is not None and address.bucket is not None:
            return parse_browser_request(request, browser, address.bucket, address.key)
        if found is None:
            raise self._not_allowed(request.method, path)
        route, match = found
        op = self._model.operation_model(route.name)
        params: dict[str, Any] = {}
        shape = op.input_shape
        if shape is not None:
            params = self._read_input(shape, request, uri_labels(match), query)
        return ParsedRequest(self.service, route.name, params)

    def operation_of(self, request: HttpRequest) -> str | None:
        path = request.raw_path or "/"
        address = None
        if self.addressing is not None:
            address = self.addressing.resolve(request)
            path = address.path
        found = match_route(self.service, request, path, request.query_pairs())
        if found is not None:
            return found[0].name
        return self._browser_operation(request, address, False)

    def requested_operation(self, request: HttpRequest) -> str | None:
        """The model's operation only: the browser ones (:mod:`.s3_browser`) are not in it."""
        named = self.operation_of(request)
        return None if named in BROWSER_OPERATIONS else named

    def _browser_operation(self, request: HttpRequest, address: S3Address | None, routed: bool) -> str | None:
        """S3's CORS preflight, or a POST form upload that no model route takes."""
        if self.service != "s3" or address is None:
            return None
        found = browser_operation(request, address.bucket, address.key)
        return found if found is not None and not (routed and found == POST_OBJECT) else None

    def _not_allowed(self, method: str, path: str) -> AwsError:
        segments = [s for s in path.split("/", 2)[1:] if s]
        resource = ("SERVICE", "BUCKET", "OBJECT")[min(len(segments), 2)]
        message = "The specified method is not allowed against this resource."
        return AwsError(
            message, code="MethodNotAllowed", status=405, fields={"Method": method, "ResourceType": resource}
        )

    def _read_input(
        self, shape: Shape, request: HttpRequest, groups: Mapping[str, str], query: list[tuple[str, str]]
    ) -> dict[str, Any]:
        out, body_members = read_locations(shape, request, groups, query, _bad_value)
        payload = shape.serialization.get("payload")
        if payload is not None:
            member = shape.members[payload]
            if member.type_name == "blob":
                out[payload] = request.body
            elif member.type_name == "string":
                if request.body:
                    out[payload] = request.body.decode("utf-8", "replace")
            elif request.body.strip():
                out[payload] = _read_structure(member, _parse_xml(request.body))
        elif body_members and request.body.strip():
            root = _parse_xml(request.body)
            for name, member in body_members.items():
                found = _read_member(root, name, member)
                if found is not None:
                    out[name] = found
        return out

    # --- serializing -----------------------------------------------------------------------------

    def serialize(self, operation: str, result: Mapping[str, Any], request_id: str) -> Response:
        if operation in BROWSER_OPERATIONS:
            return serialize_browser(operation, result, self._ids(request_id))
        op = find_operation(self.service, operation)
        if op is None:
            raise KeyError(f"{self.service} has no operation {operation}")
        status = int(op.model.http.get("responseCode", 200))
        headers: list[tuple[str, str]] = []
        body = b""
        shape = op.output_shape
        if shape is not None:
            headers, status = write_locations(shape, result, status)
            if operation in ("GetObject", "HeadObject") and result.get("ContentRange"):
                status = 206  # a range answered (RFC 9110 15.3.7); the model has no status member
            if op.http_method != "HEAD" and status != 204:
                payload = shape.serialization.get("payload")
                value = result.get(payload) if payload is not None else None
                if value is not None and not isinstance(value, (bytes, bytearray, memoryview, str, Mapping)):
                    # A blob payload given as an iterable of chunks (GetObject): streamed.
                    return Response(status, (*headers, *self._ids(request_id)), b"", stream=value)
                body = self._body(operation, shape, result, headers)
        return Response(status, (*headers, *self._ids(request_id)), body)

    def _body(self, operation: str, shape: Shape, result: Mapping[str, Any], headers: list[tuple[str, str]]) -> bytes:
        payload = shape.serialization.get("payload")
        if payload is not None:
            member = shape.members[payload]
            value = result.get(payload)
            if value is None:
                return b""
            if member.type_name in ("blob", "string"):
                return value.encode("utf-8") if isinstance(value, str) else bytes(value)
            root = ET.Element(str(member.serialization.get("name", payload)), {"xmlns": S3_NAMESPACE})
            _write_structure(root, member, value)
            headers.append(("Content-Type", _XML))
            return _document(root)
        body_members = {n: m for n, m in shape.members.items() if m.serialization.get("location") is None}
        if not body_members:
            return b""
        headers.append(("Content-Type", _XML))
        if operation == "GetBucketLocation":
            root = ET.Element("LocationConstraint", {"xmlns": S3_NAMESPACE})
            root.text = result.get("LocationConstraint") or None
            return _document(root)
        root = ET.Element(ROOT_ELEMENTS.get(operation, f"{operation}Result"), {"xmlns": S3_NAMESPACE})
        _write_members(root, body_members, result)
        return _document(root)

    def serialize_error(self, error: AwsError, request_id: str, *, method: str = "GET") -> Response:
        """S3's ``<Error>`` document; ``method="HEAD"`` leaves the body out, as S3 does."""
        headers = (*getattr(error, "headers", {}).items(), *self._ids(request_id))
        if method.upper() == "HEAD":
            return Response(error.status, headers, b"")
        root = ET.Element("Error")
        ET.SubElement(root, "Code").text = error.code
        ET.SubElement(root, "Message").text = error.message
        for name, value in error_fields(error).items():
            ET.SubElement(root, name).text = value
        ET.SubElement(root, "RequestId").text = request_id
        ET.SubElement(root, "HostId").text = host_id(request_id)
        return Response(error.status, (("Content-Type", _XML), *headers), _document(root))

    def _ids(self, request_id: str) -> tuple[tuple[str, str], ...]:
        return (("x-amz-request-id", request_id), ("x-amz-id-2", host_id(request_id)))


# --- reading ------------------------------------------------------------------------------------


def _parse_xml(body: bytes) -> ET.Element:
    try:
        root = parse_xml(body)  # defusedxml, forbid_dtd; a TooDeep document is a ValueError
    except (ET.ParseError, DefusedXmlException, ValueError):
        raise malformed_xml() from None
    return root


def _local(name: str) -> str:
    """An element or attribute name without its namespace (``{uri}Key`` or ``xsi:type``)."""
    return name.rpartition("}")[2].rpartition(":")[2]


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) == name]


def _wire_name(member: Shape, name: str) -> str:
    """A member's element name; a flattened list's elements are named by its member's name when
    the model gives one (as botocore's parser reads them)."""
    if member.type_name == "list" and member.serialization.get("flattened"):
        named = member.member.serialization.get("name")
        if named:
            return str(named)
    return str(member.serialization.get("name", name))


def _read_structure(shape: Shape, element: ET.Element) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        value = _read_member(element, name, member)
        if value is not None:
            out[name] = value
    return out


def _read_member(element: ET.Element, name: str, member: Shape) -> Any:
    wire = _wire_name(member, name)
    if member.serialization.get("xmlAttribute"):
        for key, text in element.attrib.items():
            if _local(key) == _local(wire):
                return _xml_scalar(member, text)
        return None
    if member.type_name == "list" and member.serialization.get("flattened"):
        items = _children(element, wire)
        return [_read_value(member.member, item) for item in items] if items else None
    if member.type_name == "map" and member.serialization.get("flattened"):
        entries = _children(element, wire)
        return _read_entries(member, entries) if entries else None
    found = _children(element, wire)
    return _read_value(member, found[0]) if found else None


def _read_value(shape: Shape, element: ET.Element) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return _read_structure(shape, element)
    if kind == "list":
        item_name = str(shape.member.serialization.get("name", "member"))
        return [_read_value(shape.member, item) for item in _children(element, item_name)]
    if kind == "map":
        return _read_entries(shape, _children(element, "entry"))
    return _xml_scalar(shape, element.text or "")


def _read_entries(shape: Shape, entries: list[ET.Element]) -> dict[str, Any]:
    key_name = str(shape.key.serialization.get("name", "key"))
    value_name = str(shape.value.serialization.get("name", "value"))
    out: dict[str, Any] = {}
    for entry in entries:
        keys, values = _children(entry, key_name), _children(entry, value_name)
        if keys and values:
            out[keys[0].text or ""] = _read_value(shape.value, values[0])
    return out


def _xml_scalar(shape: Shape, text: str) -> Any:
    try:
        return convert(shape, text)
    except ValueError:
        raise malformed_xml() from None


# --- writing ------------------------------------------------------------------------------------


def _document(root: ET.Element) -> bytes:
    # etree leaves a carriage return raw, and XML parsers turn it into a newline: escape it.
    body = ET.tostring(root, encoding="unicode").replace("\r", "&#13;")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body.encode("utf-8")


def _write_structure(element: ET.Element, shape: Shape, value: Mapping[str, Any]) -> None:
    _write_members(element, shape.members, value)


def _write_members(element: ET.Element, members: Mapping[str, Shape], value: Mapping[str, Any]) -> None:
    for name, member in members.items():
        item = value.get(name)
        if item is None:
            continue
        if member.serialization.get("xmlAttribute"):
            element.set(str(member.serialization.get("name", name)), _text(member, item))
            continue
        _write(element, name, member, item)


def _write(parent: ET.Element, name: str, shape: Shape, value: Any) -> None:
    kind = shape.type_name
    wire = str(shape.serialization.get("name", name))
    if kind == "list":
        if shape.serialization.get("flattened"):
            item_name = str(shape.member.serialization.get("name", wire))
            for item in value:
                _write(parent, item_name, shape.member, item)
            return
        holder = ET.SubElement(parent, wire)
        item_name = str(shape.member.serialization.get("name", "member"))
        for item in value:
            _write(holder, item_name, shape.member, item)
        return
    if kind == "map":
        flattened = bool(shape.serialization.get("flattened"))
        holder = parent if flattened else ET.SubElement(parent, wire)
        key_name = str(shape.key.serialization.get("name", "key"))
        value_name = str(shape.value.serialization.get("name", "value"))
        for key, item in value.items():
            entry = ET.SubElement(holder, wire if flattened else "entry")
            _write(entry, key_name, shape.key, key)
            _write(entry, value_name, shape.value, item)
        return
    element = ET.SubElement(parent, wire)
    if kind == "structure":
        namespace = shape.serialization.get("xmlNamespace")
        if isinstance(namespace, Mapping) and namespace.get("uri"):
            prefix = namespace.get("prefix")
            element.set(f"xmlns:{prefix}" if prefix else "xmlns", str(namespace["uri"]))
        _write_structure(element, shape, value)
    else:
        element.text = _text(shape, value)
