"""IAM wildcards (``*`` and ``?``) and policy-variable templates.

``*`` matches any run of characters (including none and including ``:`` and ``/``), ``?``
exactly one character; every other character is literal, ``[`` included (so ``fnmatch`` is
wrong here). Actions compare case-insensitively, resources and condition values
case-sensitively (``reference_policies_elements_action``, ``..._resource``).

No pattern can backtrack catastrophically: a pattern ``s0*s1*...*sk`` is compiled to
``s0(?>.*?s1)(?>.*?s2)....*sk`` matched with ``fullmatch``. Each middle segment has a fixed
length, so taking its leftmost occurrence is always optimal, and the atomic group stops the
regex engine from ever revisiting that choice; matching is O(len(value) * len(pattern)).

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

    __slots__ = ("_ignore_case", "_matcher", "has_variables", "text", "tokens")

    def __init__(self, text: str, *, variables: bool = True, ignore_case: bool = False) -> None:
        self.text = text
        self.tokens = parse_tokens(text, variables)
        self.has_variables = any(isinstance(t, Variable) for t in self.tokens)
        self._ignore_case = ignore_case
        self._matcher: Matcher | None = None
        if not self.has_variables:
            self._matcher = _compile_tokens(list(self.tokens), ignore_case)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"Template({self.text!r})"

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

    def render(self, context: Context) -> str | None:
        tokens = self.substitute(context)
        if tokens is None:
            return None
        return "".join(t.char if isinstance(t, _Wild) else t for t in tokens)


@lru_cache(maxsize=65536)
def _compile_substituted(tokens: tuple[str | _Wild, ...], ignore_case: bool) -> Matcher:
    return _compile_tokens(list(tokens), ignore_case)
