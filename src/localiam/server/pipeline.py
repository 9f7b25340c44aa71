"""The request flow of ``docs/design.md``, as one ordered, visible chain:

admit → route → parse → authenticate → resolve the caller → authorize → dispatch → serialize.

*Admit* holds the request line and headers to the limits of :mod:`localiam.wire.limits` and
gives the body its ceiling before any of it is read.

Each step reads and fills one :class:`Exchange` (the documented request context). The chain
never sees HTTP framework objects: the ASGI app (:mod:`localiam.server.app`) turns the
connection into an :class:`~localiam.wire.http.HttpRequest` and a
:class:`~localiam.wire.protocol.Response` back.
"""

from __future__ import annotations

import datetime as _dt
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from localiam.errors import AwsError, Unserved
from localiam.services.base import Operation, OperationContext, Service
from localiam.state.accounts import KeyRecord
from localiam.state.authz import Authz, Caller
from localiam.state.bodies import BodyStore
from localiam.state.store import Store, Tx
from localiam.wire import limits
from localiam.wire.chunked import AwsChunkedDecoder, PlainBodyVerifier
from localiam.wire.http import HttpRequest
from localiam.wire.limits import BodyLimit
from localiam.wire.protocol import Protocol, Response, new_request_id
from localiam.wire.routing import Router, RoutingError
from localiam.wire.s3_browser import PostForm, carries_post_signature, verify_post_policy
from localiam.wire.sigv2 import V2AuthResult, carries_v2_query_signature, verify_presigned_v2
from localiam.wire.sigv4 import AuthResult, SigningKey, SigV4Error, carries_signature, verify_request, wrong_service
from localiam.wire.unserved import unserved_operation

log = logging.getLogger("localiam.server")
decision_log = logging.getLogger("localiam.decisions")

INVALID_TOKEN = "The security token included in the request is invalid."
UNKNOWN_ACCESS_KEY = "The AWS Access Key Id you provided does not exist in our records."
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
    auth: AuthResult | V2AuthResult | None = None
    key: KeyRecord | None = None
    caller: Caller | None = None
    result: dict[str, Any] | None = None
    body_source: Iterable[bytes] | None = None
    """The body still to be read from the connection (streaming operations); ``None`` when
    ``request.body`` is the whole body."""
    body_limit: BodyLimit | None = None
    """The body's ceiling (:meth:`Pipeline.admit`), enforced as a streamed body is read."""
    extra_headers: dict[str, str] = field(default_factory=dict)
    """Headers the service adds to a successful answer (:attr:`Service.response_headers`)."""


class StreamedBody:
    """A request body decoded and verified as it is read (:class:`localiam.services.base.RequestBody`):
    aws-chunked framing and chunk signatures, Content-Length, Content-MD5, a hex
    ``x-amz-content-sha256`` and ``x-amz-checksum-*`` values; the error is raised when the
    last byte has been read."""

    def __init__(
        self,
        request: HttpRequest,
        auth: AuthResult | V2AuthResult | None,
        source: Iterable[bytes],
        limit: BodyLimit | None = None,
    ) -> None:
        self._limit = limit
        sigv4 = auth if isinstance(auth, AuthResult) else None
        encoding = (request.header("content-encoding") or "").lower()
        payload = (request.header("x-amz-content-sha256") or "").strip()
        self._decoder: AwsChunkedDecoder | None = None
        self._verifier: PlainBodyVerifier | None = None
        if payload.startswith("STREAMING-") or "aws-chunked" in encoding:
            self._decoder = AwsChunkedDecoder.for_request(request, sigv4)
        else:
            self._verifier = PlainBodyVerifier.for_request(request, sigv4)
        self._source = source
        self.checksums: dict[str, str] = {}

    def __iter__(self) -> Iterator[bytes]:
        decoder, verifier = self._decoder, self._verifier
        ceiling = self._limit.limit if self._limit is not None else None
        size = 0
        for piece in self._source:
            if decoder is not None:
                chunks = decoder.feed(piece)
            elif verifier is not None and piece:
                chunks = [verifier.feed(piece)]
            else:
                continue
            for chunk in chunks:
                size += len(chunk)
                if ceiling is not None and size > ceiling:
                    assert self._limit is not None
                    raise self._limit.refuse(None)  # the payload grew past its ceiling
                yield chunk
        if decoder is not None:
            decoder.finish()
            self.checksums = dict(decoder.checksums)
        elif verifier is not None:
            self.checksums = verifier.finish()


@dataclass(frozen=True, slots=True)
class _StoreKey(SigningKey):
    """A signing key that remembers the store's record of it."""

    record: KeyRecord | None = None


class Pipeline:
    """The chain over one store and a set of services."""

    def __init__(
        self,
        store: Store,
        services: Mapping[str, Service],
        *,
        endpoint: str = "http://127.0.0.1:4599",
        bodies: BodyStore | None = None,
    ) -> None:
        self.store = store
        self.services = dict(services)
        self.router = Router(self.services)
        self.authz = Authz(store)
        self.endpoint = endpoint
        self.bodies = bodies if bodies is not None else BodyStore(None)
        self.clock: Callable[[], float] = time.time

    # ----------------------------------------------------------------------------- the chain
    def handle(self, exchange: Exchange) -> Response:
        """The whole chain, in the calling thread."""
        admitted = self.admit(exchange)
        if isinstance(admitted, Response):
            return admitted
        if admitted is not None and len(exchange.request.body) > admitted.limit:
            return self.refuse(exchange, admitted.refuse(len(exchange.request.body)))
        return self.prepare(exchange) or self.complete(exchange)

    def admit(self, exchange: Exchange, *, url_length: int | None = None) -> BodyLimit | Response | None:
        """The request line and headers held to :mod:`localiam.wire.limits`, before any of the
        body is read: the refusal (in the protocol the request speaks), or the body's
        :class:`BodyLimit` (``None`` when the request declares no body). ``url_length`` is the
        length of the path and query as received, when the transport kept only their start."""
        request = exchange.request
        route = self.router.route_head(request)
        exchange.protocol = route.protocol
        error = limits.check_head(request, route.service, route.protocol.name, url_length=url_length)
        limit = None
        if error is None and _declares_body(request):
            operation = route.protocol.operation_of(request)
            limit = limits.body_limit(route.service, route.protocol.name, operation, request)
            error = limits.check_declared_size(request, limit)
        if error is not None:
            return self.refuse(exchange, error)
        exchange.body_limit = limit
        return limit

    def refuse(self, exchange: Exchange, error: AwsError) -> Response:
        """``error`` in the protocol :meth:`admit` found for the request."""
        return self._error(exchange, error)

    def virtual_hosted(self, host: str) -> bool:
        """Whether ``host`` (no port) names an S3 bucket (``mybucket.localhost``): everything
        sent to it is S3's, ``/_localiam/...`` included (an object key)."""
        addressing = getattr(self.router.protocols.get("s3"), "addressing", None)
        return addressing is not None and addressing.bucket_from_host(host) is not None

    def prepare(self, exchange: Exchange) -> Response | None:
        """Route and parse (no store access); the error response, or ``None`` to go on with
        :meth:`complete`."""
        try:
            protocol = exchange.protocol.name if exchange.protocol is not None else "query"
            form_error = limits.check_form(exchange.request, protocol)
            if form_error is not None:
                raise form_error
            self.route(exchange)
            self.parse(exchange)
        except Exception as exc:
            return self._error(exchange, exc)
        return None

    def complete(self, exchange: Exchange) -> Response:
        """Authenticate, resolve the caller, authorize, dispatch, serialize. A read does all of
        it in one read transaction (one snapshot, one look at what other writers did)."""
        try:
            op = exchange.operation
            if op is not None and op.before is not None:
                op.before(self.store, exchange.params)
            if op is not None and not op.writes and op.spool is None:
                with self.store.read() as tx:
                    self.authenticate(exchange, tx)
                    ctx = self._run(exchange, tx)
                _after_commit(ctx, exchange)
            else:
                self.authenticate(exchange)
                self.dispatch(exchange)
        except Exception as exc:
            return self._error(exchange, exc)
        assert exchange.protocol is not None and exchange.operation is not None
        response = exchange.protocol.serialize(exchange.operation.name, exchange.result or {}, exchange.request_id)
        if exchange.extra_headers:
            response = replace(response, headers=(*response.headers, *exchange.extra_headers.items()))
        return response

    def blocks(self, exchange: Exchange) -> bool:
        """Whether :meth:`complete` may wait on I/O long enough to belong in a worker thread:
        a write (its commit waits for the disk, or for another writer), an operation that
        says it blocks (Invoke), or any request on a networked database. Reads of SQLite are
        answered from memory, its page cache, or a WAL snapshot that never waits for writers."""
        op = exchange.operation
        return op is None or op.writes or op.blocking or self.store.dialect != "sqlite"

    def _error(self, exchange: Exchange, exc: Exception) -> Response:
        response = self._error_response(exchange, exc)
        if response.body and (exchange.request.method.upper() == "HEAD" or response.status == 304):
            # HEAD answers carry no body, errors included (S3 ``ErrorResponses``); nor does a
            # 304 Not Modified (RFC 9110 15.4.5).
            return Response(response.status, tuple(h for h in response.headers if h[0].lower() != "content-type"), b"")
        return response

    def _error_response(self, exchange: Exchange, exc: Exception) -> Response:
        if isinstance(exc, Unserved) or isinstance(getattr(exc, "error", None), Unserved):
            request = exchange.request
            log.warning("%s [%s %s, request %s]", exc, request.method, request.raw_path, exchange.request_id)
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
        """Decode the request into its operation and params. An operation of the service's
        model that localiam does not implement is refused (501 ``NotImplemented``) before its
        input is decoded: whether the input is valid does not matter then."""
        assert ex.protocol is not None and ex.service is not None
        named = ex.protocol.requested_operation(ex.request)
        if named is not None and named not in ex.service.operations:
            raise unserved_operation(ex.service.name, named)
        parsed = ex.protocol.parse(ex.request)
        op = ex.service.operations.get(parsed.operation)
        if op is None:
            raise unserved_operation(ex.service.name, parsed.operation)
        ex.operation = op
        ex.params = parsed.params

    def authenticate(self, ex: Exchange, tx: Tx | None = None) -> None:
        """SigV4 (``create-signed-request``): header or presigned query, 15-minute skew, the
        signature over exactly the SignedHeaders; then the key must be active and, for a
        session, unexpired."""
        assert ex.operation is not None and ex.service is not None
        s3 = ex.service.name in _S3_SIGNED
        now = _dt.datetime.fromtimestamp(self.clock(), _dt.UTC)
        auth: AuthResult | V2AuthResult
        form = ex.params.get("Form") if s3 else None
        if isinstance(form, PostForm):
            # A browser POST upload: the form's policy is signed, not the request.
            if not carries_post_signature(form):
                return
            auth = verify_post_policy(form, lambda key_id: self._lookup(key_id, tx), now=now)
        elif s3 and not carries_signature(ex.request) and carries_v2_query_signature(ex.request):
            bucket = _virtual_host_bucket(ex)
            auth = verify_presigned_v2(ex.request, lambda key_id: self._lookup(key_id, tx), now=now, bucket=bucket)
        elif not carries_signature(ex.request):
            if ex.operation.signed:
                raise AwsError("Request is missing Authentication Token", code="MissingAuthenticationToken", status=403)
            return
        else:
            auth = verify_request(
                ex.request,
                lambda key_id: self._lookup(key_id, tx),
                now=now,
                s3=s3,
                streaming=s3,
                body_unread=ex.body_source is not None,
            )
            if auth.service != _signing_name(ex.service.name):
                raise wrong_service(_signing_name(ex.service.name))
        key = auth.key
        record = key.record if isinstance(key, _StoreKey) else None
        if record is None or not record.active:
            raise _unknown_key(auth.access_key_id, s3)
        if record.expires_at is not None and record.expires_at <= self.clock():
            raise AwsError(EXPIRED_TOKEN, code="ExpiredToken", status=403)
        ex.auth = auth
        ex.key = record

    def signing_key(self, access_key_id: str) -> SigningKey | None:
        """The key the SigV4 verifier checks a signature with (API Gateway's invocations)."""
        return self._lookup(access_key_id)

    @staticmethod
    def key_record(auth: AuthResult) -> KeyRecord | None:
        """The store's record of the key a verified signature used."""
        return auth.key.record if isinstance(auth.key, _StoreKey) else None

    def _lookup(self, access_key_id: str, tx: Tx | None = None) -> SigningKey | None:
        if tx is not None:
            record = self.authz.key(tx, access_key_id)
        else:
            with self.store.read() as own:
                record = self.authz.key(own, access_key_id)
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
        """Resolve the caller, authorize the operation, run it; one transaction for the lot,
        committed before the answer is sent. An operation with a spool first authorizes in a
        read transaction, then streams its body to disk, then runs in its write transaction
        (authorized again there: the state may have moved while the body streamed)."""
        assert ex.operation is not None and ex.service is not None
        op = ex.operation
        if op.spool is not None:
            with self.store.read() as tx:
                self._run(ex, tx, handler=False)
            source = ex.body_source if ex.body_source is not None else (ex.request.body,)
            body = StreamedBody(ex.request, ex.auth, source, ex.body_limit)
            spooled = op.spool(self.bodies, ex.params, body)
            ex.params[op.body_member] = spooled
            made: list[OperationContext] = []
            try:
                with self.store.write() as tx:
                    ctx = self._run(ex, tx, made=made)
            except BaseException:
                spooled.discard()
                _rolled_back(made)
                raise
            _after_commit(ctx, ex)
            return
        transaction = self.store.write if op.writes else self.store.read
        made = []
        try:
            with transaction() as tx:
                ctx = self._run(ex, tx, made=made)
        except BaseException:
            _rolled_back(made)
            raise
        _after_commit(ctx, ex)

    def _run(
        self, ex: Exchange, tx: Any, *, handler: bool = True, made: list[OperationContext] | None = None
    ) -> OperationContext:
        """Authorize and (with ``handler``) run the operation in ``tx``; the context it makes
        is also appended to ``made``, so that a caller can undo it if ``tx`` does not commit."""
        assert ex.operation is not None and ex.service is not None
        op = ex.operation
        if ex.key is not None:
            ex.caller = self.authz.caller(tx, ex.key)
            if ex.caller is None:
                raise _unknown_key(ex.key.access_key_id, ex.service.name in _S3_SIGNED)
        auth = ex.auth
        ctx = OperationContext(
            store=self.store,
            authz=self.authz,
            tx=tx,
            caller=ex.caller,
            service=ex.service,
            region=auth.region if isinstance(auth, AuthResult) else "us-east-1",
            request_id=ex.request_id,
            source_ip=ex.client_ip,
            secure_transport=ex.secure,
            user_agent=ex.request.header("user-agent") or "",
            endpoint=self.endpoint,
            bodies=self.bodies,
            auth_type=_auth_type(ex),
            signature_version=None
            if auth is None
            else ("AWS" if isinstance(auth, V2AuthResult) else "AWS4-HMAC-SHA256"),
            content_sha256=ex.request.header("x-amz-content-sha256"),
            request_headers=_headers(ex.request),
            clock=self.clock,
        )
        if made is not None:
            made.append(ctx)
        try:
            if op.authorizer is not None:
                op.authorizer(ctx, op, ex.params)
            elif op.action is not None:
                resource = op.resource(ctx, ex.params) if op.resource else "*"
                keys = op.condition_keys(ctx, ex.params) if op.condition_keys else None
                policy = op.resource_policy(ctx, ex.params) if op.resource_policy else None
                ctx.authorize(op.action, resource, context=keys, resource_policy=policy)
            if handler:
                ex.result = op.handler(ctx, ex.params)
                if ex.service.response_headers is not None:
                    ex.extra_headers = dict(ex.service.response_headers(ctx, ex.params, ex.request.method.upper()))
        finally:
            self._log_decisions(ex, ctx)
        return ctx

    def _log_decisions(self, ex: Exchange, ctx: OperationContext) -> None:
        if ex.caller is not None:
            self.authz.activity.note_decisions(ex.caller.principal, ctx.decisions, ctx.region, ctx.now)
        if not decision_log.isEnabledFor(logging.INFO):
            return
        who = ex.caller.principal.arn if ex.caller else "anonymous"
        for decision in ctx.decisions:
            decision_log.info("%s %s %s %s", ex.request_id, who, decision.outcome.value, decision.message or "allowed")


_SIGNING_NAMES = {"organizations": "organizations", "iam": "iam", "sts": "sts", "s3control": "s3"}
_S3_SIGNED = frozenset({"s3", "s3control"})


def _unknown_key(access_key_id: str, s3: bool) -> AwsError:
    """An access key that is unknown, inactive, or whose user is gone. S3 says so in its own
    words (``InvalidAccessKeyId``, S3 API Reference ``ErrorResponses``; with the key id, as S3
    sends it); the other services answer ``InvalidClientTokenId`` (``CommonErrors``)."""
    if s3:
        return AwsError(
            UNKNOWN_ACCESS_KEY, code="InvalidAccessKeyId", status=403, fields={"AWSAccessKeyId": access_key_id}
        )
    return AwsError(INVALID_TOKEN, code="InvalidClientTokenId", status=403)


def _rolled_back(made: list[OperationContext]) -> None:
    for ctx in made:
        for action in ctx.on_rollback:
            try:
                action()
            except Exception:
                log.exception("clean-up after a failed transaction failed (%s)", ctx.request_id)


def _after_commit(ctx: OperationContext, ex: Exchange | None = None) -> None:
    for action in ctx.after_commit:
        try:
            action()
        except Exception:
            log.exception("clean-up after commit failed (%s)", ctx.request_id)
    if ctx.then is not None and ex is not None:
        result = ctx.then()
        if result is not None:
            ex.result = result


def _declares_body(request: HttpRequest) -> bool:
    """Whether a body follows the headers (RFC 9112 6.3: a Content-Length other than 0, or a
    Transfer-Encoding)."""
    length = request.header("content-length")
    return (length is not None and length.strip() not in ("0", "")) or request.header("transfer-encoding") is not None


def _auth_type(ex: Exchange) -> str | None:
    """S3's ``s3:authType``: ``REST-HEADER``, ``REST-QUERY-STRING`` or ``POST``."""
    auth = ex.auth
    if auth is None:
        return None
    if isinstance(ex.params.get("Form"), PostForm):
        return "POST"
    return "REST-QUERY-STRING" if _presigned(auth) else "REST-HEADER"


def _presigned(auth: AuthResult | V2AuthResult) -> bool:
    return isinstance(auth, V2AuthResult) or auth.presigned


def _headers(request: HttpRequest) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in request.headers:
        out.setdefault(name.lower(), value)
    return out


def _virtual_host_bucket(ex: Exchange) -> str | None:
    """The bucket a virtual-hosted-style request names in its Host (SigV2 signs it there)."""
    addressing = getattr(ex.protocol, "addressing", None)
    if addressing is None:
        return None
    address = addressing.resolve(ex.request)
    return address.bucket if address.virtual_hosted else None


def _signing_name(service: str) -> str:
    return _SIGNING_NAMES.get(service, service)


__all__ = ["Exchange", "Pipeline", "SigV4Error"]
