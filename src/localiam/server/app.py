"""The ASGI application: every service on one port, plus the health endpoint.

Starlette turns the connection into an :class:`HttpRequest` (raw path and query exactly as
received, for SigV4) and :class:`Pipeline` does the rest, in a worker thread, so database work
and a commit's fsync never stall the event loop.
"""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response as StarletteResponse
from starlette.routing import Route

from localiam import __version__
from localiam.server.pipeline import Exchange, Pipeline
from localiam.wire.http import HttpRequest
from localiam.wire.protocol import Response

HEALTH_PATH = "/_localiam/health"


def create_app(pipeline: Pipeline) -> Starlette:
    async def health(request: Request) -> StarletteResponse:
        body = {"status": "ok", "version": __version__, "services": sorted(pipeline.services)}
        return StarletteResponse(json.dumps(body), media_type="application/json")

    async def aws(request: Request) -> StarletteResponse:
        body = await request.body()
        scope = request.scope
        raw_path = scope.get("raw_path") or scope["path"].encode()
        http = HttpRequest(
            method=request.method,
            raw_path=raw_path.decode("latin-1"),
            raw_query=scope.get("query_string", b"").decode("latin-1"),
            headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]),
            body=body,
        )
        client = request.client.host if request.client else "127.0.0.1"
        exchange = Exchange(http, client, scope.get("scheme") == "https")
        response: Response = await run_in_threadpool(pipeline.handle, exchange)
        return StarletteResponse(response.body, status_code=response.status, headers=dict(response.headers))

    return Starlette(
        routes=[
            Route(HEALTH_PATH, health, methods=["GET"]),
            Route("/{path:path}", aws, methods=["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"]),
        ]
    )
