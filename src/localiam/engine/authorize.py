"""AWS's combining logic: every applicable policy in, one decision out.

Sources (IAM User Guide):
- ``reference_policies_evaluation-logic_policy-eval-denyallow``: an explicit deny in any policy
  wins; then RCPs, SCPs, resource-based policies, identity-based policies, permissions
  boundaries and session policies, in that order.
- ``reference_policies_evaluation-logic_policy-eval-basics``: within one account an allow in
  either the identity-based or the resource-based policy suffices, except role trust policies
  and KMS key policies, which must allow by themselves.
- ``access_policies_boundaries`` (resource-based policies) and ``access_policies`` (session
  policies): a resource-based policy that names an IAM user ARN, a role session ARN or a
  federated user session ARN grants access that an implicit deny in a permissions boundary or
  session policy does not limit; naming the role ARN is limited by both; naming the account
  delegates to the account's identity-based policies.
- ``reference_policies_evaluation-logic-cross-account``: across accounts both the identity side
  and the resource-based policy must allow.
- ``orgs_manage_policies_scps``: SCPs restrict the principals (root user included) of member
  accounts, never the management account, never service-linked roles; every level from the
  root to the account must allow. ``orgs_manage_policies_rcps``: RCPs restrict the resources
  of member accounts for the services that support them; RCPFullAWSAccess is attached to
  every level and cannot be detached, so an RCP only ever denies.
- The root user "has full access" to its account's resources (``id_root-user``), short of
  SCPs, RCPs and explicit denies. Anonymous callers and AWS service principals have no
  identity side: only a resource-based policy can grant them access.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from localiam.engine.compiled import (
    ALL_USERS,
    AUTHENTICATED_USERS,
    AclGrant,
    CompiledPolicy,
    OrganizationPolicies,
    PolicyInputs,
    StatementRef,
)
from localiam.engine.context import ResourceFacts, build_context
from localiam.engine.decision import Decision, Outcome, PolicyEvaluation, Verdict, denial_message
from localiam.engine.principal import Principal, PrincipalKind
from localiam.policy import catalog
from localiam.policy.match import (
    ACCOUNT,
    FEDERATED_USER,
    ROLE,
    SESSION,
    USER,
    RequestFacts,
    applies_besides_action,
    match,
    principal_match_kind,
)
from localiam.policy.model import PolicyType

# Principal kinds named by a resource-based policy whose grant an implicit deny in a
# permissions boundary or a session policy does not limit.
_UNLIMITED_GRANTS = frozenset({USER, SESSION, FEDERATED_USER, "wildcard", "service", "federated", "canonical-user"})
_IDENTITY_KINDS = frozenset({PrincipalKind.USER, PrincipalKind.ASSUMED_ROLE, PrincipalKind.FEDERATED_USER})
_SCP_BOUND_KINDS = _IDENTITY_KINDS | {PrincipalKind.ROOT}


@dataclass(frozen=True, slots=True)
class Request:
    """One request to decide. ``context`` holds caller-supplied keys (already normalised:
    lower-cased names, tuples of strings); they override the keys AWS would derive."""

    principal: Principal
    action: str
    resource: str
    resource_facts: ResourceFacts = field(default_factory=ResourceFacts)
    context: dict[str, tuple[str, ...]] = field(default_factory=dict)
    region: str = "us-east-1"
    secure_transport: bool = True

    @property
    def resource_account(self) -> str | None:
        return self.resource_facts.account or self.principal.account


class Tracer(Protocol):
    """An observer of statement evaluation; ``authorize`` calls it only when given one."""

    def statement(self, policy: CompiledPolicy, index: int, applies: bool) -> None: ...


def _first(policy: CompiledPolicy, facts: RequestFacts, deny: bool, tracer: Tracer | None) -> int | None:
    denies, allows = policy.candidates(facts.action)
    statements = policy.policy.statements
    for i in denies if deny else allows:
        hit = applies_besides_action(statements[i], facts)
        if tracer is not None:
            tracer.statement(policy, i, hit)
        if hit:
            return i
    return None


def _org_levels(org: OrganizationPolicies | None) -> tuple[tuple[CompiledPolicy, ...], ...]:
    return org.levels if org is not None and not org.management_account else ()


def _rcps_apply(inputs: PolicyInputs, request: Request) -> bool:
    if inputs.rcps is None or inputs.rcps.management_account or request.principal.service_linked:
        return False
    service = request.action.split(":", 1)[0].lower()
    return service in catalog.rcp_supported_services()


def _scps_apply(inputs: PolicyInputs, principal: Principal) -> bool:
    return (
        inputs.scps is not None
        and not inputs.scps.management_account
        and not principal.service_linked
        and principal.kind in _SCP_BOUND_KINDS
    )


def authorize(
    inputs: PolicyInputs,
    request: Request,
    *,
    explain: bool = False,
    tracer: Tracer | None = None,
) -> Decision:
    """Decide ``request`` as AWS would, given every policy that applies to it."""
    principal = request.principal
    resource_facts = request.resource_facts
    if resource_facts.account is None and principal.account is not None:
        resource_facts = ResourceFacts(
            principal.account, resource_facts.organization_id, resource_facts.organization_paths, resource_facts.tags
        )
    context = build_context(
        principal.context,
        resource_facts,
        request.context,
        region=request.region,
        secure_transport=request.secure_transport,
    )
    facts = RequestFacts(request.action, request.resource, context, principal.facts)

    rcp_levels = _org_levels(inputs.rcps) if _rcps_apply(inputs, request) else ()
    scp_levels = _org_levels(inputs.scps) if _scps_apply(inputs, principal) else ()
    has_identity = principal.kind in _IDENTITY_KINDS
    identity = inputs.identity if has_identity else ()
    boundary = inputs.boundary if has_identity else None
    session = inputs.session if has_identity else ()
    resource = inputs.resource

    verdicts: dict[PolicyType, Verdict] = {}
    evaluations: tuple[PolicyEvaluation, ...] = ()
    missing: tuple[str, ...] = ()
    if explain:
        evaluations, missing = _explain(facts, rcp_levels, scp_levels, resource, identity, boundary, session)

    def finish(outcome: Outcome, denied_by: PolicyType | None, determining: tuple[StatementRef, ...]) -> Decision:
        message = ""
        if outcome is not Outcome.ALLOW and denied_by is not None:
            message = denial_message(principal.arn, request.action, request.resource, outcome, denied_by)
        return Decision(outcome, message, determining, denied_by, verdicts, evaluations, missing)

    # 1. An explicit deny anywhere wins, reported in AWS's evaluation order.
    ordered: list[tuple[PolicyType, Iterable[CompiledPolicy]]] = [
        (PolicyType.RCP, (p for level in rcp_levels for p in level)),
        (PolicyType.SCP, (p for level in scp_levels for p in level)),
        (PolicyType.RESOURCE, (resource,) if resource is not None else ()),
        (PolicyType.IDENTITY, identity),
        (PolicyType.BOUNDARY, (boundary,) if boundary is not None else ()),
        (PolicyType.SESSION, session),
    ]
    for policy_type, policies in ordered:
        for policy in policies:
            i = _first(policy, facts, True, tracer)
            if i is not None:
                verdicts[policy_type] = Verdict.DENY
                return finish(Outcome.EXPLICIT_DENY, policy_type, (policy.refs[i],))

    # 2. RCPs: RCPFullAWSAccess sits on every level, so with no deny they allow.
    if rcp_levels:
        verdicts[PolicyType.RCP] = Verdict.ALLOW

    # 3. SCPs: every level from the root to the account must allow.
    determining: list[StatementRef] = []
    if scp_levels:
        for level in scp_levels:
            hit = _level_allow(level, facts, tracer)
            if hit is None:
                verdicts[PolicyType.SCP] = Verdict.NO_MATCH
                return finish(Outcome.IMPLICIT_DENY, PolicyType.SCP, ())
            determining.append(hit)
        verdicts[PolicyType.SCP] = Verdict.ALLOW

    # 4. The resource-based policy: which allows apply, and by which principal kind.
    resource_refs: list[StatementRef] = []
    kinds: set[str] = set()
    if resource is not None:
        _, allows = resource.candidates(facts.action)
        statements = resource.policy.statements
        for i in allows:
            stmt = statements[i]
            applied = applies_besides_action(stmt, facts)
            if tracer is not None:
                tracer.statement(resource, i, applied)
            if applied:
                resource_refs.append(resource.refs[i])
                if stmt.principal is not None:
                    kind = principal_match_kind(stmt.principal, facts.principal)
                    if kind is not None:
                        kinds.add(kind)
        verdicts[PolicyType.RESOURCE] = Verdict.ALLOW if resource_refs else Verdict.NO_MATCH
    acl = _acl_grant(inputs.acl_grants, principal, request.action)
    if acl is not None:
        kind, grant_index = acl
        kinds.add(kind)
        grant = inputs.acl_grants[grant_index]
        resource_refs.append(
            StatementRef(PolicyType.RESOURCE, f"{grant.level} ACL", f"{grant.permission} grant", grant_index)
        )
        verdicts[PolicyType.RESOURCE] = Verdict.ALLOW
    resource_any = bool(resource_refs)

    # 5. The identity side: identity policies, then the boundary, then session policies.
    if principal.kind is PrincipalKind.ROOT:
        identity_allow = boundary_ok = session_ok = True
        identity_refs: list[StatementRef] = []
    elif has_identity:
        identity_refs = []
        for policy in identity:
            i = _first(policy, facts, False, tracer)
            if i is not None:
                identity_refs.append(policy.refs[i])
                break
        identity_allow = bool(identity_refs)
        verdicts[PolicyType.IDENTITY] = Verdict.ALLOW if identity_allow else Verdict.NO_MATCH
        boundary_ok = True
        if boundary is not None:
            i = _first(boundary, facts, False, tracer)
            boundary_ok = i is not None
            verdicts[PolicyType.BOUNDARY] = Verdict.ALLOW if boundary_ok else Verdict.NO_MATCH
            if i is not None:
                identity_refs.append(boundary.refs[i])
        session_ok = True
        if session:
            session_ok = False
            for policy in session:
                i = _first(policy, facts, False, tracer)
                if i is not None:
                    session_ok = True
                    identity_refs.append(policy.refs[i])
                    break
            verdicts[PolicyType.SESSION] = Verdict.ALLOW if session_ok else Verdict.NO_MATCH
    else:
        # Anonymous callers, services and federated web/SAML identities: resource policy only.
        if resource_any:
            return finish(Outcome.ALLOW, None, tuple(determining + resource_refs))
        return finish(Outcome.IMPLICIT_DENY, PolicyType.RESOURCE, ())

    identity_chain = identity_allow and boundary_ok and session_ok
    same_account = principal.account == request.resource_account

    def identity_shortfall() -> PolicyType:
        if not identity_allow:
            return PolicyType.IDENTITY
        if not boundary_ok:
            return PolicyType.BOUNDARY
        return PolicyType.SESSION

    if same_account:
        direct = bool(kinds & _UNLIMITED_GRANTS) or (ROLE in kinds and boundary_ok and session_ok)
        if principal.kind is PrincipalKind.ROOT and not inputs.resource_must_allow:
            return finish(Outcome.ALLOW, None, tuple(determining + resource_refs))
        if direct:
            return finish(Outcome.ALLOW, None, tuple(determining + resource_refs))
        if inputs.resource_must_allow:
            # Trust and key policies: the account may delegate to IAM, but an identity allow
            # without the resource policy's allow is not enough.
            if identity_chain and resource_any:
                return finish(Outcome.ALLOW, None, tuple(determining + resource_refs + identity_refs))
            if identity_chain or principal.kind is PrincipalKind.ROOT:
                return finish(Outcome.IMPLICIT_DENY, PolicyType.RESOURCE, ())
            return finish(Outcome.IMPLICIT_DENY, identity_shortfall(), ())
        if identity_chain:
            return finish(Outcome.ALLOW, None, tuple(determining + identity_refs))
        return finish(Outcome.IMPLICIT_DENY, identity_shortfall(), ())

    # Cross-account: both sides must allow.
    if identity_chain and resource_any:
        return finish(Outcome.ALLOW, None, tuple(determining + identity_refs + resource_refs))
    if not identity_chain:
        return finish(Outcome.IMPLICIT_DENY, identity_shortfall(), ())
    return finish(Outcome.IMPLICIT_DENY, PolicyType.RESOURCE, ())


def _acl_grant(grants: tuple[AclGrant, ...], principal: Principal, action: str) -> tuple[str, int] | None:
    """S3 ACLs (``acl-overview``): a grant to an account's canonical user id reaches that
    account's principals the way naming the account in a bucket policy does (their own
    identity policies must still allow); AllUsers reaches everyone, anonymous callers included;
    AuthenticatedUsers any signed request. Returns the principal kind and the grant's index."""
    found = None
    for i, grant in enumerate(grants):
        if not grant.grants(action):
            continue
        if grant.group:
            if grant.grantee == ALL_USERS or (
                grant.grantee == AUTHENTICATED_USERS and principal.kind is not PrincipalKind.ANONYMOUS
            ):
                return "wildcard", i
        elif found is None and principal.canonical_user is not None and grant.grantee == principal.canonical_user:
            found = (ACCOUNT, i)
    return found


def _level_allow(level: tuple[CompiledPolicy, ...], facts: RequestFacts, tracer: Tracer | None) -> StatementRef | None:
    for policy in level:
        i = _first(policy, facts, False, tracer)
        if i is not None:
            return policy.refs[i]
    return None


def _explain(
    facts: RequestFacts,
    rcp_levels: tuple[tuple[CompiledPolicy, ...], ...],
    scp_levels: tuple[tuple[CompiledPolicy, ...], ...],
    resource: CompiledPolicy | None,
    identity: tuple[CompiledPolicy, ...],
    boundary: CompiledPolicy | None,
    session: tuple[CompiledPolicy, ...],
) -> tuple[tuple[PolicyEvaluation, ...], tuple[str, ...]]:
    """Every statement of every applicable policy, matched element by element."""
    policies: list[CompiledPolicy] = [p for level in rcp_levels for p in level]
    policies += [p for level in scp_levels for p in level]
    if resource is not None:
        policies.append(resource)
    policies += identity
    if boundary is not None:
        policies.append(boundary)
    policies += session
    evaluations = []
    missing: dict[str, None] = {}
    for policy in policies:
        matches = tuple(match(s, facts) for s in policy.policy.statements)
        for m in matches:
            if m.action and m.resource and m.principal:
                for key in m.missing_keys:
                    missing[key] = None
        evaluations.append(PolicyEvaluation(policy.policy_type, policy.name, matches))
    return tuple(evaluations), tuple(missing)
