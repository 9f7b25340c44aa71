"""The policy simulator APIs on the endpoint (``API_SimulatePrincipalPolicy``,
``API_SimulateCustomPolicy``, ``API_EvaluationResult``, ``API_Statement``, ``API_Position``)
give AWS's result shape, and the same decisions the endpoint enforces. The expected outputs
of the custom-policy tests are the AWS CLI's documented examples (``simulate-custom-policy``)."""

from __future__ import annotations

import json

from e2e_helpers import allow, deny, error_of, make_user, policy

EXAMPLE_POLICY = (
    '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*",'
    '"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}'
)


def _current_time(value):
    return [{"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": [value], "ContextKeyType": "date"}]


def _results(answer):
    answer.pop("ResponseMetadata")
    assert answer["IsTruncated"] is False
    return answer["EvaluationResults"]


def test_simulate_custom_policy_allowed_as_in_awss_example(iam):
    answer = iam.simulate_custom_policy(
        PolicyInputList=[EXAMPLE_POLICY],
        ActionNames=["dynamodb:CreateBackup"],
        ContextEntries=_current_time("2019-04-25T11:00:00Z"),
    )
    assert _results(answer) == [
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


def test_simulate_custom_policy_implicit_deny_as_in_awss_example(iam):
    answer = iam.simulate_custom_policy(
        PolicyInputList=[EXAMPLE_POLICY],
        ActionNames=["dynamodb:CreateBackup"],
        ContextEntries=_current_time("2014-04-25T11:00:00Z"),
    )
    assert _results(answer) == [
        {
            "EvalActionName": "dynamodb:CreateBackup",
            "EvalResourceName": "*",
            "EvalDecision": "implicitDeny",
            "MatchedStatements": [],
            "MissingContextValues": [],
        }
    ]


def test_simulate_custom_policy_reports_missing_context_and_resource_results(server, iam):
    document = policy(allow("iam:GetUser", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}))
    user = f"arn:aws:iam::{server.account_id}:user/bob"
    # Without resources: the keys the policies needed and nobody supplied are listed.
    (result,) = _results(iam.simulate_custom_policy(PolicyInputList=[document], ActionNames=["iam:GetUser"]))
    assert (result["EvalDecision"], result["MissingContextValues"]) == ("implicitDeny", ["aws:SourceIp"])
    # With resources they move to ResourceSpecificResults ("If you include a list of resources,
    # then any missing context values are instead included under the ResourceSpecificResults").
    (result,) = _results(
        iam.simulate_custom_policy(PolicyInputList=[document], ActionNames=["iam:GetUser"], ResourceArns=[user])
    )
    assert result["EvalResourceName"] == user
    assert result["MissingContextValues"] == []
    (specific,) = result["ResourceSpecificResults"]
    assert specific["EvalResourceName"] == user
    assert specific["EvalResourceDecision"] == "implicitDeny"
    assert specific["MissingContextValues"] == ["aws:SourceIp"]
    office = [{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["203.0.113.9"], "ContextKeyType": "ip"}]
    (result,) = _results(
        iam.simulate_custom_policy(
            PolicyInputList=[document], ActionNames=["iam:GetUser"], ResourceArns=[user], ContextEntries=office
        )
    )
    assert result["EvalDecision"] == "allowed"
    assert result["ResourceSpecificResults"][0]["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"


def test_simulate_principal_policy_uses_the_users_policies(server, iam):
    acct = server.account_id
    iam.create_user(UserName="alejandro")
    iam.put_user_policy(
        UserName="alejandro",
        PolicyName="Grant-Access-To-CodeCommit-ListRepo",
        PolicyDocument=policy(allow("codecommit:ListRepositories")),
    )
    iam.create_group(GroupName="no-deletes")
    iam.put_group_policy(GroupName="no-deletes", PolicyName="NoDeletes", PolicyDocument=policy(deny("iam:Delete*")))
    iam.attach_group_policy(GroupName="no-deletes", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    iam.add_user_to_group(GroupName="no-deletes", UserName="alejandro")

    results = _results(
        iam.simulate_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{acct}:user/alejandro",
            ActionNames=["codecommit:ListRepositories", "iam:DeleteUser", "iam:GetUser", "dynamodb:CreateBackup"],
        )
    )
    by_action = {r["EvalActionName"]: r for r in results}
    assert [r["EvalActionName"] for r in results] == [
        "codecommit:ListRepositories",
        "iam:DeleteUser",
        "iam:GetUser",
        "dynamodb:CreateBackup",
    ]
    listed = by_action["codecommit:ListRepositories"]
    assert (listed["EvalResourceName"], listed["EvalDecision"]) == ("*", "allowed")
    assert [m["SourcePolicyId"] for m in listed["MatchedStatements"]] == ["Grant-Access-To-CodeCommit-ListRepo"]
    assert set(listed["MatchedStatements"][0]) >= {"SourcePolicyId", "StartPosition", "EndPosition"}
    assert by_action["iam:DeleteUser"]["EvalDecision"] == "explicitDeny"
    assert [m["SourcePolicyId"] for m in by_action["iam:DeleteUser"]["MatchedStatements"]] == ["NoDeletes"]
    got = by_action["iam:GetUser"]
    assert got["EvalDecision"] == "allowed"
    assert [(m["SourcePolicyId"], m["SourcePolicyType"]) for m in got["MatchedStatements"]] == [
        ("IAMReadOnlyAccess", "aws-managed")
    ]
    assert by_action["dynamodb:CreateBackup"] == {
        "EvalActionName": "dynamodb:CreateBackup",
        "EvalResourceName": "*",
        "EvalDecision": "implicitDeny",
        "MatchedStatements": [],
        "MissingContextValues": [],
    }


def test_simulate_principal_policy_agrees_with_enforcement(server, iam):
    """What the simulator answers for a user with a boundary is what the endpoint does to
    that user's requests."""
    acct = server.account_id
    alice = make_user(
        iam,
        server,
        "alice",
        inline=policy(allow("iam:*")),
        boundary="arn:aws:iam::aws:policy/IAMReadOnlyAccess",
    ).client("iam")
    results = _results(
        iam.simulate_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{acct}:user/alice",
            ActionNames=["iam:ListUsers", "iam:CreateUser"],
            ResourceArns=[f"arn:aws:iam::{acct}:user/bob"],
        )
    )
    decisions = {r["EvalActionName"]: r for r in results}
    assert decisions["iam:ListUsers"]["EvalDecision"] == "allowed"
    assert decisions["iam:ListUsers"]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert decisions["iam:CreateUser"]["EvalDecision"] == "implicitDeny"
    assert decisions["iam:CreateUser"]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}
    alice.list_users()
    assert "no permissions boundary allows" in error_of(alice.create_user, UserName="bob")["Message"]


def test_simulate_principal_policy_needs_permission_on_the_simulated_entity(server, iam):
    acct = server.account_id
    iam.create_role(
        RoleName="Target",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )
    iam.put_role_policy(RoleName="Target", PolicyName="reads", PolicyDocument=policy(allow("iam:Get*")))
    auditor = make_user(iam, server, "auditor").client("iam")
    role = f"arn:aws:iam::{acct}:role/Target"
    err = error_of(auditor.simulate_principal_policy, PolicySourceArn=role, ActionNames=["iam:GetRole"])
    assert err["Message"] == (
        f"User: arn:aws:iam::{acct}:user/auditor is not authorized to perform: iam:SimulatePrincipalPolicy on "
        f"resource: {role} because no identity-based policy allows the iam:SimulatePrincipalPolicy action"
    )
    iam.put_user_policy(
        UserName="auditor", PolicyName="simulate", PolicyDocument=policy(allow("iam:SimulatePrincipalPolicy", role))
    )
    (result,) = _results(auditor.simulate_principal_policy(PolicySourceArn=role, ActionNames=["iam:GetRole"]))
    assert result["EvalDecision"] == "allowed"
    assert result["MatchedStatements"][0]["SourcePolicyId"] == "reads"
