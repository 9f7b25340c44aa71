"""``FEDERATED_TRUST_WITHOUT_AUDIENCE``: a role trust policy that lets an OIDC provider's users
assume the role with no condition on the provider's audience key.

Trust policies follow the IAM User Guide (``id_roles_create_for-idp_oidc``,
``reference_policies_iam-condition-keys`` "Available keys for AWS web identity federation")
and the Cognito Developer Guide ("Trust policies for IAM roles"), with their placeholder ids.
"""

from __future__ import annotations

from typing import Any

import pytest

from localiam.policy.findings import Finding, Severity
from localiam.policy.lint import lint
from localiam.policy.lint_trust import CODE, audience_keys
from localiam.policy.model import PolicyType
from localiam.policy.parse import parse_policy
from localiam.policy.validate import validate_policy

GITHUB = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
EKS = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B7"
EKS_HOST = "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B7"
SAML = "arn:aws:iam::111122223333:saml-provider/ExampleOrgSSOProvider"


def trust(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def federated(
    provider: str | list[str], condition: dict[str, Any] | None = None, action: Any = "sts:AssumeRoleWithWebIdentity"
) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": "Allow", "Principal": {"Federated": provider}, "Action": action}
    if condition is not None:
        out["Condition"] = condition
    return out


def findings(document: dict[str, Any]) -> list[Finding]:
    result = validate_policy(document, PolicyType.TRUST)
    assert result.errors == (), result.errors
    return [f for f in result.findings if f.code == CODE]


def test_an_oidc_provider_without_an_audience_condition_is_reported_at_the_statement():
    only_sub = {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:*"}}
    [finding] = findings(trust(federated(GITHUB, only_sub)))
    assert finding.severity is Severity.WARNING
    assert finding.location == "/Statement/0"
    assert '"token.actions.githubusercontent.com:aud"' in finding.message
    assert GITHUB in finding.message and "sts:AssumeRoleWithWebIdentity" in finding.message


def test_an_audience_condition_silences_it():
    aud = {"StringEquals": {f"{EKS_HOST}:aud": "sts.amazonaws.com", f"{EKS_HOST}:sub": "system:serviceaccount:a:b"}}
    assert findings(trust(federated(EKS, aud))) == []
    # Condition key names are case-insensitive.
    assert findings(trust(federated(EKS, {"StringEquals": {f"{EKS_HOST.upper()}:AUD": "sts.amazonaws.com"}}))) == []


@pytest.mark.parametrize(
    "condition",
    [
        {"StringLike": {f"{EKS_HOST}:aud": "*"}},
        {"StringNotEquals": {f"{EKS_HOST}:aud": "someone-else"}},
        {"Null": {f"{EKS_HOST}:aud": "false"}},
        {"StringEquals": {f"{EKS_HOST}:sub": "system:serviceaccount:a:b"}},
    ],
)
def test_a_condition_that_does_not_choose_the_audience_does_not_count(condition):
    assert [f.location for f in findings(trust(federated(EKS, condition)))] == ["/Statement/0"]


@pytest.mark.parametrize(
    ("provider", "key"),
    [
        ("accounts.google.com", "accounts.google.com:aud"),
        ("accounts.google.com", "accounts.google.com:oaud"),
        ("cognito-identity.amazonaws.com", "cognito-identity.amazonaws.com:aud"),
        ("graph.facebook.com", "graph.facebook.com:app_id"),
        ("www.amazon.com", "www.amazon.com:app_id"),
    ],
)
def test_the_built_in_providers_and_their_audience_keys(provider, key):
    [finding] = findings(trust(federated(provider)))
    assert f'"{key}"' in finding.message
    assert findings(trust(federated(provider, {"StringEquals": {key: "client-id"}}))) == []


def test_audience_keys():
    assert audience_keys(GITHUB) == ("token.actions.githubusercontent.com:aud",)
    assert audience_keys("arn:aws:iam::111122223333:oidc-provider/localhost:8080/realms/dev/") == (
        "localhost:8080/realms/dev:aud",
    )
    assert audience_keys("Accounts.Google.com") == ("accounts.google.com:aud", "accounts.google.com:oaud")
    assert audience_keys(SAML) is None
    assert audience_keys("arn:aws:iam::111122223333:oidc-provider/*") is None


@pytest.mark.parametrize(
    "action",
    ["*", "sts:*", "sts:AssumeRoleWith*", ["sts:TagSession", "STS:assumerolewithwebidentity"]],
)
def test_wildcards_that_cover_the_action_are_reported(action):
    assert len(findings(trust(federated(GITHUB, action=action)))) == 1


def test_not_action_that_leaves_the_action_allowed_is_reported():
    statement = federated(GITHUB)
    del statement["Action"]
    statement["NotAction"] = "sts:AssumeRoleWithSAML"
    assert len(findings(trust(statement))) == 1
    statement["NotAction"] = "sts:AssumeRoleWith*"
    assert findings(trust(statement)) == []


@pytest.mark.parametrize(
    "statement",
    [
        federated(GITHUB, action="sts:AssumeRoleWithSAML"),
        federated(SAML, action="sts:AssumeRoleWithSAML"),
        federated(SAML, action="sts:*"),
        federated("arn:aws:iam::111122223333:oidc-provider/*"),
        {**federated(GITHUB), "Effect": "Deny"},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:*"},
    ],
)
def test_statements_that_are_not_web_identity_trust_are_not_reported(statement):
    assert findings(trust(statement)) == []


def test_one_finding_per_provider_and_statement():
    google_ok = {"StringEquals": {"accounts.google.com:aud": "client-id"}}
    document = trust(
        federated("arn:aws:iam::111122223333:root", action="sts:AssumeRole") | {"Principal": {"AWS": "111122223333"}},
        federated([GITHUB, "accounts.google.com", EKS], google_ok),
    )
    got = findings(document)
    assert [f.location for f in got] == ["/Statement/1", "/Statement/1"]
    assert GITHUB in got[0].message and EKS in got[1].message


def test_a_single_statement_object_is_located_at_statement():
    document = {"Version": "2012-10-17", "Statement": federated(GITHUB)}
    assert [f.location for f in findings(document)] == ["/Statement"]


def test_only_trust_policies_are_checked():
    document = trust(federated(GITHUB) | {"Resource": "*"})
    policy = parse_policy(document).value
    assert policy is not None
    assert [f for f in lint(policy, PolicyType.RESOURCE) if f.code == CODE] == []
    assert [f.code for f in lint(policy, PolicyType.TRUST) if f.code == CODE] == [CODE]
