"""Query and Scan (``Query``, ``Scan``, ``API_Query``, ``API_Scan``).

A Query reads one partition of the table or of an index in sort key order (forwards, or
backwards with ``ScanIndexForward`` false) from the range its key condition gives; a Scan reads
every item in key order, a segment of them with ``Segment``/``TotalSegments`` (by a hash of the
partition key). Both stop at ``Limit`` items read or at 1 MB read, and then return
``LastEvaluatedKey``; the filter applies after the items are read (``Count`` vs
``ScannedCount``). Reads on an index return the index's projection."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from localiam.services.base import Operation, OperationContext, Params, Result
from localiam.services.dynamodb._service import (
    SERVICE,
    KeySchema,
    Table,
    TableRef,
    key_text,
    load_table,
    not_found,
    table_ref,
)
from localiam.services.dynamodb.access import ItemAccess, authorize, top_level
from localiam.services.dynamodb.expressions import ast, legacy
from localiam.services.dynamodb.expressions.evaluate import check_types, condition, project
from localiam.services.dynamodb.expressions.parse import parse_condition
from localiam.services.dynamodb.requests import (
    PARSED,
    capacity,
    filter_of,
    parsed,
    projection_of,
    read_units,
    substitutions,
)
from localiam.services.dynamodb.values import (
    Item,
    Value,
    encode_key,
    invalid,
    item_from_json,
    kind_of,
    normalise_item,
    validation,
)
from localiam.state import dynamodb_store

PAGE_BYTES = 1024 * 1024
_SELECTS = ("ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT")


@dataclass
class KeyRange:
    hash_value: Value
    low: bytes | None = None
    high: bytes | None = None
    low_open: bool = False
    high_open: bool = False
    prefix: bytes | None = None


@dataclass
class ReadRequest:
    ref: TableRef
    table: Table
    index: str | None
    schema: KeySchema
    key_range: KeyRange | None
    filter: ast.Condition | None
    projection: tuple[ast.Path, ...] | None
    select: str
    limit: int | None
    start: Item | None


def _successor(prefix: bytes) -> bytes | None:
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])


def _key_range(cond: ast.Condition, schema: KeySchema) -> KeyRange:
    parts: list[ast.Condition] = []

    def flatten(node: ast.Condition) -> None:
        if isinstance(node, ast.And):
            flatten(node.left)
            flatten(node.right)
        else:
            parts.append(node)

    flatten(cond)
    unsupported = validation("Query key condition not supported")
    by_name: dict[str, ast.Condition] = {}
    for part in parts:
        if isinstance(part, ast.Compare):
            subject = part.left
        elif isinstance(part, ast.Between):
            subject = part.operand
        elif isinstance(part, ast.FunctionCondition) and part.call.name == "begins_with":
            subject = part.call.args[0]
        else:
            raise unsupported
        if not isinstance(subject, ast.Path) or len(subject.elements) != 1:
            raise unsupported
        if subject.top in by_name:
            raise validation("KeyConditionExpressions must only contain one condition per key")
        by_name[subject.top] = part
    if schema.hash_name not in by_name:
        raise validation(f"Query condition missed key schema element: {schema.hash_name}")
    extra = set(by_name) - {schema.hash_name, schema.range_name}
    if extra:
        raise validation(f"Query condition missed key schema element: {schema.range_name or sorted(extra)[0]}")
    hash_part = by_name[schema.hash_name]
    if (
        not isinstance(hash_part, ast.Compare)
        or hash_part.operator != "="
        or not isinstance(hash_part.right, ast.Literal)
    ):
        raise unsupported
    hash_value = hash_part.right.value
    _check_type(hash_value, schema.hash_type)
    out = KeyRange(hash_value)
    if schema.range_name is None or schema.range_name not in by_name:
        return out
    part = by_name[schema.range_name]
    assert schema.range_type is not None
    if isinstance(part, ast.Compare):
        if part.operator == "<>" or not isinstance(part.right, ast.Literal):
            raise unsupported
        value = part.right.value
        _check_type(value, schema.range_type)
        encoded = encode_key(value)
        if part.operator == "=":
            out.low = out.high = encoded
        elif part.operator in ("<", "<="):
            out.high, out.high_open = encoded, part.operator == "<"
        else:
            out.low, out.low_open = encoded, part.operator == ">"
    elif isinstance(part, ast.Between):
        if not isinstance(part.low, ast.Literal) or not isinstance(part.high, ast.Literal):
            raise unsupported
        _check_type(part.low.value, schema.range_type)
        _check_type(part.high.value, schema.range_type)
        out.low, out.high = encode_key(part.low.value), encode_key(part.high.value)
    else:
        assert isinstance(part, ast.FunctionCondition)
        prefix_value = part.call.args[1]
        if not isinstance(prefix_value, ast.Literal):
            raise unsupported
        _check_type(prefix_value.value, schema.range_type)
        if schema.range_type == "N":
            raise validation(
                "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or "
                "function: begins_with, operand type: N"
            )
        out.prefix = encode_key(prefix_value.value)
        out.low = out.prefix
        out.high = _successor(out.prefix)
        out.high_open = True
    return out


def _check_type(value: Value, expected: str) -> None:
    if kind_of(value) != expected:
        raise invalid("Condition parameter type does not match schema type")


def _index_schema(table: Table, index: str | None) -> KeySchema:
    if index is None:
        return table.keys
    if index not in table.indexes:
        raise validation(f"The table does not have the specified index: {index}")
    return table.indexes[index][0]


def _prepare(ctx: OperationContext, params: Params, action: str) -> None:
    ref = table_ref(ctx, params.get("TableName"))
    table = load_table(ctx, ref)
    index = params.get("IndexName")
    subs = substitutions(params)
    key_cond: ast.Condition | None = None
    if action == "Query":
        legacy.refuse_mixing(params, ("KeyConditions",), ("KeyConditionExpression",))
        if params.get("KeyConditionExpression") is not None:
            key_cond = parse_condition(str(params["KeyConditionExpression"]), subs, "KeyConditionExpression")
            check_types(key_cond, "KeyConditionExpression")
        else:
            key_cond = legacy.conditions(params.get("KeyConditions"))
            if key_cond is None:
                raise validation(
                    "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."
                )
    filt = filter_of(params, subs, "QueryFilter" if action == "Query" else "ScanFilter")
    paths = projection_of(params, subs)
    subs.check_all_used()
    select = params.get("Select")
    if select is not None and select not in _SELECTS:
        raise validation(
            f"1 validation error detected: Value '{select}' at 'select' failed to satisfy constraint: Member must "
            "satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]"
        )
    if select == "SPECIFIC_ATTRIBUTES" and paths is None:
        raise validation(
            "One or more parameter values were invalid: Must specify the ProjectionExpression when choosing to get "
            "SPECIFIC_ATTRIBUTES"
        )
    if paths is not None and select not in (None, "SPECIFIC_ATTRIBUTES"):
        raise validation(
            f"One or more parameter values were invalid: Cannot specify the ProjectionExpression when choosing to "
            f"get {select}" if select != "COUNT" else "One or more parameter values were invalid: Cannot specify the "
            "AttributesToGet when choosing to get only the Count"
        )  # fmt: skip
    if select == "ALL_PROJECTED_ATTRIBUTES" and index is None:
        raise validation(
            "One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is supported only for "
            "index queries"
        )
    effective = (
        "SPECIFIC_ATTRIBUTES"
        if paths is not None
        else (select or ("ALL_PROJECTED_ATTRIBUTES" if index else "ALL_ATTRIBUTES"))
    )
    limit = params.get("Limit")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise validation(
            f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must "
            "have value greater than or equal to 1"
        )
    segment, total = params.get("Segment"), params.get("TotalSegments")
    if (segment is None) != (total is None):
        raise validation(
            "The TotalSegments parameter is required but was not present in the request when Segment parameter is "
            "present"
            if total is None else
            "The Segment parameter is required but was not present in the request when parameter TotalSegments is "
            "present"
        )  # fmt: skip
    if total is not None and segment is not None and not 0 <= segment < total:
        raise validation(
            f"The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {segment} is "
            f"out of bounds for TotalSegments: {total}"
        )
    key_range = None
    leading: tuple[str, ...] | None = None
    schema = None
    if table is not None:
        schema = _index_schema(table, index)
        if index is not None and params.get("ConsistentRead") and table.indexes[index][2] == "GLOBAL":
            raise validation("Consistent reads are not supported on global secondary indexes")
        if key_cond is not None:
            key_range = _key_range(key_cond, schema)
            leading = (key_text(key_range.hash_value),)
    names = [p.top for p in paths] if paths is not None else None
    access = ItemAccess(
        leading_keys=leading,
        attributes=top_level(names) if names is not None else None,
        select=effective,
        return_consumed_capacity=str(params.get("ReturnConsumedCapacity") or "NONE"),
    )
    authorize(ctx, action, ref, table, access, index=index)
    if table is None:
        raise not_found(f"Requested resource not found: Table: {ref.name} not found")
    assert schema is not None
    if index is not None and effective == "ALL_ATTRIBUTES":
        projection = table.indexes[index][1]
        if table.indexes[index][2] == "GLOBAL" and projection.get("ProjectionType") != "ALL":
            raise validation(
                f"One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global "
                f"secondary index {index} because its projection type is not ALL"
            )
    start = None
    if params.get("ExclusiveStartKey") is not None:
        start = normalise_item(params["ExclusiveStartKey"])
        needed = set(table.keys.names) | set(schema.names)
        if not set(start) <= needed or not set(table.keys.names) <= set(start):
            raise validation("The provided starting key is invalid: The provided key element does not match the schema")
    params[PARSED] = ReadRequest(ref, table, index, schema, key_range, filt, paths, effective, limit, start)


def _authorize_query(ctx: OperationContext, _op: Operation, params: Params) -> None:
    _prepare(ctx, params, "Query")


def _authorize_scan(ctx: OperationContext, _op: Operation, params: Params) -> None:
    _prepare(ctx, params, "Scan")


def _enc(item: Item, name: str | None) -> bytes:
    return encode_key(item[name]) if name is not None else b""


def _rows(ctx: OperationContext, request: ReadRequest, params: Params) -> Iterator[tuple[str, int]]:
    table, start = request.table, request.start
    forward = params.get("ScanIndexForward", True) is not False
    if request.key_range is not None:
        kr = request.key_range
        hash_key = encode_key(kr.hash_value)
        if request.index is None:
            after = _enc(start, table.keys.range_name) if start is not None and table.keys.range_name else None
            if start is not None and table.keys.range_name is None:
                return
            for _rk, text, size in dynamodb_store.query(
                ctx.tx, table.uid, hash_key, low=kr.low, high=kr.high, low_open=kr.low_open,
                high_open=kr.high_open, forward=forward, after=after,
            ):  # fmt: skip
                yield text, size
            return
        position = None
        if start is not None:
            position = (_enc(start, request.schema.range_name), _enc(start, table.keys.hash_name),
                        _enc(start, table.keys.range_name))  # fmt: skip
        for _pos, text, size in dynamodb_store.query_index(
            ctx.tx, table.uid, request.index, hash_key, low=kr.low, high=kr.high, low_open=kr.low_open,
            high_open=kr.high_open, forward=forward, after=position,
        ):  # fmt: skip
            yield text, size
        return
    segment, total = params.get("Segment"), params.get("TotalSegments")
    if request.index is None:
        table_after = (_enc(start, table.keys.hash_name), _enc(start, table.keys.range_name)) if start else None
        rows: Iterator[Any] = dynamodb_store.scan(ctx.tx, table.uid, after=table_after)
    else:
        index_after = None
        if start is not None:
            index_after = (_enc(start, request.schema.hash_name), _enc(start, request.schema.range_name),
                           _enc(start, table.keys.hash_name), _enc(start, table.keys.range_name))  # fmt: skip
        rows = dynamodb_store.scan_index(ctx.tx, table.uid, request.index, after=index_after)
    for keys, text, size in rows:
        if total is not None and zlib.crc32(keys[0]) % total != segment:
            continue
        yield text, size


def _index_view(request: ReadRequest, item: Item) -> Item:
    if request.index is None:
        return item
    _schema, projection, _scope = request.table.indexes[request.index]
    kind = projection.get("ProjectionType", "ALL")
    if kind == "ALL" or request.select == "ALL_ATTRIBUTES":
        return item
    keep = set(request.table.keys.names) | set(request.schema.names)
    if kind == "INCLUDE":
        keep |= set(projection.get("NonKeyAttributes") or [])
    return {k: v for k, v in item.items() if k in keep}


def _key_of(request: ReadRequest, item: Item) -> Item:
    names = set(request.table.keys.names) | set(request.schema.names)
    return {name: item[name] for name in names if name in item}


def _read(ctx: OperationContext, params: Params) -> Result:
    request: ReadRequest = parsed(params)
    kr = request.key_range
    items: list[Item] = []
    scanned = 0
    read_bytes = 0
    last: Item | None = None
    count = 0
    for text, size in _rows(ctx, request, params):
        item = item_from_json(json.loads(text))
        if kr is not None and kr.prefix is not None:
            key = item.get(request.schema.range_name or "")
            if key is None or not encode_key(key).startswith(kr.prefix):
                continue
        if request.table.expired(item, ctx.now):
            continue
        scanned += 1
        read_bytes += size
        view = _index_view(request, item)
        if request.filter is None or condition(view, request.filter, "FilterExpression"):
            count += 1
            if request.select != "COUNT":
                items.append(project(view, request.projection) if request.projection is not None else view)
        if (request.limit is not None and scanned >= request.limit) or read_bytes >= PAGE_BYTES:
            last = _key_of(request, item)
            break
    out: Result = {"Count": count, "ScannedCount": scanned}
    if request.select != "COUNT":
        out["Items"] = items
    if last is not None:
        out["LastEvaluatedKey"] = last
    consumed = capacity(
        params, request.ref.name, read_units(read_bytes, bool(params.get("ConsistentRead"))), index=request.index
    )
    if consumed:
        out["ConsumedCapacity"] = consumed
    return out


@SERVICE.operation("Query", action="dynamodb:Query", authorizer=_authorize_query)
def query(ctx: OperationContext, params: Params) -> Result:
    return _read(ctx, params)


@SERVICE.operation("Scan", action="dynamodb:Scan", authorizer=_authorize_scan)
def scan(ctx: OperationContext, params: Params) -> Result:
    return _read(ctx, params)
