"""Condition operators: one table keyed by operator name, one small function per family.

AWS reference (IAM User Guide): ``reference_policies_elements_condition_operators`` (the
operators), ``reference_policies_condition-single-vs-multi-valued-context-keys`` and
``reference_policies_multi-value-conditions`` (``ForAllValues:``/``ForAnyValue:``),
``reference_policies_elements_condition`` (key names are case-insensitive),
``reference_policies_variables`` (which operators substitute policy variables) and
``reference_policies_grammar`` (a value list holds one or more values).

A family function turns the policy values into a *predicate* over one context value: "does
this request value match at least one policy value?" (the OR across policy values). Negation,
the set qualifiers and ``IfExists`` are then applied once, generically, by
:class:`CompiledCondition`:

==================  =========================  ===========================================
qualifier           key missing or empty       key present with values ``vs``
==================  =========================  ===========================================
none, positive      false                      any(match(v) for v in vs)
none, negated       true                       not any(match(v) for v in vs)  (NOR)
ForAllValues        true                       all(match(v) != negated for v in vs)
ForAnyValue         false                      any(match(v) != negated for v in vs)
``...IfExists``     true (no set qualifier)    as above
Null                policy value ``true``      policy value ``false``
==================  =========================  ===========================================

Decisions where the pages are silent or disagree (each is pinned by a test):

* Under a set qualifier ``IfExists`` changes nothing: the qualifier's own rule for a missing
  key holds, so ``ForAnyValue:StringEqualsIfExists`` is false without the key. The operators
  page says only "If the key is not present, evaluate the condition element as true"; the
  multivalued page says of ForAnyValue "For no matching context key or if the key does not
  exist, the condition returns false". AWS was observed to deny ``sqs:ListQueues`` to a role
  whose only Allow carried ``ForAnyValue:StringEqualsIfExists {"aws:TagKeys": ["team"]}``
  (re:Post, "ForAnyValue:StringEqualsIfExists behaving unexpectedly", accepted answer:
  ForAnyValue returns false "if there is no matching context key or the dataset is null").
  iam-simulate agrees; the differential test found the difference.
* A key present with an empty tuple of values counts as missing everywhere (the multivalued
  page: "If the key values in the request resolve to an empty data set ..., a condition
  operator modified by ForAllValues returns true, and ... ForAnyValue returns false", and the
  multivalued examples tell you to use ``Null: false`` to catch "context keys with empty
  values"). An empty *string* is a real value (``"s3:prefix": ""`` in the StringLike example).
* Without a qualifier a negated operator over a multivalued key is the negation of the whole
  positive test: true only when no request value matches any policy value ("If a single
  negated matching condition operator includes multiple values for a context key, those values
  are evaluated using a logical NOR", ``reference_policies_condition-logic-multiple-context-keys-or-values``).
* Under a qualifier a negated operator negates per request value (the multivalued examples:
  ``ForAllValues:StringNotLike {"aws:TagKeys": "key1*"}`` matches ``key2:audit`` and a missing
  key, not ``key1:legal``).
* A request value that cannot be read as the operator's type (``"abc"`` for NumericEquals)
  matches no policy value; a negated operator is therefore true for it, because its result is
  always the negation of the positive test.
* Policy variables are substituted for the String and ARN operators only (``reference_policies_variables``:
  "You can't use a policy variable with other operators, such as Numeric, Date, Boolean,
  Binary, IP Address, or Null operators"; Access Analyzer: "Policy variables can only be used
  with String and ARN operators"). An older revision of the operators page said Boolean could;
  we follow the two later sources. Elsewhere ``${...}`` is literal text, so it fails the
  operator's type check.
* A policy variable with no value (and no default) makes its policy value "effectively null"
  ("There is no equal or like value"): that value matches no request value, the condition's
  other values still do, and the generic rules above apply. So a positive operator does not
  match on it and a negated one does (``reference_policies_variables``, "Policy variables with
  no value": "condition operators like StringEquals or StringLike do not match, and the policy
  statement does not take effect. Inverted condition operators like StringNotEquals or
  StringNotLike do match against a null value"). Found by the differential test against
  iam-simulate, which agrees.
* Substituted text is literal: a ``*`` in a tag value (or ``${*}``) is a star, not a wildcard,
  for StringLike (:class:`~localiam.policy.wildcard.Template`) and the ARN operators
  (:func:`localiam.policy.arn.arn_like_template`).
* Operator names are case-sensitive: AWS answers ``stringEquals`` with ``MalformedPolicyDocument:
  Invalid Condition type : stringEquals`` (observed, ministryofjustice/modernisation-platform-environments#8893).
* Dates: W3C ISO 8601 profiles (``YYYY-MM``, ``YYYY-MM-DD``, ``YYYY-MM-DDThh:mm``, with seconds
  and fractional seconds, zone ``Z`` or ``±hh:mm``; a missing zone means UTC) or epoch seconds
  (an optional fraction). An all-digit value is epoch seconds, so the year-only W3C form is not
  accepted. Compared exactly, in integer nanoseconds.
* Numbers: optional sign, digits, optional fraction and exponent (JSON number syntax, leading
  digits optional); compared exactly (``int``/``Decimal``), so ``10`` equals ``10.0``.
* IpAddress: a bare address means ``/32`` (IPv4) or ``/128`` (IPv6); host bits under the prefix
  are ignored; an IPv4-mapped IPv6 request address (``::ffff:a.b.c.d``) is compared as IPv4.
* BinaryEquals decodes both the policy value and the request value from base64 and compares
  the bytes; a request value that is not base64 matches nothing.
* Null with ``ForAllValues:``/``ForAnyValue:`` only tests presence (qualifier ignored).
* ``...IgnoreCase`` compares ``str.lower()`` of both sides.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import contextlib
import datetime as _dt
import ipaddress
import itertools
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

from localiam.policy.arn import arn_equals, arn_equals_template, arn_like, arn_like_template, parse_arn
from localiam.policy.findings import Collector
from localiam.policy.wildcard import Context, Template, compile_glob

__all__ = [
    "OPERATORS",
    "CompiledCondition",
    "ConditionOutcome",
    "compile_condition",
    "evaluate_all",
    "split_operator",
    "values_read_as",
]

FOR_ALL_VALUES = "ForAllValues"
FOR_ANY_VALUE = "ForAnyValue"
_QUALIFIERS = ((FOR_ALL_VALUES + ":", FOR_ALL_VALUES), (FOR_ANY_VALUE + ":", FOR_ANY_VALUE))
_IF_EXISTS = "IfExists"

Predicate = Callable[[str], Any]
"""One request value → truthy when it matches at least one policy value."""
Binder = Callable[[Context], Predicate]
"""For values holding policy variables: the predicate for this request (a value whose variable
has no value matches nothing)."""
Report = Callable[[int, str], None]
_T = TypeVar("_T")


class _Match(NamedTuple):
    """What a family function builds: a fixed predicate, or a binder when variables occur."""

    predicate: Predicate | None
    binder: Binder | None


Family = Callable[[str, tuple[str, ...], bool, Report], _Match | None]


# --------------------------------------------------------------------------- families


def _string(variant: str, values: tuple[str, ...], variables: bool, report: Report) -> _Match:
    """String operators: exact (case-sensitive), exact ignoring case, or ``Like`` wildcards.

    ``StringEquals`` compares the rendered text literally (a ``*`` is a star); ``StringLike``
    expands ``*`` and ``?`` (``reference_policies_elements_condition_operators``, String).
    """
    ignore_case = variant == "EqualsIgnoreCase"
    like = variant == "Like"
    templates = [Template(v, variables=variables) for v in values]
    if not any(t.has_variables for t in templates):
        # Escapes such as ``${*}`` are resolved once, here.
        if like:
            return _Match(_any_of(tuple(_fixed(t.matcher(_NO_CONTEXT)) for t in templates)), None)
        texts = [_fixed(t.render(_NO_CONTEXT)) for t in templates]
        if ignore_case:
            lowered = frozenset(text.lower() for text in texts)
            return _Match(lambda value: value.lower() in lowered, None)
        return _Match(frozenset(texts).__contains__, None)

    def bind(context: Context) -> Predicate:
        if like:
            found: list[Predicate] = []
            for template in templates:
                matcher = template.matcher(context)
                if matcher is not None:  # a value with an unresolved variable matches nothing
                    found.append(matcher)
            return _any_of(tuple(found))
        rendered: set[str] = set()
        for template in templates:
            text = template.render(context)
            if text is not None:
                rendered.add(text.lower() if ignore_case else text)
        if ignore_case:
            return lambda value: value.lower() in rendered
        return rendered.__contains__

    return _Match(None, bind)


_NO_CONTEXT: Context = {}


def _fixed(item: _T | None) -> _T:
    """A template without variables always renders."""
    assert item is not None
    return item


def _arn(variant: str, values: tuple[str, ...], variables: bool, report: Report) -> _Match:
    """ARN operators: the six colon-delimited components are matched separately, each with
    ``*``/``?``; ``ArnEquals`` and ``ArnLike`` "behave identically"
    (``reference_policies_elements_condition_operators``, ARN)."""
    compare = arn_equals if variant == "Equals" else arn_like
    compare_template = arn_equals_template if variant == "Equals" else arn_like_template
    if not (variables and any("${" in v for v in values)):
        if compare is arn_like:
            return _Match(_any_of(tuple(_arn_like_compiled(v) for v in values)), None)
        patterns = tuple(values)
        return _Match(lambda value: any(compare(p, value) for p in patterns), None)
    templates = [Template(v, variables=True) for v in values]
    if not any(t.has_variables for t in templates):  # only escapes such as ``${*}``
        return _Match(lambda value: any(compare_template(t, value, _NO_CONTEXT) for t in templates), None)

    def bind(context: Context) -> Predicate:
        # arn_*_template is false for a template whose variable has no value.
        return lambda value: any(compare_template(t, value, context) for t in templates)

    return _Match(None, bind)


_ARN_PARTS = 6


@lru_cache(maxsize=4096)
def _context_arn(value: str) -> tuple[str, ...] | None:
    """A request ARN cut into its six components, ``None`` when it is not an ARN."""
    if parse_arn(value) is None:
        return None
    return tuple(value.split(":", _ARN_PARTS - 1))


def _arn_like_compiled(pattern: str) -> Predicate:
    """``arn_like(pattern, ·)`` with the pattern cut and compiled once (a property test holds
    the two equal); :func:`localiam.policy.arn.arn_like` stays the definition."""
    components = pattern.split(":", _ARN_PARTS - 1)
    if len(components) != _ARN_PARTS:
        return _never
    matchers = tuple(compile_glob(component) for component in components)

    def predicate(value: str) -> bool:
        parts = _context_arn(value)
        return parts is not None and all(m(part) for m, part in zip(matchers, parts, strict=True))

    return predicate


def _never(value: str) -> bool:
    return False


_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")
_INTEGER = re.compile(r"[+-]?\d+\Z")


def _parse_number(text: str) -> int | Decimal | None:
    if not _NUMBER.match(text):
        return None
    if _INTEGER.match(text):
        return int(text)
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid literals
        return None
    return number if number.is_finite() else None


_context_number = lru_cache(maxsize=4096)(_parse_number)


def _numeric(variant: str, values: tuple[str, ...], variables: bool, report: Report) -> _Match | None:
    """Numeric operators: integers or decimals; the request value is on the left
    (``NumericLessThanEquals {"s3:max-keys": "10"}`` means max-keys ≤ 10)."""
    numbers: list[int | Decimal] = []
    for i, text in enumerate(values):
        number = _parse_number(text)
        if number is None:
            report(i, f"Numeric condition value '{text}' is not a number{_variable_hint(text)}")
        else:
            numbers.append(number)
    if len(numbers) != len(values):
        return None
    return _Match(_ordered(variant, numbers, _context_number), None)


_EPOCH = re.compile(r"([+-]?\d+)(?:\.(\d+))?\Z")
_W3C = re.compile(
    r"(\d{4})-(\d{2})(?:-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"([Zz]|[+-]\d{2}(?::?\d{2})?)?)?)?\Z"
)
_NS = 1_000_000_000


def _parse_date(text: str) -> int | None:
    """ISO 8601 (W3C profile) or epoch seconds → nanoseconds since the epoch."""
    epoch = _EPOCH.match(text)
    if epoch:
        seconds = int(epoch.group(1))
        fraction = epoch.group(2) or ""
        nanos = int(fraction[:9].ljust(9, "0"))
        return seconds * _NS + (-nanos if epoch.group(1).startswith("-") else nanos)
    m = _W3C.match(text)
    if not m:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    day = int(m.group(3) or 1)
    hour, minute, second = int(m.group(4) or 0), int(m.group(5) or 0), int(m.group(6) or 0)
    try:
        _dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    offset = 0
    zone = m.group(8)
    if zone and zone not in "Zz":
        digits = zone[1:].replace(":", "")
        zone_hours, zone_minutes = int(digits[:2]), int(digits[2:] or 0)
        if zone_hours > 23 or zone_minutes > 59:
            return None
        offset = (zone_hours * 3600 + zone_minutes * 60) * (-1 if zone[0] == "-" else 1)
    seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) - offset
    fraction = m.group(7) or ""
    return seconds * _NS + int(fraction[:9].ljust(9, "0"))


_context_date = lru_cache(maxsize=4096)(_parse_date)


def _date(variant: str, values: tuple[str, ...], variables: bool, report: Report) -> _Match | None:
    """Date operators: "one of the W3C implementations of the ISO 8601 date formats or in epoch
    (UNIX) time"; "Wildcards are not permitted" (``reference_policies_elements_condition_operators``, Date)."""
    stamps: list[int] = []
    for i, text in enumerate(values):
        stamp = _parse_date(text)
        if stamp is None:
            report(
                i,
                f"Date condition value '{text}' is not an ISO 8601 date or epoch time{_variable_hint(text)}",
            )
        else:
            stamps.append(stamp)
    if len(stamps) != len(values):
        return None
    return _Match(_ordered(variant, stamps, _context_date), None)


def _ordered(variant: str, policy: list[Any], coerce: Callable[[str], Any]) -> Predicate:
    """Equality or ordering against the policy values; OR across them collapses to one bound."""
    if variant == "Equals":
        wanted = frozenset(policy)
        return lambda value: coerce(value) in wanted
    if variant in ("LessThan", "LessThanEquals"):
        bound = max(policy)
        if variant == "LessThan":
            return lambda value: (v := coerce(value)) is not None and v < bound
        return lambda value: (v := coerce(value)) is not None and v <= bound
    bound = min(policy)
    if variant == "GreaterThan":
        return lambda value: (v := coerce(value)) is not None and v > bound
    return lambda value: (v := coerce(value)) is not None and v >= bound


def _parse_bool(text: str) -> bool | None:
    lowered = text.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    return None


def _bool(variant: str, values: tuple[str, ...], variables: bool, report: Report) -> _Match | None:
    """``Bool``: "true" or "false", case-insensitively on both sides."""
    wanted: set[bool] = set()
    bad = False
    for i, text in enumerate(values):
        parsed = _parse_bool(text)
        if parsed is None:
            bad = True
            report(i, f"Bool condition value '{text}' is not true or false{_variable_hint(text)}")
        else:
            wanted.add(parsed)
    if bad:
        return None
    # ``_parse_bool(value) in wanted`` as one set lookup: every upper/lower-case spelling (no
    # other character lower-cases to an ASCII letter of "true" or "false").
    words = ["true" if w else "false" for w in wanted]
    spellings = (itertools.product(*((c, c.upper()) for c in word)) for word in words)
    accepted = frozenset("".join(chars) for spelling in spellings for chars in spelling)
    return _Match(accepted.__contains__, None)


def _parse_base64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


_context_binary = lru_cache(maxsize=1024)(_parse_base64)


def _binary(variant: str, values: tuple[str, ...], variables: bool, report: Report) -> _Match | None:
    """``BinaryEquals``: "compares the value of the specified key byte for byte against a
    base-64 encoded representation of the binary value in the policy"."""
    wanted: set[bytes] = set()
    bad = False
    for i, text in enumerate(values):
        decoded = _parse_base64(text)
        if decoded is None:
            bad = True
            report(i, f"Binary condition value '{text}' is not base64{_variable_hint(text)}")
        else:
            wanted.add(decoded)
    if bad:
        return None
    return _Match(lambda value: _context_binary(value) in wanted, None)


_PREFIX = re.compile(r"\d{1,3}\Z")


def _parse_network(text: str) -> tuple[int, int, int] | None:
    """``(version, network, mask)`` for a CIDR or a bare address (``/32``, ``/128``)."""
    address, slash, prefix = text.partition("/")
    if slash and not _PREFIX.match(prefix):
        return None
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    if "%" in address:
        return None
    return network.version, int(network.network_address), int(network.netmask)


@lru_cache(maxsize=4096)
def _context_address(text: str) -> tuple[int, int] | None:
    # aws:SourceIp is often one not seen before: IPv4 in its one canonical spelling (the same
    # number for ipaddress) is read by the C library, several times faster.
    with contextlib.suppress(OSError, ValueError):  # not IPv4; a NUL or non-ASCII character
        packed = socket.inet_pton(socket.AF_INET, text)
        if socket.inet_ntop(socket.AF_INET, packed) == text:
            return 4, int.from_bytes(packed, "big")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return 4, int(address.ipv4_mapped)
    return address.version, int(address)


def _ip(variant: str, values: tuple[str, ...], variables: bool, report: Report) -> _Match | None:
    """``IpAddress``/``NotIpAddress``: IPv4 or IPv6 CIDRs; "If you specify an IP address without
    the associated routing prefix, IAM uses the default prefix value of /32"."""
    networks: list[tuple[int, int, int]] = []
    for i, text in enumerate(values):
        network = _parse_network(text)
        if network is None:
            report(i, f"'{text}' is not a valid IP address or CIDR{_variable_hint(text)}")
        else:
            networks.append(network)
    if len(networks) != len(values):
        return None
    nets = tuple(networks)

    def predicate(value: str) -> bool:
        parsed = _context_address(value)
        if parsed is None:
            return False
        version, number = parsed
        for v, net, mask in nets:  # noqa: SIM110 (hot path: a loop beats any() with a generator)
            if v == version and number & mask == net:
                return True
        return False

    return _Match(predicate, None)


def _null(variant: str, values: tuple[str, ...], variables: bool, report: Report) -> _Match | None:
    """``Null``: ``true`` means "the key doesn't exist — it is null", ``false`` "the key exists
    and its value is not null". The values are checked here; presence is judged generically."""
    bad = False
    for i, text in enumerate(values):
        if _parse_bool(text) is None:
            bad = True
            report(i, f"Null condition value '{text}' is not true or false{_variable_hint(text)}")
    if bad:
        return None
    return _Match(_always, None)


def _always(value: str) -> bool:
    return True


def _any_of(matchers: tuple[Predicate, ...]) -> Predicate:
    if not matchers:
        return _never
    if len(matchers) == 1:
        return matchers[0]
    return lambda value: any(m(value) for m in matchers)


def _variable_hint(text: str) -> str:
    if "${" in text:
        return " (policy variables can only be used with String and ARN operators)"
    return ""


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True, slots=True)
class OperatorSpec:
    """One base operator: its family function, the family's variant and whether it negates."""

    family: Family
    variant: str
    negated: bool = False


OPERATORS: dict[str, OperatorSpec] = {
    "StringEquals": OperatorSpec(_string, "Equals"),
    "StringNotEquals": OperatorSpec(_string, "Equals", negated=True),
    "StringEqualsIgnoreCase": OperatorSpec(_string, "EqualsIgnoreCase"),
    "StringNotEqualsIgnoreCase": OperatorSpec(_string, "EqualsIgnoreCase", negated=True),
    "StringLike": OperatorSpec(_string, "Like"),
    "StringNotLike": OperatorSpec(_string, "Like", negated=True),
    "NumericEquals": OperatorSpec(_numeric, "Equals"),
    "NumericNotEquals": OperatorSpec(_numeric, "Equals", negated=True),
    "NumericLessThan": OperatorSpec(_numeric, "LessThan"),
    "NumericLessThanEquals": OperatorSpec(_numeric, "LessThanEquals"),
    "NumericGreaterThan": OperatorSpec(_numeric, "GreaterThan"),
    "NumericGreaterThanEquals": OperatorSpec(_numeric, "GreaterThanEquals"),
    "DateEquals": OperatorSpec(_date, "Equals"),
    "DateNotEquals": OperatorSpec(_date, "Equals", negated=True),
    "DateLessThan": OperatorSpec(_date, "LessThan"),
    "DateLessThanEquals": OperatorSpec(_date, "LessThanEquals"),
    "DateGreaterThan": OperatorSpec(_date, "GreaterThan"),
    "DateGreaterThanEquals": OperatorSpec(_date, "GreaterThanEquals"),
    "Bool": OperatorSpec(_bool, ""),
    "BinaryEquals": OperatorSpec(_binary, ""),
    "IpAddress": OperatorSpec(_ip, ""),
    "NotIpAddress": OperatorSpec(_ip, "", negated=True),
    "ArnEquals": OperatorSpec(_arn, "Equals"),
    "ArnLike": OperatorSpec(_arn, "Like"),
    "ArnNotEquals": OperatorSpec(_arn, "Equals", negated=True),
    "ArnNotLike": OperatorSpec(_arn, "Like", negated=True),
    "Null": OperatorSpec(_null, ""),
}
"""Every base operator of ``reference_policies_elements_condition_operators``, by exact name."""

_SUBSTITUTES_VARIABLES = frozenset({_string, _arn})


def split_operator(name: str) -> tuple[str | None, str, bool] | None:
    """``"ForAnyValue:StringLikeIfExists"`` → ``("ForAnyValue", "StringLike", True)``.

    ``None`` when the base is not an operator AWS knows (names are case-sensitive).
    ``NullIfExists`` splits (``(None, "Null", True)``) so that :func:`compile_condition` can
    say precisely what is wrong with it.
    """
    qualifier: str | None = None
    rest = name
    for prefix, label in _QUALIFIERS:
        if name.startswith(prefix):
            qualifier, rest = label, name[len(prefix) :]
            break
    if_exists = rest.endswith(_IF_EXISTS) and rest != _IF_EXISTS
    if if_exists:
        rest = rest[: -len(_IF_EXISTS)]
    if rest not in OPERATORS:
        return None
    return qualifier, rest, if_exists


# --------------------------------------------------------------------------- compiled form


@dataclass(slots=True)
class ConditionOutcome:
    """How one condition fared against one request: the explanation of :meth:`CompiledCondition.evaluate`.

    ``context_values`` is ``None`` when the key is absent; ``missing`` is also true for a key
    present with no values.
    """

    operator: str
    key: str
    policy_values: tuple[str, ...]
    context_values: tuple[str, ...] | None
    missing: bool
    result: bool


class CompiledCondition:
    """One ``operator: {key: values}`` entry, ready to evaluate against a request context."""

    __slots__ = (
        "_binder",
        "_invert",
        "_predicate",
        "_use_all",
        "_when_missing",
        "base",
        "fast",
        "if_exists",
        "key",
        "lookup",
        "negated",
        "operator",
        "qualifier",
        "values",
    )

    operator: str
    base: str
    key: str
    lookup: str
    values: tuple[str, ...]
    qualifier: str | None
    if_exists: bool
    negated: bool
    _predicate: Predicate | None
    _binder: Binder | None
    _when_missing: bool
    _use_all: bool
    _invert: bool
    fast: Callable[[Context], bool]
    """:meth:`evaluate` as a closure over its settings (the engine's hot path calls it)."""

    def __init__(
        self,
        operator: str,
        qualifier: str | None,
        base: str,
        if_exists: bool,
        key: str,
        values: tuple[str, ...],
        match: _Match,
    ) -> None:
        negated = OPERATORS[base].negated
        init = object.__setattr__
        init(self, "operator", operator)
        init(self, "base", base)
        init(self, "key", key)
        init(self, "lookup", key.lower())
        init(self, "values", values)
        init(self, "qualifier", qualifier)
        init(self, "if_exists", if_exists)
        init(self, "negated", negated)
        init(self, "_predicate", match.predicate)
        init(self, "_binder", match.binder)
        if base == "Null":
            # Present: the predicate is always true, so "any" answers True; invert to the answer.
            when_present = any(_parse_bool(v) is False for v in values)
            init(self, "_when_missing", any(_parse_bool(v) is True for v in values))
            init(self, "_use_all", False)
            init(self, "_invert", not when_present)
            init(self, "fast", _evaluator(self))
            return
        if qualifier == FOR_ALL_VALUES:
            when_missing = True
        elif qualifier == FOR_ANY_VALUE:
            when_missing = False  # IfExists does not change it (module docstring)
        else:
            when_missing = if_exists or negated
        init(self, "_when_missing", when_missing)
        # all(match != neg) for ForAllValues, any(match != neg) for ForAnyValue, NOR for bare
        # negated operators; expressed as any()/all() of the positive match, maybe inverted.
        if qualifier == FOR_ALL_VALUES:
            use_all, invert = (False, True) if negated else (True, False)
        elif qualifier == FOR_ANY_VALUE:
            use_all, invert = (True, True) if negated else (False, False)
        else:
            use_all, invert = False, negated
        init(self, "_use_all", use_all)
        init(self, "_invert", invert)
        init(self, "fast", _evaluator(self))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"CompiledCondition is immutable (tried to set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"CompiledCondition is immutable (tried to delete {name!r})")

    def __repr__(self) -> str:
        return f"CompiledCondition({self.operator!r}, {self.key!r}, {self.values!r})"

    @property
    def reads_only_its_key(self) -> bool:
        """Whether the answer depends on nothing but the request's values for :attr:`key`
        (no policy variable in the condition's values)."""
        return self._predicate is not None

    def evaluate(self, context: Context) -> bool:
        """Whether the condition holds; allocates no explanation."""
        return self.fast(context)

    def explain(self, context: Context) -> ConditionOutcome:
        """The answer of :meth:`evaluate` with its inputs: the request's values for the key."""
        raw = context.get(self.lookup)
        return ConditionOutcome(
            self.operator,
            self.key,
            self.values,
            None if raw is None else raw if type(raw) is tuple else tuple(raw),
            not raw,
            self.fast(context),
        )


_TYPE_PARSERS: dict[str, Callable[[str], object]] = {
    "Bool": _parse_bool,
    "Date": _parse_date,
    "Numeric": _parse_number,
    "IPAddress": _parse_network,
}


def values_read_as(type_name: str, values: tuple[str, ...]) -> bool:
    """Whether the condition operators of a key type (``Bool``, ``Date``, ``Numeric``,
    ``IPAddress``) read every one of ``values``, and there is at least one: what
    :func:`compile_condition` accepts for that type's operator, without compiling one."""
    parse = _TYPE_PARSERS[type_name]
    return bool(values) and all(parse(v) is not None for v in values)


def compile_condition(
    operator: str,
    key: str,
    values: tuple[str, ...],
    location: str,
    *,
    variables: bool,
    collector: Collector,
) -> CompiledCondition | None:
    """Validate ``operator`` and every value for its type and compile them.

    Every problem is recorded in ``collector`` (operator problems at ``location``, value ``i``
    at ``location + "/" + str(i)``); ``None`` when anything is wrong. ``variables`` turns on
    policy-variable substitution (Version 2012-10-17) for the operators that allow it.
    """
    split = split_operator(operator)
    if split is None:
        collector.error("UNKNOWN_CONDITION_OPERATOR", location, f"Invalid Condition type : {operator}")
        return None
    qualifier, base, if_exists = split
    if base == "Null" and if_exists:
        collector.error(
            "IFEXISTS_ON_NULL",
            location,
            f"The Null condition operator cannot be used with the IfExists suffix ({operator}). "
            "Update the operator or the suffix.",
        )
        return None
    if not values:
        collector.error(
            "EMPTY_CONDITION_VALUES",
            location,
            f"Syntax errors in policy. {operator} for '{key}' needs at least one value.",
        )
        return None
    spec = OPERATORS[base]

    def report(index: int, message: str) -> None:
        collector.error("INVALID_CONDITION_VALUE", f"{location}/{index}", message)

    substitute = variables and spec.family in _SUBSTITUTES_VARIABLES
    match = spec.family(spec.variant, tuple(values), substitute, report)
    if match is None:
        return None
    return CompiledCondition(operator, qualifier, base, if_exists, key, tuple(values), match)


def _evaluator(condition: CompiledCondition) -> Callable[[Context], bool]:
    """The evaluation of ``condition`` as a closure: its settings are local variables, not
    attribute loads, on the path every request takes."""
    lookup = condition.lookup
    when_missing = condition._when_missing
    predicate = condition._predicate
    binder = condition._binder
    use_all = condition._use_all
    invert = condition._invert

    def evaluate(context: Context) -> bool:
        values = context.get(lookup)
        if not values:
            return when_missing
        test = predicate if predicate is not None else binder(context)  # type: ignore[misc]
        if len(values) == 1:
            # any() and all() of one value are that value's answer; skip building iterators.
            return (True if test(values[0]) else False) is not invert  # noqa: SIM210
        if use_all:
            return all(map(test, values)) is not invert
        return any(map(test, values)) is not invert

    return evaluate


def evaluate_all(conditions: Iterable[CompiledCondition], context: Context) -> bool:
    """A statement's conditions: every operator must hold (``reference_policies_multi-value-conditions``:
    "If your policy statement has multiple condition operators, the condition operators are
    evaluated using a logical AND")."""
    for condition in conditions:  # noqa: SIM110 - a plain loop is faster than all(<genexpr>)
        if not condition.evaluate(context):
            return False
    return True
