"""Lint warnings, one rule at a time, each with a case that fires and one that must not.

Example policies come from the IAM User Guide (``reference_policies_condition-keys``,
``reference_policies_variables``, ``reference_policies_condition-single-vs-multi-valued-context-keys``)
and the S3 User Guide's example bucket policies, with their placeholder names.
"""

from __future__ import annotations

from collections.abc import Iterable

from localiam.policy.conditions import split_operator
from localiam.policy.findings import Finding, Severity, pointer
from localiam.policy.lint import lint
from localiam.policy.model import (
    VERSION_2008,
    VERSION_2012,
    ActionBlock,
    Condition,
    Effect,
    Policy,
    PolicyType,
    ResourceBlock,
    Statement,
)

BUCKET = "arn:aws:s3:::amzn-s3-demo-bucket"


def cond(operator: str, key: str, *values: str, index: int = 0) -> Condition:
    split = split_operator(operator)
    assert split is not None, operator
    qualifier, base, if_exists = split
    location = pointer("Statement", index, "Condition", operator, key)
    return Condition(operator, base, qualifier, if_exists, key, values, location)


def stmt(
    actions: Iterable[str],
    resources: Iterable[str] | None = ("*",),
    *conditions: Condition,
    index: int = 0,
    not_action: bool = False,
    not_resource: bool = False,
    effect: Effect = Effect.ALLOW,
) -> Statement:
    return Statement(
        index=index,
        sid=None,
        effect=effect,
        actions=ActionBlock(tuple(actions), not_action),
        resources=None if resources is None else ResourceBlock(tuple(resources), not_resource),
        principal=None,
        not_principal=None,
        conditions=conditions,
        location=pointer("Statement", index),
    )


def run(
    *statements: Statement, version: str | None = VERSION_2012, kind: PolicyType = PolicyType.IDENTITY
) -> list[Finding]:
    findings = lint(Policy(version, None, statements), kind)
    assert all(f.severity is Severity.WARNING for f in findings)
    return findings


def codes(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.code, f.location) for f in findings]


# ---- documentation examples lint cleanly -----------------------------------------------------


def test_documentation_examples_have_no_findings() -> None:
    findings = run(
        # reference_policies_condition-keys, aws:PrincipalTag/tag-key
        stmt(
            ["iam:Get*", "iam:List*", "iam:Generate*"], ["*"], cond("StringEquals", "aws:PrincipalTag/department", "hr")
        ),
        # aws:CalledVia
        stmt(
            ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey", "kms:DescribeKey"],
            ["arn:aws:kms:us-east-1:111122223333:key/my-example-key"],
            cond("ForAnyValue:StringEquals", "aws:CalledVia", "dynamodb.amazonaws.com", index=1),
            index=1,
        ),
        # ec2:RoleDelivery
        stmt(["*"], ["*"], cond("NumericLessThan", "ec2:RoleDelivery", "2.0", index=2), effect=Effect.DENY, index=2),
        # aws:RequestedRegion
        stmt(
            ["ec2:Associate*", "ec2:Import*", "ec2:Modify*", "ec2:Run*", "ec2:Start*", "ec2:Stop*"],
            ["*"],
            cond("StringEquals", "aws:RequestedRegion", "eu-west-1", "eu-west-2", index=3),
            index=3,
        ),
        # aws:ResourceOrgID
        stmt(
            ["s3:PutObject"],
            ["arn:aws:s3:::policy-genius-dev/*"],
            cond("StringNotEquals", "aws:ResourceOrgID", "${aws:PrincipalOrgID}", index=4),
            effect=Effect.DENY,
            index=4,
        ),
        # aws:Ec2InstanceSourceVpc with a cross-service key
        stmt(
            ["*"],
            ["*"],
            cond("StringNotEquals", "aws:SourceVpc", "${aws:Ec2InstanceSourceVpc}", index=5),
            cond("Null", "ec2:SourceInstanceARN", "false", index=5),
            cond("BoolIfExists", "aws:ViaAWSService", "false", index=5),
            effect=Effect.DENY,
            index=5,
        ),
        # reference_policies_variables: a folder per user
        stmt(["s3:ListBucket"], [BUCKET], cond("StringLike", "s3:prefix", "${aws:username}/*", index=6), index=6),
        stmt(["s3:GetObject", "s3:PutObject"], [f"{BUCKET}/${{aws:username}}/*"], index=7),
    )
    assert findings == []


# ---- actions ---------------------------------------------------------------------------------


def test_unknown_service() -> None:
    findings = run(stmt(["s4:GetObject", "s3:GetObject"]))
    assert codes(findings) == [("UNKNOWN_SERVICE", "/Statement/0/Action/0")]
    assert "s4" in findings[0].message
    assert run(stmt(["s3:GetObject", "sts:AssumeRole", "*", "*:Get*"])) == []


def test_unknown_action() -> None:
    findings = run(stmt(["s3:GetObjekt"]))
    assert codes(findings) == [("UNKNOWN_ACTION", "/Statement/0/Action/0")]
    assert 'did you mean "GetObject"' in findings[0].message
    assert codes(run(stmt(["s3:GetObjekt"], not_action=True))) == [("UNKNOWN_ACTION", "/Statement/0/NotAction/0")]
    assert run(stmt(["S3:getobject"])) == []  # action names are case-insensitive


def test_action_wildcard_matches_nothing() -> None:
    findings = run(stmt(["s3:Get*", "s3:Gett*"]))
    assert codes(findings) == [("ACTION_WILDCARD_MATCHES_NOTHING", "/Statement/0/Action/1")]
    assert run(stmt(["s3:Get*", "s3:*", "s3:Get?bject"])) == []


# ---- resources -------------------------------------------------------------------------------


def test_resource_type_mismatch() -> None:
    # The classic swap: ListBucket takes the bucket, GetObject takes bucket/key.
    findings = run(stmt(["s3:ListBucket"], [f"{BUCKET}/*"]), stmt(["s3:GetObject"], [BUCKET], index=1))
    assert codes(findings) == [
        ("RESOURCE_TYPE_MISMATCH", "/Statement/0/Resource/0"),
        ("RESOURCE_TYPE_MISMATCH", "/Statement/1/Resource/0"),
    ]
    assert "arn:${Partition}:s3:::${BucketName}/${ObjectName}" in findings[1].message


def test_resource_type_mismatch_needs_every_action_known_and_rejecting() -> None:
    # Each resource is taken by one of the actions (S3 example: list + read in one statement).
    assert run(stmt(["s3:ListBucket", "s3:GetObject"], [BUCKET, f"{BUCKET}/*"])) == []
    # Wildcards in the resource can be anything.
    assert run(stmt(["s3:GetObject"], ["arn:aws:s3:::*"])) == []
    # A service wildcard or "*" could be any action.
    assert run(stmt(["*"], [BUCKET])) == []
    assert run(stmt(["*:GetObject"], [BUCKET])) == []
    # An action that takes only "*" leaves it undecided.
    assert run(stmt(["s3:ListAllMyBuckets", "s3:GetObject"], [BUCKET])) == []
    # An unknown action is reported as such, not as a mismatch.
    assert [f.code for f in run(stmt(["s3:GetObjekt", "s3:GetObject"], [BUCKET]))] == ["UNKNOWN_ACTION"]
    # NotAction / NotResource say what is excluded; nothing to compare.
    assert run(stmt(["s3:GetObject"], [BUCKET], not_action=True)) == []
    assert run(stmt(["s3:GetObject"], [BUCKET], not_resource=True)) == []


# ---- condition keys --------------------------------------------------------------------------


def test_condition_key_not_supported() -> None:
    # s3:x-amz-acl belongs to writes (PutObject), not to ListBucket.
    findings = run(stmt(["s3:ListBucket"], [BUCKET], cond("StringEquals", "s3:x-amz-acl", "bucket-owner-full-control")))
    assert codes(findings) == [("CONDITION_KEY_NOT_SUPPORTED", "/Statement/0/Condition/StringEquals/s3:x-amz-acl")]
    assert "s3:ListBucket" in findings[0].message
    # A key the service does not define at all, even with a wildcard action.
    findings = run(stmt(["s3:*"], ["*"], cond("StringEquals", "s3:prefixx", "home/")))
    assert [f.code for f in findings] == ["CONDITION_KEY_NOT_SUPPORTED"]
    assert "not a condition key of s3" in findings[0].message


def test_condition_key_supported() -> None:
    assert (
        run(stmt(["s3:PutObject"], [f"{BUCKET}/*"], cond("StringEquals", "s3:x-amz-acl", "bucket-owner-full-control")))
        == []
    )
    # Templated keys match concrete ones (s3:ExistingObjectTag/<key>).
    assert run(stmt(["s3:GetObject"], [f"{BUCKET}/*"], cond("StringEquals", "s3:ExistingObjectTag/team", "blue"))) == []
    # Cross-service keys (reference_policies_condition-keys) go with any action.
    assert (
        run(
            stmt(
                ["s3:GetObject"],
                [f"{BUCKET}/*"],
                cond("ArnEquals", "lambda:SourceFunctionArn", "arn:aws:lambda:us-east-1:111122223333:function:f"),
            )
        )
        == []
    )
    # Federation keys are not catalogued per action.
    assert (
        run(
            stmt(
                ["sts:AssumeRoleWithSAML"], None, cond("StringEquals", "saml:aud", "https://signin.aws.amazon.com/saml")
            ),
            kind=PolicyType.TRUST,
        )
        == []
    )
    # Keys written with "tag-key", and keys filed under another service's table.
    assert (
        run(
            stmt(
                ["secretsmanager:GetSecretValue"],
                ["*"],
                cond("StringEquals", "secretsmanager:ResourceTag/Project", "x"),
            )
        )
        == []
    )
    assert (
        run(stmt(["ec2-instance-connect:SendSSHPublicKey"], ["*"], cond("StringEquals", "ec2:osuser", "ec2-user")))
        == []
    )
    # With NotAction the actions are unknown; a defined key is not questioned.
    assert run(stmt(["s3:ListBucket"], ["*"], cond("StringEquals", "s3:x-amz-acl", "private"), not_action=True)) == []


def test_unknown_global_condition_key() -> None:
    findings = run(stmt(["s3:GetObject"], ["*"], cond("IpAddress", "aws:SourceIpp", "203.0.113.0/24")))
    assert codes(findings) == [("UNKNOWN_GLOBAL_CONDITION_KEY", "/Statement/0/Condition/IpAddress/aws:SourceIpp")]
    assert 'did you mean "aws:SourceIp"' in findings[0].message
    assert (
        codes(run(stmt(["s3:GetObject"], ["*"], cond("StringEquals", "aws:PrincipalTag", "x"))))[0][0]
        == "UNKNOWN_GLOBAL_CONDITION_KEY"
    )
    assert run(stmt(["s3:GetObject"], ["*"], cond("IpAddress", "aws:SourceIp", "203.0.113.0/24"))) == []


# ---- operators -------------------------------------------------------------------------------


def test_operator_type_mismatch() -> None:
    findings = run(
        stmt(
            ["s3:ListBucket"],
            [BUCKET],
            cond("StringEquals", "aws:CurrentTime", "2025-01-01T00:00:00Z"),
            cond("NumericLessThan", "aws:username", "3"),
            cond("Bool", "aws:SourceIp", "true"),
            cond("ArnEquals", "aws:SourceAccount", "111122223333"),
            cond("DateGreaterThan", "s3:max-keys", "2025-01-01"),
        )
    )
    assert [f.code for f in findings] == ["OPERATOR_TYPE_MISMATCH"] * 5
    assert findings[0].location == "/Statement/0/Condition/StringEquals/aws:CurrentTime"
    assert "Date operator" in findings[0].message


def test_operator_types_that_fit() -> None:
    assert (
        run(
            stmt(
                ["s3:ListBucket"],
                [BUCKET],
                cond("DateGreaterThan", "aws:CurrentTime", "2025-01-01T00:00:00Z"),
                cond("NumericLessThan", "aws:EpochTime", "1735689600"),  # Date and Numeric
                cond("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:root"),
                cond("StringLike", "aws:SourceArn", "arn:aws:sns:*"),  # string operators take ARN keys
                cond("BoolIfExists", "aws:MultiFactorAuthPresent", "true"),
                cond("NotIpAddress", "aws:SourceIp", "203.0.113.0/24"),
                cond("NumericLessThanEquals", "s3:max-keys", "10"),
                cond("Null", "aws:TokenIssueTime", "true"),
                cond("StringEqualsIgnoreCase", "aws:PrincipalTag/team", "Blue"),
            )
        )
        == []
    )


def test_set_operator_on_single_valued_key() -> None:
    findings = run(stmt(["s3:GetObject"], ["*"], cond("ForAllValues:StringEquals", "aws:PrincipalTag/team", "blue")))
    assert codes(findings) == [
        ("SET_OPERATOR_ON_SINGLE_VALUED_KEY", "/Statement/0/Condition/ForAllValues:StringEquals/aws:PrincipalTag~1team")
    ]
    assert 'Remove "ForAllValues:"' in findings[0].message
    assert (
        run(stmt(["s3:GetObject"], ["*"], cond("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", "o-a1b2c3d4e5/*")))
        == []
    )


def test_multivalued_key_without_set_operator() -> None:
    findings = run(stmt(["ec2:CreateTags"], ["*"], cond("StringEquals", "aws:TagKeys", "Dept")))
    assert codes(findings) == [
        ("MULTIVALUED_KEY_WITHOUT_SET_OPERATOR", "/Statement/0/Condition/StringEquals/aws:TagKeys")
    ]
    assert "ForAllValues:StringEquals" in findings[0].message
    assert (
        run(stmt(["ec2:CreateTags"], ["*"], cond("ForAllValues:StringEquals", "aws:TagKeys", "Dept", "Cost-Center")))
        == []
    )
    assert run(stmt(["ec2:CreateTags"], ["*"], cond("Null", "aws:TagKeys", "false"))) == []


# ---- policy variables ------------------------------------------------------------------------


def test_variables_in_2008_version() -> None:
    statements = (
        stmt(["s3:ListBucket"], [BUCKET], cond("StringLike", "s3:prefix", "${aws:username}/*")),
        stmt(["s3:GetObject", "s3:PutObject"], [f"{BUCKET}/${{aws:username}}/*"], index=1),
    )
    for version in (VERSION_2008, None):
        findings = run(*statements, version=version)
        assert codes(findings) == [
            ("VARIABLES_IN_2008_VERSION", "/Statement/0/Condition/StringLike/s3:prefix"),
            ("VARIABLES_IN_2008_VERSION", "/Statement/1/Resource/0"),
        ]
        assert '"Version": "2012-10-17"' in findings[1].message
    assert run(*statements, version=VERSION_2012) == []
    assert run(stmt(["s3:ListBucket"], [BUCKET]), version=VERSION_2008) == []


# ---- locations -------------------------------------------------------------------------------


def test_locations_follow_the_statement_pointer() -> None:
    single = Statement(
        index=0,
        sid="Only",
        effect=Effect.ALLOW,
        actions=ActionBlock(("s3:GetObjekt",)),
        resources=ResourceBlock(("*",)),
        principal=None,
        not_principal=None,
        conditions=(),
        location="/Statement",
    )
    assert codes(lint(Policy(VERSION_2012, None, (single,)), PolicyType.IDENTITY)) == [
        ("UNKNOWN_ACTION", "/Statement/Action/0")
    ]
