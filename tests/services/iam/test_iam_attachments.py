"""Attached managed policies and permissions boundaries. Wording observed from AWS: "Policy ARN
does not exist or is not attachable." (404), "Scope ARN: ARN does not exist or is not
attachable." (404), "Cannot exceed quota for PoliciesPerRole: 10" (LimitExceeded, 409)."""

from __future__ import annotations

import pytest
from iam_helpers import allow, policy, trust

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


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


def test_attach_list_detach(iam, owner):
    name = {f"{owner}Name": "o"}
    local = iam("CreatePolicy", PolicyName="mine", Path="/team/", PolicyDocument=policy(allow("s3:*")))["Policy"]["Arn"]
    iam(f"Attach{owner}Policy", **name, PolicyArn=ADMIN)
    iam(f"Attach{owner}Policy", **name, PolicyArn=local)
    iam(f"Attach{owner}Policy", **name, PolicyArn=local)  # twice is fine
    attached = iam(f"ListAttached{owner}Policies", **name)["AttachedPolicies"]
    assert attached == [
        {"PolicyName": "AdministratorAccess", "PolicyArn": ADMIN},
        {"PolicyName": "mine", "PolicyArn": local},
    ]
    assert iam(f"ListAttached{owner}Policies", **name, PathPrefix="/team/")["AttachedPolicies"] == attached[1:]
    assert iam("GetPolicy", PolicyArn=local)["Policy"]["AttachmentCount"] == 1
    iam(f"Detach{owner}Policy", **name, PolicyArn=ADMIN)
    assert iam(f"ListAttached{owner}Policies", **name)["AttachedPolicies"] == attached[1:]


def test_attach_errors(iam, owner):
    name = {f"{owner}Name": "o"}
    unknown = "arn:aws:iam::aws:policy/AWSLambdaFullAccess"
    err = iam.error(f"Attach{owner}Policy", **name, PolicyArn=unknown)
    assert (err.code, err.status, err.message) == (
        "NoSuchEntity",
        404,
        f"Policy {unknown} does not exist or is not attachable.",
    )
    err = iam.error(f"Detach{owner}Policy", **name, PolicyArn=ADMIN)
    assert (err.code, err.message) == ("NoSuchEntity", f"Policy {ADMIN} was not found.")
    err = iam.error(f"Attach{owner}Policy", **{f"{owner}Name": "ghost"}, PolicyArn=ADMIN)
    assert err.message == f"The {owner.lower()} with name ghost cannot be found."


def test_attached_policies_quota(iam, owner):
    name = {f"{owner}Name": "o"}
    for i in range(10):
        arn = iam("CreatePolicy", PolicyName=f"p{i}", PolicyDocument=policy(allow("s3:*")))["Policy"]["Arn"]
        iam(f"Attach{owner}Policy", **name, PolicyArn=arn)
    err = iam.error(f"Attach{owner}Policy", **name, PolicyArn=ADMIN)
    assert (err.code, err.status, err.message) == (
        "LimitExceeded",
        409,
        f"Cannot exceed quota for PoliciesPer{owner}: 10",
    )


@pytest.mark.parametrize("kind", ["User", "Role"])
def test_permissions_boundary(iam, kind):
    if kind == "User":
        iam("CreateUser", UserName="o")
    else:
        iam("CreateRole", RoleName="o", AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    name = {f"{kind}Name": "o"}
    iam(f"Put{kind}PermissionsBoundary", **name, PermissionsBoundary=S3_READ)
    got = iam(f"Get{kind}", **name)[kind]
    assert got["PermissionsBoundary"] == {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": S3_READ}
    assert iam("GetPolicy", PolicyArn=S3_READ)["Policy"]["PermissionsBoundaryUsageCount"] == 1
    assert [p["PolicyName"] for p in iam("ListPolicies", PolicyUsageFilter="PermissionsBoundary")["Policies"]] == [
        "AmazonS3ReadOnlyAccess"
    ]
    iam(f"Delete{kind}PermissionsBoundary", **name)
    assert "PermissionsBoundary" not in iam(f"Get{kind}", **name)[kind]
    missing = f"arn:aws:iam::{iam.account_id}:policy/nope"
    err = iam.error(f"Put{kind}PermissionsBoundary", **name, PermissionsBoundary=missing)
    assert (err.code, err.status, err.message) == (
        "NoSuchEntity",
        404,
        f"Scope ARN: {missing} does not exist or is not attachable.",
    )
