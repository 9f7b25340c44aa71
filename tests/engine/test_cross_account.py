"""Cross-account requests: both the principal's account and the resource's account must allow.

Page: IAM User Guide ``reference_policies_evaluation-logic-cross-account`` (CROSS):
"When you make a cross-account request, AWS performs two evaluations. AWS evaluates the request in
the trusting account and the trusted account. ... The request is allowed only if both evaluations
return a decision of Allow."
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import (
    ACCOUNT,
    OBJECT,
    OTHER,
    allow,
    boundary,
    decide,
    deny,
    identity,
    resource_policy,
    role_arn,
    role_session,
    session_policy,
    trust_policy,
    user,
)

from localiam.engine import Decision, Outcome, Principal
from localiam.policy import PolicyType

# The caller lives in OTHER; the bucket (and the role to assume) in ACCOUNT.
CALLER = user("Carlos", OTHER)
CALLER_ARN = f"arn:aws:iam::{OTHER}:user/Carlos"
SESSION = role_session("Auditor", "audit", OTHER)
SESSION_ARN = f"arn:aws:sts::{OTHER}:assumed-role/Auditor/audit"


def get(who: Principal, **inputs: Any) -> Decision:
    return decide(who, "s3:GetObject", OBJECT, resource_account=ACCOUNT, **inputs)


def grant(principal_value: str) -> Any:
    return resource_policy(allow("s3:GetObject", OBJECT, sid="CrossAccount", principal={"AWS": principal_value}))


def test_both_sides_allow() -> None:
    """CROSS: "the requester in the trusted AccountA must have an identity-based policy. That
    policy must allow them to make a request to the resource in the trusting AccountB.
    Additionally, the resource-based policy in AccountB must allow the requester in AccountA to
    access the resource." """
    d = get(CALLER, identity=(identity(allow("s3:GetObject", sid="Id")),), resource=grant(CALLER_ARN))
    assert d.outcome is Outcome.ALLOW
    assert {(r.policy_type, r.sid) for r in d.determining} == {
        (PolicyType.IDENTITY, "Id"),
        (PolicyType.RESOURCE, "CrossAccount"),
    }


def test_identity_allow_alone_is_not_enough() -> None:
    """CROSS: "AWS allows the request only if both account policy evaluations allow the
    request." """
    d = get(CALLER, identity=(identity(allow("s3:*")),))
    assert d.outcome is Outcome.IMPLICIT_DENY
    assert d.denied_by is PolicyType.RESOURCE


def test_resource_allow_alone_is_not_enough_even_when_it_names_the_user() -> None:
    """CROSS: "The principal's identity-based policy must allow the requested access to the
    resource in the trusting service." (The same-account direct-grant rule does not apply.)"""
    d = get(CALLER, resource=grant(CALLER_ARN))
    assert d.outcome is Outcome.IMPLICIT_DENY
    assert d.denied_by is PolicyType.IDENTITY


@pytest.mark.parametrize("named", [f"arn:aws:iam::{OTHER}:root", OTHER], ids=["root-arn", "account-id"])
def test_resource_policy_may_name_the_whole_account(named: str) -> None:
    """CROSS: "The resource-based policy in the trusting account must specify the principal of the
    trusted account that will have access the resource. You can specify the entire account or
    its IAM users, federated users, IAM roles, or assumed-role sessions." """
    d = get(CALLER, identity=(identity(allow("s3:GetObject")),), resource=grant(named))
    assert d.outcome is Outcome.ALLOW


def test_resource_policy_naming_a_third_account_does_not_help() -> None:
    """CROSS (as above): the resource policy must specify the caller's account or the caller."""
    d = get(CALLER, identity=(identity(allow("s3:GetObject")),), resource=grant("999988887777"))
    assert d.outcome is Outcome.IMPLICIT_DENY
    assert d.denied_by is PolicyType.RESOURCE


def test_boundary_limits_the_identity_side() -> None:
    """CROSS: "When AWS evaluates this account, it checks the identity-based policy and any
    policies that can limit an identity-based policy." A boundary that does not allow the
    action denies, even though the resource policy names the user directly."""
    d = get(
        CALLER,
        identity=(identity(allow("s3:*")),),
        boundary=boundary(allow("sqs:*")),
        resource=grant(CALLER_ARN),
    )
    assert d.outcome is Outcome.IMPLICIT_DENY
    assert d.denied_by is PolicyType.BOUNDARY


def test_session_policy_limits_the_identity_side_even_for_a_named_session() -> None:
    """CROSS (as above): the session policy limits the identity side in the trusted account;
    the direct session grant of the same-account rules does not carry across accounts."""
    d = get(
        SESSION,
        identity=(identity(allow("s3:*")),),
        session=(session_policy(allow("sqs:*")),),
        resource=grant(SESSION_ARN),
    )
    assert d.outcome is Outcome.IMPLICIT_DENY
    assert d.denied_by is PolicyType.SESSION


def test_named_role_reaches_its_sessions_across_accounts() -> None:
    """CROSS: "You can specify the entire account or its IAM users, federated users, IAM roles,
    or assumed-role sessions." A grant to the role reaches a session of that role."""
    d = get(SESSION, identity=(identity(allow("s3:*")),), resource=grant(role_arn("Auditor", OTHER)))
    assert d.outcome is Outcome.ALLOW


@pytest.mark.parametrize("side", ["identity", "resource"])
def test_explicit_deny_on_either_side_wins(side: str) -> None:
    """CROSS (example): "Because the request is explicitly denied within one of the accounts, the
    final decision is to deny the request." """
    ident = [allow("s3:*")]
    res = [allow("s3:GetObject", OBJECT, principal={"AWS": CALLER_ARN})]
    if side == "identity":
        ident.append(deny("s3:*", "arn:aws:s3:::*"))
    else:
        res.append(deny("s3:GetObject", OBJECT, principal={"AWS": "*"}))
    d = get(CALLER, identity=(identity(*ident),), resource=resource_policy(*res))
    assert d.outcome is Outcome.EXPLICIT_DENY
    assert d.denied_by is (PolicyType.IDENTITY if side == "identity" else PolicyType.RESOURCE)


def test_cross_account_role_assumption_needs_trust_and_identity() -> None:
    """CROSS: "In IAM, you can attach a resource-based policy to an IAM role to allow principals
    in other accounts to assume that role. The role's resource-based policy is called a role
    trust policy." Both the trust policy and the caller's identity policy must allow."""
    target = role_arn("Shared", ACCOUNT)
    trust = trust_policy(allow("sts:AssumeRole", None, principal={"AWS": OTHER}))
    ident = (identity(allow("sts:AssumeRole", target)),)

    def assume(**inputs: Any) -> Decision:
        return decide(CALLER, "sts:AssumeRole", target, resource_account=ACCOUNT, resource_must_allow=True, **inputs)

    assert assume(resource=trust, identity=ident).outcome is Outcome.ALLOW
    assert assume(resource=trust).outcome is Outcome.IMPLICIT_DENY
    assert assume(identity=ident).outcome is Outcome.IMPLICIT_DENY
