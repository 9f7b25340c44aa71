"""API keys and usage plans (API Gateway REST API Reference: ``CreateApiKey``, ``CreateUsagePlan``,
``CreateUsagePlanKey`` ...; developer guide ``api-gateway-api-usage-plans``).

A method with ``apiKeyRequired`` lets a request through only with the value of an enabled API
key (from the ``x-api-key`` header, or from a Lambda authorizer's ``usageIdentifierKey`` when
the API's ``apiKeySource`` is ``AUTHORIZER``) that belongs to a usage plan naming the API's
stage; anything else is API Gateway's ``403 {"message": "Forbidden"}`` (``ForbiddenException``).
The plan's throttle and quota then apply (:class:`Meter`): 429 ``{"message": "Too Many
Requests"}`` or ``{"message": "Limit Exceeded"}``. Each call is
authorized as the HTTP method on its path (``apigateway:POST`` on
``arn:aws:apigateway:REGION::/apikeys``, ``/usageplans/ID/keys`` ...).
"""

from __future__ import annotations

import datetime as _dt
import json
import secrets
import string
import threading
from typing import Any, NamedTuple

from localiam.services.apigateway._service import (
    SERVICE,
    TAG_RESOURCE,
    api_row,
    apply_patch,
    bad_request,
    boolean,
    conflict,
    listing,
    new_id,
    not_found,
    on,
    request_tags,
    timestamp,
)
from localiam.services.base import OperationContext, Params, Result
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row
from localiam.state.store import Tx

KEYS = schema.apigateway_api_keys
PLANS = schema.apigateway_usage_plans
MIN_VALUE = 20
_VALUE_ALPHABET = string.ascii_letters + string.digits
QUOTA_PERIODS = ("DAY", "WEEK", "MONTH")


# ----------------------------------------------------------------------------------- API keys
def _key_row(ctx: OperationContext, key_id: Any) -> Row:
    row = iam_store.one(ctx.tx, KEYS, id=str(key_id))
    if row is None or row["account_id"] != ctx.account_id or row["region"] != ctx.region:
        raise not_found("Invalid API Key identifier specified")
    return row


def _key(ctx: OperationContext, row: Row, *, with_value: bool) -> dict[str, Any]:
    document = json.loads(str(row["document"]))
    out: dict[str, Any] = {
        "id": row["id"],
        "name": document.get("name"),
        "enabled": bool(document.get("enabled")),
        "createdDate": timestamp(float(row["created_at"])),
        "lastUpdatedDate": timestamp(float(row["updated_at"])),
        "stageKeys": [],
    }
    for field in ("description", "customerId"):
        if document.get(field) is not None:
            out[field] = document[field]
    if with_value:
        out["value"] = row["value"]
    tags = dict(iam_store.tags_of(ctx.tx, ctx.account_id, TAG_RESOURCE, f"/apikeys/{row['id']}"))
    if tags:
        out["tags"] = tags
    return out


def _tag(ctx: OperationContext, path: str, params: Params) -> None:
    tags = {str(k): str(v) for k, v in (params.get("tags") or {}).items()}
    if tags:
        iam_store.put_tags(ctx.tx, ctx.account_id, TAG_RESOURCE, path, tags.items())


@SERVICE.operation(
    "CreateApiKey", action="apigateway:POST", resource=on("/apikeys"), condition_keys=request_tags, writes=True
)
def create_api_key(ctx: OperationContext, params: Params) -> Result:
    value = params.get("value")
    if value is None:
        value = "".join(secrets.choice(_VALUE_ALPHABET) for _ in range(40))
    elif not isinstance(value, str) or len(value) < MIN_VALUE:
        raise bad_request(f"API Key value should be at least {MIN_VALUE} characters")
    if iam_store.one(ctx.tx, KEYS, account_id=ctx.account_id, region=ctx.region, value=value) is not None:
        raise conflict("API Key already exists")
    document = {
        "name": params.get("name"),
        "description": params.get("description"),
        "enabled": bool(params.get("enabled", False)),
        "customerId": params.get("customerId"),
    }
    key_id = new_id()
    iam_store.add(
        ctx.tx,
        KEYS,
        id=key_id,
        account_id=ctx.account_id,
        region=ctx.region,
        value=value,
        document=json.dumps(document),
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    _tag(ctx, f"/apikeys/{key_id}", params)
    ctx.tx.touch(ctx.account_id)
    return _key(ctx, _key_row(ctx, key_id), with_value=True)


@SERVICE.operation("GetApiKey", action="apigateway:GET", resource=on("/apikeys/{apiKey}"))
def get_api_key(ctx: OperationContext, params: Params) -> Result:
    return _key(ctx, _key_row(ctx, params.get("apiKey")), with_value=bool(params.get("includeValue")))


@SERVICE.operation("GetApiKeys", action="apigateway:GET", resource=on("/apikeys"))
def get_api_keys(ctx: OperationContext, params: Params) -> Result:
    rows = iam_store.rows(ctx.tx, KEYS, order_by=("created_at", "id"), account_id=ctx.account_id, region=ctx.region)
    query, customer = params.get("nameQuery"), params.get("customerId")
    if query or customer:
        documents = {r["id"]: json.loads(str(r["document"])) for r in rows}
        if query:
            rows = [r for r in rows if str(documents[r["id"]].get("name") or "").startswith(str(query))]
        if customer:
            rows = [r for r in rows if documents[r["id"]].get("customerId") == customer]
    with_values = bool(params.get("includeValues"))
    return listing(rows, params, lambda r: _key(ctx, r, with_value=with_values))


@SERVICE.operation("UpdateApiKey", action="apigateway:PATCH", resource=on("/apikeys/{apiKey}"), writes=True)
def update_api_key(ctx: OperationContext, params: Params) -> Result:
    row = _key_row(ctx, params.get("apiKey"))
    document = json.loads(str(row["document"]))
    apply_patch(
        document,
        params.get("patchOperations"),
        {"name": str, "description": str, "enabled": boolean, "customerId": str},
    )
    iam_store.change(ctx.tx, KEYS, {"id": row["id"]}, document=json.dumps(document), updated_at=ctx.now)
    ctx.tx.touch(ctx.account_id)
    return _key(ctx, _key_row(ctx, row["id"]), with_value=False)


@SERVICE.operation("DeleteApiKey", action="apigateway:DELETE", resource=on("/apikeys/{apiKey}"), writes=True)
def delete_api_key(ctx: OperationContext, params: Params) -> Result:
    row = _key_row(ctx, params.get("apiKey"))
    for plan in _plans(ctx.tx, ctx.account_id, ctx.region):
        document = _plan_document(plan)
        if row["id"] in document["keys"]:
            document["keys"].remove(row["id"])
            _save_plan(ctx, plan, document)
    iam_store.remove(ctx.tx, KEYS, id=row["id"])
    iam_store.drop_tags(ctx.tx, ctx.account_id, TAG_RESOURCE, f"/apikeys/{row['id']}", None)
    ctx.tx.touch(ctx.account_id)
    return {}


# ----------------------------------------------------------------------------------- usage plans
def _plans(tx: Tx, account_id: str, region: str) -> list[Row]:
    return iam_store.rows(tx, PLANS, order_by=("created_at", "id"), account_id=account_id, region=region)


def _plan_row(ctx: OperationContext, plan_id: Any) -> Row:
    row = iam_store.one(ctx.tx, PLANS, id=str(plan_id))
    if row is None or row["account_id"] != ctx.account_id or row["region"] != ctx.region:
        raise not_found("Invalid Usage Plan ID specified")
    return row


def _plan_document(row: Row) -> dict[str, Any]:
    return dict(json.loads(str(row["document"])))


def _save_plan(ctx: OperationContext, row: Row, document: dict[str, Any]) -> None:
    iam_store.change(ctx.tx, PLANS, {"id": row["id"]}, document=json.dumps(document))
    ctx.tx.touch(ctx.account_id)


def _plan(ctx: OperationContext, row: Row) -> dict[str, Any]:
    document = _plan_document(row)
    out: dict[str, Any] = {"id": row["id"], "name": document["name"], "apiStages": document["apiStages"]}
    for field in ("description", "throttle", "quota", "productCode"):
        if document.get(field) is not None:
            out[field] = document[field]
    tags = dict(iam_store.tags_of(ctx.tx, ctx.account_id, TAG_RESOURCE, f"/usageplans/{row['id']}"))
    if tags:
        out["tags"] = tags
    return out


def _api_stage(ctx: OperationContext, raw: Any) -> dict[str, Any]:
    """One of a plan's ``apiStages``: the API and its stage must exist."""
    if not isinstance(raw, dict) or not raw.get("apiId") or not raw.get("stage"):
        raise bad_request("Invalid API Stage specified")
    api = api_row(ctx, raw["apiId"])
    if iam_store.one(ctx.tx, schema.apigateway_stages, api_id=api["id"], name=str(raw["stage"])) is None:
        raise bad_request(f"API Stage not found: {api['id']}:{raw['stage']}")
    out = {"apiId": str(api["id"]), "stage": str(raw["stage"])}
    if raw.get("throttle"):
        out["throttle"] = raw["throttle"]
    return out


def _quota(raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or raw.get("period") not in QUOTA_PERIODS or not isinstance(raw.get("limit"), int):
        raise bad_request("Invalid quota: a limit and a period of DAY, WEEK or MONTH are required")
    return {"limit": raw["limit"], "offset": int(raw.get("offset") or 0), "period": raw["period"]}


@SERVICE.operation(
    "CreateUsagePlan", action="apigateway:POST", resource=on("/usageplans"), condition_keys=request_tags, writes=True
)
def create_usage_plan(ctx: OperationContext, params: Params) -> Result:
    name = params.get("name")
    if not isinstance(name, str) or not name:
        raise bad_request("Invalid usage plan name specified")
    stages = [_api_stage(ctx, s) for s in params.get("apiStages") or []]
    document = {
        "name": name,
        "description": params.get("description"),
        "apiStages": stages,
        "throttle": params.get("throttle"),
        "quota": _quota(params.get("quota")),
        "productCode": params.get("productCode"),
        "keys": [],
    }
    plan_id = new_id(6)
    iam_store.add(
        ctx.tx,
        PLANS,
        id=plan_id,
        account_id=ctx.account_id,
        region=ctx.region,
        document=json.dumps(document),
        created_at=ctx.now,
    )
    _tag(ctx, f"/usageplans/{plan_id}", params)
    ctx.tx.touch(ctx.account_id)
    return _plan(ctx, _plan_row(ctx, plan_id))


@SERVICE.operation("GetUsagePlan", action="apigateway:GET", resource=on("/usageplans/{usagePlanId}"))
def get_usage_plan(ctx: OperationContext, params: Params) -> Result:
    return _plan(ctx, _plan_row(ctx, params.get("usagePlanId")))


@SERVICE.operation("GetUsagePlans", action="apigateway:GET", resource=on("/usageplans"))
def get_usage_plans(ctx: OperationContext, params: Params) -> Result:
    rows = _plans(ctx.tx, ctx.account_id, ctx.region)
    key_id = params.get("keyId")
    if key_id:
        rows = [r for r in rows if key_id in _plan_document(r)["keys"]]
    return listing(rows, params, lambda r: _plan(ctx, r))


def _stage_patch(ctx: OperationContext, document: dict[str, Any], operations: list[Any]) -> list[Any]:
    """Apply the ``/apiStages`` operations (value ``apiId:stage``); the others are returned."""
    rest = []
    for op in operations:
        if str(op.get("path")) != "/apiStages":
            rest.append(op)
            continue
        api_id, _, stage = str(op.get("value") or "").partition(":")
        if op.get("op") == "add":
            added = _api_stage(ctx, {"apiId": api_id, "stage": stage})
            if not any(s["apiId"] == api_id and s["stage"] == stage for s in document["apiStages"]):
                document["apiStages"].append(added)
        elif op.get("op") == "remove":
            document["apiStages"] = [
                s for s in document["apiStages"] if not (s["apiId"] == api_id and s["stage"] == stage)
            ]
        else:
            raise bad_request(f"Invalid patch operation specified. Must be one of: [add, remove] for {op.get('path')}")
    return rest


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise bad_request(f"Invalid value {value}: expected a number") from None


@SERVICE.operation("UpdateUsagePlan", action="apigateway:PATCH", resource=on("/usageplans/{usagePlanId}"), writes=True)
def update_usage_plan(ctx: OperationContext, params: Params) -> Result:
    row = _plan_row(ctx, params.get("usagePlanId"))
    document = _plan_document(row)
    rest = _stage_patch(ctx, document, list(params.get("patchOperations") or []))
    for section in ("throttle", "quota"):
        if document.get(section) is None:
            document[section] = {}
    apply_patch(
        document,
        rest,
        {"name": str, "description": str, "productCode": str, "throttle": _number, "quota": str},
    )
    for section in ("throttle", "quota"):
        if not document.get(section):
            document[section] = None
    if document.get("throttle") is not None and "burstLimit" in document["throttle"]:
        document["throttle"]["burstLimit"] = int(document["throttle"]["burstLimit"])
    if document.get("quota") is not None:
        quota = dict(document["quota"])
        document["quota"] = _quota(
            {"limit": int(_number(quota.get("limit"))), "offset": quota.get("offset"), "period": quota.get("period")}
        )
    _save_plan(ctx, row, document)
    return _plan(ctx, _plan_row(ctx, row["id"]))


@SERVICE.operation("DeleteUsagePlan", action="apigateway:DELETE", resource=on("/usageplans/{usagePlanId}"), writes=True)
def delete_usage_plan(ctx: OperationContext, params: Params) -> Result:
    row = _plan_row(ctx, params.get("usagePlanId"))
    iam_store.remove(ctx.tx, PLANS, id=row["id"])
    iam_store.drop_tags(ctx.tx, ctx.account_id, TAG_RESOURCE, f"/usageplans/{row['id']}", None)
    ctx.tx.touch(ctx.account_id)
    return {}


# ----------------------------------------------------------------------------------- plan keys
def _plan_key(row: Row) -> dict[str, Any]:
    document = json.loads(str(row["document"]))
    return {"id": row["id"], "type": "API_KEY", "value": row["value"], "name": document.get("name")}


@SERVICE.operation(
    "CreateUsagePlanKey", action="apigateway:POST", resource=on("/usageplans/{usagePlanId}/keys"), writes=True
)
def create_usage_plan_key(ctx: OperationContext, params: Params) -> Result:
    row = _plan_row(ctx, params.get("usagePlanId"))
    if params.get("keyType") != "API_KEY":
        raise bad_request("Invalid key type specified: only API_KEY is supported")
    key = _key_row(ctx, params.get("keyId"))
    document = _plan_document(row)
    if key["id"] in document["keys"]:
        raise conflict(f"Usage Plan {row['id']} already has API Key {key['id']}")
    stages = {(s["apiId"], s["stage"]) for s in document["apiStages"]}
    for other in _plans(ctx.tx, ctx.account_id, ctx.region):
        theirs = _plan_document(other)
        shared = stages & {(s["apiId"], s["stage"]) for s in theirs["apiStages"]}
        if other["id"] != row["id"] and key["id"] in theirs["keys"] and shared:
            raise conflict(
                f"Usage Plan {row['id']} cannot be added because API Key {key['id']} cannot reference "
                "multiple Usage Plans with the same API Stage"
            )
    document["keys"].append(key["id"])
    _save_plan(ctx, row, document)
    return _plan_key(key)


def _member(ctx: OperationContext, params: Params) -> tuple[Row, Row]:
    plan = _plan_row(ctx, params.get("usagePlanId"))
    key = _key_row(ctx, params.get("keyId"))
    if key["id"] not in _plan_document(plan)["keys"]:
        raise not_found("Invalid API Key identifier specified")
    return plan, key


@SERVICE.operation("GetUsagePlanKey", action="apigateway:GET", resource=on("/usageplans/{usagePlanId}/keys/{keyId}"))
def get_usage_plan_key(ctx: OperationContext, params: Params) -> Result:
    return _plan_key(_member(ctx, params)[1])


@SERVICE.operation("GetUsagePlanKeys", action="apigateway:GET", resource=on("/usageplans/{usagePlanId}/keys"))
def get_usage_plan_keys(ctx: OperationContext, params: Params) -> Result:
    plan = _plan_row(ctx, params.get("usagePlanId"))
    keys = [iam_store.one(ctx.tx, KEYS, id=key_id) for key_id in _plan_document(plan)["keys"]]
    items = [_plan_key(k) for k in keys if k is not None]
    query = params.get("nameQuery")
    if query:
        items = [k for k in items if str(k.get("name") or "").startswith(str(query))]
    return listing(items, params)


@SERVICE.operation(
    "DeleteUsagePlanKey",
    action="apigateway:DELETE",
    resource=on("/usageplans/{usagePlanId}/keys/{keyId}"),
    writes=True,
)
def delete_usage_plan_key(ctx: OperationContext, params: Params) -> Result:
    plan, key = _member(ctx, params)
    document = _plan_document(plan)
    document["keys"].remove(key["id"])
    _save_plan(ctx, plan, document)
    return {}


# ----------------------------------------------------------------------------------- invocation
class UsableKey(NamedTuple):
    key_id: str
    value: str
    plan_id: str
    throttle: dict[str, Any] | None
    quota: dict[str, Any] | None
    plan_created: float = 0.0


def usable_key(tx: Tx, account_id: str, region: str, api_id: str, stage: str, value: str | None) -> UsableKey | None:
    """The enabled API key of this value and the usage plan that lets it call ``api_id``'s
    ``stage`` (a key is in at most one plan per stage)."""
    if not value:
        return None
    key = iam_store.one(tx, KEYS, account_id=account_id, region=region, value=value)
    if key is None or not json.loads(str(key["document"])).get("enabled"):
        return None
    for plan in _plans(tx, account_id, region):
        document = _plan_document(plan)
        if key["id"] in document["keys"] and any(
            s["apiId"] == api_id and s["stage"] == stage for s in document["apiStages"]
        ):
            return UsableKey(
                str(key["id"]),
                value,
                str(plan["id"]),
                document.get("throttle"),
                document.get("quota"),
                float(plan["created_at"]),
            )
    return None


class Meter:
    """Usage plans' throttle (a token bucket per key and plan: ``burstLimit`` tokens, refilled at
    ``rateLimit`` a second) and quota (``limit`` requests per UTC ``DAY``, ``WEEK`` from Sunday or
    calendar ``MONTH``; ``offset`` requests fewer in the period the plan was created in:
    ``API_QuotaSettings``), counted in this process's memory: a restart, or another process,
    starts the counts again. Thread-safe."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self._counts: dict[tuple[str, str], tuple[str, int]] = {}
        self._lock = threading.Lock()

    def admit(self, key: UsableKey, now: float) -> str | None:
        """``None`` when the request may go on; else why not: ``"throttled"`` or ``"quota"``."""
        where = (key.plan_id, key.key_id)
        with self._lock:
            if key.throttle and not self._take(where, key.throttle, now):
                return "throttled"
            if key.quota:
                period = str(key.quota.get("period"))
                window = _window(period, now)
                started, used = self._counts.get(where, (window, 0))
                used = used if started == window else 0
                limit = int(key.quota["limit"])
                if window == _window(period, key.plan_created):
                    limit -= int(key.quota.get("offset") or 0)
                if used >= limit:
                    return "quota"
                self._counts[where] = (window, used + 1)
        return None

    def _take(self, where: tuple[str, str], throttle: dict[str, Any], now: float) -> bool:
        rate, burst = float(throttle.get("rateLimit") or 0), float(throttle.get("burstLimit") or 0)
        tokens, last = self._buckets.get(where, (burst, now))
        tokens = min(burst, tokens + (now - last) * rate)
        if tokens < 1:
            self._buckets[where] = (tokens, now)
            return False
        self._buckets[where] = (tokens - 1, now)
        return True


def _window(period: str, now: float) -> str:
    """The quota period ``now`` falls in, as text: the UTC day, the Sunday its week starts on, or
    its month."""
    day = _dt.datetime.fromtimestamp(now, _dt.UTC).date()
    if period == "DAY":
        return day.isoformat()
    if period == "WEEK":
        return (day - _dt.timedelta(days=(day.weekday() + 1) % 7)).isoformat()
    return f"{day.year}-{day.month:02d}"
