"""The awsJson protocols (1.0 and 1.1; Organizations is 1.1), driven by the botocore model.

A request is ``POST /`` with ``X-Amz-Target: {targetPrefix}.{Operation}`` (Organizations:
``AWSOrganizationsV20161128.CreateOrganization``) and a JSON object body; timestamps travel as
epoch seconds, blobs as base64. A response is the output as JSON with
``Content-Type: application/x-amz-json-1.1`` and ``x-amzn-RequestId``. An error is
``{"__type": "Code", "Message": "..."}``, the code in ``x-amzn-ErrorType`` too: the message
member is spelled as the service's error shapes spell it (Organizations' shapes say ``Message``,
most services' ``message``), and other members of the error (Organizations' ``Reason``) sit
beside it.

Input that fails the model's constraints is a ``ValidationException`` with AWS's Coral wording,
except for services that report it as their own modeled error: Organizations answers
``InvalidInputException`` with a ``Reason`` (``INVALID_PATTERN``: "You provided a value that does
not match the required pattern.", as observed from the service; the other sentences are the
model's descriptions of each reason), and Cognito user pools answer ``InvalidParameterException``
with the Coral wording.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from localiam.errors import AwsError, client_error
from localiam.wire.http import HttpRequest
from localiam.wire.limits import TooDeep, load_json
from localiam.wire.models import (
    Constraint,
    Shape,
    Violation,
    error_shapes,
    member_path,
    service_model,
    validate,
    validation_message,
)
from localiam.wire.models import operation as find_operation
from localiam.wire.protocol import (
    ModeledError,
    ParsedRequest,
    Protocol,
    Response,
    decode_blob,
    encode_blob,
    error_fields,
    format_float,
    format_timestamp,
    parse_timestamp,
)

_INVALID_MEMBER = (
    "INVALID_LIST_MEMBER",
    "You provided a list to a parameter that contains at least one invalid value.",
)
_ORGANIZATIONS_REASONS = {
    Constraint.REQUIRED: ("INPUT_REQUIRED", "You must include a value for all required parameters."),
    Constraint.PATTERN: ("INVALID_PATTERN", "You provided a value that does not match the required pattern."),
    Constraint.ENUM: ("INVALID_ENUM", "You specified an invalid value."),
    Constraint.MAX_LENGTH: ("MAX_LENGTH_EXCEEDED", "You provided a string parameter that is longer than allowed."),
    Constraint.MIN_LENGTH: ("MIN_LENGTH_EXCEEDED", "You provided a string parameter that is shorter than allowed."),
    Constraint.MAX_VALUE: (
        "MAX_VALUE_EXCEEDED",
        "You provided a numeric parameter that has a larger value than allowed.",
    ),
    Constraint.MIN_VALUE: (
        "MIN_VALUE_EXCEEDED",
        "You provided a numeric parameter that has a smaller value than allowed.",
    ),
    Constraint.MAP_KEYS: _INVALID_MEMBER,
    Constraint.MAP_VALUES: _INVALID_MEMBER,
}


def _organizations_invalid_input(violations: list[Violation]) -> AwsError:
    reason, message = _ORGANIZATIONS_REASONS[violations[0].constraint]
    return ModeledError("InvalidInputException", message, fields={"Reason": reason})


def _coral_validation(violations: list[Violation]) -> AwsError:
    return client_error("ValidationException", validation_message(violations))


def _cognito_invalid_parameter(violations: list[Violation]) -> AwsError:
    """Cognito user pools and identity pools answer the Coral wording as ``InvalidParameterException`` ("1
    validation error detected: Value at 'password' failed to satisfy constraint ...")."""
    return client_error("InvalidParameterException", validation_message(violations))


# How each service reports input that fails the model's constraints.
INVALID_INPUT: dict[str, Callable[[list[Violation]], AwsError]] = {
    "organizations": _organizations_invalid_input,
    "cognito-idp": _cognito_invalid_parameter,
    "cognito-identity": _cognito_invalid_parameter,
}


def _serialization_error(message: str) -> AwsError:
    return client_error("SerializationException", message)


class JsonProtocol(Protocol):
    """One awsJson service: ``JsonProtocol("organizations")``."""

    name = "json"

    def __init__(self, service: str) -> None:
        self.service = service
        metadata = service_model(service).metadata
        self.target_prefix = str(metadata["targetPrefix"])
        self.content_type = f"application/x-amz-json-{metadata.get('jsonVersion', '1.0')}"
        self._invalid_input = INVALID_INPUT.get(service, _coral_validation)
        self._decoders: dict[str, Decoder] = {}

    def parse(self, request: HttpRequest) -> ParsedRequest:
        target = request.header("x-amz-target") or ""
        prefix, _, name = target.rpartition(".")
        op = find_operation(self.service, name) if prefix == self.target_prefix else None
        if op is None:
            # Observed from AWS: HTTP 400, body {"__type":"UnknownOperationException"} and nothing else.
            raise client_error("UnknownOperationException", "")
        try:
            body = load_json(request.body or b"{}")
        except TooDeep as exc:
            raise _serialization_error(f"The request body is not valid JSON: {exc}") from None
        except (ValueError, UnicodeDecodeError):
            raise _serialization_error("The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise _serialization_error("The request body must be a JSON object.")
        values: dict[str, Any] = {}
        if op.input_shape is not None:
            try:
                values = _decoder(op.input_shape, self._decoders)(body)
            except Exception:  # whatever it was, the precise walk names it
                values = _structure(op.input_shape, body, "")
        violations = validate(op.input_shape, values)
        if violations:
            raise self._invalid_input(violations)
        return ParsedRequest(self.service, name, values)

    def requested_operation(self, request: HttpRequest) -> str | None:
        prefix, _, name = (request.header("x-amz-target") or "").rpartition(".")
        return name if prefix == self.target_prefix and find_operation(self.service, name) else None

    def serialize(self, operation: str, result: Mapping[str, Any], request_id: str) -> Response:
        op = find_operation(self.service, operation)
        if op is None:
            raise KeyError(f"{self.service} has no operation {operation}")
        shape = op.output_shape
        document = encode(shape, result) if shape is not None else {}
        return self._response(200, document, request_id)

    def serialize_error(self, error: AwsError, request_id: str) -> Response:
        document: dict[str, Any] = {"__type": error.code}
        if error.message:
            document[self._message_member(error.code)] = error.message
        document.update(error_fields(error))
        return self._response(error.status, document, request_id, (("x-amzn-ErrorType", error.code),))

    def _message_member(self, code: str) -> str:
        shape = error_shapes(self.service).get(code)
        if shape is not None:
            for member in shape.members:
                if member.lower() == "message":
                    return str(member)
        # Errors the service does not model (UnknownOperationException, ValidationException,
        # SerializationException ...) are Coral's own and spell it "message".
        return "message"

    def _response(
        self, status: int, document: Mapping[str, Any], request_id: str, extra: tuple[tuple[str, str], ...] = ()
    ) -> Response:
        body = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        headers = (("Content-Type", self.content_type), *extra, ("x-amzn-RequestId", request_id))
        return Response(status, headers, body)


# --- parsing ------------------------------------------------------------------------------------


def _wire_name(member: Shape, name: str) -> str:
    return str(member.serialization.get("name", name))


BadJson = Callable[[str], AwsError]
"""``(description) -> error`` for a JSON value that is not of its member's type."""


def _structure(
    shape: Shape, value: Mapping[str, Any], path: str, error: BadJson = _serialization_error
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, wire, member in _members(shape):
        item = value.get(wire)
        if item is not None:
            out[name] = decode(member, item, member_path(path, name), error)
    return out


@functools.cache
def _members(shape: Shape) -> tuple[tuple[str, str, Shape], ...]:
    """``(name, name on the wire, shape)`` of each member (once per shape: the model's shapes
    live as long as the process)."""
    return tuple((name, _wire_name(member, name), member) for name, member in shape.members.items())


def decode(shape: Shape, value: Any, path: str, error: BadJson = _serialization_error) -> Any:
    """A JSON ``value`` as ``shape`` says (base64 blobs to ``bytes``, timestamps to datetimes);
    a value of the wrong type is ``error("Expected a list at 'path'.")``. ``path`` names the
    value in messages as Coral does (``code.zipFile``)."""
    kind = shape.type_name
    if kind == "string":  # the commonest, first
        if not isinstance(value, str):
            raise error(f"Expected a string at '{path}'.")
        return value
    if kind == "structure":
        if getattr(shape, "is_document_type", False):
            return value
        if not isinstance(value, dict):
            raise error(f"Expected an object at '{path}'.")
        return _structure(shape, value, path, error)
    if kind == "list":
        if not isinstance(value, list):
            raise error(f"Expected a list at '{path}'.")
        items = [item for item in value if item is not None]
        return [decode(shape.member, item, f"{path}.{i}.member", error) for i, item in enumerate(items, 1)]
    if kind == "map":
        if not isinstance(value, dict):
            raise error(f"Expected an object at '{path}'.")
        return {key: decode(shape.value, item, path, error) for key, item in value.items() if item is not None}
    return _scalar(kind, value, path, error)


# A request as the model says, decoded without naming paths: what ``decode`` does, by a
# function made once per shape. Any problem raises, and the request is decoded again by
# ``_structure``, which says what is wrong and where (Coral's messages need the path, which
# costs more to build than the rest of a valid request's decoding).

Decoder = Callable[[Any], Any]


class _Mismatch(Exception):
    """A value the fast decoder does not take; the precise walk says why."""


def _mismatch(_description: str) -> AwsError:
    raise _Mismatch


def _decoder(shape: Shape, made: dict[str, Decoder]) -> Decoder:
    """The decoder of ``shape``; ``made``: the decoders of its service's model, by shape name
    (botocore makes a new object each time it resolves a member, and names are unique in a
    model)."""
    found = made.get(shape.name)
    return found if found is not None else _make_decoder(shape, made)


def _make_decoder(shape: Shape, made: dict[str, Decoder]) -> Decoder:
    kind = shape.type_name
    decoder: Decoder
    if kind == "string":
        decoder = _string
    elif kind == "structure" and getattr(shape, "is_document_type", False):
        decoder = _document
    elif kind == "structure":
        plan: list[tuple[str, str, Decoder]] = []
        by_wire: dict[str, tuple[str, Decoder]] = {}

        def decode_structure(value: Any) -> dict[str, Any]:
            if not isinstance(value, dict):
                raise _Mismatch
            if len(value) == 1:  # one member (a DynamoDB AttributeValue): no need to walk the rest
                ((wire, item),) = value.items()
                entry = by_wire.get(wire)
                if entry is None or item is None:
                    return {}
                return {entry[0]: entry[1](item)}
            out = {}
            for name, wire, member in plan:
                item = value.get(wire)
                if item is not None:
                    out[name] = member(item)
            return out

        decoder = decode_structure
        made[shape.name] = decoder  # first: a shape may contain itself (AttributeValue)
        plan.extend((name, wire, _decoder(member, made)) for name, wire, member in _members(shape))
        by_wire.update((wire, (name, member)) for name, wire, member in plan)
    elif kind == "list":
        item_decoder = _decoder(shape.member, made)

        def decode_list(value: Any) -> list[Any]:
            if not isinstance(value, list):
                raise _Mismatch
            return [item_decoder(item) for item in value if item is not None]

        decoder = decode_list
    elif kind == "map":
        value_decoder = _decoder(shape.value, made)

        def decode_map(value: Any) -> dict[str, Any]:
            if not isinstance(value, dict):
                raise _Mismatch
            return {key: value_decoder(item) for key, item in value.items() if item is not None}

        decoder = decode_map
    else:
        decoder = functools.partial(_fast_scalar, kind)
    made[shape.name] = decoder
    return decoder


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise _Mismatch
    return value


def _document(value: Any) -> Any:
    return value


def _fast_scalar(kind: str, value: Any) -> Any:
    return _scalar(kind, value, "", _mismatch)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_EXPECTED: dict[str, Callable[[Any], bool]] = {
    "string": lambda value: isinstance(value, str),
    "boolean": lambda value: isinstance(value, bool),
    "integer": _is_int,
    "long": _is_int,
    "float": lambda value: _is_number(value),
    "double": lambda value: _is_number(value),
    "timestamp": lambda value: _is_number(value) or isinstance(value, str),
    "blob": lambda value: isinstance(value, str),
}
"""The JSON types a scalar of each kind may arrive as; other kinds are taken as they come."""


def _scalar(kind: str, value: Any, path: str, error: BadJson = _serialization_error) -> Any:
    expected = _EXPECTED.get(kind)
    if expected is not None and not expected(value):
        raise error(f"Expected a {kind} at '{path}'.")
    try:
        if kind == "timestamp":
            return parse_timestamp(value)
        if kind == "blob":
            return decode_blob(value)
    except ValueError:
        raise error(f"Expected a {kind} at '{path}'.") from None
    if kind in ("float", "double"):
        return float(value) if not isinstance(value, str) else float(value.replace("Infinity", "inf"))
    return value


def _is_number(value: Any) -> bool:
    if isinstance(value, str):
        return value in ("NaN", "Infinity", "-Infinity")
    return isinstance(value, int | float) and not isinstance(value, bool)


# --- serializing --------------------------------------------------------------------------------


def encode(shape: Shape, value: Any) -> Any:
    """``value`` as JSON for ``shape``: blobs base64, timestamps in the shape's
    ``timestampFormat`` (epoch seconds by default), non-finite floats as Smithy spells them."""
    kind = shape.type_name
    if kind == "structure":
        if getattr(shape, "is_document_type", False):
            return value
        return {
            _wire_name(member, name): encode(member, value[name])
            for name, member in shape.members.items()
            if value.get(name) is not None
        }
    if kind == "list":
        return [encode(shape.member, item) for item in value]
    if kind == "map":
        return {key: encode(shape.value, item) for key, item in value.items()}
    if kind == "timestamp" and isinstance(value, datetime):
        return format_timestamp(value, shape.serialization.get("timestampFormat", "unixTimestamp"))
    if kind == "blob":
        return encode_blob(value)
    if kind in ("float", "double"):
        number = float(value)
        return format_float(number) if not math.isfinite(number) else number
    return value
