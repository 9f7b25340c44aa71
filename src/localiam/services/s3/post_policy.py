"""The policy document of a browser-based POST upload, checked as S3 checks it
(``sigv4-HTTPPOSTConstructPolicy``, "Creating a POST policy"):

- the policy is base64 JSON with an ``expiration`` (ISO 8601, UTC) and ``conditions``; a request
  after the expiration is refused ("Invalid according to Policy: Policy expired.");
- a condition is ``{"field": "value"}`` (exact match), ``["eq", "$field", "value"]``,
  ``["starts-with", "$field", "prefix"]`` (``""`` allows any value) or
  ``["content-length-range", min, max]`` on the file's size; ``bucket`` is the bucket the form
  is posted to;
- "Each form field that you specify in a form (except x-amz-signature, file, policy, and field
  names that have an x-ignore- prefix) must appear in the list of conditions."

A failed condition or an extra field is ``403 AccessDenied`` with S3's "Invalid according to
Policy" wording; a file outside ``content-length-range`` is ``EntityTooSmall`` or
``EntityTooLarge``; a policy that is not base64 JSON with those members is
``InvalidPolicyDocument``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from localiam.errors import AccessDenied, AwsError
from localiam.services.s3.common import error

# Fields the policy need not name: the signature's own, the file, the policy, and (SigV2) the
# key id and signature.
_UNCHECKED = frozenset({"x-amz-signature", "file", "policy", "awsaccesskeyid", "signature"})


@dataclass(frozen=True, slots=True)
class Condition:
    operator: str  # eq, starts-with or content-length-range
    field: str  # lower-cased, without "$"; "" for content-length-range
    value: str = ""
    low: int = 0
    high: int = 0

    def describe(self) -> str:
        if self.operator == "content-length-range":
            return json.dumps([self.operator, self.low, self.high])
        return json.dumps([self.operator, f"${self.field}", self.value])


def _invalid(message: str) -> AwsError:
    return error("InvalidPolicyDocument", f"Invalid Policy: {message}")


def _refused(message: str) -> AccessDenied:
    return AccessDenied(f"Invalid according to Policy: {message}")


def parse_policy(text: str) -> tuple[datetime, list[Condition]]:
    """The expiration and conditions of the base64 policy ``text``."""
    try:
        document = json.loads(base64.b64decode(text.encode(), validate=True))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _invalid("Invalid JSON.") from None
    if not isinstance(document, dict):
        raise _invalid("Invalid JSON.")
    expiration = document.get("expiration")
    if not isinstance(expiration, str):
        raise _invalid("Policy missing expiration.")
    try:
        expires = datetime.fromisoformat(expiration.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(f"Invalid 'expiration' value: '{expiration}'") from None
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    raw = document.get("conditions")
    if not isinstance(raw, list):
        raise _invalid("Policy missing conditions.")
    return expires, [_condition(item) for item in raw]


def _condition(item: Any) -> Condition:
    if isinstance(item, dict) and len(item) == 1:
        ((name, value),) = item.items()
        return Condition("eq", str(name).lower().lstrip("$"), str(value))
    if isinstance(item, list) and len(item) == 3:
        operator = str(item[0]).lower()
        if operator == "content-length-range":
            try:
                return Condition(operator, "", low=int(item[1]), high=int(item[2]))
            except (TypeError, ValueError):
                raise _invalid("Invalid content-length-range condition.") from None
        if operator in ("eq", "starts-with") and isinstance(item[1], str) and item[1].startswith("$"):
            return Condition(operator, item[1][1:].lower(), str(item[2]))
    raise _invalid(f"Invalid Policy Condition: {json.dumps(item)}")


def check_policy(text: str, fields: Mapping[str, str], *, bucket: str, file_size: int, now: datetime) -> None:
    """Raise S3's error unless the form's ``fields`` (lower-cased names; ``key`` already with
    ``${filename}`` replaced) and its file satisfy the policy ``text`` at ``now``."""
    expires, conditions = parse_policy(text)
    if now >= expires:
        raise _refused("Policy expired.")
    values = {**fields, "bucket": bucket}
    named: set[str] = set()
    for condition in conditions:
        if condition.operator == "content-length-range":
            if file_size < condition.low:
                raise error("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size")
            if file_size > condition.high:
                raise error("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
            continue
        named.add(condition.field)
        value = values.get(condition.field)
        if condition.operator == "eq":
            ok = value == condition.value
        else:
            ok = value is not None and value.startswith(condition.value)
        if not ok:
            raise _refused(f"Policy Condition failed: {condition.describe()}")
    extra = [
        name for name in fields if name not in named and name not in _UNCHECKED and not name.startswith("x-ignore-")
    ]
    if extra:
        raise _refused(f"Extra input fields: {', '.join(extra)}")
