"""MFA in ``GetSessionToken`` and ``AssumeRole``: the ``SerialNumber`` and ``TokenCode`` a caller
passes to prove an MFA device (IAM User Guide ``id_credentials_mfa_configure-api-require``: "The
user calls one of the AWS STS API operations that support MFA parameters: AssumeRole or
GetSessionToken. As part of the call, the user includes the device identifier for the device
that's associated with the user. The user also includes the time-based one-time password").

The serial number must name an MFA device enabled for the IAM user behind the call: the user
whose long-term keys sign it, or whose ``GetSessionToken`` session does. The root user, a role
session and a federated user have no such device here. The code must be the device's for the
server's current 30-second step or one step either side (:mod:`localiam.services.totp`), and a
step whose code was accepted once is never accepted again (RFC 6238 section 5.2; a code reused
within its window is refused by AWS too: hashicorp/terraform-provider-aws#3885, "every MFA Token
could be used just once").

AWS's answers, ``AccessDenied`` (403), with its wording (``API_GetSessionToken``: "An incorrect
MFA code causes the API to return an access denied error"):
- an unknown serial number, another user's device, or a code without a serial number:
  "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial
  number is valid and associated with this user." (two spaces, as AWS prints it: aws/aws-cli#6325,
  broamski/aws-mfa#25);
- a wrong, expired or reused code: "MultiFactorAuthentication failed with invalid MFA one time
  pass code." (hashicorp/terraform-provider-aws#3885).
A serial number without a code proves nothing: the session is made without MFA, and a policy
that requires MFA refuses it (``API_AssumeRole``, TokenCode: "If the role being assumed requires
MFA and if the TokenCode value is missing or expired, the AssumeRole call returns an "access
denied" error"). Neither message repeats the code; a malformed ``TokenCode`` is a
``ValidationError`` that names the member, not its value.

Checking (:func:`verified_code`) writes nothing; :func:`use_code` then marks the code's step
used in the operation's transaction, so a request that fails later (a trust policy that does not
allow) leaves the code unused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from localiam.errors import AccessDenied, ValidationError
from localiam.services import totp
from localiam.services.base import OperationContext, Params
from localiam.services.sts._service import constraint_error, credential_kind, signed_caller
from localiam.state import iam_store, mfa_store, schema

UNABLE_TO_VALIDATE = (
    "MultiFactorAuthentication failed, unable to validate MFA code.  "
    "Please verify your MFA serial number is valid and associated with this user."
)
INVALID_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code."
_SERIAL = re.compile(r"[\w+=/:,.@-]*")
_CODE = re.compile(r"[\d]*")


@dataclass(frozen=True, slots=True)
class VerifiedCode:
    """A code that matched a device of the caller's user, and the step it matched."""

    account_id: str
    serial_key: str
    step: int


def _serial_number(params: Params) -> str | None:
    """``SerialNumber``: 9 to 256 characters of ``[\\w+=/:,.@-]*`` (``API_GetSessionToken``)."""
    value = params.get("SerialNumber")
    if value is None:
        return None
    if not isinstance(value, str):
        raise constraint_error(value, "serialNumber", "Member must not be null")
    if len(value) < 9:
        raise constraint_error(value, "serialNumber", "Member must have length greater than or equal to 9")
    if len(value) > 256:
        raise constraint_error(value, "serialNumber", "Member must have length less than or equal to 256")
    if not _SERIAL.fullmatch(value):
        raise constraint_error(value, "serialNumber", r"Member must satisfy regular expression pattern: [\w+=/:,.@-]*")
    return value


def _token_code(params: Params) -> str | None:
    """``TokenCode``: six characters of ``[\\d]*``; the value itself is never repeated."""
    value = params.get("TokenCode")
    if value is None:
        return None
    rule = None
    if not isinstance(value, str) or len(value) < 6:
        rule = "Member must have length greater than or equal to 6"
    elif len(value) > 6:
        rule = "Member must have length less than or equal to 6"
    elif not _CODE.fullmatch(value):
        rule = r"Member must satisfy regular expression pattern: [\d]*"
    if rule is not None:
        raise ValidationError(f"1 validation error detected: Value at 'tokenCode' failed to satisfy constraint: {rule}")
    return value


def mfa_user_key(ctx: OperationContext) -> str | None:
    """The IAM user whose devices may prove the call: the signer's, for an IAM user's keys or
    a session of theirs from ``GetSessionToken``; ``None`` for anyone else."""
    caller = signed_caller(ctx)
    if credential_kind(caller) in ("user", "user-session"):
        return caller.user_key
    return None


def verified_code(ctx: OperationContext, params: Params) -> VerifiedCode | None:
    """The request's MFA code, checked against the caller's device; ``None`` when the request
    passes no code. Raises AWS's ``AccessDenied`` when the code does not prove a device."""
    serial = _serial_number(params)
    code = _token_code(params)
    if code is None:
        return None
    user_key = mfa_user_key(ctx)
    if serial is None or user_key is None:
        raise AccessDenied(UNABLE_TO_VALIDATE)
    account = ctx.account_id
    key = mfa_store.serial_key(serial)
    device = iam_store.one(ctx.tx, schema.mfa_devices, account_id=account, serial_key=key)
    if device is None or device["user_key"] != user_key:
        raise AccessDenied(UNABLE_TO_VALIDATE)
    step = totp.matching_step(str(device["seed"]), code, ctx.clock(), drift=int(device["drift"]))
    used = device["last_used_step"]
    if step is None or (used is not None and step <= used):
        raise AccessDenied(INVALID_CODE)
    return VerifiedCode(account, key, step)


def use_code(ctx: OperationContext, code: VerifiedCode) -> None:
    """Mark the code's step used; a request that used it meanwhile wins, and this one is
    refused as a reused code."""
    if not mfa_store.accept_step(ctx.tx, code.account_id, code.serial_key, code.step):
        raise AccessDenied(INVALID_CODE)


def mfa_context_keys(code: VerifiedCode | None) -> dict[str, str | list[str]]:
    """What a request proven with a code carries for its own authorization (a trust policy's
    ``"Bool": {"aws:MultiFactorAuthPresent": "true"}``): the code was verified just now."""
    if code is None:
        return {}
    return {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "0"}
