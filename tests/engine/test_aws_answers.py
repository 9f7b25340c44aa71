"""AWS's answer, pinned, for every class of disagreement the differential test found.

Each test here is named by an entry of ``tests/differential/known_disagreements.json`` (its
``unit_test`` field) and quotes the AWS documentation sentence that decides it. In each of
those classes iam-simulate answers differently; these tests keep localiam on AWS's side. The
last section pins the localiam bugs the differential test found and that were fixed.

Pages (IAM User Guide unless noted):
- DENYALLOW ``reference_policies_evaluation-logic_policy-eval-denyallow``
- BASICS ``reference_policies_evaluation-logic_policy-eval-basics``
- SESSION ``access_policies`` ("Session policies")
- NOTPRINCIPAL ``reference_policies_elements_notprincipal``
- BOUNDARIES ``access_policies_boundaries``
- RESOURCE ``reference_policies_elements_resource``
- VARS ``reference_policies_variables``
- OPS ``reference_policies_elements_condition_operators``
- MULTI-EX ``reference_policies_condition_examples-multi-valued-context-keys``
- RCPS (AWS Organizations User Guide) ``orgs_manage_policies_rcps``
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import (
    ACCOUNT,
    OBJECT,
    OTHER,
    RCP_FULL_AWS_ACCESS,
    allow,
    boundary,
    decide,
    deny,
    identity,
    org,
    rcp,
    resource_policy,
    role_arn,
    role_session,
    root,
    session_policy,
    user,
)

from localiam.engine import Decision, Outcome

ALLOW, EXPLICIT, IMPLICIT = Outcome.ALLOW, Outcome.EXPLICIT_DENY, Outcome.IMPLICIT_DENY
QUEUE = f"arn:aws:sqs:us-east-2:{ACCOUNT}:Alice-queue"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:thumbnail"


def outcome(decision: Decision) -> Outcome:
    return decision.outcome


# --- root user -------------------------------------------------------------------------------


def test_root_user_needs_no_identity_policy() -> None:
    """DENYALLOW: "By default, all requests are implicitly denied with the exception of the AWS
    account root user, which has full access." No identity policy can be attached to it."""
    assert outcome(decide(root(), "s3:GetObject", OBJECT, resource_account=ACCOUNT)) is ALLOW
    # Full access is still subject to explicit denies (and to SCPs and RCPs).
    bucket = resource_policy(deny("s3:GetObject", OBJECT, principal="*"))
    assert outcome(decide(root(), "s3:GetObject", OBJECT, resource_account=ACCOUNT, resource=bucket)) is EXPLICIT


# --- grants that a session policy does not limit ---------------------------------------------


def test_grant_to_the_session_arn_is_not_limited_by_the_session_policy() -> None:
    """SESSION: "A resource-based policy can specify the ARN of the session as a principal. In
    that case, the permissions from the resource-based policy are added after the session is
    created. The resource-based policy permissions are not limited by the session policy."
    Naming the role ARN instead is limited by it."""
    session = role_session()
    narrow = session_policy(allow("s3:ListBucket", "*"))
    to_session = resource_policy(allow("s3:GetObject", OBJECT, principal={"AWS": session.arn}))
    to_role = resource_policy(allow("s3:GetObject", OBJECT, principal={"AWS": role_arn()}))
    common: dict[str, Any] = {"resource_account": ACCOUNT, "session": (narrow,)}
    assert outcome(decide(session, "s3:GetObject", OBJECT, resource=to_session, **common)) is ALLOW
    assert outcome(decide(session, "s3:GetObject", OBJECT, resource=to_role, **common)) is IMPLICIT


@pytest.mark.parametrize("limit", ["session", "boundary"])
def test_grant_to_a_wildcard_principal_is_not_limited_by_session_policy_or_boundary(limit: str) -> None:
    """BASICS: "Permissions boundaries and session policies do not limit permissions granted
    using the aws:PrincipalArn condition key with a wildcard(*) in the Principal element,
    unless the identity-based policies contain an explicit deny." A bare ``*`` (no condition)
    is read the same way: it matches the caller itself."""
    session = role_session()
    narrow: dict[str, Any] = (
        {"session": (session_policy(allow("s3:ListBucket", "*")),)}
        if limit == "session"
        else {"boundary": boundary(allow("s3:ListBucket", "*"))}
    )
    by_arn = resource_policy(
        allow("s3:GetObject", OBJECT, principal="*", condition={"ArnLike": {"aws:PrincipalArn": role_arn()}})
    )
    bare = resource_policy(allow("s3:GetObject", OBJECT, principal={"AWS": "*"}))
    for bucket in (by_arn, bare):
        assert (
            outcome(decide(session, "s3:GetObject", OBJECT, resource_account=ACCOUNT, resource=bucket, **narrow))
            is ALLOW
        )
    # "... unless the identity-based policies contain an explicit deny."
    denied = identity(deny("s3:GetObject", "*"))
    assert (
        outcome(
            decide(
                session, "s3:GetObject", OBJECT, resource_account=ACCOUNT, resource=by_arn, identity=(denied,), **narrow
            )
        )
        is EXPLICIT
    )


# --- NotPrincipal ------------------------------------------------------------------------------


def test_not_principal_must_list_every_identity_of_the_caller() -> None:
    """NOTPRINCIPAL: "When you use NotPrincipal, you must also specify the account ARN of the
    not-denied principal. Otherwise, the policy might deny access to the entire account
    containing the principal. ... AWS might validate the account first, then the role, and
    then the assumed-role user." The caller escapes the Deny only when each is listed."""
    alice = user()
    account = f"arn:aws:iam::{ACCOUNT}:root"
    grant = allow("s3:GetObject", OBJECT, principal={"AWS": alice.arn})

    def result(*listed: str) -> Outcome:
        bucket = resource_policy(grant, deny("s3:*", OBJECT, not_principal={"AWS": list(listed)}))
        return outcome(decide(alice, "s3:GetObject", OBJECT, resource_account=ACCOUNT, resource=bucket))

    assert result(alice.arn, account) is ALLOW
    assert result(alice.arn) is EXPLICIT
    assert result(account) is EXPLICIT
    session = role_session()
    bucket = resource_policy(
        allow("s3:GetObject", OBJECT, principal={"AWS": session.arn}),
        deny("s3:*", OBJECT, not_principal={"AWS": [session.arn, account]}),  # the role is missing
    )
    assert outcome(decide(session, "s3:GetObject", OBJECT, resource_account=ACCOUNT, resource=bucket)) is EXPLICIT


# --- Resource element ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        # "If the * wildcard is the last character of a resource ARN segment, it can expand to
        # match beyond the colon boundaries."
        ("arn:aws:s3*", "arn:aws:s3:::amzn-s3-demo-bucket", EXPLICIT),
        (f"arn:aws:iam::{ACCOUNT[:4]}*", f"arn:aws:iam::{ACCOUNT}:user/Bob", EXPLICIT),
        (f"arn:aws:lambda:us-east-1:{ACCOUNT}:func*:prod", f"{FUNCTION}:prod", EXPLICIT),
        # "Any single character (?)", also in the resource type.
        (f"arn:aws:iam::{ACCOUNT}:use?/Bob", f"arn:aws:iam::{ACCOUNT}:user/Bob", EXPLICIT),
        # "within the individual segments of an ARN (the parts separated by colons)": a '?' or
        # a '*' inside a segment does not take a colon.
        (f"arn:aws:sqs:us-east-1:{ACCOUNT}?queue", f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue", ALLOW),
        (f"arn:aws:lambda:us-east-1:{ACCOUNT}:function*prod", f"{FUNCTION}:prod", ALLOW),
    ],
)
def test_resource_wildcards_follow_the_segment_rules(pattern: str, resource: str, expected: Outcome) -> None:
    """RESOURCE: "You can use wildcard characters (* and ?) within the individual segments of
    an ARN (the parts separated by colons) ... If the * wildcard is the last character of a
    resource ARN segment, it can expand to match beyond the colon boundaries." Checked here
    with an explicit Deny (and an Allow of everything) in an RCP-free identity policy."""
    policies = identity(allow("*", "*"), deny("*", pattern))
    assert outcome(decide(user(), "s3:GetObject", resource, resource_account=ACCOUNT, identity=(policies,))) is expected


def test_sqs_resource_with_a_variable_from_the_aws_page() -> None:
    """VARS: "It gives users in that group the ability to create, use, and delete queues that
    have their names and that are in the us-east-2 Region":
    ``"Resource": "arn:aws:sqs:us-east-2:*:${aws:username}-queue"``."""
    group = identity(allow("sqs:*", "arn:aws:sqs:us-east-2:*:${aws:username}-queue"))
    assert (
        outcome(decide(user("Alice"), "sqs:SendMessage", QUEUE, resource_account=ACCOUNT, identity=(group,))) is ALLOW
    )
    assert (
        outcome(decide(user("Bob"), "sqs:SendMessage", QUEUE, resource_account=ACCOUNT, identity=(group,))) is IMPLICIT
    )


# --- policy variables with no value ----------------------------------------------------------


def test_not_resource_with_a_variable_with_no_value_matches_no_resource() -> None:
    """VARS ("Policy variables with no value"): "If a variable that has no value in the
    authorization context is used as part of the Resource or NotResource element of a policy,
    the resource that includes a policy variable with no value will not match any resource."
    So a NotResource statement applies to every resource. A role session has no aws:username."""
    policies = identity(
        {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::*/home/${aws:username}/*"}
    )
    assert (
        outcome(decide(role_session(), "s3:GetObject", OBJECT, resource_account=ACCOUNT, identity=(policies,))) is ALLOW
    )
    plain = identity(allow("s3:GetObject", "arn:aws:s3:::*/home/${aws:username}/*"))
    home = "arn:aws:s3:::amzn-s3-demo-bucket/home//x"
    assert (
        outcome(decide(role_session(), "s3:GetObject", home, resource_account=ACCOUNT, identity=(plain,))) is IMPLICIT
    )


def test_negated_condition_matches_a_variable_with_no_value() -> None:
    """VARS: "condition operators like StringEquals or StringLike do not match, and the policy
    statement does not take effect. Inverted condition operators like StringNotEquals or
    StringNotLike do match against a null value"; the page's example denies when
    aws:principaltag/Team is not set."""
    guard = deny(
        "s3:GetObject", "*", condition={"StringNotEquals": {"aws:ResourceAccount": "${aws:PrincipalTag/Team}"}}
    )
    policies = identity(allow("s3:*", "*"), guard)
    untagged = user()
    tagged = user(tags={"Team": ACCOUNT})
    common: dict[str, Any] = {"resource_account": ACCOUNT, "identity": (policies,)}
    assert outcome(decide(untagged, "s3:GetObject", OBJECT, **common)) is EXPLICIT
    assert outcome(decide(tagged, "s3:GetObject", OBJECT, **common)) is ALLOW
    positive = identity(
        allow("s3:GetObject", "*", condition={"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalTag/Team}"}})
    )
    assert outcome(decide(untagged, "s3:GetObject", OBJECT, resource_account=ACCOUNT, identity=(positive,))) is IMPLICIT


def test_arn_condition_values_substitute_variables() -> None:
    """VARS: "You can use a policy variable for Condition values in any condition that involves
    the string operators or the ARN operators", also before the resource part of the ARN."""
    policies = identity(
        allow("s3:*", "*"),
        deny("s3:*", "*", condition={"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::${aws:ResourceAccount}:*"}}),
    )
    assert outcome(decide(user(), "s3:GetObject", OBJECT, resource_account=ACCOUNT, identity=(policies,))) is ALLOW
    assert outcome(decide(user(), "s3:GetObject", OBJECT, resource_account=OTHER, identity=(policies,))) is EXPLICIT


# --- dates, IP addresses, empty sets -----------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "operator", "value", "context", "expected"),
    [
        ("aws:EpochTime", "DateLessThan", "2025-01-01T00:00:00Z", "1704067200", ALLOW),
        ("aws:EpochTime", "DateGreaterThan", "2023-01-01T00:00:00Z", "1704067200", ALLOW),
        ("aws:EpochTime", "DateLessThanEquals", "2023-01-01T00:00:00Z", "1704067200", IMPLICIT),
        ("aws:CurrentTime", "DateLessThan", "1735689600", "2024-01-01T00:00:00Z", ALLOW),
        ("aws:CurrentTime", "DateGreaterThan", "1735689600", "2024-01-01T00:00:00Z", IMPLICIT),
    ],
)
def test_epoch_dates_are_seconds(key: str, operator: str, value: str, context: str, expected: Outcome) -> None:
    """OPS (Date): "You must specify date/time values with one of the W3C implementations of
    the ISO 8601 date formats or in epoch (UNIX) time." 1704067200 is 2024-01-01T00:00:00Z and
    1735689600 is 2025-01-01T00:00:00Z; the two notations compare with each other."""
    policies = identity(allow("s3:GetObject", "*", condition={operator: {key: value}}))
    decision = decide(
        user(), "s3:GetObject", OBJECT, resource_account=ACCOUNT, identity=(policies,), context={key: context}
    )
    assert outcome(decision) is expected


def test_rcps_do_not_restrict_services_that_do_not_support_them() -> None:
    """RCPS: "RCPs apply to resources for a subset of AWS services." Lambda is not one of them;
    Amazon S3 is."""
    levels = org(
        [rcp(RCP_FULL_AWS_ACCESS, name="RCPFullAWSAccess"), rcp(deny(["lambda:*", "s3:*"], "*", principal="*"))]
    )
    policies = identity(allow("*", "*"))
    common: dict[str, Any] = {"resource_account": ACCOUNT, "identity": (policies,), "rcps": levels}
    assert outcome(decide(user(), "lambda:InvokeFunction", FUNCTION, **common)) is ALLOW
    assert outcome(decide(user(), "s3:GetObject", OBJECT, **common)) is EXPLICIT


@pytest.mark.parametrize("address", ["10.1.2.3", "203.0.113.9", "255.255.255.255"])
def test_ip_zero_prefix_covers_every_ipv4_address(address: str) -> None:
    """OPS (IP address): "The value must be in the standard CIDR format (for example,
    203.0.113.0/24 or 2001:DB8:1234:5678::/64)"; the CIDR block 0.0.0.0/0 holds every IPv4
    address, and no IPv6 one."""
    policies = identity(allow("s3:GetObject", "*", condition={"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}))
    common: dict[str, Any] = {"resource_account": ACCOUNT, "identity": (policies,)}
    assert outcome(decide(user(), "s3:GetObject", OBJECT, context={"aws:SourceIp": address}, **common)) is ALLOW
    assert (
        outcome(decide(user(), "s3:GetObject", OBJECT, context={"aws:SourceIp": "2001:db8::5"}, **common)) is IMPLICIT
    )


def test_bare_ip_address_is_a_single_host() -> None:
    """OPS: "If you specify an IP address without the associated routing prefix, IAM uses the
    default prefix value of /32." An IPv6 request address is not in that /32."""
    policies = identity(allow("s3:GetObject", "*", condition={"NotIpAddress": {"aws:SourceIp": "198.51.100.20"}}))
    common: dict[str, Any] = {"resource_account": ACCOUNT, "identity": (policies,)}
    assert outcome(decide(user(), "s3:GetObject", OBJECT, context={"aws:SourceIp": "2001:db8::5"}, **common)) is ALLOW
    assert outcome(decide(user(), "s3:GetObject", OBJECT, context={"aws:SourceIp": "198.51.100.21"}, **common)) is ALLOW
    assert (
        outcome(decide(user(), "s3:GetObject", OBJECT, context={"aws:SourceIp": "198.51.100.20"}, **common)) is IMPLICIT
    )


def test_multivalued_key_with_no_values_is_null() -> None:
    """MULTI-EX: "You can prevent missing context keys or context keys with empty values from
    evaluating to true by including a Null condition operator in your policy with a value of
    false to check if the context key in the request exists and its value is not null." An
    empty aws:TagKeys is null: Null false fails on it, Null true holds."""
    for null, expected in (("false", IMPLICIT), ("true", ALLOW)):
        policies = identity(allow("s3:GetObject", "*", condition={"Null": {"aws:TagKeys": null}}))
        decision = decide(
            user(), "s3:GetObject", OBJECT, resource_account=ACCOUNT, identity=(policies,), context={"aws:TagKeys": []}
        )
        assert outcome(decision) is expected


# --- localiam bugs the differential test found (fixed) ------------------------------------------


def test_not_principal_deny_always_reaches_a_principal_with_a_boundary() -> None:
    """BOUNDARIES (and NOTPRINCIPAL): "The NotPrincipal element with a Deny effect will always
    deny any IAM principal that has a permissions boundary policy attached, regardless of the
    values specified in the NotPrincipal element." localiam used to let a fully listed
    principal escape."""
    alice = user()
    bucket = resource_policy(
        allow("s3:GetObject", OBJECT, principal={"AWS": alice.arn}),
        deny("s3:*", OBJECT, not_principal={"AWS": [alice.arn, f"arn:aws:iam::{ACCOUNT}:root"]}),
    )
    common: dict[str, Any] = {"resource_account": ACCOUNT, "resource": bucket}
    assert outcome(decide(alice, "s3:GetObject", OBJECT, **common)) is ALLOW
    assert outcome(decide(alice, "s3:GetObject", OBJECT, boundary=boundary(allow("*", "*")), **common)) is EXPLICIT


def test_for_any_value_if_exists_is_false_without_the_key() -> None:
    """OPS says of IfExists "If the key is not present, evaluate the condition element as
    true"; the multivalued page says of ForAnyValue "For no matching context key or if the key
    does not exist, the condition returns false". On AWS the qualifier wins: a role whose only
    Allow carried ``ForAnyValue:StringEqualsIfExists {"aws:TagKeys": ["team"]}`` was denied
    sqs:ListQueues (re:Post, "ForAnyValue:StringEqualsIfExists behaving unexpectedly").
    localiam used to answer Allow."""
    policies = identity(allow("sqs:*", "*", condition={"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": ["team"]}}))
    assert (
        outcome(decide(role_session(), "sqs:ListQueues", "*", resource_account=ACCOUNT, identity=(policies,)))
        is IMPLICIT
    )
    tagged = decide(
        role_session(),
        "sqs:ListQueues",
        "*",
        resource_account=ACCOUNT,
        identity=(policies,),
        context={"aws:TagKeys": ["team"]},
    )
    assert outcome(tagged) is ALLOW
