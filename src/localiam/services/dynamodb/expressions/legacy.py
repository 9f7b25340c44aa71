"""The legacy conditional parameters (``LegacyConditionalParameters``) mapped onto the same
expression trees: ``Expected`` and ``ConditionalOperator``, ``KeyConditions``,
``QueryFilter``/``ScanFilter``, ``AttributesToGet`` and ``AttributeUpdates``. Old SDK code still
sends them; a request may not mix them with expressions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from localiam.services.dynamodb.expressions import ast
from localiam.services.dynamodb.values import normalise, validation

_ARITY = {"EQ": 1, "NE": 1, "LE": 1, "LT": 1, "GE": 1, "GT": 1, "NOT_NULL": 0, "NULL": 0, "CONTAINS": 1,
          "NOT_CONTAINS": 1, "BEGINS_WITH": 1, "BETWEEN": 2}  # fmt: skip
_COMPARE = {"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}


def refuse_mixing(params: Mapping[str, Any], legacy: tuple[str, ...], expressions: tuple[str, ...]) -> None:
    old = [name for name in legacy if params.get(name) is not None]
    new = [name for name in expressions if params.get(name) is not None]
    if old and new:
        raise validation(
            "Can not use both expression and non-expression parameters in the same request: "
            f"Non-expression parameters: {{{', '.join(old)}}} Expression parameters: {{{', '.join(new)}}}"
        )


def _literal(value: Any, index: int) -> ast.Literal:
    return ast.Literal(normalise(value), f":legacy{index}")


def _one(name: str, spec: Mapping[str, Any]) -> ast.Condition:
    path = ast.Path((name,))
    operator = spec.get("ComparisonOperator")
    values = list(spec.get("AttributeValueList") or [])
    if operator is None:
        # Expected's short form: {"Value": v} or {"Exists": false}
        if spec.get("Exists") is False:
            if "Value" in spec:
                raise validation("One or more parameter values were invalid: Value cannot be used when Exists is false")
            return ast.FunctionCondition(ast.Call("attribute_not_exists", (path,)))
        if "Value" not in spec:
            raise validation("One or more parameter values were invalid: Value must be provided when Exists is true")
        return ast.Compare("=", path, _literal(spec["Value"], 0))
    if "Value" in spec and not values:
        values = [spec["Value"]]
    if operator == "IN":
        if not values:
            raise validation(
                f"One or more parameter values were invalid: Invalid number of argument(s) for the {operator} "
                "ComparisonOperator"
            )
        return ast.In(path, tuple(_literal(v, i) for i, v in enumerate(values)))
    arity = _ARITY.get(str(operator))
    if arity is None:
        raise validation(
            f"1 validation error detected: Value '{operator}' at 'comparisonOperator' failed to satisfy constraint"
        )
    if len(values) != arity:
        raise validation(
            f"One or more parameter values were invalid: Invalid number of argument(s) for the {operator} "
            "ComparisonOperator"
        )
    literals = [_literal(v, i) for i, v in enumerate(values)]
    if operator in _COMPARE:
        return ast.Compare(_COMPARE[operator], path, literals[0])
    if operator == "NOT_NULL":
        return ast.FunctionCondition(ast.Call("attribute_exists", (path,)))
    if operator == "NULL":
        return ast.FunctionCondition(ast.Call("attribute_not_exists", (path,)))
    if operator == "CONTAINS":
        return ast.FunctionCondition(ast.Call("contains", (path, literals[0])))
    if operator == "NOT_CONTAINS":
        return ast.Not(ast.FunctionCondition(ast.Call("contains", (path, literals[0]))))
    if operator == "BEGINS_WITH":
        return ast.FunctionCondition(ast.Call("begins_with", (path, literals[0])))
    return ast.Between(path, literals[0], literals[1])


def conditions(specs: Mapping[str, Any] | None, operator: str | None = None) -> ast.Condition | None:
    """``Expected`` / ``QueryFilter`` / ``ScanFilter`` / ``KeyConditions`` as one condition
    (joined with ``ConditionalOperator``, AND by default)."""
    if not specs:
        return None
    parts = [_one(name, spec) for name, spec in specs.items()]
    joined = parts[0]
    for part in parts[1:]:
        joined = ast.Or(joined, part) if operator == "OR" else ast.And(joined, part)
    return joined


def attributes_to_get(names: list[str] | None) -> tuple[ast.Path, ...] | None:
    if names is None:
        return None
    return tuple(ast.Path((str(n),)) for n in dict.fromkeys(names))


def attribute_updates(updates: Mapping[str, Any] | None) -> ast.Update | None:
    if not updates:
        return None
    actions: list[ast.UpdateAction] = []
    for index, (name, spec) in enumerate(updates.items()):
        action = str(spec.get("Action") or "PUT")
        path = ast.Path((name,))
        value = spec.get("Value")
        if action == "PUT":
            if value is None:
                raise _no_value()
            actions.append(ast.UpdateAction("SET", path, _literal(value, index)))
        elif action == "DELETE":
            if value is None:
                actions.append(ast.UpdateAction("REMOVE", path))
            else:
                actions.append(ast.UpdateAction("DELETE", path, _literal(value, index)))
        else:
            if value is None:
                raise _no_value()
            actions.append(ast.UpdateAction("ADD", path, _literal(value, index)))
    return ast.Update(tuple(actions))


def _no_value() -> Exception:
    return validation(
        "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"
    )
