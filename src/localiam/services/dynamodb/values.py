"""DynamoDB's type system (``HowItWorks.NamingRulesDataTypes``): the ten attribute value types
as the wire carries them (``{"S": "x"}``, ``{"N": "1.5"}``, ``{"B": b"..."}`` ...), checked,
normalised, sized, compared and encoded so that keys sort as DynamoDB sorts them.

- Numbers are decimals with up to 38 significant digits, magnitudes from 1E-130 to
  9.9999999999999999999999999999999999999E+125; they are stored and compared as decimals,
  never floats, and returned without exponent or trailing zeros (``"1.50"`` → ``"1.5"``).
- Strings sort by their UTF-8 bytes, binaries by their unsigned bytes, numbers numerically
  (``HowItWorks.CoreComponents``, "sorted by ... UTF-8 bytes").
- Sets may not be empty nor hold duplicates; an item is at most 400 KB
  (``ServiceQuotas``: "Item size"), sized as ``CapacityUnitCalculations`` says.
"""

from __future__ import annotations

import base64
import decimal
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from localiam.errors import AwsError

Value = dict[str, Any]
Item = dict[str, Value]
TYPES = ("S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS")
MAX_ITEM_SIZE = 400 * 1024
_CONTEXT = decimal.Context(prec=60, Emax=999, Emin=-999)


def add(a: str, b: str, *, subtract: bool = False) -> str:
    """``a + b`` (or ``a - b``) of two numbers, exactly, as DynamoDB stores the result."""
    x, y = Decimal(a), Decimal(b)
    total = _CONTEXT.subtract(x, y) if subtract else _CONTEXT.add(x, y)
    return number_text(to_decimal(str(total)))


_MAX = Decimal("9.9999999999999999999999999999999999999E+125")
_MIN = Decimal("1E-130")
_SET_NAMES = {"SS": "string", "NS": "number", "BS": "binary"}


def validation(message: str) -> AwsError:
    return AwsError(message, code="ValidationException", status=400)


def invalid(message: str) -> AwsError:
    """``One or more parameter values were invalid: ...`` (ValidationException)."""
    return validation(f"One or more parameter values were invalid: {message}")


def to_decimal(text: str) -> Decimal:
    """A number as DynamoDB reads it, or AWS's ValidationException."""
    try:
        value = Decimal(text.strip(), context=_CONTEXT) if text.strip() == text else None
    except decimal.InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise validation("A value provided cannot be converted into a number")
    if value.is_zero():
        return Decimal(0)
    normal = value.normalize(_CONTEXT)
    if len(normal.as_tuple().digits) > 38:
        raise validation("Attempting to store more than 38 significant digits in a Number")
    if abs(normal) > _MAX:
        raise validation("Number overflow. Attempting to store a number with magnitude larger than supported range")
    if abs(normal) < _MIN:
        raise validation("Number underflow. Attempting to store a number with magnitude smaller than supported range")
    return normal


def number_text(value: Decimal) -> str:
    """``value`` as DynamoDB returns it: no exponent, no trailing zeros."""
    if value.is_zero():
        return "0"
    text = format(value.normalize(_CONTEXT), "f")
    return text


_PLAIN_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?")


def canonical_number(text: str) -> str:
    """``text`` as DynamoDB stores and returns the number (``number_text(to_decimal(text))``).
    A number written as DynamoDB writes it, in at most 38 characters (so at most 38 digits,
    well inside the range), is that already, and is taken without building a ``Decimal``."""
    if len(text) <= 38 and text != "-0" and _PLAIN_NUMBER.fullmatch(text):
        return text
    return number_text(to_decimal(text))


def normalise(value: Any, where: str = "") -> Value:
    """A checked copy of one attribute value, numbers normalised; ValidationException as AWS
    words it for what is wrong."""
    if not isinstance(value, Mapping) or len(value) != 1:
        if isinstance(value, Mapping) and not value:
            raise validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
        raise validation(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported "
            "datatypes"
        )
    ((kind, raw),) = value.items()
    if kind == "S":
        return {"S": str(raw)}
    if kind == "N":
        return {"N": canonical_number(str(raw))}
    if kind == "B":
        return {"B": bytes(raw)}
    if kind == "BOOL":
        return {"BOOL": bool(raw)}
    if kind == "NULL":
        if raw is not True:
            raise invalid("Null attribute value types must have the value of true")
        return {"NULL": True}
    if kind == "L":
        return {"L": [normalise(v) for v in raw]}
    if kind == "M":
        return {"M": {str(k): normalise(v) for k, v in raw.items()}}
    if kind in _SET_NAMES:
        members = list(raw)
        if not members:
            raise invalid(f"An {_SET_NAMES[kind]} set  may not be empty")
        if kind == "NS":
            numbers = [to_decimal(str(m)) for m in members]
            if len(set(numbers)) != len(numbers):
                raise invalid(f"Input collection {_show(members)} contains duplicates.")
            return {"NS": [number_text(n) for n in numbers]}
        clean = [str(m) for m in members] if kind == "SS" else [bytes(m) for m in members]
        if len(set(clean)) != len(clean):
            raise invalid(f"Input collection {_show(members)} contains duplicates.")
        return {kind: clean}
    raise validation(f"Supplied AttributeValue has unsupported datatype {kind}")


def _show(members: list[Any]) -> str:
    return "[" + ", ".join(str(m) for m in members) + "]"


def normalise_item(item: Any) -> Item:
    if not isinstance(item, Mapping):
        raise validation("Item must be a map of attribute names to values")
    return {str(name): normalise(value) for name, value in item.items()}


def kind_of(value: Value) -> str:
    return next(iter(value))


# --- size (CapacityUnitCalculations) ----------------------------------------------------------


def value_size(value: Value) -> int:
    kind, raw = next(iter(value.items()))
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        return _number_size(raw)
    if kind == "B":
        return len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in raw)
    if kind == "NS":
        return sum(_number_size(n) for n in raw)
    if kind == "BS":
        return sum(len(b) for b in raw)
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in raw)
    return 3 + sum(1 + len(k.encode()) + value_size(v) for k, v in raw.items())


def _number_size(text: str) -> int:
    digits = len(text.lstrip("-").replace(".", "").strip("0")) or 1
    return (digits + 1) // 2 + 1


def item_size(item: Item) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def check_item_size(item: Item) -> int:
    size = item_size(item)
    if size > MAX_ITEM_SIZE:
        raise validation("Item size has exceeded the maximum allowed size")
    return size


# --- equality and order -------------------------------------------------------------------------


def equal(a: Value, b: Value) -> bool:
    """Deep equality as conditions see it: numbers as decimals, sets unordered."""
    ka, kb = kind_of(a), kind_of(b)
    if ka != kb:
        return False
    ra, rb = a[ka], b[kb]
    if ka == "N":
        return Decimal(ra) == Decimal(rb)
    if ka == "NS":
        return {Decimal(x) for x in ra} == {Decimal(x) for x in rb}
    if ka in ("SS", "BS"):
        return set(ra) == set(rb)
    if ka == "L":
        return len(ra) == len(rb) and all(equal(x, y) for x, y in zip(ra, rb, strict=True))
    if ka == "M":
        return ra.keys() == rb.keys() and all(equal(ra[k], rb[k]) for k in ra)
    return bool(ra == rb)


def ordered(value: Value) -> Any:
    """A Python key that orders S, N and B values the way DynamoDB does (within one type)."""
    kind, raw = next(iter(value.items()))
    if kind == "N":
        return Decimal(raw)
    if kind == "S":
        return raw.encode()
    return raw


# --- keys: bytes that sort like the values ------------------------------------------------------


def encode_key(value: Value) -> bytes:
    """Bytes whose unsigned order is DynamoDB's order of ``value`` (S by UTF-8, B by bytes, N
    numerically). Numbers: a sign byte, the exponent, then the digits (inverted when negative,
    with a terminator so that a longer negative mantissa sorts first)."""
    kind, raw = next(iter(value.items()))
    if kind == "S":
        return str(raw).encode()
    if kind == "B":
        return bytes(raw)
    number = Decimal(str(raw))
    if number.is_zero():
        return b"\x80"
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    magnitude = len(digits) + exponent  # position of the decimal point
    body = "".join(str(d) for d in digits).rstrip("0")
    if not sign:
        return b"\xc0" + (magnitude + 1000).to_bytes(2, "big") + body.encode()
    inverted = "".join(chr(ord("9") - ord(c) + ord("0")) for c in body)
    return b"\x40" + (65535 - (magnitude + 1000)).to_bytes(2, "big") + inverted.encode() + b"~"


# --- storage form (JSON) -----------------------------------------------------------------------


def to_json(value: Value) -> Any:
    kind, raw = next(iter(value.items()))
    if kind == "B":
        return {"B": base64.b64encode(raw).decode()}
    if kind == "BS":
        return {"BS": [base64.b64encode(b).decode() for b in raw]}
    if kind == "L":
        return {"L": [to_json(v) for v in raw]}
    if kind == "M":
        return {"M": {k: to_json(v) for k, v in raw.items()}}
    return {kind: raw}


def from_json(value: Any) -> Value:
    kind, raw = next(iter(value.items()))
    if kind == "B":
        return {"B": base64.b64decode(raw)}
    if kind == "BS":
        return {"BS": [base64.b64decode(b) for b in raw]}
    if kind == "L":
        return {"L": [from_json(v) for v in raw]}
    if kind == "M":
        return {"M": {k: from_json(v) for k, v in raw.items()}}
    return {kind: raw}


def item_to_json(item: Item) -> dict[str, Any]:
    return {name: to_json(value) for name, value in item.items()}


def item_from_json(data: Mapping[str, Any]) -> Item:
    return {name: from_json(value) for name, value in data.items()}
