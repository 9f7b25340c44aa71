"""A user's MFA devices: ``EnableMFADevice``, ``ResyncMFADevice``, ``DeactivateMFADevice``,
``ListMFADevices`` and ``GetMFADevice`` (IAM API Reference ``API_EnableMFADevice`` ...). The
devices themselves are :mod:`.virtual_mfa`; the codes are checked by
:mod:`localiam.services.totp`.

``EnableMFADevice`` and ``ResyncMFADevice`` take "two consecutive authentication codes"
(``API_EnableMFADevice``: "An authentication code emitted by the device ... a subsequent
authentication code emitted by the device"): the codes of two consecutive 30-second steps, the
second within one step of the server's clock (for a resync, within :data:`RESYNC_WINDOW` steps
of where the device's clock was last seen; the steps it is off are kept and later codes are
expected there: IAM User Guide ``id_credentials_mfa_sync``, "IAM ... synchronize the device").
A code whose step was already accepted is refused (RFC 6238 section 5.2). A wrong pair is
``InvalidAuthenticationCode`` (403) "Authentication code for device is not valid."; neither code
appears in any answer.

A user has at most eight MFA devices (``reference_iam-quotas``: "MFA devices in use per user:
8"; ``id_credentials_mfa``: "You can register up to eight MFA devices"), ``LimitExceeded``
"Cannot exceed quota for MFADevicesPerUser: 8" in the words IAM gives its other per-user quotas
("Cannot exceed quota for AccessKeysPerUser: 2"). Other answers, in the wording IAM-compatible
services reproduce (no AWS page prints them): a device already enabled for a user,
``EntityAlreadyExists`` "MFA Device is already in use."; a device that is not the named user's,
``NoSuchEntity`` "MFA Device invalid for user.".
"""

from __future__ import annotations

from localiam.services import totp
from localiam.services.base import OperationContext, Params, Result
from localiam.services.iam.common import (
    SERVICE,
    Pattern,
    Rule,
    already_exists,
    limit_exceeded,
    name_rule,
    no_such_entity,
    paginate,
    timestamp,
    validate,
)
from localiam.services.iam.entities import caller_user_name, entity_keys, get, resource, resource_tags
from localiam.services.iam.virtual_mfa import SERIAL_RULE, get_device, invalid_code
from localiam.state import iam_store, mfa_store, schema
from localiam.state.iam_store import Row

MAX_DEVICES_PER_USER = 8
RESYNC_WINDOW = 10
"""Steps (five minutes) either side of the device's last known clock that a resync searches."""
DIGITS = Pattern.regex(r"[\d]+", r"[0-9]+")
CODE_RULES = (
    Rule("AuthenticationCode1", True, DIGITS, 6, 6, sensitive=True),
    Rule("AuthenticationCode2", True, DIGITS, 6, 6, sensitive=True),
)
USER = ("user", "UserName")


def _users_device(ctx: OperationContext, user: Row | None, serial_number: str) -> Row:
    """The device, which must be enabled for ``user`` (``None``: the root user, whose devices
    IAM's API does not manage)."""
    device = get_device(ctx, serial_number)
    if user is None or device["user_key"] != user["name_key"]:
        raise no_such_entity("MFA Device invalid for user.")
    return device


def _caller_or_named(ctx: OperationContext, params: Params) -> Row | None:
    name = caller_user_name(ctx, params)
    return get(ctx, "user", name) if name is not None else None


def _accept(
    ctx: OperationContext, device: Row, step: int | None, *, unassigned_only: bool = False, **changes: object
) -> None:
    """Record the accepted pair (its second step) unless a code of its steps was used already
    (or, ``unassigned_only``, another request enabled the device for a user meanwhile)."""
    key = str(device["serial_key"])
    if step is None:
        raise invalid_code()
    if not mfa_store.accept_step(
        ctx.tx, ctx.account_id, key, step, newer_than=step - 1, unassigned_only=unassigned_only, **changes
    ):
        now = iam_store.one(ctx.tx, schema.mfa_devices, account_id=ctx.account_id, serial_key=key)
        if unassigned_only and now is not None and now["user_key"] is not None:
            raise already_exists("MFA Device is already in use.")
        raise invalid_code()


@SERVICE.operation(
    "EnableMFADevice",
    action="iam:EnableMFADevice",
    resource=resource(*USER),
    condition_keys=entity_keys(*USER),
    resource_policy=resource_tags(*USER),
    writes=True,
)
def enable_mfa_device(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("UserName", 128), SERIAL_RULE, *CODE_RULES)
    user = get(ctx, "user", str(params["UserName"]))
    device = get_device(ctx, str(params["SerialNumber"]))
    if device["user_key"] is not None:
        raise already_exists("MFA Device is already in use.")
    enabled = iam_store.count(ctx.tx, schema.mfa_devices, account_id=ctx.account_id, user_key=user["name_key"])
    if enabled >= MAX_DEVICES_PER_USER:
        raise limit_exceeded(f"Cannot exceed quota for MFADevicesPerUser: {MAX_DEVICES_PER_USER}")
    step = totp.consecutive_step(
        str(device["seed"]), str(params["AuthenticationCode1"]), str(params["AuthenticationCode2"]), ctx.clock()
    )
    _accept(ctx, device, step, user_key=user["name_key"], enabled_at=ctx.now, drift=0, unassigned_only=True)
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation(
    "ResyncMFADevice",
    action="iam:ResyncMFADevice",
    resource=resource(*USER),
    condition_keys=entity_keys(*USER),
    resource_policy=resource_tags(*USER),
    writes=True,
)
def resync_mfa_device(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("UserName", 128), SERIAL_RULE, *CODE_RULES)
    user = get(ctx, "user", str(params["UserName"]))
    device = _users_device(ctx, user, str(params["SerialNumber"]))
    now = ctx.clock()
    step = totp.consecutive_step(
        str(device["seed"]),
        str(params["AuthenticationCode1"]),
        str(params["AuthenticationCode2"]),
        now,
        drift=int(device["drift"]),
        window=RESYNC_WINDOW,
    )
    drift = step - totp.step_at(now) if step is not None else 0
    _accept(ctx, device, step, drift=drift)
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation(
    "DeactivateMFADevice",
    action="iam:DeactivateMFADevice",
    resource=resource(*USER),
    condition_keys=entity_keys(*USER),
    resource_policy=resource_tags(*USER),
    writes=True,
)
def deactivate_mfa_device(ctx: OperationContext, params: Params) -> Result:
    """The device is no longer the user's (``API_DeactivateMFADevice``: "removes it from
    association with the user name for which it was originally enabled"); it stays in the
    account, unassigned, and its used steps stay used."""
    validate(params, name_rule("UserName", 128, required=False), SERIAL_RULE)
    device = _users_device(ctx, _caller_or_named(ctx, params), str(params["SerialNumber"]))
    where = {"account_id": ctx.account_id, "serial_key": device["serial_key"]}
    iam_store.change(ctx.tx, schema.mfa_devices, where, user_key=None, enabled_at=None, drift=0)
    ctx.tx.touch(ctx.account_id)
    return {}


def _device_entry(user: Row, device: Row) -> Result:
    """``API_MFADevice``."""
    return {
        "UserName": user["name"],
        "SerialNumber": device["serial_number"],
        "EnableDate": timestamp(device["enabled_at"]),
    }


@SERVICE.operation(
    "ListMFADevices",
    action="iam:ListMFADevices",
    resource=resource(*USER),
    condition_keys=entity_keys(*USER),
    resource_policy=resource_tags(*USER),
)
def list_mfa_devices(ctx: OperationContext, params: Params) -> Result:
    """Without ``UserName``, the caller's devices (``API_ListMFADevices``: "IAM determines the
    user name implicitly based on the Amazon Web Services access key ID signing the request");
    the root user's devices are not managed through IAM's API here, so its list is empty."""
    validate(params, name_rule("UserName", 128, required=False))
    user = _caller_or_named(ctx, params)
    rows = (
        iam_store.rows(
            ctx.tx, schema.mfa_devices, order_by=("serial_key",), account_id=ctx.account_id, user_key=user["name_key"]
        )
        if user is not None
        else []
    )
    page, more = paginate(rows, params, key=lambda r: str(r["serial_key"]))
    return {"MFADevices": [_device_entry(user, r) for r in page] if user is not None else [], **more}


@SERVICE.operation(
    "GetMFADevice",
    action="iam:GetMFADevice",
    resource=resource(*USER),
    condition_keys=entity_keys(*USER),
    resource_policy=resource_tags(*USER),
)
def get_mfa_device(ctx: OperationContext, params: Params) -> Result:
    """``API_GetMFADevice``: the device's user, serial number and enable date (``Certifications``
    belong to FIDO security keys, which localiam does not model)."""
    validate(params, SERIAL_RULE, name_rule("UserName", required=False))
    user = _caller_or_named(ctx, params)
    device = _users_device(ctx, user, str(params["SerialNumber"]))
    assert user is not None
    return _device_entry(user, device)
