"""What an invocation of a stage is made of, API Gateway's answers, and how a path finds its
resource (Developer Guide ``api-gateway-request-flow``; ``handle-errors-in-lambda-integration``:
an unknown path answers 403 "Missing Authentication Token")."""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from localiam.errors import AwsError
from localiam.state.accounts import KeyRecord
from localiam.state.authz import Caller


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


def json_answer(status: int, body: Mapping[str, Any], error_type: str | None = None, request_id: str = "") -> Answer:
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id)]
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
    return Answer(status, tuple(headers), json.dumps(body).encode())


def missing_token(request_id: str = "") -> Answer:
    return json_answer(
        403, {"message": "Missing Authentication Token"}, "MissingAuthenticationTokenException", request_id
    )


def unauthorized(request_id: str = "") -> Answer:
    return json_answer(401, {"message": "Unauthorized"}, "UnauthorizedException", request_id)


def internal_error(status: int = 500, request_id: str = "") -> Answer:
    return json_answer(status, {"message": "Internal server error"}, None, request_id)


def denied(message: str, request_id: str = "") -> Answer:
    return json_answer(403, {"Message": message}, "AccessDeniedException", request_id)


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
    return json_answer(403, {"message": message}, kind, request_id)


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
    usage_key: str | None = None
    """A Lambda authorizer's ``usageIdentifierKey`` (the API key when ``apiKeySource`` is ``AUTHORIZER``)."""
    api_key: tuple[str, str] | None = None
    """``(id, value)`` of the API key the request was let through with."""


def forbidden(request_id: str = "") -> Answer:
    """API Gateway's answer to a method that requires an API key, without a usable one."""
    return json_answer(403, {"message": "Forbidden"}, "ForbiddenException", request_id)


@dataclass(frozen=True, slots=True)
class Stage:
    account: str
    region: str
    name: str
    variables: Mapping[str, str]
    snapshot: Mapping[str, Any]
    root_id: str


def stage_variables(text: str, variables: Mapping[str, str]) -> str:
    return re.sub(r"\$\{stageVariables\.(\w+)\}", lambda m: variables.get(m.group(1), ""), text)


def identity_value(inv: Invocation, source: str) -> str | None:
    """The value an identity source names: ``method.request.header.NAME`` or
    ``method.request.querystring.NAME``."""
    if source.startswith("method.request.header."):
        return header(inv.headers, source.split(".", 3)[3])
    if source.startswith("method.request.querystring."):
        wanted = source.split(".", 3)[3]
        for name, value in urllib.parse.parse_qsl(inv.query, keep_blank_values=True):
            if name == wanted:
                return value
    return None


def header(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    wanted = name.lower()
    return next((v for n, v in headers if n.lower() == wanted), None)


def clean_path(path: str) -> str:
    return "/" + path.strip("/") if path.strip("/") else "/"


def is_text(headers: Sequence[tuple[str, str]]) -> bool:
    kind = (header(headers, "content-type") or "").lower()
    return not kind or kind.startswith("text/") or "json" in kind or "xml" in kind or "form-urlencoded" in kind


def claim_text(value: Any) -> str:
    if isinstance(value, list):
        return "[" + " ".join(str(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
