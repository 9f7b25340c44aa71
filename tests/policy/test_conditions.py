"""Condition operators, set qualifiers, ``IfExists`` and ``Null``.

Examples come from the IAM User Guide pages ``reference_policies_elements_condition_operators``
(OPS), ``reference_policies_condition-single-vs-multi-valued-context-keys`` and
``reference_policies_multi-value-conditions`` (MULTI),
``reference_policies_condition_examples-multi-valued-context-keys`` (MULTI-EX),
``reference_policies_elements_condition`` (COND), ``reference_policies_variables`` (VARS) and
``reference_policies_grammar`` (GRAMMAR).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from localiam.policy.arn import arn_like
from localiam.policy.conditions import (
    OPERATORS,
    CompiledCondition,
    _context_address,
    compile_condition,
    evaluate_all,
    split_operator,
)
from localiam.policy.findings import Collector, Finding, Severity

Ctx = Mapping[str, tuple[str, ...]]


def compile_ok(operator: str, key: str, *values: str, variables: bool = True) -> CompiledCondition:
    collector = Collector()
    compiled = compile_condition(operator, key, values, "/C", variables=variables, collector=collector)
    assert collector.findings == [], [str(f) for f in collector.findings]
    assert compiled is not None
    return compiled


def problems(operator: str, key: str, *values: str, variables: bool = True) -> list[Finding]:
    collector = Collector()
    compiled = compile_condition(operator, key, values, "/C", variables=variables, collector=collector)
    assert compiled is None
    assert collector.findings
    assert all(f.severity is Severity.ERROR for f in collector.findings)
    return collector.findings


def ctx(**pairs: str | tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """A request context from keywords: ``aws__SourceIp="..."`` → ``{"aws:sourceip": ("...",)}``."""
    return {k.replace("__", ":").lower(): (v if isinstance(v, tuple) else (v,)) for k, v in pairs.items()}


def reference(condition: CompiledCondition, context: Ctx) -> bool:
    """AWS's rules for combining a condition's values, read literally
    (``reference_policies_multi-value-conditions``, ``reference_policies_elements_condition_operators``):
    a missing key fails the condition unless ``...IfExists``, a negated operator or
    ``ForAllValues`` (true when the key is missing), ``ForAnyValue`` fails on a missing key;
    ``Null`` tests presence; a negated operator holds when no request value matches any policy
    value (NOR); ``ForAllValues`` needs every request value to match, ``ForAnyValue`` and the bare
    operators one. The engine's evaluator folds all of this into a few flags; this reads it
    step by step from the per-value match of the operator."""
    raw = context.get(condition.lookup)
    null = condition.base == "Null"
    wants_null = [v.lower() == "true" for v in condition.values]
    if not raw:
        if null:
            return any(wants_null)
        if condition.qualifier == "ForAllValues":
            return True
        if condition.qualifier == "ForAnyValue":
            return False
        return condition.if_exists or condition.negated
    if null:
        return not all(wants_null)
    predicate = condition._predicate if condition._predicate is not None else condition._binder(context)  # type: ignore[misc]
    hits = [bool(predicate(v)) != condition.negated for v in raw]
    if condition.qualifier == "ForAllValues":
        return all(hits)
    if condition.qualifier == "ForAnyValue":
        return any(hits)
    if condition.negated:
        return all(hits)
    return any(hits)


def check(condition: CompiledCondition, context: Ctx) -> bool:
    """Evaluate, insist the literal reading of the rules agrees, and that explain reports it."""
    fast = condition.evaluate(context)
    assert reference(condition, context) is fast
    outcome = condition.explain(context)
    assert outcome.result is fast
    assert outcome.missing is (not context.get(condition.lookup))
    return fast


# --- operator names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("StringEquals", (None, "StringEquals", False)),
        ("StringLikeIfExists", (None, "StringLike", True)),
        ("ForAllValues:StringLike", ("ForAllValues", "StringLike", False)),
        ("ForAnyValue:ArnNotLikeIfExists", ("ForAnyValue", "ArnNotLike", True)),
        ("NotIpAddressIfExists", (None, "NotIpAddress", True)),
        ("Null", (None, "Null", False)),
        ("NullIfExists", (None, "Null", True)),  # splits; compile_condition rejects it
    ],
)
def test_split_operator(name: str, expected: tuple[str | None, str, bool]) -> None:
    assert split_operator(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "stringEquals",  # AWS: "MalformedPolicyDocument: Invalid Condition type : stringEquals"
        "StringEqualz",
        "forallvalues:StringEquals",
        "ForAllValues:",
        "IfExists",
        "ForAllValue:StringEquals",
        "ForAllValues:ForAnyValue:StringEquals",
        "StringEqualsIfExistsIfExists",
        "BinaryNotEquals",
        "StringMatch",
        "",
    ],
)
def test_unknown_operator_names(name: str) -> None:
    assert split_operator(name) is None
    [finding] = problems(name, "aws:username", "x")
    assert finding.code == "UNKNOWN_CONDITION_OPERATOR"
    assert finding.location == "/C"
    assert finding.message == f"Invalid Condition type : {name}"


def test_the_table_has_every_operator_of_the_page() -> None:
    """OPS lists String (6), Numeric (6), Date (6), Bool, BinaryEquals, IP (2), ARN (4), Null."""
    assert sorted(OPERATORS) == sorted(
        [
            "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
            "StringLike", "StringNotLike",
            "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
            "NumericGreaterThan", "NumericGreaterThanEquals",
            "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
            "DateGreaterThanEquals",
            "Bool", "BinaryEquals", "IpAddress", "NotIpAddress",
            "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike",
            "Null",
        ]
    )  # fmt: skip
    negated = {name for name, spec in OPERATORS.items() if spec.negated}
    assert negated == {
        "StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals",
        "DateNotEquals", "NotIpAddress", "ArnNotEquals", "ArnNotLike",
    }  # fmt: skip


SAMPLE = {
    "String": "x",
    "Numeric": "10",
    "Date": "2020-01-01T00:00:00Z",
    "Bool": "true",
    "Binary": "QmluYXJ5VmFsdWVJbkJhc2U2NA==",
    "IpAddress": "203.0.113.0/24",
    "NotIpAddress": "203.0.113.0/24",
    "Arn": "arn:aws:sns:us-east-1:123456789012:topic",
    "Null": "true",
}


def sample_value(base: str) -> str:
    for prefix, value in SAMPLE.items():
        if base.startswith(prefix):
            return value
    raise AssertionError(base)


ALL_FORMS = [
    f"{q}{base}{suffix}"
    for base in OPERATORS
    for q in ("", "ForAllValues:", "ForAnyValue:")
    for suffix in ("", "IfExists")
    if not (base == "Null" and suffix)
]


@pytest.mark.parametrize("name", ALL_FORMS)
def test_every_form_compiles(name: str) -> None:
    split = split_operator(name)
    assert split is not None
    compiled = compile_ok(name, "aws:SomeKey", sample_value(split[1]))
    assert compiled.operator == name
    assert compiled.base == split[1]
    assert compiled.lookup == "aws:somekey"


def test_ifexists_on_null_is_rejected() -> None:
    """OPS: "You can add IfExists to the end of any condition operator name except the Null
    condition"; Access Analyzer names the error "Null with if exists"."""
    for name in ("NullIfExists", "ForAllValues:NullIfExists"):
        [finding] = problems(name, "aws:TokenIssueTime", "true")
        assert finding.code == "IFEXISTS_ON_NULL"
        assert "cannot be used with the IfExists suffix" in finding.message


def test_empty_value_list_is_rejected() -> None:
    """GRAMMAR: "Arrays can take one or more values"."""
    [finding] = problems("StringEquals", "aws:username")
    assert finding.code == "EMPTY_CONDITION_VALUES"
    assert finding.location == "/C"


# --- the missing-key rule ------------------------------------------------------------------


@pytest.mark.parametrize("base", sorted(set(OPERATORS) - {"Null"}))
def test_missing_key(base: str) -> None:
    """OPS: "If the key ... is not present in the request context, the values do not match and
    the condition is false. If the policy condition requires that the key is not matched, such
    as StringNotLike or ArnNotLike, and the right key is not present, the condition is true."
    ``...IfExists``: "If the key is not present, evaluate the condition element as true"."""
    value = sample_value(base)
    negated = OPERATORS[base].negated
    plain = compile_ok(base, "aws:Absent", value)
    outcome = plain.explain({})
    assert outcome.missing and outcome.context_values is None
    assert check(plain, {}) is negated
    assert check(compile_ok(base + "IfExists", "aws:Absent", value), {}) is True
    # A key present with no values counts as missing.
    assert check(plain, {"aws:absent": ()}) is negated
    assert plain.explain({"aws:absent": ()}).missing


def test_ifexists_applies_the_operator_when_present() -> None:
    """OPS, IfExists example: ``StringLikeIfExists {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}``."""
    cond = compile_ok("StringLikeIfExists", "ec2:InstanceType", "t1.*", "t2.*", "m3.*")
    assert check(cond, ctx(ec2__InstanceType="t2.micro"))
    assert not check(cond, ctx(ec2__InstanceType="m5.large"))
    assert check(cond, {})  # an image or key pair has no ec2:InstanceType
    # "If you are using an "Effect": "Deny" element with a negated condition operator like
    # StringNotEqualsIfExists, the request is still denied even if the tag is missing."
    deny = compile_ok("StringNotEqualsIfExists", "aws:ResourceTag/team", "blue")
    assert check(deny, {})
    assert not check(deny, {"aws:resourcetag/team": ("blue",)})


def test_key_names_are_case_insensitive() -> None:
    """COND: "including the aws:SourceIP condition key is equivalent to testing for AWS:SourceIp"."""
    cond = compile_ok("IpAddress", "AWS:SourceIp", "203.0.113.0/24")
    assert cond.key == "AWS:SourceIp"
    assert cond.lookup == "aws:sourceip"
    assert check(cond, {"aws:sourceip": ("203.0.113.9",)})


# --- String --------------------------------------------------------------------------------


def test_string_equals_page_example() -> None:
    """OPS: ``StringEquals {"aws:PrincipalTag/job-category": "iamuser-admin"}``; "If a user
    without the tag attempts to view or edit an access key, the condition returns false"."""
    cond = compile_ok("StringEquals", "aws:PrincipalTag/job-category", "iamuser-admin")
    assert check(cond, {"aws:principaltag/job-category": ("iamuser-admin",)})
    assert not check(cond, {"aws:principaltag/job-category": ("IAMUSER-ADMIN",)})
    assert not check(cond, {})


def test_string_equals_is_case_sensitive_and_ignore_case_is_not() -> None:
    """COND: StringEquals "johndoe" denies JohnDoe; StringEqualsIgnoreCase matches both."""
    exact = compile_ok("StringEquals", "aws:username", "johndoe")
    loose = compile_ok("StringEqualsIgnoreCase", "aws:username", "johndoe")
    assert check(exact, ctx(aws__username="johndoe"))
    assert not check(exact, ctx(aws__username="JohnDoe"))
    assert check(loose, ctx(aws__username="JohnDoe"))
    not_loose = compile_ok("StringNotEqualsIgnoreCase", "aws:username", "johndoe")
    assert not check(not_loose, ctx(aws__username="JOHNDOE"))
    assert check(not_loose, ctx(aws__username="jane"))


def test_string_values_are_ored() -> None:
    cond = compile_ok("StringEquals", "aws:PrincipalTag/role", "audit", "security")
    assert check(cond, {"aws:principaltag/role": ("security",)})
    assert not check(cond, {"aws:principaltag/role": ("dev",)})


def test_negated_values_are_nored() -> None:
    """ "If a single negated matching condition operator includes multiple values for a context
    key, those values are evaluated using a logical NOR" (reference_policies_condition-logic-
    multiple-context-keys-or-values)."""
    cond = compile_ok("StringNotEquals", "aws:PrincipalTag/role", "audit", "security")
    assert not check(cond, {"aws:principaltag/role": ("audit",)})
    assert not check(cond, {"aws:principaltag/role": ("security",)})
    assert check(cond, {"aws:principaltag/role": ("dev",)})


def test_string_like_page_example() -> None:
    """OPS: ``StringLike {"s3:prefix": ["", "home/", "home/${aws:username}/"]}``."""
    cond = compile_ok("StringLike", "s3:prefix", "", "home/", "home/${aws:username}/")
    user = {"aws:username": ("David",)}
    assert check(cond, {**user, "s3:prefix": ("",)})
    assert check(cond, {**user, "s3:prefix": ("home/",)})
    assert check(cond, {**user, "s3:prefix": ("home/David/",)})
    assert not check(cond, {**user, "s3:prefix": ("home/Adele/",)})


def test_string_like_wildcards_and_string_equals_literal_star() -> None:
    like = compile_ok("StringLike", "ec2:InstanceType", "t?.*")
    assert check(like, ctx(ec2__InstanceType="t2.micro"))
    assert not check(like, ctx(ec2__InstanceType="t22.micro"))
    equals = compile_ok("StringEquals", "ec2:InstanceType", "t2.*")
    assert not check(equals, ctx(ec2__InstanceType="t2.micro"))
    assert check(equals, ctx(ec2__InstanceType="t2.*"))
    not_like = compile_ok("StringNotLike", "s3:prefix", "private/*")
    assert not check(not_like, ctx(s3__prefix="private/x"))
    assert check(not_like, ctx(s3__prefix="public/x"))


# --- policy variables ----------------------------------------------------------------------


def test_variables_in_string_conditions() -> None:
    """VARS: ``StringLike {"s3:prefix": ["${aws:username}/*"]}``."""
    cond = compile_ok("StringLike", "s3:prefix", "${aws:username}/*")
    assert check(cond, {"aws:username": ("David",), "s3:prefix": ("David/photos",)})
    assert not check(cond, {"aws:username": ("David",), "s3:prefix": ("Adele/photos",)})


def test_variables_off_means_literal() -> None:
    """VARS: without Version 2012-10-17 "variables like ${aws:username} are treated as literal
    strings in the policy"."""
    cond = compile_ok("StringEquals", "s3:prefix", "${aws:username}", variables=False)
    assert check(cond, {"aws:username": ("David",), "s3:prefix": ("${aws:username}",)})
    assert not check(cond, {"aws:username": ("David",), "s3:prefix": ("David",)})


def test_substituted_text_is_literal() -> None:
    """A ``*`` inside a tag value is not a wildcard; ``${*}`` is a literal star."""
    cond = compile_ok("StringLike", "s3:prefix", "${aws:PrincipalTag/dir}/x")
    tag = {"aws:principaltag/dir": ("a*",)}
    assert check(cond, {**tag, "s3:prefix": ("a*/x",)})
    assert not check(cond, {**tag, "s3:prefix": ("abc/x",)})
    star = compile_ok("StringLike", "s3:prefix", "${*}/x")
    assert check(star, ctx(s3__prefix="*/x"))
    assert not check(star, ctx(s3__prefix="a/x"))
    equals = compile_ok("StringEquals", "s3:prefix", "${*}")
    assert check(equals, ctx(s3__prefix="*"))


def test_variable_defaults_and_ignore_case() -> None:
    """VARS, "Specifying default values": ``${aws:PrincipalTag/team, 'company-wide'}``."""
    cond = compile_ok("StringEqualsIgnoreCase", "aws:ResourceTag/team", "${aws:PrincipalTag/team, 'company-wide'}")
    assert check(cond, {"aws:resourcetag/team": ("Company-Wide",)})
    assert check(cond, {"aws:resourcetag/team": ("BLUE",), "aws:principaltag/team": ("blue",)})


def test_unresolved_variable_is_effectively_null() -> None:
    """VARS, "Policy variables with no value": "When you use a variable with no value in the
    condition element of an IAM policy, condition operators like StringEquals or StringLike do
    not match, and the policy statement does not take effect. Inverted condition operators
    like StringNotEquals or StringNotLike do match against a null value". (An earlier version
    made every operator false; the differential test against iam-simulate caught it.)"""
    present = {"aws:resourcetag/owner": ("bob",)}
    for name in ("StringEquals", "StringLike", "ArnLike", "ForAnyValue:StringEquals"):
        cond = compile_ok(name, "aws:ResourceTag/owner", "${aws:username}")
        assert not check(cond, present)
        assert not check(cond, {})
        assert cond.explain(present).result is False
    for name in ("StringNotEquals", "StringNotLike", "ArnNotLike", "StringNotEqualsIgnoreCase"):
        cond = compile_ok(name, "aws:ResourceTag/owner", "${aws:username}")
        assert check(cond, present)
        assert check(cond, {})
        assert cond.explain(present).result is True
    # The missing-key rules are unchanged: IfExists holds when the key is absent.
    assert check(compile_ok("StringEqualsIfExists", "aws:ResourceTag/owner", "${aws:username}"), {})
    # Other values of the same condition still match.
    either = compile_ok("StringEquals", "aws:ResourceTag/owner", "${aws:username}", "bob")
    assert check(either, present)


def test_variables_only_substitute_for_string_and_arn_operators() -> None:
    """VARS: "You can't use a policy variable with other operators, such as Numeric, Date,
    Boolean, Binary, IP Address, or Null operators"; the text stays literal and so fails the
    operator's type check."""
    for name, value in [
        ("NumericEquals", "${aws:MultiFactorAuthAge}"),
        ("DateLessThan", "${aws:CurrentTime}"),
        ("Bool", "${aws:SecureTransport}"),
        ("BinaryEquals", "${aws:x}"),
        ("IpAddress", "${aws:SourceIp}"),
        ("Null", "${aws:x}"),
    ]:
        [finding] = problems(name, "aws:Key", value)
        assert finding.code == "INVALID_CONDITION_VALUE"
        assert "String and ARN operators" in finding.message


def test_variables_in_arn_conditions() -> None:
    """OPS: "You can use a policy variable with the ARN condition operator"."""
    cond = compile_ok("ArnLike", "aws:SourceArn", "arn:aws:sns:*:${aws:PrincipalAccount}:*")
    assert check(
        cond,
        {"aws:principalaccount": ("123456789012",), "aws:sourcearn": ("arn:aws:sns:us-east-1:123456789012:t",)},
    )
    assert not check(
        cond,
        {"aws:principalaccount": ("123456789012",), "aws:sourcearn": ("arn:aws:sns:us-east-1:999999999999:t",)},
    )
    assert not check(cond, {"aws:sourcearn": ("arn:aws:sns:us-east-1:123456789012:t",)})


# --- Numeric -------------------------------------------------------------------------------


def test_numeric_page_example() -> None:
    """OPS: ``NumericLessThanEquals {"s3:max-keys": "10"}`` — list "up to 10 objects"."""
    cond = compile_ok("NumericLessThanEquals", "s3:max-keys", "10")
    assert check(cond, {"s3:max-keys": ("10",)})
    assert check(cond, {"s3:max-keys": ("3",)})
    assert not check(cond, {"s3:max-keys": ("11",)})


@pytest.mark.parametrize(
    ("name", "context_value", "expected"),
    [
        ("NumericEquals", "10", True),
        ("NumericEquals", "10.0", True),
        ("NumericEquals", "1e1", True),
        ("NumericEquals", "10.5", False),
        ("NumericNotEquals", "10.5", True),
        ("NumericNotEquals", "10", False),
        ("NumericLessThan", "9.99", True),
        ("NumericLessThan", "10", False),
        ("NumericLessThanEquals", "10", True),
        ("NumericGreaterThan", "10.01", True),
        ("NumericGreaterThan", "10", False),
        ("NumericGreaterThanEquals", "10", True),
        ("NumericGreaterThanEquals", "-3", False),
        # A value that is not a number matches no policy value; the negated operator is true.
        ("NumericEquals", "ten", False),
        ("NumericLessThan", "ten", False),
        ("NumericNotEquals", "ten", True),
        ("NumericEquals", " 10", False),
        ("NumericEquals", "1_0", False),
    ],
)
def test_numeric_operators(name: str, context_value: str, expected: bool) -> None:
    cond = compile_ok(name, "s3:max-keys", "10")
    assert check(cond, {"s3:max-keys": (context_value,)}) is expected


def test_numeric_or_across_values_uses_the_loosest_bound() -> None:
    cond = compile_ok("NumericLessThan", "s3:max-keys", "5", "20.5")
    assert check(cond, {"s3:max-keys": ("20",)})
    assert not check(cond, {"s3:max-keys": ("20.5",)})
    greater = compile_ok("NumericGreaterThan", "s3:max-keys", "5", "20")
    assert check(greater, {"s3:max-keys": ("6",)})


def test_numeric_values_are_checked() -> None:
    found = problems("NumericLessThan", "s3:max-keys", "ten", "10", "1.2.3", "", "inf")
    assert [f.location for f in found] == ["/C/0", "/C/2", "/C/3", "/C/4"]
    assert found[0].message == "Numeric condition value 'ten' is not a number"
    assert {f.code for f in found} == {"INVALID_CONDITION_VALUE"}


# --- Date ----------------------------------------------------------------------------------


def test_date_page_example() -> None:
    """OPS: ``DateGreaterThan {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}``; the key is
    absent for long-term access keys, so the condition is false."""
    cond = compile_ok("DateGreaterThan", "aws:TokenIssueTime", "2020-01-01T00:00:01Z")
    assert check(cond, ctx(aws__TokenIssueTime="2020-06-01T12:00:00Z"))
    assert not check(cond, ctx(aws__TokenIssueTime="2020-01-01T00:00:01Z"))
    assert not check(cond, {})


@pytest.mark.parametrize(
    ("policy", "context_value"),
    [
        ("2020-01-01T00:00:00Z", "1577836800"),  # epoch in the request
        ("1577836800", "2020-01-01T00:00:00Z"),  # epoch in the policy
        ("2020-01-01", "2020-01-01T00:00:00Z"),  # date only
        ("2020-01", "2020-01-01T00:00:00+00:00"),
        ("2020-01-01T00:00Z", "2020-01-01T00:00:00.000Z"),  # no seconds / fractional seconds
        ("2020-01-01T01:00:00+01:00", "2020-01-01T00:00:00Z"),  # zone offsets
        ("2019-12-31T19:00:00-05:00", "2020-01-01T00:00:00Z"),
        ("2020-01-01T00:00:00", "2020-01-01T00:00:00Z"),  # no zone: UTC
        ("1577836800.5", "2020-01-01T00:00:00.5Z"),
        ("2020-01-01T00:00:00.123456789Z", "1577836800.123456789"),
    ],
)
def test_date_formats_compare_as_instants(policy: str, context_value: str) -> None:
    """OPS: "You must specify date/time values with one of the W3C implementations of the ISO
    8601 date formats or in epoch (UNIX) time"."""
    assert check(compile_ok("DateEquals", "aws:CurrentTime", policy), ctx(aws__CurrentTime=context_value))
    assert not check(compile_ok("DateNotEquals", "aws:CurrentTime", policy), ctx(aws__CurrentTime=context_value))


def test_date_ordering_and_garbage() -> None:
    before = compile_ok("DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z")
    assert check(before, ctx(aws__CurrentTime="2029-12-31T23:59:59.999Z"))
    assert not check(before, ctx(aws__CurrentTime="2030-01-01T00:00:00Z"))
    assert check(compile_ok("DateLessThanEquals", "aws:CurrentTime", "2030-01-01"), ctx(aws__CurrentTime="1893456000"))
    assert check(compile_ok("DateGreaterThanEquals", "aws:EpochTime", "1893456000"), ctx(aws__EpochTime="1893456000"))
    assert not check(before, ctx(aws__CurrentTime="yesterday"))
    assert check(compile_ok("DateNotEquals", "aws:CurrentTime", "2030-01-01"), ctx(aws__CurrentTime="yesterday"))


@pytest.mark.parametrize(
    "bad",
    [
        "yesterday",
        "2020-13-01",
        "2020-02-30",
        "2020-01-01T25:00:00Z",
        "2020-*",
        "2020-01-01 00:00:00",
        "2020-01-01T00:00:00+25:00",
        "",
    ],
)
def test_date_values_are_checked(bad: str) -> None:
    """OPS: "Wildcards are not permitted for date condition operators"."""
    [finding] = problems("DateGreaterThan", "aws:CurrentTime", bad)
    assert finding.code == "INVALID_CONDITION_VALUE"
    assert finding.location == "/C/0"
    assert finding.message.startswith(f"Date condition value '{bad}'")


# --- Bool ----------------------------------------------------------------------------------


def test_bool_page_example() -> None:
    """OPS: deny when ``Bool {"aws:SecureTransport": "false"}``."""
    cond = compile_ok("Bool", "aws:SecureTransport", "false")
    assert check(cond, ctx(aws__SecureTransport="false"))
    assert not check(cond, ctx(aws__SecureTransport="true"))
    assert check(cond, ctx(aws__SecureTransport="FALSE"))  # case-insensitive
    assert not check(cond, ctx(aws__SecureTransport="no"))
    assert check(compile_ok("Bool", "aws:MultiFactorAuthPresent", "True"), ctx(aws__MultiFactorAuthPresent="true"))


def test_bool_values_are_checked() -> None:
    [finding] = problems("Bool", "aws:SecureTransport", "yes")
    assert finding.message == "Bool condition value 'yes' is not true or false"


# --- Binary --------------------------------------------------------------------------------


def test_binary_page_example() -> None:
    """OPS: ``BinaryEquals {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}`` compares byte for byte."""
    cond = compile_ok("BinaryEquals", "key", "QmluYXJ5VmFsdWVJbkJhc2U2NA==")
    assert check(cond, ctx(key="QmluYXJ5VmFsdWVJbkJhc2U2NA=="))
    assert not check(cond, ctx(key="QmluYXJ5VmFsdWVJbkJhc2U2NQ=="))
    assert not check(cond, ctx(key="BinaryValueInBase64"))
    [finding] = problems("BinaryEquals", "key", "not base64!")
    assert finding.code == "INVALID_CONDITION_VALUE"


# --- IP address ----------------------------------------------------------------------------


def test_ip_page_examples() -> None:
    """OPS: ``IpAddress {"aws:SourceIp": "203.0.113.0/24"}`` and the mixed IPv4/IPv6 example."""
    v4 = compile_ok("IpAddress", "aws:SourceIp", "203.0.113.0/24")
    assert check(v4, ctx(aws__SourceIp="203.0.113.255"))
    assert not check(v4, ctx(aws__SourceIp="203.0.114.0"))
    both = compile_ok("IpAddress", "aws:SourceIp", "203.0.113.0/24", "2001:DB8:1234:5678::/64")
    assert check(both, ctx(aws__SourceIp="2001:db8:1234:5678:abcd::1"))
    assert not check(both, ctx(aws__SourceIp="2001:db8:1234:5679::1"))
    assert check(both, ctx(aws__SourceIp="203.0.113.7"))
    assert not check(both, ctx(aws__SourceIp="not-an-ip"))


def test_bare_addresses_and_not_ip_address() -> None:
    """OPS: "If you specify an IP address without the associated routing prefix, IAM uses the
    default prefix value of /32"."""
    single = compile_ok("IpAddress", "aws:SourceIp", "203.0.113.5", "2001:db8::1")
    assert check(single, ctx(aws__SourceIp="203.0.113.5"))
    assert not check(single, ctx(aws__SourceIp="203.0.113.6"))
    assert check(single, ctx(aws__SourceIp="2001:DB8::1"))
    assert not check(single, ctx(aws__SourceIp="2001:db8::2"))
    outside = compile_ok("NotIpAddress", "aws:SourceIp", "192.0.2.0/24", "2001:db8::/32")
    assert check(outside, ctx(aws__SourceIp="198.51.100.1"))
    assert not check(outside, ctx(aws__SourceIp="192.0.2.200"))
    assert not check(outside, ctx(aws__SourceIp="2001:db8:ffff::1"))
    assert check(outside, ctx(aws__SourceIp="2001:db9::1"))


def test_ip_details() -> None:
    host_bits = compile_ok("IpAddress", "aws:SourceIp", "203.0.113.77/24")
    assert check(host_bits, ctx(aws__SourceIp="203.0.113.1"))
    mapped = compile_ok("IpAddress", "aws:SourceIp", "203.0.113.0/24")
    assert check(mapped, ctx(aws__SourceIp="::ffff:203.0.113.9"))
    everything = compile_ok("IpAddress", "aws:SourceIp", "0.0.0.0/0")
    assert check(everything, ctx(aws__SourceIp="8.8.8.8"))
    assert not check(everything, ctx(aws__SourceIp="::1"))


@pytest.mark.parametrize(
    "bad", ["10.0.0.300/8", "10.0.0.0/33", "10.0.0.0/255.0.0.0", "2001:db8::/129", "host", "10.0.0.0/", ""]
)
def test_ip_values_are_checked(bad: str) -> None:
    [finding] = problems("NotIpAddress", "aws:SourceIp", bad)
    assert finding.code == "INVALID_CONDITION_VALUE"
    assert finding.message == f"'{bad}' is not a valid IP address or CIDR"


# --- ARN -----------------------------------------------------------------------------------


def test_arn_page_examples() -> None:
    """OPS: ``ArnEquals {"aws:SourceArn": "arn:aws:sns:REGION:123456789012:TOPIC-ID"}``, and the
    pattern that StringLike matches but ArnLike does not ("The first asterisk matches only
    us-east-2 and fails on 999999999999:store/abc:")."""
    source = compile_ok("ArnEquals", "aws:SourceArn", "arn:aws:sns:us-east-2:123456789012:my-topic")
    assert check(source, ctx(aws__SourceArn="arn:aws:sns:us-east-2:123456789012:my-topic"))
    assert not check(source, ctx(aws__SourceArn="arn:aws:sns:us-east-2:123456789012:other"))
    assert not check(source, {})
    pattern = "arn:aws:someservice:*:111122223333:finance/*"
    value = ctx(aws__SourceArn="arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt")
    assert check(compile_ok("StringLike", "aws:SourceArn", pattern), value)
    assert not check(compile_ok("ArnLike", "aws:SourceArn", pattern), value)
    assert check(compile_ok("ArnNotLike", "aws:SourceArn", pattern), value)


def test_arn_equals_and_like_behave_identically() -> None:
    """OPS: "The ArnEquals and ArnLike condition operators behave identically"."""
    for name in ("ArnEquals", "ArnLike"):
        cond = compile_ok(name, "aws:PrincipalArn", "arn:aws:iam::*:role/Admin?")
        assert check(cond, ctx(aws__PrincipalArn="arn:aws:iam::123456789012:role/Admin1"))
        assert not check(cond, ctx(aws__PrincipalArn="arn:aws:iam::123456789012:role/Admin"))
        assert not check(cond, ctx(aws__PrincipalArn="not-an-arn"))
    for name in ("ArnNotEquals", "ArnNotLike"):
        cond = compile_ok(name, "aws:PrincipalArn", "arn:aws:iam::*:role/Admin?")
        assert not check(cond, ctx(aws__PrincipalArn="arn:aws:iam::123456789012:role/Admin1"))
        assert check(cond, ctx(aws__PrincipalArn="arn:aws:iam::123456789012:user/bob"))


# --- Null ----------------------------------------------------------------------------------


def test_null_page_example() -> None:
    """OPS: ``Null {"aws:TokenIssueTime": "true"}`` — "the key must not exist"."""
    absent = compile_ok("Null", "aws:TokenIssueTime", "true")
    assert check(absent, {})
    assert check(absent, {"aws:tokenissuetime": ()})  # no values: null
    assert not check(absent, ctx(aws__TokenIssueTime="2020-01-01T00:00:00Z"))
    present = compile_ok("Null", "aws:TokenIssueTime", "false")
    assert not check(present, {})
    assert check(present, ctx(aws__TokenIssueTime="2020-01-01T00:00:00Z"))
    assert check(present, ctx(aws__TokenIssueTime=""))  # an empty string is a value
    either = compile_ok("Null", "aws:TokenIssueTime", "true", "false")
    assert check(either, {}) and check(either, ctx(aws__TokenIssueTime="x"))
    assert check(compile_ok("Null", "aws:TokenIssueTime", "TRUE"), {})
    assert check(compile_ok("ForAllValues:Null", "aws:TagKeys", "false"), ctx(aws__TagKeys=("a", "b")))
    [finding] = problems("Null", "aws:TokenIssueTime", "maybe")
    assert finding.code == "INVALID_CONDITION_VALUE"


# --- ForAllValues / ForAnyValue ------------------------------------------------------------

THREAD = ("PostDateTime", "Message", "Tags")


def test_for_all_values_dynamodb_example() -> None:
    """MULTI: ``ForAllValues:StringLike {"dynamodb:requestedAttributes": [PostDateTime, Message,
    Tags]}``: PostDateTime + Message is allowed, PostDateTime + UserName is not."""
    cond = compile_ok("ForAllValues:StringLike", "dynamodb:requestedAttributes", *THREAD)
    assert check(cond, {"dynamodb:requestedattributes": ("PostDateTime", "Message")})
    assert not check(cond, {"dynamodb:requestedattributes": ("PostDateTime", "UserName")})
    assert not check(cond, {"dynamodb:requestedattributes": ("ID",)})


def test_for_any_value_dynamodb_example() -> None:
    """MULTI: deny ``ForAnyValue:StringLike {"dynamodb:requestedAttributes": [ID, PostDateTime]}``:
    UserName + Message + PostDateTime matches; UserName alone does not."""
    cond = compile_ok("ForAnyValue:StringLike", "dynamodb:requestedAttributes", "ID", "PostDateTime")
    assert check(cond, {"dynamodb:requestedattributes": ("UserName", "Message", "PostDateTime")})
    assert not check(cond, {"dynamodb:requestedattributes": ("UserName",)})


def test_qualifiers_over_missing_or_empty_sets() -> None:
    """MULTI: "If the key values in the request resolve to an empty data set ..., a condition
    operator modified by ForAllValues returns true, and ... ForAnyValue returns false"."""
    for base in ("StringEquals", "StringNotEquals", "StringLike", "NumericEquals", "ArnLike", "Bool"):
        value = sample_value(base)
        for context in ({}, {"aws:tagkeys": ()}):
            assert check(compile_ok(f"ForAllValues:{base}", "aws:TagKeys", value), context) is True
            assert check(compile_ok(f"ForAnyValue:{base}", "aws:TagKeys", value), context) is False
            # IfExists does not override ForAnyValue's rule (observed on AWS: re:Post
            # "ForAnyValue:StringEqualsIfExists behaving unexpectedly"; conditions.py).
            assert check(compile_ok(f"ForAnyValue:{base}IfExists", "aws:TagKeys", value), context) is False
            assert check(compile_ok(f"ForAllValues:{base}IfExists", "aws:TagKeys", value), context) is True


def test_for_all_values_with_allow_is_permissive_when_the_key_is_missing() -> None:
    """single-vs-multi-valued page: "Be careful if you use ForAllValues with an Allow effect ...
    it can be overly permissive": a request that sends no tags satisfies it; adding
    ``Null {"aws:TagKeys": "false"}`` closes the gap (MULTI-EX)."""
    allow = compile_ok("ForAllValues:StringEquals", "aws:TagKeys", "environment", "cost-center")
    guard = compile_ok("Null", "aws:TagKeys", "false")
    assert check(allow, ctx(aws__TagKeys=("environment",)))
    assert not check(allow, ctx(aws__TagKeys=("environment", "owner")))
    assert check(allow, {})  # no tags at all: the Allow applies
    assert not evaluate_all([allow, guard], {})
    assert evaluate_all([allow, guard], ctx(aws__TagKeys=("cost-center",)))


def test_for_all_values_deny_example_table() -> None:
    """MULTI-EX, "Deny a single policy condition value for a multivalued context key":
    ``ForAllValues:StringNotLike {"aws:TagKeys": "key1*"}`` — key1:legal no match; key1:hr +
    key1:personnel no match; key2:audit match; no aws:TagKeys in the request: match (denied)."""
    deny = compile_ok("ForAllValues:StringNotLike", "aws:TagKeys", "key1*")
    assert not check(deny, ctx(aws__TagKeys=("key1:legal",)))
    assert not check(deny, ctx(aws__TagKeys=("key1:hr", "key1:personnel")))
    assert check(deny, ctx(aws__TagKeys=("key2:audit",)))
    assert check(deny, {})
    # Several policy values: a request value must be unlike all of them.
    two = compile_ok("ForAllValues:StringNotLike", "aws:TagKeys", "key1*", "key2*")
    assert not check(two, ctx(aws__TagKeys=("key2:audit",)))
    assert check(two, ctx(aws__TagKeys=("key3:x", "key4:y")))
    assert not check(two, ctx(aws__TagKeys=("key3:x", "key1:y")))


def test_for_any_value_negated() -> None:
    """ForAnyValue:StringNotEquals: true when at least one request value equals none of the
    policy values."""
    cond = compile_ok("ForAnyValue:StringNotEquals", "aws:TagKeys", "a", "b")
    assert not check(cond, ctx(aws__TagKeys=("a", "b")))
    assert check(cond, ctx(aws__TagKeys=("a", "c")))
    assert not check(cond, {})


def test_negated_operator_without_qualifier_on_a_multivalued_key() -> None:
    """No qualifier: the negation of "some request value matches some policy value" (NOR)."""
    cond = compile_ok("StringNotEquals", "aws:TagKeys", "a")
    assert not check(cond, ctx(aws__TagKeys=("a", "b")))
    assert check(cond, ctx(aws__TagKeys=("b", "c")))
    positive = compile_ok("StringEquals", "aws:TagKeys", "a")
    assert check(positive, ctx(aws__TagKeys=("b", "a")))


def test_explain_reports_inputs() -> None:
    cond = compile_ok("ForAnyValue:StringLike", "aws:TagKeys", "env*")
    outcome = cond.explain(ctx(aws__TagKeys=("owner", "environment")))
    assert outcome.operator == "ForAnyValue:StringLike"
    assert outcome.key == "aws:TagKeys"
    assert outcome.policy_values == ("env*",)
    assert outcome.context_values == ("owner", "environment")
    assert outcome.missing is False
    assert outcome.result is True


def test_evaluate_all_ands_operators() -> None:
    """MULTI: "If your policy statement has multiple condition operators, the condition operators
    are evaluated using a logical AND"."""
    a = compile_ok("StringEquals", "aws:PrincipalTag/department", "finance", "hr")
    b = compile_ok("ArnLike", "aws:PrincipalArn", "arn:aws:iam::222222222222:user/*")
    request = {
        "aws:principaltag/department": ("hr",),
        "aws:principalarn": ("arn:aws:iam::222222222222:user/jane",),
    }
    assert evaluate_all([a, b], request)
    assert not evaluate_all([a, b], {**request, "aws:principaltag/department": ("it",)})
    assert evaluate_all([], {})


def test_compiled_condition_is_immutable() -> None:
    cond = compile_ok("StringEquals", "aws:username", "bob")
    with pytest.raises(AttributeError):
        cond.values = ("alice",)  # type: ignore[misc]
    with pytest.raises(AttributeError):
        cond.extra = 1  # type: ignore[attr-defined]


def test_every_problem_is_collected() -> None:
    collector = Collector()
    at = "/S/0/Condition/Bool/aws:SecureTransport"
    assert (
        compile_condition("Bool", "aws:SecureTransport", ("yes", "true", "no"), at, variables=True, collector=collector)
        is None
    )
    assert [f.location for f in collector.findings] == [
        f"{at}/0",
        f"{at}/2",
    ]


# --- properties ----------------------------------------------------------------------------

POOLS = {
    "String": [
        "a",
        "b",
        "A",
        "a*",
        "?",
        "",
        "${aws:username}",
        "${aws:username, 'a'}",
        "${*}",
        "x${aws:PrincipalTag/t}",
    ],
    "Numeric": ["0", "10", "10.0", "-1.5", "1e2", "ten"],
    "Date": ["2020-01-01", "2020-01-01T00:00:00Z", "1577836800", "1577836801.5", "2021-06-01T00:00:00+02:00", "soon"],
    "Bool": ["true", "false", "TRUE", "yes"],
    "Binary": ["QQ==", "Qg==", "QUI=", "!!"],
    "IpAddress": ["10.0.0.0/8", "10.1.2.3", "2001:db8::/32", "::1", "::ffff:10.0.0.1", "bogus"],
    "NotIpAddress": ["10.0.0.0/8", "10.1.2.3", "2001:db8::/32", "::1", "::ffff:10.0.0.1", "bogus"],
    "Arn": [
        "arn:aws:s3:::b",
        "arn:aws:s3:::*",
        "arn:aws:iam::1:user/a",
        "arn:aws:iam::*:user/?",
        "*",
        "arn:aws:iam::${aws:username}:user/a",
    ],
    "Null": ["true", "false"],
}


def pool(base: str) -> list[str]:
    for prefix, values in POOLS.items():
        if base.startswith(prefix):
            return values
    raise AssertionError(base)


@st.composite
def cases(draw: st.DrawFn) -> tuple[CompiledCondition, dict[str, tuple[str, ...]]]:
    base = draw(st.sampled_from(sorted(OPERATORS)))
    qualifier = draw(st.sampled_from(["", "ForAllValues:", "ForAnyValue:"]))
    suffix = "" if base == "Null" else draw(st.sampled_from(["", "IfExists"]))
    values = pool(base)
    policy = tuple(draw(st.lists(st.sampled_from(values), min_size=1, max_size=3)))
    collector = Collector()
    compiled = compile_condition(
        f"{qualifier}{base}{suffix}", "svc:Key", policy, "/C", variables=draw(st.booleans()), collector=collector
    )
    if compiled is None:
        compiled = compile_ok(f"{qualifier}{base}{suffix}", "svc:Key", values[0])
    context: dict[str, tuple[str, ...]] = {}
    if draw(st.booleans()):
        context["svc:key"] = tuple(draw(st.lists(st.sampled_from([*values, "zzz"]), max_size=3)))
    if draw(st.booleans()):
        context["aws:username"] = (draw(st.sampled_from(["a", "b", "*"])),)
    if draw(st.booleans()):
        context["aws:principaltag/t"] = (draw(st.sampled_from(["", "a", "b"])),)
    return compiled, context


@settings(max_examples=600, deadline=None)
@given(cases())
def test_evaluate_agrees_with_the_rules_read_literally(
    case: tuple[CompiledCondition, dict[str, tuple[str, ...]]],
) -> None:
    condition, context = case
    assert condition.evaluate(context) is reference(condition, context)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_qualifiers_reduce_to_single_valued_checks(data: st.DataObject) -> None:
    """ForAllValues:X holds iff X holds for every request value alone; ForAnyValue:X iff for
    some; a negated operator without a qualifier is the negation of its positive twin."""
    base = data.draw(st.sampled_from(sorted(set(OPERATORS) - {"Null"})))
    values = pool(base)
    policy = tuple(data.draw(st.lists(st.sampled_from(values), min_size=1, max_size=3)))
    collector = Collector()
    plain = compile_condition(base, "svc:Key", policy, "/C", variables=False, collector=collector)
    if plain is None:
        return
    every = compile_ok(f"ForAllValues:{base}", "svc:Key", *policy, variables=False)
    some = compile_ok(f"ForAnyValue:{base}", "svc:Key", *policy, variables=False)
    request = tuple(data.draw(st.lists(st.sampled_from(values), min_size=1, max_size=4)))
    singles = [plain.evaluate({"svc:key": (v,)}) for v in request]
    assert every.evaluate({"svc:key": request}) is all(singles)
    assert some.evaluate({"svc:key": request}) is any(singles)
    spec = OPERATORS[base]
    if spec.negated:
        twin = next(
            name
            for name, other in OPERATORS.items()
            if other.family is spec.family and other.variant == spec.variant and not other.negated
        )
        positive = compile_ok(twin, "svc:Key", *policy, variables=False)
        assert plain.evaluate({"svc:key": request}) is not positive.evaluate({"svc:key": request})


ARN_PIECES = ["arn", "aws", "s3", "iam", "", "*", "?", "us-east-1", "123456789012", "user/a", "a:b", "*:*", "x?"]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(ARN_PIECES), min_size=1, max_size=8).map(":".join),
    st.lists(st.sampled_from(ARN_PIECES), min_size=1, max_size=8).map(":".join),
)
def test_arn_like_condition_agrees_with_arn_module(pattern: str, value: str) -> None:
    """The precompiled ArnLike predicate is :func:`localiam.policy.arn.arn_like`, only faster."""
    for name in ("ArnLike", "ArnEquals"):
        cond = compile_ok(name, "aws:SourceArn", pattern, variables=False)
        assert cond.evaluate({"aws:sourcearn": (value,)}) is arn_like(pattern, value)


def test_arn_escape_is_a_literal_star() -> None:
    """VARS: ``${*}`` is a literal ``*``, in ARN conditions too."""
    cond = compile_ok("ArnLike", "aws:SourceArn", "arn:aws:s3:::bucket-${*}")
    assert check(cond, ctx(aws__SourceArn="arn:aws:s3:::bucket-*"))
    assert not check(cond, ctx(aws__SourceArn="arn:aws:s3:::bucket-1"))
    literal = compile_ok("ArnLike", "aws:SourceArn", "arn:aws:s3:::bucket-${*}", variables=False)
    assert not check(literal, ctx(aws__SourceArn="arn:aws:s3:::bucket-*"))


@settings(max_examples=300, deadline=None)
@given(
    value=st.text(alphabet="tTrRuUeEfFaAlLsS \u0130\u0131\u017f\u212a", max_size=6),
    wanted=st.sampled_from(["true", "FALSE", "True"]),
)
def test_bool_reads_true_and_false_in_any_case_and_nothing_else(value: str, wanted: str) -> None:
    """``Bool`` compares "true" and "false" case-insensitively (OPS, Boolean condition
    operators), and nothing else equals them: not a non-ASCII letter that looks like one."""
    condition = compile_ok("Bool", "aws:SecureTransport", wanted)
    expected = value.lower() == wanted.lower()
    assert condition.evaluate({"aws:securetransport": (value,)}) is expected


def _reference_address(text: str) -> tuple[int, int] | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return 4, int(address.ipv4_mapped)
    return address.version, int(address)


@settings(max_examples=1000, deadline=None)
@given(
    text=st.one_of(
        st.text(alphabet="0123456789.:abf %/\x00\u0661", max_size=16),
        st.lists(st.integers(0, 300).map(str), min_size=1, max_size=5).map(".".join),
        st.lists(st.sampled_from(["0", "00", "01", "1", "255", "256", "010", "7"]), min_size=4, max_size=4).map(
            ".".join
        ),
    )
)
def test_source_addresses_are_read_as_ipaddress_reads_them(text: str) -> None:
    """``aws:SourceIp`` values: the fast reading of IPv4 addresses gives what :mod:`ipaddress`
    gives for every text (leading zeros, out-of-range numbers, NUL and non-ASCII digits
    included)."""
    assert _context_address.__wrapped__(text) == _reference_address(text)
