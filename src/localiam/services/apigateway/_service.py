"""The ``apigateway`` registry and what its operations share: ids like AWS's (ten lower-case
letters and digits), the stored API document, AWS's errors, the IAM model of API Gateway
(Service Authorization Reference ``list_amazonapigatewaymanagement``: the action is the HTTP
method, ``apigateway:GET`` ..., on ``arn:aws:apigateway:REGION::/restapis/ID/...``, the path of
the call), and patch operations (``API_PatchOperation``).

Errors are API Gateway's: ``NotFoundException`` ("Invalid API identifier specified
ACCOUNT:ID", "Invalid Resource identifier specified"), ``BadRequestException``,
``ConflictException``, each ``{"message": ...}``.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import secrets
import string
from collections.abc import Callable, Mapping
from typing import Any

from localiam.errors import AwsError
from localiam.services.base import OperationContext, Params, ResourcePolicy, Service
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row

SERVICE = Service("apigateway", access_denied_code="AccessDeniedException")
TAG_RESOURCE = "apigateway"
_ALPHABET = string.ascii_lowercase + string.digits
LAMBDA_URI = re.compile(
    r"arn:aws:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/(arn:aws:lambda:[^/]+)/invocations"
)
"""A Lambda integration's or authorizer's ``uri``; the group is the function's ARN."""


def new_id(length: int = 10) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def error(code: str, message: str, status: int) -> AwsError:
    return AwsError(message, code=code, status=status)


def not_found(message: str) -> AwsError:
    return error("NotFoundException", message, 404)


def bad_request(message: str) -> AwsError:
    return error("BadRequestException", message, 400)


def conflict(message: str) -> AwsError:
    return error("ConflictException", message, 409)


def timestamp(epoch: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(epoch, _dt.UTC)


def management_arn(region: str, path: str) -> str:
    return f"arn:aws:apigateway:{region}::{path}"


def on(template: str) -> Callable[[OperationContext, Params], str]:
    """The resource of an operation: ``template`` (``/restapis/{restApiId}/stages/{stageName}``)
    filled from the parameters, as an API Gateway ARN."""

    def resource(ctx: OperationContext, params: Params) -> str:
        values = {k: str(v) for k, v in params.items() if isinstance(v, str | int)}
        try:
            path = template.format(**values)
        except KeyError:
            path = template
        return management_arn(ctx.region, path)

    return resource


def api_tags(ctx: OperationContext, params: Params) -> ResourcePolicy:
    api_id = params.get("restApiId")
    tags: dict[str, str] = {}
    if isinstance(api_id, str):
        tags = dict(iam_store.tags_of(ctx.tx, ctx.account_id, TAG_RESOURCE, f"/restapis/{api_id}"))
    return ResourcePolicy(None, None, tags=tags)


def request_tags(_ctx: OperationContext, params: Params) -> Mapping[str, str | list[str]]:
    tags = params.get("tags") or {}
    out: dict[str, str | list[str]] = {f"aws:RequestTag/{k}": str(v) for k, v in tags.items()}
    if tags:
        out["aws:TagKeys"] = list(tags)
    return out


def api_row(ctx: OperationContext, api_id: Any) -> Row:
    """The caller's API (another account's does not exist for the caller)."""
    row = iam_store.one(ctx.tx, schema.apigateway_apis, id=str(api_id))
    if row is None or row["account_id"] != ctx.account_id or row["region"] != ctx.region:
        raise not_found(f"Invalid API identifier specified {ctx.account_id}:{api_id}")
    return row


def document_of(row: Row) -> dict[str, Any]:
    return dict(json.loads(str(row["document"])))


def save(ctx: OperationContext, row: Row, document: dict[str, Any]) -> None:
    iam_store.change(
        ctx.tx,
        schema.apigateway_apis,
        {"id": row["id"]},
        name=str(document["name"]),
        document=json.dumps(document),
        updated_at=ctx.now,
    )
    ctx.tx.touch(ctx.account_id)


def resource_of(document: dict[str, Any], resource_id: Any) -> dict[str, Any]:
    found = document["resources"].get(str(resource_id))
    if found is None:
        raise not_found("Invalid Resource identifier specified")
    return dict(found)


def method_of(resource: dict[str, Any], http_method: Any) -> dict[str, Any]:
    found = resource.get("methods", {}).get(str(http_method).upper())
    if found is None:
        raise not_found("Invalid Method identifier specified")
    return dict(found)


def _pointer(path: str) -> list[str]:
    if not path.startswith("/"):
        raise bad_request(f"Invalid patch path {path}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def apply_patch(target: dict[str, Any], operations: Any, allowed: Mapping[str, Callable[[Any], Any]]) -> None:
    """``patchOperations`` on ``target``: ``replace``/``add`` set, ``remove`` drops. ``allowed``
    maps a first path segment to a converter of the value (``str``, ``int`` ...); other paths
    answer ``BadRequestException`` as AWS does ("Invalid patch path ...")."""
    for op in operations or []:
        kind, path, value = op.get("op"), str(op.get("path", "")), op.get("value")
        parts = _pointer(path)
        convert = allowed.get(parts[0])
        if convert is None or kind not in ("replace", "add", "remove"):
            raise bad_request(f"Invalid patch path {path}")
        if len(parts) == 1:
            if kind == "remove":
                target.pop(parts[0], None)
            else:
                target[parts[0]] = convert(value)
            continue
        nested = target.setdefault(parts[0], {})
        if not isinstance(nested, dict):
            raise bad_request(f"Invalid patch path {path}")
        key = "/".join(parts[1:])
        if kind == "remove":
            nested.pop(key, None)
        else:
            nested[key] = convert(value)


def boolean(value: Any) -> bool:
    return str(value).lower() == "true" if not isinstance(value, bool) else value


def integer(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"Invalid value {value}: expected a number") from None


def page(items: list[Any], params: Params) -> tuple[list[Any], str | None]:
    """One page of ``items`` (``limit``, at most 500, from ``position``) and the next position."""
    limit = params.get("limit") or 25
    if not isinstance(limit, int) or not 1 <= limit <= 500:
        raise bad_request("Invalid limit: must be between 1 and 500")
    start = int(params["position"]) if str(params.get("position") or "").isdigit() else 0
    chunk = items[start : start + limit]
    return chunk, (str(start + limit) if start + limit < len(items) else None)


def listing(items: list[Any], params: Params, shape: Callable[[Any], Any] = lambda item: item) -> dict[str, Any]:
    """A ``Get...s`` answer: the page's items as ``shape`` makes them, and the next ``position``."""
    chunk, position = page(items, params)
    out: dict[str, Any] = {"items": [shape(item) for item in chunk]}
    if position:
        out["position"] = position
    return out
