"""``GetSessionToken`` and ``GetFederationToken``: temporary credentials for an IAM user (or the
root user) acting as themselves, or as a federated user.

``GetSessionToken`` (``API_GetSessionToken``, ``id_credentials_temp_control-access_getsessiontoken``):
"No permissions are required for users to perform this operation"; it must be called with
long-term credentials ("Cannot call GetSessionToken with session credentials"); 900 to 129,600
seconds, 43,200 by default, and up to 3,600 (the default too) for the root user. With
``SerialNumber`` and ``TokenCode`` proving an MFA device enabled for the calling user
(:mod:`.mfa`) the session is MFA-authenticated: ``aws:MultiFactorAuthPresent`` is ``true`` and
``aws:MultiFactorAuthAge`` counts from the verified code; without, the key is ``false``. The
session acts with the user's own permissions.

``GetFederationToken`` (``API_GetFederationToken``,
``id_credentials_temp_control-access_getfederationtoken``): ``sts:GetFederationToken`` on
``arn:aws:sts::ACCOUNT:federated-user/NAME``; long-term credentials of an IAM user ("Cannot call
GetFederationToken with session credentials"); 900 to 129,600 seconds, 43,200 by default. The
session's permissions are the intersection of the user's and the session policies passed;
"if you do not pass any session policies, then the resulting federated user session has no
permissions" except what resource-based policies naming it grant. Its ARN is
``arn:aws:sts::ACCOUNT:federated-user/NAME`` and its id ``ACCOUNT:NAME``. Passing session tags
also needs ``sts:TagSession`` in the user's policies (``id_session-tags``, "Passing session tags
using GetFederationToken"). AWS also accepts the root user's credentials here ("we do not
recommend it"): that federated user may do what its session policies allow.

This is the seed's third way of federation, the custom identity broker
(``id_roles_common-scenarios_federated-users``, "Custom identity broker"): a broker
application signs people in itself, and calls ``GetFederationToken`` with its IAM user's keys
and a session policy scoped to the person; what they may do is the intersection of the
broker's permissions and that policy.
"""

from __future__ import annotations

from localiam.errors import AccessDenied
from localiam.services.base import OperationContext, Params, Result
from localiam.services.sts._service import (
    SERVICE,
    check_name,
    credential_kind,
    credentials,
    duration,
    signed_caller,
)
from localiam.services.sts.mfa import use_code, verified_code
from localiam.services.sts.session_inputs import session_inputs
from localiam.state.sts_store import NO_PERMISSIONS_SESSION_POLICY, issue_session

MAX_DURATION = 129600
DEFAULT_DURATION = 43200
ROOT_MAX_DURATION = 3600


@SERVICE.operation("GetSessionToken", action=None, writes=True)
def get_session_token(ctx: OperationContext, params: Params) -> Result:
    caller = signed_caller(ctx)
    kind = credential_kind(caller)
    if kind not in ("root", "user"):
        raise AccessDenied("Cannot call GetSessionToken with session credentials")
    seconds = duration(params, default=DEFAULT_DURATION, minimum=900, maximum=MAX_DURATION)
    if kind == "root":
        seconds = min(seconds, ROOT_MAX_DURATION) if "DurationSeconds" in params else ROOT_MAX_DURATION
    code = verified_code(ctx, params)
    if code is not None:
        use_code(ctx, code)
    issued = issue_session(
        ctx.tx,
        account_id=ctx.account_id,
        kind="session-token",
        arn=caller.principal.arn,
        duration=seconds,
        user_key=caller.user_key if kind == "user" else None,
        mfa=code is not None,
        mfa_authenticated_at=ctx.now if code is not None else None,
    )
    return {"Credentials": credentials(issued)}


def _federated_user_arn(ctx: OperationContext, params: Params) -> str:
    return f"arn:aws:sts::{ctx.account_id}:federated-user/{params.get('Name')}"


def _tag_keys(ctx: OperationContext, params: Params) -> dict[str, str | list[str]]:
    keys: dict[str, str | list[str]] = {}
    tags = params.get("Tags") or []
    for tag in tags:
        keys[f"aws:RequestTag/{tag.get('Key')}"] = str(tag.get("Value"))
    if tags:
        keys["aws:TagKeys"] = [str(t.get("Key")) for t in tags]
    return keys


@SERVICE.operation(
    "GetFederationToken",
    action="sts:GetFederationToken",
    resource=_federated_user_arn,
    condition_keys=_tag_keys,
    writes=True,
)
def get_federation_token(ctx: OperationContext, params: Params) -> Result:
    caller = signed_caller(ctx)
    kind = credential_kind(caller)
    if kind not in ("root", "user"):
        raise AccessDenied("Cannot call GetFederationToken with session credentials")
    name = check_name(params.get("Name"), "name", min_length=2, max_length=32)
    seconds = duration(params, default=DEFAULT_DURATION, minimum=900, maximum=MAX_DURATION)
    inputs = session_inputs(ctx, params, account=ctx.account_id, inherit=False, allow_transitive=False)
    if inputs.tags:
        ctx.authorize("sts:TagSession", "*", context=inputs.tag_context())
    account = ctx.account_id
    arn = f"arn:aws:sts::{account}:federated-user/{name}"
    issued = issue_session(
        ctx.tx,
        account_id=account,
        kind="federated-user",
        arn=arn,
        duration=seconds,
        user_key=caller.user_key if kind == "user" else None,
        session_name=name,
        policy=inputs.policy if inputs.has_session_policy else NO_PERMISSIONS_SESSION_POLICY,
        policy_arns=inputs.policy_arns,
        tags=inputs.tags,
    )
    result: Result = {
        "Credentials": credentials(issued),
        "FederatedUser": {"FederatedUserId": f"{account}:{name}", "Arn": arn},
    }
    if inputs.packed_size is not None:
        result["PackedPolicySize"] = inputs.packed_size
    return result
