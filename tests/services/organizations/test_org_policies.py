"""SCPs and RCPs written through Organizations, and what they do to requests (the seed's Organizations flow).

Pages: Organizations API Reference (``API_CreatePolicy``, ``API_AttachPolicy``, ``API_DetachPolicy``,
``API_DeletePolicy``); Organizations User Guide ``orgs_manage_policies_scps`` ("SCPs affect all
users and roles in attached accounts, including the root user ... SCPs do not affect users or
roles in the management account"), ``orgs_manage_policies_rcps``,
``orgs_manage_accounts_access`` (OrganizationAccountAccessRole).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from org_helpers import MGMT, new_policy, orgs, scp
from sts_harness import ADMIN, World

from localiam.errors import AccessDenied, AwsError
from localiam.policy.model import PolicyType
from localiam.services.base import ResourcePolicy
from localiam.services.sts import SERVICE as STS
from localiam.state.accounts import create_access_key

DENY_S3 = scp({"Effect": "Deny", "Action": "s3:*", "Resource": "*"})
OBJECT = "arn:aws:s3:::bucket/key"


@dataclass
class Org:
    world: World
    mgmt: str
    root: str
    ou: str
    member: str
    member_root: str


@pytest.fixture
def org(world: World) -> Org:
    """Management account, SCPs enabled, one member account created in OU ``Workloads``."""
    mgmt = world.account(MGMT).access_key_id
    orgs(world, mgmt, "CreateOrganization")
    root = orgs(world, mgmt, "ListRoots")["Roots"][0]["Id"]
    orgs(world, mgmt, "EnablePolicyType", RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    ou = orgs(world, mgmt, "CreateOrganizationalUnit", ParentId=root, Name="Workloads")["OrganizationalUnit"]["Id"]
    member = orgs(world, mgmt, "CreateAccount", Email="w@example.com", AccountName="w")["CreateAccountStatus"][
        "AccountId"
    ]
    orgs(world, mgmt, "MoveAccount", AccountId=member, SourceParentId=root, DestinationParentId=ou)
    # Root credentials of the member, as `localiam accounts create` would hand out.
    with world.tx() as tx:
        member_root, _ = create_access_key(tx, member, None)
    return Org(world, mgmt, root, ou, member, member_root)


def test_scp_on_an_ou_restricts_member_users_and_root(org: Org) -> None:
    w = org.world
    member_admin = w.user(org.member, "admin", managed=[ADMIN])
    assert w.decide(member_admin, "s3:GetObject", OBJECT).allowed
    assert w.decide(org.member_root, "s3:GetObject", OBJECT).allowed
    policy = new_policy(w, org.mgmt, "DenyS3", DENY_S3)
    orgs(w, org.mgmt, "AttachPolicy", PolicyId=policy, TargetId=org.ou)

    denied = w.decide(member_admin, "s3:GetObject", OBJECT)
    assert denied.message == (
        f"User: arn:aws:iam::{org.member}:user/admin is not authorized to perform: s3:GetObject on resource: "
        f"{OBJECT} with an explicit deny in a service control policy"
    )
    root_denied = w.decide(org.member_root, "s3:GetObject", OBJECT)
    assert not root_denied.allowed
    assert root_denied.message.endswith("with an explicit deny in a service control policy")
    assert w.decide(member_admin, "iam:ListUsers", "*").allowed

    # The management account is never restricted, even with the SCP on the root.
    orgs(w, org.mgmt, "AttachPolicy", PolicyId=policy, TargetId=org.root)
    mgmt_admin = w.user(MGMT, "admin", managed=[ADMIN])
    assert w.decide(mgmt_admin, "s3:GetObject", OBJECT).allowed
    assert w.decide(org.mgmt, "s3:GetObject", OBJECT).allowed


def test_allow_list_scps_need_an_allow_at_every_level(org: Org) -> None:
    w = org.world
    member_admin = w.user(org.member, "admin", managed=[ADMIN])
    iam_only = new_policy(w, org.mgmt, "IamOnly", scp({"Effect": "Allow", "Action": "iam:*", "Resource": "*"}))
    orgs(w, org.mgmt, "AttachPolicy", PolicyId=iam_only, TargetId=org.ou)
    with pytest.raises(AwsError) as last:
        orgs(w, org.mgmt, "DetachPolicy", PolicyId="p-FullAWSAccess", TargetId=org.member)
    assert last.value.code == "ConstraintViolationException"
    assert last.value.fields == {"Reason": "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"}  # type: ignore[attr-defined]
    orgs(w, org.mgmt, "DetachPolicy", PolicyId="p-FullAWSAccess", TargetId=org.ou)
    denied = w.decide(member_admin, "s3:GetObject", OBJECT)
    assert denied.message.endswith("because no service control policy allows the s3:GetObject action")
    assert w.decide(member_admin, "iam:ListUsers", "*").allowed


def test_disabling_scps_lifts_them(org: Org) -> None:
    w = org.world
    member_admin = w.user(org.member, "admin", managed=[ADMIN])
    policy = new_policy(w, org.mgmt, "DenyS3", DENY_S3)
    orgs(w, org.mgmt, "AttachPolicy", PolicyId=policy, TargetId=org.member)
    assert not w.decide(member_admin, "s3:GetObject", OBJECT).allowed
    orgs(w, org.mgmt, "DisablePolicyType", RootId=org.root, PolicyType="SERVICE_CONTROL_POLICY")
    assert w.decide(member_admin, "s3:GetObject", OBJECT).allowed


def test_changes_touch_every_account(org: Org) -> None:
    w = org.world
    with w.tx() as tx:
        before = w.store.versions(tx)
    policy = new_policy(w, org.mgmt, "DenyS3", DENY_S3)
    orgs(w, org.mgmt, "AttachPolicy", PolicyId=policy, TargetId=org.ou)
    with w.tx() as tx:
        after = w.store.versions(tx)
    assert after[org.member] > before[org.member] and after[MGMT] > before[MGMT]


def test_organization_account_access_role(org: Org) -> None:
    w = org.world
    role = f"arn:aws:iam::{org.member}:role/OrganizationAccountAccessRole"
    mgmt_admin = w.user(MGMT, "admin", managed=[ADMIN])
    result = w.call(STS, "AssumeRole", {"RoleArn": role, "RoleSessionName": "ops"}, mgmt_admin)
    session = result["Credentials"]["AccessKeyId"]
    assert w.call(STS, "GetCallerIdentity", {}, session)["Arn"] == (
        f"arn:aws:sts::{org.member}:assumed-role/OrganizationAccountAccessRole/ops"
    )
    assert w.decide(session, "iam:CreateUser", f"arn:aws:iam::{org.member}:user/x").allowed
    # The session lives in the member account, so the member's SCPs bind it.
    policy = new_policy(w, org.mgmt, "DenyS3", DENY_S3)
    orgs(w, org.mgmt, "AttachPolicy", PolicyId=policy, TargetId=org.ou)
    assert not w.decide(session, "s3:GetObject", OBJECT).allowed
    with pytest.raises(AccessDenied) as root_denied:
        w.call(STS, "AssumeRole", {"RoleArn": role, "RoleSessionName": "ops"}, org.mgmt)
    assert root_denied.value.message == "Roles may not be assumed by root accounts."
    member_user = w.user(org.member, "someone", managed=[ADMIN])
    with pytest.raises(AccessDenied):
        w.call(STS, "AssumeRole", {"RoleArn": role, "RoleSessionName": "x"}, member_user)


def test_policy_documents_are_checked(org: Org) -> None:
    w = org.world
    bad = scp({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"})
    with pytest.raises(AwsError) as malformed:
        new_policy(w, org.mgmt, "Bad", bad)
    assert (malformed.value.code, malformed.value.message) == (
        "MalformedPolicyDocumentException",
        "The provided policy document does not meet the requirements of the specified policy type.",
    )
    with pytest.raises(AwsError) as syntax:
        new_policy(w, org.mgmt, "Bad", "{not json")
    assert syntax.value.code == "MalformedPolicyDocumentException"
    big = scp(*({"Effect": "Deny", "Action": f"s3:GetObject{i}", "Resource": "*"} for i in range(120)))
    with pytest.raises(AwsError) as too_big:
        new_policy(w, org.mgmt, "Big", big)
    assert too_big.value.code == "ConstraintViolationException"
    new_policy(w, org.mgmt, "DenyS3", DENY_S3)
    with pytest.raises(AwsError) as dup:
        new_policy(w, org.mgmt, "DenyS3", DENY_S3)
    assert dup.value.code == "DuplicatePolicyException"


def test_attach_detach_delete_rules(org: Org) -> None:
    w = org.world
    policy = new_policy(w, org.mgmt, "DenyS3", DENY_S3)
    described = orgs(w, org.mgmt, "DescribePolicy", PolicyId=policy)["Policy"]
    assert described["Content"] == DENY_S3
    assert described["PolicySummary"]["Arn"].endswith(f"/service_control_policy/{policy}")
    orgs(w, org.mgmt, "AttachPolicy", PolicyId=policy, TargetId=org.ou)
    with pytest.raises(AwsError) as dup:
        orgs(w, org.mgmt, "AttachPolicy", PolicyId=policy, TargetId=org.ou)
    assert dup.value.code == "DuplicatePolicyAttachmentException"
    with pytest.raises(AwsError) as missing:
        orgs(w, org.mgmt, "AttachPolicy", PolicyId=policy, TargetId="ou-zzzz-zzzzzzzz")
    assert missing.value.code == "TargetNotFoundException"
    targets = orgs(w, org.mgmt, "ListTargetsForPolicy", PolicyId=policy)["Targets"]
    assert targets == [
        {
            "TargetId": org.ou,
            "Arn": targets[0]["Arn"],
            "Name": "Workloads",
            "Type": "ORGANIZATIONAL_UNIT",
        }
    ]
    with pytest.raises(AwsError) as in_use:
        orgs(w, org.mgmt, "DeletePolicy", PolicyId=policy)
    assert in_use.value.code == "PolicyInUseException"
    orgs(w, org.mgmt, "DetachPolicy", PolicyId=policy, TargetId=org.ou)
    with pytest.raises(AwsError) as not_attached:
        orgs(w, org.mgmt, "DetachPolicy", PolicyId=policy, TargetId=org.ou)
    assert not_attached.value.code == "PolicyNotAttachedException"
    updated = orgs(w, org.mgmt, "UpdatePolicy", PolicyId=policy, Name="DenyS3Everywhere")["Policy"]
    assert updated["PolicySummary"]["Name"] == "DenyS3Everywhere"
    orgs(w, org.mgmt, "DeletePolicy", PolicyId=policy)
    with pytest.raises(AwsError) as gone:
        orgs(w, org.mgmt, "DescribePolicy", PolicyId=policy)
    assert gone.value.code == "PolicyNotFoundException"
    with pytest.raises(AwsError):
        orgs(w, org.mgmt, "DeletePolicy", PolicyId="p-FullAWSAccess")


def test_rcp_type_must_be_enabled_and_then_restricts_resources(org: Org) -> None:
    w = org.world
    deny_get = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}],
        }
    )
    rcp = new_policy(w, org.mgmt, "NoReads", deny_get, "RESOURCE_CONTROL_POLICY")
    with pytest.raises(AwsError) as not_enabled:
        orgs(w, org.mgmt, "AttachPolicy", PolicyId=rcp, TargetId=org.member)
    assert not_enabled.value.code == "PolicyTypeNotEnabledException"
    orgs(w, org.mgmt, "EnablePolicyType", RootId=org.root, PolicyType="RESOURCE_CONTROL_POLICY")
    orgs(w, org.mgmt, "AttachPolicy", PolicyId=rcp, TargetId=org.member)
    with pytest.raises(AwsError) as fixed:
        orgs(w, org.mgmt, "DetachPolicy", PolicyId="p-RCPFullAWSAccess", TargetId=org.member)
    assert fixed.value.code == "ConstraintViolationException"
    member_admin = w.user(org.member, "admin", managed=[ADMIN])
    bucket = w.authz.policies.get(
        "bucket",
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}],
            }
        ),
        PolicyType.RESOURCE,
    )
    denied = w.decide(member_admin, "s3:GetObject", OBJECT, resource_policy=ResourcePolicy(bucket, org.member))
    assert denied.message.endswith("with an explicit deny in a resource control policy")
    assert w.decide(member_admin, "s3:PutObject", OBJECT, resource_policy=ResourcePolicy(bucket, org.member)).allowed
