"""``DecodeAuthorizationMessage`` and the encoding localiam uses for authorization messages.

AWS returns some denials with an encoded message that only ``sts:DecodeAuthorizationMessage``
can read (``API_DecodeAuthorizationMessage``); the decoded message is JSON with ``allowed``,
``explicitDeny``, ``matchedStatements``, ``failures`` and ``context`` (the principal, action,
resource and condition keys of the request).

AWS's encoding is opaque. localiam's is documented and stable: the standard base64 of the JSON
object ``{"localiam": 1, "account": ACCOUNT, "message": DECODED}``, where ``ACCOUNT`` is the
account of the principal that was denied (only callers in that account may decode it) and
``DECODED`` is the decoded message above. :func:`encode_authorization_message` builds it from a
:class:`~localiam.engine.Decision`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from typing import Any

from localiam.engine import Decision
from localiam.errors import client_error
from localiam.services.base import OperationContext, Params, Result
from localiam.services.sts._service import SERVICE

ENCODING_VERSION = 1


def _invalid() -> Exception:
    return client_error("InvalidAuthorizationMessageException", "The error message that you provided is invalid.")


def decoded_message(
    decision: Decision,
    *,
    principal_arn: str,
    principal_id: str | None,
    action: str,
    resource: str,
    context: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """The decoded form of an authorization message, as AWS lays it out."""
    return {
        "allowed": decision.allowed,
        "explicitDeny": decision.outcome.value == "ExplicitDeny",
        "matchedStatements": {
            "items": [
                {
                    "statementId": ref.sid or str(ref.index),
                    "policyType": ref.policy_type.value,
                    "policy": ref.policy,
                }
                for ref in decision.determining
            ]
        },
        "failures": {"items": [decision.message] if decision.message else []},
        "context": {
            "principal": {"id": principal_id, "arn": principal_arn},
            "action": action,
            "resource": resource,
            "conditions": {
                "items": [
                    {"key": key, "values": {"items": [{"value": v} for v in values]}}
                    for key, values in sorted((context or {}).items())
                ]
            },
        },
    }


def encode_authorization_message(decision: Decision, *, account: str, **request: Any) -> str:
    """The encoded message localiam puts in a denial (see the module docstring)."""
    payload = {"localiam": ENCODING_VERSION, "account": account, "message": decoded_message(decision, **request)}
    return base64.b64encode(json.dumps(payload, separators=(",", ":")).encode("utf-8")).decode("ascii")


@SERVICE.operation(
    "DecodeAuthorizationMessage", action="sts:DecodeAuthorizationMessage", resource=lambda ctx, params: "*"
)
def decode_authorization_message(ctx: OperationContext, params: Params) -> Result:
    encoded = params.get("EncodedMessage")
    if not isinstance(encoded, str):
        raise _invalid()
    try:
        payload = json.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError, RecursionError):  # RecursionError: JSON nested too deeply
        raise _invalid() from None
    if not isinstance(payload, dict) or payload.get("localiam") != ENCODING_VERSION:
        raise _invalid()
    if payload.get("account") != ctx.account_id or not isinstance(payload.get("message"), dict):
        raise _invalid()
    return {"DecodedMessage": json.dumps(payload["message"], separators=(",", ":"))}
