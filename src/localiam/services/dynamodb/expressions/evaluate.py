"""Evaluating parsed expressions over an item (``Expressions.OperatorsAndFunctions``,
``Expressions.UpdateExpressions``, ``Expressions.ProjectionExpressions``).

Conditions: a comparison between values of different types, or with a missing attribute, is
false (``<>`` is true when the two differ, a missing attribute included); ``<``, ``<=``, ``>``,
``>=`` and ``BETWEEN`` order numbers as decimals, strings by UTF-8 bytes, binaries by bytes.
Updates evaluate every operand against the item as it was before the update, then apply the
actions; ``ADD`` and ``DELETE`` act on numbers and sets; a set emptied by ``DELETE`` is removed.
"""

from __future__ import annotations

import copy
from typing import Any

from localiam.services.dynamodb.expressions import ast
from localiam.services.dynamodb.values import (
    Item,
    Value,
    add,
    equal,
    kind_of,
    ordered,
    validation,
)

_ORDERED = ("S", "N", "B")
_TYPES = ("S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M")


def resolve(item: Item, path: ast.Path) -> Value | None:
    """The value at ``path`` in ``item``, or ``None``."""
    current: Value | None = item.get(path.top)
    for element in path.elements[1:]:
        if current is None:
            return None
        if isinstance(element, int):
            members = current.get("L")
            if members is None or element >= len(members):
                return None
            current = members[element]
        else:
            fields = current.get("M")
            if fields is None:
                return None
            current = fields.get(element)
    return current


def operand(item: Item, node: ast.Operand, kind: str = "ConditionExpression") -> Value | None:
    if isinstance(node, ast.Path):
        return resolve(item, node)
    if isinstance(node, ast.Literal):
        return node.value
    if isinstance(node, ast.Arithmetic):
        left, right = operand(item, node.left, kind), operand(item, node.right, kind)
        if left is None or right is None:
            raise validation("The provided expression refers to an attribute that does not exist in the item")
        if kind_of(left) != "N" or kind_of(right) != "N":
            raise validation("An operand in the update expression has an incorrect data type")
        return {"N": add(left["N"], right["N"], subtract=node.operator == "-")}
    name, args = node.name, node.args
    if name == "size":
        value = operand(item, args[0], kind)
        if value is None:
            return None
        value_kind, raw = next(iter(value.items()))
        if value_kind == "S":
            return {"N": str(len(raw))}
        if value_kind in ("B", "SS", "NS", "BS", "L", "M"):
            return {"N": str(len(raw))}
        return None
    if name == "if_not_exists":
        existing = operand(item, args[0], kind)
        return existing if existing is not None else operand(item, args[1], kind)
    if name == "list_append":
        left, right = operand(item, args[0], kind), operand(item, args[1], kind)
        if left is None or right is None:
            raise validation("The provided expression refers to an attribute that does not exist in the item")
        if kind_of(left) != "L" or kind_of(right) != "L":
            bad = left if kind_of(left) != "L" else right
            raise validation(
                "Invalid UpdateExpression: Incorrect operand type for operator or function; "
                f"operator or function: list_append, operand type: {kind_of(bad)}"
            )
        return {"L": [*left["L"], *right["L"]]}
    raise validation(f"Invalid {kind}: Invalid function name; function: {name}")


def check_types(node: ast.Condition, kind: str = "ConditionExpression") -> None:
    """What AWS refuses before reading any item: an ordering comparison or a function whose
    literal operand has a type it cannot take."""
    if isinstance(node, (ast.And, ast.Or)):
        check_types(node.left, kind)
        check_types(node.right, kind)
    elif isinstance(node, ast.Not):
        check_types(node.operand, kind)
    elif isinstance(node, ast.Compare) and node.operator not in ("=", "<>"):
        for side in (node.left, node.right):
            if isinstance(side, ast.Literal) and kind_of(side.value) not in _ORDERED:
                raise validation(
                    f"Invalid {kind}: Incorrect operand type for operator or function; "
                    f"operator: {node.operator}, operand type: {_type_name(side.value)}"
                )
    elif isinstance(node, ast.Between):
        for side in (node.operand, node.low, node.high):
            if isinstance(side, ast.Literal) and kind_of(side.value) not in _ORDERED:
                raise validation(
                    f"Invalid {kind}: Incorrect operand type for operator or function; "
                    f"operator: BETWEEN, operand type: {_type_name(side.value)}"
                )
        if isinstance(node.low, ast.Literal) and isinstance(node.high, ast.Literal):
            low, high = node.low.value, node.high.value
            if kind_of(low) == kind_of(high) and ordered(low) > ordered(high):
                raise validation(
                    f"Invalid {kind}: The BETWEEN operator requires upper bound to be greater than or equal to "
                    f"lower bound; lower bound operand: AttributeValue: {_show(low)}, upper bound operand: "
                    f"AttributeValue: {_show(high)}"
                )
    elif isinstance(node, ast.FunctionCondition):
        call = node.call
        if call.name == "begins_with":
            for arg in call.args:
                if isinstance(arg, ast.Literal) and kind_of(arg.value) not in ("S", "B"):
                    raise validation(
                        f"Invalid {kind}: Incorrect operand type for operator or function; "
                        f"operator or function: begins_with, operand type: {_type_name(arg.value)}"
                    )
        if call.name == "attribute_type":
            arg = call.args[1]
            if not isinstance(arg, ast.Literal) or kind_of(arg.value) != "S" or arg.value["S"] not in _TYPES:
                shown = _show(arg.value) if isinstance(arg, ast.Literal) else str(arg)
                raise validation(
                    f"Invalid {kind}: Invalid attribute type name found; type: {shown}, valid types: "
                    "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}"
                )


def _type_name(value: Value) -> str:
    return kind_of(value)


def _show(value: Value) -> str:
    kind, raw = next(iter(value.items()))
    return f"{{{kind}:{raw}}}"


def condition(item: Item, node: ast.Condition, kind: str = "ConditionExpression") -> bool:
    if isinstance(node, ast.And):
        return condition(item, node.left, kind) and condition(item, node.right, kind)
    if isinstance(node, ast.Or):
        return condition(item, node.left, kind) or condition(item, node.right, kind)
    if isinstance(node, ast.Not):
        return not condition(item, node.operand, kind)
    if isinstance(node, ast.Compare):
        return compare(node.operator, operand(item, node.left, kind), operand(item, node.right, kind))
    if isinstance(node, ast.Between):
        subject = operand(item, node.operand, kind)
        low, high = operand(item, node.low, kind), operand(item, node.high, kind)
        return compare(">=", subject, low) and compare("<=", subject, high)
    if isinstance(node, ast.In):
        subject = operand(item, node.operand, kind)
        return subject is not None and any(
            (o := operand(item, option, kind)) is not None and equal(subject, o) for option in node.options
        )
    return function(item, node.call, kind)


def compare(operator: str, left: Value | None, right: Value | None) -> bool:
    if operator == "<>":
        return left is None or right is None or not equal(left, right)
    if left is None or right is None:
        return False
    if operator == "=":
        return equal(left, right)
    kind = kind_of(left)
    if kind != kind_of(right) or kind not in _ORDERED:
        return False
    a, b = ordered(left), ordered(right)
    if operator == "<":
        return bool(a < b)
    if operator == "<=":
        return bool(a <= b)
    if operator == ">":
        return bool(a > b)
    return bool(a >= b)


def function(item: Item, call: ast.Call, kind: str) -> bool:
    name = call.name
    if name == "attribute_exists":
        return operand(item, call.args[0], kind) is not None
    if name == "attribute_not_exists":
        return operand(item, call.args[0], kind) is None
    subject = operand(item, call.args[0], kind)
    other = operand(item, call.args[1], kind)
    if subject is None or other is None:
        return False
    if name == "attribute_type":
        return kind_of(subject) == other.get("S")
    if name == "begins_with":
        s_kind, o_kind = kind_of(subject), kind_of(other)
        if s_kind != o_kind or s_kind not in ("S", "B"):
            return False
        return bool(subject[s_kind].startswith(other[o_kind]))
    # contains
    s_kind, raw = next(iter(subject.items()))
    if s_kind == "S":
        return kind_of(other) == "S" and other["S"] in raw
    if s_kind == "B":
        return kind_of(other) == "B" and other["B"] in raw
    if s_kind in ("SS", "NS", "BS"):
        member_kind = s_kind[0]
        return kind_of(other) == member_kind and any(equal({member_kind: m}, other) for m in raw)
    if s_kind == "L":
        return any(equal(member, other) for member in raw)
    return False


# --- updates -------------------------------------------------------------------------------------


def check_update_paths(update: ast.Update) -> None:
    """Two actions on one path, or on a path and a path inside it, are refused."""
    paths = [action.path.elements for action in update.actions]
    for i, one in enumerate(paths):
        for two in paths[i + 1 :]:
            shorter = min(len(one), len(two))
            if one[:shorter] == two[:shorter]:
                shown_one = "[" + ", ".join(str(e) for e in one) + "]"
                shown_two = "[" + ", ".join(str(e) for e in two) + "]"
                if len(one) == len(two):
                    raise validation(
                        "Invalid UpdateExpression: Two document paths conflict with each other; must remove or "
                        f"rewrite one of these paths; path one: {shown_one}, path two: {shown_two}"
                    )
                raise validation(
                    "Invalid UpdateExpression: Two document paths overlap with each other; must remove or "
                    f"rewrite one of these paths; path one: {shown_one}, path two: {shown_two}"
                )


def apply_update(item: Item, update: ast.Update) -> Item:
    """A new item: ``update`` applied to ``item`` (which is left unchanged)."""
    values: list[Value | None] = [
        operand(item, action.value, "UpdateExpression") if action.value is not None else None
        for action in update.actions
    ]
    out = copy.deepcopy(item)
    removals: list[ast.Path] = []
    for action, value in zip(update.actions, values, strict=True):
        if action.verb == "SET":
            assert value is not None
            _put(out, action.path, value)
        elif action.verb == "REMOVE":
            removals.append(action.path)
        elif action.verb == "ADD":
            assert value is not None
            _add(out, action.path, value)
        else:
            assert value is not None
            _delete(out, action.path, value)
    # Remove list elements from the highest index down, so that earlier removals do not shift later ones.
    for path in sorted(removals, key=lambda p: [(-e if isinstance(e, int) else 0) for e in p.elements]):
        _remove(out, path)
    return out


def _container(item: Item, path: ast.Path) -> tuple[Any, Any] | None:
    """The map or list holding the last element of ``path`` and that element's key."""
    if len(path.elements) == 1:
        return item, path.top
    parent = resolve(item, ast.Path(path.elements[:-1]))
    last = path.elements[-1]
    if parent is None:
        return None
    if isinstance(last, int):
        return (parent["L"], last) if "L" in parent else None
    return (parent["M"], last) if "M" in parent else None


def _invalid_path() -> Exception:
    return validation("The document path provided in the update expression is invalid for update")


def _put(item: Item, path: ast.Path, value: Value) -> None:
    found = _container(item, path)
    if found is None:
        raise _invalid_path()
    container, key = found
    if isinstance(container, list):
        if key >= len(container):
            container.append(copy.deepcopy(value))
        else:
            container[key] = copy.deepcopy(value)
    else:
        container[key] = copy.deepcopy(value)


def _remove(item: Item, path: ast.Path) -> None:
    found = _container(item, path)
    if found is None:
        return
    container, key = found
    if isinstance(container, list):
        if key < len(container):
            del container[key]
    else:
        container.pop(key, None)


def _add(item: Item, path: ast.Path, value: Value) -> None:
    existing = resolve(item, path)
    kind = kind_of(value)
    if kind not in ("N", "SS", "NS", "BS"):
        raise validation(
            "Invalid UpdateExpression: Incorrect operand type for operator or function; "
            f"operator: ADD, operand type: {_long_type(kind)}"
        )
    if existing is None:
        _put(item, path, value)
        return
    if kind_of(existing) != kind:
        raise validation("An operand in the update expression has an incorrect data type")
    if kind == "N":
        _put(item, path, {"N": add(existing["N"], value["N"])})
        return
    members = list(existing[kind])
    for member in value[kind]:
        if not any(equal({kind[0]: m}, {kind[0]: member}) for m in members):
            members.append(member)
    _put(item, path, {kind: members})


def _delete(item: Item, path: ast.Path, value: Value) -> None:
    kind = kind_of(value)
    if kind not in ("SS", "NS", "BS"):
        raise validation(
            "Invalid UpdateExpression: Incorrect operand type for operator or function; "
            f"operator: DELETE, operand type: {_long_type(kind)}"
        )
    existing = resolve(item, path)
    if existing is None:
        return
    if kind_of(existing) != kind:
        raise validation("An operand in the update expression has an incorrect data type")
    left = [m for m in existing[kind] if not any(equal({kind[0]: m}, {kind[0]: v}) for v in value[kind])]
    if left:
        _put(item, path, {kind: left})
    else:
        _remove(item, path)


def _long_type(kind: str) -> str:
    return {"S": "STRING", "B": "BINARY", "BOOL": "BOOLEAN", "NULL": "NULL", "L": "LIST", "M": "MAP",
            "N": "NUMBER"}.get(kind, kind)  # fmt: skip


# --- projections --------------------------------------------------------------------------------


def project(item: Item, paths: tuple[ast.Path, ...]) -> Item:
    """The parts of ``item`` that ``paths`` name, nested as in the item (list elements keep
    their order, compacted)."""
    out: Item = {}
    for path in paths:
        value = resolve(item, path)
        if value is None:
            continue
        _graft(out, item, path, value)
    return out


def _graft(out: Item, item: Item, path: ast.Path, value: Value) -> None:
    if len(path.elements) == 1:
        out[path.top] = copy.deepcopy(value)
        return
    # Walk the source and the projection together, building maps and lists as needed.
    source: Any = item[path.top]
    if path.top not in out:
        out[path.top] = {"L": []} if "L" in source else {"M": {}}
    target: Any = out[path.top]
    indexes: dict[int, int] = {}
    for position, element in enumerate(path.elements[1:], start=1):
        last = position == len(path.elements) - 1
        if isinstance(element, int):
            source = source["L"][element]
            members = target.setdefault("L", [])
            new = copy.deepcopy(value) if last else ({"L": []} if "L" in source else {"M": {}})
            members.append(new)
            indexes[position] = len(members) - 1
            target = new
        else:
            source = source["M"][element]
            fields = target.setdefault("M", {})
            if last:
                fields[element] = copy.deepcopy(value)
            else:
                fields.setdefault(element, {"L": []} if "L" in source else {"M": {}})
                target = fields[element]
