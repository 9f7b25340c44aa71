"""ARNs (``reference-arns``), Resource-element matching (``reference_policies_elements_resource``)
and the ARN condition operators (``reference_policies_elements_condition_operators``)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from localiam.policy.arn import (
    Arn,
    arn_equals,
    arn_equals_template,
    arn_like,
    arn_like_template,
    parse_arn,
    resource_matches,
)
from localiam.policy.wildcard import Template

ACCOUNT = "123456789012"

# --- parse / format --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "arn:aws:sqs:us-east-2:123456789012:queue1",
            Arn("aws", "sqs", "us-east-2", ACCOUNT, "queue1"),
        ),
        ("arn:aws:iam::123456789012:user/Bob", Arn("aws", "iam", "", ACCOUNT, "user/Bob")),
        ("arn:aws:s3:::amzn-s3-demo-bucket/a/b", Arn("aws", "s3", "", "", "amzn-s3-demo-bucket/a/b")),
        (
            "arn:aws:logs:us-east-1:123456789012:log-group:app:log-stream:s1",
            Arn("aws", "logs", "us-east-1", ACCOUNT, "log-group:app:log-stream:s1"),
        ),
        ("arn:aws-cn:ec2:cn-north-1:123456789012:vpc/vpc-1", Arn("aws-cn", "ec2", "cn-north-1", ACCOUNT, "vpc/vpc-1")),
        ("arn:aws-us-gov:iam::123456789012:root", Arn("aws-us-gov", "iam", "", ACCOUNT, "root")),
    ],
)
def test_parse_examples(text: str, expected: Arn) -> None:
    assert parse_arn(text) == expected
    assert str(expected) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "*",
        "arn",
        "arn:aws:s3",
        "arn:aws:iam::123456789012",
        "ARN:aws:s3:::bucket",
        "urn:aws:s3:::bucket",
        "arn::s3:::bucket",
        "arn:aws::::bucket",
        "arn:aws:s3:::",
        "123456789012",
    ],
)
def test_parse_rejects_non_arns(text: str) -> None:
    assert parse_arn(text) is None


def test_constructor_refuses_what_cannot_round_trip() -> None:
    with pytest.raises(ValueError):
        Arn("aws", "iam", "us-east-1:x", ACCOUNT, "user/Bob")
    with pytest.raises(ValueError):
        Arn("aws", "", "", ACCOUNT, "user/Bob")
    with pytest.raises(ValueError):
        Arn("aws", "iam", "", ACCOUNT, "")


def test_arn_is_frozen_and_hashable() -> None:
    arn = Arn("aws", "iam", "", ACCOUNT, "user/Bob")
    with pytest.raises(AttributeError):
        arn.account = "000000000000"  # type: ignore[misc]
    assert {arn, Arn("aws", "iam", "", ACCOUNT, "user/Bob")} == {arn}


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("user/Bob", ("user", "Bob")),
        ("user/division_abc/subdivision_xyz/Bob", ("user", "division_abc/subdivision_xyz/Bob")),
        ("function:my-function:1", ("function", "my-function:1")),
        ("log-group:app:log-stream:s1", ("log-group", "app:log-stream:s1")),
        ("queue1", (None, "queue1")),
        ("root", (None, "root")),
    ],
)
def test_resource_type_and_id(resource: str, expected: tuple[str | None, str]) -> None:
    assert Arn("aws", "svc", "", ACCOUNT, resource).resource_type_and_id() == expected


_SEGMENT = st.text(st.characters(exclude_characters=":", exclude_categories=["Cs"]), max_size=8)
_NON_EMPTY_SEGMENT = _SEGMENT.filter(bool)
_RESOURCE = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=20)
_ARNS = st.builds(Arn, _NON_EMPTY_SEGMENT, _NON_EMPTY_SEGMENT, _SEGMENT, _SEGMENT, _RESOURCE)


@settings(max_examples=300, deadline=None)
@given(_ARNS)
def test_format_then_parse_round_trips(arn: Arn) -> None:
    assert parse_arn(str(arn)) == arn


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(list("arn:aws3/*x")), max_size=24))
def test_parse_then_format_round_trips(text: str) -> None:
    parsed = parse_arn(text)
    if parsed is not None:
        assert str(parsed) == text


# --- Resource element ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        # "The following example refers to a specific Amazon SQS queue."
        ("arn:aws:sqs:us-east-2:123456789012:queue1", "arn:aws:sqs:us-east-2:123456789012:queue1", True),
        ("arn:aws:sqs:us-east-2:123456789012:queue1", "arn:aws:sqs:us-east-2:123456789012:queue2", False),
        # "In the Resource element, the IAM user name is case sensitive."
        ("arn:aws:iam::123456789012:user/Bob", "arn:aws:iam::123456789012:user/Bob", True),
        ("arn:aws:iam::123456789012:user/Bob", "arn:aws:iam::123456789012:user/bob", False),
        # "all IAM users whose path is /accounting"
        ("arn:aws:iam::123456789012:user/accounting/*", "arn:aws:iam::123456789012:user/accounting/Ana", True),
        (
            "arn:aws:iam::123456789012:user/accounting/*",
            "arn:aws:iam::123456789012:user/accounting/eu/Ana",
            True,
        ),
        ("arn:aws:iam::123456789012:user/accounting/*", "arn:aws:iam::123456789012:user/marketing/Ana", False),
        # "all items within a specific Amazon S3 bucket"
        ("arn:aws:s3:::amzn-s3-demo-bucket/*", "arn:aws:s3:::amzn-s3-demo-bucket/a/b/c.jpg", True),
        ("arn:aws:s3:::amzn-s3-demo-bucket/*", "arn:aws:s3:::amzn-s3-demo-bucket", False),
        ("arn:aws:s3:::amzn-s3-demo-bucket/*", "arn:aws:s3:::amzn-s3-demo-bucket-2/a", False),
        # '?' is one character
        ("arn:aws:s3:::example?bucket/*", "arn:aws:s3:::example1bucket/k", True),
        ("arn:aws:s3:::example?bucket/*", "arn:aws:s3:::examplebucket/k", False),
    ],
)
def test_resource_page_examples(pattern: str, resource: str, expected: bool) -> None:
    assert resource_matches(pattern, resource) is expected


_STAR_TEST = "arn:aws:s3:::amzn-s3-demo-bucket/*/test/*"


@pytest.mark.parametrize(
    "key",
    [
        "1/test/object.jpg",
        "1/2/test/object.jpg",
        "1/2/test/3/object.jpg",
        "1/2/3/test/4/object.jpg",
        "1///test///object.jpg",
        "1/test/.jpg",
        "/test/object.jpg",
        "1/test/",
    ],
)
def test_star_expands_across_slashes(key: str) -> None:
    # The page's list of objects matched by amzn-s3-demo-bucket/*/test/*.
    assert resource_matches(_STAR_TEST, f"arn:aws:s3:::amzn-s3-demo-bucket/{key}")


@pytest.mark.parametrize("key", ["1-test/object.jpg", "test/object.jpg", "1/2/test.jpg"])
def test_star_test_star_non_matches(key: str) -> None:
    # ... and the objects it does not match.
    assert not resource_matches(_STAR_TEST, f"arn:aws:s3:::amzn-s3-demo-bucket/{key}")


@pytest.mark.parametrize(
    ("pattern", "resource"),
    [
        # "If the * wildcard is the last character of a resource ARN segment, it can expand to
        # match beyond the colon boundaries."
        ("*", "arn:aws:iam::123456789012:user/Bob"),
        ("*", "not even an ARN"),
        ("arn:aws:s3:::*", "arn:aws:s3:::amzn-s3-demo-bucket"),
        ("arn:aws:s3:::*", "arn:aws:s3:::amzn-s3-demo-bucket/key"),
        ("arn:aws:iam::*", "arn:aws:iam::123456789012:user/Bob"),
        ("arn:aws:iam::*", "arn:aws:iam::123456789012:role/a/b"),
        ("arn:aws:ec2:*", "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc"),
        (
            "arn:aws:logs:us-east-1:123456789012:log-group:app*",
            "arn:aws:logs:us-east-1:123456789012:log-group:app:log-stream:s1",
        ),
        ("arn:aws:dynamodb:*:*:table/books", "arn:aws:dynamodb:us-east-2:123456789012:table/books"),
    ],
)
def test_trailing_star_expands_beyond_colons(pattern: str, resource: str) -> None:
    assert resource_matches(pattern, resource)


def test_trailing_star_still_needs_the_literal_prefix() -> None:
    assert not resource_matches("arn:aws:iam::*", "arn:aws:sts::123456789012:assumed-role/r/s")
    assert not resource_matches("arn:aws:s3:::*", "arn:aws:s3:us-east-1::x")
    assert not resource_matches("arn:aws:iam::*", "arn:aws-cn:iam::123456789012:user/Bob")


def test_wildcards_stay_inside_their_segment() -> None:
    # "You can use wildcard characters (* and ?) within the individual segments of an ARN (the
    # parts separated by colons)"; only "If the * wildcard is the last character of a resource
    # ARN segment, it can expand to match beyond the colon boundaries". The page does not say
    # outright that a mid-segment '*' or a '?' stops at a colon; its wording implies it (an
    # earlier version of this test chose the other reading; see tests/differential).
    assert resource_matches("arn:aws:sns:*:*:topic", "arn:aws:sns:us-east-1:123456789012:x:topic")
    assert not resource_matches("arn:aws:sqs:us-*-1:123456789012:q", "arn:aws:sqs:us-x:y-1:123456789012:q")
    assert not resource_matches("arn:aws:s3:::a?b", "arn:aws:s3:::a:b")
    assert not resource_matches("arn:aws:sqs:us-east-1:123456789012?q", "arn:aws:sqs:us-east-1:123456789012:q")
    assert not resource_matches("arn:aws:lambda:*:1:function*prod", "arn:aws:lambda:us-east-1:1:function:fn:prod")
    assert resource_matches("arn:aws:lambda:us-east-1:1:func*:prod", "arn:aws:lambda:us-east-1:1:function:fn:prod")
    assert resource_matches("arn:aws:lambda:us-e*", "arn:aws:lambda:us-east-1:1:function:fn")
    assert resource_matches("arn:aws:s3:::b/*/k", "arn:aws:s3:::b/x/y/k")
    assert not resource_matches("arn:aws:s3:::b/*/k", "arn:aws:s3:::b/x:y/k")


# --- ARN condition operators ------------------------------------------------------------------

_TOPIC = f"arn:aws:sns:us-east-2:{ACCOUNT}:my-topic"


def test_source_arn_example_from_condition_operators_page() -> None:
    # An SQS queue policy letting SNS send messages only on behalf of one topic:
    # "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:REGION:123456789012:TOPIC-ID"}}
    pattern = _TOPIC
    assert arn_equals(pattern, _TOPIC)
    assert arn_like(pattern, _TOPIC)
    assert not arn_equals(pattern, f"arn:aws:sns:us-east-2:{ACCOUNT}:other-topic")
    assert not arn_equals(pattern, "arn:aws:sns:us-east-2:210987654321:my-topic")
    assert not arn_equals(pattern, f"arn:aws:sns:us-west-2:{ACCOUNT}:my-topic")


@pytest.mark.parametrize("operator", [arn_like, arn_equals])
def test_both_operators_take_wildcards(operator: Callable[[str, str], bool]) -> None:
    assert operator(f"arn:aws:sns:*:{ACCOUNT}:*", _TOPIC)
    assert operator(f"arn:aws:sns:us-east-?:{ACCOUNT}:my-*", _TOPIC)
    assert operator("arn:aws:iam::*:role/*", f"arn:aws:iam::{ACCOUNT}:role/AdminRole")
    assert not operator("arn:aws:iam::*:role/*", f"arn:aws:iam::{ACCOUNT}:user/User")
    assert operator("arn:aws:ec2:*:*:instance/i-?????", f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-12345")
    assert not operator("arn:aws:ec2:*:*:instance/i-?????", f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-123456")
    assert operator("*:*:*:*:*:*", _TOPIC)


def test_arn_like_is_case_sensitive() -> None:
    assert not arn_like(f"arn:aws:SNS:us-east-2:{ACCOUNT}:my-topic", _TOPIC)
    assert not arn_like(f"arn:aws:sns:us-east-2:{ACCOUNT}:My-Topic", _TOPIC)


def test_each_component_is_checked_separately() -> None:
    # "Each of the six colon-delimited components of the ARN is checked separately": the
    # same pattern that covers these in the Resource element does not here.
    other = f"arn:aws:sns:us-east-1:{ACCOUNT}:x:topic"
    assert resource_matches("arn:aws:sns:*:*:topic", other)
    assert not arn_like("arn:aws:sns:*:*:topic", other)
    assert not arn_like("arn:aws:sqs:us-*-1:123456789012:q", "arn:aws:sqs:us-x:y-1:123456789012:q")


@pytest.mark.parametrize(
    "pattern",
    ["*", "arn:*", "arn:aws:iam::*", f"arn:aws:sns:*:{ACCOUNT}", "arn:aws:s3::"],
)
def test_pattern_without_six_components_matches_nothing(pattern: str) -> None:
    assert not arn_like(pattern, _TOPIC)
    assert not arn_like(pattern, f"arn:aws:iam::{ACCOUNT}:user/Bob")


@pytest.mark.parametrize(
    "value",
    ["", "*", "my-topic", ACCOUNT, "arn:aws:sns", f"arn:aws:sns:us-east-2:{ACCOUNT}", "foo:aws:sns:r:a:t"],
)
def test_value_that_is_not_an_arn_never_matches(value: str) -> None:
    assert not arn_like("*:*:*:*:*:*", value)
    assert not arn_like("arn:*:*:*:*:*", value)


def test_resource_component_keeps_its_colons() -> None:
    group = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:app-web:log-stream:s1"
    assert arn_like(f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:app-*", group)
    assert arn_like("arn:aws:logs:*:*:*", group)
    assert arn_like(f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:*:log-stream:s?", group)
    assert not arn_like(f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:app-web", group)


def test_empty_components_match_empty_components() -> None:
    bucket = "arn:aws:s3:::amzn-s3-demo-bucket"
    assert arn_like("arn:aws:s3:::amzn-s3-demo-bucket", bucket)
    assert arn_like("arn:aws:s3:*:*:amzn-s3-*", bucket)
    assert not arn_like("arn:aws:s3:?::amzn-s3-demo-bucket", bucket)


# --- ARN operators with policy variables ------------------------------------------------------


def test_template_with_variable_in_account() -> None:
    template = Template("arn:aws:iam::${aws:PrincipalAccount}:role/*")
    context = {"aws:principalaccount": (ACCOUNT,)}
    assert arn_like_template(template, f"arn:aws:iam::{ACCOUNT}:role/Admin", context)
    assert not arn_like_template(template, "arn:aws:iam::210987654321:role/Admin", context)
    assert not arn_like_template(template, f"arn:aws:iam::{ACCOUNT}:role/Admin", {})


def test_template_substituted_colons_separate_components() -> None:
    # A whole ARN from a variable: its colons are component boundaries.
    template = Template("${aws:PrincipalArn}")
    me = f"arn:aws:iam::{ACCOUNT}:user/Bob"
    context = {"aws:principalarn": (me,)}
    assert arn_equals_template(template, me, context)
    assert not arn_equals_template(template, f"arn:aws:iam::{ACCOUNT}:user/Alice", context)


def test_template_substituted_wildcards_are_literal() -> None:
    template = Template(f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}")
    star = {"aws:username": ("*",)}
    assert not arn_like_template(template, f"arn:aws:iam::{ACCOUNT}:user/Bob", star)
    assert arn_like_template(template, f"arn:aws:iam::{ACCOUNT}:user/*", star)


def test_template_escapes_and_real_wildcards() -> None:
    template = Template("arn:aws:s3:::bucket/${*}/*")
    assert arn_like_template(template, "arn:aws:s3:::bucket/*/key", {})
    assert not arn_like_template(template, "arn:aws:s3:::bucket/x/key", {})


def test_template_without_six_components_matches_nothing() -> None:
    assert not arn_like_template(Template("arn:aws:iam::*"), f"arn:aws:iam::{ACCOUNT}:user/Bob", {})
    assert not arn_like_template(Template("*"), _TOPIC, {})


def test_template_with_variables_disabled() -> None:
    template = Template("arn:aws:iam::${aws:PrincipalAccount}:role/*", variables=False)
    assert not arn_like_template(template, f"arn:aws:iam::{ACCOUNT}:role/Admin", {"aws:principalaccount": (ACCOUNT,)})
    assert arn_like_template(template, "arn:aws:iam::${aws:PrincipalAccount}:role/Admin", {})


# --- properties ------------------------------------------------------------------------------

_PATTERN_SEGMENT = st.text(st.sampled_from(list("ab:*?/")), max_size=5)


@settings(max_examples=300, deadline=None)
@given(_ARNS)
def test_every_arn_matches_itself(arn: Arn) -> None:
    assert arn_like(str(arn), str(arn))
    assert resource_matches(str(arn), str(arn))


@settings(max_examples=500, deadline=None)
@given(
    pattern=st.lists(_PATTERN_SEGMENT, min_size=6, max_size=6).map(":".join),
    value=st.builds(
        Arn,
        st.sampled_from(["aws", "a", "b"]),
        st.sampled_from(["s3", "a", "ab"]),
        st.sampled_from(["", "a", "b*"]),
        st.sampled_from(["", "a", "ab"]),
        st.text(st.sampled_from(list("ab:/")), min_size=1, max_size=6),
    ).map(str),
)
def test_arn_like_is_narrower_than_resource_matching(pattern: str, value: str) -> None:
    # Components matched one by one, joined by literal colons, match the whole string, as long
    # as the value's resource part has no colon of its own (ArnLike lets '?' and a mid-part
    # '*' take such a colon, the Resource element does not: test_wildcards_stay_inside_their_segment).
    assume(":" not in value.split(":", 5)[5])
    if arn_like(pattern, value):
        assert resource_matches(pattern, value)


@settings(max_examples=300, deadline=None)
@given(_ARNS, _ARNS)
def test_without_wildcards_arn_like_is_equality(a: Arn, b: Arn) -> None:
    assume("*" not in str(a) and "?" not in str(a))
    assert arn_like(str(a), str(b)) is (a == b)
    assert arn_like(str(a), str(a))


@settings(max_examples=200, deadline=None)
@given(_ARNS)
def test_template_without_variables_agrees_with_plain_arn_like(arn: Arn) -> None:
    text = str(arn)
    assume("$" not in text)
    pattern = f"arn:{arn.partition}:*:*:{arn.account}:*"
    assert arn_like_template(Template(pattern), text, {}) is arn_like(pattern, text)


def _reference_resource_regex(pattern: str) -> str:
    # The Resource page's rule written the slow, obvious way: '?' is one non-colon character,
    # a '*' that ends a segment (':' or the end follows it) is anything, any other '*' is a run
    # of non-colon characters. Backtracking is fine for these short strings.
    out = []
    for i, ch in enumerate(pattern):
        if ch == "?":
            out.append("[^:]")
        elif ch == "*":
            out.append(".*" if i + 1 == len(pattern) or pattern[i + 1] == ":" else "[^:]*")
        else:
            out.append(re.escape(ch))
    return "".join(out)


@settings(max_examples=1500, deadline=None)
@given(
    pattern=st.text(st.sampled_from(list("ab:*?/")), max_size=10),
    value=st.text(st.sampled_from(list("ab:/")), max_size=10),
)
def test_resource_matching_agrees_with_the_reference_rule(pattern: str, value: str) -> None:
    assert resource_matches(pattern, value) is bool(re.fullmatch(_reference_resource_regex(pattern), value, re.DOTALL))
