"""The ASGI application: every service on one port, plus the health endpoint.

AWS requests take a short path: the connection's scope and body become an
:class:`HttpRequest` (raw path and query exactly as received, for SigV4) and :class:`Pipeline`
does the rest. Routing and parsing run on the event loop; so does the rest of a read on
SQLite, which the caches usually answer without touching the database. Writes (a commit waits
for fsync and for other writers) and every request on PostgreSQL run in a worker thread, so
they never stall the event loop. An operation that waits long without the store (Invoke) runs
in threads of its own, so that it never holds the threads that writes need. Everything under
``/_localiam/`` is a small Starlette app.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import re
import threading
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import replace
from typing import Any, TypeVar

from anyio import CapacityLimiter, to_thread
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response as StarletteResponse
from starlette.routing import Route

from localiam import __version__
from localiam.errors import AwsError
from localiam.server import execute_api
from localiam.server.pipeline import Exchange, Pipeline
from localiam.server.transport import URL_LENGTH
from localiam.services.apigateway.execute import Executor
from localiam.services.cognito_identity import tokens as identity_tokens
from localiam.services.cognito_idp import tokens as pool_tokens
from localiam.services.idp import oidc
from localiam.state.idp_store import IdpKey, idp_key
from localiam.wire.http import HttpRequest
from localiam.wire.limits import BodyLimit
from localiam.wire.protocol import Response

HEALTH_PATH = "/_localiam/health"
ADMIN_PREFIX = "/_localiam/"
IDP_PREFIX = "/_localiam/idp/oidc/"
IDENTITY_POOL_DOCUMENTS = "/_localiam/cognito-identity/.well-known/"
"""The keys of identity pools' OpenID tokens (``jwks_uri``) and their discovery document
(``openid-configuration``), which AWS serves at ``https://cognito-identity.amazonaws.com/.well-known/``."""
USER_POOL_DOCUMENT = re.compile(
    r"^/([a-z]{2}(?:-[a-z]+)+-\d_[0-9A-Za-z]+)/\.well-known/(jwks\.json|openid-configuration)$"
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

LONG_RUNNING_THREADS = 1000
"""At most this many long-running operations wait at once (AWS's default concurrency quota for
Lambda); more wait for a thread, on the event loop."""

_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"})


T = TypeVar("T")

_WORKERS: concurrent.futures.ThreadPoolExecutor | None = None
_WORKERS_LOCK = threading.Lock()
WORKER_THREADS = 40


def in_worker(fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
    """``fn(*args)`` in one of the process's worker threads (writes, whose commit waits for the
    disk or another writer; bodies streamed to and from disk). asyncio's executor, not anyio's
    ``to_thread``: a hand-off costs about 33 instead of 80 µs of CPU, paid by every write."""
    global _WORKERS
    if _WORKERS is None:
        with _WORKERS_LOCK:
            if _WORKERS is None:
                _WORKERS = concurrent.futures.ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="localiam-worker")
    return asyncio.get_running_loop().run_in_executor(_WORKERS, fn, *args)


class LocaliamApp:
    """The ASGI callable ``localiam serve`` runs."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.admin = _admin_app(pipeline)
        self._long: CapacityLimiter | None = None
        self.executor = Executor(
            pipeline.store,
            pipeline.authz,
            endpoint=pipeline.endpoint,
            bodies=pipeline.bodies,
            clock=lambda: pipeline.clock(),
        )

    def _long_running(self) -> CapacityLimiter:
        """The threads of operations that wait a long time without using the store (Invoke
        waits for its function): a pool of their own, so that a thousand sleeping functions
        never take the threads that writes need."""
        if self._long is None:
            self._long = CapacityLimiter(LONG_RUNNING_THREADS)
        return self._long

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            target = execute_api.target_of(_host(scope), scope["path"])
            if target is not None:
                await self._execute_api(scope, receive, send, target)
                return
        if scope["type"] != "http" or (scope["path"].startswith(ADMIN_PREFIX) and not self._bucket_host(scope)):
            await self.admin(scope, receive, send)
            return
        if (
            scope["method"] == "GET"
            and USER_POOL_DOCUMENT.match(scope["path"])
            and (_host(scope).startswith("cognito-idp.") or not self._bucket_host(scope))
        ):
            # A user pool's keys, on any host name of the endpoint and on
            # cognito-idp.REGION.localhost: a pool id (region, "_", letters) is never a bucket name.
            await self.admin(scope, receive, send)
            return
        if scope["method"] not in _METHODS:
            await _send(send, 405, [(b"content-length", b"0")], b"")
            return
        if scope["method"] == "OPTIONS" and scope["path"] == "/" and not self._bucket_host(scope):
            preflight = _header(scope, b"access-control-request-method")
            if preflight is not None:
                await _send(send, 200, _preflight_headers(scope), b"")
                return
        raw_path = scope.get("raw_path") or scope["path"].encode()
        method = scope["method"]
        http = HttpRequest(
            method=method,
            raw_path=raw_path.decode("latin-1"),
            raw_query=scope.get("query_string", b"").decode("latin-1"),
            headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]),
            body=b"",
        )
        client = scope.get("client")
        client_ip = client[0] if client else "127.0.0.1"
        secure = scope.get("scheme") == "https"
        pipeline = self.pipeline
        # The request line and headers are held to their limits, and the body gets its ceiling,
        # before a byte of the body is read (localiam.wire.limits).
        exchange = Exchange(http, client_ip, secure)
        admitted = pipeline.admit(exchange, url_length=scope.get("extensions", {}).get(URL_LENGTH))
        unread = False  # a body the answer leaves unread: the connection closes after it
        response: Response | None = None
        if isinstance(admitted, Response):
            response, unread = admitted, True
        elif method == "PUT":
            # A PUT may carry a large body (S3 PutObject, UploadPart): route it on its headers
            # and, when the operation streams, read the body as the operation consumes it.
            probe = exchange
            if pipeline.prepare(probe) is None and probe.operation is not None and probe.operation.spool is not None:
                stream = _ReceiveStream(receive, asyncio.get_running_loop())
                probe.body_source = stream
                response = await in_worker(pipeline.complete, probe)
                # Refused before its body was all read (denied, or over its ceiling): the rest
                # is not read, and the connection closes after the answer, so the next request
                # on it cannot start in the middle of the body.
                unread = not stream.finished
        if response is None:
            body = await _body(receive, admitted.limit if isinstance(admitted, BodyLimit) else None)
            if body is None:
                assert isinstance(admitted, BodyLimit)
                response, unread = pipeline.refuse(exchange, admitted.refuse(None)), True
            else:
                if body:
                    http = replace(http, body=body)
                exchange = Exchange(
                    http,
                    client_ip,
                    secure,
                    request_id=exchange.request_id,
                    protocol=exchange.protocol,
                    body_limit=exchange.body_limit,
                )
                response = pipeline.prepare(exchange)
                if response is None:
                    if exchange.operation is not None and exchange.operation.blocking:
                        long_running = self._long_running()
                        response = await to_thread.run_sync(pipeline.complete, exchange, limiter=long_running)
                    elif pipeline.blocks(exchange):
                        response = await in_worker(pipeline.complete, exchange)
                    else:
                        response = pipeline.complete(exchange)
        headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        if (
            exchange.protocol is not None
            and exchange.protocol.name != "rest-xml"
            and _header(scope, b"origin") is not None
            and not any(k == b"access-control-allow-origin" for k, _ in headers)
        ):
            headers += _CORS_ANSWER
        if not any(k == b"content-length" for k, _ in headers):
            headers.append((b"content-length", str(len(response.body)).encode()))
        if unread:
            headers.append((b"connection", b"close"))
        if response.stream is None:
            await _send(send, response.status, headers, response.body)
            return
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        chunks = iter(response.stream)
        try:
            while True:
                chunk = await in_worker(next, chunks, None)
                if chunk is None:
                    break
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        await send({"type": "http.response.body", "body": b""})

    async def _execute_api(self, scope: Scope, receive: Receive, send: Send, target: execute_api.Target) -> None:
        """An invocation of an API Gateway stage: the whole body read, then the stage's
        route, authorization and integration in a worker thread (a Lambda function may call
        back into the endpoint meanwhile)."""
        body = await _body(receive, execute_api.MAX_BODY)
        if body is None:
            payload = json.dumps({"message": "Request Too Long"}).encode()
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
            await _send(send, 413, [*headers, (b"connection", b"close")], payload)
            return
        raw_path = scope.get("raw_path") or scope["path"].encode()
        http = HttpRequest(
            method=scope["method"],
            raw_path=raw_path.decode("latin-1"),
            raw_query=scope.get("query_string", b"").decode("latin-1"),
            headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]),
            body=body,
        )
        client = scope.get("client")
        client_ip = client[0] if client else "127.0.0.1"
        answer = await to_thread.run_sync(
            execute_api.invoke, self.pipeline, self.executor, target, http, client_ip, limiter=self._long_running()
        )
        headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers]
        headers.append((b"content-length", str(len(answer.body)).encode()))
        await _send(send, answer.status, headers, answer.body if scope["method"] != "HEAD" else b"")

    def _bucket_host(self, scope: Scope) -> bool:
        """Whether the request is for a virtual-hosted bucket (``mybucket.localhost:4599``):
        then ``/_localiam/health`` is that bucket's object, not the health endpoint, which
        answers only on the endpoint's own host names."""
        return self.pipeline.virtual_hosted(_host(scope))


class _ReceiveStream:
    """The request body, read from a worker thread as the operation consumes it."""

    def __init__(self, receive: Receive, loop: asyncio.AbstractEventLoop) -> None:
        self._receive = receive
        self._loop = loop
        self.finished = False

    def __iter__(self) -> Iterator[bytes]:
        while not self.finished:
            future = asyncio.run_coroutine_threadsafe(_next_chunk(self._receive), self._loop)
            body, self.finished, dropped = future.result()
            if dropped:
                raise AwsError("The request body terminated unexpectedly", code="IncompleteBody", status=400)
            if body:
                yield body


async def _next_chunk(receive: Receive, limit: int = 256 * 1024) -> tuple[bytes, bool, bool]:
    """Up to ``limit`` bytes of the body, gathered on the event loop so that the worker thread
    crosses over once per quarter MiB rather than once per socket read, while hashing keeps
    up with the socket: ``(bytes, finished, dropped)``."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(parts), True, True
        body = message.get("body", b"")
        parts.append(body)
        size += len(body)
        if not message.get("more_body", False):
            return b"".join(parts), True, False
        if size >= limit:
            return b"".join(parts), False, False


async def _body(receive: Receive, limit: int | None) -> bytes | None:
    """The whole body, or ``None`` as soon as it grows past ``limit`` bytes (the rest is left
    unread). ``limit`` is ``None`` for a request that declares no body."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > (limit or 0):
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


_CORS_ANSWER = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", b"x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date"),
]
"""What AWS's JSON and query endpoints (Cognito, STS, DynamoDB ...) add for a browser's request,
so an app on another origin (Amplify, the SDK for JavaScript in the browser) can read answers."""


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _preflight_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    """A CORS preflight to the endpoint's root, where the SDKs POST their JSON and query calls:
    allowed for any origin, method and requested headers (requests are SigV4-signed, or carry
    a token; no cookie is ever read). S3's preflights, to a bucket's path, follow its rules."""
    wanted = _header(scope, b"access-control-request-headers") or ""
    return [
        (b"access-control-allow-origin", (_header(scope, b"origin") or "*").encode("latin-1")),
        (b"access-control-allow-methods", b"GET, POST, PUT, DELETE, HEAD, PATCH"),
        (b"access-control-allow-headers", wanted.encode("latin-1")),
        (b"access-control-max-age", b"86400"),
        (b"vary", b"Origin"),
        (b"content-length", b"0"),
    ]


def _host(scope: Scope) -> str:
    """The Host header of ``scope`` without its port, lower-cased ("" when absent)."""
    for name, value in scope["headers"]:
        if name == b"host":
            host: str = value.decode("latin-1").strip().lower()
            if host.startswith("["):  # an IPv6 literal
                return host.partition("]")[0] + "]"
            return host.rpartition(":")[0] if ":" in host else host
    return ""


def _admin_app(pipeline: Pipeline) -> Starlette:
    async def health(request: Request) -> StarletteResponse:
        body = {"status": "ok", "version": __version__, "services": sorted(pipeline.services)}
        return StarletteResponse(json.dumps(body), media_type="application/json")

    async def test_issuer(request: Request) -> StarletteResponse:
        """The test OIDC issuers' discovery documents and JWKS (:mod:`localiam.services.idp.oidc`):
        only for issuers localiam has a key for; nothing is made by a GET."""
        path = request.path_params["rest"]
        document = next((d for d in (oidc.DISCOVERY, oidc.JWKS) if path.endswith("/" + d)), None)
        if document is None:
            return StarletteResponse(status_code=404)
        key = await run_in_threadpool(_issuer_key, pipeline, path[: -len(document) - 1])
        if key is None:
            return StarletteResponse(status_code=404)
        body = oidc.jwks(key) if document == oidc.JWKS else oidc.discovery(key.name, str(request.base_url))
        return StarletteResponse(json.dumps(body), media_type="application/json")

    async def user_pool_document(request: Request) -> StarletteResponse:
        """``/POOL_ID/.well-known/jwks.json`` and ``openid-configuration``, as Cognito serves them
        at ``https://cognito-idp.REGION.amazonaws.com/POOL_ID/.well-known/...``."""
        match = USER_POOL_DOCUMENT.match(request.url.path)
        assert match is not None
        pool_id, document = match.group(1), match.group(2)
        key = await run_in_threadpool(_pool_key, pipeline, pool_id)
        if key is None:
            body = {"message": f"User pool {pool_id} does not exist."}
            return StarletteResponse(json.dumps(body), status_code=404, media_type="application/json")
        if document == "jwks.json":
            return StarletteResponse(json.dumps(pool_tokens.jwks(key)), media_type="application/json")
        base = str(request.base_url).rstrip("/")
        region = pool_id.split("_", 1)[0]
        body = pool_tokens.discovery(region, pool_id, f"{base}/{pool_id}/.well-known/jwks.json")
        return StarletteResponse(json.dumps(body), media_type="application/json")

    async def identity_pool_document(request: Request) -> StarletteResponse:
        """The identity pools' issuer: its keys, and a discovery document pointing at them."""
        document = request.path_params["document"]
        base = str(request.base_url).rstrip("/")
        if document == "jwks_uri":
            key = await run_in_threadpool(_identity_pool_key, pipeline)
            body: dict[str, Any] = {"keys": identity_tokens.jwks(key)["keys"] if key is not None else []}
        elif document == "openid-configuration":
            body = identity_tokens.discovery(f"{base}{IDENTITY_POOL_DOCUMENTS}jwks_uri")
        else:
            return StarletteResponse(status_code=404)
        return StarletteResponse(json.dumps(body), media_type="application/json")

    return Starlette(
        routes=[
            Route(HEALTH_PATH, health, methods=["GET"]),
            Route(IDENTITY_POOL_DOCUMENTS + "{document}", identity_pool_document, methods=["GET"]),
            Route("/{pool}/.well-known/{document}", user_pool_document, methods=["GET"]),
            Route(IDP_PREFIX + "{rest:path}", test_issuer, methods=["GET"]),
        ]
    )


def _pool_key(pipeline: Pipeline, pool_id: str) -> IdpKey | None:
    with pipeline.store.read() as tx:
        return pool_tokens.pool_key(tx, pool_id)


def _identity_pool_key(pipeline: Pipeline) -> IdpKey | None:
    with pipeline.store.read() as tx:
        return identity_tokens.signing_key(tx)


def _issuer_key(pipeline: Pipeline, name: str) -> IdpKey | None:
    with pipeline.store.read() as tx:
        for scheme in ("https", "http"):
            found = idp_key(tx, oidc.KIND, f"{scheme}://{name}")
            if found is not None:
                return found
    return None


def create_app(pipeline: Pipeline) -> LocaliamApp:
    return LocaliamApp(pipeline)
