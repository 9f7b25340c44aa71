"""botocore's service models, loaded from botocore's installed data, and the constraints they declare.

Nothing is downloaded and no user file (``~/.aws/models``) is read: the loader searches only the
``data`` directory inside the installed botocore package. Models are loaded once per process.

Constraint checking follows the input-validation errors AWS's Coral front end returns before an
operation runs (observed on IAM, STS and many JSON services), for example (wrapped here)::

    1 validation error detected: Value null at 'userName' failed to satisfy constraint:
        Member must not be null
    1 validation error detected: Value '600' at 'durationSeconds' failed to satisfy constraint:
        Member must have value greater than or equal to 900
    Value at 'pipeline.stages.2.member.actions.1.member.configuration' failed to satisfy constraint:
        Map value must satisfy constraint: [Member must have length less than or equal to 50000,
        Member must have length greater than or equal to 1]

Paths name members with their first letter lower-cased, list elements as ``N.member`` (1-based);
values of ``sensitive`` shapes (and of maps and structures) are not shown; patterns are Java
regular expressions matched against the whole value; lengths count UTF-16 code units as Java does.
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

import botocore  # type: ignore[import-untyped]
import botocore.loaders  # type: ignore[import-untyped]
import botocore.model  # type: ignore[import-untyped]

# A botocore ``Shape`` / ``ServiceModel`` / ``OperationModel``: botocore ships no type hints.
Shape = Any

_DATA_PATH = os.path.join(os.path.dirname(botocore.__file__), "data")


@functools.cache
def _loader() -> Any:
    return botocore.loaders.Loader(extra_search_paths=[_DATA_PATH], include_default_search_paths=False)


@functools.cache
def service_model(service: str) -> Any:
    """botocore's ``ServiceModel`` for ``service`` (``iam``, ``sts``, ``organizations`` ...)."""
    data = _loader().load_service_model(service, "service-2")
    return botocore.model.ServiceModel(data, service_name=service)


def available_services() -> list[str]:
    """Every service botocore has a model for."""
    return list(_loader().list_available_services("service-2"))


def raw_metadata(service: str) -> dict[str, Any]:
    """The ``metadata`` of ``service``'s model as botocore's data holds it (no model built)."""
    return dict(_loader().load_service_model(service, "service-2")["metadata"])


def endpoint_prefixes() -> frozenset[str]:
    """The endpoint prefixes (first labels of service hosts) botocore's ``endpoints.json`` lists."""
    found: set[str] = set()
    for partition in _loader().load_data("endpoints")["partitions"]:
        found.update(partition["services"])
    return frozenset(found)


def protocol_of(service: str) -> str:
    """The wire protocol of ``service``: ``query``, ``json``, ``rest-json``, ``rest-xml`` ..."""
    return str(service_model(service).protocol)


@dataclass(frozen=True, slots=True)
class Operation:
    """What the wire needs to know about one operation of one service."""

    service: str
    name: str
    protocol: str
    http_method: str
    http_path: str
    unsigned: bool
    endpoint_prefix: str
    signing_name: str
    api_version: str
    model: Any  # botocore OperationModel

    @property
    def input_shape(self) -> Shape | None:
        return self.model.input_shape

    @property
    def output_shape(self) -> Shape | None:
        return self.model.output_shape


@functools.cache
def operation(service: str, name: str) -> Operation | None:
    """The operation ``name`` of ``service``, or ``None`` when the model has no such operation."""
    model = service_model(service)
    if name not in model.operation_names:
        return None
    op = model.operation_model(name)
    metadata = model.metadata
    # ``authtype: none`` (older models) or ``auth: [smithy.api#noAuth]`` (newer ones): STS
    # AssumeRoleWithWebIdentity and AssumeRoleWithSAML are called without a signature.
    unsigned = op.auth_type == "none" or list(getattr(op, "auth", None) or []) == ["smithy.api#noAuth"]
    return Operation(
        service=service,
        name=name,
        protocol=str(model.protocol),
        http_method=str(op.http.get("method", "POST")),
        http_path=str(op.http.get("requestUri", "/")),
        unsigned=unsigned,
        endpoint_prefix=str(metadata["endpointPrefix"]),
        signing_name=str(metadata.get("signingName", metadata["endpointPrefix"])),
        api_version=str(metadata["apiVersion"]),
        model=op,
    )


@functools.cache
def error_shapes(service: str) -> dict[str, Shape]:
    """The service's modeled errors by wire code (``NoSuchEntity`` for ``NoSuchEntityException``)."""
    model = service_model(service)
    out: dict[str, Shape] = {}
    for name in model.shape_names:
        shape = model.shape_for(name)
        if shape.metadata.get("exception"):
            out[shape.metadata.get("error", {}).get("code", name)] = shape
    return out


# --- constraints -------------------------------------------------------------------------------


class Constraint(Enum):
    REQUIRED = "required"
    MIN_LENGTH = "min-length"
    MAX_LENGTH = "max-length"
    PATTERN = "pattern"
    ENUM = "enum"
    MIN_VALUE = "min-value"
    MAX_VALUE = "max-value"
    MAP_KEYS = "map-keys"
    MAP_VALUES = "map-values"


@dataclass(frozen=True, slots=True)
class Violation:
    """One failed constraint: where, which, and AWS's sentence for it."""

    path: str
    constraint: Constraint
    rule: str
    value: object
    show_value: bool

    def __str__(self) -> str:
        if self.value is None:
            shown = "Value null at"
        elif self.show_value:
            shown = f"Value '{java_str(self.value)}' at"
        else:
            shown = "Value at"
        return f"{shown} '{self.path}' failed to satisfy constraint: {self.rule}"


def validation_message(violations: list[Violation]) -> str:
    """``N validation error(s) detected: ...; ...`` as AWS words it."""
    count = len(violations)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(str(v) for v in violations)


def java_str(value: object) -> str:
    """``value`` the way Java's ``toString`` shows it in AWS's messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(java_str(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{java_str(k)}={java_str(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def member_path(parent: str, name: str) -> str:
    """``parent.name`` with the member's first letter lower-cased, as Coral names it."""
    segment = name[:1].lower() + name[1:]
    return f"{parent}.{segment}" if parent else segment


def validate(shape: Shape | None, params: dict[str, Any]) -> list[Violation]:
    """Every constraint of ``shape`` that ``params`` fails, in member order."""
    out: list[Violation] = []
    if shape is not None:
        _check_structure(shape, params, "", out)
    return out


def _check_structure(shape: Shape, value: dict[str, Any], path: str, out: list[Violation]) -> None:
    required = _required(shape)
    for name, member in shape.members.items():
        item = value.get(name)
        if item is None:
            if name in required:
                missing = Violation(member_path(path, name), Constraint.REQUIRED, "Member must not be null", None, True)
                out.append(missing)
            continue
        _check(member, item, member_path(path, name), out)


@functools.cache
def _required(shape: Shape) -> frozenset[str]:
    return frozenset(shape.required_members)


def _check(shape: Shape, value: Any, path: str, out: list[Violation]) -> None:
    kind = shape.type_name
    if kind == "structure":
        _check_structure(shape, value, path, out)
        return
    if kind == "list":
        out.extend(_rule_violations(shape, value, path, show=True))
        for index, item in enumerate(value, 1):
            if item is not None:
                _check(shape.member, item, f"{path}.{index}.member", out)
        return
    if kind == "map":
        out.extend(_rule_violations(shape, value, path, show=False))
        if _rules(shape.key) and any(_rule_violations(shape.key, key, path, show=False) for key in value):
            rules = ", ".join(text for _, text in _rules(shape.key))
            rule = f"Map keys must satisfy constraint: [{rules}]"
            out.append(Violation(path, Constraint.MAP_KEYS, rule, value, False))
        if _rules(shape.value) and any(
            v is not None and _rule_violations(shape.value, v, path, show=False) for v in value.values()
        ):
            rules = ", ".join(text for _, text in _rules(shape.value))
            rule = f"Map value must satisfy constraint: [{rules}]"
            out.append(Violation(path, Constraint.MAP_VALUES, rule, value, False))
        return
    if not _rules(shape):
        return
    show = not shape.metadata.get("sensitive", False)
    out.extend(_rule_violations(shape, value, path, show))


@functools.cache
def _rules(shape: Shape) -> tuple[tuple[Constraint, str], ...]:
    """Every constraint ``shape`` declares, with AWS's wording, in the order AWS lists them
    (once per shape: the model's shapes live as long as the process)."""
    meta = shape.metadata
    numeric = shape.type_name in ("integer", "long", "float", "double", "bigInteger", "bigDecimal")
    rules: list[tuple[Constraint, str]] = []
    if numeric:
        if "max" in meta:
            rules.append((Constraint.MAX_VALUE, f"Member must have value less than or equal to {_num(meta['max'])}"))
        if "min" in meta:
            rules.append((Constraint.MIN_VALUE, f"Member must have value greater than or equal to {_num(meta['min'])}"))
        return tuple(rules)
    if "max" in meta:
        rules.append((Constraint.MAX_LENGTH, f"Member must have length less than or equal to {_num(meta['max'])}"))
    if "min" in meta:
        rules.append((Constraint.MIN_LENGTH, f"Member must have length greater than or equal to {_num(meta['min'])}"))
    if "pattern" in meta:
        rules.append((Constraint.PATTERN, f"Member must satisfy regular expression pattern: {meta['pattern']}"))
    if shape.type_name == "string" and shape.enum:
        rules.append((Constraint.ENUM, "Member must satisfy enum value set: [" + ", ".join(shape.enum) + "]"))
    return tuple(rules)


def _num(bound: Any) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def _rule_violations(shape: Shape, value: Any, path: str, show: bool) -> list[Violation]:
    rules = _rules(shape)
    if not rules:
        return []
    meta = shape.metadata
    found: list[Violation] = []
    for constraint, text in rules:
        failed = False
        if constraint in (Constraint.MIN_VALUE, Constraint.MAX_VALUE):
            bound = meta["min" if constraint is Constraint.MIN_VALUE else "max"]
            failed = value < bound if constraint is Constraint.MIN_VALUE else value > bound
        elif constraint is Constraint.MIN_LENGTH:
            failed = _too_short(value, meta["min"])
        elif constraint is Constraint.MAX_LENGTH:
            failed = _too_long(value, meta["max"])
        elif constraint is Constraint.PATTERN and isinstance(value, str):
            failed = java_pattern(meta["pattern"]).fullmatch(value) is None
        elif constraint is Constraint.ENUM:
            failed = value not in shape.enum
        if failed:
            found.append(Violation(path, constraint, text, value, show))
    if len(found) < 2:
        return found
    # AWS reports the lower bound before the upper one and the length before the pattern.
    return sorted(found, key=lambda v: _REPORT_ORDER.index(v.constraint))


_REPORT_ORDER = [
    Constraint.MIN_LENGTH,
    Constraint.MAX_LENGTH,
    Constraint.PATTERN,
    Constraint.ENUM,
    Constraint.MIN_VALUE,
    Constraint.MAX_VALUE,
]


def _too_short(value: Any, bound: Any) -> bool:
    if isinstance(value, str) and len(value) >= bound:
        return False  # a string has at least as many UTF-16 code units as code points
    return bool(_length(value) < bound)


def _too_long(value: Any, bound: Any) -> bool:
    if isinstance(value, str) and 2 * len(value) <= bound:
        return False  # and at most two for each
    return bool(_length(value) > bound)


def _length(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode("utf-16-le")) // 2
    return len(value)


# --- Java regular expressions --------------------------------------------------------------------


@functools.cache
def java_pattern(pattern: str) -> re.Pattern[str]:
    """A model ``pattern`` (Java syntax) compiled for Python.

    Java's ``\\w``, ``\\d`` and ``\\s`` are ASCII-only (so ``re.ASCII``), and ``\\p{L}``-style
    Unicode categories, which Python's ``re`` lacks, become explicit code-point ranges.
    """
    return re.compile(_translate(pattern), re.ASCII)


def _translate(pattern: str) -> str:
    out: list[str] = []
    depth = 0
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            if pattern.startswith("\\p{", i) and "}" in pattern[i:]:
                end = pattern.index("}", i)
                ranges = _category_ranges(pattern[i + 3 : end])
                out.append(ranges if depth else f"[{ranges}]")
                i = end + 1
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if char == "[":
            depth += 1
        elif char == "]" and depth:
            depth -= 1
        out.append(char)
        i += 1
    return "".join(out)


@functools.cache
def _category_ranges(category: str) -> str:
    """The code points of Unicode general category ``category`` (``L``, ``Lu``, ``Z`` ...) as
    the inside of a character class."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x110000):
        if unicodedata.category(chr(code)).startswith(category):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(f"\\U{lo:08x}" if lo == hi else f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges)
