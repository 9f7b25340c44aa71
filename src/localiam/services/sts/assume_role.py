"""``AssumeRole``: temporary credentials for a role session (``API_AssumeRole``).

Authorization (``id_credentials_temp_control-access_assumerole``,
``reference_policies_evaluation-logic-cross-account``): ``sts:AssumeRole`` on the role's ARN,
where the role's trust policy is a resource-based policy that must allow the caller itself,
and the caller's identity side (identity policies, boundary, session policies, SCPs) must
allow too unless the trust policy names the caller in the same account. The engine decides
both; the trust policy sees ``sts:ExternalId``, ``sts:RoleSessionName``,
``sts:SourceIdentity``, ``aws:RequestTag/*``, ``aws:TagKeys``, ``sts:TransitiveTagKeys`` and the
role's tags (``iam:ResourceTag/*``). Passing session tags also needs ``sts:TagSession``
(``id_session-tags``, "Permissions required to add session tags"), and a source identity
``sts:SetSourceIdentity`` (``id_credentials_temp_control-access_monitor``), both on the role.

``SerialNumber`` and ``TokenCode`` prove an MFA device of the IAM user behind the caller
(:mod:`.mfa`); the trust policy then sees ``aws:MultiFactorAuthPresent`` ``true``, so a trust
policy with ``"Bool": {"aws:MultiFactorAuthPresent": "true"}`` allows the call only with a valid
code, or from a session that was itself made with one (``id_credentials_mfa_configure-api-require``,
"Scenario: MFA protection for cross-account delegation"). The role session is MFA-authenticated
then, and its ``aws:MultiFactorAuthAge`` counts from the verified code.

The root user cannot assume roles: AWS answers ``AccessDenied`` "Roles may not be assumed by
root accounts." Federated users cannot call STS besides ``GetCallerIdentity``
(``id_credentials_temp_control-access_getfederationtoken``).

Duration: 900 seconds up to the role's ``MaxSessionDuration`` (default 3,600); a role session
assuming a role (role chaining) is limited to one hour (``id_roles``, "Role chaining"). AWS's
wording: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role." and
"The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role
chaining."

The session's ARN is ``arn:aws:sts::ACCOUNT:assumed-role/ROLE-NAME/SESSION-NAME`` (no role
path), its ``AssumedRoleId`` ``ROLE-ID:SESSION-NAME``.
"""

from __future__ import annotations

from collections.abc import Mapping

from localiam.errors import AccessDenied, ValidationError
from localiam.policy.model import PolicyType
from localiam.services.base import OperationContext, Params, ResourcePolicy, Result
from localiam.services.sts._service import (
    SERVICE,
    check_name,
    credential_kind,
    credentials,
    duration,
    signed_caller,
)
from localiam.services.sts.mfa import VerifiedCode, mfa_context_keys, use_code, verified_code
from localiam.services.sts.session_inputs import SessionInputs, session_inputs
from localiam.state.sts_store import RoleRecord, find_role, issue_session, mark_role_used, parse_role_arn

CHAINED_MAX_DURATION = 3600
MAX_DURATION = 43200


def _role_arn(ctx: OperationContext, params: Params) -> str:
    arn = params.get("RoleArn")
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        raise ValidationError(f"{arn} is invalid")
    return arn


def _trust_policy(ctx: OperationContext, params: Params) -> ResourcePolicy:
    """The role's trust policy; a role that does not exist has none, so nothing allows."""
    arn = _role_arn(ctx, params)
    role = find_role(ctx.tx, arn)
    if role is None:
        parsed = parse_role_arn(arn)
        return ResourcePolicy(None, parsed[0] if parsed else None, must_allow=True)
    compiled = ctx.authz.policies.get(f"{role.arn} trust policy", role.trust_policy, PolicyType.TRUST)
    return ResourcePolicy(compiled, role.account_id, must_allow=True, tags=dict(role.tags))


def _request_keys(params: Params) -> dict[str, str | list[str]]:
    keys: dict[str, str | list[str]] = {}
    for name, key in (
        ("ExternalId", "sts:ExternalId"),
        ("RoleSessionName", "sts:RoleSessionName"),
        ("SourceIdentity", "sts:SourceIdentity"),
    ):
        value = params.get(name)
        if isinstance(value, str):
            keys[key] = value
    tags = [t for t in params.get("Tags") or [] if isinstance(t, Mapping)]
    if tags:
        for tag in tags:
            keys[f"aws:RequestTag/{tag.get('Key')}"] = str(tag.get("Value"))
        keys["aws:TagKeys"] = [str(t.get("Key")) for t in tags]
    if params.get("TransitiveTagKeys"):
        keys["sts:TransitiveTagKeys"] = [str(k) for k in params["TransitiveTagKeys"]]
    return keys


def _condition_keys(ctx: OperationContext, params: Params) -> dict[str, str | list[str]]:
    """The request's keys; a passed MFA code is checked here, before the trust policy sees
    ``aws:MultiFactorAuthPresent`` (:mod:`.mfa`)."""
    keys = _request_keys(params)
    keys.update(mfa_context_keys(verified_code(ctx, params)))
    role = find_role(ctx.tx, _role_arn(ctx, params))
    if role is not None:
        for key, value in role.tags.items():
            keys[f"iam:ResourceTag/{key}"] = value
    return keys


def _not_authorized(ctx: OperationContext, role_arn: str) -> AccessDenied:
    arn = signed_caller(ctx).principal.arn
    return AccessDenied(f"User: {arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}")


def _check_caller(ctx: OperationContext, role_arn: str) -> str:
    kind = credential_kind(signed_caller(ctx))
    if kind in ("root", "root-session"):
        raise AccessDenied("Roles may not be assumed by root accounts.")
    if kind == "federated-user":
        raise _not_authorized(ctx, role_arn)
    return kind


def _source_identity(ctx: OperationContext, params: Params) -> str | None:
    """A source identity is set once and persists through role chaining
    (``id_credentials_temp_control-access_monitor``)."""
    inherited = None
    caller = signed_caller(ctx)
    if caller.key.kind == "session":
        inherited = caller.key.session.get("source_identity")
    passed = params.get("SourceIdentity")
    if passed is None:
        return inherited
    check_name(passed, "sourceIdentity", min_length=2, max_length=256)
    if passed.lower().startswith("aws:"):
        raise ValidationError("SourceIdentity must not begin with 'aws:'.")
    if inherited is not None and passed != inherited:
        raise ValidationError("The source identity of a role session cannot be changed.")
    return str(passed)


def _session_duration(params: Params, role: RoleRecord, chained: bool) -> int:
    seconds = duration(params, default=3600, minimum=900, maximum=MAX_DURATION)
    if chained and seconds > CHAINED_MAX_DURATION:
        raise ValidationError(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
        )
    if seconds > role.max_session_duration:
        raise ValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    return seconds


def _authorize_extras(
    ctx: OperationContext,
    params: Params,
    role_arn: str,
    inputs: SessionInputs,
    source_identity: str | None,
    mfa: VerifiedCode | None,
) -> None:
    trust = _trust_policy(ctx, params)
    proven = mfa_context_keys(mfa)
    if inputs.tags:
        ctx.authorize("sts:TagSession", role_arn, context={**proven, **inputs.tag_context()}, resource_policy=trust)
    if source_identity is not None:
        context = {**proven, "sts:SourceIdentity": source_identity}
        ctx.authorize("sts:SetSourceIdentity", role_arn, context=context, resource_policy=trust)


def _session_mfa(ctx: OperationContext, code: VerifiedCode | None) -> tuple[bool, float | None]:
    """Whether the role session is MFA-authenticated, and since when: by the code passed now
    (its step is used up here), or, passing none, as the calling session was (a session made
    with MFA that assumes a role passes it on, with the time its code was verified)."""
    if code is not None:
        use_code(ctx, code)
        return True, ctx.now
    principal = signed_caller(ctx).principal
    if principal.multi_factor_auth:
        return True, principal.multi_factor_auth_time
    return False, None


@SERVICE.operation(
    "AssumeRole",
    action="sts:AssumeRole",
    resource=_role_arn,
    condition_keys=_condition_keys,
    resource_policy=_trust_policy,
    writes=True,
)
def assume_role(ctx: OperationContext, params: Params) -> Result:
    role_arn = _role_arn(ctx, params)
    kind = _check_caller(ctx, role_arn)
    session_name = check_name(params.get("RoleSessionName"), "roleSessionName", min_length=2, max_length=64)
    role = find_role(ctx.tx, role_arn)
    if role is None:
        raise _not_authorized(ctx, role_arn)
    chained = kind == "assumed-role"
    inputs = session_inputs(ctx, params, account=role.account_id, inherit=chained)
    source_identity = _source_identity(ctx, params)
    seconds = _session_duration(params, role, chained)
    code = verified_code(ctx, params)
    _authorize_extras(ctx, params, role_arn, inputs, source_identity, code)
    mfa, mfa_at = _session_mfa(ctx, code)
    session_arn = f"arn:aws:sts::{role.account_id}:assumed-role/{role.name}/{session_name}"
    issued = issue_session(
        ctx.tx,
        account_id=role.account_id,
        kind="assumed-role",
        arn=session_arn,
        duration=seconds,
        role=role,
        session_name=session_name,
        policy=inputs.policy,
        policy_arns=inputs.policy_arns,
        tags=inputs.tags,
        transitive_tag_keys=inputs.transitive_tag_keys,
        source_identity=source_identity,
        mfa=mfa,
        mfa_authenticated_at=mfa_at,
        chained=chained,
    )
    mark_role_used(ctx.tx, role)
    result: Result = {
        "Credentials": credentials(issued),
        "AssumedRoleUser": {"AssumedRoleId": f"{role.role_id}:{session_name}", "Arn": session_arn},
    }
    if inputs.packed_size is not None:
        result["PackedPolicySize"] = inputs.packed_size
    if source_identity is not None:
        result["SourceIdentity"] = source_identity
    return result
