"""Groups and memberships. Wording observed from AWS: "Cannot delete entity, must remove users
from group first." (409), "Group with name X already exists.", "The group with name X cannot be
found." (404)."""

from __future__ import annotations

from iam_helpers import allow, policy


def test_group_lifecycle(iam):
    group = iam("CreateGroup", GroupName="devs", Path="/eng/")["Group"]
    assert group["Arn"] == f"arn:aws:iam::{iam.account_id}:group/eng/devs"
    assert group["GroupId"].startswith("AGPA") and len(group["GroupId"]) == 21
    for name in ("zed", "amy"):
        iam("CreateUser", UserName=name)
        iam("AddUserToGroup", GroupName="devs", UserName=name)
    iam("AddUserToGroup", GroupName="devs", UserName="amy")  # twice is fine
    got = iam("GetGroup", GroupName="DEVS")
    assert got["Group"]["GroupName"] == "devs"
    assert [u["UserName"] for u in got["Users"]] == ["amy", "zed"]
    page = iam("GetGroup", GroupName="devs", MaxItems=1)
    assert page["IsTruncated"] is True and [u["UserName"] for u in page["Users"]] == ["amy"]
    assert [g["GroupName"] for g in iam("ListGroupsForUser", UserName="amy")["Groups"]] == ["devs"]
    iam("RemoveUserFromGroup", GroupName="devs", UserName="amy")
    assert iam("ListGroupsForUser", UserName="amy")["Groups"] == []


def test_list_groups(iam):
    iam("CreateGroup", GroupName="b")
    iam("CreateGroup", GroupName="a", Path="/x/")
    assert [g["GroupName"] for g in iam("ListGroups")["Groups"]] == ["a", "b"]
    assert [g["GroupName"] for g in iam("ListGroups", PathPrefix="/x")["Groups"]] == ["a"]


def test_group_errors(iam):
    iam("CreateGroup", GroupName="devs")
    err = iam.error("CreateGroup", GroupName="Devs")
    assert (err.code, err.status, err.message) == ("EntityAlreadyExists", 409, "Group with name Devs already exists.")
    err = iam.error("GetGroup", GroupName="ops")
    assert (err.code, err.status, err.message) == ("NoSuchEntity", 404, "The group with name ops cannot be found.")
    err = iam.error("AddUserToGroup", GroupName="devs", UserName="ghost")
    assert err.message == "The user with name ghost cannot be found."


def test_delete_group_conflicts(iam):
    iam("CreateGroup", GroupName="g")
    iam("CreateUser", UserName="u")
    iam("AddUserToGroup", GroupName="g", UserName="u")
    err = iam.error("DeleteGroup", GroupName="g")
    assert (err.code, err.status, err.message) == (
        "DeleteConflict",
        409,
        "Cannot delete entity, must remove users from group first.",
    )
    iam("RemoveUserFromGroup", GroupName="g", UserName="u")
    iam("PutGroupPolicy", GroupName="g", PolicyName="p", PolicyDocument=policy(allow("s3:*")))
    assert iam.error("DeleteGroup", GroupName="g").message == "Cannot delete entity, must delete policies first."
    iam("DeleteGroupPolicy", GroupName="g", PolicyName="p")
    iam("AttachGroupPolicy", GroupName="g", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    assert iam.error("DeleteGroup", GroupName="g").message == "Cannot delete entity, must detach all policies first."
    iam("DetachGroupPolicy", GroupName="g", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    assert iam("DeleteGroup", GroupName="g") == {}
    assert iam("ListGroups")["Groups"] == []


def test_groups_per_user_quota(iam):
    iam("CreateUser", UserName="u")
    for i in range(10):
        iam("CreateGroup", GroupName=f"g{i}")
        iam("AddUserToGroup", GroupName=f"g{i}", UserName="u")
    iam("CreateGroup", GroupName="g10")
    err = iam.error("AddUserToGroup", GroupName="g10", UserName="u")
    assert (err.code, err.status, err.message) == ("LimitExceeded", 409, "Cannot exceed quota for GroupsPerUser: 10")
