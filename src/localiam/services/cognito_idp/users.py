"""A pool's users, as administrators manage them: AdminCreateUser, AdminGetUser, AdminDeleteUser,
AdminSetUserPassword, AdminConfirmSignUp, AdminDisableUser, AdminEnableUser,
AdminUpdateUserAttributes, AdminResetUserPassword, ListUsers (Cognito API Reference).

- Usernames match case-insensitively (the default ``UsernameConfiguration`` of new pools). In a
  pool whose ``UsernameAttributes`` hold ``email`` (or ``phone_number``), people sign in with
  that attribute and the username is the user's ``sub``.
- AdminCreateUser makes a ``FORCE_CHANGE_PASSWORD`` user with the given or a generated temporary
  password; no e-mail leaves this machine: the invitation (with the temporary password) is kept
  for ``localiam cognito codes`` and the server log says it is there, never what it holds.
  ``MessageAction: SUPPRESS`` keeps nothing.
- ListUsers' ``Filter`` is AWS's: ``ATTRIBUTE = "value"`` (exact) or ``ATTRIBUTE ^= "prefix"``,
  on ``username``, ``email``, ``phone_number``, ``name``, ``given_name``, ``family_name``,
  ``preferred_username``, ``cognito:user_status``, ``status`` (Enabled/Disabled) and ``sub``.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from localiam.errors import AwsError
from localiam.services.base import Handler, OperationContext, Params, Result
from localiam.services.cognito_idp import passwords, srp, triggers
from localiam.services.cognito_idp._service import (
    SERVICE,
    config_of,
    error,
    find_pool,
    invalid_parameter,
    page,
    pool_id_param,
    pool_resource,
    pool_tags,
    sign_in_columns,
    timestamp,
    user_named,
)
from localiam.services.cognito_idp.codes import RESET_LIFETIME, new_code
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row

log = logging.getLogger("localiam.cognito")
SHOW_CODES = False
"""``localiam serve --show-cognito-codes``: the log line of a kept code carries the code itself
(off by default: a forgotten-password code sets a new password, so it is a secret)."""

FILTERABLE = frozenset(
    {"username", "email", "phone_number", "name", "given_name", "family_name", "preferred_username",
     "cognito:user_status", "status", "sub"}
)  # fmt: skip
_FILTER = re.compile(r'^\s*([\w:]+)\s*(\^?=)\s*"((?:[^"\\]|\\.)*)"\s*$')


def user_not_found() -> AwsError:
    return error("UserNotFoundException", "User does not exist.")


def attributes_of(row: Row) -> dict[str, str]:
    return dict(json.loads(str(row["attributes"])))


def attribute_list(attributes: dict[str, str]) -> list[dict[str, str]]:
    return [{"Name": k, "Value": v} for k, v in attributes.items()]


def sign_in_attributes(pool: Row) -> list[str]:
    return [str(a) for a in config_of(pool).get("UsernameAttributes") or []]


def find_user(ctx: OperationContext, pool: Row, name: Any) -> Row | None:
    """The user a sign-in name names: the username (any case), or in a pool that signs in with
    ``email``/``phone_number``, the user with that attribute (the first created, when several
    share it). Found by index (:func:`sign_in_columns`), never by reading the pool's users."""
    if not isinstance(name, str) or not name:
        return None
    return user_named(ctx.tx, str(pool["id"]), name, ["username", *sign_in_attributes(pool)])


def require_user(ctx: OperationContext, pool: Row, name: Any) -> Row:
    row = find_user(ctx, pool, name)
    if row is None:
        raise user_not_found()
    return row


def describe_user(row: Row, *, for_admin: bool) -> dict[str, Any]:
    attributes = attribute_list(attributes_of(row))
    out: dict[str, Any] = {
        "Username": row["username"],
        "UserCreateDate": timestamp(float(row["created_at"])),
        "UserLastModifiedDate": timestamp(float(row["updated_at"])),
        "Enabled": bool(row["enabled"]),
        "UserStatus": row["status"],
    }
    out["UserAttributes" if for_admin else "Attributes"] = attributes
    return out


def checked_attributes(pool: Row, given: Any) -> dict[str, str]:
    """``UserAttributes`` as a dict, each a standard or declared ``custom:`` attribute."""
    known = {a["Name"] for a in config_of(pool).get("SchemaAttributes") or []}
    out: dict[str, str] = {}
    for item in given or []:
        name, value = item.get("Name"), item.get("Value")
        if not isinstance(name, str) or name not in known or name == "sub":
            raise invalid_parameter(f"Attribute does not exist in the schema: {name}")
        out[name] = str(value if value is not None else "")
    return out


def new_user(
    ctx: OperationContext, pool: Row, name: str, attributes: dict[str, str], *, password: str | None, status: str
) -> Row:
    """Add a user (the caller has checked the name is free and the password meets the policy)."""
    pool_id = str(pool["id"])
    sub = str(uuid.uuid4())
    aliases = sign_in_attributes(pool)
    username = name
    if aliases:
        # The sign-in name is the attribute (an e-mail or phone number); the username is the sub.
        attribute = "email" if "@" in name and "email" in aliases else aliases[0]
        attributes = {**attributes, attribute: name}
        username = sub
    attributes = {"sub": sub, **attributes}
    values: dict[str, Any] = {
        "pool_id": pool_id,
        "username": username,
        "sub": sub,
        "status": status,
        "enabled": True,
        "attributes": json.dumps(attributes),
        "failed_attempts": 0,
        "created_at": ctx.now,
        "updated_at": ctx.now,
    }
    values.update(password_columns(pool, username, password))
    values.update(sign_in_columns(username, attributes))
    iam_store.add(ctx.tx, schema.cognito_users, **values)
    row = iam_store.one(ctx.tx, schema.cognito_users, pool_id=pool_id, username=username)
    assert row is not None
    return row


def password_columns(pool: Row, username: str, password: str | None) -> dict[str, Any]:
    """The slow hash (password sign-in) and the SRP verifier (SRP sign-in) of a password."""
    if password is None:
        return {"password_hash": None, "srp_salt": None, "srp_verifier": None}
    verifier = srp.make_verifier(str(pool["id"]), username, password)
    return {
        "password_hash": passwords.hash_password(password),
        "srp_salt": verifier.salt,
        "srp_verifier": verifier.verifier,
    }


def update_user(ctx: OperationContext, row: Row, **values: Any) -> None:
    if "attributes" in values:
        values.update(sign_in_columns(str(row["username"]), json.loads(values["attributes"])))
    iam_store.change(
        ctx.tx,
        schema.cognito_users,
        {"pool_id": row["pool_id"], "username": row["username"]},
        updated_at=ctx.now,
        **values,
    )


def password_policy(pool: Row) -> dict[str, Any]:
    return dict(config_of(pool)["Policies"]["PasswordPolicy"])


_CUSTOM_MESSAGE_SOURCES = {
    "sign-up": "CustomMessage_SignUp",
    "resend": "CustomMessage_ResendCode",
    "forgot-password": "CustomMessage_ForgotPassword",
    "invitation": "CustomMessage_AdminCreateUser",
}
CODE_PARAMETER = "{####}"
USERNAME_PARAMETER = "{username}"


def keep_message(
    ctx: OperationContext,
    pool: Row,
    username: str,
    purpose: str,
    secret: str,
    *,
    lifetime: float,
    source: str | None = None,
    client_id: str | None = None,
) -> None:
    """Keep a code or temporary password that Cognito would have sent, for ``localiam cognito
    codes``; the log says where to find it, not what it is. With a ``CustomMessage`` trigger,
    the function writes the message once the transaction has committed (``source`` picks its
    ``triggerSource``: ``resend`` for ResendConfirmationCode) and the kept message is its
    e-mail text with the code (and username) filled in."""
    key = {"pool_id": pool["id"], "username": username, "purpose": purpose}
    iam_store.remove(ctx.tx, schema.cognito_codes, **key)
    iam_store.add(
        ctx.tx, schema.cognito_codes, **key, code=secret, attempts=0, created_at=ctx.now, expires_at=ctx.now + lifetime
    )
    if SHOW_CODES:
        log.info("cognito: %s code for user %s of pool %s: %s", purpose, username, pool["id"], secret)
    else:
        log.info(
            "cognito: a %s message for user %s of pool %s is ready: localiam cognito codes --pool-id %s --username %s",
            purpose,
            username,
            pool["id"],
            pool["id"],
            username,
        )
    if triggers.function_of(pool, "CustomMessage") is None:
        return
    row = iam_store.one(ctx.tx, schema.cognito_users, pool_id=pool["id"], username=username)
    request = {
        "userAttributes": attributes_of(row) if row else {},
        "codeParameter": CODE_PARAMETER,
        "usernameParameter": USERNAME_PARAMETER if purpose == "invitation" else None,
        "linkParameter": "{##Click Here##}",
        "clientMetadata": {},
    }
    payload = triggers.event(
        pool,
        _CUSTOM_MESSAGE_SOURCES[source or purpose],
        username,
        client_id,
        request,
        {"smsMessage": None, "emailMessage": None, "emailSubject": None},
    )

    def write_message() -> None:
        answer = triggers.run(ctx, pool, "CustomMessage", payload)
        text = answer.get("emailMessage") or answer.get("smsMessage")
        if not text:
            return
        message = str(text).replace(CODE_PARAMETER, secret).replace(USERNAME_PARAMETER, username)
        with ctx.store.write() as tx:
            iam_store.change(tx, schema.cognito_codes, key, message=message)

    then_after(ctx, write_message)


def then_after(ctx: OperationContext, step: Callable[[], None]) -> None:
    """Run ``step`` after the transaction, after whatever else the operation runs then; the
    operation's answer stays what it was."""
    earlier = ctx.then

    def both() -> Result | None:
        result = earlier() if earlier is not None else None
        step()
        return result

    ctx.then = both


# ----------------------------------------------------------------------------------- operations
def _admin(name: str, *, writes: bool = True) -> Callable[[Handler], Handler]:
    return SERVICE.operation(
        name, action=f"cognito-idp:{name}", resource=pool_resource, resource_policy=pool_tags, writes=writes
    )


@SERVICE.operation(
    "AdminCreateUser",
    action="cognito-idp:AdminCreateUser",
    resource=pool_resource,
    resource_policy=pool_tags,
    writes=True,
    blocking=True,
)
def admin_create_user(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, pool_id_param(params))
    name = params.get("Username")
    if not isinstance(name, str) or not name:
        raise invalid_parameter("Username cannot be empty.")
    existing = find_user(ctx, pool, name)
    resend = params.get("MessageAction") == "RESEND"
    if resend:
        if existing is None:
            raise user_not_found()
        row = existing
    else:
        if existing is not None:
            raise error("UsernameExistsException", "User account already exists")
        attributes = checked_attributes(pool, params.get("UserAttributes"))
        password = params.get("TemporaryPassword")
        if password is not None:
            passwords.check_policy(password, password_policy(pool))
        else:
            password = passwords.temporary_password()
        row = new_user(ctx, pool, name, attributes, password=password, status="FORCE_CHANGE_PASSWORD")
        if params.get("MessageAction") != "SUPPRESS":
            days = int(password_policy(pool).get("TemporaryPasswordValidityDays", 7))
            keep_message(ctx, pool, str(row["username"]), "invitation", password, lifetime=days * 86400)
    ctx.tx.touch(ctx.account_id)
    return {"User": describe_user(row, for_admin=False)}


@_admin("AdminGetUser", writes=False)
def admin_get_user(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, pool_id_param(params))
    return describe_user(require_user(ctx, pool, params.get("Username")), for_admin=True)


@_admin("AdminDeleteUser")
def admin_delete_user(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, pool_id_param(params))
    row = require_user(ctx, pool, params.get("Username"))
    key = {"pool_id": pool["id"], "username": row["username"]}
    for table in (schema.cognito_users, schema.cognito_group_members, schema.cognito_codes):
        iam_store.remove(ctx.tx, table, **key)
    iam_store.change(ctx.tx, schema.cognito_refresh_tokens, key, revoked=True)
    ctx.tx.touch(ctx.account_id)
    return {}


@_admin("AdminSetUserPassword")
def admin_set_user_password(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, pool_id_param(params))
    row = require_user(ctx, pool, params.get("Username"))
    password = passwords.check_policy(params.get("Password"), password_policy(pool))
    status = "CONFIRMED" if params.get("Permanent") else "FORCE_CHANGE_PASSWORD"
    update_user(ctx, row, status=status, **password_columns(pool, str(row["username"]), password))
    ctx.tx.touch(ctx.account_id)
    return {}


@_admin("AdminConfirmSignUp")
def admin_confirm_sign_up(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, pool_id_param(params))
    row = require_user(ctx, pool, params.get("Username"))
    if row["status"] != "UNCONFIRMED":
        raise error("NotAuthorizedException", f"User cannot be confirmed. Current status is {row['status']}")
    update_user(ctx, row, status="CONFIRMED")
    iam_store.remove(ctx.tx, schema.cognito_codes, pool_id=pool["id"], username=row["username"], purpose="sign-up")
    ctx.tx.touch(ctx.account_id)
    return {}


@_admin("AdminDisableUser")
def admin_disable_user(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, pool_id_param(params))
    update_user(ctx, require_user(ctx, pool, params.get("Username")), enabled=False)
    ctx.tx.touch(ctx.account_id)
    return {}


@_admin("AdminEnableUser")
def admin_enable_user(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, pool_id_param(params))
    update_user(ctx, require_user(ctx, pool, params.get("Username")), enabled=True)
    ctx.tx.touch(ctx.account_id)
    return {}


@_admin("AdminUpdateUserAttributes")
def admin_update_user_attributes(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, pool_id_param(params))
    row = require_user(ctx, pool, params.get("Username"))
    changes = checked_attributes(pool, params.get("UserAttributes"))
    update_user(ctx, row, attributes=json.dumps({**attributes_of(row), **changes}))
    ctx.tx.touch(ctx.account_id)
    return {}


@_admin("AdminResetUserPassword")
def admin_reset_user_password(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, pool_id_param(params))
    row = require_user(ctx, pool, params.get("Username"))
    update_user(ctx, row, status="RESET_REQUIRED")
    keep_message(ctx, pool, str(row["username"]), "forgot-password", new_code(), lifetime=RESET_LIFETIME)
    ctx.tx.touch(ctx.account_id)
    return {}


def _filter(expression: Any) -> tuple[str, bool, str] | None:
    if not expression:
        return None
    match = _FILTER.match(str(expression))
    if match is None or match.group(1) not in FILTERABLE:
        raise invalid_parameter(f"Invalid search filter: {expression}")
    return match.group(1), match.group(2) == "^=", match.group(3).replace('\\"', '"')


def _matches(row: Row, wanted: tuple[str, bool, str]) -> bool:
    name, prefix, value = wanted
    attributes = attributes_of(row)
    actual = {
        "username": str(row["username"]),
        "cognito:user_status": str(row["status"]),
        "status": "Enabled" if row["enabled"] else "Disabled",
    }.get(name, attributes.get(name))
    if actual is None:
        return False
    return actual.startswith(value) if prefix else actual == value


@SERVICE.operation("ListUsers", action="cognito-idp:ListUsers", resource=pool_resource, resource_policy=pool_tags)
def list_users(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, pool_id_param(params))
    wanted = _filter(params.get("Filter"))
    rows = iam_store.rows(ctx.tx, schema.cognito_users, order_by=("created_at", "username"), pool_id=pool["id"])
    if wanted is not None:
        rows = [r for r in rows if _matches(r, wanted)]
    chunk, following = page(rows, params, limit_member="Limit")
    only = params.get("AttributesToGet")
    users = []
    for row in chunk:
        user = describe_user(row, for_admin=False)
        if only is not None:
            user["Attributes"] = [a for a in user["Attributes"] if a["Name"] in only]
        users.append(user)
    out: Result = {"Users": users}
    if following:
        out["PaginationToken"] = following
    return out
