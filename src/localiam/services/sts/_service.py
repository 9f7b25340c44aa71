"""The STS service registry and what its operations share: the ``Credentials`` structure,
parameter checks in AWS's validation wording, and what kind of credentials signed the call.

Parameter constraints come from the STS API Reference (``API_AssumeRole``,
``API_GetSessionToken``, ``API_GetFederationToken``); AWS words a broken constraint as
``1 validation error detected: Value 'V' at 'field' failed to satisfy constraint: ...``.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

from localiam.errors import AccessDenied, ValidationError
from localiam.services.base import OperationContext, Params, Service
from localiam.state.authz import Caller
from localiam.state.sts_store import IssuedCredentials

SERVICE = Service("sts")

NAME_PATTERN = re.compile(r"[\w+=,.@-]*")
"""``RoleSessionName``, ``Name``, ``SourceIdentity``: "upper- and lower-case alphanumeric
characters with no spaces ... underscores or any of the following characters: =,.@-"."""


def timestamp(epoch: float) -> _dt.datetime:
    """A result timestamp (UTC); the wire layer renders it as AWS does."""
    return _dt.datetime.fromtimestamp(epoch, _dt.UTC)


def credentials(issued: IssuedCredentials) -> dict[str, Any]:
    """``API_Credentials``."""
    return {
        "AccessKeyId": issued.access_key_id,
        "SecretAccessKey": issued.secret_access_key,
        "SessionToken": issued.session_token,
        "Expiration": timestamp(issued.expires_at),
    }


def constraint_error(value: object, field: str, rule: str) -> ValidationError:
    return ValidationError(
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {rule}"
    )


def check_name(value: Any, field: str, *, min_length: int, max_length: int) -> str:
    """A name parameter (``roleSessionName``, ``name``, ``sourceIdentity``) within its length
    and pattern."""
    if not isinstance(value, str):
        raise constraint_error(value, field, "Member must not be null")
    if len(value) < min_length:
        raise constraint_error(value, field, f"Member must have length greater than or equal to {min_length}")
    if len(value) > max_length:
        raise constraint_error(value, field, f"Member must have length less than or equal to {max_length}")
    if not NAME_PATTERN.fullmatch(value):
        raise constraint_error(value, field, r"Member must satisfy regular expression pattern: [\w+=,.@-]*")
    return value


def duration(params: Params, *, default: int, minimum: int, maximum: int) -> int:
    """``DurationSeconds`` within the range the operation's model declares."""
    value = params.get("DurationSeconds")
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise constraint_error(value, "durationSeconds", "Member must be a valid integer")
    if value < minimum:
        raise constraint_error(value, "durationSeconds", f"Member must have value greater than or equal to {minimum}")
    if value > maximum:
        raise constraint_error(value, "durationSeconds", f"Member must have value less than or equal to {maximum}")
    return value


def signed_caller(ctx: OperationContext) -> Caller:
    if ctx.caller is None:
        raise AccessDenied("Anonymous requests are not allowed for this operation.")
    return ctx.caller


def credential_kind(caller: Caller) -> str:
    """What signed the request: ``root`` or ``user`` (long-term keys), ``assumed-role``,
    ``federated-user``, or ``root-session`` / ``user-session`` (``GetSessionToken``)."""
    key = caller.key
    if key.kind != "session":
        return key.kind
    kind = str(key.session.get("kind"))
    if kind == "session-token":
        return "root-session" if key.session.get("user_key") is None else "user-session"
    return kind
