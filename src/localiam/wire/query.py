"""The AWS query protocol (IAM, STS), driven by the botocore model.

Requests are form fields (the ``application/x-www-form-urlencoded`` body, or the query string of
a GET): ``Action``, ``Version`` and the input members, nested by dots as the input shape says:
structures ``A.B``, lists ``A.member.N`` (``A.N`` when flattened; an empty list is ``A=``),
maps ``A.entry.N.key`` / ``A.entry.N.value``. Fields the shape does not name are ignored, as AWS
ignores them. Responses are::

    <{Op}Response xmlns="{xmlNamespace}"><{Op}Result>...</{Op}Result>
      <ResponseMetadata><RequestId>...</RequestId></ResponseMetadata></{Op}Response>

and errors (AWS Query API "Error responses")::

    <ErrorResponse xmlns="{xmlNamespace}"><Error><Type>Sender</Type><Code>NoSuchEntity</Code>
      <Message>...</Message></Error><RequestId>...</RequestId></ErrorResponse>
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from localiam.errors import AwsError, ValidationError, client_error
from localiam.wire.http import HttpRequest
from localiam.wire.models import Shape, member_path, service_model, validate, validation_message
from localiam.wire.models import operation as find_operation
from localiam.wire.protocol import (
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

_FORM = "application/x-www-form-urlencoded"
_INDEX = re.compile(r"[1-9][0-9]*")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_MISSING = object()


def form_params(request: HttpRequest) -> dict[str, str]:
    """The request's form fields: the query string, then a form body (later fields win)."""
    params = dict(parse_qsl(request.raw_query, keep_blank_values=True))
    content_type = (request.header("content-type") or "").lower()
    if request.body and (not content_type or content_type.startswith(_FORM)):
        params.update(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    return params


def xml_namespace(service: str) -> str:
    namespace = service_model(service).metadata.get("xmlNamespace", "")
    return str(namespace.get("uri", "") if isinstance(namespace, dict) else namespace)


class QueryProtocol(Protocol):
    """One query-protocol service: ``QueryProtocol("iam")``, ``QueryProtocol("sts")``."""

    name = "query"

    def __init__(self, service: str) -> None:
        self.service = service
        self.api_version = str(service_model(service).metadata["apiVersion"])
        self.namespace = xml_namespace(service)

    def parse(self, request: HttpRequest) -> ParsedRequest:
        params = form_params(request)
        action = params.pop("Action", "")
        version = params.pop("Version", None)
        if not action:
            raise client_error("MissingAction", "The request is missing an action or a required parameter.")
        op = find_operation(self.service, action)
        if op is None or (version is not None and version != self.api_version):
            message = f"Could not find operation {action} for version {version or self.api_version}"
            raise client_error("InvalidAction", message)
        values: dict[str, Any] = {}
        if op.input_shape is not None:
            values = _structure(op.input_shape, _tree(params), "")
        violations = validate(op.input_shape, values)
        if violations:
            raise ValidationError(validation_message(violations))
        return ParsedRequest(self.service, action, values)

    def requested_operation(self, request: HttpRequest) -> str | None:
        params = form_params(request)
        action, version = params.get("Action", ""), params.get("Version")
        found = find_operation(self.service, action) if action else None
        return action if found is not None and version in (None, self.api_version) else None

    def serialize(self, operation: str, result: Mapping[str, Any], request_id: str) -> Response:
        op = find_operation(self.service, operation)
        if op is None:
            raise KeyError(f"{self.service} has no operation {operation}")
        root = ET.Element(f"{operation}Response", {"xmlns": self.namespace})
        shape = op.output_shape
        if shape is not None:
            wrapper = shape.serialization.get("resultWrapper", f"{operation}Result")
            _write_structure(ET.SubElement(root, wrapper), shape, result)
        metadata = ET.SubElement(root, "ResponseMetadata")
        ET.SubElement(metadata, "RequestId").text = request_id
        return self._response(200, root, request_id)

    def serialize_error(self, error: AwsError, request_id: str) -> Response:
        root = ET.Element("ErrorResponse", {"xmlns": self.namespace})
        body = ET.SubElement(root, "Error")
        ET.SubElement(body, "Type").text = "Sender" if error.sender_fault else "Receiver"
        ET.SubElement(body, "Code").text = error.code
        if error.message:
            ET.SubElement(body, "Message").text = error.message
        for name, value in error_fields(error).items():
            ET.SubElement(body, name).text = value
        ET.SubElement(root, "RequestId").text = request_id
        return self._response(error.status, root, request_id)

    def _response(self, status: int, root: ET.Element, request_id: str) -> Response:
        # etree leaves a carriage return raw, and XML parsers turn it into a newline: escape it.
        body = ET.tostring(root, encoding="utf-8").replace(b"\r", b"&#13;")
        headers = (("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id))
        return Response(status, headers, body)


# --- parsing ------------------------------------------------------------------------------------


@dataclass
class _Node:
    value: str | None = None
    children: dict[str, _Node] = field(default_factory=dict)


def _tree(params: Mapping[str, str]) -> _Node:
    root = _Node()
    for key, value in params.items():
        node = root
        for part in key.split("."):
            node = node.children.setdefault(part, _Node())
        node.value = value
    return root


def _wire_name(member: Shape, name: str) -> str:
    flattened = member.type_name == "list" and member.serialization.get("flattened")
    if flattened and member.member.serialization.get("name"):
        return str(member.member.serialization["name"])
    return str(member.serialization.get("name", name))


def _structure(shape: Shape, node: _Node, path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        child = node.children.get(_wire_name(member, name))
        if child is not None:
            value = _decode(member, child, member_path(path, name))
            if value is not _MISSING:
                out[name] = value
    return out


def _indexed(node: _Node | None) -> list[_Node]:
    if node is None:
        return []
    found = [(int(key), child) for key, child in node.children.items() if _INDEX.fullmatch(key)]
    return [child for _, child in sorted(found, key=lambda pair: pair[0])]


def _decode(shape: Shape, node: _Node, path: str) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return _structure(shape, node, path)
    flattened = bool(shape.serialization.get("flattened"))
    if kind == "list":
        if node.value == "" and not node.children:
            return []
        holder = node if flattened else node.children.get(shape.member.serialization.get("name", "member"))
        items = _indexed(holder)
        if not items:
            return _MISSING
        decoded = [_decode(shape.member, item, f"{path}.{i}.member") for i, item in enumerate(items, 1)]
        return [item for item in decoded if item is not _MISSING]
    if kind == "map":
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        entries = _indexed(node if flattened else node.children.get("entry"))
        out: dict[str, Any] = {}
        for entry in entries:
            key, value = entry.children.get(key_name), entry.children.get(value_name)
            if key is None or key.value is None or value is None:
                continue
            decoded = _decode(shape.value, value, path)
            if decoded is not _MISSING:
                out[key.value] = decoded
        return out if entries else _MISSING
    if node.value is None:
        return _MISSING
    return _scalar(kind, node.value, path)


def _scalar(kind: str, raw: str, path: str) -> Any:
    try:
        if kind in ("integer", "long"):
            if not _INTEGER.fullmatch(raw.strip()):
                raise ValueError(raw)
            return int(raw)
        if kind in ("float", "double"):
            return float(raw)
        if kind == "boolean":
            if raw.lower() not in ("true", "false"):
                raise ValueError(raw)
            return raw.lower() == "true"
        if kind == "timestamp":
            return parse_timestamp(raw)
        if kind == "blob":
            return decode_blob(raw)
    except ValueError:
        # IAM's and STS's CommonErrors list InvalidParameterValue for a value of the wrong type.
        message = f"Value '{raw}' at '{path}' is not a valid {kind}"
        raise client_error("InvalidParameterValue", message) from None
    return raw


# --- serializing --------------------------------------------------------------------------------


def _write_structure(parent: ET.Element, shape: Shape, value: Mapping[str, Any]) -> None:
    for name, member in shape.members.items():
        item = value.get(name)
        if item is not None:
            _write(parent, member.serialization.get("name", name), member, item)


def _write(parent: ET.Element, name: str, shape: Shape, value: Any) -> None:
    kind = shape.type_name
    flattened = bool(shape.serialization.get("flattened"))
    if kind == "list":
        member_name = shape.member.serialization.get("name", name if flattened else "member")
        holder = parent if flattened else ET.SubElement(parent, name)
        for item in value:
            _write(holder, member_name, shape.member, item)
        return
    if kind == "map":
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        holder = parent if flattened else ET.SubElement(parent, name)
        for key, item in value.items():
            entry = ET.SubElement(holder, name if flattened else "entry")
            _write(entry, key_name, shape.key, key)
            _write(entry, value_name, shape.value, item)
        return
    element = ET.SubElement(parent, name)
    if kind == "structure":
        _write_structure(element, shape, value)
    else:
        element.text = _text(shape, value)


def _text(shape: Shape, value: Any) -> str:
    kind = shape.type_name
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp" and isinstance(value, datetime):
        return str(format_timestamp(value, shape.serialization.get("timestampFormat", "iso8601")))
    if kind == "blob":
        return encode_blob(value)
    if kind in ("float", "double"):
        return str(format_float(float(value)))
    return str(value)
