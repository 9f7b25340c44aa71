"""The one way out of a function's sandbox: a Unix socket that leads to localiam's endpoint.

A sandboxed function has its own network namespace with nothing but a loopback interface. Its
runtime (:mod:`.worker`) listens on the endpoint's port there and forwards each connection to
``/var/runtime/endpoint.sock``, which is a :class:`Relay` socket of the server: every connection
to it is joined to a new TCP connection to the endpoint. So ``AWS_ENDPOINT_URL`` works inside the
sandbox exactly as outside, and the function reaches localiam's API and nothing else on the host.

One relay per endpoint (host and port), all served by one daemon thread running an event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["Relays", "endpoint_address"]

_CHUNK = 1 << 16


def endpoint_address(endpoint: str) -> tuple[str, int]:
    """``(host, port)`` to connect to for ``endpoint`` (a wildcard listen address means loopback)."""
    parts = urlsplit(endpoint)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return host, port


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(_CHUNK):
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


class Relays:
    """Unix sockets in ``directory`` (which must be private to the server), each forwarding to
    one endpoint; thread-safe; :meth:`close` stops them all."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._lock = threading.Lock()
        self._sockets: dict[tuple[str, int], Path] = {}
        self._servers: list[asyncio.AbstractServer] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def socket_for(self, endpoint: str) -> Path:
        """The socket that leads to ``endpoint`` (made on first use)."""
        address = endpoint_address(endpoint)
        with self._lock:
            path = self._sockets.get(address)
            if path is not None:
                return path
            loop = self._start()
            path = self._dir / f"endpoint-{len(self._sockets)}.sock"
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            future = asyncio.run_coroutine_threadsafe(self._serve(path, address), loop)
            self._servers.append(future.result(timeout=10))
            self._sockets[address] = path
            return path

    def close(self) -> None:
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
            servers, self._servers = self._servers, []
            sockets, self._sockets = list(self._sockets.values()), {}
        if loop is not None:
            for server in servers:
                loop.call_soon_threadsafe(server.close)
            loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout=5)
        for path in sockets:
            with contextlib.suppress(OSError):
                path.unlink()

    def _start(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="lambda-endpoint-relay", daemon=True)
            thread.start()
            self._loop, self._thread = loop, thread
        return self._loop

    async def _serve(self, path: Path, address: tuple[str, int]) -> asyncio.AbstractServer:
        host, port = address

        async def join(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                upstream_reader, upstream_writer = await asyncio.open_connection(host, port)
            except OSError:
                writer.close()
                return
            await asyncio.gather(_pump(reader, upstream_writer), _pump(upstream_reader, writer))

        # ``directory`` is private (0700): the socket is reachable only through the sandbox's bind mount.
        return await asyncio.start_unix_server(join, path=str(path))
