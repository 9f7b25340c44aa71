"""Virtual MFA devices as account resources: ``CreateVirtualMFADevice``,
``DeleteVirtualMFADevice``, ``ListVirtualMFADevices`` and the device's tags (``TagMFADevice``,
``UntagMFADevice``, ``ListMFADeviceTags``). IAM API Reference ``API_CreateVirtualMFADevice``
... and ``API_VirtualMFADevice``; assigning a device to a user is :mod:`.mfa_devices`.

A device is ``arn:aws:iam::ACCOUNT:mfa{Path}{VirtualMFADeviceName}``, its serial number
(``reference_identifiers``; the Service Authorization Reference's ``mfa`` resource,
``arn:${Partition}:iam::${Account}:mfa/${MfaTokenIdWithPath}``). Its TOTP seed
(:mod:`localiam.services.totp`) is returned once, by ``CreateVirtualMFADevice``, as
``Base32StringSeed`` (the base32 text, which the wire carries as a base64 blob) and as
``QRCodePNG``; no other answer, error or log line carries it (``API_CreateVirtualMFADevice``:
"protect the seed information as you would your AWS access keys or your passwords").

Answers (the API Reference lists only the error codes):
- a second device of the same path and name, in any letter case: ``EntityAlreadyExists``
  "MFADevice entity at the same path and name already exists." (AWS's wording, as CloudTrail
  records a failed ``CreateVirtualMFADevice`` and the console reports it);
- a serial number the account has no device for: ``NoSuchEntity`` "VirtualMFADevice with serial
  number SERIAL does not exist.";
- deleting a device still enabled for a user: ``DeleteConflict`` "MFA VirtualDevice in use. Must
  deactivate first." (``API_DeleteVirtualMFADevice``: "You must deactivate a user's virtual MFA
  device before you can delete it").
The last two wordings are those IAM-compatible services reproduce (an AWS-compatible IAM's
conformance tests); no AWS page prints them.
``ListVirtualMFADevices`` without ``AssignmentStatus`` lists every device
(``API_ListVirtualMFADevices``: "the operation defaults to Any"), with ``User`` and
``EnableDate`` on assigned ones, never tags ("IAM resource-listing operations return a subset
of the available attributes").
"""

from __future__ import annotations

from localiam.errors import client_error
from localiam.services import totp
from localiam.services.base import OperationContext, Params, ResourcePolicy, Result
from localiam.services.iam.common import (
    NAME,
    PATH,
    SERVICE,
    Pattern,
    Rule,
    already_exists,
    delete_conflict,
    iam_arn,
    no_such_entity,
    paginate,
    timestamp,
    validate,
)
from localiam.services.iam.entities import (
    add_tags,
    check_tags,
    request_tag_keys,
    tag_list,
    user_shape,
)
from localiam.services.iam.tagging import register_tag_operations
from localiam.state import iam_store, mfa_store, schema
from localiam.state.iam_store import Row

SERIAL = Pattern.regex(r"[\w+=/:,.@-]+", r"[\w+=/:,.@-]+")
SERIAL_RULE = Rule("SerialNumber", True, SERIAL, 9, 256)
DEVICE_NAME_RULE = Rule("VirtualMFADeviceName", True, NAME, 1)
PATH_RULE = Rule("Path", False, PATH, 1, 512)
STATUS_RULE = Rule("AssignmentStatus", False, enum=("Assigned", "Unassigned", "Any"))
TAGGED = "mfa"
"""The ``resource_type`` of a device's tags; their ``resource_key`` is its serial key."""


# --------------------------------------------------------------------------- lookups
def find_device(ctx: OperationContext, serial_number: str) -> Row | None:
    key = mfa_store.serial_key(serial_number)
    return iam_store.one(ctx.tx, schema.mfa_devices, account_id=ctx.account_id, serial_key=key)


def get_device(ctx: OperationContext, serial_number: str) -> Row:
    device = find_device(ctx, serial_number)
    if device is None:
        raise no_such_entity(f"VirtualMFADevice with serial number {serial_number} does not exist.")
    return device


def device_arn(ctx: OperationContext, params: Params) -> str:
    """The device a request names by ``SerialNumber`` (validated first: AWS rejects a malformed
    request before it evaluates any policy)."""
    validate(params, SERIAL_RULE)
    serial = str(params["SerialNumber"])
    device = find_device(ctx, serial)
    return str(device["serial_number"]) if device is not None else serial


def new_device_arn(ctx: OperationContext, params: Params) -> str:
    validate(params, DEVICE_NAME_RULE, PATH_RULE)
    return iam_arn(ctx.account_id, "mfa", str(params.get("Path") or "/"), str(params["VirtualMFADeviceName"]))


def device_tags(ctx: OperationContext, params: Params) -> ResourcePolicy:
    """A device's tags, for ``aws:ResourceTag/${TagKey}``; no resource-based policy."""
    serial = params.get("SerialNumber")
    device = find_device(ctx, str(serial)) if isinstance(serial, str) else None
    tags = dict(iam_store.tags_of(ctx.tx, ctx.account_id, TAGGED, device["serial_key"])) if device else {}
    return ResourcePolicy(None, None, tags=tags)


# --------------------------------------------------------------------------- operations
@SERVICE.operation(
    "CreateVirtualMFADevice",
    action="iam:CreateVirtualMFADevice",
    resource=new_device_arn,
    condition_keys=request_tag_keys,
    writes=True,
)
def create_virtual_mfa_device(ctx: OperationContext, params: Params) -> Result:
    """The QR code's account name is the account id: a new device is unassigned, and
    ``API_VirtualMFADevice`` names the account "the user name if set (otherwise, the account
    ID otherwise)"; localiam has no account aliases."""
    validate(params, DEVICE_NAME_RULE, PATH_RULE)
    tags = check_tags(params)
    name = str(params["VirtualMFADeviceName"])
    serial = new_device_arn(ctx, params)
    if find_device(ctx, serial) is not None:
        raise already_exists("MFADevice entity at the same path and name already exists.")
    seed = totp.new_seed()
    mfa_store.add_device(ctx.tx, account_id=ctx.account_id, serial_number=serial, seed=seed, created_at=ctx.now)
    if tags:
        add_tags(ctx, TAGGED, mfa_store.serial_key(serial), tags)
    ctx.tx.touch(ctx.account_id)
    device: Result = {
        "SerialNumber": serial,
        "Base32StringSeed": seed.encode("ascii"),
        "QRCodePNG": totp.qr_png(totp.otpauth_uri(seed, name, ctx.account_id)),
    }
    if tags:
        device["Tags"] = tag_list(tags)
    return {"VirtualMFADevice": device}


@SERVICE.operation(
    "DeleteVirtualMFADevice",
    action="iam:DeleteVirtualMFADevice",
    resource=device_arn,
    resource_policy=device_tags,
    writes=True,
)
def delete_virtual_mfa_device(ctx: OperationContext, params: Params) -> Result:
    validate(params, SERIAL_RULE)
    device = get_device(ctx, str(params["SerialNumber"]))
    if device["user_key"] is not None:
        raise delete_conflict("MFA VirtualDevice in use. Must deactivate first.")
    iam_store.drop_tags(ctx.tx, ctx.account_id, TAGGED, device["serial_key"])
    iam_store.remove(ctx.tx, schema.mfa_devices, account_id=ctx.account_id, serial_key=device["serial_key"])
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation("ListVirtualMFADevices", action="iam:ListVirtualMFADevices", resource=lambda ctx, p: "*")
def list_virtual_mfa_devices(ctx: OperationContext, params: Params) -> Result:
    validate(params, STATUS_RULE)
    status = params.get("AssignmentStatus") or "Any"
    rows = iam_store.rows(ctx.tx, schema.mfa_devices, order_by=("serial_key",), account_id=ctx.account_id)
    if status != "Any":
        rows = [r for r in rows if (r["user_key"] is not None) == (status == "Assigned")]
    page, more = paginate(rows, params, key=lambda r: str(r["serial_key"]))
    devices = []
    for row in page:
        entry: Result = {"SerialNumber": row["serial_number"]}
        if row["user_key"] is not None:
            user = iam_store.one(ctx.tx, schema.users, account_id=ctx.account_id, name_key=row["user_key"])
            if user is not None:
                entry["User"] = user_shape(ctx, user)
            entry["EnableDate"] = timestamp(row["enabled_at"])
        devices.append(entry)
    return {"VirtualMFADevices": devices, **more}


# --------------------------------------------------------------------------- tags
register_tag_operations(
    "MFADevice",
    tagged=TAGGED,
    param="SerialNumber",
    rule=SERIAL_RULE,
    find_key=lambda ctx, serial: str(get_device(ctx, serial)["serial_key"]),
    resource=device_arn,
    resource_policy=device_tags,
)


def invalid_code() -> Exception:
    """``InvalidAuthenticationCode`` (403), AWS's "Authentication code for device is not valid."
    (as the IAM console reports a failed ``EnableMFADevice``: "Invalid MFA Code ... Authentication
    code for device is not valid.", quoted in Rookiestyle/KeePassOTP#35). Neither code is
    repeated."""
    return client_error("InvalidAuthenticationCode", "Authentication code for device is not valid.", 403)
