"""BatchGetItem and BatchWriteItem (``API_BatchGetItem``, ``API_BatchWriteItem``): up to 100
keys to read and 25 puts or deletes, over several tables. Each item is authorized on its own,
with its partition key in ``dynamodb:LeadingKeys`` (``specifying-conditions``), and the whole
request is refused when one item is. Everything here is served at once, so ``UnprocessedKeys``
and ``UnprocessedItems`` are always empty: nothing is dropped; a batch that a 1 MB response
cannot hold returns the rest as ``UnprocessedKeys``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
from localiam.services.dynamodb.expressions import ast
from localiam.services.dynamodb.expressions.evaluate import project
from localiam.services.dynamodb.requests import PARSED, parsed, projection_of, read_units, substitutions, write_units
from localiam.services.dynamodb.values import Item, item_size, normalise_item, validation

PAGE_BYTES = 16 * 1024 * 1024


@dataclass
class TableReads:
    name: str
    ref: TableRef
    table: Table
    keys: list[Item]
    projection: tuple[ast.Path, ...] | None
    spec: dict[str, Any]


def _authorize_get(ctx: OperationContext, _op: Operation, params: Params) -> None:
    requested = params.get("RequestItems") or {}
    if not requested:
        raise validation(
            "1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must "
            "have length greater than or equal to 1"
        )
    total = sum(len(spec.get("Keys") or []) for spec in requested.values())
    if total > 100:
        raise validation("Too many items requested for the BatchGetItem call")
    plan: list[TableReads] = []
    for name, spec in requested.items():
        ref = table_ref(ctx, name, "requestItems")
        table = load_table(ctx, ref)
        subs = substitutions(spec)
        paths = projection_of(spec, subs)
        subs.check_all_used()
        keys = [normalise_item(k) for k in spec.get("Keys") or []]
        encoded = set()
        for key in keys:
            leading = None
            names: list[str] = [p.top for p in paths] if paths is not None else []
            if table is not None:
                hash_value, _ = key_values(table.keys, key, exact=True)
                leading = (key_text(hash_value),)
                names = [*table.keys.names, *names]
                position = encoded_keys(table.keys, key, exact=True)
                if position in encoded:
                    raise validation("Provided list of item keys contains duplicates")
                encoded.add(position)
            access = ItemAccess(
                leading_keys=leading,
                attributes=top_level(names),
                select="SPECIFIC_ATTRIBUTES" if paths is not None else "ALL_ATTRIBUTES",
                return_consumed_capacity=str(params.get("ReturnConsumedCapacity") or "NONE"),
            )
            authorize(ctx, "BatchGetItem", ref, table, access)
        if table is None:
            raise not_found(f"Requested resource not found: Table: {ref.name} not found")
        plan.append(TableReads(name, ref, table, keys, paths, spec))
    params[PARSED] = plan


@SERVICE.operation("BatchGetItem", action="dynamodb:BatchGetItem", authorizer=_authorize_get)
def batch_get_item(ctx: OperationContext, params: Params) -> Result:
    plan: list[TableReads] = parsed(params)
    responses: dict[str, list[Item]] = {}
    unprocessed: dict[str, Any] = {}
    consumed: list[dict[str, Any]] = []
    size = 0
    for reads in plan:
        found: list[Item] = []
        units = 0.0
        for position, key in enumerate(reads.keys):
            if size >= PAGE_BYTES:
                left = {k: v for k, v in reads.spec.items() if k != "Keys"}
                left["Keys"] = reads.keys[position:]
                unprocessed[reads.name] = left
                break
            item = writes.current(ctx, reads.table, encoded_keys(reads.table.keys, key, exact=True))
            if item is None:
                continue
            size += item_size(item)
            units += read_units(item_size(item), bool(reads.spec.get("ConsistentRead")))
            found.append(project(item, reads.projection) if reads.projection is not None else item)
        responses[reads.name] = found
        consumed.append({"TableName": reads.ref.name, "CapacityUnits": units or 0.5})
    out: Result = {"Responses": responses, "UnprocessedKeys": unprocessed}
    if (params.get("ReturnConsumedCapacity") or "NONE") != "NONE":
        out["ConsumedCapacity"] = consumed
    return out


@dataclass
class TableWrites:
    ref: TableRef
    table: Table
    writes: list[tuple[str, Item]]  # ("put", item) or ("delete", key)


def _authorize_write(ctx: OperationContext, _op: Operation, params: Params) -> None:
    requested = params.get("RequestItems") or {}
    total = sum(len(v) for v in requested.values())
    if total == 0:
        raise validation(
            "1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must "
            "have length greater than or equal to 1"
        )
    if total > 25:
        raise validation(
            "1 validation error detected: Value '{...}' at 'requestItems' failed to satisfy constraint: Member must "
            "have length less than or equal to 25"
        )
    plan: list[TableWrites] = []
    for name, requests in requested.items():
        ref = table_ref(ctx, name, "requestItems")
        table = load_table(ctx, ref)
        work: list[tuple[str, Item]] = []
        seen = set()
        for request in requests:
            if ("PutRequest" in request) == ("DeleteRequest" in request):
                raise validation("Each WriteRequest must contain exactly one of PutRequest or DeleteRequest")
            if "PutRequest" in request:
                item = normalise_item(request["PutRequest"].get("Item"))
                verb = "put"
            else:
                item = normalise_item(request["DeleteRequest"].get("Key"))
                verb = "delete"
            leading = None
            names = list(item)
            if table is not None:
                hash_value, _ = key_values(table.keys, item, exact=verb == "delete")
                leading = (key_text(hash_value),)
                position = encoded_keys(table.keys, item, exact=verb == "delete")
                if position in seen:
                    raise validation("Provided list of item keys contains duplicates")
                seen.add(position)
            access = ItemAccess(
                leading_keys=leading,
                attributes=top_level(names),
                return_consumed_capacity=str(params.get("ReturnConsumedCapacity") or "NONE"),
            )
            authorize(ctx, "BatchWriteItem", ref, table, access)
            work.append((verb, item))
        if table is None:
            raise not_found(f"Requested resource not found: Table: {ref.name} not found")
        plan.append(TableWrites(ref, table, work))
    params[PARSED] = plan


@SERVICE.operation("BatchWriteItem", action="dynamodb:BatchWriteItem", writes=True, authorizer=_authorize_write)
def batch_write_item(ctx: OperationContext, params: Params) -> Result:
    plan: list[TableWrites] = parsed(params)
    consumed: list[dict[str, Any]] = []
    for entry in plan:
        units = 0.0
        for verb, item in entry.writes:
            if verb == "put":
                writes.put(ctx, entry.table, item)
                units += write_units(item_size(item))
            else:
                old = writes.delete(ctx, entry.table, item)
                units += write_units(item_size(old) if old else 0)
        consumed.append({"TableName": entry.ref.name, "CapacityUnits": units})
    out: Result = {"UnprocessedItems": {}}
    if (params.get("ReturnConsumedCapacity") or "NONE") != "NONE":
        out["ConsumedCapacity"] = consumed
    return out
