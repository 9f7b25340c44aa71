"""botocore as the oracle for the wire tests: hypothesis strategies that draw values from a
botocore shape, botocore's own serializer to build requests, and its parser to read responses."""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from typing import Any

from botocore.awsrequest import HeadersDict, create_request_object, prepare_request_dict
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from hypothesis import Phase, settings
from hypothesis import strategies as st

from localiam.wire.http import HttpRequest
from localiam.wire.models import java_pattern, service_model
from localiam.wire.protocol import Response

ENDPOINT = "https://localhost:4599"

# ``WIRE_NO_SHRINK=1 pytest ...`` reports failures without minimising them (shrinking these
# large inputs can take minutes).
if os.environ.get("WIRE_NO_SHRINK"):
    settings.register_profile("wire-no-shrink", phases=[Phase.explicit, Phase.reuse, Phase.generate])
    settings.load_profile("wire-no-shrink")

# Text a client can send (no lone surrogates: they cannot be UTF-8 encoded). Kept to the BMP so
# that length limits, counted in UTF-16 units, rarely reject a draw; test_query covers the rest.
INPUT_CHARS = st.characters(exclude_categories=("Cs",), max_codepoint=0xFFFF)
# Text that XML 1.0 can carry.
XML_CHARS = st.characters(
    exclude_categories=("Cs",),
    exclude_characters="".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r") + "\ufffe\uffff",
)

TIMESTAMPS = st.datetimes(
    min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2200, 1, 1), timezones=st.just(dt.UTC)
).map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000))

INT_BOUNDS = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def values(
    shape: Any, *, constrained: bool, chars: st.SearchStrategy[str], depth: int = 0, present: bool = False
) -> st.SearchStrategy[Any]:
    """Values for ``shape``: with ``constrained`` every model constraint holds (request inputs);
    without, any value of the right type (responses are not validated by clients).

    A ``present`` structure or map (a required member, a list element) is never empty in
    requests: it would put nothing on the query wire, and AWS would see it as missing.
    """
    kind = shape.type_name
    meta = shape.metadata if constrained else {}
    if kind == "structure":
        members = shape.members
        if depth > 4:
            return st.just({})
        required_names = set(shape.required_members) if constrained else set()
        required = {
            n: values(m, constrained=constrained, chars=chars, depth=depth + 1, present=True)
            for n, m in members.items()
            if n in required_names
        }
        optional = {
            n: values(m, constrained=constrained, chars=chars, depth=depth + 1)
            for n, m in members.items()
            if n not in required_names
        }
        if getattr(shape, "is_tagged_union", False):
            # A union sets exactly one member.
            return st.one_of([st.fixed_dictionaries({n: v}) for n, v in {**required, **optional}.items()])
        drawn = st.fixed_dictionaries(required, optional=optional)
        return drawn.filter(bool) if constrained and present and members else drawn
    if kind in ("list", "map"):
        low = meta.get("min", 0)
        high = min(meta.get("max", low + 3), low + 3)
        if kind == "list":
            member = values(shape.member, constrained=constrained, chars=chars, depth=depth + 1, present=True)
            return st.lists(member, min_size=low, max_size=high)
        keys = values(shape.key, constrained=constrained, chars=chars, depth=depth + 1)
        item = values(shape.value, constrained=constrained, chars=chars, depth=depth + 1, present=True)
        if constrained and present:
            low, high = max(low, 1), max(high, 1)
        return st.dictionaries(keys, item, min_size=low, max_size=high)
    if kind == "string":
        if not constrained:
            return st.text(chars, max_size=20)
        if shape.enum:
            return st.sampled_from(list(shape.enum))
        low, high = meta.get("min", 0), meta.get("max", 40)
        repeated = _REPEATED_CLASS.fullmatch(meta.get("pattern", ""))
        if repeated is not None:
            # ``[class]+`` with a minimum length (STS's RoleArn: 20): draw that many characters
            # of the class, rather than strings a length filter would mostly reject.
            char = _regex_text(repeated["cls"], chars)
            text = st.lists(char, min_size=max(low, 1), max_size=min(high, max(low, 1) + 30)).map("".join)
        elif "pattern" in meta:
            text = _regex_text(meta["pattern"], chars)
        else:
            text = st.text(chars, min_size=low, max_size=min(high, low + 30))
        return text.filter(lambda t: low <= _utf16(t) <= high)
    if kind in INT_BOUNDS:
        low, high = INT_BOUNDS[kind]
        return st.integers(meta.get("min", low), meta.get("max", high))
    if kind in ("float", "double"):
        return st.floats(meta.get("min"), meta.get("max"), allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return TIMESTAMPS
    if kind == "blob":
        return st.binary(min_size=meta.get("min", 0), max_size=min(meta.get("max", 20), 20))
    raise AssertionError(f"no strategy for {kind}")


# Samples of the Unicode categories the models use, for generating (not for checking: the
# validator under test uses the full categories). Hypothesis walks a character class one code
# point at a time, and the full ``\p{L}`` takes seconds to build.
_CATEGORY_SAMPLES = {
    r"\p{L}": "a-zA-Z\u00c0-\u00d6\u0100-\u017f\u0391-\u03a1\u03a3-\u03a9\u4e00-\u4e20",
    r"\p{N}": "0-9\u00b2\u0660-\u0669\u2160-\u2168",
    r"\p{Z}": " \u00a0\u2000-\u200a\u3000",
}


_REPEATED_CLASS = re.compile(r"(?P<cls>\[[^\]]+\])\+")


@functools.cache
def _regex_text(pattern: str, chars: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    for category, sample in _CATEGORY_SAMPLES.items():
        pattern = pattern.replace(category, sample)
    return st.from_regex(java_pattern(pattern), fullmatch=True, alphabet=chars)


@functools.cache
def input_values(service: str, operation: str) -> st.SearchStrategy[dict[str, Any]]:
    shape = service_model(service).operation_model(operation).input_shape
    if shape is None:
        return st.just({})
    return values(shape, constrained=True, chars=INPUT_CHARS)


@functools.cache
def output_values(service: str, operation: str) -> st.SearchStrategy[dict[str, Any]]:
    shape = service_model(service).operation_model(operation).output_shape
    if shape is None:
        return st.just({})
    chars = XML_CHARS if service_model(service).protocol == "query" else INPUT_CHARS
    return values(shape, constrained=False, chars=chars)


def botocore_request(service: str, operation: str, params: dict[str, Any]) -> HttpRequest:
    """The HTTP request botocore itself sends for ``operation(**params)`` (unsigned)."""
    model = service_model(service)
    op = model.operation_model(operation)
    request_dict = create_serializer(model.protocol).serialize_to_request(params, op)
    prepare_request_dict(request_dict, ENDPOINT)
    prepared = create_request_object(request_dict).prepare()
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    path, _, query = prepared.url.removeprefix(ENDPOINT).partition("?")
    return HttpRequest(prepared.method, path or "/", query, tuple(prepared.headers.items()), body)


def botocore_parse(service: str, operation: str, response: Response, shape: Any = None) -> dict[str, Any]:
    """``response`` as botocore's parser reads it (the operation's output shape by default)."""
    model = service_model(service)
    if shape is None:
        shape = model.operation_model(operation).output_shape
    headers = HeadersDict(dict(response.headers))  # case-insensitive, as a real client's are
    raw = {"status_code": response.status, "headers": headers, "body": response.body}
    parsed: dict[str, Any] = create_parser(model.protocol).parse(raw, shape)
    return parsed


def without_empty(value: Any) -> Any:
    """``value`` minus what no wire can tell from absent: empty maps and empty structures."""
    if isinstance(value, dict):
        out = {k: without_empty(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v != {}}
    if isinstance(value, list):
        return [without_empty(v) for v in value]
    return value
