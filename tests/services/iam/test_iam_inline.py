"""Inline policies of users, groups and roles. Wording observed from AWS: "The role policy with
name X cannot be found." (and "user policy", "group policy")."""

from __future__ import annotations

import json

import pytest
from iam_helpers import allow, document, policy, trust

DOC = policy(allow("s3:ListBucket", "arn:aws:s3:::b"))


@pytest.fixture(params=["User", "Group", "Role"])
def owner(request, iam):
    title = request.param
    if title == "User":
        iam("CreateUser", UserName="o")
    elif title == "Group":
        iam("CreateGroup", GroupName="o")
    else:
        iam("CreateRole", RoleName="o", AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    return title


def test_put_get_list_delete(iam, owner):
    name = {f"{owner}Name": "o"}
    iam(f"Put{owner}Policy", **name, PolicyName="Second", PolicyDocument=DOC)
    iam(f"Put{owner}Policy", **name, PolicyName="first", PolicyDocument=DOC)
    got = iam(f"Get{owner}Policy", **name, PolicyName="FIRST")
    assert got[f"{owner}Name"] == "o" and got["PolicyName"] == "first"
    assert document(got["PolicyDocument"]) == json.loads(DOC)
    assert iam(f"List{owner}Policies", **name)["PolicyNames"] == ["first", "Second"]
    page = iam(f"List{owner}Policies", **name, MaxItems=1)
    assert page["PolicyNames"] == ["first"] and page["IsTruncated"] is True
    replaced = policy(allow("s3:*"))
    iam(f"Put{owner}Policy", **name, PolicyName="first", PolicyDocument=replaced)
    assert document(iam(f"Get{owner}Policy", **name, PolicyName="first")["PolicyDocument"]) == json.loads(replaced)
    iam(f"Delete{owner}Policy", **name, PolicyName="first")
    assert iam(f"List{owner}Policies", **name)["PolicyNames"] == ["Second"]


def test_missing_inline_policy(iam, owner):
    err = iam.error(f"Get{owner}Policy", **{f"{owner}Name": "o"}, PolicyName="nope")
    assert (err.code, err.status) == ("NoSuchEntity", 404)
    assert err.message == f"The {owner.lower()} policy with name nope cannot be found."
    err = iam.error(f"Delete{owner}Policy", **{f"{owner}Name": "o"}, PolicyName="nope")
    assert err.code == "NoSuchEntity"


def test_missing_owner(iam):
    err = iam.error("PutRolePolicy", RoleName="ghost", PolicyName="p", PolicyDocument=DOC)
    assert err.message == "The role with name ghost cannot be found."


def test_inline_documents_are_validated(iam, owner):
    err = iam.error(f"Put{owner}Policy", **{f"{owner}Name": "o"}, PolicyName="p", PolicyDocument="{")
    assert err.code == "MalformedPolicyDocument"


@pytest.mark.parametrize(("owner", "limit"), [("User", 2048), ("Group", 5120), ("Role", 10240)], indirect=["owner"])
def test_inline_size_limits(iam, owner, limit):
    """IAM counts characters without white space; over the limit is LimitExceeded (409):
    "Maximum policy size of 10240 bytes exceeded for role NAME"."""

    def sized(n: int) -> str:
        doc = policy(allow("s3:GetObject", "arn:aws:s3:::b/"))
        return doc.replace("b/", "b/" + "x" * (n - len(doc.replace(" ", ""))))

    name = {f"{owner}Name": "o"}
    iam(f"Put{owner}Policy", **name, PolicyName="p", PolicyDocument=sized(limit))
    err = iam.error(f"Put{owner}Policy", **name, PolicyName="p", PolicyDocument=sized(limit + 1))
    assert (err.code, err.status) == ("LimitExceeded", 409)
    assert err.message == f"Maximum policy size of {limit} bytes exceeded for {owner.lower()} o"
