"""Where each statement of a policy document starts and ends, as the policy simulator reports
it in ``MatchedStatements`` (``API_Statement``, ``API_Position``).

Lines count from 1. Columns, as AWS prints them, are one past the character: the awscli
example for ``simulate-custom-policy`` gives ``StartPosition`` column 38 and ``EndPosition``
column 167 for a one-line document whose statement object opens at offset 36 and closes at
offset 165 (0-based), i.e. column = 1-based column of the brace + 1.
"""

from __future__ import annotations

import json

Span = tuple[int, int]


def _ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def _string_end(text: str, i: int) -> int:
    """Index just past the JSON string starting at ``i``."""
    i += 1
    while text[i] != '"':
        i += 2 if text[i] == "\\" else 1
    return i + 1


def _value_end(text: str, i: int) -> int:
    """Index just past the JSON value starting at ``i``."""
    if text[i] == '"':
        return _string_end(text, i)
    if text[i] in "{[":
        depth = 0
        while True:
            c = text[i]
            if c == '"':
                i = _string_end(text, i)
                continue
            if c in "{[":
                depth += 1
            elif c in "}]":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
    while i < len(text) and text[i] not in ",}] \t\r\n":
        i += 1
    return i


def _statement_value(text: str) -> int | None:
    """Offset of the top-level ``Statement`` value."""
    i = _ws(text, 0)
    if text[i] != "{":
        return None
    i += 1
    while True:
        i = _ws(text, i)
        if text[i] != '"':
            return None
        key_end = _string_end(text, i)
        key = json.loads(text[i:key_end])
        i = _ws(text, key_end)
        i = _ws(text, i + 1)  # past ':'
        if key == "Statement":
            return i
        i = _ws(text, _value_end(text, i))
        if text[i] != ",":
            return None
        i += 1


def statement_spans(text: str) -> list[Span]:
    """(offset of ``{``, offset of ``}``) of each statement, in document order."""
    try:
        i = _statement_value(text)
        if i is None:
            return []
        if text[i] == "{":
            return [(i, _value_end(text, i) - 1)]
        if text[i] != "[":
            return []
        spans = []
        i = _ws(text, i + 1)
        while text[i] != "]":
            end = _value_end(text, i)
            spans.append((i, end - 1))
            i = _ws(text, end)
            if text[i] == ",":
                i = _ws(text, i + 1)
        return spans
    except (IndexError, ValueError):
        return []


def position(text: str, offset: int) -> dict[str, int]:
    """``{"Line", "Column"}`` of ``offset`` as AWS counts them."""
    line_start = text.rfind("\n", 0, offset) + 1
    return {"Line": text.count("\n", 0, offset) + 1, "Column": offset - line_start + 2}


def statement_positions(text: str, index: int) -> tuple[dict[str, int], dict[str, int]] | None:
    spans = statement_spans(text)
    if index >= len(spans):
        return None
    start, end = spans[index]
    return position(text, start), position(text, end)
