"""The rules of each policy type and their size limits (``localiam.policy.types``).

Pages: ``reference_policies_elements_principal`` ("You cannot use the Principal element in an
identity-based policy"; resource-based policies must use it), ``reference_policies_elements_notprincipal``
("You cannot use the NotPrincipal element in an IAM identity-based policy nor in an IAM role trust
policy"), ``reference_policies_elements_resource`` ("Statements must include either a Resource or a
NotResource element"), ``orgs_manage_policies_scps_syntax`` (Principal and NotPrincipal are not
supported), ``orgs_manage_policies_rcps_syntax`` (``"Principal": "*"``; no NotPrincipal nor
NotAction; Version 2012-10-17; "The effect of Allow is only supported for the RCPFullAWSAccess
policy"), ``reference_iam-quotas`` (managed 6,144; inline user 2,048, group 5,120, role 10,240;
role trust 2,048; "IAM doesn't count white space"), ``orgs_reference_limits`` (SCP and RCP 5,120;
"All characters in your SCP count against its maximum size") and ``API_AssumeRole`` (session
policies: 2,048 characters of plaintext, an STS parameter whose white space counts).

AWS texts verified in public issue threads: "Policy document should not specify a principal."
(hashicorp/terraform-provider-aws#10419), "Policy statement must contain resources."
(trussworks/terraform-aws-s3-anti-virus#28), "Has prohibited field Resource"
(kubernetes-sigs/external-dns#3085), "Missing required field Principal" (S3, humanmade/S3-Uploads#191),
"Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression
[0-9A-Za-z]*" (Wolox/carthage_cache#22), "The provided policy document does not meet the
requirements of the specified policy type." (org-formation/org-formation-cli#225),
"Cannot exceed quota for PolicySize: 6144", "Cannot exceed quota for ACLSizePerRole: 2048" and
"Maximum policy size of 10240 bytes exceeded for role ..." (CloudFormation and Terraform output
quoted in several repositories).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from localiam.policy import Finding, PolicyType, check_policy_type, parse_policy, size_limit, validate_policy
from localiam.policy.types import ORGANIZATIONS_WORDING, policy_size, size_exceeded_message

BUCKET = "arn:aws:s3:::amzn-s3-demo-bucket"
ACCOUNT = "123456789012"


def statement(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{BUCKET}/*"}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def check(policy_type: PolicyType, *statements: dict[str, Any], version: str | None = "2012-10-17") -> list[Finding]:
    document: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        document["Version"] = version
    parsed = parse_policy(document)
    assert parsed.value is not None, parsed.findings
    return check_policy_type(parsed.value, policy_type)


def pairs(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.code, f.location) for f in findings]


def one(findings: list[Finding], code: str) -> Finding:
    found = [f for f in findings if f.code == code]
    assert len(found) == 1, findings
    return found[0]


# --- identity, boundary and session policies ---------------------------------------------------

IDENTITY_LIKE = [PolicyType.IDENTITY, PolicyType.BOUNDARY, PolicyType.SESSION]


@pytest.mark.parametrize("policy_type", IDENTITY_LIKE)
def test_identity_like_policies_accept_a_plain_statement(policy_type: PolicyType) -> None:
    assert check(policy_type, statement()) == []


@pytest.mark.parametrize("policy_type", IDENTITY_LIKE)
@pytest.mark.parametrize(("element", "value"), [("Principal", "*"), ("NotPrincipal", {"AWS": ACCOUNT})])
def test_identity_like_policies_must_not_name_a_principal(policy_type: PolicyType, element: str, value: Any) -> None:
    findings = check(policy_type, statement(Effect="Deny", **{element: value}))
    finding = one(findings, "PRINCIPAL_NOT_ALLOWED")
    assert finding.location == f"/Statement/0/{element}"
    assert finding.message == "Policy document should not specify a principal."


@pytest.mark.parametrize("policy_type", IDENTITY_LIKE)
def test_identity_like_policies_must_name_resources(policy_type: PolicyType) -> None:
    finding = one(check(policy_type, statement(), statement(Resource=None)), "MISSING_RESOURCE")
    assert (finding.location, finding.message) == ("/Statement/1", "Policy statement must contain resources.")


def test_not_resource_satisfies_the_resource_rule() -> None:
    assert check(PolicyType.IDENTITY, statement(Resource=None, NotResource=BUCKET)) == []


@pytest.mark.parametrize("policy_type", [*IDENTITY_LIKE, PolicyType.TRUST])
def test_iam_sids_must_be_alphanumeric(policy_type: PolicyType) -> None:
    stmt = statement(Sid="read-only")
    if policy_type is PolicyType.TRUST:
        stmt = {"Sid": "read-only", "Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}
    finding = one(check(policy_type, stmt), "INVALID_SID")
    assert finding.location == "/Statement/0/Sid"
    assert finding.message == (
        "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
    )


@pytest.mark.parametrize("policy_type", [PolicyType.RESOURCE, PolicyType.SCP])
def test_sids_of_other_policy_types_may_have_other_characters(policy_type: PolicyType) -> None:
    stmt = (
        statement(Sid="Allow read-only access", Principal={"AWS": ACCOUNT})
        if policy_type is PolicyType.RESOURCE
        else (statement(Sid="Deny outside EU"))
    )
    assert not [f for f in check(policy_type, stmt) if f.code == "INVALID_SID"]


# --- resource-based policies -------------------------------------------------------------------


def test_resource_policies_must_name_a_principal() -> None:
    findings = check(PolicyType.RESOURCE, statement(Principal="*"), statement())
    finding = one(findings, "MISSING_PRINCIPAL")
    assert (finding.location, finding.message) == ("/Statement/1", "Missing required field Principal")


def test_resource_policies_accept_not_principal_with_deny() -> None:
    assert check(PolicyType.RESOURCE, statement(Effect="Deny", NotPrincipal={"AWS": ACCOUNT})) == []


def test_resource_policies_must_name_resources() -> None:
    finding = one(check(PolicyType.RESOURCE, statement(Principal="*", Resource=None)), "MISSING_RESOURCE")
    assert finding.message == "Policy statement must contain resources."


# --- role trust policies -----------------------------------------------------------------------


def trust(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def test_a_trust_policy_from_the_guide_is_accepted() -> None:
    assert check(PolicyType.TRUST, trust()) == []


def test_trust_policies_must_name_a_principal() -> None:
    finding = one(check(PolicyType.TRUST, trust(Principal=None)), "MISSING_PRINCIPAL")
    assert (finding.location, finding.message) == ("/Statement/0", "Missing required field Principal")


def test_trust_policies_cannot_use_not_principal() -> None:
    finding = one(
        check(PolicyType.TRUST, trust(Effect="Deny", Principal=None, NotPrincipal={"AWS": ACCOUNT})),
        "NOT_PRINCIPAL_NOT_ALLOWED",
    )
    assert finding.location == "/Statement/0/NotPrincipal"


@pytest.mark.parametrize("element", ["Resource", "NotResource"])
def test_trust_policies_have_no_resource(element: str) -> None:
    finding = one(check(PolicyType.TRUST, trust(**{element: "*"})), "RESOURCE_NOT_ALLOWED")
    assert (finding.location, finding.message) == (f"/Statement/0/{element}", f"Has prohibited field {element}")


# --- SCPs --------------------------------------------------------------------------------------

FULL_AWS_ACCESS = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def test_full_aws_access_and_the_guides_deny_examples_are_valid_scps() -> None:
    region_deny = {
        "Sid": "DenyAllOutsideEU",
        "Effect": "Deny",
        "NotAction": ["cloudfront:*", "iam:*", "route53:*", "support:*"],
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1"]}},
    }
    assert check(PolicyType.SCP, FULL_AWS_ACCESS, region_deny) == []


@pytest.mark.parametrize(("element", "value"), [("Principal", "*"), ("NotPrincipal", {"AWS": ACCOUNT})])
def test_scps_take_no_principal_in_organizations_wording(element: str, value: Any) -> None:
    finding = one(check(PolicyType.SCP, statement(Effect="Deny", **{element: value})), "PRINCIPAL_NOT_ALLOWED")
    assert (finding.location, finding.message) == (f"/Statement/0/{element}", ORGANIZATIONS_WORDING)


def test_scps_must_name_resources_in_organizations_wording() -> None:
    finding = one(check(PolicyType.SCP, statement(Resource=None)), "MISSING_RESOURCE")
    assert finding.message == ORGANIZATIONS_WORDING


def test_organizations_wording_is_awss() -> None:
    assert ORGANIZATIONS_WORDING == (
        "The provided policy document does not meet the requirements of the specified policy type."
    )


# --- RCPs --------------------------------------------------------------------------------------

RCP_DENY = {
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": "*",
    "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}},
}


def test_an_rcp_from_the_guide_is_accepted() -> None:
    assert check(PolicyType.RCP, RCP_DENY) == []


def test_rcps_need_version_2012() -> None:
    finding = one(check(PolicyType.RCP, RCP_DENY, version=None), "RCP_VERSION_REQUIRED")
    assert finding.location == "/Version" and finding.message.startswith(ORGANIZATIONS_WORDING)


@pytest.mark.parametrize("principal", [{"AWS": ACCOUNT}, {"Service": "s3.amazonaws.com"}, None])
def test_rcp_principal_must_be_star(principal: Any) -> None:
    stmt = (
        {**RCP_DENY, "Principal": principal}
        if principal is not None
        else {k: v for k, v in RCP_DENY.items() if k != "Principal"}
    )
    finding = one(check(PolicyType.RCP, stmt), "RCP_PRINCIPAL_MUST_BE_WILDCARD")
    assert finding.location == ("/Statement/0/Principal" if principal is not None else "/Statement/0")
    assert finding.message.startswith(ORGANIZATIONS_WORDING)


def test_rcps_take_no_not_principal() -> None:
    stmt = {k: v for k, v in RCP_DENY.items() if k != "Principal"} | {"NotPrincipal": {"AWS": ACCOUNT}}
    findings = check(PolicyType.RCP, stmt)
    assert pairs(findings) == [("NOT_PRINCIPAL_NOT_ALLOWED", "/Statement/0/NotPrincipal")]


def test_rcps_take_no_not_action() -> None:
    stmt = {k: v for k, v in RCP_DENY.items() if k != "Action"} | {"NotAction": "s3:GetObject"}
    assert pairs(check(PolicyType.RCP, stmt)) == [("NOT_ACTION_NOT_ALLOWED", "/Statement/0/NotAction")]


def test_rcps_may_not_allow() -> None:
    finding = one(check(PolicyType.RCP, {**RCP_DENY, "Effect": "Allow"}), "RCP_ALLOW_NOT_SUPPORTED")
    assert finding.location == "/Statement/0/Effect"
    assert finding.message.endswith("Allow is only supported for the RCPFullAWSAccess policy.")


def test_rcps_must_name_resources() -> None:
    stmt = {k: v for k, v in RCP_DENY.items() if k != "Resource"}
    assert pairs(check(PolicyType.RCP, stmt)) == [("MISSING_RESOURCE", "/Statement/0")]


def test_every_rcp_problem_is_reported() -> None:
    stmt = {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "NotAction": "s3:*"}
    assert sorted(pairs(check(PolicyType.RCP, stmt, version=None))) == sorted(
        [
            ("RCP_VERSION_REQUIRED", "/Version"),
            ("RCP_PRINCIPAL_MUST_BE_WILDCARD", "/Statement/0/Principal"),
            ("NOT_ACTION_NOT_ALLOWED", "/Statement/0/NotAction"),
            ("RCP_ALLOW_NOT_SUPPORTED", "/Statement/0/Effect"),
            ("MISSING_RESOURCE", "/Statement/0"),
        ]
    )


# --- size limits -------------------------------------------------------------------------------


def test_size_limits_per_type() -> None:
    assert {t: size_limit(t) for t in PolicyType} == {
        PolicyType.IDENTITY: 6144,
        PolicyType.BOUNDARY: 6144,
        PolicyType.SESSION: 2048,
        PolicyType.TRUST: 2048,
        PolicyType.SCP: 5120,
        PolicyType.RCP: 5120,
        PolicyType.RESOURCE: None,
    }
    assert [size_limit(PolicyType.IDENTITY, inline_for=e) for e in ("user", "group", "role")] == [2048, 5120, 10240]


def sized(policy_type: PolicyType, size: int) -> dict[str, Any]:
    """A valid policy of ``policy_type`` whose compact JSON is exactly ``size`` characters."""
    if policy_type is PolicyType.TRUST:
        stmt: dict[str, Any] = trust(Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:user/"})
        grow: list[Any] = [stmt["Principal"], "AWS"]
    elif policy_type is PolicyType.RCP:
        stmt = dict(RCP_DENY, Resource="arn:aws:s3:::b/")
        grow = [stmt, "Resource"]
    elif policy_type is PolicyType.RESOURCE:
        stmt = statement(Principal="*", Resource="arn:aws:s3:::b/")
        grow = [stmt, "Resource"]
    else:
        stmt = statement(Resource="arn:aws:s3:::b/")
        grow = [stmt, "Resource"]
    document = {"Version": "2012-10-17", "Statement": [stmt]}
    base = len(json.dumps(document, separators=(",", ":")))
    assert size >= base
    grow[0][grow[1]] += "a" * (size - base)
    assert len(json.dumps(document, separators=(",", ":"))) == size
    return document


def size_findings(policy_type: PolicyType, text: str, inline_for: str | None = None) -> list[Finding]:
    parsed = parse_policy(text)
    assert parsed.value is not None, parsed.findings
    return [
        f
        for f in check_policy_type(parsed.value, policy_type, source=text, inline_for=inline_for)
        if f.code == "POLICY_TOO_LARGE"
    ]


LIMITED = [t for t in PolicyType if size_limit(t) is not None]


@pytest.mark.parametrize("policy_type", LIMITED)
def test_a_policy_at_its_limit_passes_and_one_character_more_fails(policy_type: PolicyType) -> None:
    limit = size_limit(policy_type)
    assert limit is not None
    at_limit = json.dumps(sized(policy_type, limit), separators=(",", ":"))
    over = json.dumps(sized(policy_type, limit + 1), separators=(",", ":"))
    assert size_findings(policy_type, at_limit) == []
    finding = one(size_findings(policy_type, over), "POLICY_TOO_LARGE")
    assert finding.location == ""
    assert finding.message.startswith(size_exceeded_message(policy_type, limit).rstrip("."))
    assert f"has {limit + 1} characters" in finding.message


@pytest.mark.parametrize("policy_type", [PolicyType.IDENTITY, PolicyType.BOUNDARY, PolicyType.TRUST])
def test_iam_does_not_count_white_space_outside_strings(policy_type: PolicyType) -> None:
    limit = size_limit(policy_type)
    assert limit is not None
    pretty = json.dumps(sized(policy_type, limit), indent=4)
    assert len(pretty) > limit
    assert policy_size(pretty, policy_type) == limit
    assert size_findings(policy_type, pretty) == []


def test_iam_counts_white_space_inside_strings() -> None:
    assert policy_size('{"Sid": "a b"}', PolicyType.IDENTITY) == len('{"Sid":"a b"}')
    assert policy_size('{"Sid": "a\\" b"}', PolicyType.IDENTITY) == len('{"Sid":"a\\" b"}')


@pytest.mark.parametrize("policy_type", [PolicyType.SCP, PolicyType.RCP, PolicyType.SESSION])
def test_organizations_and_sts_count_every_character(policy_type: PolicyType) -> None:
    limit = size_limit(policy_type)
    assert limit is not None
    pretty = json.dumps(sized(policy_type, limit), indent=4)
    assert policy_size(pretty, policy_type) == len(pretty) > limit
    assert len(size_findings(policy_type, pretty)) == 1


@pytest.mark.parametrize(("entity", "limit"), [("user", 2048), ("group", 5120), ("role", 10240)])
def test_inline_limits_per_entity(entity: str, limit: int) -> None:
    at_limit = json.dumps(sized(PolicyType.IDENTITY, limit))
    over = json.dumps(sized(PolicyType.IDENTITY, limit + 1))
    assert size_findings(PolicyType.IDENTITY, at_limit, inline_for=entity) == []
    finding = one(size_findings(PolicyType.IDENTITY, over, inline_for=entity), "POLICY_TOO_LARGE")
    assert finding.message.startswith(f"Maximum policy size of {limit} bytes exceeded for {entity}")


def test_size_messages_are_awss() -> None:
    assert size_exceeded_message(PolicyType.IDENTITY, 6144) == "Cannot exceed quota for PolicySize: 6144"
    assert size_exceeded_message(PolicyType.TRUST, 2048) == "Cannot exceed quota for ACLSizePerRole: 2048"
    assert (
        size_exceeded_message(PolicyType.IDENTITY, 10240, "role")
        == "Maximum policy size of 10240 bytes exceeded for role"
    )


def test_resource_policies_have_no_generic_limit() -> None:
    big = json.dumps(sized(PolicyType.RESOURCE, 30_000))
    assert size_findings(PolicyType.RESOURCE, big) == []


def test_a_mapping_source_is_measured_compact() -> None:
    document = sized(PolicyType.IDENTITY, 6145)
    assert policy_size(document, PolicyType.IDENTITY) == 6145
    assert [f.code for f in validate_policy(document, PolicyType.IDENTITY).errors] == ["POLICY_TOO_LARGE"]


def test_size_needs_the_source() -> None:
    parsed = parse_policy(sized(PolicyType.IDENTITY, 7000))
    assert parsed.value is not None
    assert check_policy_type(parsed.value, PolicyType.IDENTITY) == []


# --- through validate_policy -------------------------------------------------------------------


def test_validate_policy_applies_the_type_rules_and_drops_the_value_on_error() -> None:
    text = json.dumps({"Version": "2012-10-17", "Statement": [trust()]})
    assert validate_policy(text, PolicyType.TRUST).errors == ()
    result = validate_policy(text, PolicyType.IDENTITY)
    assert result.value is None
    assert sorted(f.code for f in result.errors) == ["MISSING_RESOURCE", "PRINCIPAL_NOT_ALLOWED"]
