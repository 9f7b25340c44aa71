"""The policy parser (``localiam.policy.parse``): every finding code, its JSON-pointer location
and its message; collect-all behaviour; AWS documentation examples; and, as properties, that no
input of any shape makes it raise.

Messages are IAM's (or S3's) own ``MalformedPolicyDocument`` texts where AWS has one. The texts
asserted verbatim below were checked against errors AWS returned in public issue threads:
"Policy statement must contain actions." (aws/aws-cdk#7615), "Statement IDs (SID) in a single
policy must be unique." (kubernetes/kops#4951), "Actions/Condition can contain only one colon."
(garnaat/kappa#111), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2,
etc." (CloudFormation output quoted in several repositories), "Resource X must be in ARN format
or \\"*\\"." (ministryofjustice/modernisation-platform-environments#590), "Invalid principal in
policy: \\"AWS\\":\\"X\\"" (databrickslabs/ucx#2269), "The policy failed legacy parsing"
(hashicorp/terraform#10057), "Syntax errors in policy." (boto/boto3#180), S3's "Invalid effect: X"
(versity/versitygw#647) and "Missing required field Statement" (versity/versitygw#1176).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localiam.policy import Effect, PolicyType, Result, Severity, parse_policy, validate_policy
from localiam.policy.findings import Finding
from localiam.policy.parse import VENDOR_MESSAGE

BUCKET = "arn:aws:s3:::amzn-s3-demo-bucket"


def doc(*statements: dict[str, Any], version: str | None = "2012-10-17", **top: Any) -> dict[str, Any]:
    out: dict[str, Any] = {} if version is None else {"Version": version}
    out["Statement"] = list(statements)
    out.update(top)
    return out


def allow(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{BUCKET}/*"}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def only(result: Result[Any], code: str) -> Finding:
    """The one finding with ``code`` (and fail if there are others of that code)."""
    found = [f for f in result.findings if f.code == code]
    assert len(found) == 1, result.findings
    return found[0]


def codes(result: Result[Any]) -> list[str]:
    return [f.code for f in result.findings]


# --- a valid document --------------------------------------------------------------------------


def test_a_valid_policy_parses_into_the_typed_model() -> None:
    result = parse_policy(json.dumps(doc(allow(Sid="Read"), allow(Effect="Deny", Action=["s3:Put*", "s3:Delete*"]))))
    assert result.ok and result.findings == ()
    policy = result.value
    assert policy is not None
    assert policy.version == "2012-10-17"
    first, second = policy.statements
    assert (first.sid, first.effect, first.actions.patterns, first.location) == (
        "Read",
        Effect.ALLOW,
        ("s3:GetObject",),
        "/Statement/0",
    )
    assert second.effect is Effect.DENY and second.actions.patterns == ("s3:Put*", "s3:Delete*")
    assert second.location == "/Statement/1"


def test_text_bytes_and_mappings_are_all_accepted() -> None:
    document = doc(allow())
    text = json.dumps(document)
    for source in (text, text.encode(), document):
        assert parse_policy(source).ok


# --- JSON-level problems -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    ['{"Version": "2012-10-17", "Statement": [', "", "not json", '{"a": 1,}'],
)
def test_invalid_json_is_a_syntax_error_at_the_root(source: str) -> None:
    result = parse_policy(source)
    finding = only(result, "INVALID_JSON")
    assert finding.location == ""
    assert finding.severity is Severity.ERROR
    assert finding.message.startswith("Syntax errors in policy.")
    assert "line 1 column" in finding.message
    assert result.value is None


def test_bytes_that_are_not_utf8_are_a_syntax_error() -> None:
    finding = only(parse_policy(b'{"Version": "\xff"}'), "INVALID_JSON")
    assert finding.message.startswith("Syntax errors in policy. The document is not UTF-8")


def test_a_document_nested_too_deeply_is_a_syntax_error_not_a_crash() -> None:
    finding = only(parse_policy("[" * 200_000 + "]" * 200_000), "INVALID_JSON")
    assert "nested too deeply" in finding.message


def test_a_duplicate_key_is_reported_by_name() -> None:
    finding = only(parse_policy('{"Version": "2012-10-17", "Version": "2012-10-17", "Statement": []}'), "DUPLICATE_KEY")
    assert finding.message == "Syntax errors in policy. Duplicate key 'Version'."


@pytest.mark.parametrize("value", [[], "text", 3, None, True])
def test_a_document_that_is_not_an_object(value: Any) -> None:
    finding = only(parse_policy(json.dumps(value)), "NOT_AN_OBJECT")
    assert finding.location == ""
    assert finding.message == "Syntax errors in policy. A policy document must be a JSON object."


# --- top level ---------------------------------------------------------------------------------


def test_unknown_top_level_field_is_located_by_its_escaped_name() -> None:
    result = parse_policy(doc(allow(), **{"Conditions/x": {}}))
    finding = only(result, "UNKNOWN_FIELD")
    assert finding.location == "/Conditions~1x"
    assert finding.message == "Unknown field Conditions/x"


def test_missing_version_is_a_warning_not_an_error() -> None:
    result = parse_policy(doc(allow(), version=None))
    finding = only(result, "MISSING_VERSION")
    assert finding.severity is Severity.WARNING and finding.location == ""
    assert "2008-10-17" in finding.message
    assert result.ok and result.value is not None and result.value.version is None


def test_version_2008_is_accepted() -> None:
    result = parse_policy(doc(allow(), version="2008-10-17"))
    assert result.ok and result.value is not None and not result.value.variables_enabled


@pytest.mark.parametrize("version", ["2012-10-18", "2012-10-17 ", 2012, None])
def test_an_unknown_version_fails_legacy_parsing(version: Any) -> None:
    document = doc(allow())
    document["Version"] = version
    finding = only(parse_policy(document), "INVALID_VERSION")
    assert finding.location == "/Version"
    assert finding.message.startswith("The policy failed legacy parsing")


def test_id_must_be_a_string() -> None:
    finding = only(parse_policy(doc(allow(), Id=7)), "INVALID_ID")
    assert (finding.location, finding.message) == ("/Id", "Syntax errors in policy. Id must be a string.")
    assert parse_policy(doc(allow(), Id="cd3ad3d9-2776-4ef1-a904-4c229d1642ee")).ok


def test_missing_statement() -> None:
    finding = only(parse_policy({"Version": "2012-10-17"}), "MISSING_STATEMENT")
    assert (finding.location, finding.message) == ("", "Missing required field Statement")


def test_empty_statement_array() -> None:
    finding = only(parse_policy(doc()), "EMPTY_STATEMENT")
    assert finding.location == "/Statement"
    assert finding.message.startswith("Syntax errors in policy.")


@pytest.mark.parametrize("statement", ["text", 1, None])
def test_statement_of_the_wrong_type(statement: Any) -> None:
    finding = only(parse_policy({"Version": "2012-10-17", "Statement": statement}), "INVALID_STATEMENT")
    assert finding.location == "/Statement"
    assert finding.message == "Syntax errors in policy. Statement must be an object or an array."


def test_a_statement_in_the_array_that_is_not_an_object() -> None:
    finding = only(parse_policy(doc(allow(), "oops")), "INVALID_STATEMENT")
    assert finding.location == "/Statement/1"
    assert finding.message == "Syntax errors in policy. Each statement must be a JSON object."


# --- single statement object vs array ----------------------------------------------------------


def test_a_single_statement_object_is_located_without_an_index() -> None:
    single = {"Version": "2012-10-17", "Statement": allow(Action="GetObject")}
    finding = only(parse_policy(single), "ACTION_WITHOUT_VENDOR")
    assert finding.location == "/Statement/Action"
    ok = parse_policy({"Version": "2012-10-17", "Statement": allow()})
    assert ok.value is not None and ok.value.statements[0].location == "/Statement"


def test_a_single_string_value_is_located_without_an_index_and_arrays_with_one() -> None:
    as_string = only(parse_policy(doc(allow(Action="GetObject"))), "ACTION_WITHOUT_VENDOR")
    as_array = only(parse_policy(doc(allow(Action=["s3:GetObject", "GetObject"]))), "ACTION_WITHOUT_VENDOR")
    assert as_string.location == "/Statement/0/Action"
    assert as_array.location == "/Statement/0/Action/1"


# --- statement fields --------------------------------------------------------------------------


def test_unknown_statement_field() -> None:
    finding = only(parse_policy(doc(allow(Actions="s3:*"))), "UNKNOWN_FIELD")
    assert (finding.location, finding.message) == ("/Statement/0/Actions", "Unknown field Actions")


def test_sid_must_be_a_string() -> None:
    finding = only(parse_policy(doc(allow(Sid=1))), "INVALID_SID")
    assert (finding.location, finding.message) == ("/Statement/0/Sid", "Syntax errors in policy. Sid must be a string.")


def test_duplicate_sids_are_reported_at_the_second() -> None:
    result = parse_policy(doc(allow(Sid="Same"), allow(Sid="Other"), allow(Sid="Same")))
    finding = only(result, "DUPLICATE_SID")
    assert finding.location == "/Statement/2/Sid"
    assert finding.message == "Statement IDs (SID) in a single policy must be unique."


def test_statements_without_sid_never_clash() -> None:
    assert parse_policy(doc(allow(), allow(), allow(Sid=""), allow(Sid=""))).ok


def test_missing_effect() -> None:
    finding = only(parse_policy(doc(allow(Effect=None))), "MISSING_EFFECT")
    assert (finding.location, finding.message) == ("/Statement/0", "Missing required field Effect")


@pytest.mark.parametrize(
    ("effect", "shown"), [("allow", "allow"), ("Permit", "Permit"), (1, "1"), (["Allow"], '["Allow"]')]
)
def test_invalid_effect_uses_s3s_wording(effect: Any, shown: str) -> None:
    finding = only(parse_policy(doc(allow(Effect=effect))), "INVALID_EFFECT")
    assert (finding.location, finding.message) == ("/Statement/0/Effect", f"Invalid effect: {shown}")


def test_missing_action() -> None:
    finding = only(parse_policy(doc(allow(Action=None))), "MISSING_ACTION")
    assert (finding.location, finding.message) == ("/Statement/0", "Policy statement must contain actions.")


def test_action_and_not_action_together() -> None:
    finding = only(parse_policy(doc(allow(NotAction="s3:*"))), "ACTION_AND_NOT_ACTION")
    assert finding.location == "/Statement/0"
    assert finding.message == "Syntax errors in policy. A statement cannot have both Action and NotAction."


@pytest.mark.parametrize("action", ["GetObject", "", "s3GetObject*"])
def test_action_without_a_vendor(action: str) -> None:
    finding = only(parse_policy(doc(allow(Action=action))), "ACTION_WITHOUT_VENDOR")
    assert finding.message == "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
    assert finding.message == VENDOR_MESSAGE


def test_not_action_is_checked_the_same_way() -> None:
    finding = only(parse_policy(doc(allow(Action=None, NotAction=["iam:*", "bad"]))), "ACTION_WITHOUT_VENDOR")
    assert finding.location == "/Statement/0/NotAction/1"


def test_action_with_two_colons() -> None:
    finding = only(parse_policy(doc(allow(Action="s3:Get:Object"))), "ACTION_TOO_MANY_COLONS")
    assert (finding.location, finding.message) == (
        "/Statement/0/Action",
        "Actions/Condition can contain only one colon.",
    )


@pytest.mark.parametrize("action", ["s3:", ":GetObject"])
def test_action_with_an_empty_half(action: str) -> None:
    finding = only(parse_policy(doc(allow(Action=action))), "INVALID_ACTION")
    assert finding.location == "/Statement/0/Action"
    assert finding.message.startswith("Syntax errors in policy.")


def test_star_alone_is_an_action() -> None:
    assert parse_policy(doc(allow(Action="*"))).ok


def test_an_empty_array_value() -> None:
    finding = only(parse_policy(doc(allow(Action=[]))), "EMPTY_VALUE")
    assert (finding.location, finding.message) == (
        "/Statement/0/Action",
        "Syntax errors in policy. Action must not be an empty array.",
    )


def test_values_of_the_wrong_type_are_located_each() -> None:
    result = parse_policy(doc(allow(Resource=[BUCKET, 3, None])))
    found = [f for f in result.findings if f.code == "INVALID_VALUE_TYPE"]
    assert [f.location for f in found] == ["/Statement/0/Resource/1", "/Statement/0/Resource/2"]
    assert found[0].message == "Syntax errors in policy. Resource values must be strings."
    whole = only(parse_policy(doc(allow(Action={"s3": "GetObject"}))), "INVALID_VALUE_TYPE")
    assert whole.location == "/Statement/0/Action"
    assert whole.message == "Syntax errors in policy. Action must be a string or an array of strings."


def test_resource_and_not_resource_together() -> None:
    finding = only(parse_policy(doc(allow(NotResource="*"))), "RESOURCE_AND_NOT_RESOURCE")
    assert finding.location == "/Statement/0"
    assert finding.message == "Syntax errors in policy. A statement cannot have both Resource and NotResource."


@pytest.mark.parametrize("resource", ["amzn-s3-demo-bucket", "", "s3:::bucket"])
def test_a_resource_that_is_not_an_arn(resource: str) -> None:
    finding = only(parse_policy(doc(allow(Resource=["*", resource]))), "INVALID_RESOURCE")
    assert finding.location == "/Statement/0/Resource/1"
    assert finding.message == f'Resource {resource} must be in ARN format or "*".'


@pytest.mark.parametrize("resource", ["*", "?*", "arn:aws:s3:::b/*", "${aws:username}"])
def test_resource_shapes_that_are_accepted(resource: str) -> None:
    assert parse_policy(doc(allow(Resource=resource))).ok


def test_a_statement_without_resource_parses_the_type_rules_decide() -> None:
    result = parse_policy(doc(allow(Resource=None)))
    assert result.ok and result.value is not None and result.value.statements[0].resources is None


# --- principals --------------------------------------------------------------------------------


def test_principal_and_not_principal_together() -> None:
    statement = allow(Effect="Deny", Principal="*", NotPrincipal={"AWS": "123456789012"})
    finding = only(parse_policy(doc(statement)), "PRINCIPAL_AND_NOT_PRINCIPAL")
    assert finding.location == "/Statement/0"
    assert finding.message == "Syntax errors in policy. A statement cannot have both Principal and NotPrincipal."


def test_not_principal_with_allow() -> None:
    finding = only(parse_policy(doc(allow(NotPrincipal={"AWS": "123456789012"}))), "NOT_PRINCIPAL_WITH_ALLOW")
    assert finding.location == "/Statement/0/NotPrincipal"
    assert finding.message.startswith('NotPrincipal must be used with "Effect": "Deny"')


@pytest.mark.parametrize(
    ("principal", "location", "message"),
    [
        (["*"], "/Statement/0/Principal", 'Invalid principal in policy: ["*"]'),
        ("123456789012", "/Statement/0/Principal", 'Invalid principal in policy: "123456789012"'),
        ({}, "/Statement/0/Principal", "Invalid principal in policy: the principal block is empty."),
        (
            {"Account": "x"},
            "/Statement/0/Principal/Account",
            'Invalid principal in policy: unknown principal type "Account".',
        ),
        ({"AWS": "bob"}, "/Statement/0/Principal/AWS", 'Invalid principal in policy: "AWS":"bob"'),
        (
            {"AWS": ["123456789012", "arn:aws:iam::*:root"]},
            "/Statement/0/Principal/AWS/1",
            'Invalid principal in policy: "AWS":"arn:aws:iam::*:root"',
        ),
        (
            {"Service": "*.amazonaws.com"},
            "/Statement/0/Principal/Service",
            'Invalid principal in policy: "Service":"*.amazonaws.com"',
        ),
        ({"Federated": ""}, "/Statement/0/Principal/Federated", 'Invalid principal in policy: "Federated":""'),
    ],
)
def test_invalid_principals(principal: Any, location: str, message: str) -> None:
    finding = only(parse_policy(doc(allow(Principal=principal))), "INVALID_PRINCIPAL")
    assert (finding.location, finding.message) == (location, message)


def test_principal_forms_from_the_principal_page() -> None:
    # reference_policies_elements_principal: account ids and account ARNs are equivalent; "*" and
    # {"AWS": "*"} are equivalent; service, federated and canonical-user principals.
    statement = allow(
        Principal={
            "AWS": [
                "123456789012",
                "arn:aws:iam::111122223333:user/JohnDoe",
                "arn:aws:sts::111122223333:assumed-role/R/s",
            ],
            "Service": ["ec2.amazonaws.com"],
            "Federated": "cognito-identity.amazonaws.com",
            "CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
        }
    )
    result = parse_policy(doc(statement))
    assert result.ok and result.value is not None
    principal = result.value.statements[0].principal
    assert principal is not None
    assert principal.aws_arns[0] == "arn:aws:iam::123456789012:root"
    assert principal.service == ("ec2.amazonaws.com",)
    for wildcard in ("*", {"AWS": "*"}):
        parsed = parse_policy(doc(allow(Principal=wildcard))).value
        assert parsed is not None and parsed.statements[0].principal is not None
        assert parsed.statements[0].principal.wildcard


# --- conditions --------------------------------------------------------------------------------


def test_condition_must_be_an_object() -> None:
    finding = only(parse_policy(doc(allow(Condition=["StringEquals"]))), "INVALID_CONDITION")
    assert (finding.location, finding.message) == (
        "/Statement/0/Condition",
        "Syntax errors in policy. Condition must be an object.",
    )


def test_condition_operator_must_map_keys_to_values() -> None:
    finding = only(parse_policy(doc(allow(Condition={"StringEquals": "aws:username"}))), "INVALID_CONDITION")
    assert finding.location == "/Statement/0/Condition/StringEquals"
    assert finding.message == "Syntax errors in policy. Condition StringEquals must map condition keys to values."


def test_condition_operator_with_no_key() -> None:
    finding = only(parse_policy(doc(allow(Condition={"StringEquals": {}}))), "INVALID_CONDITION")
    assert finding.message == "Syntax errors in policy. Condition StringEquals names no condition key."


def test_unknown_condition_operator_uses_iams_wording() -> None:
    finding = only(
        parse_policy(doc(allow(Condition={"StringEqualz": {"aws:username": "x"}}))), "UNKNOWN_CONDITION_OPERATOR"
    )
    assert (finding.location, finding.message) == (
        "/Statement/0/Condition/StringEqualz/aws:username",
        "Invalid Condition type : StringEqualz",
    )


def test_condition_key_without_a_vendor() -> None:
    finding = only(
        parse_policy(doc(allow(Condition={"StringEquals": {"username": "x"}}))), "CONDITION_KEY_WITHOUT_VENDOR"
    )
    assert (finding.location, finding.message) == ("/Statement/0/Condition/StringEquals/username", VENDOR_MESSAGE)


def test_condition_keys_with_a_slash_are_escaped_in_the_pointer() -> None:
    finding = only(
        parse_policy(doc(allow(Condition={"StringEqualz": {"aws:ResourceTag/team": "x"}}))),
        "UNKNOWN_CONDITION_OPERATOR",
    )
    assert finding.location == "/Statement/0/Condition/StringEqualz/aws:ResourceTag~1team"


def test_condition_values_of_the_wrong_type() -> None:
    result = parse_policy(doc(allow(Condition={"StringEquals": {"aws:username": ["a", {"b": 1}]}})))
    finding = only(result, "INVALID_CONDITION_VALUE")
    assert finding.location == "/Statement/0/Condition/StringEquals/aws:username/1"
    assert finding.message == "Syntax errors in policy. Condition values must be strings, numbers or booleans."


def test_condition_value_of_the_wrong_kind_for_its_operator() -> None:
    finding = only(
        parse_policy(doc(allow(Condition={"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "nope"]}}))),
        "INVALID_CONDITION_VALUE",
    )
    assert finding.location == "/Statement/0/Condition/IpAddress/aws:SourceIp/1"


def test_condition_with_no_values() -> None:
    finding = only(parse_policy(doc(allow(Condition={"StringEquals": {"aws:username": []}}))), "EMPTY_CONDITION_VALUES")
    assert finding.location == "/Statement/0/Condition/StringEquals/aws:username"
    assert finding.message.startswith("Syntax errors in policy.")


def test_null_cannot_take_ifexists() -> None:
    finding = only(
        parse_policy(doc(allow(Condition={"NullIfExists": {"aws:TokenIssueTime": "true"}}))), "IFEXISTS_ON_NULL"
    )
    assert finding.location == "/Statement/0/Condition/NullIfExists/aws:TokenIssueTime"


def test_json_numbers_and_booleans_become_the_strings_aws_compares() -> None:
    result = parse_policy(
        doc(allow(Condition={"Bool": {"aws:SecureTransport": True}, "NumericLessThan": {"s3:max-keys": 10}}))
    )
    assert result.ok and result.value is not None
    values = {c.key: c.values for c in result.value.statements[0].conditions}
    assert values == {"aws:SecureTransport": ("true",), "s3:max-keys": ("10",)}


# --- collect-all -------------------------------------------------------------------------------


def test_every_problem_of_a_document_is_reported_not_just_the_first() -> None:
    document = {
        "Version": "2012-10-17",
        "Extra": 1,
        "Statement": [
            {"Effect": "Alow", "Action": "GetObject", "Resource": "bucket"},
            {"Sid": "A", "Effect": "Allow", "Resource": "*", "Condition": {"StringEqualz": {"aws:username": "x"}}},
            {"Sid": "B", "Effect": "Allow", "Action": "s3:a:b", "Resource": "*", "Principal": {"AWS": "bob"}},
        ],
    }
    result = parse_policy(document)
    assert result.value is None
    assert sorted((f.code, f.location) for f in result.findings) == sorted(
        [
            ("UNKNOWN_FIELD", "/Extra"),
            ("INVALID_EFFECT", "/Statement/0/Effect"),
            ("ACTION_WITHOUT_VENDOR", "/Statement/0/Action"),
            ("INVALID_RESOURCE", "/Statement/0/Resource"),
            ("MISSING_ACTION", "/Statement/1"),
            ("UNKNOWN_CONDITION_OPERATOR", "/Statement/1/Condition/StringEqualz/aws:username"),
            ("ACTION_TOO_MANY_COLONS", "/Statement/2/Action"),
            ("INVALID_PRINCIPAL", "/Statement/2/Principal/AWS"),
        ]
    )
    assert all(f.severity is Severity.ERROR for f in result.findings)


def test_a_warning_alone_keeps_the_value_an_error_drops_it() -> None:
    warned = parse_policy(doc(allow(), version=None))
    assert warned.value is not None and warned.errors == () and len(warned.warnings) == 1
    failed = parse_policy(doc(allow(), allow(Action=None), version=None))
    assert failed.value is None and codes(failed) == ["MISSING_VERSION", "MISSING_ACTION"]


def test_findings_print_with_code_and_location() -> None:
    finding = only(parse_policy(doc(allow(Action=None))), "MISSING_ACTION")
    assert str(finding) == "error: MISSING_ACTION at /Statement/0: Policy statement must contain actions."
    assert finding.as_dict() == {
        "code": "MISSING_ACTION",
        "severity": "error",
        "location": "/Statement/0",
        "message": "Policy statement must contain actions.",
    }


# --- AWS documentation examples ----------------------------------------------------------------
# Example policies of the IAM User Guide, with the pages' own placeholder values.

IDENTITY_EXAMPLES: dict[str, dict[str, Any]] = {
    # reference_policies_examples_aws-dates
    "aws-dates": {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "service-prefix:action-name",
            "Resource": "*",
            "Condition": {
                "DateGreaterThan": {"aws:CurrentTime": "2017-07-01T00:00:00Z"},
                "DateLessThan": {"aws:CurrentTime": "2017-12-31T23:59:59Z"},
            },
        },
    },
    # reference_policies_examples_aws_deny-ip
    "aws_deny-ip": {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]}},
        },
    },
    # reference_policies_examples_aws_deny-requested-region
    "aws_deny-requested-region": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyAllOutsideEU",
                "Effect": "Deny",
                "NotAction": ["cloudfront:*", "iam:*", "route53:*", "support:*"],
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1"]}},
            }
        ],
    },
    # reference_policies_examples_s3_home-directory-console
    "s3_home-directory-console": {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:ListAllMyBuckets", "s3:GetBucketLocation"], "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": "arn:aws:s3:::bucket-name",
                "Condition": {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}},
            },
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": [
                    "arn:aws:s3:::bucket-name/home/${aws:username}",
                    "arn:aws:s3:::bucket-name/home/${aws:username}/*",
                ],
            },
        ],
    },
    # reference_policies_examples_dynamodb_items
    "dynamodb_items": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "dynamodb:DeleteItem",
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:Query",
                    "dynamodb:UpdateItem",
                ],
                "Resource": ["arn:aws:dynamodb:*:*:table/MyTable"],
                "Condition": {
                    "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${cognito-identity.amazonaws.com:sub}"]}
                },
            }
        ],
    },
    # reference_policies_examples_ec2_tag-owner
    "ec2_tag-owner": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["ec2:StartInstances", "ec2:StopInstances"],
                "Resource": "arn:aws:ec2:*:*:instance/*",
                "Condition": {"StringEquals": {"ec2:ResourceTag/Owner": "${aws:username}"}},
            },
            {"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"},
        ],
    },
    # reference_policies_examples_aws_my-sec-creds-self-manage (abridged to three of its statements)
    "aws_my-sec-creds-self-manage": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowViewAccountInfo",
                "Effect": "Allow",
                "Action": ["iam:GetAccountPasswordPolicy", "iam:GetAccountSummary", "iam:ListVirtualMFADevices"],
                "Resource": "*",
            },
            {
                "Sid": "AllowManageOwnVirtualMFADevice",
                "Effect": "Allow",
                "Action": ["iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice"],
                "Resource": "arn:aws:iam::*:mfa/${aws:username}",
            },
            {
                "Sid": "DenyAllExceptListedIfNoMFA",
                "Effect": "Deny",
                "NotAction": [
                    "iam:CreateVirtualMFADevice",
                    "iam:EnableMFADevice",
                    "iam:GetUser",
                    "iam:ListMFADevices",
                    "iam:ListVirtualMFADevices",
                    "iam:ResyncMFADevice",
                    "sts:GetSessionToken",
                ],
                "Resource": "*",
                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
            },
        ],
    },
}

OTHER_EXAMPLES: list[tuple[str, PolicyType, dict[str, Any]]] = [
    # id_roles_create_for-service: a service role's trust policy
    (
        "trust-ec2",
        PolicyType.TRUST,
        {
            "Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
        },
    ),
    # id_credentials_mfa_configure-api-require: cross-account trust that requires MFA
    (
        "trust-mfa",
        PolicyType.TRUST,
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Principal": {"AWS": "123456789012"},
                "Action": "sts:AssumeRole",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            },
        },
    ),
    # reference_policies_elements_principal: a bucket policy naming accounts two ways
    (
        "bucket-two-accounts",
        PolicyType.RESOURCE,
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": ["arn:aws:iam::123456789012:root", "999999999999"]},
                    "Action": "s3:GetObject",
                    "Resource": f"{BUCKET}/*",
                }
            ],
        },
    ),
]


@pytest.mark.parametrize("name", sorted(IDENTITY_EXAMPLES))
def test_iam_user_guide_identity_examples_parse_cleanly(name: str) -> None:
    document = IDENTITY_EXAMPLES[name]
    for source in (document, json.dumps(document, indent=4)):
        result = parse_policy(source)
        assert result.ok and result.findings == (), result.findings
    assert validate_policy(json.dumps(document), PolicyType.IDENTITY).errors == ()


@pytest.mark.parametrize(("name", "policy_type", "document"), OTHER_EXAMPLES, ids=[e[0] for e in OTHER_EXAMPLES])
def test_iam_user_guide_trust_and_resource_examples_parse_cleanly(
    name: str, policy_type: PolicyType, document: dict[str, Any]
) -> None:
    assert parse_policy(document).findings == ()
    assert validate_policy(json.dumps(document), policy_type).errors == ()


# --- properties: nothing makes the parser raise ------------------------------------------------

_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=16)
JSON = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=24,
)
_words = st.sampled_from(
    [
        "*",
        "",
        "?",
        "s3:GetObject",
        "s3:*",
        "a:b:c",
        "nokey",
        "Allow",
        "Deny",
        "2012-10-17",
        "2008-10-17",
        f"{BUCKET}/*",
        "arn:aws:s3:::${aws:username}/${",
        "${aws:username}",
        "arn:aws:iam::111122223333:root",
        "111122223333",
        "lambda.amazonaws.com",
        "StringEquals",
        "ForAllValues:StringLike",
        "ForAnyValue:ArnLikeIfExists",
        "NullIfExists",
        "IpAddress",
        "DateGreaterThan",
        "NumericLessThan",
        "BinaryEquals",
        "Bool",
        "aws:SourceIp",
        "aws:CurrentTime",
        "10.0.0.0/8",
    ]
) | st.text(max_size=12)
_value = st.recursive(
    _words | _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_words, inner, max_size=3),
    max_leaves=10,
)
_principal = st.just("*") | st.dictionaries(
    st.sampled_from(["AWS", "Service", "Federated", "CanonicalUser", "X"]), _value
)
_statement = st.fixed_dictionaries(
    {},
    optional={
        "Sid": _value,
        "Effect": st.sampled_from(["Allow", "Deny"]) | _value,
        "Principal": _principal | _value,
        "NotPrincipal": _principal,
        "Action": _value,
        "NotAction": _value,
        "Resource": _value,
        "NotResource": _value,
        "Condition": st.dictionaries(_words, st.dictionaries(_words, _value, max_size=3), max_size=3) | _value,
        "Other": _value,
    },
)
POLICY_SHAPED = st.fixed_dictionaries(
    {},
    optional={
        "Version": st.sampled_from(["2012-10-17", "2008-10-17"]) | _value,
        "Id": _value,
        "Statement": st.lists(_statement, max_size=3) | _statement | _value,
    },
)

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _assert_result(result: Any) -> None:
    assert isinstance(result, Result)
    for finding in result.findings:
        assert isinstance(finding, Finding)
        assert finding.location == "" or finding.location.startswith("/")
    assert (result.value is None) or not result.errors


@PROPERTY
@given(JSON)
def test_arbitrary_json_never_raises(value: Any) -> None:
    text = json.dumps(value)
    _assert_result(parse_policy(text))
    _assert_result(validate_policy(text))
    if isinstance(value, dict):
        _assert_result(parse_policy(value))


@PROPERTY
@given(POLICY_SHAPED, st.sampled_from(list(PolicyType)))
def test_policy_shaped_documents_never_raise_for_any_policy_type(
    document: dict[str, Any], policy_type: PolicyType
) -> None:
    _assert_result(parse_policy(document))
    _assert_result(validate_policy(document, policy_type))
    _assert_result(validate_policy(json.dumps(document), policy_type, inline_for="role"))


@PROPERTY
@given(st.text())
def test_arbitrary_text_never_raises(text: str) -> None:
    _assert_result(parse_policy(text))
    _assert_result(validate_policy(text))


@PROPERTY
@given(st.binary())
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    _assert_result(parse_policy(data))
    _assert_result(validate_policy(data, PolicyType.SCP))
