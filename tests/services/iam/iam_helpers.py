"""Policy documents for the IAM service tests, as JSON text the way clients send them."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

VERSION = "2012-10-17"


def statement(
    effect: str, action: str | list[str], resource: str | list[str] | None = "*", **extra: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": effect, "Action": action}
    if resource is not None:
        out["Resource"] = resource
    out.update(extra)
    return out


def allow(action: str | list[str], resource: str | list[str] | None = "*", **extra: Any) -> dict[str, Any]:
    return statement("Allow", action, resource, **extra)


def deny(action: str | list[str], resource: str | list[str] | None = "*", **extra: Any) -> dict[str, Any]:
    return statement("Deny", action, resource, **extra)


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": VERSION, "Statement": list(statements)})


def trust(principal: Any, action: str = "sts:AssumeRole") -> str:
    return json.dumps(
        {"Version": VERSION, "Statement": [{"Effect": "Allow", "Principal": principal, "Action": action}]}
    )


def document(value: str) -> Any:
    """A URL-encoded policy document as IAM returns it, decoded as SDKs decode it."""
    return json.loads(urllib.parse.unquote(value))
