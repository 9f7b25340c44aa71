"""PartiQL for DynamoDB, the simple statements (``ql-reference``, ``API_ExecuteStatement``):
``SELECT`` (``*`` or paths, ``FROM "Table"`` or ``"Table"."Index"``, ``WHERE``), ``INSERT INTO
"Table" VALUE {...}``, ``UPDATE "Table" SET ... REMOVE ... WHERE <key>``, ``DELETE FROM "Table"
WHERE <key>``, with ``?`` parameters. They run on the same items, expressions and writes as the
JSON API.

- A ``SELECT`` whose ``WHERE`` fixes the partition key (``pk = ...`` among its top-level
  ``AND``s) reads that partition only; any other reads the whole table. ``Limit`` and
  ``NextToken`` page it.
- ``INSERT`` of an existing key is ``DuplicateItemException`` "Duplicate primary key exists in
  table"; ``UPDATE`` needs the full key and an existing item (``ConditionalCheckFailedException``
  otherwise); ``DELETE`` needs the full key. Further ``WHERE`` conditions are the write's
  condition.
- Authorization (``ql-iam``): ``dynamodb:PartiQLSelect``, ``PartiQLInsert``, ``PartiQLUpdate``,
  ``PartiQLDelete`` on the table (or index) ARN, with ``dynamodb:LeadingKeys`` when the
  statement names the partition key and ``dynamodb:FullTableScan`` ``true`` for a select that
  reads the whole table.
"""

from __future__ import annotations

import base64
import functools
import json
from dataclasses import dataclass
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from localiam.services.base import Operation, OperationContext, Params, Result
from localiam.services.dynamodb import writes
from localiam.services.dynamodb._service import (
    SERVICE,
    Table,
    TableRef,
    error,
    key_text,
    load_table,
    not_found,
    table_ref,
)
from localiam.services.dynamodb.access import ItemAccess, authorize_action, resource_policy
from localiam.services.dynamodb.expressions import ast
from localiam.services.dynamodb.expressions.evaluate import condition, project
from localiam.services.dynamodb.requests import PARSED, parsed
from localiam.services.dynamodb.values import Item, Value, encode_key, item_from_json, normalise, validation
from localiam.state import dynamodb_store

GRAMMAR = r"""
start: select | insert | update | delete
select: "SELECT"i projection "FROM"i source where?
projection: "*" -> star | path ("," path)*
source: ident ("." ident)?
insert: "INSERT"i "INTO"i source "VALUE"i value
update: "UPDATE"i source clause+ where
clause: "SET"i assignment ("," assignment)* -> set_clause | "REMOVE"i path ("," path)* -> remove_clause
assignment: path "=" value
delete: "DELETE"i "FROM"i source where
where: "WHERE"i cond
?cond: cond "OR"i conj -> or_ | conj
?conj: conj "AND"i neg -> and_ | neg
?neg: "NOT"i neg -> not_ | atom
?atom: "(" cond ")"
     | operand COMPARATOR operand -> compare
     | operand "BETWEEN"i operand "AND"i operand -> between
     | operand "IN"i "[" operand ("," operand)* "]" -> in_
     | NAME "(" operand ("," operand)* ")" -> function
?operand: path | value
path: ident ("." ident | "[" INT "]")*
ident: NAME | QUOTED
?value: STRING -> string | NUMBER -> number | "?" -> parameter | TRUE -> true | FALSE -> false
      | NULL -> null | "{" [pair ("," pair)*] "}" -> map | "[" [value ("," value)*] "]" -> list
      | SET_OPEN value ("," value)* SET_CLOSE -> set
pair: STRING ":" value
SET_OPEN.3: "<<"
SET_CLOSE.3: ">>"
TRUE.2: "TRUE"i
FALSE.2: "FALSE"i
NULL.2: "NULL"i
COMPARATOR: "=" | "<>" | "<=" | ">=" | "<" | ">" | "!="
NAME: /[A-Za-z_][A-Za-z0-9_]*/
QUOTED: /"[^"]+"/
STRING: /'(?:[^']|'')*'/
NUMBER: /-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/
INT: /[0-9]+/
%ignore /[ \t\r\n]+/
"""

_PARSER = Lark(GRAMMAR, parser="lalr")


@functools.lru_cache(maxsize=1024)
def _tree(text: str) -> Tree[Token]:
    return _PARSER.parse(text)


@dataclass
class Statement:
    kind: str  # select, insert, update, delete
    ref: TableRef
    table: Table | None
    index: str | None = None
    paths: tuple[ast.Path, ...] | None = None
    where: ast.Condition | None = None
    item: Item | None = None
    update: ast.Update | None = None
    key: Item | None = None


class _Builder:
    def __init__(self, parameters: list[Any]) -> None:
        self.parameters = [normalise(p) for p in parameters]
        self.used = 0

    def ident(self, node: Tree[Token]) -> str:
        text = str(node.children[0])
        return text[1:-1] if text.startswith('"') else text

    def path(self, node: Tree[Token]) -> ast.Path:
        elements: list[ast.PathElement] = []
        for child in node.children:
            if isinstance(child, Token):
                elements.append(int(child))
            else:
                elements.append(self.ident(child))
        return ast.Path(tuple(elements))

    def value(self, node: Tree[Token]) -> Value:
        kind = node.data
        if kind == "parameter":
            if self.used >= len(self.parameters):
                raise validation("Number of parameters in request and statement don't match.")
            self.used += 1
            return self.parameters[self.used - 1]
        if kind == "string":
            return {"S": str(node.children[0])[1:-1].replace("''", "'")}
        if kind == "number":
            return normalise({"N": str(node.children[0])})
        if kind in ("true", "false"):
            return {"BOOL": kind == "true"}
        if kind == "null":
            return {"NULL": True}
        if kind == "map":
            out: dict[str, Value] = {}
            for pair in node.children:
                if pair is None:
                    continue
                assert isinstance(pair, Tree)
                name, inner = pair.children
                out[str(name)[1:-1].replace("''", "'")] = self.value(inner)  # type: ignore[arg-type]
            return {"M": out}
        members = [self.value(c) for c in node.children if isinstance(c, Tree)]
        if kind == "list":
            return {"L": members}
        kinds = {next(iter(m)) for m in members}
        if len(kinds) != 1 or next(iter(kinds)) not in ("S", "N", "B"):
            raise validation("Unsupported type passed: set members must all be strings, numbers or binaries")
        set_kind = next(iter(kinds))
        return normalise({f"{set_kind}S": [m[set_kind] for m in members]})

    def operand(self, node: Tree[Token]) -> ast.Operand:
        if node.data == "path":
            return self.path(node)
        return ast.Literal(self.value(node), "?")

    def cond(self, node: Tree[Token]) -> ast.Condition:
        kind = node.data
        kids = [c for c in node.children if isinstance(c, Tree)]
        if kind == "or_":
            return ast.Or(self.cond(kids[0]), self.cond(kids[1]))
        if kind == "and_":
            return ast.And(self.cond(kids[0]), self.cond(kids[1]))
        if kind == "not_":
            return ast.Not(self.cond(kids[0]))
        if kind == "compare":
            left, op, right = node.children
            operator = "<>" if str(op) == "!=" else str(op)
            return ast.Compare(operator, self.operand(left), self.operand(right))  # type: ignore[arg-type]
        if kind == "between":
            return ast.Between(self.operand(kids[0]), self.operand(kids[1]), self.operand(kids[2]))
        if kind == "in_":
            return ast.In(self.operand(kids[0]), tuple(self.operand(k) for k in kids[1:]))
        name = str(node.children[0])
        functions = {"attribute_exists": 1, "attribute_not_exists": 1, "begins_with": 2, "contains": 2,
                     "attribute_type": 2, "exists": 1, "missing": 1}  # fmt: skip
        if name.lower() not in functions:
            raise validation(f"Statement wasn't well formed, can't be processed: Unsupported function {name}")
        return ast.FunctionCondition(ast.Call(name.lower(), tuple(self.operand(k) for k in kids)))


def _statement(ctx: OperationContext, params: Params) -> Statement:
    text = str(params.get("Statement") or "")
    try:
        tree = _tree(text)
    except UnexpectedInput as problem:
        raise validation(f"Statement wasn't well formed, can't be processed: {type(problem).__name__}") from None
    builder = _Builder(list(params.get("Parameters") or []))
    (node,) = tree.children
    assert isinstance(node, Tree)
    source = next(c for c in node.children if isinstance(c, Tree) and c.data == "source")
    names = [builder.ident(c) for c in source.children if isinstance(c, Tree)]
    ref = table_ref(ctx, names[0])
    statement = Statement(node.data, ref, load_table(ctx, ref), names[1] if len(names) > 1 else None)
    for child in node.children:
        if not isinstance(child, Tree):
            continue
        if child.data == "where":
            statement.where = builder.cond(child.children[0])  # type: ignore[arg-type]
        elif child.data == "projection":
            statement.paths = tuple(builder.path(p) for p in child.children if isinstance(p, Tree))
        elif child.data in ("map", "parameter"):
            value = builder.value(child)
            if "M" not in value:
                raise validation("Unsupported type passed: INSERT needs a map of attribute values")
            statement.item = value["M"]
        elif child.data in ("set_clause", "remove_clause"):
            actions = list(statement.update.actions) if statement.update else []
            for part in child.children:
                assert isinstance(part, Tree)
                if child.data == "set_clause":
                    target, value_node = part.children
                    literal = ast.Literal(builder.value(value_node), "?")  # type: ignore[arg-type]
                    actions.append(ast.UpdateAction("SET", builder.path(target), literal))  # type: ignore[arg-type]
                else:
                    actions.append(ast.UpdateAction("REMOVE", builder.path(part)))
            statement.update = ast.Update(tuple(actions))
    if builder.used != len(builder.parameters):
        raise validation("Number of parameters in request and statement don't match.")
    return statement


def _key_equalities(where: ast.Condition | None) -> dict[str, Value]:
    """``name = value`` conditions among the top-level ANDs of ``where``."""
    out: dict[str, Value] = {}
    parts: list[ast.Condition] = []

    def flatten(node: ast.Condition | None) -> None:
        if isinstance(node, ast.And):
            flatten(node.left)
            flatten(node.right)
        elif node is not None:
            parts.append(node)

    flatten(where)
    for part in parts:
        if (
            isinstance(part, ast.Compare)
            and part.operator == "="
            and isinstance(part.left, ast.Path)
            and isinstance(part.right, ast.Literal)
            and len(part.left.elements) == 1
        ):
            out[part.left.top] = part.right.value
    return out


_ACTIONS = {"select": "PartiQLSelect", "insert": "PartiQLInsert", "update": "PartiQLUpdate", "delete": "PartiQLDelete"}


def _authorize(ctx: OperationContext, _op: Operation, params: Params) -> None:
    statement = _statement(ctx, params)
    table = statement.table
    leading = None
    full_scan = None
    if table is not None:
        schema = table.indexes[statement.index][0] if statement.index in table.indexes else table.keys
        if statement.index is not None and statement.index not in table.indexes:
            raise validation(f"The table does not have the specified index: {statement.index}")
        hash_value = (statement.item or {}).get(schema.hash_name) or _key_equalities(statement.where).get(
            schema.hash_name
        )
        if hash_value is not None:
            leading = (key_text(hash_value),)
        if statement.kind == "select":
            full_scan = "false" if hash_value is not None else "true"
    access = ItemAccess(
        leading_keys=leading,
        attributes=tuple(p.top for p in statement.paths) if statement.paths else None,
        return_consumed_capacity=str(params.get("ReturnConsumedCapacity") or "NONE"),
    )
    context = access.context()
    if full_scan is not None:
        context["dynamodb:FullTableScan"] = full_scan
    resource = statement.ref.index_arn(statement.index) if statement.index else statement.ref.arn
    authorize_action(ctx, f"dynamodb:{_ACTIONS[statement.kind]}", resource, context=context,
                     resource_policy=resource_policy(ctx, table, statement.ref))  # fmt: skip
    if table is None:
        raise not_found(f"Requested resource not found: Table: {statement.ref.name} not found")
    params[PARSED] = statement


def _full_key(table: Table, where: ast.Condition | None) -> Item:
    equal = _key_equalities(where)
    key = {name: equal[name] for name in table.keys.names if name in equal}
    if set(key) != set(table.keys.names):
        raise validation("Where clause does not contain a mandatory equality on all key attributes")
    return key


def _remaining(where: ast.Condition | None, key: Item) -> ast.Condition | None:
    """``where`` without the key equalities (the write's condition)."""
    if where is None:
        return None
    if isinstance(where, ast.And):
        left, right = _remaining(where.left, key), _remaining(where.right, key)
        if left is None or right is None:
            return left or right
        return ast.And(left, right)
    if (
        isinstance(where, ast.Compare)
        and where.operator == "="
        and isinstance(where.left, ast.Path)
        and len(where.left.elements) == 1
        and where.left.top in key
    ):
        return None
    return where


@SERVICE.operation("ExecuteStatement", action=None, authorizer=_authorize, writes=True)
def execute_statement(ctx: OperationContext, params: Params) -> Result:
    statement: Statement = parsed(params)
    table = statement.table
    assert table is not None
    on_failure = params.get("ReturnValuesOnConditionCheckFailure")
    if statement.kind == "insert":
        assert statement.item is not None
        item = {k: v for k, v in statement.item.items()}
        exists = ast.FunctionCondition(ast.Call("attribute_not_exists", (ast.Path((table.keys.hash_name,)),)))
        try:
            writes.put(ctx, table, item, exists)
        except writes.ConditionFailed:
            raise error("DuplicateItemException", "Duplicate primary key exists in table") from None
        return {"Items": []}
    if statement.kind in ("update", "delete"):
        key = _full_key(table, statement.where)
        cond = _remaining(statement.where, key)
        if statement.kind == "update":
            must_exist = ast.FunctionCondition(ast.Call("attribute_exists", (ast.Path((table.keys.hash_name,)),)))
            cond = must_exist if cond is None else ast.And(must_exist, cond)
            writes.update(ctx, table, key, statement.update, cond, str(on_failure) if on_failure else None)
        else:
            writes.delete(ctx, table, key, cond, str(on_failure) if on_failure else None)
        return {"Items": []}
    return _select(ctx, statement, params)


def _select(ctx: OperationContext, statement: Statement, params: Params) -> Result:
    table = statement.table
    assert table is not None
    schema = table.indexes[statement.index][0] if statement.index else table.keys
    hash_value = _key_equalities(statement.where).get(schema.hash_name)
    start = int(json.loads(base64.b64decode(params["NextToken"]))) if params.get("NextToken") else 0
    limit = params.get("Limit")
    rows: Any
    if hash_value is not None and statement.index is None:
        rows = ((text, size) for _k, text, size in dynamodb_store.query(ctx.tx, table.uid, encode_key(hash_value)))
    elif hash_value is not None and statement.index is not None:
        rows = ((text, size) for _k, text, size in dynamodb_store.query_index(
            ctx.tx, table.uid, statement.index, encode_key(hash_value)))  # fmt: skip
    elif statement.index is not None:
        rows = ((text, size) for _k, text, size in dynamodb_store.scan_index(ctx.tx, table.uid, statement.index))
    else:
        rows = ((text, size) for _k, text, size in dynamodb_store.scan(ctx.tx, table.uid))
    items: list[Item] = []
    read = 0
    position = 0
    more = False
    for position, (text, size) in enumerate(rows, start=1):
        if position <= start:
            continue
        item = item_from_json(json.loads(text))
        if table.expired(item, ctx.now):
            continue
        read += size
        if statement.where is None or condition(item, statement.where):
            items.append(project(item, statement.paths) if statement.paths else item)
        if (limit is not None and position - start >= limit) or read >= 1024 * 1024:
            more = True
            break
    out: Result = {"Items": items}
    if more:
        out["NextToken"] = base64.b64encode(json.dumps(position).encode()).decode()
    return out
