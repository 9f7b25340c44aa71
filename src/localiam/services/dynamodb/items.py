"""PutItem, GetItem, UpdateItem, DeleteItem (``API_PutItem`` ...), each authorized with its
partition key, the attributes it names and its ``ReturnValues`` (:mod:`.access`)."""

from __future__ import annotations

from dataclasses import dataclass

from localiam.services.base import Operation, OperationContext, Params, Result
from localiam.services.dynamodb import writes
from localiam.services.dynamodb._service import (
    SERVICE,
    Table,
    TableRef,
    encoded_keys,
    key_text,
    key_values,
    load_table,
    not_found,
    table_ref,
)
from localiam.services.dynamodb.access import ItemAccess, authorize, top_level
from localiam.services.dynamodb.expressions import ast, legacy
from localiam.services.dynamodb.expressions.evaluate import check_update_paths, project
from localiam.services.dynamodb.expressions.parse import parse_update
from localiam.services.dynamodb.requests import (
    PARSED,
    capacity,
    condition_of,
    parsed,
    projection_of,
    read_units,
    return_values,
    substitutions,
    write_units,
)
from localiam.services.dynamodb.values import Item, item_size, normalise_item, validation


@dataclass
class ItemRequest:
    ref: TableRef
    table: Table
    item: Item  # the item (PutItem) or its key
    condition: ast.Condition | None = None
    update: ast.Update | None = None
    projection: tuple[ast.Path, ...] | None = None
    return_values: str = "NONE"


def prepare(
    ctx: OperationContext,
    params: Params,
    action: str,
    *,
    whole_item: bool = False,
    allowed_returns: tuple[str, ...] = ("NONE", "ALL_OLD"),
    update: bool = False,
    projection: bool = False,
    enclosing: str | None = None,
) -> ItemRequest:
    ref = table_ref(ctx, params.get("TableName"))
    table = load_table(ctx, ref)
    member = "Item" if whole_item else "Key"
    if params.get(member) is None:
        raise validation(
            f"1 validation error detected: Value null at '{member.lower()}' failed to satisfy constraint: "
            "Member must not be null"
        )
    item = normalise_item(params[member])
    subs = substitutions(params)
    cond = None if projection else condition_of(params, subs)
    change = None
    if update:
        legacy.refuse_mixing(params, ("AttributeUpdates",), ("UpdateExpression",))
        if params.get("UpdateExpression") is not None:
            change = parse_update(str(params["UpdateExpression"]), subs)
        else:
            change = legacy.attribute_updates(params.get("AttributeUpdates"))
        if change is not None:
            check_update_paths(change)
    paths = projection_of(params, subs) if projection else None
    subs.check_all_used()
    returns = "NONE"
    if not projection:
        returns = return_values(
            params,
            allowed_returns,
            "Return values set to invalid value" if update else "ReturnValues can only be ALL_OLD or NONE",
        )
    leading = None
    names: list[str] = list(item) if whole_item else []
    if table is not None:
        hash_value, _ = key_values(table.keys, item, exact=not whole_item)
        leading = (key_text(hash_value),)
        names = [*table.keys.names, *names] if not whole_item else names
        if change is not None:
            for action_ in change.actions:
                if action_.path.top in table.keys.names:
                    raise validation(
                        "One or more parameter values were invalid: Cannot update attribute "
                        f"{action_.path.top}. This attribute is part of the key"
                    )
    if change is not None:
        names += [a.path.top for a in change.actions]
    if paths is not None:
        names += [p.top for p in paths]
    access = ItemAccess(
        leading_keys=leading,
        attributes=top_level(names),
        select=("SPECIFIC_ATTRIBUTES" if paths is not None else "ALL_ATTRIBUTES") if projection else None,
        return_values=None if projection else returns,
        return_consumed_capacity=str(params.get("ReturnConsumedCapacity") or "NONE") if enclosing is None else None,
        enclosing=enclosing,
    )
    authorize(ctx, action, ref, table, access)
    if table is None:
        raise not_found(f"Requested resource not found: Table: {ref.name} not found")
    request = ItemRequest(ref, table, item, cond, change, paths, returns)
    params[PARSED] = request
    return request


def _authorize_put(ctx: OperationContext, _op: Operation, params: Params) -> None:
    prepare(ctx, params, "PutItem", whole_item=True)


def _authorize_get(ctx: OperationContext, _op: Operation, params: Params) -> None:
    prepare(ctx, params, "GetItem", projection=True)


def _authorize_update(ctx: OperationContext, _op: Operation, params: Params) -> None:
    prepare(
        ctx,
        params,
        "UpdateItem",
        update=True,
        allowed_returns=("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"),
    )


def _authorize_delete(ctx: OperationContext, _op: Operation, params: Params) -> None:
    prepare(ctx, params, "DeleteItem")


def _on_failure(params: Params) -> str | None:
    value = params.get("ReturnValuesOnConditionCheckFailure")
    return str(value) if value is not None else None


@SERVICE.operation("PutItem", action="dynamodb:PutItem", writes=True, authorizer=_authorize_put)
def put_item(ctx: OperationContext, params: Params) -> Result:
    request: ItemRequest = parsed(params)
    old = writes.put(ctx, request.table, request.item, request.condition, _on_failure(params))
    out: Result = {}
    if request.return_values == "ALL_OLD" and old is not None:
        out["Attributes"] = old
    consumed = capacity(params, request.ref.name, lambda: write_units(item_size(request.item)))
    if consumed:
        out["ConsumedCapacity"] = consumed
    return out


@SERVICE.operation("GetItem", action="dynamodb:GetItem", authorizer=_authorize_get)
def get_item(ctx: OperationContext, params: Params) -> Result:
    request: ItemRequest = parsed(params)
    keys = encoded_keys(request.table.keys, request.item, exact=True)
    item = writes.current(ctx, request.table, keys)
    out: Result = {}
    if item is not None:
        out["Item"] = project(item, request.projection) if request.projection is not None else item
    consumed = capacity(
        params, request.ref.name, read_units(item_size(item) if item else 0, bool(params.get("ConsistentRead")))
    )
    if consumed:
        out["ConsumedCapacity"] = consumed
    return out


@SERVICE.operation("UpdateItem", action="dynamodb:UpdateItem", writes=True, authorizer=_authorize_update)
def update_item(ctx: OperationContext, params: Params) -> Result:
    request: ItemRequest = parsed(params)
    old, new = writes.update(ctx, request.table, request.item, request.update, request.condition, _on_failure(params))
    out: Result = {}
    named = tuple(a.path for a in request.update.actions) if request.update else ()
    returns = request.return_values
    if returns == "ALL_OLD" and old is not None:
        out["Attributes"] = old
    elif returns == "ALL_NEW":
        out["Attributes"] = new
    elif returns in ("UPDATED_OLD", "UPDATED_NEW"):
        attributes = writes.updated_attributes(old, new, named, before=returns == "UPDATED_OLD")
        if attributes:
            out["Attributes"] = attributes
    consumed = capacity(params, request.ref.name, write_units(item_size(new)))
    if consumed:
        out["ConsumedCapacity"] = consumed
    return out


@SERVICE.operation("DeleteItem", action="dynamodb:DeleteItem", writes=True, authorizer=_authorize_delete)
def delete_item(ctx: OperationContext, params: Params) -> Result:
    request: ItemRequest = parsed(params)
    old = writes.delete(ctx, request.table, request.item, request.condition, _on_failure(params))
    out: Result = {}
    if request.return_values == "ALL_OLD" and old is not None:
        out["Attributes"] = old
    consumed = capacity(params, request.ref.name, write_units(item_size(old) if old else 0))
    if consumed:
        out["ConsumedCapacity"] = consumed
    return out
