"""The interface every wire protocol implements, and the value conversions they share.

A protocol turns an :class:`~localiam.wire.http.HttpRequest` into a :class:`ParsedRequest`
(service, operation name, params as plain Python values: ``str``, ``int``, ``float``, ``bool``,
``bytes`` for blobs, timezone-aware ``datetime`` for timestamps, lists, dicts), and a result dict
or an :class:`~localiam.errors.AwsError` into a :class:`Response` carrying the ``RequestId``.
Protocols are per service: ``QueryProtocol("iam")``, ``JsonProtocol("organizations")``.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import math
import random
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from typing import Any

from localiam.errors import AwsError
from localiam.wire.http import HttpRequest


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    """An operation call, decoded and validated against the service model."""

    service: str
    operation: str
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Response:
    """The HTTP response to send."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    stream: Iterable[bytes] | None = None
    """A body sent as it is read (S3 GetObject of a large object); ``body`` is then empty and
    a ``Content-Length`` header gives the size."""


class Protocol(ABC):
    """One service spoken in one wire protocol."""

    name: str
    service: str

    @abstractmethod
    def parse(self, request: HttpRequest) -> ParsedRequest:
        """Decode ``request``; raise :class:`AwsError` exactly as AWS would reject it."""

    def operation_of(self, request: HttpRequest) -> str | None:
        """The operation named by the request line and headers alone (the rest protocols), before
        the body is read; ``None`` when they do not name one (the query and JSON protocols)."""
        return None

    def requested_operation(self, request: HttpRequest) -> str | None:
        """The operation of the service's model that ``request`` names (its request line,
        headers, ``X-Amz-Target`` or form ``Action``), before its input is decoded or checked;
        ``None`` when it names none of the model's."""
        return self.operation_of(request)

    @abstractmethod
    def serialize(self, operation: str, result: Mapping[str, Any], request_id: str) -> Response:
        """The success response of ``operation`` carrying ``result``."""

    @abstractmethod
    def serialize_error(self, error: AwsError, request_id: str) -> Response:
        """The error response for ``error``, with its code, message and status."""


class ModeledError(AwsError):
    """An error whose body carries members besides the message (Organizations' ``Reason``).

    Serializers read ``fields`` from any :class:`AwsError` that has it.
    """

    def __init__(self, code: str, message: str, *, status: int = 400, fields: Mapping[str, str]) -> None:
        super().__init__(message, code=code, status=status)
        self.fields = dict(fields)


def error_fields(error: AwsError) -> dict[str, Any]:
    """The extra members of ``error``'s body (none for a plain :class:`AwsError`)."""
    fields = getattr(error, "fields", None)
    return dict(fields) if isinstance(fields, Mapping) else {}


def new_request_id() -> str:
    """A fresh request id, shaped like AWS's (a version 4 UUID). Unique, not secret: drawn
    from ``random``'s generator (seeded from ``os.urandom``, and again in a forked child),
    because ``uuid4`` reads ``os.urandom`` per call, a system call that lets go of the GIL on
    the event loop, which then waits for a worker thread to give it back (259 µs a request
    under concurrent writes, profiled)."""
    return str(uuid.UUID(int=random.getrandbits(128), version=4))


# --- shared value conversions -------------------------------------------------------------------


def utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (naive values are taken to be UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_timestamp(value: datetime, fmt: str) -> str | float | int:
    """``value`` in a model ``timestampFormat``: ``iso8601`` (milliseconds, ``Z``),
    ``unixTimestamp`` (epoch seconds, milliseconds as a fraction) or ``rfc822``."""
    value = utc(value)
    if fmt == "unixTimestamp":
        seconds = calendar.timegm(value.timetuple())
        millis = value.microsecond // 1000
        return seconds + millis / 1000 if millis else seconds
    if fmt == "rfc822":
        return formatdate(calendar.timegm(value.timetuple()), usegmt=True)
    return value.strftime("%Y-%m-%dT%H:%M:%S") + f".{value.microsecond // 1000:03d}Z"


def parse_timestamp(value: str | float | int) -> datetime:
    """A timestamp as clients send it (ISO 8601, epoch seconds, RFC 822) as an aware UTC datetime;
    raises ``ValueError`` when it is none of these."""
    if isinstance(value, bool):
        raise ValueError("not a timestamp")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError("not a timestamp")
        return datetime.fromtimestamp(value, UTC)
    text = value.strip()
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except (ValueError, OverflowError):
        pass
    try:
        return utc(datetime.fromisoformat(text))
    except ValueError:
        try:
            return utc(parsedate_to_datetime(text))
        except (TypeError, ValueError, IndexError) as exc:
            raise ValueError(f"not a timestamp: {value!r}") from exc


def decode_blob(value: str) -> bytes:
    """A base64 blob; raises ``ValueError`` when it is not valid base64."""
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise ValueError("not base64") from exc


def encode_blob(value: bytes | str) -> str:
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return base64.b64encode(raw).decode("ascii")


def format_float(value: float) -> str | float:
    """Non-finite floats as Smithy spells them (``NaN``, ``Infinity``, ``-Infinity``)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value
