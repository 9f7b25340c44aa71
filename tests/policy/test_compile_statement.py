"""The engine's compiled statement checks give exactly the answers of the reference matcher.

``compile_statement`` specialises ``applies_besides_action`` per statement (fixed ARNs, one
wildcard, merged regular expressions, no-op elements); this property test holds the two
together over generated statements and requests.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from localiam.policy import parse_policy
from localiam.policy.match import (
    PrincipalFacts,
    RequestFacts,
    applies_besides_action,
    compile_statement,
    resource_key,
    resource_keys,
    resource_matches,
)

RESOURCES = [
    "*",
    "arn:aws:s3:::bucket",
    "arn:aws:s3:::bucket/*",
    "arn:aws:s3:::bucket/home/${aws:username}/*",
    "arn:aws:s3:::b?cket/*",
    "arn:aws:dynamodb:*:111111111111:table/orders",
    "arn:aws:dynamodb:us-east-1:*:table/*",
    "arn:aws:sqs:*:*:${aws:PrincipalTag/team}-queue",
    "arn:aws:s3:::*/logs/*",
]
REQUEST_RESOURCES = [
    "arn:aws:s3:::bucket",
    "arn:aws:s3:::bucket/x",
    "arn:aws:s3:::bucket/home/alice/notes",
    "arn:aws:s3:::bocket/y",
    "arn:aws:s3:::other/logs/a",
    "arn:aws:dynamodb:us-east-1:111111111111:table/orders",
    "arn:aws:dynamodb:eu-west-1:222222222222:table/t",
    "arn:aws:sqs:us-east-1:111111111111:blue-queue",
]
CONDITIONS: list[dict[str, Any]] = [
    {"StringEquals": {"aws:username": "alice"}},
    {"StringNotEquals": {"aws:PrincipalTag/team": "blue"}},
    {"StringLike": {"s3:prefix": ["home/${aws:username}/*", ""]}},
    {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    {"Bool": {"aws:SecureTransport": "false"}},
    {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}},
    {"Null": {"aws:TokenIssueTime": "true"}},
]
PRINCIPALS: list[Any] = [
    None,
    "*",
    {"AWS": "111111111111"},
    {"AWS": "arn:aws:iam::111111111111:user/alice"},
    {"AWS": "arn:aws:iam::222222222222:role/R"},
]


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    stmt: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Deny"])), "Action": "s3:GetObject"}
    element = draw(st.sampled_from(["Resource", "NotResource"]))
    stmt[element] = draw(st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=3))
    principal = draw(st.sampled_from(PRINCIPALS))
    if principal is not None:
        stmt["Principal"] = principal
    condition: dict[str, Any] = {}
    for block in draw(st.lists(st.sampled_from(CONDITIONS), max_size=2)):
        condition.update(block)
    if condition:
        stmt["Condition"] = condition
    return stmt


CONTEXTS = st.fixed_dictionaries(
    {},
    optional={
        "aws:username": st.sampled_from([("alice",), ("bob",)]),
        "aws:principaltag/team": st.sampled_from([("blue",), ("red",), ("a", "b")]),
        "s3:prefix": st.sampled_from([("home/alice/x",), ("",), ("other",)]),
        "aws:sourceip": st.sampled_from([("203.0.113.9",), ("198.51.100.1",)]),
        "aws:securetransport": st.sampled_from([("true",), ("false",)]),
        "aws:tagkeys": st.sampled_from([("a",), ("c",), ()]),
        "aws:tokenissuetime": st.just(("2026-01-01T00:00:00Z",)),
    },
)
WHO = st.sampled_from(
    [
        PrincipalFacts(
            identities=(("arn:aws:iam::111111111111:user/alice", "user"), ("arn:aws:iam::111111111111:root", "account"))
        ),
        PrincipalFacts(identities=(("arn:aws:iam::222222222222:root", "account"),)),
        PrincipalFacts(anonymous=True),
        None,
    ]
)


@settings(max_examples=400, deadline=None)
@given(statement=statements(), resource=st.sampled_from(REQUEST_RESOURCES), context=CONTEXTS, who=WHO)
def test_compiled_check_agrees_with_reference(
    statement: dict[str, Any], resource: str, context: dict[str, tuple[str, ...]], who: PrincipalFacts | None
) -> None:
    policy = parse_policy({"Version": "2012-10-17", "Statement": [statement]}).value
    assert policy is not None
    stmt = policy.statements[0]
    request = RequestFacts("s3:GetObject", resource, context, who)
    assert compile_statement(stmt)(request) == applies_besides_action(stmt, request)


PATTERN_PARTS = ["a", "b", "/", ":", "*", "?", "${aws:username}", "${*}", "${aws:PrincipalTag/team, 'x/y'}"]
VALUE_PARTS = ["a", "b", "/", ":", "*", "?", "$", "x/y"]


@settings(max_examples=600, deadline=None)
@given(
    patterns=st.lists(
        st.lists(st.sampled_from(PATTERN_PARTS), max_size=6).map(lambda parts: "arn:aws:" + "".join(parts)), min_size=1
    ),
    negated=st.booleans(),
    version=st.sampled_from(["2012-10-17", "2008-10-17"]),
    resource=st.lists(st.sampled_from(VALUE_PARTS), max_size=7).map(lambda parts: "arn:aws:" + "".join(parts)),
    username=st.lists(st.sampled_from(VALUE_PARTS), min_size=1, max_size=3).map("".join),
)
def test_resource_keys_hold_the_key_of_every_resource_a_statement_matches(
    patterns: list[str], negated: bool, version: str, resource: str, username: str
) -> None:
    """The engine looks at a statement only for resources whose :func:`resource_key` its
    :func:`resource_keys` holds (or for every resource when they are ``None``): no resource the
    statement's Resource element matches is ever left out."""
    element = "NotResource" if negated else "Resource"
    parsed = parse_policy({"Version": version, "Statement": [{"Effect": "Allow", "Action": "s3:*", element: patterns}]})
    assert parsed.value is not None
    stmt = parsed.value.statements[0]
    keys = resource_keys(stmt)
    context = {"aws:username": (username,)}
    if keys is not None and resource_matches(stmt.resources, resource, context):
        assert resource_key(resource) in keys
