"""Parsing DynamoDB's expressions with one LALR grammar (lark) for conditions (also filters and
key conditions), update expressions and projections; placeholders are substituted from
``ExpressionAttributeNames`` / ``ExpressionAttributeValues`` as the tree becomes
:mod:`.ast` nodes (``Expressions.OperatorsAndFunctions``, ``Expressions.UpdateExpressions``,
``Expressions.ExpressionAttributeNames``, ``Expressions.ExpressionAttributeValues``).

Errors are AWS's ``ValidationException`` wording: ``Invalid ConditionExpression: Syntax error;
token: "x", near: "a x"``, ``An expression attribute value used in expression is not defined;
attribute value: :v``, ``Attribute name is a reserved keyword; reserved keyword: name``,
``Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}`` ...
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from localiam.services.dynamodb.expressions import ast
from localiam.services.dynamodb.expressions.reserved import is_reserved
from localiam.services.dynamodb.values import Value, normalise, validation

GRAMMAR = r"""
condition: cond
?cond: cond OR conj | conj
?conj: conj AND neg | neg
?neg: NOT neg -> not_ | atom
?atom: "(" cond ")"
     | operand COMPARATOR operand -> compare
     | operand BETWEEN operand AND operand -> between
     | operand IN "(" operand ("," operand)* ")" -> in_
     | operand -> bare
?operand: path | VALUE -> value | call
call: NAME "(" operand ("," operand)* ")"
path: part ("." part | "[" INT "]")*
?part: NAME | NAMEREF

update: clause+
clause: SET set_action ("," set_action)*
      | REMOVE path ("," path)*
      | ADD path operand ("," path operand)*
      | DELETE path operand ("," path operand)*
set_action: path COMPARATOR set_value
?set_value: operand | operand PLUS operand -> arithmetic | operand MINUS operand -> arithmetic

projection: path ("," path)*

OR: "OR"i
AND: "AND"i
NOT: "NOT"i
BETWEEN: "BETWEEN"i
IN: "IN"i
SET: "SET"i
REMOVE: "REMOVE"i
ADD: "ADD"i
DELETE: "DELETE"i
PLUS: "+"
MINUS: "-"
COMPARATOR: "=" | "<>" | "<=" | ">=" | "<" | ">"
NAME: /[A-Za-z_][A-Za-z0-9_]*/
NAMEREF: /#[A-Za-z0-9_]+/
VALUE: /:[A-Za-z0-9_]+/
INT: /[0-9]+/
%ignore /[ \t\r\n]+/
"""

_PARSER = Lark(GRAMMAR, parser="lalr", start=["condition", "update", "projection"], maybe_placeholders=False)

OPERAND_FUNCTIONS = {"size": 1}
UPDATE_FUNCTIONS = {"if_not_exists": 2, "list_append": 2}
CONDITION_FUNCTIONS = {
    "attribute_exists": 1,
    "attribute_not_exists": 1,
    "attribute_type": 2,
    "begins_with": 2,
    "contains": 2,
}


@functools.lru_cache(maxsize=4096)
def _tree(start: str, text: str) -> Tree[Token]:
    return _PARSER.parse(text, start=start)


class Substitutions:
    """A request's ``ExpressionAttributeNames`` and ``ExpressionAttributeValues`` and which of
    them its expressions used (what is left over is an error, :meth:`check_all_used`)."""

    def __init__(self, names: Mapping[str, str] | None, values: Mapping[str, Any] | None) -> None:
        self.names = dict(names or {})
        if names is not None and not names:
            raise validation("ExpressionAttributeNames must not be empty")
        if values is not None and not values:
            raise validation("ExpressionAttributeValues must not be empty")
        self.values: dict[str, Value] = {}
        for key, raw in (values or {}).items():
            try:
                self.values[key] = normalise(raw)
            except Exception as problem:
                message = getattr(problem, "message", str(problem))
                raise validation(f"ExpressionAttributeValues contains invalid value: {message} for key {key}") from None
        self.used_names: set[str] = set()
        self.used_values: set[str] = set()

    def check_all_used(self) -> None:
        unused_values = sorted(set(self.values) - self.used_values)
        if unused_values:
            raise validation(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {"
                + ", ".join(unused_values)
                + "}"
            )
        unused_names = sorted(set(self.names) - self.used_names)
        if unused_names:
            raise validation(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {"
                + ", ".join(unused_names)
                + "}"
            )


class _Builder:
    def __init__(self, kind: str, subs: Substitutions) -> None:
        self.kind = kind
        self.subs = subs

    def fail(self, message: str) -> Exception:
        return validation(f"Invalid {self.kind}: {message}")

    # --- operands
    def operand(self, node: Tree[Token] | Token) -> ast.Operand:
        if isinstance(node, Token):
            raise self.fail(f'Syntax error; token: "{node}", near: "{node}"')
        if node.data == "path":
            return self.path(node)
        if node.data == "value":
            return self.value(node.children[0])
        if node.data == "call":
            return self.call(node)
        if node.data == "arithmetic":
            left, op, right = node.children
            return ast.Arithmetic(str(op), self.operand(left), self.operand(right))
        raise self.fail(f'Syntax error; token: "{node.data}", near: "{node.data}"')

    def value(self, token: Tree[Token] | Token) -> ast.Literal:
        name = str(token)
        if name not in self.subs.values:
            raise self.fail(f"An expression attribute value used in expression is not defined; attribute value: {name}")
        self.subs.used_values.add(name)
        return ast.Literal(self.subs.values[name], name)

    def path(self, node: Tree[Token]) -> ast.Path:
        elements: list[ast.PathElement] = []
        for child in node.children:
            assert isinstance(child, Token)
            if child.type == "INT":
                elements.append(int(child))
            elif child.type == "NAMEREF":
                name = str(child)
                if name not in self.subs.names:
                    raise self.fail(
                        f"An expression attribute name used in the document path is not defined; attribute name: {name}"
                    )
                self.subs.used_names.add(name)
                elements.append(self.subs.names[name])
            else:
                if is_reserved(str(child)):
                    raise self.fail(f"Attribute name is a reserved keyword; reserved keyword: {child}")
                elements.append(str(child))
        return ast.Path(tuple(elements))

    def call(self, node: Tree[Token], *, condition: bool = False) -> ast.Call:
        name_token, *arg_nodes = node.children
        name = str(name_token)
        arity = {**OPERAND_FUNCTIONS, **UPDATE_FUNCTIONS, **CONDITION_FUNCTIONS}.get(name)
        if arity is None:
            raise self.fail(f"Invalid function name; function: {name}")
        if condition and name not in CONDITION_FUNCTIONS:
            raise self.fail(f"The function is not allowed to be used this way in an expression; function: {name}")
        if not condition and name in CONDITION_FUNCTIONS:
            raise self.fail(f"The function is not allowed to be used this way in an expression; function: {name}")
        if self.kind == "UpdateExpression" and name in CONDITION_FUNCTIONS:
            raise self.fail(f"The function is not allowed in an update expression; function: {name}")
        if self.kind != "UpdateExpression" and name in UPDATE_FUNCTIONS:
            raise self.fail(f"The function is not allowed in a {_article(self.kind)}; function: {name}")
        if len(arg_nodes) != arity:
            raise self.fail(
                "Incorrect number of operands for operator or function; "
                f"operator or function: {name}, number of operands: {len(arg_nodes)}"
            )
        args = tuple(self.operand(arg) for arg in arg_nodes)
        needs_path = ("attribute_exists", "attribute_not_exists", "size", "if_not_exists", "attribute_type")
        if name in needs_path and not isinstance(args[0], ast.Path):
            raise self.fail(f"Operator or function requires a document path; operator or function: {name}")
        return ast.Call(name, args)

    # --- conditions
    def condition(self, node: Tree[Token] | Token) -> ast.Condition:
        if isinstance(node, Token):
            raise self.fail(f'Syntax error; token: "{node}", near: "{node}"')
        data = node.data
        if data in ("condition",):
            return self.condition(node.children[0])
        if data == "cond":
            left, _, right = node.children
            return ast.Or(self.condition(left), self.condition(right))
        if data == "conj":
            left, _, right = node.children
            return ast.And(self.condition(left), self.condition(right))
        if data == "not_":
            return ast.Not(self.condition(node.children[1]))
        if data == "compare":
            left, op, right = node.children
            return ast.Compare(str(op), self.operand(left), self.operand(right))
        if data == "between":
            subject, _, low, _, high = node.children
            return ast.Between(self.operand(subject), self.operand(low), self.operand(high))
        if data == "in_":
            subject, _, *options = node.children
            if len(options) > 100:
                raise self.fail("The IN operator is provided with too many operands; number of operands: "
                                f"{len(options)}")  # fmt: skip
            return ast.In(self.operand(subject), tuple(self.operand(o) for o in options))
        if data == "bare":
            (inner,) = node.children
            if isinstance(inner, Tree) and inner.data == "call":
                return ast.FunctionCondition(self.call(inner, condition=True))
            text = str(inner.children[0]) if isinstance(inner, Tree) and inner.children else str(inner)
            raise self.fail(f'Syntax error; token: "<EOF>", near: "{text}"')
        raise self.fail(f'Syntax error; token: "{data}", near: "{data}"')

    # --- updates
    def update(self, node: Tree[Token]) -> ast.Update:
        actions: list[ast.UpdateAction] = []
        seen: set[str] = set()
        for clause in node.children:
            assert isinstance(clause, Tree)
            verb_token, *rest = clause.children
            verb = str(verb_token).upper()
            if verb in seen:
                raise self.fail(f'The "{verb}" section can only be used once in an update expression;')
            seen.add(verb)
            if verb == "SET":
                for action in rest:
                    assert isinstance(action, Tree)
                    target, operator, value = action.children
                    assert isinstance(target, Tree)
                    if str(operator) != "=":
                        raise self.fail(f'Syntax error; token: "{operator}", near: "{_first_token(target)} {operator}"')
                    actions.append(ast.UpdateAction("SET", self.path(target), self.operand(value)))
            elif verb == "REMOVE":
                for target in rest:
                    assert isinstance(target, Tree)
                    actions.append(ast.UpdateAction("REMOVE", self.path(target)))
            else:
                for index in range(0, len(rest), 2):
                    target, value = rest[index], rest[index + 1]
                    assert isinstance(target, Tree)
                    operand = self.operand(value)
                    if not isinstance(operand, ast.Literal):
                        raise self.fail(f'Syntax error; token: "{_first_token(value)}", near: "{_first_token(value)}"')
                    actions.append(ast.UpdateAction(verb, self.path(target), operand))
        return ast.Update(tuple(actions))


def _article(kind: str) -> str:
    return {"ConditionExpression": "condition expression", "FilterExpression": "filter expression",
            "KeyConditionExpression": "key condition expression",
            "ProjectionExpression": "projection expression"}.get(kind, kind)  # fmt: skip


def _first_token(node: Any) -> str:
    if isinstance(node, Token):
        return str(node)
    for child in node.children:
        return _first_token(child)
    return ""


def _parse(start: str, kind: str, text: str) -> Tree[Token]:
    if not text.strip():
        raise validation(f"Invalid {kind}: The expression can not be empty;")
    try:
        return _tree(start, text)
    except UnexpectedEOF as problem:
        raise validation(f'Invalid {kind}: Syntax error; token: "<EOF>", near: "{_near(text, len(text))}"') from problem
    except UnexpectedToken as problem:
        token = str(problem.token) if problem.token.type != "$END" else "<EOF>"
        position = problem.token.start_pos if problem.token.start_pos is not None else len(text)
        raise validation(
            f'Invalid {kind}: Syntax error; token: "{token}", near: "{_near(text, position, token)}"'
        ) from problem
    except UnexpectedCharacters as problem:
        at = problem.pos_in_stream or 0
        char = text[at] if at < len(text) else ""
        raise validation(f'Invalid {kind}: Invalid token: "{char}", near: "{_near(text, at)}"') from problem
    except UnexpectedInput as problem:  # pragma: no cover - every lark failure is one of the above
        raise validation(f"Invalid {kind}: Syntax error") from problem


def _near(text: str, position: int, token: str = "") -> str:
    """The previous word and the token, as AWS quotes them."""
    before = text[:position].rstrip().split()
    previous = before[-1] if before else ""
    return f"{previous} {token}".strip() if token and token != "<EOF>" else previous


def parse_condition(text: str, subs: Substitutions, kind: str = "ConditionExpression") -> ast.Condition:
    return _Builder(kind, subs).condition(_parse("condition", kind, text))


def parse_update(text: str, subs: Substitutions) -> ast.Update:
    return _Builder("UpdateExpression", subs).update(_parse("update", "UpdateExpression", text))


def parse_projection(text: str, subs: Substitutions) -> tuple[ast.Path, ...]:
    builder = _Builder("ProjectionExpression", subs)
    tree = _parse("projection", "ProjectionExpression", text)
    return tuple(builder.path(child) for child in tree.children if isinstance(child, Tree))
