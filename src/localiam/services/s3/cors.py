"""Cross-origin resource sharing: the rules a bucket's CORS configuration may hold, and the
answer to a browser's preflight ``OPTIONS`` request (``cors``, "How does Amazon S3 evaluate
the CORS configuration on a bucket?"; ``RESTOPTIONSobject``).

S3 "evaluates the CORS configuration on the bucket and uses the first CORSRule rule that
matches the incoming browser request": the ``Origin`` must match one ``AllowedOrigin`` (which
may hold one ``*`` wildcard), the method (``Access-Control-Request-Method`` for a preflight)
one ``AllowedMethod``, and every header named in ``Access-Control-Request-Headers`` one
``AllowedHeader`` (one ``*`` allowed). A preflight no rule allows is ``403 CORSResponse``; a
preflight without an ``Origin`` is ``400``. The preflight is not authenticated: "the OPTIONS
request [...] is not signed".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from localiam.services.base import Operation, OperationContext, Params, Result
from localiam.services.s3._service import SERVICE
from localiam.services.s3.common import decode_config, error, find_bucket, no_such_bucket

CORS_METHODS = ("GET", "PUT", "HEAD", "POST", "DELETE")
MAX_CORS_RULES = 100
_NOT_ALLOWED = (
    "This CORS request is not allowed. This is usually because the evalution of Origin, request method / "
    "Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."
)


def check_cors_rules(rules: Sequence[Mapping[str, Any]]) -> None:
    """``API_CORSRule``: 1-100 rules, each with ``AllowedMethods`` among GET, PUT, HEAD, POST
    and DELETE and at least one ``AllowedOrigins``; an origin or header holds at most one
    ``*``."""
    if not rules or len(rules) > MAX_CORS_RULES:
        raise error(
            "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"
        )
    for rule in rules:
        methods = rule.get("AllowedMethods") or []
        if not methods or not rule.get("AllowedOrigins"):
            raise error(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
            )
        for method in methods:
            if method not in CORS_METHODS:
                raise error(
                    "InvalidRequest",
                    f"Found unsupported HTTP method in CORS config. Unsupported method is {method}",
                )
        for origin in rule.get("AllowedOrigins") or []:
            if str(origin).count("*") > 1:
                raise error("InvalidRequest", f'AllowedOrigin "{origin}" can not have more than one wildcard.')
        for header in rule.get("AllowedHeaders") or []:
            if str(header).count("*") > 1:
                raise error("InvalidRequest", f'AllowedHeader "{header}" can not have more than one wildcard.')


def _wildcard(pattern: str, value: str, *, case_sensitive: bool) -> bool:
    """At most one ``*`` (the configuration is checked when put): a prefix and a suffix."""
    flags = 0 if case_sensitive else re.IGNORECASE
    head, star, tail = pattern.partition("*")
    if not star:
        return re.fullmatch(re.escape(pattern), value, flags) is not None
    return re.fullmatch(f"{re.escape(head)}.*{re.escape(tail)}", value, flags | re.DOTALL) is not None


def matching_rule(
    rules: Sequence[Mapping[str, Any]], origin: str, method: str, headers: Sequence[str]
) -> Mapping[str, Any] | None:
    """The first rule allowing ``origin``, ``method`` and every one of ``headers``. Origins
    compare case-sensitively, header names case-insensitively."""
    for rule in rules:
        if not any(_wildcard(str(o), origin, case_sensitive=True) for o in rule.get("AllowedOrigins") or []):
            continue
        if method not in (rule.get("AllowedMethods") or []):
            continue
        allowed = [str(h) for h in rule.get("AllowedHeaders") or []]
        if all(any(_wildcard(a, h, case_sensitive=False) for a in allowed) for h in headers):
            return rule
    return None


def cors_headers(rule: Mapping[str, Any], origin: str, method: str, headers: Sequence[str]) -> dict[str, str]:
    """The ``Access-Control-*`` headers S3 answers a request ``rule`` allows (an origin rule of
    ``*`` answers ``*``, without credentials)."""
    wildcard_origin = "*" in (rule.get("AllowedOrigins") or [])
    out = {
        "Access-Control-Allow-Origin": "*" if wildcard_origin else origin,
        "Access-Control-Allow-Methods": ", ".join(rule.get("AllowedMethods") or []),
        "Vary": "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
    }
    if not wildcard_origin:
        out["Access-Control-Allow-Credentials"] = "true"
    if headers:
        out["Access-Control-Allow-Headers"] = ", ".join(h.lower() for h in headers)
    if rule.get("ExposeHeaders"):
        out["Access-Control-Expose-Headers"] = ", ".join(rule["ExposeHeaders"])
    if rule.get("MaxAgeSeconds") is not None:
        out["Access-Control-Max-Age"] = str(rule["MaxAgeSeconds"])
    return out


def actual_request_headers(ctx: OperationContext, params: Params, method: str) -> dict[str, str]:
    """The CORS headers of an answer to a request with an ``Origin`` (not a preflight) that a
    rule of the bucket allows: ``Access-Control-Allow-Origin`` and the rest, so that the
    browser lets the page read it; none otherwise (``cors``)."""
    origin = ctx.request_headers.get("origin")
    name = params.get("Bucket")
    if not origin or not name or "Origin" in params:
        return {}
    bucket = find_bucket(ctx, str(name))
    if bucket is None or bucket.cors_text is None:
        return {}
    rule = matching_rule(decode_config(bucket.cors_text), origin, method, ())
    if rule is None:
        return {}
    headers = cors_headers(rule, origin, method, ())
    headers.pop("Access-Control-Max-Age", None)
    return headers


SERVICE.response_headers = actual_request_headers


def _no_authorization(ctx: OperationContext, op: Operation, params: Params) -> None:
    """A preflight is answered from the bucket's CORS configuration alone."""


@SERVICE.operation("PreflightCorsRequest", action=None, authorizer=_no_authorization, signed=False)
def preflight(ctx: OperationContext, params: Params) -> Result:
    """``RESTOPTIONSobject``: ``OPTIONS /bucket/key`` with ``Origin`` and
    ``Access-Control-Request-Method`` (and optionally ``Access-Control-Request-Headers``)."""
    name = str(params.get("Bucket") or "")
    origin = params.get("Origin")
    method = params.get("AccessControlRequestMethod")
    if not origin:
        raise error("BadRequest", "Insufficient information. Origin request header needed.")
    if not method:
        raise error("BadRequest", "Invalid Access-Control-Request-Method: null")
    if method not in CORS_METHODS:
        raise error("BadRequest", f"Invalid Access-Control-Request-Method: {method}")
    bucket = find_bucket(ctx, name)
    if bucket is None:
        raise no_such_bucket(name)
    headers = [h.strip() for h in str(params.get("AccessControlRequestHeaders") or "").split(",") if h.strip()]
    if bucket.cors_text is None:
        raise error("CORSResponse", "CORS is not enabled for this bucket.", 403)
    rule = matching_rule(decode_config(bucket.cors_text), str(origin), str(method), headers)
    if rule is None:
        raise error("CORSResponse", _NOT_ALLOWED, 403, Method=str(method), ResourceType="OBJECT")
    return {"CorsHeaders": cors_headers(rule, str(origin), str(method), headers)}
