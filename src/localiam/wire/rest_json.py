"""The rest-json protocol (Lambda), driven by the botocore model.

Parsing. The operation is the one whose method and ``requestUri`` template match the request
(:func:`localiam.wire.rest.match_route`: ``GET /2015-03-31/functions/{FunctionName}`` is
``GetFunction``, ``?List=ALL`` tells ``ListProvisionedConcurrencyConfigs`` from
``GetProvisionedConcurrencyConfig``); none is ``UnknownOperationException`` (404). Members are
read from ``uri`` (percent-decoded: an ARN travels as ``arn%3Aaws%3Alambda%3A...``),
``querystring`` (``Qualifier``), ``header`` (Invoke's ``X-Amz-Invocation-Type``,
``X-Amz-Log-Type``, ``X-Amz-Client-Context``), ``headers``, and the body: a JSON object holding
the members without a location (blobs such as ``Code.ZipFile`` in base64, timestamps as epoch
seconds or ISO 8601), or, when the input names a ``payload`` member, that member alone: a blob
payload (Invoke's ``Payload``, InvokeAsync's ``InvokeArgs``) is the raw body bytes, always
present (``b""`` when empty), a string payload the body as text, a structure payload parsed JSON.
A body that is not JSON, or a JSON value of the wrong type, is Lambda's
``InvalidRequestContentException`` (400, "Could not parse request body into json: ..."); a URI,
query or header value of the wrong type is ``InvalidParameterValueException``. The parsed input
is then checked against the model's constraints, which Lambda reports as Coral's
``ValidationException`` ("1 validation error detected: Value '...' at 'functionName' failed to
satisfy constraint: ...").

Serializing. Header members become headers (``X-Amz-Function-Error``, ``X-Amz-Log-Result``,
``X-Amz-Executed-Version``), a ``statusCode`` member (Invoke's ``StatusCode``: 200, 202 for
``Event``, 204 for ``DryRun``) or else the model's ``responseCode`` (``CreateFunction`` 201,
``DeleteAlias`` 204) the status; ``DeleteFunction`` answers 204 as AWS does, though the current
model says 200. The body is the payload member when the output names one (Invoke's ``Payload``
raw, ``Content-Type: application/json`` as Lambda sends it; an iterable of chunks is streamed),
else a JSON object of the body members (``Content-Type: application/json``; timestamps in the
shape's ``timestampFormat``, else epoch seconds; Lambda's ``LastModified`` of a function is a
*string* in the model, ``2024-05-01T12:00:00.000+0000``, and passes through as given). A 204 has
no body. Every response carries ``x-amzn-RequestId``.

Errors are Lambda's::

    HTTP/1.1 404
    X-Amzn-ErrorType: ResourceNotFoundException
    Content-Type: application/json

    {"Type":"User","Message":"Function not found: arn:aws:lambda:us-east-1:123456789012:function:f"}

``Type`` is ``User`` for a sender fault, else ``Service``; the message member is spelled as the
error's shape spells it (``Message`` for ``ResourceNotFoundException``, ``message`` for
``ResourceConflictException`` and ``InvalidParameterValueException``; ``message`` for errors
the model does not know), and the error's other fields follow (``TooManyRequestsException``'s
``Reason``), except those its shape puts in a header (``retryAfterSeconds`` is ``Retry-After``).
botocore reads the code from ``X-Amzn-ErrorType`` and the message from ``message``/``Message``.

Routing (:func:`rest_json_resolver`): a request whose SigV4 credential scope names the service's
signing name (``lambda``) is the service's; a request without a credential scope whose path
starts with one of the first segments of the model's request URIs (``/2015-03-31/``,
``/2018-10-31/`` ...; :func:`path_prefixes`) is too.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from localiam.errors import AwsError, client_error
from localiam.wire import routing
from localiam.wire.http import HttpRequest
from localiam.wire.json_protocol import decode, encode
from localiam.wire.limits import load_json
from localiam.wire.models import Shape, error_shapes, member_path, service_model, validate, validation_message
from localiam.wire.models import operation as find_operation
from localiam.wire.protocol import ParsedRequest, Protocol, Response, error_fields
from localiam.wire.rest import INTEGERS, match_route, read_locations, uri_labels, write_locations

if TYPE_CHECKING:
    from localiam.wire.routing import Route, Router

JSON_CONTENT_TYPE = "application/json"

# The status AWS sends when the result gives no status member, where the model's responseCode
# says otherwise (Lambda API Reference, DeleteFunction: "HTTP/1.1 204").
DEFAULT_STATUS: dict[tuple[str, str], int] = {("lambda", "DeleteFunction"): 204}

# The Content-Type of a blob payload in a response, by service: Lambda's Invoke returns the
# function's output as application/json.
PAYLOAD_CONTENT_TYPES: dict[str, str] = {"lambda": JSON_CONTENT_TYPE}
_DEFAULT_PAYLOAD_CONTENT_TYPE = "application/octet-stream"


def invalid_request_content(detail: str) -> AwsError:
    """Lambda's answer to a body it cannot read as the operation's JSON."""
    return AwsError(
        f"Could not parse request body into json: {detail}", code="InvalidRequestContentException", status=400
    )


def _bad_value(shape: Shape, wire: str, raw: str) -> AwsError:
    if shape.type_name in INTEGERS:
        message = f"Invalid value for {wire}: {raw} is not an integer"
    else:
        message = f"Invalid value for {wire}: {raw}"
    return client_error("InvalidParameterValueException", message)


def _load_json(body: bytes) -> Any:
    try:
        return load_json(body)
    except UnicodeDecodeError:
        raise invalid_request_content("Invalid UTF-8 in the request body") from None
    except ValueError as exc:
        raise invalid_request_content(str(exc)) from None


def _dumps(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def unknown_operation() -> AwsError:
    """No operation of the service has this method and path."""
    return client_error("UnknownOperationException", "", status=404)


class RestJsonProtocol(Protocol):
    """One rest-json service: ``RestJsonProtocol("lambda")``."""

    name = "rest-json"

    def __init__(self, service: str) -> None:
        self.service = service
        self._model = service_model(service)
        self.payload_content_type = PAYLOAD_CONTENT_TYPES.get(service, _DEFAULT_PAYLOAD_CONTENT_TYPE)

    # --- parsing ---------------------------------------------------------------------------------

    def parse(self, request: HttpRequest) -> ParsedRequest:
        query = request.query_pairs()
        found = match_route(self.service, request, request.raw_path or "/", query)
        if found is None:
            raise unknown_operation()
        route, match = found
        shape = self._model.operation_model(route.name).input_shape
        params: dict[str, Any] = {}
        if shape is not None:
            params, body_members = read_locations(shape, request, uri_labels(match), query, _bad_value)
            params.update(_read_body(shape, body_members, request.body))
        violations = validate(shape, params)
        if violations:
            raise client_error("ValidationException", validation_message(violations))
        return ParsedRequest(self.service, route.name, params)

    def operation_of(self, request: HttpRequest) -> str | None:
        found = match_route(self.service, request, request.raw_path or "/", request.query_pairs())
        return found[0].name if found is not None else None

    # --- serializing -----------------------------------------------------------------------------

    def serialize(self, operation: str, result: Mapping[str, Any], request_id: str) -> Response:
        op = find_operation(self.service, operation)
        if op is None:
            raise KeyError(f"{self.service} has no operation {operation}")
        status = DEFAULT_STATUS.get((self.service, operation), int(op.model.http.get("responseCode", 200)))
        headers: list[tuple[str, str]] = []
        body = b""
        stream = None
        shape = op.output_shape
        if shape is not None:
            headers, status = write_locations(shape, result, status)
            content_type: str | None = None
            if status != 204:
                body, stream, content_type = self._body(shape, result)
            if content_type is not None and not any(k.lower() == "content-type" for k, _ in headers):
                headers.append(("Content-Type", content_type))
        headers.append(("x-amzn-RequestId", request_id))
        return Response(status, tuple(headers), body, stream=stream)

    def _body(self, shape: Shape, result: Mapping[str, Any]) -> tuple[bytes, Any, str | None]:
        """The body, a stream to send instead, and their Content-Type."""
        payload = shape.serialization.get("payload")
        if payload is not None:
            member = shape.members[payload]
            value = result.get(payload)
            if value is None:
                return b"", None, None
            if member.type_name in ("blob", "string"):
                if isinstance(value, str):
                    return value.encode("utf-8"), None, self.payload_content_type
                if isinstance(value, bytes | bytearray | memoryview):
                    return bytes(value), None, self.payload_content_type
                return b"", value, self.payload_content_type  # an iterable of chunks: streamed
            return _dumps(encode(member, value)), None, JSON_CONTENT_TYPE
        document: dict[str, Any] = {}
        has_body = False
        for name, member in shape.members.items():
            if member.serialization.get("location") is not None:
                continue
            has_body = True
            value = result.get(name)
            if value is not None:
                document[str(member.serialization.get("name", name))] = encode(member, value)
        if not has_body:
            return b"", None, None
        return _dumps(document), None, JSON_CONTENT_TYPE

    def serialize_error(self, error: AwsError, request_id: str) -> Response:
        shape = error_shapes(self.service).get(error.code)
        document: dict[str, Any] = {"Type": "User" if error.sender_fault else "Service"}
        if error.message:
            document[_message_member(shape)] = error.message
        headers = [("Content-Type", JSON_CONTENT_TYPE), ("X-Amzn-ErrorType", error.code)]
        for name, value in error_fields(error).items():
            member = shape.members.get(name) if shape is not None else None
            wire = str(member.serialization.get("name", name)) if member is not None else name
            if member is not None and member.serialization.get("location") == "header":
                headers.append((wire, str(value)))
            else:
                document[wire] = value
        headers.append(("x-amzn-RequestId", request_id))
        return Response(error.status, tuple(headers), _dumps(document))


def _message_member(shape: Shape | None) -> str:
    """``Message`` or ``message``, as the error's shape spells it (``message`` when unmodeled)."""
    if shape is not None:
        for member in shape.members:
            if member.lower() == "message":
                return str(member)
    return "message"


def _read_body(shape: Shape, body_members: Mapping[str, Shape], body: bytes) -> dict[str, Any]:
    payload = shape.serialization.get("payload")
    if payload is not None:
        member = shape.members[payload]
        if member.type_name == "blob":
            return {payload: body}
        if member.type_name == "string":
            return {payload: body.decode("utf-8", "replace")} if body else {}
        if not body.strip():
            return {}
        return {payload: decode(member, _load_json(body), member_path("", payload), invalid_request_content)}
    if not body_members or not body.strip():
        return {}
    document = _load_json(body)
    if not isinstance(document, dict):
        raise invalid_request_content("the request body must be a JSON object")
    out: dict[str, Any] = {}
    for name, member in body_members.items():
        item = document.get(str(member.serialization.get("name", name)))
        if item is not None:
            out[name] = decode(member, item, member_path("", name), invalid_request_content)
    return out


# --- routing ------------------------------------------------------------------------------------


@functools.cache
def path_prefixes(service: str) -> tuple[str, ...]:
    """The first segments of ``service``'s request URIs (``/2015-03-31/``, ``/2018-10-31/`` ...)."""
    prefixes: set[str] = set()
    model = service_model(service)
    for name in model.operation_names:
        path = str(model.operation_model(name).http.get("requestUri", "/")).partition("?")[0]
        first = path.split("/")[1] if path.startswith("/") and path.count("/") >= 2 else ""
        if first and "{" not in first:
            prefixes.add(f"/{first}/")
    return tuple(sorted(prefixes))


def rest_json_resolver(
    router: Router, service: str = "lambda", *, unsigned: bool = True
) -> Callable[[HttpRequest], Route | None]:
    """A :attr:`Router.resolvers` entry for rest-json ``service`` (registered in ``router``):
    its requests are those signed for its signing name, and those without a credential scope
    whose path starts with one of :func:`path_prefixes` (unless ``unsigned`` is false). Put it
    before the query resolver."""
    metadata = service_model(service).metadata
    signing_name = str(metadata.get("signingName", metadata["endpointPrefix"]))
    prefixes = path_prefixes(service)

    def resolve(request: HttpRequest) -> Route | None:
        scope = routing.credential_scope_service(request)
        if scope is not None:
            return routing.Route(service, router.protocols[service]) if scope == signing_name else None
        if unsigned and request.raw_path.startswith(prefixes):
            return routing.Route(service, router.protocols[service])
        return None

    return resolve
