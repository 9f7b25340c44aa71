"""Evaluation: a request and every policy that applies to it in, AWS's decision out, with its
reasons as data and the denial message AWS would print. Matching lives in
:mod:`localiam.policy.match`; this layer combines (``authorize``)."""

from localiam.engine.authorize import Request, Tracer, authorize
from localiam.engine.compiled import (
    AclGrant,
    CompiledPolicy,
    OrganizationPolicies,
    PolicyInputs,
    StatementRef,
    compile_policy,
)
from localiam.engine.context import ContextError, ResourceFacts, normalise_context
from localiam.engine.decision import Decision, Outcome, PolicyEvaluation, Verdict, denial_message
from localiam.engine.principal import (
    ANONYMOUS,
    Principal,
    PrincipalError,
    PrincipalKind,
    principal_from_arn,
    session_principal,
)

__all__ = [
    "ANONYMOUS",
    "AclGrant",
    "CompiledPolicy",
    "ContextError",
    "Decision",
    "OrganizationPolicies",
    "Outcome",
    "PolicyEvaluation",
    "PolicyInputs",
    "Principal",
    "PrincipalError",
    "PrincipalKind",
    "Request",
    "ResourceFacts",
    "StatementRef",
    "Tracer",
    "Verdict",
    "authorize",
    "compile_policy",
    "denial_message",
    "normalise_context",
    "principal_from_arn",
    "session_principal",
]
