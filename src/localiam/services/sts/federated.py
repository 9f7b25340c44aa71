"""What ``AssumeRoleWithWebIdentity`` and ``AssumeRoleWithSAML`` share once the token or the
assertion is verified: the role, its trust policy decided by the engine for a federated
principal, the duration, the session policies and tags, and the role session itself.

- The caller is the identity provider's user, not an AWS principal: the trust policy is the
  only policy that can allow (``id_roles_providers_oidc``, ``id_roles_providers_saml``); its
  ``Principal`` must name the provider (``{"Federated": "accounts.google.com"}`` or the IAM
  provider's ARN), and RCPs of the role's account still apply. A role that does not exist and
  a trust policy that does not allow both answer ``AccessDenied`` "Not authorized to perform
  sts:AssumeRoleWithWebIdentity" (or ``...WithSAML``), AWS's wording.
- Session tags come from the token (``https://aws.amazon.com/tags``) or the assertion
  (``PrincipalTag:*`` attributes) and need ``sts:TagSession`` in the trust policy; a source
  identity needs ``sts:SetSourceIdentity`` (``id_session-tags``, "Passing session tags using
  AssumeRoleWithSAML / AssumeRoleWithWebIdentity"; ``id_credentials_temp_control-access_monitor``).
- Session policies (``Policy``, ``PolicyArns``) and ``DurationSeconds`` (900 up to the role's
  ``MaxSessionDuration``, 3,600 by default) as for ``AssumeRole``.
- The role session is ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION``; it keeps
  ``aws:FederatedProvider`` and the provider's keys AWS carries into later requests (the
  ``sub``, ``aud``, ``amr`` ... of the token; ``saml:sub`` ... of the assertion), so a
  permissions policy can say ``${accounts.google.com:sub}`` or ``${saml:sub}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from localiam.engine import Principal, PrincipalKind
from localiam.errors import AccessDenied, ValidationError
from localiam.policy.model import PolicyType
from localiam.services.base import OperationContext, Params, ResourcePolicy
from localiam.services.sts._service import check_name, duration
from localiam.services.sts.session_inputs import SessionInputs, session_inputs
from localiam.state.accounts import KeyRecord
from localiam.state.authz import Caller
from localiam.state.sts_store import IssuedCredentials, RoleRecord, find_role, issue_session, mark_role_used

MAX_DURATION = 43200


@dataclass(frozen=True, slots=True)
class FederatedLogin:
    """A verified token or assertion, as the role's trust policy and the session see it.

    ``provider`` is the value a trust policy's ``Federated`` principal names;
    ``trust_keys`` the condition keys only the trust policy sees; ``session_keys`` those it
    sees that the role session keeps for its own requests (lower-case names)."""

    action: str
    kind: PrincipalKind
    provider: str
    trust_keys: Mapping[str, str | list[str]] = field(default_factory=dict)
    session_keys: Mapping[str, Sequence[str]] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    transitive_tag_keys: Sequence[str] = ()
    source_identity: str | None = None

    @property
    def caller(self) -> Caller:
        principal = Principal(self.kind, self.provider, provider=self.provider)
        return Caller(principal, KeyRecord("", "", "", "federated", True))

    def denied(self) -> AccessDenied:
        return AccessDenied(f"Not authorized to perform {self.action}")


@dataclass(frozen=True, slots=True)
class FederatedSession:
    role: RoleRecord
    session_arn: str
    session_name: str
    issued: IssuedCredentials
    inputs: SessionInputs


def role_to_assume(ctx: OperationContext, params: Params, login_action: str) -> RoleRecord:
    arn = params.get("RoleArn")
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        raise ValidationError(f"{arn} is invalid")
    role = find_role(ctx.tx, arn)
    if role is None:
        raise AccessDenied(f"Not authorized to perform {login_action}")
    return role


def _trust_policy(ctx: OperationContext, role: RoleRecord) -> ResourcePolicy:
    compiled = ctx.authz.policies.get(f"{role.arn} trust policy", role.trust_policy, PolicyType.TRUST)
    return ResourcePolicy(compiled, role.account_id, must_allow=True, tags=dict(role.tags))


def trust_context(
    login: FederatedLogin, role: RoleRecord, extra: Mapping[str, str | list[str]]
) -> dict[str, str | list[str]]:
    keys: dict[str, str | list[str]] = {"aws:FederatedProvider": login.provider}
    keys.update(login.trust_keys)
    for key, values in login.session_keys.items():
        keys[key] = list(values)
    for key, value in role.tags.items():
        keys[f"iam:ResourceTag/{key}"] = value
    keys.update(extra)
    return keys


def _session_duration(params: Params, role: RoleRecord, cap: int | None) -> int:
    seconds = duration(params, default=3600, minimum=900, maximum=MAX_DURATION)
    if seconds > role.max_session_duration:
        raise ValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    if cap is not None and "DurationSeconds" not in params:
        seconds = min(max(cap, 900), role.max_session_duration)
    return seconds


def assume_federated(
    ctx: OperationContext,
    params: Params,
    login: FederatedLogin,
    role: RoleRecord,
    session_name: str,
    *,
    duration_cap: int | None = None,
    not_after: float | None = None,
) -> FederatedSession:
    """Check the session's inputs, let the trust policy decide, and issue the role session.

    ``duration_cap`` is the session's length when the call passes no ``DurationSeconds``;
    ``not_after`` (epoch seconds) is when the session must end at the latest, however long
    it was asked to last (a SAML assertion's ``SessionNotOnOrAfter``, "whichever is shorter",
    ``API_AssumeRoleWithSAML``)."""
    check_name(session_name, "roleSessionName", min_length=2, max_length=64)
    tag_params = dict(params)
    tag_params["Tags"] = [{"Key": k, "Value": v} for k, v in login.tags.items()]
    tag_params["TransitiveTagKeys"] = list(login.transitive_tag_keys)
    inputs = session_inputs(ctx, tag_params, account=role.account_id, inherit=False)
    seconds = _session_duration(params, role, duration_cap)
    if not_after is not None:
        seconds = max(1, min(seconds, int(not_after - ctx.now)))
    trust = _trust_policy(ctx, role)
    base = {"sts:RoleSessionName": session_name}
    if login.source_identity is not None:
        base["sts:SourceIdentity"] = login.source_identity
    caller = login.caller
    try:
        ctx.authorize(
            login.action,
            role.arn,
            context=trust_context(login, role, {**base, **inputs.tag_context()}),
            resource_policy=trust,
            caller=caller,
        )
        if inputs.tags:
            context = trust_context(login, role, {**base, **inputs.tag_context()})
            ctx.authorize("sts:TagSession", role.arn, context=context, resource_policy=trust, caller=caller)
        if login.source_identity is not None:
            context = trust_context(login, role, base)
            ctx.authorize("sts:SetSourceIdentity", role.arn, context=context, resource_policy=trust, caller=caller)
    except AccessDenied:
        raise login.denied() from None
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
        source_identity=login.source_identity,
        provider=login.provider,
        federation={k.lower(): list(v) for k, v in login.session_keys.items()},
    )
    mark_role_used(ctx.tx, role)
    return FederatedSession(role, session_arn, session_name, issued, inputs)
