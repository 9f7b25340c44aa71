"""The request flow of ``../shared/DESIGN.md``, as one ordered, visible chain:

route → parse → authenticate → resolve the caller → authorize → dispatch → serialize.

Each step reads and fills one :class:`Exchange` (the documented request context). The chain
never sees HTTP framework objects: the ASGI app (:mod:`localiam.server.app`) turns the
connection into an :class:`~localiam.wire.http.HttpRequest` and a
:class:`~localiam.wire.protocol.Response` back.
"""

from __future__ import annotations

import datetime as _dt
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from localiam.errors import AwsError, client_error
from localiam.services.base import Operation, OperationContext, Service
from localiam.state.accounts import KeyRecord
from localiam.state.authz import Authz, Caller
from localiam.state.store import Store
from localiam.wire.http import HttpRequest
from localiam.wire.protocol import Protocol, Response, new_request_id
from localiam.wire.routing import Router, RoutingError
from localiam.wire.sigv4 import AuthResult, SigningKey, SigV4Error, carries_signature, verify_request, wrong_service

log = logging.getLogger("localiam.server")
decision_log = logging.getLogger("localiam.decisions")

INVALID_TOKEN = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"


@dataclass
class Exchange:
    """The documented request context that flows through the chain."""

    request: HttpRequest
    client_ip: str
    secure: bool
    request_id: str = field(default_factory=new_request_id)
    protocol: Protocol | None = None
    service: Service | None = None
    operation: Operation | None = None
    params: dict[str, Any] = field(default_factory=dict)
    auth: AuthResult | None = None
    key: KeyRecord | None = None
    caller: Caller | None = None
    result: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class _StoreKey(SigningKey):
    """A signing key that remembers the store's record of it."""

    record: KeyRecord | None = None


class Pipeline:
    """The chain over one store and a set of services."""

    def __init__(
        self, store: Store, services: Mapping[str, Service], *, endpoint: str = "http://127.0.0.1:4599"
    ) -> None:
        self.store = store
        self.services = dict(services)
        self.router = Router(self.services)
        self.authz = Authz(store)
        self.endpoint = endpoint
        self.clock: Callable[[], float] = time.time

    # ----------------------------------------------------------------------------- the chain
    def handle(self, exchange: Exchange) -> Response:
        """The whole chain, in the calling thread."""
        return self.prepare(exchange) or self.complete(exchange)

    def prepare(self, exchange: Exchange) -> Response | None:
        """Route and parse (no store access); the error response, or ``None`` to go on with
        :meth:`complete`."""
        try:
            self.route(exchange)
            self.parse(exchange)
        except Exception as exc:
            return self._error(exchange, exc)
        return None

    def complete(self, exchange: Exchange) -> Response:
        """Authenticate, resolve the caller, authorize, dispatch, serialize."""
        try:
            self.authenticate(exchange)
            self.dispatch(exchange)
        except Exception as exc:
            return self._error(exchange, exc)
        assert exchange.protocol is not None and exchange.operation is not None
        return exchange.protocol.serialize(exchange.operation.name, exchange.result or {}, exchange.request_id)

    def blocks(self, exchange: Exchange) -> bool:
        """Whether :meth:`complete` may wait on I/O long enough to belong in a worker thread:
        a write (its commit waits for the disk, or for another writer), or any request on a
        networked database. Reads of SQLite are answered from memory, its page cache, or
        a WAL snapshot that never waits for writers."""
        op = exchange.operation
        return op is None or op.writes or self.store.dialect != "sqlite"

    def _error(self, exchange: Exchange, exc: Exception) -> Response:
        if isinstance(exc, RoutingError):
            return exc.protocol.serialize_error(exc, exchange.request_id)
        if isinstance(exc, AwsError) and exchange.protocol is not None:
            return exchange.protocol.serialize_error(exc, exchange.request_id)
        log.exception("internal error handling %s", exchange.request_id, exc_info=exc)
        error = AwsError("We encountered an internal error. Please try again.", code="InternalFailure", status=500)
        protocol = exchange.protocol or next(iter(self.router.protocols.values()))
        return protocol.serialize_error(error, exchange.request_id)

    def route(self, ex: Exchange) -> None:
        route = self.router.route(ex.request)
        ex.protocol = route.protocol
        ex.service = self.services[route.service]

    def parse(self, ex: Exchange) -> None:
        assert ex.protocol is not None and ex.service is not None
        parsed = ex.protocol.parse(ex.request)
        op = ex.service.operations.get(parsed.operation)
        if op is None:
            raise client_error(
                "InvalidAction", f"The action {parsed.operation} is not valid for this web service.", 400
            )
        ex.operation = op
        ex.params = parsed.params

    def authenticate(self, ex: Exchange) -> None:
        """SigV4 (``create-signed-request``): header or presigned query, 15-minute skew, the
        signature over exactly the SignedHeaders; then the key must be active and, for a
        session, unexpired."""
        assert ex.operation is not None and ex.service is not None
        if not carries_signature(ex.request):
            if ex.operation.signed:
                raise AwsError("Request is missing Authentication Token", code="MissingAuthenticationToken", status=403)
            return
        now = _dt.datetime.fromtimestamp(self.clock(), _dt.UTC)
        auth = verify_request(ex.request, self._lookup, now=now)
        if auth.service != _signing_name(ex.service.name):
            raise wrong_service(_signing_name(ex.service.name))
        key = auth.key
        record = key.record if isinstance(key, _StoreKey) else None
        if record is None or not record.active:
            raise AwsError(INVALID_TOKEN, code="InvalidClientTokenId", status=403)
        if record.expires_at is not None and record.expires_at <= self.clock():
            raise AwsError(EXPIRED_TOKEN, code="ExpiredToken", status=403)
        ex.auth = auth
        ex.key = record

    def _lookup(self, access_key_id: str) -> SigningKey | None:
        with self.store.read() as tx:
            record = self.authz.key(tx, access_key_id)
        if record is None:
            return None
        expires = _dt.datetime.fromtimestamp(record.expires_at, _dt.UTC) if record.expires_at else None
        return _StoreKey(
            record.access_key_id,
            record.secret,
            record.session_token,
            expires,
            record.account_id,
            None,
            record,
        )

    def dispatch(self, ex: Exchange) -> None:
        """Resolve the caller, authorize the operation's declared action, run it; one
        transaction for the lot, committed before the answer is sent."""
        assert ex.operation is not None and ex.service is not None
        op = ex.operation
        transaction = self.store.write if op.writes else self.store.read
        with transaction() as tx:
            if ex.key is not None:
                ex.caller = self.authz.caller(tx, ex.key)
                if ex.caller is None:
                    raise AwsError(INVALID_TOKEN, code="InvalidClientTokenId", status=403)
            ctx = OperationContext(
                store=self.store,
                authz=self.authz,
                tx=tx,
                caller=ex.caller,
                service=ex.service,
                region=ex.auth.region if ex.auth else "us-east-1",
                request_id=ex.request_id,
                source_ip=ex.client_ip,
                secure_transport=ex.secure,
                user_agent=ex.request.header("user-agent") or "",
                endpoint=self.endpoint,
            )
            try:
                if op.action is not None:
                    resource = op.resource(ctx, ex.params) if op.resource else "*"
                    keys = op.condition_keys(ctx, ex.params) if op.condition_keys else None
                    policy = op.resource_policy(ctx, ex.params) if op.resource_policy else None
                    ctx.authorize(op.action, resource, context=keys, resource_policy=policy)
                ex.result = op.handler(ctx, ex.params)
            finally:
                self._log_decisions(ex, ctx)

    def _log_decisions(self, ex: Exchange, ctx: OperationContext) -> None:
        if not decision_log.isEnabledFor(logging.INFO):
            return
        who = ex.caller.principal.arn if ex.caller else "anonymous"
        for decision in ctx.decisions:
            decision_log.info("%s %s %s %s", ex.request_id, who, decision.outcome.value, decision.message or "allowed")


_SIGNING_NAMES = {"organizations": "organizations", "iam": "iam", "sts": "sts"}


def _signing_name(service: str) -> str:
    return _SIGNING_NAMES.get(service, service)


__all__ = ["Exchange", "Pipeline", "SigV4Error"]
