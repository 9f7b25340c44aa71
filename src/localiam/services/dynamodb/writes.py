"""Writing one item in a transaction, the way PutItem, UpdateItem, DeleteItem, BatchWriteItem
and TransactWriteItems all do: read the current item (locked on PostgreSQL), check the
condition, write the item and its secondary index entries (``GSI``, ``LSI``: an item is in an
index only when it has the index's key attributes), keep the 400 KB limit.

A failed condition raises :class:`ConditionFailed` (``ConditionalCheckFailedException``, "The
conditional request failed", with the item when ``ReturnValuesOnConditionCheckFailure`` is
``ALL_OLD``)."""

from __future__ import annotations

import json

from localiam.errors import AwsError
from localiam.services.base import OperationContext
from localiam.services.dynamodb._service import Table, encoded_keys
from localiam.services.dynamodb.expressions import ast
from localiam.services.dynamodb.expressions.evaluate import apply_update, condition, project
from localiam.services.dynamodb.values import (
    Item,
    check_item_size,
    encode_key,
    invalid,
    item_from_json,
    item_to_json,
    kind_of,
    to_json,
)
from localiam.state import dynamodb_store


class ConditionFailed(AwsError):
    code = "ConditionalCheckFailedException"
    status = 400
    sender_fault = True

    def __init__(self, item: Item | None = None) -> None:
        super().__init__("The conditional request failed")
        self.item = item
        if item is not None:
            self.fields["Item"] = {name: to_json(value) for name, value in item.items()}


def current(ctx: OperationContext, table: Table, keys: tuple[bytes, bytes], *, lock: bool = False) -> Item | None:
    """The item stored under ``keys``, unless absent or expired. A read outside a write is
    answered from the store's row cache while no write at all has committed since (as S3's
    object metadata is, ``Authz.row``); the item is decoded afresh each time."""
    if lock:
        row = dynamodb_store.item(ctx.tx, table.uid, keys[0], keys[1], lock=True)
    else:
        row = ctx.authz.row(
            ctx.tx, ("dynamodb-item", table.uid, keys), lambda: dynamodb_store.item(ctx.tx, table.uid, *keys)
        )
    if row is None:
        return None
    item = item_from_json(json.loads(row["item"]))
    if table.expired(item, ctx.now):
        return None
    return item


def condition_holds(old: Item | None, cond: ast.Condition) -> bool:
    return condition(old or {}, cond)


def check(old: Item | None, cond: ast.Condition | None, return_on_failure: str | None = None) -> None:
    if cond is None:
        return
    if not condition_holds(old, cond):
        raise ConditionFailed(old if return_on_failure == "ALL_OLD" and old is not None else None)


def _index_keys(table: Table, name: str, item: Item) -> tuple[bytes, bytes] | None:
    schema = table.indexes[name][0]
    values = []
    for attribute, expected in ((schema.hash_name, schema.hash_type), (schema.range_name, schema.range_type)):
        if attribute is None:
            values.append(b"")
            continue
        value = item.get(attribute)
        if value is None:
            return None
        if kind_of(value) != expected:
            raise invalid(
                f"Type mismatch for Index Key {attribute} Expected: {expected} Actual: {kind_of(value)} "
                f"IndexName: {name}"
            )
        if expected in ("S", "B") and not value[expected]:
            raise invalid(
                f"One or more parameter values are not valid. A value specified for a secondary index key is not "
                f"supported. The AttributeValue for a key attribute cannot contain an empty string value. "
                f"IndexName: {name}, IndexKey: {attribute}"
            )
        values.append(encode_key(value))
    return values[0], values[1]


def store(
    ctx: OperationContext,
    table: Table,
    keys: tuple[bytes, bytes],
    item: Item,
    *,
    existed: bool,
    size: int | None = None,
) -> None:
    """Write ``item`` (``size``: its size, when the caller has checked it already)."""
    if size is None:
        size = check_item_size(item)
    index_keys = {name: _index_keys(table, name, item) for name in table.indexes}
    dynamodb_store.put_item(
        ctx.tx, table.uid, keys[0], keys[1], json.dumps(item_to_json(item), separators=(",", ":")), size, exists=existed
    )
    if table.indexes:
        if existed:
            dynamodb_store.delete_index_entries(ctx.tx, table.uid, keys)
        for name, entry in index_keys.items():
            if entry is not None:
                dynamodb_store.put_index_entry(ctx.tx, table.uid, name, entry, keys)


def _existed(ctx: OperationContext, table: Table, keys: tuple[bytes, bytes], old: Item | None) -> bool:
    """Whether a row is stored under ``keys`` (an expired item still has its row)."""
    if old is not None:
        return True
    return dynamodb_store.item(ctx.tx, table.uid, keys[0], keys[1]) is not None


def put(
    ctx: OperationContext,
    table: Table,
    item: Item,
    cond: ast.Condition | None = None,
    return_on_failure: str | None = None,
) -> Item | None:
    """Put ``item``; the item it replaced."""
    keys = encoded_keys(table.keys, item, exact=False)
    size = check_item_size(item)
    old = current(ctx, table, keys, lock=True)
    check(old, cond, return_on_failure)
    store(ctx, table, keys, item, existed=_existed(ctx, table, keys, old), size=size)
    return old


def update(
    ctx: OperationContext,
    table: Table,
    key: Item,
    change: ast.Update | None,
    cond: ast.Condition | None = None,
    return_on_failure: str | None = None,
) -> tuple[Item | None, Item]:
    """Apply ``change`` to the item under ``key`` (a new item when there is none); the old and
    the new item."""
    keys = encoded_keys(table.keys, key, exact=True)
    old = current(ctx, table, keys, lock=True)
    check(old, cond, return_on_failure)
    base = old if old is not None else dict(key)
    new = apply_update(base, change) if change is not None else dict(base)
    for name in table.keys.names:
        if name not in new or new[name] != key[name]:
            raise invalid(f"Cannot update attribute {name}. This attribute is part of the key")
    store(ctx, table, keys, new, existed=_existed(ctx, table, keys, old))
    return old, new


def delete(
    ctx: OperationContext,
    table: Table,
    key: Item,
    cond: ast.Condition | None = None,
    return_on_failure: str | None = None,
) -> Item | None:
    keys = encoded_keys(table.keys, key, exact=True)
    old = current(ctx, table, keys, lock=True)
    check(old, cond, return_on_failure)
    if _existed(ctx, table, keys, old):
        dynamodb_store.delete_item(ctx.tx, table.uid, keys[0], keys[1])
        if table.indexes:
            dynamodb_store.delete_index_entries(ctx.tx, table.uid, keys)
    return old


def condition_check(
    ctx: OperationContext, table: Table, key: Item, cond: ast.Condition, return_on_failure: str | None = None
) -> None:
    keys = encoded_keys(table.keys, key, exact=True)
    check(current(ctx, table, keys, lock=True), cond, return_on_failure)


def updated_attributes(old: Item | None, new: Item, paths: tuple[ast.Path, ...], *, before: bool) -> Item:
    """``UPDATED_OLD`` / ``UPDATED_NEW``: what the update's paths name (nested paths as nested
    maps and lists), as it was or is (``API_UpdateItem``, ``ReturnValues``)."""
    return project((old or {}) if before else new, paths)
