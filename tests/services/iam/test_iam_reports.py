"""ListEntitiesForPolicy and GetAccountAuthorizationDetails."""

from __future__ import annotations

import json

from iam_helpers import allow, document, policy, trust

S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


def _world(iam):
    arn = iam("CreatePolicy", PolicyName="mine", PolicyDocument=policy(allow("s3:*")))["Policy"]["Arn"]
    iam("CreateUser", UserName="alice", Path="/eng/")
    iam("CreateUser", UserName="bob", PermissionsBoundary=arn)
    iam("CreateGroup", GroupName="devs")
    iam("AddUserToGroup", GroupName="devs", UserName="alice")
    iam("CreateRole", RoleName="runner", AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    for kind, name in (("User", "alice"), ("Group", "devs"), ("Role", "runner")):
        iam(f"Attach{kind}Policy", **{f"{kind}Name": name}, PolicyArn=arn)
    iam("AttachRolePolicy", RoleName="runner", PolicyArn=S3_READ)
    iam("PutUserPolicy", UserName="alice", PolicyName="inline", PolicyDocument=policy(allow("sqs:*")))
    return arn


def test_list_entities_for_policy(iam):
    arn = _world(iam)
    out = iam("ListEntitiesForPolicy", PolicyArn=arn)
    assert [g["GroupName"] for g in out["PolicyGroups"]] == ["devs"]
    assert [u["UserName"] for u in out["PolicyUsers"]] == ["alice", "bob"]
    assert [r["RoleName"] for r in out["PolicyRoles"]] == ["runner"]
    assert out["PolicyUsers"][0]["UserId"].startswith("AIDA")
    only = iam("ListEntitiesForPolicy", PolicyArn=arn, PolicyUsageFilter="PermissionsBoundary")
    assert [u["UserName"] for u in only["PolicyUsers"]] == ["bob"] and only["PolicyGroups"] == []
    users = iam("ListEntitiesForPolicy", PolicyArn=arn, EntityFilter="User", PathPrefix="/eng/")
    assert [u["UserName"] for u in users["PolicyUsers"]] == ["alice"] and users["PolicyRoles"] == []
    page = iam("ListEntitiesForPolicy", PolicyArn=arn, MaxItems=2)
    assert page["IsTruncated"] and len(page["PolicyGroups"]) + len(page["PolicyUsers"]) == 2
    rest = iam("ListEntitiesForPolicy", PolicyArn=arn, MaxItems=2, Marker=page["Marker"])
    assert [u["UserName"] for u in rest["PolicyUsers"]] == ["bob"] and len(rest["PolicyRoles"]) == 1
    missing = f"arn:aws:iam::{iam.account_id}:policy/none"
    assert iam.error("ListEntitiesForPolicy", PolicyArn=missing).message == f"Policy {missing} was not found."


def test_get_account_authorization_details(iam):
    arn = _world(iam)
    out = iam("GetAccountAuthorizationDetails")
    users = {u["UserName"]: u for u in out["UserDetailList"]}
    assert users["alice"]["GroupList"] == ["devs"]
    assert users["alice"]["AttachedManagedPolicies"] == [{"PolicyName": "mine", "PolicyArn": arn}]
    assert document(users["alice"]["UserPolicyList"][0]["PolicyDocument"]) == json.loads(policy(allow("sqs:*")))
    assert users["bob"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == arn
    role = out["RoleDetailList"][0]
    assert role["RoleName"] == "runner" and role["InstanceProfileList"] == []
    assert document(role["AssumeRolePolicyDocument"])["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert [p["Arn"] for p in out["Policies"]] == [S3_READ, arn]  # only AWS managed policies in use
    mine = out["Policies"][1]
    assert mine["AttachmentCount"] == 3 and mine["PermissionsBoundaryUsageCount"] == 1
    assert [v["VersionId"] for v in mine["PolicyVersionList"]] == ["v1"]
    only = iam("GetAccountAuthorizationDetails", Filter=["Role", "LocalManagedPolicy"])
    assert only["UserDetailList"] == [] and [p["PolicyName"] for p in only["Policies"]] == ["mine"]
    page = iam("GetAccountAuthorizationDetails", MaxItems=2)
    assert page["IsTruncated"] is True and len(page["UserDetailList"]) == 2
    err = iam.error("GetAccountAuthorizationDetails", Filter=["Users"])
    assert err.code == "ValidationError"
