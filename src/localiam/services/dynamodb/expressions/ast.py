"""The parsed forms of DynamoDB's expressions (``Expressions``): document paths, operands,
conditions and update actions, with every placeholder already substituted."""

from __future__ import annotations

from dataclasses import dataclass

from localiam.services.dynamodb.values import Value

PathElement = str | int


@dataclass(frozen=True, slots=True)
class Path:
    """A document path: attribute names and list indexes (``a.b[2].c``)."""

    elements: tuple[PathElement, ...]

    @property
    def top(self) -> str:
        first = self.elements[0]
        assert isinstance(first, str)
        return first

    def __str__(self) -> str:
        out = ""
        for element in self.elements:
            out += f"[{element}]" if isinstance(element, int) else (f".{element}" if out else element)
        return out


@dataclass(frozen=True, slots=True)
class Literal:
    value: Value
    placeholder: str


@dataclass(frozen=True, slots=True)
class Call:
    """A function in an expression: ``size``, ``if_not_exists``, ``list_append`` (operands) or
    ``attribute_exists`` ... (conditions)."""

    name: str
    args: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class Arithmetic:
    operator: str  # "+" or "-"
    left: Operand
    right: Operand


Operand = Path | Literal | Call | Arithmetic


@dataclass(frozen=True, slots=True)
class Compare:
    operator: str
    left: Operand
    right: Operand


@dataclass(frozen=True, slots=True)
class Between:
    operand: Operand
    low: Operand
    high: Operand


@dataclass(frozen=True, slots=True)
class In:
    operand: Operand
    options: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class FunctionCondition:
    call: Call


@dataclass(frozen=True, slots=True)
class And:
    left: Condition
    right: Condition


@dataclass(frozen=True, slots=True)
class Or:
    left: Condition
    right: Condition


@dataclass(frozen=True, slots=True)
class Not:
    operand: Condition


Condition = Compare | Between | In | FunctionCondition | And | Or | Not


@dataclass(frozen=True, slots=True)
class UpdateAction:
    """One action of an update expression: ``SET path = value``, ``REMOVE path``,
    ``ADD path value``, ``DELETE path value``."""

    verb: str
    path: Path
    value: Operand | None = None


@dataclass(frozen=True, slots=True)
class Update:
    actions: tuple[UpdateAction, ...]


def paths_of(node: object) -> list[Path]:
    """Every document path a node names (for ``dynamodb:Attributes`` and key checks)."""
    out: list[Path] = []
    _collect(node, out)
    return out


def _collect(node: object, out: list[Path]) -> None:
    if isinstance(node, Path):
        out.append(node)
    elif isinstance(node, Literal) or node is None:
        return
    elif isinstance(node, Call):
        for arg in node.args:
            _collect(arg, out)
    elif isinstance(node, (Arithmetic, Compare, And, Or)):
        _collect(node.left, out)
        _collect(node.right, out)
    elif isinstance(node, Between):
        for part in (node.operand, node.low, node.high):
            _collect(part, out)
    elif isinstance(node, In):
        _collect(node.operand, out)
        for option in node.options:
            _collect(option, out)
    elif isinstance(node, FunctionCondition):
        _collect(node.call, out)
    elif isinstance(node, Not):
        _collect(node.operand, out)
    elif isinstance(node, UpdateAction):
        out.append(node.path)
        _collect(node.value, out)
    elif isinstance(node, Update):
        for action in node.actions:
            _collect(action, out)
    elif isinstance(node, (list, tuple)):
        for part in node:
            _collect(part, out)
