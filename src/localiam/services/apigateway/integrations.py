"""Integrations (Developer Guide ``set-up-lambda-proxy-integrations``, "Input format of a Lambda
function for proxy integration" and "Output format"; ``how-to-mock-integration``;
``setup-http-integrations``): the 1.0 proxy event with the caller's identity, the function's
answer as HTTP (502 when malformed), a mock's templates, and forwarding to loopback."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from localiam.services.apigateway.invocation import (
    Answer,
    Granted,
    Invocation,
    Route,
    Stage,
    claim_text,
    clean_path,
    header,
    internal_error,
    is_text,
    json_answer,
)

_LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")


def request_fields(inv: Invocation, stage: Stage, route: Route) -> dict[str, Any]:
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
        "path": clean_path(inv.path),
        "httpMethod": inv.method.upper(),
        "headers": headers or None,
        "multiValueHeaders": multi or None,
        "queryStringParameters": single_query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(route.path_parameters) or None,
        "stageVariables": dict(stage.variables) or None,
    }


def proxy_event(
    inv: Invocation, stage: Stage, route: Route, granted: Granted, request_id: str, now: float
) -> dict[str, Any]:
    event = request_fields(inv, stage, route)
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
        "userAgent": header(inv.headers, "user-agent"),
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
    if granted.api_key is not None:
        identity.update(apiKeyId=granted.api_key[0], apiKey=granted.api_key[1])
    authorizer: dict[str, Any] = dict(granted.authorizer)
    if granted.claims is not None:
        authorizer["claims"] = {k: claim_text(v) for k, v in granted.claims.items()}
    event["requestContext"] = {
        "resourceId": route.resource["id"],
        "resourcePath": route.resource["path"],
        "httpMethod": inv.method.upper(),
        "path": f"/{stage.name}{clean_path(inv.path)}",
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
    binary = not is_text(inv.headers)
    event["body"] = (base64.b64encode(inv.body).decode() if binary else inv.body.decode("utf-8")) if inv.body else None
    event["isBase64Encoded"] = bool(inv.body) and binary
    return event


def proxy_answer(result: Any, request_id: str) -> Answer:
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


def mock_answer(integration: Mapping[str, Any], request_id: str) -> Answer:
    template = (integration.get("requestTemplates") or {}).get("application/json") or '{"statusCode": 200}'
    try:
        status = int(json.loads(template).get("statusCode", 200))
    except (ValueError, AttributeError, TypeError):
        status = 200
    responses = integration.get("integrationResponses") or {}
    response = responses.get(str(status)) or {}
    body = (response.get("responseTemplates") or {}).get("application/json") or ""
    return Answer(status, (("Content-Type", "application/json"), ("x-amzn-RequestId", request_id)), body.encode())


def http_proxy(inv: Invocation, route: Route, integration: Mapping[str, Any], request_id: str) -> Answer:
    uri = str(integration.get("uri"))
    for name, value in route.path_parameters.items():
        uri = uri.replace("{" + name + "+}", value).replace("{" + name + "}", urllib.parse.quote(value))
    host = urllib.parse.urlsplit(uri).hostname or ""
    if host not in _LOOPBACK:
        return json_answer(
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
