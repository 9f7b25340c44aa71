"""Denial messages as IAM User Guide ``troubleshoot_access-denied`` (TROUBLESHOOT) prints them.

TROUBLESHOOT: "Most access denied error messages appear in the format User user is not authorized
to perform action on resource because context. ... When a policy explicitly denies access because
the policy contains a Deny statement, then AWS includes the phrase with an explicit deny in a type
policy in the access denied error message. When the policy implicitly denies access, then AWS
includes the phrase because no type policy allows the action action in the access denied error
message."

Examples whose text includes ``on resource:`` are compared whole; the examples AWS prints
without a resource (list actions, ``sts:AssumeRole``) are compared by their ``because``/``with``
clause.
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import (
    FULL_AWS_ACCESS,
    RCP_FULL_AWS_ACCESS,
    allow,
    boundary,
    decide,
    deny,
    identity,
    org,
    rcp,
    resource_policy,
    role_session,
    scp,
    session_policy,
    trust_policy,
    user,
)

from localiam.engine import Outcome, denial_message
from localiam.policy import PolicyType

ACCT = "123456789012"
JOHN = user("John", ACCT)
JOHN_ARN = f"arn:aws:iam::{ACCT}:user/John"
DEPLOYMENT_GROUP = f"arn:aws:codedeploy:us-east-1:{ACCT}:deploymentgroup:*"
SECRETS = f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:*"


def test_boundary_implicit_denial_example() -> None:
    """TROUBLESHOOT, "Access denied due to a permissions boundary - implicit denial"."""
    d = decide(
        JOHN,
        "codedeploy:ListDeployments",
        DEPLOYMENT_GROUP,
        identity=(identity(allow("codedeploy:*")),),
        boundary=boundary(allow("s3:*")),
    )
    assert d.message == (
        "User: arn:aws:iam::123456789012:user/John is not authorized to perform: codedeploy:ListDeployments "
        "on resource: arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:* because no permissions "
        "boundary allows the codedeploy:ListDeployments action"
    )


def test_identity_explicit_denial_example() -> None:
    """TROUBLESHOOT, "Access is denied due to identity-based policies - explicit denial":
    "User: arn:aws:iam::123456789012:role/HR is not authorized to perform:
    codedeploy:ListDeployments on resource: arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:*
    with an explicit deny in an identity-based policy" (here for the user John)."""
    d = decide(JOHN, "codedeploy:ListDeployments", DEPLOYMENT_GROUP, identity=(identity(deny("codedeploy:*")),))
    assert d.message == (
        "User: arn:aws:iam::123456789012:user/John is not authorized to perform: codedeploy:ListDeployments "
        "on resource: arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:* with an explicit deny in an "
        "identity-based policy"
    )
    assert denial_message(
        "arn:aws:iam::123456789012:role/HR",
        "codedeploy:ListDeployments",
        DEPLOYMENT_GROUP,
        Outcome.EXPLICIT_DENY,
        PolicyType.IDENTITY,
    ) == (
        "User: arn:aws:iam::123456789012:role/HR is not authorized to perform: codedeploy:ListDeployments "
        "on resource: arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:* with an explicit deny in an "
        "identity-based policy"
    )


def test_resource_explicit_denial_example() -> None:
    """TROUBLESHOOT, "Access denied due to resource-based policies - explicit denial"."""
    d = decide(
        JOHN,
        "secretsmanager:GetSecretValue",
        SECRETS,
        identity=(identity(allow("secretsmanager:*")),),
        resource=resource_policy(deny("secretsmanager:GetSecretValue", "*", principal="*")),
    )
    assert d.message == (
        "User: arn:aws:iam::123456789012:user/John is not authorized to perform: secretsmanager:GetSecretValue "
        "on resource: arn:aws:secretsmanager:us-east-1:123456789012:secret:* with an explicit deny in a "
        "resource-based policy"
    )


def test_rcp_explicit_denial_example() -> None:
    """TROUBLESHOOT, "Access denied due to a resource control policy - explicit denial"."""
    d = decide(
        JOHN,
        "secretsmanager:GetSecretValue",
        SECRETS,
        identity=(identity(allow("secretsmanager:*")),),
        rcps=org((rcp(RCP_FULL_AWS_ACCESS),), (rcp({**deny("secretsmanager:*"), "Principal": "*"}),)),
    )
    assert d.message == (
        "User: arn:aws:iam::123456789012:user/John is not authorized to perform: secretsmanager:GetSecretValue "
        "on resource: arn:aws:secretsmanager:us-east-1:123456789012:secret:* with an explicit deny in a "
        "resource control policy"
    )


def test_session_explicit_denial() -> None:
    """TROUBLESHOOT, "Access denied due to session policies - explicit denial". The page's
    example reads "with an explicit deny in a sessions policy"; the page's format ("with an
    explicit deny in a type policy") and the other examples give "a session policy"."""
    d = decide(
        role_session(account=ACCT),
        "codedeploy:ListDeployments",
        DEPLOYMENT_GROUP,
        identity=(identity(allow("codedeploy:*")),),
        session=(session_policy(deny("codedeploy:*")),),
    )
    assert d.message.endswith(" with an explicit deny in a session policy")


@pytest.mark.parametrize(
    ("inputs", "clause"),
    [
        (
            {"identity": (identity(allow("*")),), "scps": org((scp(allow("ec2:*")),))},
            "because no service control policy allows the codecommit:ListRepositories action",
        ),
        (
            {"identity": (identity(allow("*")),), "scps": org((scp(FULL_AWS_ACCESS, deny("codecommit:*")),))},
            "with an explicit deny in a service control policy",
        ),
        ({}, "because no identity-based policy allows the codecommit:ListRepositories action"),
        (
            {"identity": (identity(allow("*")),), "session": (session_policy(allow("s3:*")),)},
            "because no session policy allows the codecommit:ListRepositories action",
        ),
    ],
    ids=["scp-implicit", "scp-explicit", "identity-implicit", "session-implicit"],
)
def test_clause_for_each_policy_type(inputs: dict[str, Any], clause: str) -> None:
    """TROUBLESHOOT examples: "... codecommit:ListRepositories because no service control policy
    allows the codecommit:ListRespositories action" (sic), "... with an explicit deny in a
    service control policy", "... because no identity-based policy allows the
    codecommit:ListRepositories action", "... because no session policy allows the
    codecommit:ListRepositories action"."""
    who = role_session(account=ACCT)
    d = decide(who, "codecommit:ListRepositories", "*", **inputs)
    assert d.message.startswith(f"User: {who.arn} is not authorized to perform: codecommit:ListRepositories")
    assert d.message.endswith(clause), d.message


def test_resource_implicit_denial_clause() -> None:
    """TROUBLESHOOT, "Access denied due to resource-based policies - implicit denial": "...
    secretsmanager:GetSecretValue because no resource-based policy allows the
    secretsmanager:GetSecretValue action" (a cross-account request with no resource-side allow)."""
    d = decide(
        user("John", "444455556666"),
        "secretsmanager:GetSecretValue",
        SECRETS,
        resource_account=ACCT,
        identity=(identity(allow("secretsmanager:*")),),
    )
    assert d.message.endswith("because no resource-based policy allows the secretsmanager:GetSecretValue action")


ROLE = f"arn:aws:iam::{ACCT}:role/Target"


def test_role_trust_policy_implicit_denial() -> None:
    """TROUBLESHOOT, "Access denied due to role trust policies - implicit denial": "User:
    arn:aws:iam::123456789012:user/John is not authorized to perform: sts:AssumeRole because no
    role trust policy allows the sts:AssumeRole action" """
    trust = trust_policy(allow("sts:AssumeRole", None, principal={"AWS": f"arn:aws:iam::{ACCT}:user/Other"}))
    d = decide(JOHN, "sts:AssumeRole", ROLE, resource_must_allow=True, resource=trust, identity=(identity(allow("*")),))
    assert d.outcome is Outcome.IMPLICIT_DENY
    assert d.message.endswith("because no role trust policy allows the sts:AssumeRole action"), d.message


def test_role_trust_policy_explicit_denial() -> None:
    """TROUBLESHOOT, "Access denied due to role trust policies - explicit denial": "User:
    arn:aws:iam::777788889999:user/John is not authorized to perform: sts:AssumeRole with an
    explicit deny in the role trust policy" """
    trust = trust_policy(
        allow("sts:AssumeRole", None, principal={"AWS": ACCT}),
        deny("sts:AssumeRole", None, principal={"AWS": JOHN_ARN}),
    )
    d = decide(JOHN, "sts:AssumeRole", ROLE, resource_must_allow=True, resource=trust, identity=(identity(allow("*")),))
    assert d.outcome is Outcome.EXPLICIT_DENY
    assert d.message.endswith("with an explicit deny in the role trust policy"), d.message


def test_role_session_is_named_by_its_session_arn() -> None:
    """TROUBLESHOOT ("Access is denied when a VPC request fails due to another policy"): "User:
    arn:aws:sts::111122223333:assumed-role/role-name/role-session-name is not authorized to
    perform: SNS:Publish ..." — a role session is named by its session ARN."""
    who = role_session("role-name", "role-session-name", "111122223333")
    d = decide(who, "sns:Publish", "arn:aws:sns:us-east-1:444455556666:topic")
    assert d.message.startswith(
        "User: arn:aws:sts::111122223333:assumed-role/role-name/role-session-name is not authorized to perform: "
        "sns:Publish"
    )


def test_only_one_policy_type_is_named() -> None:
    """TROUBLESHOOT: "If multiple policy types deny an authorization request, AWS includes only
    one of those policy types in the error message." """
    d = decide(
        JOHN,
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        identity=(identity(deny("s3:*")),),
        boundary=boundary(deny("s3:*")),
        scps=org((scp(FULL_AWS_ACCESS, deny("s3:*")),)),
    )
    phrases = ["identity-based policy", "permissions boundary", "service control policy"]
    assert sum(p in d.message for p in phrases) == 1


def test_allowed_requests_have_no_message() -> None:
    """TROUBLESHOOT is about denials; an allowed request carries no denial text."""
    d = decide(JOHN, "s3:GetObject", "arn:aws:s3:::b/k", identity=(identity(allow("s3:*")),))
    assert d.outcome is Outcome.ALLOW
    assert d.message == ""
