"""Does a statement apply to a request? Element by element, with the reasons kept.

This is matching only; combining the results of many statements and policies into AWS's
decision is the engine's job (the split Cedar makes between evaluating and authorizing).

- Action: case-insensitive wildcards (``reference_policies_elements_action``); NotAction
  applies to every action not listed (``reference_policies_elements_notaction``).
- Resource: case-sensitive wildcards, policy variables substituted
  (``reference_policies_elements_resource``, ``reference_policies_variables``); NotResource
  applies to every resource not listed. A statement without either (a trust policy) matches
  any resource.
- Principal (``reference_policies_elements_principal``): ``*`` matches everyone, anonymous
  callers included; an account (id or ``:root`` ARN) matches every principal of that account;
  a role ARN matches the role's sessions; a session ARN matches only that session.
- NotPrincipal (``reference_policies_elements_notprincipal``): AWS "might validate the
  account first, then the role, and then the assumed-role user", so a principal escapes the
  Deny only when every one of its identities (session, role or user, and account) is listed.
- Condition: every operator must hold (AND); see :mod:`localiam.policy.conditions`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from localiam.policy.conditions import ConditionOutcome
from localiam.policy.model import Principals, ResourceBlock, Statement
from localiam.policy.wildcard import Context, compile_glob

# Kinds of identity a principal carries; the engine's same-account rules depend on which one a
# resource policy named (``access_policies_boundaries``, "resource-based policies").
SESSION = "session"
ROLE = "role"
USER = "user"
FEDERATED_USER = "federated-user"
ACCOUNT = "account"
WILDCARD = "wildcard"
SERVICE = "service"
FEDERATED = "federated"
CANONICAL_USER = "canonical-user"


@dataclass(frozen=True, slots=True)
class PrincipalFacts:
    """The caller as ``Principal`` blocks see it.

    ``identities`` lists ``(arn, kind)`` from the most specific to the account, e.g. for a
    role session: ``(session ARN, "session"), (role ARN, "role"), (account root ARN,
    "account")``; for an IAM user: the user ARN then the account.
    """

    identities: tuple[tuple[str, str], ...] = ()
    service: str | None = None
    federated: str | None = None
    canonical_user: str | None = None
    anonymous: bool = False


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What the policy layer needs to know about a request."""

    action: str
    resource: str
    context: Context = field(default_factory=dict)
    principal: PrincipalFacts | None = None


@dataclass(frozen=True, slots=True)
class StatementMatch:
    """Element by element, whether a statement applies, and why."""

    statement: Statement
    action: bool
    resource: bool
    principal: bool
    principal_kind: str | None
    conditions: tuple[ConditionOutcome, ...]

    @property
    def applies(self) -> bool:
        return self.action and self.resource and self.principal and all(c.result for c in self.conditions)

    @property
    def missing_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.conditions if c.missing)


def action_matches(statement: Statement, action: str) -> bool:
    block = statement.actions
    hit = any(compile_glob(p, True)(action) for p in block.patterns)
    return hit != block.negated


def resource_matches(block: ResourceBlock | None, resource: str, context: Context) -> bool:
    if block is None:
        return True
    if block.negated:
        for template in block.templates:
            matcher = template.matcher(context)
            if matcher is None or matcher(resource):
                return False
        return True
    for template in block.templates:
        matcher = template.matcher(context)
        if matcher is not None and matcher(resource):
            return True
    return False


def principal_match_kind(principals: Principals, who: PrincipalFacts | None) -> str | None:
    """The kind of identity by which ``principals`` names the caller, or ``None``."""
    if who is None:
        return None
    if principals.wildcard:
        return WILDCARD
    if principals.aws and who.identities:
        listed = principals.aws_arns
        for arn, kind in who.identities:
            if arn in listed:
                return kind
    if who.service is not None and who.service in principals.service:
        return SERVICE
    if who.federated is not None and who.federated in principals.federated:
        return FEDERATED
    if who.canonical_user is not None and who.canonical_user in principals.canonical_user:
        return CANONICAL_USER
    return None


def not_principal_applies(principals: Principals, who: PrincipalFacts | None) -> bool:
    """Whether a ``NotPrincipal`` Deny reaches the caller: unless every identity of the
    caller is listed, it does."""
    if who is None:
        return True
    if principals.wildcard:
        return False
    if who.identities:
        listed = principals.aws_arns
        return not all(arn in listed for arn, _ in who.identities)
    if who.service is not None:
        return who.service not in principals.service
    if who.federated is not None:
        return who.federated not in principals.federated
    if who.canonical_user is not None:
        return who.canonical_user not in principals.canonical_user
    return True


def _principal(statement: Statement, who: PrincipalFacts | None) -> tuple[bool, str | None]:
    if statement.principal is not None:
        kind = principal_match_kind(statement.principal, who)
        return kind is not None, kind
    if statement.not_principal is not None:
        return not_principal_applies(statement.not_principal, who), None
    return True, None


def applies(statement: Statement, request: RequestFacts) -> bool:
    """The fast path: whether ``statement`` applies, with no explanation built."""
    return action_matches(statement, request.action) and applies_besides_action(statement, request)


def applies_besides_action(statement: Statement, request: RequestFacts) -> bool:
    """Resource, principal and conditions only: for callers that already know the Action
    element matched (the engine indexes statements by action)."""
    if not resource_matches(statement.resources, request.resource, request.context):
        return False
    if (statement.principal is not None or statement.not_principal is not None) and not _principal(
        statement, request.principal
    )[0]:
        return False
    for condition in statement.conditions:
        compiled = condition.compiled
        if compiled is None or not compiled.evaluate(request.context):
            return False
    return True


def match(statement: Statement, request: RequestFacts) -> StatementMatch:
    """Every element's outcome (conditions are all evaluated, not short-circuited, so an
    explanation can show each key and whether it was missing)."""
    principal_ok, kind = _principal(statement, request.principal)
    outcomes = tuple(c.compiled.explain(request.context) for c in statement.conditions if c.compiled is not None)
    return StatementMatch(
        statement=statement,
        action=action_matches(statement, request.action),
        resource=resource_matches(statement.resources, request.resource, request.context),
        principal=principal_ok,
        principal_kind=kind,
        conditions=outcomes,
    )
