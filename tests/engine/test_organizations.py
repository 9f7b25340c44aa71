"""Service control policies (SCPs) and resource control policies (RCPs).

Pages:
- Organizations User Guide ``orgs_manage_policies_scps`` (SCPS), ``orgs_manage_policies_scps_evaluation``
  (SCP-EVAL), ``orgs_manage_policies_rcps`` (RCPS), ``orgs_manage_policies_rcps_evaluation``
  (RCP-EVAL).
- IAM User Guide ``reference_policies_evaluation-logic_policy-eval-reqcontext`` (REQCONTEXT) and
  ``reference_policies_evaluation-logic_policy-eval-denyallow`` (DENYALLOW).
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import (
    ACCOUNT,
    FULL_AWS_ACCESS,
    OBJECT,
    OTHER,
    RCP_FULL_AWS_ACCESS,
    allow,
    decide,
    deny,
    full_scp_levels,
    identity,
    org,
    rcp,
    resource_policy,
    role_session,
    root,
    scp,
    user,
)

from localiam.engine import ANONYMOUS, Outcome, Verdict, principal_from_arn
from localiam.policy import PolicyType
from localiam.policy.catalog import rcp_supported_services

ALLOW_S3 = (identity(allow("s3:*")),)
SCP_DENY_S3 = scp(FULL_AWS_ACCESS, deny("s3:*"), name="DenyS3")
SCP_EC2_ONLY = scp(allow("ec2:*"), name="EC2Only")
SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db-AbCdEf"


def rcp_deny(action: str = "*", **kw: Any) -> Any:
    return rcp({**deny(action), "Principal": "*", **kw}, name="DenyRCP")


# --- SCPs -------------------------------------------------------------------------------------


def test_every_level_must_allow() -> None:
    """SCP-EVAL: "For a permission to be allowed for a specific account, there must be an
    explicit Allow statement at every level from the root through each OU in the direct path
    to the account (including the target account itself)." """
    full = full_scp_levels(1)[0]
    for levels in (
        [(SCP_EC2_ONLY,), full, full],  # root
        [full, (SCP_EC2_ONLY,), full],  # OU
        [full, full, (SCP_EC2_ONLY,)],  # account
    ):
        d = decide(user(), "s3:GetObject", OBJECT, identity=ALLOW_S3, scps=org(*levels))
        assert d.outcome is Outcome.IMPLICIT_DENY
        assert d.denied_by is PolicyType.SCP
        assert d.verdicts[PolicyType.SCP] is Verdict.NO_MATCH
    assert decide(user(), "s3:GetObject", OBJECT, identity=ALLOW_S3, scps=org(full, full, full)).allowed


def test_one_allowing_policy_per_level_is_enough() -> None:
    """SCP-EVAL (as above): an Allow at the level, from any SCP attached there."""
    d = decide(
        user(),
        "s3:GetObject",
        OBJECT,
        identity=ALLOW_S3,
        scps=org((SCP_EC2_ONLY, scp(allow("s3:GetObject"), name="S3Read")), full_scp_levels(1)[0]),
    )
    assert d.outcome is Outcome.ALLOW


def test_scp_deny_at_any_level_denies() -> None:
    """SCP-EVAL: "For a permission to be denied for a specific account, any SCP from the root
    through each OU in the direct path to the account (including the target account itself)
    can deny that permission." """
    for i in range(3):
        levels = full_scp_levels(3)
        levels[i] = (SCP_DENY_S3,)
        d = decide(user(), "s3:GetObject", OBJECT, identity=ALLOW_S3, scps=org(*levels))
        assert d.outcome is Outcome.EXPLICIT_DENY
        assert d.denied_by is PolicyType.SCP
        assert d.message.endswith("with an explicit deny in a service control policy")


def test_scp_allow_grants_nothing() -> None:
    """SCPS: "SCPs alone are not sufficient to granting permissions to the accounts in your
    organization. No permissions are granted by an SCP." """
    d = decide(user(), "s3:GetObject", OBJECT, scps=org(*full_scp_levels()))
    assert d.outcome is Outcome.IMPLICIT_DENY
    assert d.denied_by is PolicyType.IDENTITY


def test_scp_binds_the_member_account_root_user() -> None:
    """SCPS: "SCPs affect all users and roles in attached accounts, including the root user."
    REQCONTEXT: "SCPs apply to principals in member accounts, including each AWS account root
    user." """
    assert decide(root(), "s3:GetObject", OBJECT, scps=org(*full_scp_levels())).allowed
    d = decide(root(), "s3:GetObject", OBJECT, scps=org((SCP_DENY_S3,)))
    assert d.outcome is Outcome.EXPLICIT_DENY
    assert d.denied_by is PolicyType.SCP
    d = decide(root(), "s3:GetObject", OBJECT, scps=org((SCP_EC2_ONLY,)))
    assert d.outcome is Outcome.IMPLICIT_DENY
    assert d.denied_by is PolicyType.SCP


@pytest.mark.parametrize("who", [user(), root(), role_session()], ids=["user", "root", "role-session"])
def test_scps_never_bind_the_management_account(who: Any) -> None:
    """SCPS: "SCPs don't affect users or roles in the management account. They affect only the
    member accounts in your organization." """
    for levels in ([(SCP_DENY_S3,)], [(SCP_EC2_ONLY,)]):
        d = decide(who, "s3:GetObject", OBJECT, identity=ALLOW_S3, scps=org(*levels, management=True))
        assert d.outcome is Outcome.ALLOW


def test_scps_never_bind_service_linked_roles() -> None:
    """SCPS: "SCPs do not affect any service-linked role. Service-linked roles enable other AWS
    services to integrate with AWS Organizations and can't be restricted by SCPs." """
    slr = role_session("AWSServiceRoleForExample", "svc", service_linked=True)
    for levels in ([(SCP_DENY_S3,)], [(SCP_EC2_ONLY,)]):
        d = decide(slr, "s3:GetObject", OBJECT, identity=ALLOW_S3, scps=org(*levels))
        assert d.outcome is Outcome.ALLOW


def test_scp_limits_resource_based_grants_to_member_principals() -> None:
    """REQCONTEXT: "If an SCP is present, permissions granted by identity-based and
    resource-based policies to principals in your member accounts are only effective if the
    SCP allows the action." """
    bucket = resource_policy(allow("s3:GetObject", OBJECT, principal={"AWS": f"arn:aws:iam::{ACCOUNT}:user/Alice"}))
    assert decide(user(), "s3:GetObject", OBJECT, resource=bucket).allowed
    d = decide(user(), "s3:GetObject", OBJECT, resource=bucket, scps=org((SCP_EC2_ONLY,)))
    assert d.outcome is Outcome.IMPLICIT_DENY
    assert d.denied_by is PolicyType.SCP


def test_scps_do_not_bind_service_principals() -> None:
    """DENYALLOW: "SCPs apply to principals of the account where the SCPs are attached." An AWS
    service principal belongs to no member account."""
    bucket = resource_policy(allow("s3:PutObject", OBJECT, principal={"Service": "logging.s3.amazonaws.com"}))
    d = decide(
        principal_from_arn("logging.s3.amazonaws.com"),
        "s3:PutObject",
        OBJECT,
        resource_account=ACCOUNT,
        resource=bucket,
        scps=org((SCP_DENY_S3,)),
    )
    assert d.outcome is Outcome.ALLOW


# --- RCPs -------------------------------------------------------------------------------------


def test_rcp_deny_denies() -> None:
    """RCP-EVAL: "For a permission to be denied for a resource in a specific account, any RCP
    from the root through each OU in the direct path to the account (including the target
    account itself) can deny that permission." """
    rcps = org((rcp(RCP_FULL_AWS_ACCESS),), (rcp_deny("secretsmanager:GetSecretValue"),))
    d = decide(user(), "secretsmanager:GetSecretValue", SECRET, identity=(identity(allow("*")),), rcps=rcps)
    assert d.outcome is Outcome.EXPLICIT_DENY
    assert d.denied_by is PolicyType.RCP
    assert d.message.endswith("with an explicit deny in a resource control policy")


def test_rcp_full_aws_access_is_always_attached() -> None:
    """DENYALLOW (AWS Organizations RCPs): "an AWS managed policy called RCPFullAWSAccess is
    automatically created and attached to every entity in your organization including the root,
    each OU, and AWS account when RCPs are enabled. RCPFullAWSAccess can't be detached, so there
    will always be an Allow statement." Levels that show only a Deny for another action still
    let the request through."""
    rcps = org((rcp_deny("s3:DeleteObject"),), (rcp_deny("kms:*"),))
    d = decide(user(), "s3:GetObject", OBJECT, identity=ALLOW_S3, rcps=rcps)
    assert d.outcome is Outcome.ALLOW
    assert d.verdicts[PolicyType.RCP] is Verdict.ALLOW


def test_rcp_grants_nothing() -> None:
    """RCPS: "RCPs alone are not sufficient in granting permissions to the resources in your
    organization. No permissions are granted by an RCP." """
    d = decide(user(), "s3:GetObject", OBJECT, rcps=org((rcp(RCP_FULL_AWS_ACCESS),)))
    assert d.outcome is Outcome.IMPLICIT_DENY
    assert d.denied_by is PolicyType.IDENTITY


def test_rcp_binds_the_root_user() -> None:
    """REQCONTEXT: "RCPs apply to resources in member accounts and impact the effective
    permissions for principals, including the AWS account root user" """
    d = decide(root(), "s3:GetObject", OBJECT, rcps=org((rcp_deny("s3:*"),)))
    assert d.outcome is Outcome.EXPLICIT_DENY
    assert d.denied_by is PolicyType.RCP


def test_rcp_binds_principals_outside_the_organization() -> None:
    """REQCONTEXT: RCPs impact principals "regardless of whether the principals belong to your
    organization". (The RCPs are the resource account's.)"""
    outsider = user("Eve", OTHER)
    bucket = resource_policy(allow("s3:GetObject", OBJECT, principal={"AWS": OTHER}))
    inputs: dict[str, Any] = {"identity": ALLOW_S3, "resource": bucket}
    assert decide(outsider, "s3:GetObject", OBJECT, resource_account=ACCOUNT, **inputs).allowed
    d = decide(outsider, "s3:GetObject", OBJECT, resource_account=ACCOUNT, rcps=org((rcp_deny("s3:*"),)), **inputs)
    assert d.outcome is Outcome.EXPLICIT_DENY
    assert d.denied_by is PolicyType.RCP


def test_rcp_binds_anonymous_callers() -> None:
    """REQCONTEXT (as above): RCPs restrict every principal reaching the resource, including
    callers granted by a public ("Principal": "*") bucket policy."""
    public = resource_policy(allow("s3:GetObject", OBJECT, principal="*"))
    assert decide(ANONYMOUS, "s3:GetObject", OBJECT, resource_account=ACCOUNT, resource=public).allowed
    d = decide(
        ANONYMOUS, "s3:GetObject", OBJECT, resource_account=ACCOUNT, resource=public, rcps=org((rcp_deny("s3:*"),))
    )
    assert d.outcome is Outcome.EXPLICIT_DENY


def test_rcps_never_apply_to_the_management_account() -> None:
    """RCPS: "RCPs don't affect resources in the management account. They only affect resources
    in the member accounts within your organization." """
    d = decide(user(), "s3:GetObject", OBJECT, identity=ALLOW_S3, rcps=org((rcp_deny("s3:*"),), management=True))
    assert d.outcome is Outcome.ALLOW


def test_rcps_never_apply_to_service_linked_roles() -> None:
    """REQCONTEXT: "RCPs don't apply to resources in the organization management account and to
    calls made by service-linked roles." """
    slr = role_session("AWSServiceRoleForExample", "svc", service_linked=True)
    d = decide(slr, "s3:GetObject", OBJECT, identity=ALLOW_S3, rcps=org((rcp_deny("s3:*"),)))
    assert d.outcome is Outcome.ALLOW


def test_rcps_apply_only_to_services_that_support_them() -> None:
    """RCPS ("List of AWS services that support RCPs"): "RCPs apply to resources of the
    following AWS services". Amazon EC2 is not on the list, Amazon S3 is."""
    services = rcp_supported_services()
    assert "s3" in services
    assert "ec2" not in services
    rcps = org((rcp_deny("*"),))
    ec2 = decide(user(), "ec2:DescribeInstances", "*", identity=(identity(allow("*")),), rcps=rcps)
    assert ec2.outcome is Outcome.ALLOW
    s3 = decide(user(), "s3:GetObject", OBJECT, identity=(identity(allow("*")),), rcps=rcps)
    assert s3.outcome is Outcome.EXPLICIT_DENY
