"""The account password policy (``UpdateAccountPasswordPolicy``, ``GetAccountPasswordPolicy``,
``DeleteAccountPasswordPolicy``) and ``ChangePassword`` (IAM API Reference; IAM User Guide
``id_credentials_passwords_account-policy``).

Omitted settings take the documented defaults (``API_UpdateAccountPasswordPolicy``: minimum
length 6, no character requirements, users may not change their password, passwords never
expire). Without a policy, ``GetAccountPasswordPolicy`` answers ``NoSuchEntity`` "The Password
Policy with domain name ACCOUNT cannot be found." (AWS's observed wording).

The policy is enforced when a password is set: ``CreateLoginProfile``, ``UpdateLoginProfile``
and ``ChangePassword`` answer ``PasswordPolicyViolation`` "Password does not conform to the
account password policy." (observed). ``AllowUsersToChangePassword`` gives every IAM user
``iam:ChangePassword`` on itself ("This gives them permission to iam:ChangePassword for only
their user"), and ``PasswordReusePrevention`` refuses the last N passwords the same way. Not
enforced: expiry (there is no console sign-in).
"""

from __future__ import annotations

import json
from typing import Any

from localiam.engine import PrincipalKind
from localiam.errors import client_error
from localiam.services.base import Operation, OperationContext, Params, Result
from localiam.services.iam.account_settings import policy_of, save_setting
from localiam.services.iam.common import SERVICE, Rule, bool_param, no_such_entity, validate
from localiam.services.iam.entities import get
from localiam.services.iam.keys import check_password, password_change
from localiam.state import iam_store, schema

_FLAGS = (
    "RequireSymbols",
    "RequireNumbers",
    "RequireUppercaseCharacters",
    "RequireLowercaseCharacters",
    "AllowUsersToChangePassword",
)


def _account_resource(ctx: OperationContext, _params: Params) -> str:
    """Account-level IAM actions take no resource ARN: ``Resource`` must be ``*``."""
    return "*"


@SERVICE.operation(
    "UpdateAccountPasswordPolicy", action="iam:UpdateAccountPasswordPolicy", resource=_account_resource, writes=True
)
def update_account_password_policy(ctx: OperationContext, params: Params) -> Result:
    validate(
        params,
        Rule("MinimumPasswordLength", min_value=6, max_value=128),
        Rule("MaxPasswordAge", min_value=1, max_value=1095),
        Rule("PasswordReusePrevention", min_value=1, max_value=24),
    )
    policy: dict[str, Any] = {"MinimumPasswordLength": int(params.get("MinimumPasswordLength") or 6)}
    for flag in _FLAGS:
        policy[flag] = bool_param(params, flag)
    if params.get("MaxPasswordAge"):
        policy["MaxPasswordAge"] = int(params["MaxPasswordAge"])
    if params.get("PasswordReusePrevention"):
        policy["PasswordReusePrevention"] = int(params["PasswordReusePrevention"])
    if params.get("HardExpiry") is not None:
        policy["HardExpiry"] = bool_param(params, "HardExpiry")
    save_setting(ctx.tx, ctx.account_id, password_policy=json.dumps(policy))
    ctx.tx.touch(ctx.account_id)
    return {}


def _missing(ctx: OperationContext) -> Exception:
    return no_such_entity(f"The Password Policy with domain name {ctx.account_id} cannot be found.")


def _read_policy_authorizer(ctx: OperationContext, op: Operation, params: Params) -> None:
    """``AllowUsersToChangePassword`` also lets every IAM user read the policy ("This gives
    them permission to iam:ChangePassword for only their user and to the
    iam:GetAccountPasswordPolicy action")."""
    caller = ctx.caller
    if caller is not None and caller.principal.kind is PrincipalKind.USER and caller.user_key is not None:
        policy = policy_of(ctx.tx, ctx.account_id)
        if policy is not None and policy.get("AllowUsersToChangePassword"):
            return
    ctx.authorize(op.action or "iam:GetAccountPasswordPolicy", "*")


@SERVICE.operation(
    "GetAccountPasswordPolicy",
    action="iam:GetAccountPasswordPolicy",
    resource=_account_resource,
    authorizer=_read_policy_authorizer,
)
def get_account_password_policy(ctx: OperationContext, params: Params) -> Result:
    """``API_PasswordPolicy``: ``ExpirePasswords`` is true when ``MaxPasswordAge`` is set."""
    policy = policy_of(ctx.tx, ctx.account_id)
    if policy is None:
        raise _missing(ctx)
    shaped = {k: policy[k] for k in ("MinimumPasswordLength", *_FLAGS[:4], "AllowUsersToChangePassword")}
    shaped["ExpirePasswords"] = "MaxPasswordAge" in policy
    for optional in ("MaxPasswordAge", "PasswordReusePrevention", "HardExpiry"):
        if optional in policy:
            shaped[optional] = policy[optional]
    return {"PasswordPolicy": shaped}


@SERVICE.operation(
    "DeleteAccountPasswordPolicy", action="iam:DeleteAccountPasswordPolicy", resource=_account_resource, writes=True
)
def delete_account_password_policy(ctx: OperationContext, params: Params) -> Result:
    if policy_of(ctx.tx, ctx.account_id) is None:
        raise _missing(ctx)
    save_setting(ctx.tx, ctx.account_id, password_policy=None)
    ctx.tx.touch(ctx.account_id)
    return {}


def _own_user(ctx: OperationContext, _params: Params) -> str:
    """The calling user: the only user ``ChangePassword`` acts on."""
    caller = ctx.caller
    return caller.principal.arn if caller is not None else "*"


def _change_password_authorizer(ctx: OperationContext, op: Operation, params: Params) -> None:
    """``iam:ChangePassword`` on the caller's own user, unless the password policy lets every
    user change their own password."""
    caller = ctx.caller
    if caller is None or caller.principal.kind is not PrincipalKind.USER or caller.user_key is None:
        raise client_error("InvalidUserType", "Only IAM Users can change their own password.", 400)
    policy = policy_of(ctx.tx, ctx.account_id)
    if policy is not None and policy.get("AllowUsersToChangePassword"):
        return
    ctx.authorize(op.action or "iam:ChangePassword", _own_user(ctx, params))


@SERVICE.operation(
    "ChangePassword",
    action="iam:ChangePassword",
    resource=_own_user,
    authorizer=_change_password_authorizer,
    writes=True,
)
def change_password(ctx: OperationContext, params: Params) -> Result:
    validate(
        params,
        Rule("OldPassword", True, None, 1, 128, sensitive=True),
        Rule("NewPassword", True, None, 1, 128, sensitive=True),
    )
    assert ctx.caller is not None and ctx.caller.user_key is not None
    user = get(ctx, "user", ctx.caller.user_key)
    where = {"account_id": ctx.account_id, "user_key": user["name_key"]}
    profile = iam_store.one(ctx.tx, schema.login_profiles, **where)
    if profile is None:
        raise no_such_entity(f"Login Profile for User {user['name']} cannot be found.")
    if not check_password(str(params["OldPassword"]), profile["password_hash"]):
        raise client_error("InvalidInput", "The old password was incorrect.", 400)
    changes = password_change(ctx.tx, ctx.account_id, profile, str(params["NewPassword"]), ctx.now)
    iam_store.change(ctx.tx, schema.login_profiles, where, password_reset_required=False, **changes)
    ctx.tx.touch(ctx.account_id)
    return {}
