"""Every IAM operation is authorized before it runs, with the action, resource ARN and
condition keys the Service Authorization Reference gives it, and denials carry AWS's message
(IAM User Guide ``troubleshoot_access-denied``)."""

from __future__ import annotations

import pytest
from iam_helpers import allow, deny, policy

from localiam.errors import AccessDenied


def _denied(client, operation, **params) -> AccessDenied:
    with pytest.raises(AccessDenied) as info:
        client(operation, **params)
    return info.value


def test_user_without_permission_is_denied(iam, as_user):
    alice = as_user("alice")
    err = _denied(alice, "CreateUser", UserName="bob")
    assert (err.code, err.status) == ("AccessDenied", 403)
    assert err.message == (
        f"User: arn:aws:iam::{iam.account_id}:user/alice is not authorized to perform: iam:CreateUser on resource: "
        f"arn:aws:iam::{iam.account_id}:user/bob because no identity-based policy allows the iam:CreateUser action"
    )
    assert iam.error("GetUser", UserName="bob").code == "NoSuchEntity"  # nothing was created


def test_identity_policy_allows(iam, as_user):
    alice = as_user("alice", allow("iam:CreateUser"))
    assert alice("CreateUser", UserName="bob")["User"]["UserName"] == "bob"


def test_boundary_caps_the_identity_policy(iam, as_user):
    alice = as_user("alice", allow("iam:*"), boundary="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    err = _denied(alice, "CreateUser", UserName="bob")
    assert err.message.endswith("because no permissions boundary allows the iam:CreateUser action")


def test_explicit_deny(iam, as_user):
    alice = as_user("alice", allow("iam:*"), deny("iam:DeleteRole"))
    err = _denied(alice, "DeleteRole", RoleName="anything")
    assert err.message == (
        f"User: arn:aws:iam::{iam.account_id}:user/alice is not authorized to perform: iam:DeleteRole on resource: "
        f"arn:aws:iam::{iam.account_id}:role/anything with an explicit deny in an identity-based policy"
    )


def test_resource_arn_carries_the_path(iam, as_user):
    alice = as_user("alice", allow("iam:CreateUser", f"arn:aws:iam::{iam.account_id}:user/team/*"))
    alice("CreateUser", UserName="bob", Path="/team/")
    err = _denied(alice, "CreateUser", UserName="carol")
    assert f"on resource: arn:aws:iam::{iam.account_id}:user/carol " in err.message


def test_group_policies_apply(iam, as_user):
    alice = as_user("alice")
    iam("CreateGroup", GroupName="admins")
    iam("AddUserToGroup", GroupName="admins", UserName="alice")
    iam("AttachGroupPolicy", GroupName="admins", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    assert alice("ListUsers")["Users"]
    _denied(alice, "CreateGroup", GroupName="x")


def test_permissions_boundary_condition_key(iam, as_user):
    """The delegation pattern of ``access_policies_boundaries``: create users only with a given
    boundary (``iam:PermissionsBoundary``)."""
    boundary = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    alice = as_user(
        "alice",
        allow(
            ["iam:CreateUser", "iam:PutUserPermissionsBoundary"],
            Condition={"StringEquals": {"iam:PermissionsBoundary": boundary}},
        ),
    )
    _denied(alice, "CreateUser", UserName="free")
    assert alice("CreateUser", UserName="bounded", PermissionsBoundary=boundary)["User"]["PermissionsBoundary"]
    _denied(
        alice,
        "PutUserPermissionsBoundary",
        UserName="bounded",
        PermissionsBoundary="arn:aws:iam::aws:policy/AdministratorAccess",
    )


def test_policy_arn_condition_key(iam, as_user):
    allowed = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    alice = as_user("alice", allow("iam:AttachRolePolicy", Condition={"ArnEquals": {"iam:PolicyARN": allowed}}))
    iam(
        "CreateRole",
        RoleName="r",
        AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
    )
    alice("AttachRolePolicy", RoleName="r", PolicyArn=allowed)
    _denied(alice, "AttachRolePolicy", RoleName="r", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")


def test_request_tag_condition_keys(iam, as_user):
    alice = as_user(
        "alice",
        allow(["iam:CreateUser", "iam:TagUser"], Condition={"StringEquals": {"aws:RequestTag/team": "blue"}}),
        deny("iam:TagUser", Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["admin"]}}),
    )
    _denied(alice, "CreateUser", UserName="u1")
    alice("CreateUser", UserName="u2", Tags=[{"Key": "team", "Value": "blue"}])
    _denied(alice, "TagUser", UserName="u2", Tags=[{"Key": "team", "Value": "blue"}, {"Key": "admin", "Value": "1"}])


def test_resource_tag_condition_keys(iam, as_user):
    alice = as_user(
        "alice",
        allow(["iam:GetUser", "iam:GetRole"], Condition={"StringEquals": {"aws:ResourceTag/team": "blue"}}),
    )
    iam("CreateUser", UserName="blue", Tags=[{"Key": "team", "Value": "blue"}])
    iam("CreateUser", UserName="red", Tags=[{"Key": "team", "Value": "red"}])
    assert alice("GetUser", UserName="blue")["User"]["UserName"] == "blue"
    _denied(alice, "GetUser", UserName="red")
    bob = as_user("bob", allow("iam:GetUser", Condition={"StringEquals": {"iam:ResourceTag/team": "blue"}}))
    bob("GetUser", UserName="blue")
    _denied(bob, "GetUser", UserName="red")


def test_rename_needs_permission_on_the_new_name(iam, as_user):
    acct = iam.account_id
    alice = as_user("alice", allow("iam:UpdateUser", f"arn:aws:iam::{acct}:user/old"))
    iam("CreateUser", UserName="old")
    err = _denied(alice, "UpdateUser", UserName="old", NewUserName="new")
    assert f"on resource: arn:aws:iam::{acct}:user/new " in err.message


def test_policy_changes_take_effect_on_the_next_request(iam, as_user):
    alice = as_user("alice")
    _denied(alice, "ListRoles")
    iam("PutUserPolicy", UserName="alice", PolicyName="more", PolicyDocument=policy(allow("iam:ListRoles")))
    assert alice("ListRoles") == {"Roles": [], "IsTruncated": False}


def test_versions_bump_on_every_write(iam):
    with iam.store.read() as tx:
        before = iam.store.versions(tx)[iam.account_id]
    iam("CreateUser", UserName="u")
    iam("TagUser", UserName="u", Tags=[{"Key": "a", "Value": "b"}])
    iam("GetUser", UserName="u")
    with iam.store.read() as tx:
        assert iam.store.versions(tx)[iam.account_id] == before + 2


def test_malformed_requests_fail_validation_before_authorization(iam, as_user):
    """AWS answers ValidationError for a malformed request whatever the caller may do."""
    alice = as_user("alice")
    err = alice.error("CreateUser", UserName="not valid")
    assert err.code == "ValidationError"
    err = alice.error("GetPolicy", PolicyArn="short")
    assert err.code == "ValidationError" and "at 'policyArn'" in err.message


def test_root_credentials(iam):
    key = iam.raw("CreateAccessKey")["AccessKey"]
    assert "UserName" not in key and key["AccessKeyId"].startswith("AKIA")
    assert iam.error("CreateAccessKey").message == "Cannot exceed quota for AccessKeysPerUser: 2"
    assert iam.error("GetLoginProfile").code == "NoSuchEntity"
