"""The raw HTTP request every wire step reads: routing, SigV4 verification and the parsers.

It keeps what a signature covers exactly as it arrived: the raw (still percent-encoded) path
and query string, the headers in order with their original case, and the body bytes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One HTTP request as received, before any decoding."""

    method: str
    raw_path: str
    raw_query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None
