"""What the item operations read from their parameters the same way: the expressions (or the
legacy parameters they replace), ``ReturnValues``, ``ReturnConsumedCapacity`` and the consumed
capacity reported back (``read-write-operations``: a write unit per started KB, a read unit per
started 4 KB, half for an eventually consistent read)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from localiam.services.base import Params
from localiam.services.dynamodb.expressions import ast, legacy
from localiam.services.dynamodb.expressions.evaluate import check_types
from localiam.services.dynamodb.expressions.parse import (
    Substitutions,
    parse_condition,
    parse_projection,
)
from localiam.services.dynamodb.values import validation

PARSED = "__localiam_parsed__"
"""Where an operation's authorizer leaves the request it parsed for the handler."""


def substitutions(params: Mapping[str, Any]) -> Substitutions:
    return Substitutions(params.get("ExpressionAttributeNames"), params.get("ExpressionAttributeValues"))


def condition_of(params: Mapping[str, Any], subs: Substitutions) -> ast.Condition | None:
    legacy.refuse_mixing(params, ("Expected", "ConditionalOperator"), ("ConditionExpression",))
    text = params.get("ConditionExpression")
    if text is not None:
        cond = parse_condition(str(text), subs)
        check_types(cond)
        return cond
    return legacy.conditions(params.get("Expected"), params.get("ConditionalOperator"))


def filter_of(params: Mapping[str, Any], subs: Substitutions, legacy_member: str) -> ast.Condition | None:
    legacy.refuse_mixing(params, (legacy_member, "ConditionalOperator"), ("FilterExpression",))
    text = params.get("FilterExpression")
    if text is not None:
        cond = parse_condition(str(text), subs, "FilterExpression")
        check_types(cond, "FilterExpression")
        return cond
    return legacy.conditions(params.get(legacy_member), params.get("ConditionalOperator"))


def projection_of(params: Mapping[str, Any], subs: Substitutions) -> tuple[ast.Path, ...] | None:
    legacy.refuse_mixing(params, ("AttributesToGet",), ("ProjectionExpression",))
    text = params.get("ProjectionExpression")
    if text is not None:
        return parse_projection(str(text), subs)
    return legacy.attributes_to_get(params.get("AttributesToGet"))


def return_values(params: Params, allowed: tuple[str, ...], message: str) -> str:
    value = str(params.get("ReturnValues") or "NONE")
    if value not in allowed:
        raise validation(message)
    return value


def capacity(
    params: Mapping[str, Any], table: str, units: float | Callable[[], float], *, index: str | None = None
) -> dict[str, Any] | None:
    """``ConsumedCapacity`` when the request asks for it; ``units`` may be a function, called
    only then (an item's size costs a walk of the item)."""
    mode = params.get("ReturnConsumedCapacity") or "NONE"
    if mode == "NONE":
        return None
    if callable(units):
        units = units()
    out: dict[str, Any] = {"TableName": table, "CapacityUnits": units}
    if mode == "INDEXES":
        out["Table"] = {"CapacityUnits": 0.0 if index else units}
        if index:
            out["GlobalSecondaryIndexes"] = {index: {"CapacityUnits": units}}
    return out


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return float(units) if consistent else units / 2


def write_units(size: int) -> float:
    return float(max(1, math.ceil(size / 1024)))


def parsed(params: Params) -> Any:
    return params[PARSED]
