"""A decision and its reasons, as plain data, and the denial message AWS would print.

Message wording: IAM User Guide ``troubleshoot_access-denied``: "User: ARN is not authorized to
perform: ACTION on resource: RESOURCE because no identity-based policy allows the ACTION
action", "... with an explicit deny in a service control policy", and the other policy types
("identity-based", "resource-based", "session", "service control", "resource control"; "no
permissions boundary allows"); a role's trust policy is "the role trust policy" ("... because no
role trust policy allows the sts:AssumeRole action", "... with an explicit deny in the role trust
policy").
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from localiam.engine.compiled import StatementRef, default_label
from localiam.policy.match import StatementMatch
from localiam.policy.model import PolicyType


class Outcome(enum.Enum):
    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


class Verdict(enum.Enum):
    """What one kind of policy said about the request."""

    ALLOW = "allow"
    DENY = "deny"
    NO_MATCH = "no-match"
    NOT_APPLICABLE = "not-applicable"


_EXPLICIT = {
    PolicyType.IDENTITY: "an identity-based policy",
    PolicyType.RESOURCE: "a resource-based policy",
    PolicyType.TRUST: "the role trust policy",
    PolicyType.BOUNDARY: "a permissions boundary",
    PolicyType.SESSION: "a session policy",
    PolicyType.SCP: "a service control policy",
    PolicyType.RCP: "a resource control policy",
}
_IMPLICIT = {
    PolicyType.IDENTITY: "no identity-based policy allows",
    PolicyType.RESOURCE: "no resource-based policy allows",
    PolicyType.TRUST: "no role trust policy allows",
    PolicyType.BOUNDARY: "no permissions boundary allows",
    PolicyType.SESSION: "no session policy allows",
    PolicyType.SCP: "no service control policy allows",
    PolicyType.RCP: "no resource control policy allows",
}


_FEDERATION_ACTIONS = frozenset({"sts:assumerolewithwebidentity", "sts:assumerolewithsaml"})
"""Called by a web identity or SAML user, whom AWS's denial does not name: "Not authorized to
perform sts:AssumeRoleWithWebIdentity" (``API_AssumeRoleWithWebIdentity``)."""


def denial_message(caller: str, action: str, resource: str, outcome: Outcome, policy_type: PolicyType) -> str:
    if action.lower() in _FEDERATION_ACTIONS:
        return f"Not authorized to perform {action}"
    head = f"User: {caller} is not authorized to perform: {action} on resource: {resource}"
    if outcome is Outcome.EXPLICIT_DENY:
        return f"{head} with an explicit deny in {_EXPLICIT[policy_type]}"
    return f"{head} because {_IMPLICIT[policy_type]} the {action} action"


@dataclass(frozen=True, slots=True)
class PolicyEvaluation:
    """Explain mode: how every statement of one policy matched. ``policy`` identifies the
    policy as :class:`StatementRef` does; ``label`` is what a user calls it ("trust policy of
    Reader")."""

    policy_type: PolicyType
    policy: str
    matches: tuple[StatementMatch, ...]
    label: str = ""

    @property
    def policy_label(self) -> str:
        return self.label or default_label(self.policy_type, self.policy)

    def as_dict(self) -> dict[str, object]:
        return {
            "policy_type": self.policy_type.value,
            "policy": self.policy,
            "label": self.policy_label,
            "statements": [_match_dict(m) for m in self.matches],
        }


def _match_dict(m: StatementMatch) -> dict[str, object]:
    """One statement's outcome. ``elements`` names the elements the statement has that take
    part in matching (``Principal``/``NotPrincipal``, ``Action``/``NotAction``,
    ``Resource``/``NotResource``, ``Condition``); ``resource`` and ``principal`` are ``true``
    for a statement without that element (it does not restrict it)."""
    s = m.statement
    return {
        "sid": s.sid,
        "index": s.index,
        "effect": s.effect.value,
        "elements": list(s.matched_elements),
        "applies": m.applies,
        "action": m.action,
        "resource": m.resource,
        "principal": m.principal,
        "principal_kind": m.principal_kind,
        "conditions": [
            {
                "operator": c.operator,
                "key": c.key,
                "policy_values": list(c.policy_values),
                "context_values": None if c.context_values is None else list(c.context_values),
                "missing": c.missing,
                "result": c.result,
            }
            for c in m.conditions
        ],
    }


@dataclass(slots=True)
class Decision:
    """AWS's answer and why.

    ``determining`` names the statements that decided: the explicit deny, or the allows that
    granted access. ``denied_by`` is the policy type that denied or failed to allow.
    ``verdicts`` gives, per policy type evaluated, whether it allowed, denied or said
    nothing. ``evaluations`` and ``missing_context_keys`` are filled in explain mode only.
    Treat it as read-only (not frozen only because the engine makes one per request and a
    frozen dataclass costs several times more to build).
    """

    outcome: Outcome
    determining: tuple[StatementRef, ...] = ()
    denied_by: PolicyType | None = None
    verdicts: Mapping[PolicyType, Verdict] = field(default_factory=dict)
    evaluations: tuple[PolicyEvaluation, ...] = ()
    missing_context_keys: tuple[str, ...] = ()
    subject: tuple[str, str, str] = ("", "", "")
    """The caller's ARN, the action and the resource: what :attr:`message` names."""

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOW

    @property
    def message(self) -> str:
        """AWS's denial message; empty for an allow. (Written when asked for: most callers of
        the engine only look at the outcome.)"""
        if self.outcome is Outcome.ALLOW or self.denied_by is None:
            return ""
        caller, action, resource = self.subject
        return denial_message(caller, action, resource, self.outcome, self.denied_by)

    def as_dict(self) -> dict[str, object]:
        return {
            "decision": self.outcome.value,
            "message": self.message,
            "determining_statements": [r.as_dict() for r in self.determining],
            "denied_by": self.denied_by.value if self.denied_by else None,
            "policy_types": {t.value: v.value for t, v in self.verdicts.items()},
            "missing_context_keys": list(self.missing_context_keys),
            "evaluations": [e.as_dict() for e in self.evaluations],
        }
