"""Users: create, read, list, rename, delete, tags; AWS's errors and wording.

Wording observed from AWS (issue reports quoting real responses): "The user with name X cannot
be found." (404), "User with name X already exists." (409), DeleteUser's "Cannot delete
entity, must delete login profile first." / "... must delete access keys first." / "... must
delete policies first." / "... must detach all policies first." / "... must remove users from
group first.", and the "1 validation error detected: Value 'V' at 'userName' failed to satisfy
constraint: ..." format.
"""

from __future__ import annotations

import datetime as dt

import pytest
from iam_helpers import allow, policy

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def test_create_and_get_user(iam):
    created = iam("CreateUser", UserName="alice", Path="/team/", Tags=[{"Key": "dept", "Value": "eng"}])["User"]
    assert created["UserName"] == "alice"
    assert created["Path"] == "/team/"
    assert created["Arn"] == f"arn:aws:iam::{iam.account_id}:user/team/alice"
    assert created["UserId"].startswith("AIDA") and len(created["UserId"]) == 21
    assert created["Tags"] == [{"Key": "dept", "Value": "eng"}]
    assert created["CreateDate"].tzinfo is dt.UTC
    got = iam("GetUser", UserName="ALICE")["User"]
    assert got["UserName"] == "alice" and got["UserId"] == created["UserId"]
    assert got["Tags"] == [{"Key": "dept", "Value": "eng"}]


def test_create_user_with_boundary(iam):
    user = iam("CreateUser", UserName="bob", PermissionsBoundary=ADMIN)["User"]
    assert user["PermissionsBoundary"] == {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": ADMIN}


def test_create_user_with_unknown_boundary(iam):
    missing = f"arn:aws:iam::{iam.account_id}:policy/nope"
    err = iam.error("CreateUser", UserName="bob", PermissionsBoundary=missing)
    assert (err.code, err.status) == ("NoSuchEntity", 404)
    assert err.message == f"Scope ARN: {missing} does not exist or is not attachable."


def test_get_user_without_name_is_the_caller(iam, as_user):
    carol = as_user("carol", allow("iam:GetUser"))
    assert carol("GetUser")["User"]["UserName"] == "carol"
    root = iam.raw("GetUser")["User"]
    assert root["Arn"] == f"arn:aws:iam::{iam.account_id}:root" and root["UserId"] == iam.account_id


def test_user_errors(iam):
    iam("CreateUser", UserName="alice")
    err = iam.error("CreateUser", UserName="Alice")
    assert (err.code, err.status, err.message) == ("EntityAlreadyExists", 409, "User with name Alice already exists.")
    err = iam.error("GetUser", UserName="nobody")
    assert (err.code, err.status, err.message) == ("NoSuchEntity", 404, "The user with name nobody cannot be found.")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"UserName": "bad name"},
            "1 validation error detected: Value 'bad name' at 'userName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [\\w+=,.@-]+",
        ),
        (
            {"UserName": "x" * 65},
            f"1 validation error detected: Value '{'x' * 65}' at 'userName' failed to satisfy constraint: "
            "Member must have length less than or equal to 64",
        ),
        (
            {"UserName": "ok", "Path": "nopath"},
            "1 validation error detected: Value 'nopath' at 'path' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
        ),
    ],
)
def test_create_user_validation(iam, params, message):
    err = iam.error("CreateUser", **params)
    assert (err.code, err.status, err.message) == ("ValidationError", 400, message)


def test_two_validation_errors_are_counted(iam):
    err = iam.error("CreateUser", UserName="a b", Path="x")
    assert err.message.startswith("2 validation errors detected: Value 'a b' at 'userName'")
    assert "; Value 'x' at 'path'" in err.message


def test_list_users_path_prefix_and_pagination(iam):
    for name, path in [("d", "/a/"), ("b", "/a/"), ("c", "/"), ("a", "/a/b/")]:
        iam("CreateUser", UserName=name, Path=path)
    listed = iam("ListUsers")
    assert [u["UserName"] for u in listed["Users"]] == ["a", "b", "c", "d"]
    assert listed["IsTruncated"] is False and "Tags" not in listed["Users"][0]
    assert [u["UserName"] for u in iam("ListUsers", PathPrefix="/a/")["Users"]] == ["a", "b", "d"]
    first = iam("ListUsers", MaxItems=3)
    assert [u["UserName"] for u in first["Users"]] == ["a", "b", "c"] and first["IsTruncated"] is True
    rest = iam("ListUsers", MaxItems=3, Marker=first["Marker"])
    assert [u["UserName"] for u in rest["Users"]] == ["d"] and rest["IsTruncated"] is False
    err = iam.error("ListUsers", MaxItems=0)
    assert err.code == "ValidationError" and "Member must have value greater than or equal to 1" in err.message


def test_update_user_renames_everything_keyed_by_name(iam):
    iam("CreateUser", UserName="old", Tags=[{"Key": "k", "Value": "v"}])
    iam("CreateGroup", GroupName="devs")
    iam("AddUserToGroup", GroupName="devs", UserName="old")
    iam("PutUserPolicy", UserName="old", PolicyName="p", PolicyDocument=policy(allow("s3:*")))
    iam("AttachUserPolicy", UserName="old", PolicyArn=ADMIN)
    key = iam("CreateAccessKey", UserName="old")["AccessKey"]["AccessKeyId"]
    iam("UpdateUser", UserName="old", NewUserName="New", NewPath="/moved/")
    assert iam.error("GetUser", UserName="old").code == "NoSuchEntity"
    user = iam("GetUser", UserName="new")["User"]
    assert user["Arn"].endswith(":user/moved/New") and user["Tags"] == [{"Key": "k", "Value": "v"}]
    assert iam("ListUserPolicies", UserName="New")["PolicyNames"] == ["p"]
    assert iam("ListAttachedUserPolicies", UserName="New")["AttachedPolicies"][0]["PolicyArn"] == ADMIN
    assert [g["GroupName"] for g in iam("ListGroupsForUser", UserName="New")["Groups"]] == ["devs"]
    assert iam("ListAccessKeys", UserName="New")["AccessKeyMetadata"][0]["AccessKeyId"] == key


def test_update_user_to_taken_name(iam):
    iam("CreateUser", UserName="a")
    iam("CreateUser", UserName="b")
    err = iam.error("UpdateUser", UserName="a", NewUserName="B")
    assert (err.code, err.message) == ("EntityAlreadyExists", "User with name B already exists.")


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (
            lambda iam: iam("CreateLoginProfile", UserName="u", Password="Secr3t!pass"),
            "must delete login profile first.",
        ),
        (lambda iam: iam("CreateAccessKey", UserName="u"), "must delete access keys first."),
        (
            lambda iam: iam("PutUserPolicy", UserName="u", PolicyName="p", PolicyDocument=policy(allow("s3:*"))),
            "must delete policies first.",
        ),
        (lambda iam: iam("AttachUserPolicy", UserName="u", PolicyArn=ADMIN), "must detach all policies first."),
        (
            lambda iam: (iam("CreateGroup", GroupName="g"), iam("AddUserToGroup", GroupName="g", UserName="u")),
            "must remove users from group first.",
        ),
    ],
)
def test_delete_user_conflicts(iam, setup, message):
    iam("CreateUser", UserName="u")
    setup(iam)
    err = iam.error("DeleteUser", UserName="u")
    assert (err.code, err.status, err.message) == ("DeleteConflict", 409, f"Cannot delete entity, {message}")


def test_delete_user(iam):
    iam("CreateUser", UserName="u", Tags=[{"Key": "a", "Value": "b"}])
    assert iam("DeleteUser", UserName="u") == {}
    assert iam.error("GetUser", UserName="u").code == "NoSuchEntity"
    iam("CreateUser", UserName="u")
    assert "Tags" not in iam("GetUser", UserName="u")["User"]


def test_user_tags(iam):
    iam("CreateUser", UserName="u")
    iam("TagUser", UserName="u", Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "1"}])
    iam("TagUser", UserName="u", Tags=[{"Key": "A", "Value": "one"}])
    assert iam("ListUserTags", UserName="u")["Tags"] == [{"Key": "A", "Value": "one"}, {"Key": "b", "Value": "2"}]
    page = iam("ListUserTags", UserName="u", MaxItems=1)
    assert page["IsTruncated"] is True and len(page["Tags"]) == 1
    iam("UntagUser", UserName="u", TagKeys=["a"])
    assert iam("ListUserTags", UserName="u")["Tags"] == [{"Key": "b", "Value": "2"}]


def test_tag_errors(iam):
    iam("CreateUser", UserName="u")
    err = iam.error("TagUser", UserName="u", Tags=[{"Key": "k", "Value": "1"}, {"Key": "K", "Value": "2"}])
    assert (err.code, err.message) == (
        "InvalidInput",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    )
    err = iam.error("TagUser", UserName="u", Tags=[{"Key": "bad#key", "Value": "1"}])
    assert err.code == "ValidationError" and "at 'tags.1.member.key'" in err.message
    assert iam.error("TagUser", UserName="ghost", Tags=[{"Key": "k", "Value": "v"}]).code == "NoSuchEntity"
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    iam("TagUser", UserName="u", Tags=tags)
    assert iam.error("TagUser", UserName="u", Tags=[{"Key": "one-more", "Value": "v"}]).code == "LimitExceeded"
