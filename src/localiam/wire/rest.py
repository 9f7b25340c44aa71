"""What the rest protocols share (rest-xml for S3, rest-json for Lambda), driven by the botocore model.

Routing. The operation is the one whose HTTP method and ``requestUri`` template match the request:
``{Name}`` matches one path segment, ``{Name+}`` (greedy) the rest of the path, slashes included;
a trailing slash is tolerated. The template's query part is a discriminator (``?acl`` needs the
key, ``?list-type=2`` the key and value; botocore's ``x-id`` is ignored), and so are the input's
*required* ``querystring`` and ``header`` members. Of the operations that match, the one with the
most discriminators wins; deprecated operations and S3 Express control-plane ones lose ties.
:func:`match_route` finds it; what a miss is called is each protocol's affair.

Members outside the body are read from their locations: ``uri`` (percent-decoded),
``querystring`` (lists repeat the key), ``header`` (lists are comma-separated, an item that holds
a comma or a quote being quoted as botocore quotes it; ``jsonvalue`` strings are base64 JSON; an
unparsable timestamp header is ignored, as HTTP says of ``If-Modified-Since``) and ``headers`` (a
map of every header with the prefix, keyed by the rest of the name as sent). A value of the wrong
type is the protocol's error, built by a :data:`BadValue` callback. Output members go back to
headers (timestamps RFC 822 unless the shape says otherwise) and the status code
(:func:`write_locations`).
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from localiam.errors import AwsError
from localiam.wire.http import HttpRequest
from localiam.wire.limits import load_json
from localiam.wire.models import Shape, service_model
from localiam.wire.protocol import decode_blob, encode_blob, format_float, format_timestamp, parse_timestamp

INTEGERS = ("integer", "long")
_INTEGER = re.compile(r"[+-]?[0-9]+")

BadValue = Callable[[Shape, str, str], AwsError]
"""``(member shape, wire name, raw text) -> error`` for a value that is not of its member's type."""


@dataclass(frozen=True, slots=True)
class Route:
    """One operation's request line: what it matches and how specific the match is."""

    name: str
    method: str
    path: re.Pattern[str]
    literals: tuple[tuple[str, str], ...]  # query keys the template names ("" = any value)
    required_query: tuple[str, ...]
    required_headers: tuple[str, ...]
    deprecated: bool
    express: bool  # an S3 Express control-plane operation (ListDirectoryBuckets ...)
    needed_keys: frozenset[str] = frozenset()  # query keys the route cannot match without
    valued: tuple[tuple[str, str], ...] = ()  # literals with a value (``list-type=2``)

    @property
    def weight(self) -> int:
        return len(self.literals) + len(self.required_query) + len(self.required_headers)


def template_regex(template: str) -> re.Pattern[str]:
    """The path part of a ``requestUri`` as a regular expression with one group per label."""
    parts: list[str] = []
    for token in re.split(r"(\{[^}]+\})", template):
        if token.startswith("{") and token.endswith("}"):
            label = token[1:-1]
            greedy = label.endswith("+")
            label = label.rstrip("+")
            parts.append(f"(?P<{group(label)}>.+)" if greedy else f"(?P<{group(label)}>[^/]+)")
        else:
            parts.append(re.escape(token))
    return re.compile("".join(parts).rstrip("/") + "/?")


def group(label: str) -> str:
    """The regular-expression group name of URI label ``label``."""
    return "L_" + re.sub(r"\W", "_", label)


@functools.cache
def routes(service: str) -> dict[str, list[Route]]:
    """Every operation of ``service`` by HTTP method."""
    model = service_model(service)
    out: dict[str, list[Route]] = {}
    for name in model.operation_names:
        op = model.operation_model(name)
        method = str(op.http.get("method", "POST"))
        path, _, query = str(op.http.get("requestUri", "/")).partition("?")
        literals = tuple((k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "x-id")
        shape = op.input_shape
        required_query: list[str] = []
        required_headers: list[str] = []
        if shape is not None:
            for member_name in shape.required_members:
                member = shape.members[member_name]
                location = member.serialization.get("location")
                wire = str(member.serialization.get("name", member_name))
                if location == "querystring":
                    required_query.append(wire)
                elif location == "header":
                    required_headers.append(wire.lower())
        static = {p.name for p in (getattr(op, "static_context_parameters", None) or [])}
        route = Route(
            name,
            method,
            template_regex(path),
            literals,
            tuple(required_query),
            tuple(required_headers),
            deprecated=bool(op.deprecated),
            express="UseS3ExpressControlEndpoint" in static,
            needed_keys=frozenset([k for k, _ in literals] + required_query),
            valued=tuple((k, v) for k, v in literals if v != ""),
        )
        out.setdefault(method, []).append(route)
    return out


def match_route(
    service: str, request: HttpRequest, path: str, query: list[tuple[str, str]]
) -> tuple[Route, re.Match[str]] | None:
    """The operation of ``service`` that ``request`` (whose path is ``path``) calls, and the match
    of its path template; ``None`` when no operation matches."""
    keys = {k for k, _ in query}
    pairs = set(query)
    headers = {k.lower() for k, _ in request.headers}
    best: tuple[tuple[int, bool, bool], Route, re.Match[str]] | None = None
    for route in routes(service).get(request.method.upper(), []):
        if not route.needed_keys <= keys:
            continue
        if route.valued and any(pair not in pairs for pair in route.valued):
            continue
        if route.required_headers and any(h not in headers for h in route.required_headers):
            continue
        match = route.path.fullmatch(path)
        if match is None:
            continue
        rank = (route.weight, not route.deprecated, not route.express)
        if best is None or rank > best[0]:
            best = (rank, route, match)
    return None if best is None else (best[1], best[2])


_MEMBER_PLANS: dict[int, tuple[tuple[str, Shape, str | None, str], ...]] = {}


def members(shape: Shape) -> tuple[tuple[str, Shape, str | None, str], ...]:
    """``(name, member, location, wire name)`` of each member, computed once per shape."""
    plan = _MEMBER_PLANS.get(id(shape))
    if plan is None:
        plan = tuple(
            (
                name,
                member,
                member.serialization.get("location"),
                str(member.serialization.get("name", name)),
            )
            for name, member in shape.members.items()
        )
        _MEMBER_PLANS[id(shape)] = plan
    return plan


# --- reading ------------------------------------------------------------------------------------


def convert(shape: Shape, raw: str) -> Any:
    """``raw`` as ``shape``'s type; raises ``ValueError`` when it is not one."""
    kind = shape.type_name
    if kind in INTEGERS:
        if not _INTEGER.fullmatch(raw.strip()):
            raise ValueError(raw)
        return int(raw)
    if kind in ("float", "double"):
        return float(raw)
    if kind == "boolean":
        if raw.strip().lower() not in ("true", "false"):
            raise ValueError(raw)
        return raw.strip().lower() == "true"
    if kind == "timestamp":
        return parse_timestamp(raw)
    if kind == "blob":
        return decode_blob(raw)
    return raw


def scalar_arg(shape: Shape, raw: str, wire: str, bad: BadValue) -> Any:
    """``raw`` (a URI label, query value or header) as ``shape``'s type, or ``bad``'s error."""
    try:
        return convert(shape, raw)
    except ValueError:
        raise bad(shape, wire, raw) from None


def query_value(member: Shape, wire: str, query: list[tuple[str, str]], bad: BadValue) -> Any:
    values = [v for k, v in query if k == wire]
    if not values:
        return None
    if member.type_name == "list":
        return [scalar_arg(member.member, v, wire, bad) for v in values]
    return scalar_arg(member, values[0], wire, bad)


def split_header_list(raw: str) -> list[str]:
    """The items of a comma-separated header, a double-quoted item (botocore quotes one holding
    a comma or a quote, escaping its quotes) taken whole; empty items are dropped."""
    items: list[str] = []
    i = 0
    while i <= len(raw):
        while i < len(raw) and raw[i] in " \t":
            i += 1
        if i < len(raw) and raw[i] == '"':
            i += 1
            chars: list[str] = []
            while i < len(raw) and raw[i] != '"':
                if raw[i] == "\\" and i + 1 < len(raw):
                    i += 1
                chars.append(raw[i])
                i += 1
            items.append("".join(chars))
            end = raw.find(",", i)
            i = len(raw) + 1 if end < 0 else end + 1
            continue
        end = raw.find(",", i)
        item = raw[i:] if end < 0 else raw[i:end]
        if item.strip():
            items.append(item.strip())
        i = len(raw) + 1 if end < 0 else end + 1
    return items


def header_value(member: Shape, wire: str, request: HttpRequest, bad: BadValue) -> Any:
    raw = request.header(wire)
    if raw is None:
        return None
    kind = member.type_name
    if kind == "timestamp":
        try:
            return parse_timestamp(raw)
        except ValueError:
            return None  # an invalid HTTP date is ignored (RFC 9110, If-Modified-Since)
    if kind == "list":
        return [scalar_arg(member.member, item, wire, bad) for item in split_header_list(raw)]
    if kind == "string" and member.serialization.get("jsonvalue"):
        try:
            return load_json(base64.b64decode(raw))
        except ValueError:
            raise bad(member, wire, raw) from None
    return scalar_arg(member, raw, wire, bad)


def read_locations(
    shape: Shape, request: HttpRequest, labels: Mapping[str, str], query: list[tuple[str, str]], bad: BadValue
) -> tuple[dict[str, Any], dict[str, Shape]]:
    """The members of input ``shape`` found outside the body, and the body members (those
    without a location) left for the protocol to read. ``labels`` are the percent-decoded URI
    labels by group name (:func:`group`)."""
    out: dict[str, Any] = {}
    body_members: dict[str, Shape] = {}
    for name, member, location, wire in members(shape):
        value: Any = None
        if location == "uri":
            value = labels.get(group(wire))
            if value is not None:
                value = scalar_arg(member, value, wire, bad)
        elif location == "querystring":
            value = query_value(member, wire, query, bad)
        elif location == "header":
            value = header_value(member, wire, request, bad)
        elif location == "headers":
            prefix = wire.lower()
            found = {k[len(prefix) :]: v for k, v in request.headers if k.lower().startswith(prefix)}
            value = found or None
        elif location is None:
            body_members[name] = member
        if value is not None:
            out[name] = value
    return out, body_members


def uri_labels(match: re.Match[str]) -> dict[str, str]:
    """The percent-decoded URI labels of a route match, by group name."""
    return {label: unquote(value) for label, value in match.groupdict().items()}


# --- writing ------------------------------------------------------------------------------------


def text(shape: Shape, value: Any, default_timestamp: str = "iso8601") -> str:
    """A scalar as text (XML element, header): booleans ``true``/``false``, timestamps in the
    shape's ``timestampFormat`` or ``default_timestamp``, blobs base64."""
    kind = shape.type_name
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp" and isinstance(value, datetime):
        return str(format_timestamp(value, shape.serialization.get("timestampFormat", default_timestamp)))
    if kind == "blob":
        return encode_blob(value)
    if kind in ("float", "double"):
        return str(format_float(float(value)))
    return str(value)


def header_text(shape: Shape, value: Any) -> str | None:
    if shape.type_name == "list":
        return ",".join(text(shape.member, item, "rfc822") for item in value)
    if shape.type_name == "string" and shape.serialization.get("jsonvalue"):
        return base64.b64encode(json.dumps(value, separators=(",", ":")).encode()).decode("ascii")
    return text(shape, value, "rfc822")


def write_locations(shape: Shape, result: Mapping[str, Any], status: int) -> tuple[list[tuple[str, str]], int]:
    """The headers of output ``shape``'s ``header`` and ``headers`` members in ``result``, and
    the status: a ``statusCode`` member's value, else ``status``."""
    headers: list[tuple[str, str]] = []
    for name, member, location, wire in members(shape):
        value = result.get(name)
        if value is None:
            continue
        if location == "header":
            rendered = header_text(member, value)
            if rendered is not None:
                headers.append((wire, rendered))
        elif location == "headers":
            headers.extend((wire + str(k), str(v)) for k, v in value.items())
        elif location == "statusCode":
            status = int(value)
    return headers, status
