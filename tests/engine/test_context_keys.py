"""The global condition keys the engine derives from the principal, the resource and the request.

Pages (IAM User Guide):
- ``reference_policies_condition-keys`` (KEYS): each key's meaning and "Availability".
- ``reference_policies_variables``, table "Principal key values" (PRINCIPAL-TABLE):

  | principal                       | aws:username  | aws:userid                     | aws:PrincipalType |
  | AWS account root user           | (not present) | AWS account ID                 | Account           |
  | IAM user                        | IAM-user-name | unique ID                      | User              |
  | AWS STS federated user principal| (not present) | account:caller-specified-name  | FederatedUser     |
  | Assumed role                    | (not present) | role-id:caller-specified-role-name | AssumedRole   |
  | Anonymous caller (SQS, SNS, S3) | (not present) | anonymous                      | Anonymous         |

  "not present means that the value is not in the current request information, and any attempt
  to match it fails and causes the statement to be invalid."
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from helpers import (
    ACCOUNT,
    OBJECT,
    OTHER,
    allow,
    decide,
    deny,
    federated_user,
    identity,
    resource_policy,
    role_arn,
    role_session,
    root,
    user,
)

from localiam.engine import ANONYMOUS, Outcome, Principal, ResourceFacts, principal_from_arn
from localiam.engine.context import build_context

SESSION_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/AppRole/app-session"


def allowed_if(condition: dict[str, Any], who: Principal, **kw: Any) -> bool:
    """Whether an identity policy whose only Allow carries ``condition`` lets ``who`` read."""
    return decide(
        who, "s3:GetObject", OBJECT, identity=(identity(allow("s3:GetObject", condition=condition)),), **kw
    ).allowed


def public_if(condition: dict[str, Any], who: Principal, **kw: Any) -> bool:
    """The same, through a bucket policy open to "*" (for callers with no identity side)."""
    bucket = resource_policy(allow("s3:GetObject", OBJECT, principal="*", condition=condition))
    return decide(who, "s3:GetObject", OBJECT, resource_account=ACCOUNT, resource=bucket, **kw).allowed


# --- aws:PrincipalArn / aws:PrincipalAccount ---------------------------------------------------


def test_principal_arn_of_a_role_session_is_the_role_arn() -> None:
    """KEYS (aws:PrincipalArn, IAM role): "The request context contains the following value for
    condition key aws:PrincipalArn. Do not specify the assumed role session ARN as a value for
    this condition key. ... arn:aws:iam::123456789012:role/role-name" """
    who = role_session()
    assert allowed_if({"ArnEquals": {"aws:PrincipalArn": role_arn()}}, who)
    assert not allowed_if({"ArnEquals": {"aws:PrincipalArn": SESSION_ARN}}, who)


@pytest.mark.parametrize(
    ("who", "arn"),
    [
        (user(), f"arn:aws:iam::{ACCOUNT}:user/Alice"),
        (root(), f"arn:aws:iam::{ACCOUNT}:root"),
        (federated_user(), f"arn:aws:sts::{ACCOUNT}:federated-user/Bob"),
    ],
    ids=["user", "root", "federated-user"],
)
def test_principal_arn_of_other_principals(who: Principal, arn: str) -> None:
    """KEYS (aws:PrincipalArn): "IAM user ... arn:aws:iam::123456789012:user/user-name", "AWS STS
    federated user principals ... arn:aws:sts::123456789012:federated-user/user-name", "AWS
    account root user ... arn:aws:iam::123456789012:root"."""
    assert who.context["aws:principalarn"] == (arn,)


def test_anonymous_requests_carry_no_principal_arn() -> None:
    """KEYS (aws:PrincipalArn): "Availability - This key is included in the request context for
    all signed requests. Anonymous requests do not include this key." """
    assert "aws:principalarn" not in ANONYMOUS.context


@pytest.mark.parametrize("who", [user(), role_session(), root(), federated_user()], ids=lambda p: p.kind.value)
def test_principal_account(who: Principal) -> None:
    """KEYS (aws:PrincipalAccount): "Use this key to compare the account to which the requesting
    principal belongs with the account identifier that you specify in the policy." """
    assert who.context["aws:principalaccount"] == (ACCOUNT,)


def test_principal_account_of_anonymous_requests_is_anonymous() -> None:
    """KEYS (aws:PrincipalAccount): "For anonymous requests, the request context returns
    anonymous. Availability - This key is included in the request context for all requests,
    including anonymous requests." """
    assert ANONYMOUS.context.get("aws:principalaccount") == ("anonymous",)


# --- aws:PrincipalOrgID / aws:PrincipalTag -----------------------------------------------------


def test_principal_org_id_only_for_organization_members() -> None:
    """KEYS (aws:PrincipalOrgID): "This key is included in the request context only if the
    principal is a member of an organization." The bucket policy example: "Principal": "*" with
    StringEquals aws:PrincipalOrgID."""
    member = dataclasses.replace(user("Ann", OTHER), organization_id="o-a1b2c3d4e5")
    outsider = user("Eve", OTHER)
    assert member.context["aws:principalorgid"] == ("o-a1b2c3d4e5",)
    assert "aws:principalorgid" not in outsider.context
    condition = {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}
    bucket = resource_policy(allow("s3:GetObject", OBJECT, principal="*", condition=condition))
    ident = (identity(allow("s3:GetObject")),)
    assert decide(member, "s3:GetObject", OBJECT, resource_account=ACCOUNT, resource=bucket, identity=ident).allowed
    d = decide(outsider, "s3:GetObject", OBJECT, resource_account=ACCOUNT, resource=bucket, identity=ident)
    assert d.outcome is Outcome.IMPLICIT_DENY


def test_principal_tags_are_the_tags_given() -> None:
    """KEYS (aws:PrincipalTag/tag-key): "If the principal has more than one tag attached, the
    request context includes one aws:PrincipalTag key for each attached tag key." and
    "It is included for a principal using an IAM role with attached tags or session tags."
    The caller merges session tags over role tags (``id_session-tags``); the engine uses what it
    is given. Condition key names are case-insensitive (``reference_policies_elements_condition``)."""
    who = role_session(tags={"Department": "hr", "project": "blue"})
    assert allowed_if({"StringEquals": {"aws:PrincipalTag/department": "hr"}}, who)
    assert allowed_if({"StringEquals": {"aws:PrincipalTag/Project": "blue"}}, who)
    assert not allowed_if({"StringEquals": {"aws:PrincipalTag/department": "it"}}, who)
    assert not allowed_if({"StringEquals": {"aws:PrincipalTag/cost-center": "1"}}, who)


def test_anonymous_requests_carry_no_principal_tags() -> None:
    """KEYS (aws:PrincipalTag): "Anonymous requests do not include this key." """
    assert not any(k.startswith("aws:principaltag/") for k in ANONYMOUS.context)


# --- aws:PrincipalType / aws:username / aws:userid --------------------------------------------


@pytest.mark.parametrize(
    ("who", "kind"),
    [
        (root(), "Account"),
        (user(), "User"),
        (federated_user(), "FederatedUser"),
        (role_session(), "AssumedRole"),
        (ANONYMOUS, "Anonymous"),
    ],
    ids=["root", "user", "federated-user", "role-session", "anonymous"],
)
def test_principal_type(who: Principal, kind: str) -> None:
    """PRINCIPAL-TABLE, aws:PrincipalType column. KEYS (aws:PrincipalType): "This key is
    included in the request context for all requests, including anonymous requests." """
    assert who.context["aws:principaltype"] == (kind,)


def test_username_only_for_iam_users() -> None:
    """KEYS (aws:username): "This key is always included in the request context for IAM users.
    Anonymous requests and requests that are made using the AWS account root user or IAM roles
    do not include this key." PRINCIPAL-TABLE: "(not present)" for federated users too."""
    assert user().context["aws:username"] == ("Alice",)
    for other in (root(), role_session(), federated_user(), ANONYMOUS):
        assert "aws:username" not in other.context, other.kind


def test_username_variable_does_not_match_for_a_role_session() -> None:
    """PRINCIPAL-TABLE: "(not present) ... any attempt to match it fails and causes the statement
    to be invalid" (here: a policy variable in Resource)."""
    home = identity(allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*"))
    target = "arn:aws:s3:::home/Alice/notes.txt"
    assert decide(user(), "s3:GetObject", target, identity=(home,)).allowed
    session_as_alice = role_session(role="Alice", name="Alice")
    assert not decide(session_as_alice, "s3:GetObject", target, identity=(home,)).allowed


def test_userid_of_an_iam_user_is_its_unique_id() -> None:
    """PRINCIPAL-TABLE: IAM user → aws:userid "unique ID". KEYS (aws:userid): "For IAM users, the
    request context value is the user ID." """
    who = user(user_id="AIDACKCEVSQ6C2EXAMPLE")
    assert who.context["aws:userid"] == ("AIDACKCEVSQ6C2EXAMPLE",)


def test_userid_of_the_root_user_is_the_account_id() -> None:
    """PRINCIPAL-TABLE: AWS account root user → aws:userid "AWS account ID"."""
    assert root().context["aws:userid"] == (ACCOUNT,)


def test_userid_of_a_role_session_is_role_id_colon_session_name() -> None:
    """PRINCIPAL-TABLE: Assumed role → aws:userid "role-id:caller-specified-role-name where
    role-id is the unique id of the role and the caller-specified-role-name is specified by the
    RoleSessionName parameter passed to the AssumeRole request"."""
    who = role_session(name="app-session", role_id="AROADBQP57FF2AEXAMPLE")
    assert who.context["aws:userid"] == ("AROADBQP57FF2AEXAMPLE:app-session",)


def test_userid_of_a_federated_user_is_account_colon_name() -> None:
    """PRINCIPAL-TABLE: AWS STS federated user principal → aws:userid
    "account:caller-specified-name". KEYS (aws:userid): "This key is included in the request
    context for all requests, including anonymous requests." Both parts are in the ARN."""
    assert federated_user("Bob").context.get("aws:userid") == (f"{ACCOUNT}:Bob",)


def test_userid_of_an_anonymous_caller_is_anonymous() -> None:
    """PRINCIPAL-TABLE: Anonymous caller → aws:userid "anonymous". KEYS (aws:userid): "This key
    is included in the request context for all requests, including anonymous requests." """
    assert ANONYMOUS.context.get("aws:userid") == ("anonymous",)


# --- aws:PrincipalIsAWSService / aws:PrincipalServiceName --------------------------------------


def test_principal_is_aws_service() -> None:
    """KEYS (aws:PrincipalIsAWSService): "The request context key is set to true when a service
    uses a service principal to perform a direct action on your resources." and "This key is
    present in the request context for all signed API requests that use AWS credentials." """
    assert principal_from_arn("cloudtrail.amazonaws.com").context["aws:principalisawsservice"] == ("true",)
    assert user().context["aws:principalisawsservice"] == ("false",)
    assert role_session().context["aws:principalisawsservice"] == ("false",)


def test_anonymous_requests_carry_no_principal_is_aws_service() -> None:
    """KEYS (aws:PrincipalIsAWSService): "Anonymous requests do not include this key." """
    assert "aws:principalisawsservice" not in ANONYMOUS.context


def test_principal_service_name_only_for_service_principals() -> None:
    """KEYS (aws:PrincipalServiceName): "This key is present in the request when the call is made
    by an AWS service principal. This key is not present in any other situation"."""
    assert principal_from_arn("cloudtrail.amazonaws.com").context["aws:principalservicename"] == (
        "cloudtrail.amazonaws.com",
    )
    for other in (user(), role_session(), root(), ANONYMOUS):
        assert "aws:principalservicename" not in other.context


# --- Temporary credentials: aws:TokenIssueTime / aws:MultiFactorAuthPresent --------------------

ISSUED = "2024-05-01T09:00:00Z"


def test_token_issue_time_and_mfa_for_temporary_credentials() -> None:
    """KEYS (aws:TokenIssueTime): "This key is included in the request context only when the
    principal uses temporary credentials to make the request." (aws:MultiFactorAuthPresent): the
    same availability."""
    session = dataclasses.replace(role_session(), token_issue_time=ISSUED, multi_factor_auth=True)
    assert session.context["aws:tokenissuetime"] == (ISSUED,)
    assert session.context["aws:multifactorauthpresent"] == ("true",)
    assert allowed_if({"DateGreaterThan": {"aws:TokenIssueTime": "2024-01-01T00:00:00Z"}}, session)
    assert allowed_if({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, session)


@pytest.mark.parametrize("who", [user(), root()], ids=["user-access-keys", "root"])
def test_no_token_issue_time_nor_mfa_for_long_term_credentials(who: Principal) -> None:
    """KEYS (aws:TokenIssueTime): "The key is not present in AWS CLI, AWS API, or AWS SDK requests
    that are made using access keys." (aws:MultiFactorAuthPresent): "The
    aws:MultiFactorAuthPresent key is not present when an API or CLI command is called with
    long-term credentials, such as user access key pairs." """
    assert "aws:tokenissuetime" not in who.context
    assert "aws:multifactorauthpresent" not in who.context


def test_mfa_conditions_on_long_term_credentials() -> None:
    """KEYS (aws:MultiFactorAuthPresent): the Deny with "Bool ... false" "does not deny access to
    requests that are made using long-term credentials"; the Deny with "BoolIfExists ... false"
    "also denies requests that are made using long-term credentials, such as AWS CLI or AWS API
    operations made using access keys." """
    strict = identity(allow("s3:*"), deny("s3:*", condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}))
    lenient = identity(allow("s3:*"), deny("s3:*", condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}}))
    assert decide(user(), "s3:GetObject", OBJECT, identity=(strict,)).outcome is Outcome.EXPLICIT_DENY
    assert decide(user(), "s3:GetObject", OBJECT, identity=(lenient,)).allowed


def test_mfa_present_is_false_for_temporary_credentials_without_mfa() -> None:
    """KEYS (aws:MultiFactorAuthPresent): the Deny with "Bool ... false" "denies requests that
    can be authenticated using MFA, but were not. This applies only to temporary credentials":
    such a session carries the key, with ``false``."""
    session = dataclasses.replace(role_session(), token_issue_time=ISSUED, multi_factor_auth=False)
    assert session.context["aws:multifactorauthpresent"] == ("false",)
    lenient = identity(allow("s3:*"), deny("s3:*", condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}}))
    assert decide(session, "s3:GetObject", OBJECT, identity=(lenient,)).outcome is Outcome.EXPLICIT_DENY


def test_mfa_age_counts_seconds_from_the_verified_code_to_the_request() -> None:
    """KEYS (aws:MultiFactorAuthAge): "the number of seconds since the requesting principal was
    authorized using MFA"; the key is built per request, from the request's own time."""
    moment = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
    verified = int(moment.timestamp()) - 125
    ctx = build_context({}, ResourceFacts(), {}, now=moment, multi_factor_auth_time=verified)
    assert ctx["aws:multifactorauthage"] == ("125",)
    later = build_context({}, ResourceFacts(), {}, now=moment + dt.timedelta(hours=1), multi_factor_auth_time=verified)
    assert later["aws:multifactorauthage"] == ("3725",)


def test_mfa_age_is_absent_without_mfa() -> None:
    """KEYS (aws:MultiFactorAuthAge): "If MFA was not used, this key is not present", so
    ``NumericLessThan`` on it fails (id_credentials_mfa_configure-api-require, example 1: "the
    MultiFactorAuthAge key is never present in the request context for long-term credentials")."""
    recent = {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}
    no_mfa = dataclasses.replace(role_session(), token_issue_time=ISSUED, multi_factor_auth=False)
    for who in (user(), root(), no_mfa):
        assert "aws:multifactorauthage" not in build_context(who.context, ResourceFacts(), {})
    for who in (user(), no_mfa):  # (the root user is allowed whatever its policies say)
        assert not allowed_if(recent, who)
    with_mfa = dataclasses.replace(
        role_session(),
        token_issue_time=ISSUED,
        multi_factor_auth=True,
        multi_factor_auth_time=int(dt.datetime.now(dt.UTC).timestamp()) - 10,
    )
    assert allowed_if(recent, with_mfa)
    assert not allowed_if({"NumericLessThan": {"aws:MultiFactorAuthAge": "5"}}, with_mfa)


# --- Request keys: time, transport, region ----------------------------------------------------


def test_current_time_and_epoch_time_formats() -> None:
    """KEYS (aws:CurrentTime): "Use this key to compare the date and time of the request with the
    date and time that you specify in the policy" (ISO 8601, ``reference_policies_elements_
    condition_operators`` date operators); (aws:EpochTime): the same "in epoch or Unix time"."""
    moment = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
    ctx = build_context({}, ResourceFacts(), {}, now=moment)
    assert ctx["aws:currenttime"] == ("2024-05-01T12:00:00Z",)
    assert ctx["aws:epochtime"] == (str(int(moment.timestamp())),)


def test_current_time_and_epoch_time_are_the_time_of_the_request() -> None:
    """KEYS (aws:CurrentTime, aws:EpochTime): always present; compared with date operators."""
    who = user()
    assert allowed_if({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, who)
    assert not allowed_if({"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, who)
    assert allowed_if({"DateGreaterThan": {"aws:EpochTime": "1577836800"}}, who)
    assert not allowed_if({"DateLessThan": {"aws:EpochTime": "1577836800"}}, who)


def test_request_keys_follow_the_clock_region_and_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    """KEYS (aws:CurrentTime, aws:EpochTime, aws:RequestedRegion, aws:SecureTransport): each is
    the request's own. build_context makes the clock keys once a second; a request in the next
    second, another region or over the other transport must not get the keys made for another."""
    import localiam.engine.context as context_module

    clock = [1_714_564_800.2]  # 2024-05-01T12:00:00Z
    monkeypatch.setattr(context_module.time, "time", lambda: clock[0])
    first = build_context({}, ResourceFacts(), {}, region="eu-west-1")
    other = build_context({}, ResourceFacts(), {}, region="us-east-2", secure_transport=False)
    assert first["aws:currenttime"] == ("2024-05-01T12:00:00Z",)
    assert first["aws:epochtime"] == ("1714564800",)
    assert (first["aws:requestedregion"], first["aws:securetransport"]) == (("eu-west-1",), ("true",))
    assert (other["aws:requestedregion"], other["aws:securetransport"]) == (("us-east-2",), ("false",))
    clock[0] += 1.0
    later = build_context({}, ResourceFacts(), {}, region="eu-west-1")
    assert later["aws:currenttime"] == ("2024-05-01T12:00:01Z",)
    assert later["aws:epochtime"] == ("1714564801",)
    # A caller's own value still wins over the derived one.
    assert build_context({}, ResourceFacts(), {"aws:epochtime": ("5",)})["aws:epochtime"] == ("5",)


def test_secure_transport() -> None:
    """KEYS (aws:SecureTransport): "Use this key to check whether the request was sent using TLS."
    A Deny on "Bool": {"aws:SecureTransport": "false"} refuses plain HTTP."""
    no_tls = resource_policy(
        deny("s3:*", "*", principal="*", condition={"Bool": {"aws:SecureTransport": "false"}}),
        allow("s3:GetObject", OBJECT, principal={"AWS": ACCOUNT}),
    )
    ident = (identity(allow("s3:GetObject")),)
    assert decide(user(), "s3:GetObject", OBJECT, resource=no_tls, identity=ident).allowed
    d = decide(user(), "s3:GetObject", OBJECT, resource=no_tls, identity=ident, secure_transport=False)
    assert d.outcome is Outcome.EXPLICIT_DENY


def test_requested_region() -> None:
    """KEYS (aws:RequestedRegion): "Use this key to compare the AWS Region that was called in the
    request with the Region that you specify in the policy." """
    condition = {"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}
    assert allowed_if(condition, user(), region="eu-west-1")
    assert not allowed_if(condition, user(), region="us-east-1")


# --- Resource keys ----------------------------------------------------------------------------


def test_resource_account_is_the_resource_owner() -> None:
    """KEYS (aws:ResourceAccount): "Use this key to compare the requested resource owner's AWS
    account ID with the resource account in the policy." """
    condition = {"StringEquals": {"aws:ResourceAccount": OTHER}}
    assert allowed_if(condition, user(), resource_account=OTHER, resource=_open_bucket())
    assert not allowed_if(condition, user(), resource_account=ACCOUNT)


def _open_bucket() -> Any:
    return resource_policy(allow("s3:GetObject", OBJECT, principal={"AWS": ACCOUNT}))


def test_resource_tags() -> None:
    """KEYS (aws:ResourceTag/tag-key): "Use this key to compare the tag key-value pair that you
    specify in the policy with the key-value pair attached to the resource." """
    condition = {"StringEquals": {"aws:ResourceTag/Project": "blue"}}
    assert allowed_if(condition, user(), resource_tags={"Project": "blue"})
    assert not allowed_if(condition, user(), resource_tags={"Project": "red"})
    assert not allowed_if(condition, user())


# --- Caller-supplied context ------------------------------------------------------------------


def test_caller_context_overrides_derived_keys() -> None:
    """``reference_policies_evaluation-logic_policy-eval-reqcontext``: AWS "assembles the request
    information into a request context"; a caller that knows better (a session tag, a value a
    service adds) supplies the key and its value is the one conditions see."""
    who = role_session(tags={"team": "blue"})
    condition = {"StringEquals": {"aws:PrincipalTag/team": "red"}}
    assert not allowed_if(condition, who)
    assert allowed_if(condition, who, context={"aws:PrincipalTag/team": "red"})
    assert not allowed_if({"Bool": {"aws:SecureTransport": "true"}}, user(), context={"aws:SecureTransport": False})
    assert allowed_if(
        {"StringEquals": {"aws:RequestedRegion": "ap-south-1"}}, user(), context={"aws:RequestedRegion": "ap-south-1"}
    )


def test_caller_context_adds_keys() -> None:
    """KEYS: service-specific and request keys (aws:SourceIp, s3:prefix ...) come with the
    request; a condition on a key the request lacks does not match."""
    condition = {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}
    assert allowed_if(condition, user(), context={"aws:SourceIp": "203.0.113.7"})
    assert not allowed_if(condition, user(), context={"aws:SourceIp": "198.51.100.7"})
    assert not allowed_if(condition, user())


def test_caller_context_is_normalised_and_checked() -> None:
    """Keys are matched without regard to case (lower-cased once), booleans and numbers become
    the strings AWS compares, lists stay multivalued; a key without a service prefix or a value
    that is neither is refused, however often the same key was taken before."""
    from localiam.engine.context import ContextError, normalise_context

    for _ in range(2):  # the second time through what the first remembered
        given = {"aws:SourceIp": "10.0.0.1", "dynamodb:LeadingKeys": ["a", "b"], "aws:SecureTransport": True}
        assert normalise_context({**given, "s3:max-keys": 5}) == {
            "aws:sourceip": ("10.0.0.1",),
            "dynamodb:leadingkeys": ("a", "b"),
            "aws:securetransport": ("true",),
            "s3:max-keys": ("5",),
        }
        with pytest.raises(ContextError, match="must look like"):
            normalise_context({"SourceIp": "10.0.0.1"})
        with pytest.raises(ContextError, match="must be a string"):
            normalise_context({"aws:SourceIp": {"not": "a scalar"}})
