"""The HTTP connection under the application: uvicorn's httptools protocol, held to
:data:`localiam.wire.limits.TRANSPORT_HEAD_LIMIT` so that an endless request line or header
cannot fill memory before the application is asked.

httptools (llhttp) has no ceiling of its own: it hands uvicorn the request line and every header
however long they grow, and uvicorn keeps them. :class:`LimitedHttpToolsProtocol` adds two:

- the path and query string are kept up to :data:`URL_KEEP` bytes; their length as received
  goes to the application in ``scope["extensions"]["localiam.url_length"]``, which refuses the
  request in the protocol it speaks (:func:`localiam.wire.limits.check_head`). Without this an
  over-long URL (httptools parses at most 65,535 bytes) would get uvicorn's plain-text 400
  "Invalid HTTP request received.";
- a request line and headers still incomplete after :data:`~localiam.wire.limits.TRANSPORT_HEAD_LIMIT`
  bytes (counted from the first read after the one that began the request) are answered with a
  400 ``RequestHeaderSectionTooLarge`` in S3's error shape (which service the request is for
  cannot be known before its headers are) and the connection is closed.

It also sends what an answer writes in one turn of the event loop together (status line,
headers and body: one system call and one TCP segment instead of two, :class:`_Coalescing`).

Requests that are not HTTP at all (bytes llhttp rejects: a control character in a header, a
malformed request line) are answered the same way, with ``InvalidRequest``, instead of uvicorn's
plain text. With the pure-Python h11 parser (when httptools is missing),
``h11_max_incomplete_event_size`` is the ceiling and h11's errors get uvicorn's plain-text 400.
"""

from __future__ import annotations

import logging
from typing import Any

from localiam.errors import AwsError
from localiam.wire.limits import TRANSPORT_HEAD_LIMIT, URL_LIMIT
from localiam.wire.protocol import new_request_id

URL_LENGTH = "localiam.url_length"
"""The ``scope["extensions"]`` key with the length of a path and query that were cut short."""
URL_KEEP = URL_LIMIT + 1
"""Bytes of the path and query kept: one more than any request may have, so that a longer one is
still refused by the application."""

log = logging.getLogger("localiam.server")


def uvicorn_options() -> dict[str, Any]:
    """The ``uvicorn.Config``/``uvicorn.run`` options that hold connections to the limits:
    :class:`LimitedHttpToolsProtocol` when httptools is installed (``uvicorn[standard]``), else
    h11 with its own ceiling."""
    try:
        protocol: Any = _limited_protocol()
    except ImportError:  # pragma: no cover - uvicorn[standard] installs httptools
        protocol = "h11"
    return {"http": protocol, "h11_max_incomplete_event_size": TRANSPORT_HEAD_LIMIT}


def refusal(code: str, message: str, fields: dict[str, str] | None = None) -> bytes:
    """A whole ``400`` response in S3's error shape, closing the connection."""
    from localiam.wire.rest_xml import RestXmlProtocol

    error = AwsError(message, code=code, status=400, fields=fields)
    response = RestXmlProtocol("s3").serialize_error(error, new_request_id())
    lines = [b"HTTP/1.1 400 Bad Request"]
    lines += [f"{name}: {value}".encode("latin-1") for name, value in response.headers]
    lines += [b"content-length: %d" % len(response.body), b"connection: close", b"", b""]
    return b"\r\n".join(lines) + response.body


class _Coalescing:
    """A connection's transport as the answering side sees it: what it writes in one turn of
    the event loop is sent together, after that turn. uvicorn writes an answer's status line
    and headers, then its body, each with its own ``send``: two system calls and two TCP
    segments (``TCP_NODELAY``) for every answer, which the client then reads twice."""

    __slots__ = ("_pending", "loop", "transport")

    def __init__(self, transport: Any, loop: Any) -> None:
        self.transport = transport
        self.loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self.loop.call_soon(self.flush)
        self._pending.append(data)

    def flush(self) -> None:
        pending = self._pending
        if not pending:
            return
        self._pending = []
        if self.transport.is_closing():
            return
        if len(pending) == 1:
            self.transport.write(pending[0])
        else:
            self.transport.writelines(pending)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def is_closing(self) -> bool:
        return bool(self.transport.is_closing())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


_protocol_class: type | None = None


def _limited_protocol() -> type:
    """:class:`LimitedHttpToolsProtocol`, made on first use (it subclasses a uvicorn class that
    imports httptools)."""
    global _protocol_class
    if _protocol_class is None:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        class LimitedHttpToolsProtocol(HttpToolsProtocol):
            """uvicorn's httptools protocol with a ceiling on the request line and headers."""

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self._in_head = False
                self._head_bytes = 0
                self._messages = 0
                self._url_length = 0
                self._dropped = 0
                self._coalescing: _Coalescing | None = None

            def on_message_begin(self) -> None:
                super().on_message_begin()
                self._in_head = True
                self._messages += 1
                self._url_length = 0

            def on_url(self, url: bytes) -> None:
                self._url_length += len(url)
                room = max(URL_KEEP - len(self.url), 0)
                if room:
                    self.url += url[:room]
                self._dropped += max(len(url) - room, 0)  # not kept: costs no memory

            def on_headers_complete(self) -> None:
                self._in_head = False
                self._head_bytes = 0
                if self._url_length > len(self.url):
                    extensions: dict[str, Any] = dict(self.scope.get("extensions") or {})
                    extensions[URL_LENGTH] = self._url_length
                    self.scope["extensions"] = extensions
                super().on_headers_complete()
                # The answer's head and body in one send (see _Coalescing).
                coalescing = self._coalescing
                if coalescing is None or coalescing.transport is not self.transport:
                    coalescing = self._coalescing = _Coalescing(self.transport, self.loop)
                self.cycle.transport = coalescing  # type: ignore[assignment]

            def data_received(self, data: bytes) -> None:
                messages, dropped = self._messages, self._dropped
                super().data_received(data)
                if not self._in_head or self.transport.is_closing():
                    return
                # Bytes of a head still incomplete, but for URL bytes not kept; the read that
                # began it is not counted (it may hold the end of the previous request), so at
                # most one read more is kept.
                if messages != self._messages:
                    self._head_bytes = 0
                else:
                    self._head_bytes += len(data) - (self._dropped - dropped)
                if self._head_bytes > TRANSPORT_HEAD_LIMIT:
                    log.warning("refused a request whose headers exceed %d bytes", TRANSPORT_HEAD_LIMIT)
                    message = (
                        "The request header and query parameters used to make the request exceed the "
                        "maximum allowed size."
                    )
                    body = refusal(
                        "RequestHeaderSectionTooLarge", message, {"MaxSizeAllowed": str(TRANSPORT_HEAD_LIMIT)}
                    )
                    self._in_head = False
                    self.transport.write(body)
                    self.transport.close()

            def send_400_response(self, msg: str) -> None:
                message = "The request is not valid HTTP: its request line or a header could not be parsed."
                self.transport.write(refusal("InvalidRequest", message))
                self.transport.close()

        _protocol_class = LimitedHttpToolsProtocol
    return _protocol_class
