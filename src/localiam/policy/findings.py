"""Problems found in a policy: every one collected, none raised.

Each finding has a stable ``code`` (tests and users rely on it), a ``severity``, a JSON-pointer
``location`` into the document (RFC 6901: ``/Statement/2/Condition/StringEqualz``) and a
message, in AWS's own ``MalformedPolicyDocument`` wording where AWS has one.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: Severity
    location: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "location": self.location,
            "message": self.message,
        }

    def __str__(self) -> str:
        where = self.location or "/"
        return f"{self.severity.value}: {self.code} at {where}: {self.message}"


def pointer(*parts: str | int) -> str:
    """A JSON pointer from path parts, escaping ``~`` and ``/`` as RFC 6901 requires."""
    out = []
    for part in parts:
        text = str(part).replace("~", "~0").replace("/", "~1")
        out.append("/" + text)
    return "".join(out)


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Result(Generic[T]):
    """A value (``None`` when it could not be built) and every finding met on the way."""

    value: T | None
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        return self.value is not None and not self.errors


class Collector:
    """Accumulates findings while a parser or linter walks a document."""

    __slots__ = ("findings",)

    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def error(self, code: str, location: str, message: str) -> None:
        self.findings.append(Finding(code, Severity.ERROR, location, message))

    def warning(self, code: str, location: str, message: str) -> None:
        self.findings.append(Finding(code, Severity.WARNING, location, message))

    def extend(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    @property
    def has_errors(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)
