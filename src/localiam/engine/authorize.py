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

from dataclasses import dataclass, field, replace
from typing import Protocol

from localiam.engine.compiled import (
    ALL_USERS,
    AUTHENTICATED_USERS,
    AclGrant,
    CompiledPolicy,
    PolicyInputs,
    StatementRef,
)
from localiam.engine.context import ResourceFacts, build_context
from localiam.engine.decision import Decision, Outcome, PolicyEvaluation, Verdict
from localiam.engine.plan import PLANS, Entries
from localiam.engine.principal import Principal, PrincipalKind
from localiam.policy import catalog
from localiam.policy.match import (
    ACCOUNT,
    FEDERATED_USER,
    ROLE,
    SESSION,
    USER,
    RequestFacts,
    match,
    resource_key,
)
from localiam.policy.model import PolicyType

# Principal kinds named by a resource-based policy whose grant an implicit deny in a
# permissions boundary or a session policy does not limit.
_UNLIMITED_GRANTS = frozenset({USER, SESSION, FEDERATED_USER, "wildcard", "service", "federated", "canonical-user"})
_IDENTITY_KINDS = frozenset({PrincipalKind.USER, PrincipalKind.ASSUMED_ROLE, PrincipalKind.FEDERATED_USER})
_SCP_BOUND_KINDS = _IDENTITY_KINDS | {PrincipalKind.ROOT}


# Enum members read on every decision, bound once: on Python 3.11 reading a member from its
# class (``Verdict.ALLOW``) goes through the enum metaclass's ``__getattr__`` hook, about
# 0.15 µs each, where a module global costs a few ns; a decision reads a dozen.
_ALLOW, _EXPLICIT_DENY, _IMPLICIT_DENY = Outcome.ALLOW, Outcome.EXPLICIT_DENY, Outcome.IMPLICIT_DENY
_VERDICT_ALLOW, _VERDICT_DENY, _VERDICT_NO_MATCH = Verdict.ALLOW, Verdict.DENY, Verdict.NO_MATCH
_RCP, _SCP, _RESOURCE = PolicyType.RCP, PolicyType.SCP, PolicyType.RESOURCE
_IDENTITY, _BOUNDARY, _SESSION = PolicyType.IDENTITY, PolicyType.BOUNDARY, PolicyType.SESSION
_ROOT, _ANONYMOUS = PrincipalKind.ROOT, PrincipalKind.ANONYMOUS


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


def _first_allow(entries: Entries, facts: RequestFacts, tracer: Tracer | None) -> StatementRef | None:
    """The first of a plan's statements that applies, or ``None``."""
    if tracer is not None:
        for check, policy, i in entries:
            hit = check(facts)
            tracer.statement(policy, i, hit)
            if hit:
                return policy.refs[i]
        return None
    for check, policy, i in entries:
        if check(facts):
            return policy.refs[i]
    return None


_RCP_ACTIONS: dict[str, bool] = {}


def _rcp_supported(key: str) -> bool:
    """Whether RCPs bind the action ``key`` (lower-cased): only for the services RCPs
    support."""
    supported = _RCP_ACTIONS.get(key)
    if supported is None:
        if len(_RCP_ACTIONS) > 4096:
            _RCP_ACTIONS.clear()
        supported = _RCP_ACTIONS[key] = key.split(":", 1)[0] in catalog.rcp_supported_services()
    return supported


def _decision(
    request: Request,
    verdicts: dict[PolicyType, Verdict],
    explained: tuple[tuple[PolicyEvaluation, ...], tuple[str, ...]],
    outcome: Outcome,
    denied_by: PolicyType | None,
    determining: tuple[StatementRef, ...],
) -> Decision:
    return Decision(
        outcome,
        determining,
        denied_by,
        verdicts,
        explained[0],
        explained[1],
        (request.principal.arn, request.action, request.resource),
    )


_cached_plan = PLANS.cached


_NOT_EXPLAINED: tuple[tuple[PolicyEvaluation, ...], tuple[str, ...]] = ((), ())


def _scoped_down(inputs: PolicyInputs, request: Request, explain: bool, tracer: Tracer | None) -> Decision:
    """A request of a ``GetScopedCredentials`` session: decided without its scope-down
    policies, then, when allowed, held to each of them (``API_GetScopedCredentials``: the
    intersection of the session's permissions and the policy). Each is asked alone, as a
    session policy of the caller's own account (a scope-down policy can only take away): an
    explicit deny in it, or no allow, denies."""
    decision = authorize(replace(inputs, scoped=()), request, explain=explain, tracer=tracer)
    if not decision.allowed:
        return decision
    principal = request.principal
    own = replace(
        request,
        resource_facts=ResourceFacts(
            principal.account,
            request.resource_facts.organization_id,
            request.resource_facts.organization_paths,
            request.resource_facts.tags,
        ),
    )
    for policy in inputs.scoped:
        alone = authorize(PolicyInputs(identity=(policy,), session=(policy,)), own, explain=explain, tracer=tracer)
        if not alone.allowed:
            verdicts = dict(decision.verdicts)
            verdicts[_SESSION] = _VERDICT_DENY if alone.outcome is _EXPLICIT_DENY else _VERDICT_NO_MATCH
            return Decision(
                alone.outcome,
                alone.determining,
                _SESSION,
                verdicts,
                decision.evaluations + alone.evaluations,
                decision.missing_context_keys,
                decision.subject,
            )
    return decision


def authorize(
    inputs: PolicyInputs,
    request: Request,
    *,
    explain: bool = False,
    tracer: Tracer | None = None,
) -> Decision:
    """Decide ``request`` as AWS would, given every policy that applies to it."""
    if inputs.scoped:
        return _scoped_down(inputs, request, explain, tracer)
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
        None,
        request.region,
        request.secure_transport,
        principal.multi_factor_auth_time,
    )
    has_identity = principal.kind in _IDENTITY_KINDS
    identity = inputs.identity if has_identity else ()
    boundary = inputs.boundary if has_identity else None
    session = inputs.session if has_identity or principal.kind is _ROOT else ()
    resource = inputs.resource
    # A Deny with NotPrincipal always reaches a principal with a boundary (match.py).
    who = principal.bounded_facts if boundary is not None else principal.facts
    # A named tuple's own constructor is a Python function; tuple.__new__ builds the same.
    facts = tuple.__new__(RequestFacts, (request.action, request.resource, context, who))
    key = request.action.lower()
    target = resource_key(request.resource)  # the key of the statements that can match it

    rcp_org = inputs.rcps
    if rcp_org is not None and (
        rcp_org.management_account
        or principal.service_linked
        or not (_RCP_ACTIONS.get(key) or _rcp_supported(key))  # (a dict lookup first: the hot path)
    ):
        rcp_org = None
    rcps = rcp_org.flat if rcp_org is not None else ()
    scp_org = inputs.scps
    if scp_org is not None and (
        scp_org.management_account or principal.service_linked or principal.kind not in _SCP_BOUND_KINDS
    ):
        scp_org = None
    resource_type = resource.policy_type if resource is not None else _RESOURCE

    verdicts: dict[PolicyType, Verdict] = {}
    explained = _NOT_EXPLAINED
    if explain:
        explained = _explain(
            facts,
            key,
            (
                rcps,
                scp_org.flat if scp_org else (),
                (resource,) if resource else (),
                identity,
                (boundary,) if boundary else (),
                session,
            ),
        )

    resources = (resource,) if resource is not None else ()
    boundaries = (boundary,) if boundary is not None else ()
    # A tracer sees every statement whose Action matches: its plan is not narrowed to the
    # statements that can match the resource (key None).
    plan_key = (key, target if tracer is None else None, rcp_org, scp_org, resources, identity, boundaries, session)
    plan = _cached_plan(plan_key)
    if plan is None:
        plan = PLANS.make(plan_key, request.action, resource_type)

    # 1. An explicit deny anywhere wins, reported in AWS's evaluation order.
    if tracer is not None:
        for policy_type, entries in plan.denies:
            for check, policy, i in entries:
                hit = check(facts)
                tracer.statement(policy, i, hit)
                if hit:
                    verdicts[policy_type] = _VERDICT_DENY
                    return _decision(request, verdicts, explained, _EXPLICIT_DENY, policy_type, (policy.refs[i],))
    else:
        for policy_type, entries in plan.denies:
            for check, policy, i in entries:
                if check(facts):
                    verdicts[policy_type] = _VERDICT_DENY
                    return _decision(request, verdicts, explained, _EXPLICIT_DENY, policy_type, (policy.refs[i],))

    # 2. RCPs: RCPFullAWSAccess sits on every level, so with no deny they allow.
    if rcps:
        verdicts[_RCP] = _VERDICT_ALLOW

    # 3. SCPs: every level from the root to the account must allow.
    determining: list[StatementRef] = []
    if scp_org is not None:
        if plan.scp_allowed is not None and tracer is None:
            # Every level starts with an unconditional allow of everything (FullAWSAccess).
            determining.extend(plan.scp_allowed)
        else:
            for level in plan.scp_levels:
                ref = _first_allow(level, facts, tracer)
                if ref is None:
                    verdicts[_SCP] = _VERDICT_NO_MATCH
                    return _decision(request, verdicts, explained, _IMPLICIT_DENY, _SCP, ())
                determining.append(ref)
        verdicts[_SCP] = _VERDICT_ALLOW

    # 4. The resource-based policy: which allows apply, and by which principal kind.
    resource_refs: list[StatementRef] = []
    kinds: set[str] = set()
    if resource is not None and inputs.resource_grants:
        kind_of = resource.principal_kinds
        for check, policy, i in plan.resource_allows:  # every one that applies counts
            applied = check(facts)
            if tracer is not None:
                tracer.statement(policy, i, applied)
            if applied:
                resource_refs.append(resource.refs[i])
                principal_kind = kind_of[i]
                if principal_kind is not None:
                    kind = principal_kind(who)
                    if kind is not None:
                        kinds.add(kind)
        verdicts[resource_type] = _VERDICT_ALLOW if resource_refs else _VERDICT_NO_MATCH
    if inputs.acl_grants:
        acl = _acl_grant(inputs.acl_grants, principal, request.action)
        if acl is not None:
            kind, grant_index = acl
            kinds.add(kind)
            grant = inputs.acl_grants[grant_index]
            resource_refs.append(
                StatementRef(
                    _RESOURCE,
                    f"{grant.level} ACL",
                    f"{grant.permission} grant",
                    grant_index,
                    f"{grant.level} ACL",
                )
            )
            verdicts[_RESOURCE] = _VERDICT_ALLOW
    resource_any = bool(resource_refs)

    # 5. The identity side: identity policies, then the boundary, then session policies.
    identity_refs: list[StatementRef] = []
    if principal.kind is _ROOT:
        # The root user may do anything, except what a session policy leaves out: the task
        # policy of an AssumeRoot session (``id_root-user-privileged-task``).
        identity_allow = boundary_ok = session_ok = True
        if session:
            ref = _first_allow(plan.session_allows, facts, tracer)
            session_ok = ref is not None
            if ref is not None:
                identity_refs.append(ref)
            verdicts[_SESSION] = _VERDICT_ALLOW if session_ok else _VERDICT_NO_MATCH
    elif has_identity:
        ref = _first_allow(plan.identity_allows, facts, tracer)
        identity_allow = ref is not None
        if ref is not None:
            identity_refs.append(ref)
        verdicts[_IDENTITY] = _VERDICT_ALLOW if identity_allow else _VERDICT_NO_MATCH
        boundary_ok = True
        if boundary is not None:
            ref = _first_allow(plan.boundary_allows, facts, tracer)
            boundary_ok = ref is not None
            verdicts[_BOUNDARY] = _VERDICT_ALLOW if boundary_ok else _VERDICT_NO_MATCH
            if ref is not None:
                identity_refs.append(ref)
        session_ok = True
        if session:
            ref = _first_allow(plan.session_allows, facts, tracer)
            session_ok = ref is not None
            if ref is not None:
                identity_refs.append(ref)
            verdicts[_SESSION] = _VERDICT_ALLOW if session_ok else _VERDICT_NO_MATCH
    else:
        # Anonymous callers, services and federated web/SAML identities: resource policy only.
        if resource_any:
            return _decision(request, verdicts, explained, _ALLOW, None, tuple(determining + resource_refs))
        return _decision(request, verdicts, explained, _IMPLICIT_DENY, resource_type, ())

    identity_chain = identity_allow and boundary_ok and session_ok
    if not identity_allow:
        shortfall = _IDENTITY
    elif not boundary_ok:
        shortfall = _BOUNDARY
    else:
        shortfall = _SESSION

    if principal.account == (inputs.owner_account or resource_facts.account):
        if principal.kind is _ROOT and session_ok and not inputs.resource_must_allow:
            return _decision(request, verdicts, explained, _ALLOW, None, tuple(determining + resource_refs))
        if kinds and (bool(kinds & _UNLIMITED_GRANTS) or (ROLE in kinds and boundary_ok and session_ok)):
            return _decision(request, verdicts, explained, _ALLOW, None, tuple(determining + resource_refs))
        if inputs.resource_must_allow:
            # Trust and key policies: the account may delegate to IAM, but an identity allow
            # without the resource policy's allow is not enough.
            if identity_chain and resource_any:
                return _decision(
                    request,
                    verdicts,
                    explained,
                    _ALLOW,
                    None,
                    tuple(determining + resource_refs + identity_refs),
                )
            if identity_chain or principal.kind is _ROOT:
                return _decision(request, verdicts, explained, _IMPLICIT_DENY, resource_type, ())
            return _decision(request, verdicts, explained, _IMPLICIT_DENY, shortfall, ())
        if identity_chain:
            return _decision(request, verdicts, explained, _ALLOW, None, tuple(determining + identity_refs))
        return _decision(request, verdicts, explained, _IMPLICIT_DENY, shortfall, ())

    # Cross-account: both sides must allow.
    if identity_chain and resource_any:
        return _decision(request, verdicts, explained, _ALLOW, None, tuple(determining + identity_refs + resource_refs))
    if not identity_chain:
        return _decision(request, verdicts, explained, _IMPLICIT_DENY, shortfall, ())
    return _decision(request, verdicts, explained, _IMPLICIT_DENY, resource_type, ())


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
                grant.grantee == AUTHENTICATED_USERS and principal.kind is not _ANONYMOUS
            ):
                return "wildcard", i
        elif found is None and principal.canonical_user is not None and grant.grantee == principal.canonical_user:
            found = (ACCOUNT, i)
    return found


def _explain(
    facts: RequestFacts, key: str, groups: tuple[tuple[CompiledPolicy, ...], ...]
) -> tuple[tuple[PolicyEvaluation, ...], tuple[str, ...]]:
    """Every statement of every applicable policy: those whose Action element matches are
    matched element by element; the others are recorded as not matching the action.

    A policy's evaluation depends on the action, whether each candidate's Resource element
    matches, the principal and the values of the condition keys it reads. When no candidate
    names a principal or holds a policy variable in its conditions' values, the evaluation
    made for the same answers and values earlier is reused (:meth:`CompiledPolicy.explained`)."""
    evaluations = []
    missing: dict[str, None] = {}
    resource = facts.resource
    context = facts.context
    for policies in groups:
        for policy in policies:
            indexes, reusable = policy.explain_candidates(facts.action, key)
            if not indexes:
                unmatched = policy.unmatched
                if not isinstance(unmatched, PolicyEvaluation):
                    unmatched = policy.unmatched = PolicyEvaluation(
                        policy.policy_type, policy.name, policy.mismatches, policy.label
                    )
                evaluations.append(unmatched)
                continue
            if not reusable:
                evaluation, keys = _evaluate_policy(policy, indexes, facts)
            else:
                resource_checks = policy.resource_checks
                match_keys = policy.match_keys
                parts: list[object] = [key]
                for i in indexes:
                    check = resource_checks[i]
                    parts.append(True if check is None else check(resource, context))
                    for lookup in match_keys[i]:  # type: ignore[union-attr]
                        parts.append(context.get(lookup))
                memo_key = tuple(parts)
                found = policy.explained(memo_key)
                if found is None:
                    found = _evaluate_policy(policy, indexes, facts)
                    policy.remember(memo_key, found)
                evaluation, keys = found  # type: ignore[misc]
            evaluations.append(evaluation)
            for missing_key in keys:
                missing[missing_key] = None
    return tuple(evaluations), tuple(missing)


def _evaluate_policy(
    policy: CompiledPolicy, indexes: tuple[int, ...], facts: RequestFacts
) -> tuple[PolicyEvaluation, tuple[str, ...]]:
    """One policy's evaluation for explain mode (``indexes``: the statements whose Action
    element matches), and the condition keys it found missing in statements that otherwise
    applied."""
    matches = list(policy.mismatches)
    statements = policy.policy.statements
    resource_checks = policy.resource_checks
    fixed = policy.fixed_matches
    missing: dict[str, None] = {}
    for i in indexes:
        check = resource_checks[i]
        on_resource = True if check is None else check(facts.resource, facts.context)
        pair = fixed[i]
        if pair is not None:
            matches[i] = pair[on_resource]
            continue
        m = matches[i] = match(statements[i], facts, action=True, resource=on_resource)
        if m.conditions and m.resource and m.principal:
            for outcome in m.conditions:
                if outcome.missing:
                    missing[outcome.key] = None
    return PolicyEvaluation(policy.policy_type, policy.name, tuple(matches), policy.label), tuple(missing)
