"""The raw HTTP request every wire step reads: routing, SigV4 verification and the parsers.

It keeps what a signature covers exactly as it arrived: the raw (still percent-encoded) path
and query string, the headers in order with their original case, and the body bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One HTTP request as received, before any decoding."""

    method: str
    raw_path: str
    raw_query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    _memo: dict[str, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()``, once per request: several steps read the same derived value (the
        query string's parameters)."""
        try:
            found: T = self._memo[key]
        except KeyError:
            found = self._memo[key] = compute()
        return found

    def query_pairs(self) -> list[tuple[str, str]]:
        """The query string as ``parse_qsl`` reads it (blank values kept)."""
        return self.memo("query_pairs", lambda: parse_qsl(self.raw_query, keep_blank_values=True))

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        try:
            table: dict[str, str] = self._memo["headers"]
        except KeyError:
            table = {}
            for key, value in self.headers:
                table.setdefault(key.lower(), value)
            self._memo["headers"] = table
        return table.get(name.lower())


def host_name(request: HttpRequest) -> str:
    """The request's Host without its port, lower-cased ("" when absent)."""
    host = (request.header("host") or "").strip().lower()
    if host.startswith("["):  # an IPv6 literal
        return host.partition("]")[0] + "]"
    return host.rpartition(":")[0] if ":" in host else host
