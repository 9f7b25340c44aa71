"""TransactWriteItems and TransactGetItems (``transaction-apis``, ``API_TransactWriteItems``):
up to 100 actions, all or nothing, in one store transaction. Every condition is checked first;
when one fails nothing is written and ``TransactionCanceledException`` lists a reason per
action, in order (``None``, ``ConditionalCheckFailed`` with the item when asked, ``ValidationError``).
Two actions on one item are refused. Each action is authorized as its own operation
(``dynamodb:PutItem``, ``UpdateItem``, ``DeleteItem``, ``ConditionCheckItem``, ``GetItem``) with
``dynamodb:EnclosingOperation`` naming the transaction (``transaction-apis-iam``)."""

from __future__ import annotations

from typing import Any

from localiam.errors import AwsError
from localiam.services.base import Operation, OperationContext, Params, Result
from localiam.services.dynamodb import writes
from localiam.services.dynamodb._service import SERVICE, encoded_keys
from localiam.services.dynamodb.expressions.evaluate import project
from localiam.services.dynamodb.items import ItemRequest, prepare
from localiam.services.dynamodb.requests import PARSED, parsed
from localiam.services.dynamodb.values import to_json, validation

_WRITES = {
    "Put": ("PutItem", {"whole_item": True}),
    "Update": ("UpdateItem", {"update": True}),
    "Delete": ("DeleteItem", {}),
    "ConditionCheck": ("ConditionCheckItem", {}),
}


class TransactionCanceled(AwsError):
    code = "TransactionCanceledException"
    status = 400
    sender_fault = True

    def __init__(self, reasons: list[dict[str, Any]]) -> None:
        codes = ", ".join(r["Code"] for r in reasons)
        super().__init__(f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]")
        self.fields["CancellationReasons"] = reasons


def _count(items: Any, limit: int = 100) -> list[dict[str, Any]]:
    if not isinstance(items, list) or not items:
        raise validation(
            "1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: Member must "
            "not be null"
        )
    if len(items) > limit:
        raise validation(
            f"1 validation error detected: Value '[...]' at 'transactItems' failed to satisfy constraint: Member "
            f"must have length less than or equal to {limit}"
        )
    return items


def _authorize_write(ctx: OperationContext, _op: Operation, params: Params) -> None:
    plan: list[tuple[str, ItemRequest]] = []
    seen: set[tuple[str, bytes, bytes]] = set()
    for entry in _count(params.get("TransactItems")):
        kinds = [k for k in _WRITES if entry.get(k) is not None]
        if len(kinds) != 1:
            raise validation("TransactItems can only contain one of Check, Put, Update or Delete")
        kind = kinds[0]
        action, options = _WRITES[kind]
        spec = dict(entry[kind])
        if kind == "ConditionCheck" and not spec.get("ConditionExpression"):
            raise validation(
                "1 validation error detected: Value null at 'transactItems.1.member.conditionCheck.conditionExpression'"
                " failed to satisfy constraint: Member must not be null"
            )
        request = prepare(ctx, spec, action, enclosing="TransactWriteItems", **options)  # type: ignore[arg-type]
        keys = encoded_keys(request.table.keys, request.item, exact=kind != "Put")
        marker = (request.table.uid, keys[0], keys[1])
        if marker in seen:
            raise validation("Transaction request cannot include multiple operations on one item")
        seen.add(marker)
        plan.append((kind, request))
        entry[kind] = spec
    params[PARSED] = plan


@SERVICE.operation("TransactWriteItems", action="dynamodb:TransactWriteItems", writes=True, authorizer=_authorize_write)
def transact_write_items(ctx: OperationContext, params: Params) -> Result:
    plan: list[tuple[str, ItemRequest]] = parsed(params)
    reasons: list[dict[str, Any]] = []
    failed = False
    for kind, request in plan:
        on_failure = request_spec(params, plan, request).get("ReturnValuesOnConditionCheckFailure")
        keys = encoded_keys(request.table.keys, request.item, exact=kind != "Put")
        old = writes.current(ctx, request.table, keys, lock=True)
        if request.condition is not None and not writes.condition_holds(old, request.condition):
            reason: dict[str, Any] = {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}
            if on_failure == "ALL_OLD" and old is not None:
                reason["Item"] = {k: to_json(v) for k, v in old.items()}
            reasons.append(reason)
            failed = True
        else:
            reasons.append({"Code": "None"})
    if failed:
        raise TransactionCanceled(reasons)
    for kind, request in plan:
        if kind == "Put":
            writes.put(ctx, request.table, request.item)
        elif kind == "Update":
            writes.update(ctx, request.table, request.item, request.update)
        elif kind == "Delete":
            writes.delete(ctx, request.table, request.item)
    return {}


def request_spec(params: Params, plan: list[tuple[str, ItemRequest]], request: ItemRequest) -> dict[str, Any]:
    for (kind, candidate), entry in zip(plan, params["TransactItems"], strict=True):
        if candidate is request:
            spec: dict[str, Any] = entry[kind]
            return spec
    return {}


def _authorize_get(ctx: OperationContext, _op: Operation, params: Params) -> None:
    plan: list[ItemRequest] = []
    for entry in _count(params.get("TransactItems")):
        if entry.get("Get") is None:
            raise validation("TransactItems can only contain Get")
        spec = dict(entry["Get"])
        plan.append(prepare(ctx, spec, "GetItem", projection=True, enclosing="TransactGetItems"))
    params[PARSED] = plan


@SERVICE.operation("TransactGetItems", action="dynamodb:TransactGetItems", authorizer=_authorize_get)
def transact_get_items(ctx: OperationContext, params: Params) -> Result:
    plan: list[ItemRequest] = parsed(params)
    responses: list[dict[str, Any]] = []
    for request in plan:
        item = writes.current(ctx, request.table, encoded_keys(request.table.keys, request.item, exact=True))
        if item is None:
            responses.append({})
        else:
            responses.append({"Item": project(item, request.projection) if request.projection is not None else item})
    return {"Responses": responses}
