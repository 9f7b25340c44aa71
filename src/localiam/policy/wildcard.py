"""IAM wildcards (``*`` and ``?``) and policy-variable templates.

``*`` matches any run of characters (including none and including ``:`` and ``/``), ``?``
exactly one character; every other character is literal, ``[`` included (so ``fnmatch`` is
wrong here). Actions compare case-insensitively, resources and condition values
case-sensitively (``reference_policies_elements_action``, ``..._resource``).

No pattern can backtrack catastrophically: a pattern ``s0*s1*...*sk`` is compiled to
``s0(?>.*?s1)(?>.*?s2)....*sk`` matched with ``fullmatch``. Each middle segment has a fixed
length, so taking its leftmost occurrence is always optimal, and the atomic group stops the
regex engine from ever revisiting that choice; matching is O(len(value) * len(pattern)).

The ``Resource`` and ``NotResource`` elements use a narrower rule for ARNs
(:func:`compile_resource_tokens`): "You can use wildcard characters (* and ?) within the
individual segments of an ARN (the parts separated by colons)" and "If the * wildcard is the
last character of a resource ARN segment, it can expand to match beyond the colon boundaries"
(``reference_policies_elements_resource``). So there ``?`` never matches a ``:``, and a ``*``
crosses colons only when it ends a segment of the pattern (it is followed by ``:`` or ends the
pattern): ``arn:aws:iam::*`` and ``"*"`` still cover everything, ``arn:aws:s3:::a?b`` does not
cover ``arn:aws:s3:::a:b``. The page does not say what a mid-segment ``*`` does at a colon;
this is the reading its wording implies (the differential test against iam-simulate records
where that tool reads it otherwise).

Policy variables (``reference_policies_variables``): ``${key}`` is replaced by the value of
the request's context key, ``${key, 'default'}`` falls back to ``default``; ``${*}``,
``${?}`` and ``${$}`` are the literal characters. A variable whose key has no value (and no
default) makes the element not match. The doc also says a multivalued key cannot be used as a
variable, so a key with several values counts as having none. Substituted text is literal: a
``*`` inside a tag value does not become a wildcard.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

Matcher = Callable[[str], Any]
"""Called with a value; truthy when the value matches."""

Context = Mapping[str, tuple[str, ...]]
"""Request context as the policy layer sees it: lower-cased key → its values."""


class _Wild:
    __slots__ = ("char",)

    def __init__(self, char: str) -> None:
        self.char = char

    def __repr__(self) -> str:
        return f"<{self.char}>"


STAR = _Wild("*")
QMARK = _Wild("?")


@dataclass(frozen=True, slots=True)
class Variable:
    """``${key}`` or ``${key, 'default'}``; ``lookup`` is the lower-cased key."""

    key: str
    lookup: str
    default: str | None = None


Token = str | _Wild | Variable


def _tokens_to_regex(tokens: list[str | _Wild]) -> str:
    segments: list[str] = []
    current: list[str] = []
    for tok in tokens:
        if tok is STAR:
            segments.append("".join(current))
            current = []
        elif tok is QMARK:
            current.append(".")
        else:
            assert isinstance(tok, str)
            current.append(re.escape(tok))
    segments.append("".join(current))
    if len(segments) == 1:
        return segments[0]
    middle = "".join(f"(?>.*?{seg})" for seg in segments[1:-1] if seg)
    return f"{segments[0]}{middle}.*{segments[-1]}"


def _split_wildcards(pattern: str) -> list[str | _Wild]:
    out: list[str | _Wild] = []
    buf: list[str] = []
    for ch in pattern:
        if ch == "*" or ch == "?":
            if buf:
                out.append("".join(buf))
                buf = []
            out.append(STAR if ch == "*" else QMARK)
        else:
            buf.append(ch)
    if buf:
        out.append("".join(buf))
    return out


def _compile_tokens(tokens: list[str | _Wild], ignore_case: bool) -> Matcher:
    if not any(isinstance(t, _Wild) for t in tokens):
        literal = "".join(t for t in tokens if isinstance(t, str))
        if ignore_case:
            # Per-character folding, as in the wildcard path below (str.casefold would let
            # "ß" match "SS" only when the pattern happens to have no wildcard).
            return re.compile(re.escape(literal), re.DOTALL | re.IGNORECASE).fullmatch
        return literal.__eq__
    if all(t is STAR for t in tokens):
        return _always
    if not ignore_case and tokens[-1] is STAR and not any(isinstance(t, _Wild) for t in tokens[:-1]):
        # "prefix*": a '*' matches any characters (DOTALL), so this is exactly "starts with";
        # no regular expression to compile (a policy variable makes one pattern per value).
        prefix = "".join(t for t in tokens[:-1] if isinstance(t, str))
        return lambda value: value.startswith(prefix)
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(_tokens_to_regex(tokens), flags).fullmatch


def _always(value: str) -> bool:
    return True


@lru_cache(maxsize=65536)
def compile_glob(pattern: str, ignore_case: bool = False) -> Matcher:
    """A matcher for an IAM wildcard pattern (``*``, ``?``; nothing else is special)."""
    return _compile_tokens(_split_wildcards(pattern), ignore_case)


def glob_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return bool(compile_glob(pattern, ignore_case)(value))


_ESCAPES = {"*": "*", "?": "?", "$": "$"}
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT = re.compile(r"^\s*([^,\s][^,]*?)\s*,\s*'([^']*)'\s*$")


def parse_tokens(text: str, variables: bool) -> tuple[Token, ...]:
    """Split a Resource or condition value into literals, wildcards and variables.

    With ``variables`` off (Version 2008-10-17, or an element where AWS does not substitute)
    ``${...}`` is plain text.
    """
    tokens: list[Token] = []
    pos = 0
    if variables:
        for m in _VARIABLE.finditer(text):
            tokens.extend(_split_wildcards(text[pos : m.start()]))
            body = m.group(1)
            if body in _ESCAPES:
                tokens.append(_ESCAPES[body])
            else:
                d = _DEFAULT.match(body)
                if d:
                    key = d.group(1)
                    tokens.append(Variable(key, key.lower(), d.group(2)))
                elif body.strip() and "," not in body:
                    key = body.strip()
                    tokens.append(Variable(key, key.lower()))
                else:
                    # Not a variable AWS would recognise: keep the text as written.
                    tokens.extend(_split_wildcards(m.group(0)))
            pos = m.end()
    tokens.extend(_split_wildcards(text[pos:]))
    return tuple(tokens)


def resolve_variable(var: Variable, context: Context) -> str | None:
    values = context.get(var.lookup)
    if values is not None and len(values) == 1:
        return values[0]
    return var.default


class Template:
    """A pattern or value that may hold policy variables, compiled once.

    ``matcher(context)`` gives a wildcard matcher (``None`` when a variable has no value);
    ``render(context)`` gives the literal text for operators that do not expand wildcards
    (``StringEquals``, ``ArnEquals`` ...), with ``${*}`` rendered as ``*``.
    """

    __slots__ = (
        "_arn_by_values",
        "_arn_matcher",
        "_ignore_case",
        "_matcher",
        "_variables",
        "has_variables",
        "text",
        "tokens",
    )

    def __init__(self, text: str, *, variables: bool = True, ignore_case: bool = False) -> None:
        self.text = text
        self.tokens = parse_tokens(text, variables)
        self.has_variables = any(isinstance(t, Variable) for t in self.tokens)
        self._ignore_case = ignore_case
        self._matcher: Matcher | None = None
        self._arn_matcher: Matcher | None = None
        self._variables = tuple(t.lookup for t in self.tokens if isinstance(t, Variable))
        # Keyed by the variable's context value (one variable) or the tuple of them.
        self._arn_by_values: dict[object, Matcher | None] = {}
        if not self.has_variables:
            self._matcher = _compile_tokens(list(self.tokens), ignore_case)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"Template({self.text!r})"

    def literal_hints(self) -> tuple[str, str]:
        """For a template without variables: the literal text before its first wildcard, and
        its longest literal run after that. A value it matches starts with the first and
        contains the second (each literal character of the pattern is matched exactly, in
        order), so a value failing either test cannot match: a cheap test to run first."""
        prefix: list[str] = []
        runs: list[str] = []
        current: list[str] = []
        seen_wild = False
        for token in self.tokens:
            if isinstance(token, str):
                (current if seen_wild else prefix).append(token)
            else:
                if seen_wild and current:
                    runs.append("".join(current))
                current = []
                seen_wild = True
        if current:
            runs.append("".join(current))
        return "".join(prefix), max(runs, key=len, default="")

    def substitute(self, context: Context) -> list[str | _Wild] | None:
        out: list[str | _Wild] = []
        for tok in self.tokens:
            if isinstance(tok, Variable):
                value = resolve_variable(tok, context)
                if value is None:
                    return None
                out.append(value)
            else:
                out.append(tok)
        return out

    def matcher(self, context: Context) -> Matcher | None:
        if self._matcher is not None:
            return self._matcher
        tokens = self.substitute(context)
        if tokens is None:
            return None
        return _compile_substituted(tuple(tokens), self._ignore_case)

    def matches(self, value: str, context: Context) -> bool:
        m = self.matcher(context)
        return m is not None and bool(m(value))

    def resource_matcher(self, context: Context) -> Matcher | None:
        """The matcher of a ``Resource``/``NotResource`` entry (ARN segment rules, see
        :func:`compile_resource_tokens`); ``None`` when a variable has no value."""
        if not self.has_variables:
            if self._arn_matcher is None:
                self._arn_matcher = compile_resource_tokens(self.tokens)
            return self._arn_matcher
        # Memoised by the values of the variables it holds: one dict lookup per request.
        names = self._variables
        values = context.get(names[0]) if len(names) == 1 else tuple(map(context.get, names))
        memo = self._arn_by_values
        if values in memo:
            return memo[values]
        tokens = self.substitute(context)
        matcher = None if tokens is None else compile_resource_tokens(tuple(tokens))
        if len(memo) >= 4096:
            memo.clear()
        memo[values] = matcher
        return matcher

    def render(self, context: Context) -> str | None:
        tokens = self.substitute(context)
        if tokens is None:
            return None
        return "".join(t.char if isinstance(t, _Wild) else t for t in tokens)


@lru_cache(maxsize=65536)
def _compile_substituted(tokens: tuple[str | _Wild, ...], ignore_case: bool) -> Matcher:
    return _compile_tokens(list(tokens), ignore_case)


# --------------------------------------------------------------------------- Resource ARNs


def _segments(tokens: tuple[str | _Wild, ...]) -> list[list[str | _Wild]]:
    """Tokens cut at every literal ``:``."""
    out: list[list[str | _Wild]] = [[]]
    for tok in tokens:
        if isinstance(tok, _Wild):
            out[-1].append(tok)
            continue
        pieces = tok.split(":")
        for i, piece in enumerate(pieces):
            if i:
                out.append([])
            if piece:
                out[-1].append(piece)
    return out


def _bounded_regex(tokens: list[str | _Wild], open_end: bool) -> str:
    """One colon-free stretch of pattern: ``?`` and ``*`` never take a ``:``, except a final
    ``*`` when ``open_end`` (it ends a segment and may run past colons).

    Every character the stretch matches before an open end is colon-free, so taking each
    piece's leftmost occurrence (inside an atomic group) is optimal, as in
    :func:`_tokens_to_regex`, and nothing backtracks more than linearly."""
    pieces: list[str] = []
    current: list[str] = []
    for tok in tokens:
        if tok is STAR:
            pieces.append("".join(current))
            current = []
        elif tok is QMARK:
            current.append("[^:]")
        else:
            assert isinstance(tok, str)
            current.append(re.escape(tok))
    pieces.append("".join(current))
    if len(pieces) == 1:
        return pieces[0]
    middle = "".join(f"(?>[^:]*?{piece})" for piece in pieces[1:-1] if piece)
    if open_end and not pieces[-1]:
        return f"{pieces[0]}{middle}.*"
    return f"{pieces[0]}{middle}[^:]*{pieces[-1]}"


@lru_cache(maxsize=65536)
def compile_resource_tokens(tokens: tuple[str | _Wild, ...]) -> Matcher:
    """A matcher for a ``Resource``/``NotResource`` entry (variables already substituted).

    When every wildcard is a ``*`` that ends a segment (``arn:aws:dynamodb:*:*:table/t``,
    ``arn:aws:s3:::b/*``, ``*``) this is the plain glob of :func:`compile_glob`. With every
    wildcard in the last segment of the pattern it is one regular expression.
    Otherwise the pattern's segments are matched against the value's colon-separated parts
    one by one (a glob within a part), and a segment that ends in ``*`` may also swallow any
    number of the following parts: a small dynamic programme over (segment, part), linear in
    the parts for each segment, with no backtracking at all.
    """
    if not any(isinstance(t, _Wild) for t in tokens):
        literal = "".join(t for t in tokens if isinstance(t, str))
        return literal.__eq__
    if all(_open_star(tokens, i) for i, t in enumerate(tokens) if isinstance(t, _Wild)):
        # Every wildcard is a '*' that ends a segment: the plain glob, colons and all.
        return _compile_tokens(list(tokens), False)
    segments = _segments(tokens)
    wild_before_last = any(isinstance(t, _Wild) for segment in segments[:-1] for t in segment)
    if not wild_before_last:
        head = "".join(re.escape(t) + ":" for t in (_literal(segment) for segment in segments[:-1]))
        body = _bounded_regex(segments[-1], open_end=bool(segments[-1]) and segments[-1][-1] is STAR)
        return re.compile(head + body, re.DOTALL).fullmatch
    compiled = tuple((_compile_tokens(segment, False), bool(segment) and segment[-1] is STAR) for segment in segments)

    def match(value: str) -> bool:
        parts = value.split(":")
        count = len(parts)
        reach = {0}
        for segment_matches, open_end in compiled:
            following: set[int] = set()
            for j in reach:
                if j < count and segment_matches(parts[j]):
                    if open_end:
                        following.update(range(j + 1, count + 1))
                    else:
                        following.add(j + 1)
            if not following:
                return False
            reach = following
        return count in reach

    return match


@lru_cache(maxsize=65536)
def compile_resource_pattern(pattern: str) -> Matcher:
    """:func:`compile_resource_tokens` for plain text (no policy variables)."""
    return compile_resource_tokens(tuple(_split_wildcards(pattern)))


def _open_star(tokens: tuple[str | _Wild, ...], i: int) -> bool:
    """``tokens[i]`` is a ``*`` that ends its segment (``:`` or the end follows it)."""
    if tokens[i] is not STAR:
        return False
    following = tokens[i + 1] if i + 1 < len(tokens) else None
    return following is None or (isinstance(following, str) and following.startswith(":"))


def _literal(segment: list[str | _Wild]) -> str:
    return "".join(t for t in segment if isinstance(t, str))
