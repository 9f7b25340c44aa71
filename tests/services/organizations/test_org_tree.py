"""The organization, its accounts and OUs, and who may call Organizations.

Pages: Organizations API Reference (``API_CreateOrganization``, ``API_CreateAccount``,
``API_CreateOrganizationalUnit``, ``API_MoveAccount``, ``API_ListChildren``, ``API_ListParents``,
``API_EnablePolicyType``, ``API_ListRoots``); Organizations User Guide
``orgs_manage_accounts_create-account``, ``orgs_manage_policies_enable-disable``.
"""

from __future__ import annotations

import re

import pytest
from org_helpers import MGMT, orgs
from sts_harness import ADMIN, World

from localiam.errors import AccessDenied, AwsError
from localiam.state import schema


@pytest.fixture
def mgmt(world: World) -> str:
    return world.account(MGMT).access_key_id


def code_of(excinfo: pytest.ExceptionInfo[AwsError]) -> str:
    return excinfo.value.code


def test_no_organization(world: World, mgmt: str) -> None:
    with pytest.raises(AwsError) as missing:
        orgs(world, mgmt, "DescribeOrganization")
    assert (missing.value.code, missing.value.message) == (
        "AWSOrganizationsNotInUseException",
        "Your account is not a member of an organization.",
    )


def test_create_organization(world: World, mgmt: str) -> None:
    org = orgs(world, mgmt, "CreateOrganization", FeatureSet="ALL")["Organization"]
    assert re.fullmatch(r"o-[a-z0-9]{10}", org["Id"])
    assert org["Arn"] == f"arn:aws:organizations::{MGMT}:organization/{org['Id']}"
    assert org["MasterAccountId"] == MGMT and org["FeatureSet"] == "ALL"
    assert org["MasterAccountArn"] == f"arn:aws:organizations::{MGMT}:account/{org['Id']}/{MGMT}"
    assert orgs(world, mgmt, "DescribeOrganization")["Organization"] == org
    (root,) = orgs(world, mgmt, "ListRoots")["Roots"]
    assert re.fullmatch(r"r-[a-z0-9]{4}", root["Id"]) and root["PolicyTypes"] == []
    assert root["Arn"] == f"arn:aws:organizations::{MGMT}:root/{org['Id']}/{root['Id']}"
    with pytest.raises(AwsError) as again:
        orgs(world, mgmt, "CreateOrganization")
    assert again.value.code == "AlreadyInOrganizationException"
    accounts = orgs(world, mgmt, "ListAccounts")["Accounts"]
    assert [a["Id"] for a in accounts] == [MGMT]


def test_iam_decides_first(world: World, mgmt: str) -> None:
    orgs(world, mgmt, "CreateOrganization")
    bare = world.user(MGMT, "bare")
    with pytest.raises(AccessDenied) as denied:
        orgs(world, bare, "ListAccounts")
    assert denied.value.code == "AccessDeniedException"
    assert denied.value.message == (
        f"User: arn:aws:iam::{MGMT}:user/bare is not authorized to perform: organizations:ListAccounts on "
        "resource: * because no identity-based policy allows the organizations:ListAccounts action"
    )
    admin = world.user(MGMT, "admin", managed=[ADMIN])
    assert orgs(world, admin, "ListAccounts")["Accounts"][0]["Id"] == MGMT


def test_create_account_and_member_restrictions(world: World, mgmt: str) -> None:
    orgs(world, mgmt, "CreateOrganization")
    status = orgs(world, mgmt, "CreateAccount", Email="dev@example.com", AccountName="dev")["CreateAccountStatus"]
    assert status["State"] == "SUCCEEDED" and re.fullmatch(r"car-[a-z0-9]{32}", status["Id"])
    member = status["AccountId"]
    described = orgs(world, mgmt, "DescribeCreateAccountStatus", CreateAccountRequestId=status["Id"])
    assert described["CreateAccountStatus"] == status
    account = orgs(world, mgmt, "DescribeAccount", AccountId=member)["Account"]
    assert account["Name"] == "dev" and account["Email"] == "dev@example.com"
    assert account["JoinedMethod"] == "CREATED" and account["Status"] == "ACTIVE"
    duplicate = orgs(world, mgmt, "CreateAccount", Email="DEV@example.com", AccountName="again")["CreateAccountStatus"]
    assert (duplicate["State"], duplicate["FailureReason"]) == ("FAILED", "EMAIL_ALREADY_EXISTS")
    listed = orgs(world, mgmt, "ListCreateAccountStatus", States=["SUCCEEDED"])["CreateAccountStatuses"]
    assert [s["Id"] for s in listed] == [status["Id"]]
    assert {a["Id"] for a in orgs(world, mgmt, "ListAccounts")["Accounts"]} == {MGMT, member}

    # A member account can describe its organization and nothing else.
    member_admin = world.user(member, "admin", managed=[ADMIN])
    assert orgs(world, member_admin, "DescribeOrganization")["Organization"]["MasterAccountId"] == MGMT
    with pytest.raises(AwsError) as denied:
        orgs(world, member_admin, "ListAccounts")
    assert (denied.value.code, denied.value.message) == (
        "AccessDeniedException",
        "You don't have permissions to access this resource.",
    )


def test_organization_account_access_role_is_created(world: World, mgmt: str) -> None:
    orgs(world, mgmt, "CreateOrganization")
    member = orgs(world, mgmt, "CreateAccount", Email="a@example.com", AccountName="a")["CreateAccountStatus"][
        "AccountId"
    ]
    with world.tx() as tx:
        role = tx.one_or_none(schema.roles.select().where(schema.roles.c.account_id == member))
        attached = list(tx.execute(schema.attachments.select().where(schema.attachments.c.account_id == member)))
    assert role.name == "OrganizationAccountAccessRole" and role.path == "/"
    assert f"arn:aws:iam::{MGMT}:root" in role.trust_policy
    assert [(a.principal_type, a.principal_key, a.policy_arn) for a in attached] == [
        ("role", "organizationaccountaccessrole", ADMIN)
    ]


def test_organizational_units(world: World, mgmt: str) -> None:
    orgs(world, mgmt, "CreateOrganization")
    root = orgs(world, mgmt, "ListRoots")["Roots"][0]["Id"]
    member = orgs(world, mgmt, "CreateAccount", Email="m@example.com", AccountName="m")["CreateAccountStatus"][
        "AccountId"
    ]
    ou = orgs(world, mgmt, "CreateOrganizationalUnit", ParentId=root, Name="Workloads")["OrganizationalUnit"]
    assert re.fullmatch(rf"ou-{root[2:]}-[a-z0-9]{{8}}", ou["Id"])
    with pytest.raises(AwsError) as dup:
        orgs(world, mgmt, "CreateOrganizationalUnit", ParentId=root, Name="Workloads")
    assert dup.value.code == "DuplicateOrganizationalUnitException"
    child = orgs(world, mgmt, "CreateOrganizationalUnit", ParentId=ou["Id"], Name="Prod")["OrganizationalUnit"]
    orgs(world, mgmt, "MoveAccount", AccountId=member, SourceParentId=root, DestinationParentId=child["Id"])
    assert orgs(world, mgmt, "ListParents", ChildId=member)["Parents"] == [
        {"Id": child["Id"], "Type": "ORGANIZATIONAL_UNIT"}
    ]
    assert orgs(world, mgmt, "ListParents", ChildId=ou["Id"])["Parents"] == [{"Id": root, "Type": "ROOT"}]
    assert orgs(world, mgmt, "ListChildren", ParentId=root, ChildType="ORGANIZATIONAL_UNIT")["Children"] == [
        {"Id": ou["Id"], "Type": "ORGANIZATIONAL_UNIT"}
    ]
    assert orgs(world, mgmt, "ListChildren", ParentId=root, ChildType="ACCOUNT")["Children"] == [
        {"Id": MGMT, "Type": "ACCOUNT"}
    ]
    assert [a["Id"] for a in orgs(world, mgmt, "ListAccountsForParent", ParentId=child["Id"])["Accounts"]] == [member]
    with pytest.raises(AwsError) as not_empty:
        orgs(world, mgmt, "DeleteOrganizationalUnit", OrganizationalUnitId=child["Id"])
    assert not_empty.value.code == "OrganizationalUnitNotEmptyException"
    with pytest.raises(AwsError) as same:
        orgs(world, mgmt, "MoveAccount", AccountId=member, SourceParentId=root, DestinationParentId=child["Id"])
    assert same.value.code == "DuplicateAccountException"
    orgs(world, mgmt, "MoveAccount", AccountId=member, SourceParentId=child["Id"], DestinationParentId=root)
    renamed = orgs(world, mgmt, "UpdateOrganizationalUnit", OrganizationalUnitId=child["Id"], Name="Production")
    assert renamed["OrganizationalUnit"]["Name"] == "Production"
    orgs(world, mgmt, "DeleteOrganizationalUnit", OrganizationalUnitId=child["Id"])
    with pytest.raises(AwsError) as gone:
        orgs(world, mgmt, "DescribeOrganizationalUnit", OrganizationalUnitId=child["Id"])
    assert gone.value.code == "OrganizationalUnitNotFoundException"
    units = orgs(world, mgmt, "ListOrganizationalUnitsForParent", ParentId=root)["OrganizationalUnits"]
    assert [u["Name"] for u in units] == ["Workloads"]


def test_enable_policy_types(world: World, mgmt: str) -> None:
    orgs(world, mgmt, "CreateOrganization")
    root = orgs(world, mgmt, "ListRoots")["Roots"][0]["Id"]
    ou = orgs(world, mgmt, "CreateOrganizationalUnit", ParentId=root, Name="Early")["OrganizationalUnit"]["Id"]
    enabled = orgs(world, mgmt, "EnablePolicyType", RootId=root, PolicyType="SERVICE_CONTROL_POLICY")["Root"]
    assert enabled["PolicyTypes"] == [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]
    with pytest.raises(AwsError) as again:
        orgs(world, mgmt, "EnablePolicyType", RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    assert again.value.code == "PolicyTypeAlreadyEnabledException"
    late = orgs(world, mgmt, "CreateOrganizationalUnit", ParentId=root, Name="Late")["OrganizationalUnit"]["Id"]
    member = orgs(world, mgmt, "CreateAccount", Email="m@example.com", AccountName="m")["CreateAccountStatus"][
        "AccountId"
    ]
    for target in (root, ou, late, member, MGMT):
        names = [
            p["Name"]
            for p in orgs(world, mgmt, "ListPoliciesForTarget", TargetId=target, Filter="SERVICE_CONTROL_POLICY")[
                "Policies"
            ]
        ]
        assert names == ["FullAWSAccess"], target
    (full,) = orgs(world, mgmt, "ListPolicies", Filter="SERVICE_CONTROL_POLICY")["Policies"]
    assert full["Id"] == "p-FullAWSAccess" and full["AwsManaged"]
    assert full["Arn"] == "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
    targets = orgs(world, mgmt, "ListTargetsForPolicy", PolicyId="p-FullAWSAccess")["Targets"]
    assert {t["Type"] for t in targets} == {"ROOT", "ORGANIZATIONAL_UNIT", "ACCOUNT"} and len(targets) == 5
    with pytest.raises(AwsError) as bad_root:
        orgs(world, mgmt, "EnablePolicyType", RootId="r-zzzz", PolicyType="SERVICE_CONTROL_POLICY")
    assert bad_root.value.code == "RootNotFoundException"
    orgs(world, mgmt, "DisablePolicyType", RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    assert orgs(world, mgmt, "ListRoots")["Roots"][0]["PolicyTypes"] == []
    assert orgs(world, mgmt, "ListTargetsForPolicy", PolicyId="p-FullAWSAccess")["Targets"] == []


def test_paging(world: World, mgmt: str) -> None:
    orgs(world, mgmt, "CreateOrganization")
    for i in range(3):
        orgs(world, mgmt, "CreateAccount", Email=f"a{i}@example.com", AccountName=f"a{i}")
    first = orgs(world, mgmt, "ListAccounts", MaxResults=2)
    assert len(first["Accounts"]) == 2 and "NextToken" in first
    second = orgs(world, mgmt, "ListAccounts", MaxResults=2, NextToken=first["NextToken"])
    assert len(second["Accounts"]) == 2 and "NextToken" not in second
