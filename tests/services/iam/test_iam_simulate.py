"""The policy simulator answers with the engine, in AWS's result shape.

The two ``simulate-custom-policy`` examples of the AWS CLI reference (shipped with awscli as
``examples/iam/simulate-custom-policy.rst``) are reproduced exactly, positions included.
"""

from __future__ import annotations

import json

from iam_helpers import allow, deny, policy

CLI_EXAMPLE = (
    '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*",'
    '"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}'
)


def _at(time: str) -> list[dict]:
    return [{"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": [time], "ContextKeyType": "date"}]


def test_cli_example_allowed(iam):
    out = iam(
        "SimulateCustomPolicy",
        PolicyInputList=[CLI_EXAMPLE],
        ActionNames=["dynamodb:CreateBackup"],
        ContextEntries=_at("2019-04-25T11:00:00Z"),
    )
    assert out["EvaluationResults"] == [
        {
            "EvalActionName": "dynamodb:CreateBackup",
            "EvalResourceName": "*",
            "EvalDecision": "allowed",
            "MatchedStatements": [
                {
                    "SourcePolicyId": "PolicyInputList.1",
                    "StartPosition": {"Line": 1, "Column": 38},
                    "EndPosition": {"Line": 1, "Column": 167},
                }
            ],
            "MissingContextValues": [],
        }
    ]
    assert out["IsTruncated"] is False


def test_cli_example_denied(iam):
    out = iam(
        "SimulateCustomPolicy",
        PolicyInputList=[CLI_EXAMPLE],
        ActionNames=["dynamodb:CreateBackup"],
        ContextEntries=_at("2014-04-25T11:00:00Z"),
    )
    result = out["EvaluationResults"][0]
    assert (result["EvalDecision"], result["MatchedStatements"], result["MissingContextValues"]) == (
        "implicitDeny",
        [],
        [],
    )


def test_missing_context_values(iam):
    tagged = policy(allow("s3:GetObject", condition={"StringEquals": {"s3:ExistingObjectTag/team": "x"}}))
    tagged = tagged.replace('"condition"', '"Condition"')
    result = iam("SimulateCustomPolicy", PolicyInputList=[tagged], ActionNames=["s3:GetObject"])["EvaluationResults"][0]
    assert result["MissingContextValues"] == ["s3:ExistingObjectTag/team"]


def test_multi_line_positions_and_explicit_deny(iam):
    doc = json.dumps({"Version": "2012-10-17", "Statement": [allow("s3:*"), deny("s3:DeleteBucket")]}, indent=4)
    out = iam("SimulateCustomPolicy", PolicyInputList=[doc], ActionNames=["s3:DeleteBucket", "s3:ListBucket"])
    deleted, listed = out["EvaluationResults"]
    assert deleted["EvalDecision"] == "explicitDeny" and listed["EvalDecision"] == "allowed"
    lines = doc.splitlines()
    start, end = deleted["MatchedStatements"][0]["StartPosition"], deleted["MatchedStatements"][0]["EndPosition"]
    assert lines[start["Line"] - 1][start["Column"] - 2] == "{"
    assert lines[end["Line"] - 1][end["Column"] - 2] == "}"
    assert '"s3:DeleteBucket"' in "\n".join(lines[start["Line"] - 1 : end["Line"]])
    page = iam(
        "SimulateCustomPolicy", PolicyInputList=[doc], ActionNames=["s3:DeleteBucket", "s3:ListBucket"], MaxItems=1
    )
    assert page["IsTruncated"] is True and len(page["EvaluationResults"]) == 1


def test_boundary_and_resource_specific_results(iam):
    out = iam(
        "SimulateCustomPolicy",
        PolicyInputList=[policy(allow("*"))],
        PermissionsBoundaryPolicyInputList=[policy(allow("s3:GetObject"))],
        ActionNames=["s3:GetObject", "s3:PutObject"],
        ResourceArns=["arn:aws:s3:::bucket/key"],
    )
    got, put = out["EvaluationResults"]
    assert got["EvalDecision"] == "allowed" and got["PermissionsBoundaryDecisionDetail"] == {
        "AllowedByPermissionsBoundary": True
    }
    assert put["EvalDecision"] == "implicitDeny" and put["PermissionsBoundaryDecisionDetail"] == {
        "AllowedByPermissionsBoundary": False
    }
    assert put["ResourceSpecificResults"] == [
        {
            "EvalResourceName": "arn:aws:s3:::bucket/key",
            "EvalResourceDecision": "implicitDeny",
            "MatchedStatements": [],
            "MissingContextValues": [],
            "PermissionsBoundaryDecisionDetail": {"AllowedByPermissionsBoundary": False},
        }
    ]
    sources = {m["SourcePolicyId"] for m in got["MatchedStatements"]}
    assert sources == {"PolicyInputList.1", "PermissionsBoundaryPolicyInputList.1"}


def test_resource_policy_and_caller(iam):
    bucket_policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{iam.account_id}:user/bob"},
                    "Action": "s3:GetObject",
                    "Resource": "*",
                }
            ],
        }
    )
    out = iam(
        "SimulateCustomPolicy",
        PolicyInputList=[policy(allow("sqs:*"))],
        ActionNames=["s3:GetObject"],
        ResourceArns=["arn:aws:s3:::b/k"],
        ResourcePolicy=bucket_policy,
        CallerArn=f"arn:aws:iam::{iam.account_id}:user/bob",
    )
    result = out["EvaluationResults"][0]
    assert result["EvalDecision"] == "allowed"
    assert result["MatchedStatements"][0]["SourcePolicyId"] == "ResourcePolicy"
    assert result["MatchedStatements"][0]["SourcePolicyType"] == "resource"


def test_simulate_principal_policy(iam):
    iam("CreateUser", UserName="alice")
    iam("PutUserPolicy", UserName="alice", PolicyName="own", PolicyDocument=policy(allow("s3:*")))
    iam("CreateGroup", GroupName="devs")
    iam("AddUserToGroup", GroupName="devs", UserName="alice")
    iam("PutGroupPolicy", GroupName="devs", PolicyName="no-delete", PolicyDocument=policy(deny("s3:DeleteBucket")))
    iam("AttachUserPolicy", UserName="alice", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    user_arn = f"arn:aws:iam::{iam.account_id}:user/alice"
    out = iam(
        "SimulatePrincipalPolicy",
        PolicySourceArn=user_arn,
        ActionNames=["s3:GetObject", "s3:DeleteBucket", "iam:GetUser", "ec2:RunInstances"],
    )
    decisions = {r["EvalActionName"]: r for r in out["EvaluationResults"]}
    assert decisions["s3:GetObject"]["MatchedStatements"][0]["SourcePolicyId"] == "own"
    assert decisions["s3:GetObject"]["MatchedStatements"][0]["SourcePolicyType"] == "user"
    assert decisions["s3:DeleteBucket"]["EvalDecision"] == "explicitDeny"
    assert decisions["s3:DeleteBucket"]["MatchedStatements"][0]["SourcePolicyType"] == "group"
    assert decisions["iam:GetUser"]["MatchedStatements"][0]["SourcePolicyType"] == "aws-managed"
    assert decisions["ec2:RunInstances"]["EvalDecision"] == "implicitDeny"
    extra = iam(
        "SimulatePrincipalPolicy",
        PolicySourceArn=user_arn,
        ActionNames=["ec2:RunInstances"],
        PolicyInputList=[policy(allow("ec2:*"))],
    )
    assert extra["EvaluationResults"][0]["EvalDecision"] == "allowed"
    iam("PutUserPermissionsBoundary", UserName="alice", PermissionsBoundary="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    capped = iam("SimulatePrincipalPolicy", PolicySourceArn=user_arn, ActionNames=["s3:GetObject"])[
        "EvaluationResults"
    ][0]
    assert capped["EvalDecision"] == "implicitDeny"
    assert capped["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}


def test_simulate_principal_policy_for_role_and_errors(iam):
    iam(
        "CreateRole",
        RoleName="r",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )
    iam("PutRolePolicy", RoleName="r", PolicyName="p", PolicyDocument=policy(allow("sqs:SendMessage")))
    role_arn = f"arn:aws:iam::{iam.account_id}:role/r"
    result = iam("SimulatePrincipalPolicy", PolicySourceArn=role_arn, ActionNames=["sqs:SendMessage"])[
        "EvaluationResults"
    ][0]
    assert result["EvalDecision"] == "allowed" and result["MatchedStatements"][0]["SourcePolicyType"] == "role"
    err = iam.error(
        "SimulatePrincipalPolicy", PolicySourceArn=f"arn:aws:iam::{iam.account_id}:user/ghost", ActionNames=["s3:*"]
    )
    assert err.message == "The user with name ghost cannot be found."
    assert (
        iam.error("SimulatePrincipalPolicy", PolicySourceArn="arn:aws:s3:::bucket-name-long", ActionNames=["s3:*"]).code
        == "InvalidInput"
    )
    assert iam.error("SimulateCustomPolicy", PolicyInputList=["{"], ActionNames=["s3:*"]).code == "InvalidInput"


def test_context_keys(iam):
    doc = policy(
        allow(
            "s3:GetObject",
            "arn:aws:s3:::b/${aws:username}/*",
            Condition={"StringEquals": {"aws:PrincipalTag/team": "x"}},
        ),
        allow(
            "ec2:*",
            Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}, "StringLike": {"AWS:PrincipalTag/TEAM": "y"}},
        ),
    )
    keys = iam("GetContextKeysForCustomPolicy", PolicyInputList=[doc])["ContextKeyNames"]
    assert keys == ["aws:username", "aws:PrincipalTag/team", "aws:SourceIp"]
    iam("CreateUser", UserName="u")
    iam("PutUserPolicy", UserName="u", PolicyName="p", PolicyDocument=doc)
    principal = iam(
        "GetContextKeysForPrincipalPolicy",
        PolicySourceArn=f"arn:aws:iam::{iam.account_id}:user/u",
        PolicyInputList=[policy(allow("s3:*", Condition={"Bool": {"aws:SecureTransport": "true"}}))],
    )["ContextKeyNames"]
    assert principal == ["aws:username", "aws:PrincipalTag/team", "aws:SourceIp", "aws:SecureTransport"]


def test_resource_policy_needs_a_user_caller(iam):
    bucket_policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}],
        }
    )
    err = iam.error(
        "SimulateCustomPolicy",
        PolicyInputList=[policy(allow("sqs:*"))],
        ActionNames=["s3:GetObject"],
        ResourcePolicy=bucket_policy,
    )
    assert err.code == "InvalidInput"
