"""What every service is made of: operations that declare, next to their code, the IAM action,
the resource ARN and the condition keys of the Service Authorization Reference, and one generic
authorization step that asks the engine.

An operation is a plain function ``(ctx, params) -> result`` over botocore-shaped dicts; it
never sees HTTP. ``ctx`` carries the store transaction, the caller, and ``authorize`` for the
checks an operation makes beyond its declared one (``iam:PassRole``, a trust policy ...).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from localiam.engine import CompiledPolicy, Decision, Request, ResourceFacts, authorize, normalise_context
from localiam.engine.compiled import AclGrant
from localiam.errors import AccessDenied, AwsError
from localiam.state.authz import Authz, Caller
from localiam.state.bodies import BodyRef, BodyStore
from localiam.state.store import Store, Tx

Params = dict[str, Any]
Result = dict[str, Any]
Handler = Callable[["OperationContext", Params], Result]
ResourceOf = Callable[["OperationContext", Params], str]
KeysOf = Callable[["OperationContext", Params], Mapping[str, str | list[str]]]


@dataclass(frozen=True, slots=True)
class ResourcePolicy:
    """The resource-based policy an operation's resource has (a role's trust policy ...)."""

    policy: CompiledPolicy | None
    account: str | None
    must_allow: bool = False
    acl_grants: tuple[AclGrant, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


ResourcePolicyOf = Callable[["OperationContext", Params], ResourcePolicy]
ResponseHeaders = Callable[["OperationContext", Params, str], Mapping[str, str]]
"""``(ctx, params, HTTP method) -> headers``: see :attr:`Service.response_headers`."""
Authorizer = Callable[["OperationContext", "Operation", Params], None]
Before = Callable[[Store, Params], None]
"""Work an operation does before its transaction opens (fetching an identity provider's
keys): what must never hold the store's write lock. It may raise the operation's errors."""
"""A service's own authorization step, run where the declared check would run (S3's
bucket/object workflow); it raises the service's AccessDenied."""


class RequestBody(Protocol):
    """A request body streamed from the connection: iterating yields the payload (aws-chunked
    framing removed) and, at the end, raises if it was incomplete or failed a checksum or a
    signature; then ``checksums`` holds the verified ``x-amz-checksum-*`` values."""

    checksums: dict[str, str]

    def __iter__(self) -> Iterator[bytes]: ...


class Spooled(Protocol):
    """What a streaming operation made of its body before the transaction (a committed file)."""

    def discard(self) -> None:
        """Remove it: the operation failed after the body was spooled."""


Spool = Callable[[BodyStore, Params, RequestBody], Spooled]
"""Streams an operation's body to durable storage *before* its transaction opens; the result
replaces the body in ``params``. Operations with a spool take large bodies (S3 PutObject)."""


@dataclass(frozen=True, slots=True)
class Operation:
    """One API operation and how it is authorized.

    ``action`` is ``None`` for the few operations AWS never authorizes with IAM
    (``sts:GetCallerIdentity``; the federation calls that authenticate with a token).
    """

    service: str
    name: str
    handler: Handler
    action: str | None
    resource: ResourceOf | None = None
    condition_keys: KeysOf | None = None
    resource_policy: ResourcePolicyOf | None = None
    writes: bool = False
    signed: bool = True
    authorizer: Authorizer | None = None
    spool: Spool | None = None
    body_member: str = "Body"
    blocking: bool = False
    """The operation waits on something slow even when it writes nothing (running a Lambda
    function): the server runs it in a thread of a pool of its own, apart from the threads
    that writes use."""
    before: Before | None = None


class Service:
    """A registry of one service's operations, filled by decorators next to each operation."""

    def __init__(self, name: str, *, access_denied_code: str = "AccessDenied") -> None:
        self.name = name
        self.access_denied_code = access_denied_code
        self.operations: dict[str, Operation] = {}
        self.response_headers: ResponseHeaders | None = None
        """Headers a successful answer carries besides the operation's own, given the request
        (S3's CORS headers for a request with an ``Origin``): run in the operation's
        transaction, after its handler."""

    def operation(
        self,
        name: str,
        *,
        action: str | None,
        resource: ResourceOf | None = None,
        condition_keys: KeysOf | None = None,
        resource_policy: ResourcePolicyOf | None = None,
        writes: bool = False,
        signed: bool = True,
        authorizer: Authorizer | None = None,
        spool: Spool | None = None,
        blocking: bool = False,
        before: Before | None = None,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            if name in self.operations:
                raise ValueError(f"{self.name}:{name} registered twice")
            self.operations[name] = Operation(
                self.name,
                name,
                handler,
                action,
                resource,
                condition_keys,
                resource_policy,
                writes,
                signed,
                authorizer,
                spool,
                blocking=blocking,
                before=before,
            )
            return handler

        return register


@dataclass
class OperationContext:
    """Everything an operation may use; documented in ``docs/design.md`` (request flow)."""

    store: Store
    authz: Authz
    tx: Tx
    caller: Caller | None
    service: Service
    region: str = "us-east-1"
    request_id: str = ""
    source_ip: str = "127.0.0.1"
    secure_transport: bool = False
    user_agent: str = ""
    endpoint: str = "http://127.0.0.1:4599"
    decisions: list[Decision] = field(default_factory=list)
    bodies: BodyStore | None = None
    auth_type: str | None = None
    """How the request was authenticated: ``REST-HEADER``, ``REST-QUERY-STRING`` (presigned),
    or ``None`` (anonymous) - S3's ``s3:authType``."""
    signature_version: str | None = None
    """``AWS4-HMAC-SHA256`` or ``AWS`` (SigV2) - S3's ``s3:signatureversion``."""
    content_sha256: str | None = None
    """The request's ``x-amz-content-sha256`` (S3's ``s3:x-amz-content-sha256``)."""
    request_headers: Mapping[str, str] = field(default_factory=dict)
    """The request's headers, lower-cased names (first value of each)."""
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    """Run once the transaction has committed (removing a replaced object's body file): what
    must not happen unless the metadata change is durable."""
    on_rollback: list[Callable[[], None]] = field(default_factory=list)
    """Run when the transaction does not commit (the operation failed, or its commit did):
    undo what the operation did outside it, such as a body or package file it wrote, so that
    a failed request leaves nothing behind."""
    clock: Callable[[], float] = time.time
    """The server's clock (the pipeline's, which authenticates the request): what checks of
    the request against the time read, such as an MFA code's 30-second step. Tests move it."""
    then: Callable[[], Result | None] | None = None
    """Work that must not hold the transaction (running a Lambda function, which calls back
    into the endpoint): run once it has committed; what it returns, unless ``None``, is the
    operation's result."""

    @property
    def now(self) -> float:
        return self.tx.now

    def keep_only_if_committed(self, ref: BodyRef | str) -> None:
        """A body or package this operation stored before its transaction commits: removed
        again if the transaction does not (:attr:`on_rollback`)."""
        bodies = self.bodies
        assert bodies is not None
        self.on_rollback.append(lambda: bodies.delete(ref))

    @property
    def account_id(self) -> str:
        """The caller's account: where IAM entities the caller names live."""
        if self.caller is None or self.caller.principal.account is None:
            raise AwsError("This operation needs a signed request.", code="MissingAuthenticationToken", status=403)
        return self.caller.principal.account

    def request_context(self, extra: Mapping[str, str | list[str]] | None = None) -> dict[str, tuple[str, ...]]:
        """Keys every request carries (``reference_policies_condition-keys``), plus the
        operation's own."""
        base: dict[str, str | list[str]] = {
            "aws:SourceIp": self.source_ip,
            "aws:ViaAWSService": "false",
        }
        if self.user_agent:
            base["aws:UserAgent"] = self.user_agent
        if extra:
            base.update(extra)
        return normalise_context(base)

    def authorize(
        self,
        action: str,
        resource: str,
        *,
        context: Mapping[str, str | list[str]] | None = None,
        resource_policy: ResourcePolicy | None = None,
        caller: Caller | None = None,
    ) -> Decision:
        """Ask the engine; raise the protocol's AccessDenied with AWS's message on a deny."""
        who = caller or self.caller
        if who is None:
            raise AccessDenied(
                "Anonymous requests are not allowed for this operation.", code=self.service.access_denied_code
            )
        rp = resource_policy or ResourcePolicy(None, None)
        resource_account = rp.account or who.principal.account
        inputs = self.authz.inputs(
            self.tx,
            who,
            resource_account=resource_account,
            resource_policy=rp.policy,
            resource_must_allow=rp.must_allow,
            acl_grants=rp.acl_grants,
        )
        org_id, paths = self.authz.org_of(self.tx, resource_account) if resource_account else (None, ())
        request = Request(
            principal=who.principal,
            action=action,
            resource=resource,
            resource_facts=ResourceFacts(resource_account, org_id, paths, dict(rp.tags)),
            context=self.request_context(context),
            region=self.region,
            secure_transport=self.secure_transport,
        )
        decision = authorize(inputs, request)
        self.decisions.append(decision)
        if not decision.allowed:
            raise AccessDenied(decision.message, code=self.service.access_denied_code)
        return decision
