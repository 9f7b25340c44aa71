"""Roles. Wording observed from AWS: "Role with name X already exists." (409), "The role with
name X cannot be found." (404), DeleteRole's "Cannot delete entity, must delete policies
first." and "... must detach all policies first.", and "Member must have length less than or
equal to 64" for long role names."""

from __future__ import annotations

import json

import pytest
from iam_helpers import allow, document, policy, trust

LAMBDA_TRUST = trust({"Service": "lambda.amazonaws.com"})


def test_create_and_get_role(iam):
    role = iam(
        "CreateRole",
        RoleName="runner",
        Path="/service/",
        AssumeRolePolicyDocument=LAMBDA_TRUST,
        Description="runs things",
        MaxSessionDuration=7200,
        Tags=[{"Key": "team", "Value": "ci"}],
    )["Role"]
    assert role["Arn"] == f"arn:aws:iam::{iam.account_id}:role/service/runner"
    assert role["RoleId"].startswith("AROA")
    assert role["MaxSessionDuration"] == 7200 and role["Description"] == "runs things"
    assert document(role["AssumeRolePolicyDocument"]) == json.loads(LAMBDA_TRUST)
    assert "%7B%22Version%22" in role["AssumeRolePolicyDocument"]
    got = iam("GetRole", RoleName="RUNNER")["Role"]
    assert got["RoleName"] == "runner" and got["Tags"] == [{"Key": "team", "Value": "ci"}]
    assert got["RoleLastUsed"] == {}


def test_list_roles_leaves_out_tags_and_last_used(iam):
    iam("CreateRole", RoleName="b", AssumeRolePolicyDocument=LAMBDA_TRUST, Tags=[{"Key": "k", "Value": "v"}])
    iam("CreateRole", RoleName="a", AssumeRolePolicyDocument=LAMBDA_TRUST, Path="/p/")
    roles = iam("ListRoles")["Roles"]
    assert [r["RoleName"] for r in roles] == ["a", "b"]
    assert all("Tags" not in r and "RoleLastUsed" not in r for r in roles)
    assert roles[0]["MaxSessionDuration"] == 3600
    assert [r["RoleName"] for r in iam("ListRoles", PathPrefix="/p/")["Roles"]] == ["a"]


def test_update_role(iam):
    iam("CreateRole", RoleName="r", AssumeRolePolicyDocument=LAMBDA_TRUST)
    assert iam("UpdateRole", RoleName="r", Description="new", MaxSessionDuration=43200) == {}
    role = iam("GetRole", RoleName="r")["Role"]
    assert (role["Description"], role["MaxSessionDuration"]) == ("new", 43200)
    assert iam("UpdateRoleDescription", RoleName="r", Description="newer")["Role"]["Description"] == "newer"
    err = iam.error("UpdateRole", RoleName="r", MaxSessionDuration=43201)
    assert err.message == (
        "1 validation error detected: Value '43201' at 'maxSessionDuration' failed to satisfy constraint: "
        "Member must have value less than or equal to 43200"
    )


@pytest.mark.parametrize("duration", [3599, 43201])
def test_max_session_duration_bounds(iam, duration):
    err = iam.error("CreateRole", RoleName="r", AssumeRolePolicyDocument=LAMBDA_TRUST, MaxSessionDuration=duration)
    assert err.code == "ValidationError" and "at 'maxSessionDuration'" in err.message


def test_update_assume_role_policy(iam):
    iam("CreateRole", RoleName="r", AssumeRolePolicyDocument=LAMBDA_TRUST)
    new = trust({"AWS": f"arn:aws:iam::{iam.account_id}:root"})
    iam("UpdateAssumeRolePolicy", RoleName="r", PolicyDocument=new)
    assert document(iam("GetRole", RoleName="r")["Role"]["AssumeRolePolicyDocument"]) == json.loads(new)
    bad = policy(allow("s3:*"))
    err = iam.error("UpdateAssumeRolePolicy", RoleName="r", PolicyDocument=bad)
    assert (err.code, err.status) == ("MalformedPolicyDocument", 400)


def test_trust_policy_is_validated_as_trust_policy(iam):
    err = iam.error("CreateRole", RoleName="r", AssumeRolePolicyDocument=policy(allow("sts:AssumeRole")))
    assert err.code == "MalformedPolicyDocument"
    err = iam.error("CreateRole", RoleName="r", AssumeRolePolicyDocument="{not json")
    assert err.code == "MalformedPolicyDocument" and err.message.startswith("Syntax errors in policy.")


def test_role_errors(iam):
    iam("CreateRole", RoleName="r", AssumeRolePolicyDocument=LAMBDA_TRUST)
    err = iam.error("CreateRole", RoleName="R", AssumeRolePolicyDocument=LAMBDA_TRUST)
    assert (err.code, err.status, err.message) == ("EntityAlreadyExists", 409, "Role with name R already exists.")
    err = iam.error("GetRole", RoleName="k8sAdmin")
    assert (err.code, err.status, err.message) == ("NoSuchEntity", 404, "The role with name k8sAdmin cannot be found.")
    long_name = "r" * 65
    err = iam.error("CreateRole", RoleName=long_name, AssumeRolePolicyDocument=LAMBDA_TRUST)
    assert err.message == (
        f"1 validation error detected: Value '{long_name}' at 'roleName' failed to satisfy constraint: "
        "Member must have length less than or equal to 64"
    )


def test_delete_role_conflicts(iam):
    iam("CreateRole", RoleName="r", AssumeRolePolicyDocument=LAMBDA_TRUST, Tags=[{"Key": "a", "Value": "b"}])
    iam("PutRolePolicy", RoleName="r", PolicyName="p", PolicyDocument=policy(allow("s3:*")))
    err = iam.error("DeleteRole", RoleName="r")
    assert (err.code, err.status, err.message) == (
        "DeleteConflict",
        409,
        "Cannot delete entity, must delete policies first.",
    )
    iam("DeleteRolePolicy", RoleName="r", PolicyName="p")
    iam("AttachRolePolicy", RoleName="r", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaRole")
    assert iam.error("DeleteRole", RoleName="r").message == "Cannot delete entity, must detach all policies first."
    iam("DetachRolePolicy", RoleName="r", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaRole")
    assert iam("DeleteRole", RoleName="r") == {}
    assert iam("ListRoles")["Roles"] == []


def test_role_tags(iam):
    iam("CreateRole", RoleName="r", AssumeRolePolicyDocument=LAMBDA_TRUST)
    iam("TagRole", RoleName="r", Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "a"}])
    iam("UntagRole", RoleName="r", TagKeys=["TEAM"])
    assert iam("ListRoleTags", RoleName="r")["Tags"] == [{"Key": "env", "Value": "prod"}]
    assert iam.error("ListRoleTags", RoleName="ghost").code == "NoSuchEntity"


def test_deleting_a_role_ends_its_sessions(iam):
    """Sessions name their role by id: a role created again under the same name must not
    revive them."""
    from localiam.state import iam_store, schema

    role = iam("CreateRole", RoleName="r", AssumeRolePolicyDocument=LAMBDA_TRUST)["Role"]
    with iam.store.write() as tx:
        iam_store.add(
            tx,
            schema.sessions,
            access_key_id="ASIAEXAMPLEEXAMPLE01",
            secret="s",
            session_token="t",
            account_id=iam.account_id,
            kind="assumed-role",
            arn=f"arn:aws:sts::{iam.account_id}:assumed-role/r/s",
            role_arn=role["Arn"],
            role_id=role["RoleId"],
            session_name="s",
            issued_at=0.0,
            expires_at=4102444800.0,
        )
    iam("DeleteRole", RoleName="r")
    with iam.store.read() as tx:
        assert iam_store.count(tx, schema.sessions, role_id=role["RoleId"]) == 0
