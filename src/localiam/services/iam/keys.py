"""Long-term credentials: access keys (``CreateAccessKey``, ``UpdateAccessKey``,
``DeleteAccessKey``, ``ListAccessKeys``, ``GetAccessKeyLastUsed``) and console passwords
(``CreateLoginProfile``, ``GetLoginProfile``, ``UpdateLoginProfile``, ``DeleteLoginProfile``).

Without ``UserName`` an operation acts on the caller: the calling IAM user, or the root user
for root credentials (``API_CreateAccessKey``: "If you do not specify a user name, IAM
determines the user name implicitly based on the Amazon Web Services access key ID signing
the request"). A user has at most two access keys, active or not (``reference_iam-quotas``;
AWS: "Cannot exceed quota for AccessKeysPerUser: 2"). Passwords are kept only as a salted
PBKDF2 hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets

from localiam.errors import client_error
from localiam.services.base import OperationContext, Params, Result
from localiam.services.iam.account_settings import check_against_policy, policy_of
from localiam.services.iam.common import (
    KEY_ID,
    SERVICE,
    Rule,
    already_exists,
    bool_param,
    limit_exceeded,
    name_rule,
    no_such_entity,
    paginate,
    timestamp,
    validate,
)
from localiam.services.iam.entities import caller_user_name, entity_keys, get, resource, resource_tags
from localiam.state import iam_store, schema
from localiam.state.accounts import create_access_key
from localiam.state.iam_store import Row
from localiam.state.store import Tx

MAX_KEYS = 2
STATUS_RULE = Rule("Status", True, enum=("Active", "Inactive", "Expired"))
KEY_RULE = Rule("AccessKeyId", True, KEY_ID, 16, 128)
PASSWORD_RULE = Rule("Password", False, None, 1, 128)
_ITERATIONS = 100_000
MAX_HISTORY = 24
"""The most previous passwords ``PasswordReusePrevention`` can name (1 to 24)."""

USER = ("user", "UserName")


def hash_password(password: str) -> str:
    """``pbkdf2_sha256$ITERATIONS$SALT$HASH`` (base64); the password itself is never stored."""
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _ITERATIONS)
    return f"pbkdf2_sha256${_ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    _scheme, iterations, salt, digest = stored.split("$")
    computed = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    return hmac.compare_digest(computed, base64.b64decode(digest))


def _owner(ctx: OperationContext, params: Params) -> tuple[str | None, str | None]:
    """(user name, user key) of the key owner; ``(None, None)`` for the root user."""
    name = caller_user_name(ctx, params)
    if name is None:
        return None, None
    row = get(ctx, "user", name)
    return row["name"], row["name_key"]


def _key(ctx: OperationContext, params: Params) -> Row:
    _, user_key = _owner(ctx, params)
    key_id = str(params["AccessKeyId"])
    row = iam_store.one(ctx.tx, schema.access_keys, access_key_id=key_id, account_id=ctx.account_id, user_key=user_key)
    if row is None:
        raise no_such_entity(f"The Access Key with id {key_id} cannot be found.")
    return row


def _with_user(out: Result, user_name: str | None) -> Result:
    return {"UserName": user_name, **out} if user_name is not None else out


@SERVICE.operation(
    "CreateAccessKey",
    action="iam:CreateAccessKey",
    resource=resource(*USER),
    condition_keys=entity_keys(*USER),
    resource_policy=resource_tags(*USER),
    writes=True,
)
def create_access_key_op(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("UserName", 128, required=False))
    user_name, user_key = _owner(ctx, params)
    if iam_store.count(ctx.tx, schema.access_keys, account_id=ctx.account_id, user_key=user_key) >= MAX_KEYS:
        raise limit_exceeded(f"Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS}")
    key_id, secret = create_access_key(ctx.tx, ctx.account_id, user_key)
    ctx.tx.touch(ctx.account_id)
    key = {"AccessKeyId": key_id, "Status": "Active", "SecretAccessKey": secret, "CreateDate": timestamp(ctx.now)}
    return {"AccessKey": _with_user(key, user_name)}


@SERVICE.operation(
    "UpdateAccessKey",
    action="iam:UpdateAccessKey",
    resource=resource(*USER),
    condition_keys=entity_keys(*USER),
    resource_policy=resource_tags(*USER),
    writes=True,
)
def update_access_key(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("UserName", 128, required=False), KEY_RULE, STATUS_RULE)
    row = _key(ctx, params)
    iam_store.change(ctx.tx, schema.access_keys, {"access_key_id": row["access_key_id"]}, status=params["Status"])
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation(
    "DeleteAccessKey",
    action="iam:DeleteAccessKey",
    resource=resource(*USER),
    condition_keys=entity_keys(*USER),
    resource_policy=resource_tags(*USER),
    writes=True,
)
def delete_access_key(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("UserName", 128, required=False), KEY_RULE)
    row = _key(ctx, params)
    iam_store.remove(ctx.tx, schema.access_keys, access_key_id=row["access_key_id"])
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation(
    "ListAccessKeys",
    action="iam:ListAccessKeys",
    resource=resource(*USER),
    condition_keys=entity_keys(*USER),
    resource_policy=resource_tags(*USER),
)
def list_access_keys(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("UserName", 128, required=False))
    user_name, user_key = _owner(ctx, params)
    rows = iam_store.rows(
        ctx.tx,
        schema.access_keys,
        order_by=("created_at", "access_key_id"),
        account_id=ctx.account_id,
        user_key=user_key,
    )
    page, more = paginate(rows, params)
    keys = [
        _with_user(
            {"AccessKeyId": r["access_key_id"], "Status": r["status"], "CreateDate": timestamp(r["created_at"])},
            user_name,
        )
        for r in page
    ]
    return {"AccessKeyMetadata": keys, **more}


def _key_owner_arn(ctx: OperationContext, params: Params) -> str:
    """The user owning the key; the account's root user for root keys and unknown keys."""
    row = iam_store.one(ctx.tx, schema.access_keys, access_key_id=str(params.get("AccessKeyId") or ""))
    if row is None or row["user_key"] is None or row["account_id"] != ctx.account_id:
        return f"arn:aws:iam::{ctx.account_id}:root"
    return resource(*USER)(ctx, {"UserName": row["user_key"]})


@SERVICE.operation("GetAccessKeyLastUsed", action="iam:GetAccessKeyLastUsed", resource=_key_owner_arn)
def get_access_key_last_used(ctx: OperationContext, params: Params) -> Result:
    """A key never used reports ``N/A`` for service and region (``API_AccessKeyLastUsed``)."""
    validate(params, KEY_RULE)
    key_id = str(params["AccessKeyId"])
    row = iam_store.one(ctx.tx, schema.access_keys, access_key_id=key_id, account_id=ctx.account_id)
    if row is None:
        raise no_such_entity(f"The Access Key with id {key_id} cannot be found.")
    last: Result = {"ServiceName": row["last_used_service"] or "N/A", "Region": row["last_used_region"] or "N/A"}
    if row["last_used_at"] is not None:
        last = {"LastUsedDate": timestamp(row["last_used_at"]), **last}
    user = (
        iam_store.one(ctx.tx, schema.users, account_id=ctx.account_id, name_key=row["user_key"])
        if row["user_key"]
        else None
    )
    return _with_user({"AccessKeyLastUsed": last}, user["name"] if user else None)


# --------------------------------------------------------------------------- login profiles
def password_change(tx: Tx, account_id: str, profile: Row, password: str, now: float) -> dict[str, object]:
    """The login profile's columns for a new password: checked against the account password
    policy, including ``PasswordReusePrevention`` ("the number of previous passwords that IAM
    users are prevented from reusing": the current one and those before it)."""
    check_against_policy(tx, account_id, password)
    history = [profile["password_hash"], *json.loads(profile.get("previous_hashes") or "[]")]
    policy = policy_of(tx, account_id) or {}
    reuse = int(policy.get("PasswordReusePrevention") or 0)
    if any(check_password(password, old) for old in history[:reuse]):
        raise client_error("PasswordPolicyViolation", "Password does not conform to the account password policy.", 400)
    return {
        "password_hash": hash_password(password),
        "password_changed_at": now,
        "previous_hashes": json.dumps(history[:MAX_HISTORY]),
    }


def _profile(ctx: OperationContext, params: Params) -> tuple[Row, Row | None]:
    name = caller_user_name(ctx, params)
    if name is None:
        raise no_such_entity(f"Login Profile for User {ctx.account_id} cannot be found.")
    user = get(ctx, "user", name)
    profile = iam_store.one(ctx.tx, schema.login_profiles, account_id=ctx.account_id, user_key=user["name_key"])
    return user, profile


def _profile_shape(user: Row, profile: Row) -> Result:
    return {
        "UserName": user["name"],
        "CreateDate": timestamp(profile["created_at"]),
        "PasswordResetRequired": bool(profile["password_reset_required"]),
    }


def _missing(user: Row) -> Exception:
    return no_such_entity(f"Login Profile for User {user['name']} cannot be found.")


@SERVICE.operation(
    "CreateLoginProfile",
    action="iam:CreateLoginProfile",
    resource=resource(*USER),
    condition_keys=entity_keys(*USER),
    resource_policy=resource_tags(*USER),
    writes=True,
)
def create_login_profile(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("UserName", required=False), Rule("Password", True, None, 1, 128))
    user, profile = _profile(ctx, params)
    if profile is not None:
        raise already_exists(f"Login Profile for user {user['name']} already exists.")
    check_against_policy(ctx.tx, ctx.account_id, str(params["Password"]))
    row = {
        "account_id": ctx.account_id,
        "user_key": user["name_key"],
        "password_hash": hash_password(str(params["Password"])),
        "password_reset_required": bool_param(params, "PasswordResetRequired"),
        "created_at": ctx.now,
    }
    iam_store.add(ctx.tx, schema.login_profiles, **row)
    ctx.tx.touch(ctx.account_id)
    return {"LoginProfile": _profile_shape(user, row)}


@SERVICE.operation(
    "GetLoginProfile",
    action="iam:GetLoginProfile",
    resource=resource(*USER),
    condition_keys=entity_keys(*USER),
    resource_policy=resource_tags(*USER),
)
def get_login_profile(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("UserName", required=False))
    user, profile = _profile(ctx, params)
    if profile is None:
        raise _missing(user)
    return {"LoginProfile": _profile_shape(user, profile)}


@SERVICE.operation(
    "UpdateLoginProfile",
    action="iam:UpdateLoginProfile",
    resource=resource(*USER),
    condition_keys=entity_keys(*USER),
    resource_policy=resource_tags(*USER),
    writes=True,
)
def update_login_profile(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("UserName"), PASSWORD_RULE)
    user, profile = _profile(ctx, params)
    if profile is None:
        raise _missing(user)
    changes: dict[str, object] = {}
    if params.get("Password") is not None:
        changes.update(password_change(ctx.tx, ctx.account_id, profile, str(params["Password"]), ctx.now))
    if params.get("PasswordResetRequired") is not None:
        changes["password_reset_required"] = bool_param(params, "PasswordResetRequired")
    if changes:
        iam_store.change(
            ctx.tx, schema.login_profiles, {"account_id": ctx.account_id, "user_key": user["name_key"]}, **changes
        )
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation(
    "DeleteLoginProfile",
    action="iam:DeleteLoginProfile",
    resource=resource(*USER),
    condition_keys=entity_keys(*USER),
    resource_policy=resource_tags(*USER),
    writes=True,
)
def delete_login_profile(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("UserName", required=False))
    user, profile = _profile(ctx, params)
    if profile is None:
        raise _missing(user)
    iam_store.remove(ctx.tx, schema.login_profiles, account_id=ctx.account_id, user_key=user["name_key"])
    ctx.tx.touch(ctx.account_id)
    return {}
