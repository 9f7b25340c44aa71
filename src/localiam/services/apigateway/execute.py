"""Invoking a deployed stage (``execute-api``): the route, the method's authorization, the
integration, and API Gateway's answers (Developer Guide ``apigateway-control-access-using-iam-policies``,
``apigateway-resource-policies``, ``apigateway-integrate-with-cognito``,
``apigateway-use-lambda-authorizer``, ``set-up-lambda-proxy-integrations``).

1. The stage's deployment (not the API as edited since) is matched: literal path parts first,
   then a ``{param}``, then a greedy ``{proxy+}``; the method or ``ANY``. Nothing matches: 403
   ``{"message":"Missing Authentication Token"}``, API Gateway's answer for an unknown path.
2. Authorization by the method's type:
   - ``AWS_IAM``: the request must be SigV4-signed for ``execute-api`` (the server checked the
     signature); the engine decides ``execute-api:Invoke`` on
     ``arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH`` with the caller's policies and
     the API's resource policy (a caller of another account needs both). A denial is 403
     ``{"Message":"User: ARN is not authorized to perform: execute-api:Invoke on resource: ARN"}``.
   - ``COGNITO_USER_POOLS``: the token in the identity source header must be one of the
     authorizer's user pools', unexpired, an ID token, or an access token holding one of the
     method's ``authorizationScopes``; otherwise 401 ``{"message":"Unauthorized"}``.
   - ``CUSTOM``: the Lambda authorizer runs (its function policy must let
     ``apigateway.amazonaws.com`` invoke it), and the policy it returns decides, by the engine;
     answers are cached per identity source for the authorizer's TTL.
   - A resource policy applies to every method; for methods not signed with IAM it is decided
     for an anonymous caller.
3. The integration: ``AWS_PROXY`` invokes the function as ``apigateway.amazonaws.com`` with the
   proxy event (version 1.0) and maps its answer back (502 on a malformed one, 500 when the
   function may not be invoked or fails); ``MOCK`` answers from the integration's templates;
   ``HTTP_PROXY`` forwards to a loopback URL only.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from localiam.engine import (
    ANONYMOUS,
    PolicyInputs,
    Principal,
    PrincipalKind,
    Request,
    ResourceFacts,
    authorize,
    normalise_context,
)
from localiam.errors import AccessDenied, AwsError
from localiam.policy.model import PolicyType
from localiam.services.apigateway._service import LAMBDA_URI, SERVICE
from localiam.services.apigateway.integrations import http_proxy, mock_answer, proxy_answer, proxy_event, request_fields
from localiam.services.apigateway.invocation import (
    Answer,
    Granted,
    Invocation,
    Route,
    Stage,
    clean_path,
    denied,
    forbidden,
    header,
    identity_value,
    internal_error,
    json_answer,
    match,
    missing_token,
    signature_refused,
    stage_variables,
    unauthorized,
)
from localiam.services.apigateway.keys import Meter, usable_key
from localiam.services.awslambda.service_invoke import ServiceInvokeError, invoke_as_service
from localiam.services.base import OperationContext, ResourcePolicy
from localiam.services.cognito_idp import tokens as user_pool_tokens
from localiam.state import iam_store, schema
from localiam.state.accounts import KeyRecord
from localiam.state.authz import Authz, Caller
from localiam.state.bodies import BodyStore
from localiam.state.store import Store

SERVICE_PRINCIPAL = "apigateway.amazonaws.com"
MAX_DEPLOYMENTS = 256


class Executor:
    """Invokes stages against one store; keeps Lambda authorizers' answers for their TTL."""

    def __init__(
        self,
        store: Store,
        authz: Authz,
        *,
        endpoint: str,
        bodies: BodyStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.bodies = bodies
        self.authz = authz
        self.endpoint = endpoint
        self.clock = clock
        self._cache: dict[tuple[str, ...], tuple[float, dict[str, Any]]] = {}
        self._deployments: dict[tuple[str, str], tuple[Mapping[str, Any], str]] = {}
        self._key_sources: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()
        self.meter = Meter()

    def invoke(self, inv: Invocation) -> Answer:
        request_id = str(uuid.uuid4())
        with self.store.read() as tx:
            row = iam_store.one(tx, schema.apigateway_apis, id=inv.api_id)
            if row is None:
                return json_answer(404, {"message": "Not Found"}, "NotFoundException", request_id)
            stage_row = iam_store.one(tx, schema.apigateway_stages, api_id=inv.api_id, name=inv.stage)
            if stage_row is None:
                return json_answer(403, {"message": "Forbidden"}, "ForbiddenException", request_id)
            snapshot, root_id = self._deployment(tx, inv.api_id, str(stage_row["deployment_id"]))
            stage = Stage(
                account=str(row["account_id"]),
                region=str(row["region"]),
                name=inv.stage,
                variables=json.loads(str(stage_row["config"])).get("variables") or {},
                snapshot=snapshot,
                root_id=root_id,
            )
            route = match(snapshot, stage.root_id, inv.path, inv.method)
            if route is None:
                return missing_token(request_id)
            ctx = self._context(tx, inv, stage, request_id)
            granted = self._authorize(ctx, inv, stage, route, request_id)
            if isinstance(granted, Answer):
                return granted
        if route.method["authorizationType"] == "CUSTOM":
            outcome = self._custom(ctx, inv, stage, route, request_id)
            if isinstance(outcome, Answer):
                return outcome
            granted = outcome
        if route.method.get("apiKeyRequired"):
            # After authorization, as API Gateway checks it: the key from the header, or the one
            # the Lambda authorizer named when the API takes its keys from the authorizer.
            from_authorizer = self._api_key_source(inv.api_id, str(row["document"])) == "AUTHORIZER"
            value = granted.usage_key if from_authorizer else header(inv.headers, "x-api-key")
            with self.store.read() as tx:
                key = usable_key(tx, stage.account, stage.region, inv.api_id, stage.name, value)
            if key is None:
                return forbidden(request_id)
            refused = self.meter.admit(key, self.clock())
            if refused == "throttled":
                return json_answer(429, {"message": "Too Many Requests"}, "TooManyRequestsException", request_id)
            if refused == "quota":
                return json_answer(429, {"message": "Limit Exceeded"}, "LimitExceededException", request_id)
            granted = replace(granted, api_key=(key.key_id, key.value))
        return self._integrate(ctx, inv, stage, route, granted, request_id)

    def _api_key_source(self, api_id: str, document: str) -> str:
        """The API's ``apiKeySource``, read from its document once per version of it."""
        known = self._key_sources.get(api_id)
        if known is None or known[0] != document:
            known = (document, str(json.loads(document).get("apiKeySource") or "HEADER"))
            self._key_sources[api_id] = known
        return known[1]

    # ------------------------------------------------------------------------- authorization
    def _context(self, tx: Any, inv: Invocation, stage: Stage, request_id: str) -> OperationContext:
        return OperationContext(
            store=self.store,
            authz=self.authz,
            tx=tx,
            caller=None,
            service=SERVICE,
            region=stage.region,
            request_id=request_id,
            source_ip=inv.source_ip,
            endpoint=self.endpoint,
            bodies=self.bodies,
            user_agent=header(inv.headers, "user-agent") or "",
            clock=self.clock,
        )

    def method_arn(self, inv: Invocation, stage: Stage) -> str:
        prefix = f"arn:aws:execute-api:{stage.region}:{stage.account}:{inv.api_id}"
        return f"{prefix}/{stage.name}/{inv.method.upper()}{clean_path(inv.path)}"

    def _resource_policy(self, ctx: OperationContext, inv: Invocation, stage: Stage) -> ResourcePolicy:
        text = stage.snapshot.get("policy")
        if not text:
            return ResourcePolicy(None, stage.account)
        compiled = ctx.authz.policies.get(f"resource policy of API {inv.api_id}", str(text), PolicyType.RESOURCE)
        return ResourcePolicy(compiled, stage.account)

    def _authorize(
        self, ctx: OperationContext, inv: Invocation, stage: Stage, route: Route, request_id: str
    ) -> Granted | Answer:
        kind = route.method["authorizationType"]
        arn = self.method_arn(inv, stage)
        policy = self._resource_policy(ctx, inv, stage)
        if kind == "AWS_IAM":
            if inv.signature_error is not None:
                return signature_refused(inv.signature_error, request_id)
            if inv.key is None:
                return missing_token(request_id)
            caller = ctx.authz.caller(ctx.tx, inv.key)
            if caller is None:
                return signature_refused(AwsError("", code="InvalidClientTokenId"), request_id)
            ctx.caller = caller
            try:
                ctx.authorize("execute-api:Invoke", arn, resource_policy=policy)
            except AccessDenied as exc:
                return denied(_api_gateway_wording(exc.message), request_id)
            return Granted(caller=caller)
        if policy.policy is not None:
            anonymous = Caller(ANONYMOUS, KeyRecord("", "", "", "anonymous", True))
            try:
                ctx.authorize("execute-api:Invoke", arn, resource_policy=policy, caller=anonymous)
            except AccessDenied as exc:
                return denied(_api_gateway_wording(exc.message), request_id)
        if kind == "COGNITO_USER_POOLS":
            return self._cognito(ctx, inv, stage, route, request_id)
        return Granted()

    def _cognito(
        self, ctx: OperationContext, inv: Invocation, stage: Stage, route: Route, request_id: str
    ) -> Granted | Answer:
        authorizer = _authorizer(stage, route)
        if authorizer is None:
            return internal_error(500, request_id)
        token = identity_value(inv, authorizer.get("identitySource") or "method.request.header.Authorization")
        if not token:
            return unauthorized(request_id)
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        try:
            claims = user_pool_tokens.verify(ctx.tx, token, now=self.clock())
        except user_pool_tokens.InvalidToken:
            return unauthorized(request_id)
        pool_id = str(claims.get("iss", "")).rsplit("/", 1)[-1]
        if not any(str(arn).endswith(f":userpool/{pool_id}") for arn in authorizer.get("providerARNs") or []):
            return unauthorized(request_id)
        scopes = route.method.get("authorizationScopes") or []
        if scopes:
            held = str(claims.get("scope", "")).split()
            if claims.get("token_use") != "access" or not set(held) & set(scopes):
                return unauthorized(request_id)
        elif claims.get("token_use") != "id":
            return unauthorized(request_id)
        return Granted(claims=claims)

    def _custom(
        self, ctx: OperationContext, inv: Invocation, stage: Stage, route: Route, request_id: str
    ) -> Granted | Answer:
        authorizer = _authorizer(stage, route)
        if authorizer is None:
            return internal_error(500, request_id)
        arn = self.method_arn(inv, stage)
        sources = [s.strip() for s in str(authorizer.get("identitySource") or "").split(",") if s.strip()]
        values = [identity_value(inv, s) for s in sources]
        if authorizer["type"] == "TOKEN":
            token = values[0] if values else None
            if not token:
                return unauthorized(request_id)
            pattern = authorizer.get("identityValidationExpression")
            if pattern and not re.fullmatch(str(pattern), token):
                return unauthorized(request_id)
            event: dict[str, Any] = {"type": "TOKEN", "authorizationToken": token, "methodArn": arn}
        else:
            if sources and not all(values):
                return unauthorized(request_id)
            event = {"type": "REQUEST", "methodArn": arn, **request_fields(inv, stage, route)}
        ttl = int(authorizer.get("authorizerResultTtlInSeconds", 300))
        cache_key = (inv.api_id, authorizer["id"], *(v or "" for v in values))
        answer = self._cached(cache_key) if ttl and values else None
        if answer is None:
            match_uri = LAMBDA_URI.fullmatch(str(authorizer.get("authorizerUri")))
            if match_uri is None:
                return internal_error(500, request_id)
            try:
                result = invoke_as_service(
                    ctx,
                    match_uri.group(1),
                    event,
                    service_principal=SERVICE_PRINCIPAL,
                    source_arn=f"arn:aws:execute-api:{stage.region}:{stage.account}:{inv.api_id}/authorizers/{authorizer['id']}",
                    source_account=stage.account,
                )
            except ServiceInvokeError as exc:
                if str(exc) == "Unauthorized":
                    return unauthorized(request_id)
                return json_answer(500, {"message": None}, "AuthorizerConfigurationException", request_id)
            if not isinstance(result, dict) or not isinstance(result.get("policyDocument"), dict):
                return json_answer(500, {"message": None}, "AuthorizerConfigurationException", request_id)
            answer = result
            if ttl and values:
                with self._lock:
                    self._cache[cache_key] = (self.clock() + ttl, answer)
        principal_id = str(answer.get("principalId", ""))
        compiled = self.authz.policies.get(
            f"Lambda authorizer {authorizer['id']} policy", json.dumps(answer["policyDocument"]), PolicyType.IDENTITY
        )
        if compiled is None:
            return json_answer(500, {"message": None}, "AuthorizerConfigurationException", request_id)
        # The returned policy is the caller's only policy: evaluated as an identity policy of
        # a principal of the API's account (so no resource-side grant is needed).
        who = Principal(
            PrincipalKind.USER,
            f"arn:aws:iam::{stage.account}:user/lambda-authorizer/{authorizer['id']}",
            account=stage.account,
            name=principal_id or "anonymous",
        )
        decision = authorize(
            PolicyInputs(identity=(compiled,)),
            Request(
                principal=who,
                action="execute-api:Invoke",
                resource=arn,
                resource_facts=ResourceFacts(stage.account, None, (), {}),
                context=normalise_context({"aws:SourceIp": inv.source_ip}),
                region=stage.region,
            ),
        )
        if not decision.allowed:
            if decision.outcome.value == "ExplicitDeny":
                return denied("User is not authorized to access this resource with an explicit deny", request_id)
            return denied("User is not authorized to access this resource", request_id)
        raw_context = answer.get("context")
        context: dict[str, Any] = dict(raw_context) if isinstance(raw_context, dict) else {}
        usage = answer.get("usageIdentifierKey")
        return Granted(
            authorizer={"principalId": principal_id, **context},
            principal_id=principal_id,
            usage_key=str(usage) if usage is not None else None,
        )

    def _deployment(self, tx: Any, api_id: str, deployment_id: str) -> tuple[Mapping[str, Any], str]:
        """A deployment's snapshot and root resource id, parsed once: deployments never change
        (a stage moves to another one)."""
        key = (api_id, deployment_id)
        with self._lock:
            found = self._deployments.get(key)
        if found is not None:
            return found
        row = iam_store.one(tx, schema.apigateway_deployments, api_id=api_id, id=deployment_id)
        assert row is not None
        snapshot = json.loads(str(row["snapshot"]))
        root_id = next(r["id"] for r in snapshot["resources"].values() if r["path"] == "/")
        with self._lock:
            if len(self._deployments) >= MAX_DEPLOYMENTS:
                self._deployments.pop(next(iter(self._deployments)))
            self._deployments[key] = (snapshot, root_id)
        return snapshot, root_id

    def _cached(self, key: tuple[str, ...]) -> dict[str, Any] | None:
        with self._lock:
            found = self._cache.get(key)
            if found is None:
                return None
            if found[0] <= self.clock():
                del self._cache[key]
                return None
            return found[1]

    # ------------------------------------------------------------------------- integrations
    def _integrate(
        self, ctx: OperationContext, inv: Invocation, stage: Stage, route: Route, granted: Granted, request_id: str
    ) -> Answer:
        integration = route.method.get("methodIntegration") or {}
        kind = integration.get("type")
        if kind == "MOCK":
            return mock_answer(integration, request_id)
        if kind == "HTTP_PROXY":
            return http_proxy(inv, route, integration, request_id)
        if kind != "AWS_PROXY":
            return internal_error(500, request_id)
        found = LAMBDA_URI.fullmatch(str(integration.get("uri")))
        if found is None:
            return internal_error(500, request_id)
        function_arn = stage_variables(found.group(1), stage.variables)
        event = proxy_event(inv, stage, route, granted, request_id, self.clock())
        try:
            result = invoke_as_service(
                ctx,
                function_arn,
                event,
                service_principal=SERVICE_PRINCIPAL,
                source_arn=self.method_arn(inv, stage),
                source_account=stage.account,
            )
        except ServiceInvokeError:
            return internal_error(500, request_id)
        return proxy_answer(result, request_id)


def _api_gateway_wording(message: str) -> str:
    """API Gateway's denial says who, what and on which resource, and of why only "with an
    explicit deny" (``apigateway-resource-policies-examples``, the 403 a denied caller sees)."""
    head = message.split(" because ", 1)[0]
    return head.split(" with an explicit deny", 1)[0] + (
        " with an explicit deny" if " with an explicit deny" in head else ""
    )


def _authorizer(stage: Stage, route: Route) -> dict[str, Any] | None:
    """The authorizer the method names, as the stage's deployment holds it (``None``: it holds
    none of that id, and the invocation fails with a 500)."""
    found: dict[str, Any] | None = stage.snapshot["authorizers"].get(route.method.get("authorizerId") or "")
    return found
