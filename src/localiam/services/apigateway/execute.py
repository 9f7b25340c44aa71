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

import base64
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
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
from localiam.services.apigateway._service import SERVICE
from localiam.services.awslambda.service_invoke import ServiceInvokeError, invoke_as_service
from localiam.services.base import OperationContext, ResourcePolicy
from localiam.services.cognito_idp import tokens as user_pool_tokens
from localiam.state import iam_store, schema
from localiam.state.accounts import KeyRecord
from localiam.state.authz import Authz, Caller
from localiam.state.bodies import BodyStore
from localiam.state.store import Store

SERVICE_PRINCIPAL = "apigateway.amazonaws.com"
LAMBDA_URI = re.compile(
    r"arn:aws:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/(arn:aws:lambda:[^/]+)/invocations"
)
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")
MAX_DEPLOYMENTS = 256


@dataclass(frozen=True, slots=True)
class Invocation:
    """One request to a stage, as the server received it."""

    api_id: str
    stage: str
    path: str
    method: str
    headers: Sequence[tuple[str, str]]
    query: str
    body: bytes
    source_ip: str
    key: KeyRecord | None = None
    """The access key of a request whose SigV4 signature (for ``execute-api``) verified."""
    signature_error: AwsError | None = None
    """Why a signed request's signature did not verify."""
    signed: bool = False


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


def _json_answer(status: int, body: Mapping[str, Any], error_type: str | None = None, request_id: str = "") -> Answer:
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id)]
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
    return Answer(status, tuple(headers), json.dumps(body).encode())


def missing_token(request_id: str = "") -> Answer:
    return _json_answer(
        403, {"message": "Missing Authentication Token"}, "MissingAuthenticationTokenException", request_id
    )


def unauthorized(request_id: str = "") -> Answer:
    return _json_answer(401, {"message": "Unauthorized"}, "UnauthorizedException", request_id)


def internal_error(status: int = 500, request_id: str = "") -> Answer:
    return _json_answer(status, {"message": "Internal server error"}, None, request_id)


def denied(message: str, request_id: str = "") -> Answer:
    return _json_answer(403, {"Message": message}, "AccessDeniedException", request_id)


_SIGNATURE_ANSWERS = {
    "SignatureDoesNotMatch": (
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
        "Access Key and signing method. Consult the service documentation for details.",
    ),
    "InvalidClientTokenId": ("UnrecognizedClientException", "The security token included in the request is invalid."),
    "ExpiredToken": ("ExpiredTokenException", "The security token included in the request is expired"),
}


def signature_refused(exc: AwsError, request_id: str = "") -> Answer:
    """API Gateway's 403 for a signature that does not verify (its own error types)."""
    kind, message = _SIGNATURE_ANSWERS.get(exc.code, ("IncompleteSignatureException", exc.message))
    return _json_answer(403, {"message": message}, kind, request_id)


# ----------------------------------------------------------------------------------- routing
@dataclass(frozen=True, slots=True)
class Route:
    resource: Mapping[str, Any]
    method: Mapping[str, Any]
    path_parameters: Mapping[str, str]


def _children(resources: Mapping[str, Any], parent: str) -> list[Mapping[str, Any]]:
    return [r for r in resources.values() if r.get("parentId") == parent]


def match(snapshot: Mapping[str, Any], root_id: str, path: str, http_method: str) -> Route | None:
    """The resource and method of ``path`` in a deployment: literal parts before ``{param}``
    before ``{proxy+}``, as API Gateway chooses."""
    resources = snapshot["resources"]
    parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/")] if path.strip("/") else []

    def walk(resource_id: str, index: int, params: dict[str, str]) -> tuple[Mapping[str, Any], dict[str, str]] | None:
        resource = resources[resource_id]
        if index == len(parts):
            return resource, params
        children = _children(resources, resource_id)
        literal = [c for c in children if not c["pathPart"].startswith("{")]
        variable = [c for c in children if c["pathPart"].startswith("{") and not c["pathPart"].endswith("+}")]
        greedy = [c for c in children if c["pathPart"].endswith("+}")]
        for child in literal:
            if child["pathPart"] == parts[index]:
                found = walk(child["id"], index + 1, params)
                if found:
                    return found
        for child in variable:
            found = walk(child["id"], index + 1, {**params, child["pathPart"][1:-1]: parts[index]})
            if found:
                return found
        for child in greedy:
            return child, {**params, child["pathPart"][1:-2]: "/".join(parts[index:])}
        return None

    found = walk(root_id, 0, {})
    if found is None:
        return None
    resource, params = found
    methods = resource.get("methods") or {}
    method = methods.get(http_method.upper()) or methods.get("ANY")
    if method is None:
        return None
    return Route(resource, method, params)


# ----------------------------------------------------------------------------------- the call
@dataclass
class Granted:
    """Who the method let through, for the proxy event."""

    caller: Caller | None = None
    claims: Mapping[str, Any] | None = None
    authorizer: Mapping[str, Any] = field(default_factory=dict)
    principal_id: str | None = None


@dataclass(frozen=True, slots=True)
class Stage:
    account: str
    region: str
    name: str
    variables: Mapping[str, str]
    snapshot: Mapping[str, Any]
    root_id: str


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
        self._lock = threading.Lock()

    def invoke(self, inv: Invocation) -> Answer:
        request_id = str(uuid.uuid4())
        with self.store.read() as tx:
            row = iam_store.one(tx, schema.apigateway_apis, id=inv.api_id)
            if row is None:
                return _json_answer(404, {"message": "Not Found"}, "NotFoundException", request_id)
            stage_row = iam_store.one(tx, schema.apigateway_stages, api_id=inv.api_id, name=inv.stage)
            if stage_row is None:
                return _json_answer(403, {"message": "Forbidden"}, "ForbiddenException", request_id)
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
        return self._integrate(ctx, inv, stage, route, granted, request_id)

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
            user_agent=_header(inv.headers, "user-agent") or "",
            clock=self.clock,
        )

    def method_arn(self, inv: Invocation, stage: Stage) -> str:
        prefix = f"arn:aws:execute-api:{stage.region}:{stage.account}:{inv.api_id}"
        return f"{prefix}/{stage.name}/{inv.method.upper()}{_path(inv.path)}"

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
        authorizer = stage.snapshot["authorizers"].get(route.method.get("authorizerId") or "")
        if authorizer is None:
            return internal_error(500, request_id)
        token = _identity(inv, authorizer.get("identitySource") or "method.request.header.Authorization")
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
        authorizer = stage.snapshot["authorizers"].get(route.method.get("authorizerId") or "")
        if authorizer is None:
            return internal_error(500, request_id)
        arn = self.method_arn(inv, stage)
        sources = [s.strip() for s in str(authorizer.get("identitySource") or "").split(",") if s.strip()]
        values = [_identity(inv, s) for s in sources]
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
            event = {"type": "REQUEST", "methodArn": arn, **self._request_fields(inv, stage, route)}
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
                return _json_answer(500, {"message": None}, "AuthorizerConfigurationException", request_id)
            if not isinstance(result, dict) or not isinstance(result.get("policyDocument"), dict):
                return _json_answer(500, {"message": None}, "AuthorizerConfigurationException", request_id)
            answer = result
            if ttl and values:
                with self._lock:
                    self._cache[cache_key] = (self.clock() + ttl, answer)
        principal_id = str(answer.get("principalId", ""))
        compiled = self.authz.policies.get(
            f"Lambda authorizer {authorizer['id']} policy", json.dumps(answer["policyDocument"]), PolicyType.IDENTITY
        )
        if compiled is None:
            return _json_answer(500, {"message": None}, "AuthorizerConfigurationException", request_id)
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
        return Granted(authorizer={"principalId": principal_id, **context}, principal_id=principal_id)

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
    def _request_fields(self, inv: Invocation, stage: Stage, route: Route) -> dict[str, Any]:
        headers: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for name, value in inv.headers:
            headers[name] = value
            multi.setdefault(name, []).append(value)
        query = urllib.parse.parse_qsl(inv.query, keep_blank_values=True)
        single_query: dict[str, str] = {}
        multi_query: dict[str, list[str]] = {}
        for name, value in query:
            single_query[name] = value
            multi_query.setdefault(name, []).append(value)
        return {
            "resource": route.resource["path"],
            "path": _path(inv.path),
            "httpMethod": inv.method.upper(),
            "headers": headers or None,
            "multiValueHeaders": multi or None,
            "queryStringParameters": single_query or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": dict(route.path_parameters) or None,
            "stageVariables": dict(stage.variables) or None,
        }

    def _event(self, inv: Invocation, stage: Stage, route: Route, granted: Granted, request_id: str) -> dict[str, Any]:
        event = self._request_fields(inv, stage, route)
        identity: dict[str, Any] = {
            "cognitoIdentityPoolId": None,
            "accountId": None,
            "cognitoIdentityId": None,
            "caller": None,
            "accessKey": None,
            "sourceIp": inv.source_ip,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": _header(inv.headers, "user-agent"),
            "user": None,
        }
        caller = granted.caller
        if caller is not None:
            principal = caller.principal
            federation = principal.federation
            identity.update(
                accountId=principal.account,
                caller=principal.user_id,
                user=principal.user_id,
                accessKey=caller.key.access_key_id,
                userArn=principal.arn,
            )
            pool = federation.get("cognito-identity.amazonaws.com:aud")
            if pool:
                amr = list(federation.get("cognito-identity.amazonaws.com:amr", ()))
                identity.update(
                    cognitoIdentityPoolId=pool[0],
                    cognitoIdentityId=(federation.get("cognito-identity.amazonaws.com:sub") or [None])[0],
                    cognitoAuthenticationType=amr[0] if amr else None,
                    cognitoAuthenticationProvider=",".join(amr[1:]) or None,
                )
        authorizer: dict[str, Any] = dict(granted.authorizer)
        if granted.claims is not None:
            authorizer["claims"] = {k: _claim(v) for k, v in granted.claims.items()}
        now = self.clock()
        event["requestContext"] = {
            "resourceId": route.resource["id"],
            "resourcePath": route.resource["path"],
            "httpMethod": inv.method.upper(),
            "path": f"/{stage.name}{_path(inv.path)}",
            "accountId": stage.account,
            "stage": stage.name,
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "requestTimeEpoch": int(now * 1000),
            "protocol": "HTTP/1.1",
            "apiId": inv.api_id,
            "domainName": f"{inv.api_id}.execute-api.localhost",
            "identity": identity,
            "authorizer": authorizer or None,
        }
        binary = not _is_text(inv.headers)
        event["body"] = (
            (base64.b64encode(inv.body).decode() if binary else inv.body.decode("utf-8")) if inv.body else None
        )
        event["isBase64Encoded"] = bool(inv.body) and binary
        return event

    def _integrate(
        self, ctx: OperationContext, inv: Invocation, stage: Stage, route: Route, granted: Granted, request_id: str
    ) -> Answer:
        integration = route.method.get("methodIntegration") or {}
        kind = integration.get("type")
        if kind == "MOCK":
            return _mock(integration, request_id)
        if kind == "HTTP_PROXY":
            return _http_proxy(inv, route, integration, request_id)
        if kind != "AWS_PROXY":
            return internal_error(500, request_id)
        found = LAMBDA_URI.fullmatch(str(integration.get("uri")))
        if found is None:
            return internal_error(500, request_id)
        function_arn = _stage_variables(found.group(1), stage.variables)
        event = self._event(inv, stage, route, granted, request_id)
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
        return _proxy_answer(result, request_id)


def _proxy_answer(result: Any, request_id: str) -> Answer:
    """The function's answer as HTTP (``set-up-lambda-proxy-integrations``, "Output format"),
    or 502 when it is not that shape."""
    if not isinstance(result, dict):
        return internal_error(502, request_id)
    status = result.get("statusCode", 200)
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        return internal_error(502, request_id)
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        headers.append((str(name), str(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        if not isinstance(values, list):
            return internal_error(502, request_id)
        headers.extend((str(name), str(v)) for v in values)
    body = result.get("body")
    if body is None:
        data = b""
    elif not isinstance(body, str):
        return internal_error(502, request_id)
    elif result.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body)
        except ValueError:
            return internal_error(502, request_id)
    else:
        data = body.encode("utf-8")
    if not any(n.lower() == "content-type" for n, _ in headers):
        headers.append(("Content-Type", "application/json"))
    headers.append(("x-amzn-RequestId", request_id))
    return Answer(status, tuple(headers), data)


def _mock(integration: Mapping[str, Any], request_id: str) -> Answer:
    template = (integration.get("requestTemplates") or {}).get("application/json") or '{"statusCode": 200}'
    try:
        status = int(json.loads(template).get("statusCode", 200))
    except (ValueError, AttributeError, TypeError):
        status = 200
    responses = integration.get("integrationResponses") or {}
    response = responses.get(str(status)) or {}
    body = (response.get("responseTemplates") or {}).get("application/json") or ""
    return Answer(status, (("Content-Type", "application/json"), ("x-amzn-RequestId", request_id)), body.encode())


def _http_proxy(inv: Invocation, route: Route, integration: Mapping[str, Any], request_id: str) -> Answer:
    uri = str(integration.get("uri"))
    for name, value in route.path_parameters.items():
        uri = uri.replace("{" + name + "+}", value).replace("{" + name + "}", urllib.parse.quote(value))
    host = urllib.parse.urlsplit(uri).hostname or ""
    if host not in _LOOPBACK:
        return _json_answer(
            500, {"message": "localiam forwards HTTP_PROXY integrations to loopback only"}, None, request_id
        )
    if inv.query:
        uri += ("&" if "?" in uri else "?") + inv.query
    headers = {n: v for n, v in inv.headers if n.lower() not in ("host", "content-length", "authorization")}
    method = str(integration.get("httpMethod") or inv.method).upper()
    method = inv.method.upper() if method == "ANY" else method
    request = urllib.request.Request(uri, data=inv.body or None, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=29) as answer:
            status, data, got = answer.status, answer.read(), answer.headers.items()
    except urllib.error.HTTPError as exc:
        status, data, got = exc.code, exc.read(), exc.headers.items()
    except (urllib.error.URLError, OSError):
        return internal_error(502, request_id)
    skip = ("transfer-encoding", "connection", "content-length")
    return Answer(status, tuple((n, v) for n, v in got if n.lower() not in skip), data)


def _stage_variables(text: str, variables: Mapping[str, str]) -> str:
    return re.sub(r"\$\{stageVariables\.(\w+)\}", lambda m: variables.get(m.group(1), ""), text)


def _identity(inv: Invocation, source: str) -> str | None:
    """The value an identity source names: ``method.request.header.NAME`` or
    ``method.request.querystring.NAME``."""
    if source.startswith("method.request.header."):
        return _header(inv.headers, source.split(".", 3)[3])
    if source.startswith("method.request.querystring."):
        wanted = source.split(".", 3)[3]
        for name, value in urllib.parse.parse_qsl(inv.query, keep_blank_values=True):
            if name == wanted:
                return value
    return None


def _header(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    wanted = name.lower()
    return next((v for n, v in headers if n.lower() == wanted), None)


def _path(path: str) -> str:
    return "/" + path.strip("/") if path.strip("/") else "/"


def _is_text(headers: Sequence[tuple[str, str]]) -> bool:
    kind = (_header(headers, "content-type") or "").lower()
    return not kind or kind.startswith("text/") or "json" in kind or "xml" in kind or "form-urlencoded" in kind


def _claim(value: Any) -> str:
    if isinstance(value, list):
        return "[" + " ".join(str(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _api_gateway_wording(message: str) -> str:
    """API Gateway's denial says who, what and on which resource, and of why only "with an
    explicit deny" (``apigateway-resource-policies-examples``, the 403 a denied caller sees)."""
    head = message.split(" because ", 1)[0]
    return head.split(" with an explicit deny", 1)[0] + (
        " with an explicit deny" if " with an explicit deny" in head else ""
    )
