"""Who the caller is: NotPrincipal, the root user, AWS service principals and anonymous callers.

Pages (IAM User Guide unless noted):
- ``reference_policies_elements_notprincipal`` (NOTPRINCIPAL)
- ``access_policies_boundaries`` (BOUNDARIES)
- ``reference_policies_evaluation-logic_policy-eval-denyallow`` (DENYALLOW)
- ``reference_policies_elements_principal`` (PRINCIPAL)
- ``access_policies`` section "Policies and the root user" (ROOT-POLICIES)
- ``confused-deputy`` (DEPUTY)
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import (
    ACCOUNT,
    BUCKET,
    OBJECT,
    OTHER,
    VERSION,
    allow,
    boundary,
    decide,
    deny,
    identity,
    resource_policy,
    role_arn,
    role_session,
    root,
    user,
)

from localiam.engine import ANONYMOUS, Outcome, PrincipalError, principal_from_arn
from localiam.policy import PolicyType, parse_policy

USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/Alice"
ACCOUNT_ROOT = f"arn:aws:iam::{ACCOUNT}:root"
SESSION_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/AppRole/app-session"
ALLOW_S3 = (identity(allow("s3:*")),)


# --- NotPrincipal -----------------------------------------------------------------------------


def test_not_principal_with_allow_is_rejected() -> None:
    """NOTPRINCIPAL: "NotPrincipal must be used with "Effect":"Deny". Using it with
    "Effect":"Allow" is not supported." """
    result = parse_policy({"Version": VERSION, "Statement": [allow("s3:*", "*", not_principal={"AWS": USER_ARN})]})
    assert result.value is None
    assert "NOT_PRINCIPAL_WITH_ALLOW" in [f.code for f in result.errors]


def fence(*spared: str) -> Any:
    """A bucket policy that denies s3 to everyone but ``spared``."""
    return resource_policy(deny("s3:*", [BUCKET, f"{BUCKET}/*"], sid="Fence", not_principal={"AWS": list(spared)}))


@pytest.mark.parametrize(
    ("spared", "denied"),
    [
        ((USER_ARN, ACCOUNT_ROOT), False),
        ((USER_ARN,), True),
        ((ACCOUNT_ROOT,), True),
    ],
    ids=["user+account", "user-only", "account-only"],
)
def test_not_principal_user_chain(spared: tuple[str, ...], denied: bool) -> None:
    """NOTPRINCIPAL: "When you use NotPrincipal, you must also specify the account ARN of the
    not-denied principal. Otherwise, the policy might deny access to the entire account
    containing the principal. Depending on the service that you include in your policy, AWS
    might validate the account first and then the user." """
    d = decide(user(), "s3:GetObject", OBJECT, identity=ALLOW_S3, resource=fence(*spared))
    assert (d.outcome is Outcome.EXPLICIT_DENY) is denied
    if denied:
        assert d.denied_by is PolicyType.RESOURCE


@pytest.mark.parametrize(
    ("spared", "denied"),
    [
        ((SESSION_ARN, role_arn(), ACCOUNT_ROOT), False),
        ((role_arn(), ACCOUNT_ROOT), True),
        ((SESSION_ARN, ACCOUNT_ROOT), True),
        ((SESSION_ARN, role_arn()), True),
    ],
    ids=["session+role+account", "role+account", "session+account", "session+role"],
)
def test_not_principal_role_session_chain(spared: tuple[str, ...], denied: bool) -> None:
    """NOTPRINCIPAL: "If an assumed-role user (someone who is using a role) is being evaluated,
    AWS might validate the account first, then the role, and then the assumed-role user. The
    assumed-role user is identified by the role session name that is specified when they
    assumed the role." and "When you specify an assumed-role session in a NotPrincipal element,
    you cannot use a wildcard (*) to mean "all sessions". Principals must always name a
    specific session." """
    d = decide(role_session(), "s3:GetObject", OBJECT, identity=ALLOW_S3, resource=fence(*spared))
    assert (d.outcome is Outcome.EXPLICIT_DENY) is denied


def test_not_principal_deny_does_not_grant() -> None:
    """NOTPRINCIPAL (example): "This example by itself does not grant access to Bob, it only
    omits Bob from the list of principals that are explicitly denied." """
    d = decide(user(), "s3:GetObject", OBJECT, resource=fence(USER_ARN, ACCOUNT_ROOT))
    assert d.outcome is Outcome.IMPLICIT_DENY


def test_not_principal_deny_always_denies_principals_with_a_boundary() -> None:
    """BOUNDARIES (Important) and NOTPRINCIPAL (Key points): "The NotPrincipal element with a
    Deny effect will always deny any IAM principal that has a permissions boundary policy
    attached, regardless of the values specified in the NotPrincipal element." """
    d = decide(
        user(),
        "s3:GetObject",
        OBJECT,
        identity=ALLOW_S3,
        boundary=boundary(allow("*")),
        resource=fence(USER_ARN, ACCOUNT_ROOT),
    )
    assert d.outcome is Outcome.EXPLICIT_DENY
    assert d.denied_by is PolicyType.RESOURCE


# --- The root user ----------------------------------------------------------------------------


def test_root_user_has_full_access_to_its_account() -> None:
    """DENYALLOW: "By default, all requests are implicitly denied with the exception of the AWS
    account root user, which has full access." """
    d = decide(root(), "s3:DeleteBucket", BUCKET)
    assert d.outcome is Outcome.ALLOW


def test_root_user_is_denied_by_an_explicit_deny_in_a_resource_policy() -> None:
    """ROOT-POLICIES: "you can specify the root user as the principal in a resource-based policy
    or an ACL"; DENYALLOW: "If the enforcement code finds even one explicit deny that applies,
    the enforcement code returns a final decision of Deny." """
    bucket = resource_policy(deny("s3:*", [BUCKET, f"{BUCKET}/*"], principal={"AWS": ACCOUNT_ROOT}))
    d = decide(root(), "s3:GetObject", OBJECT, resource=bucket)
    assert d.outcome is Outcome.EXPLICIT_DENY
    assert d.denied_by is PolicyType.RESOURCE


def test_root_user_of_another_account_needs_the_resource_policy() -> None:
    """``reference_policies_evaluation-logic-cross-account``: "AWS allows the request only if both
    account policy evaluations allow the request." The root user's own account allows
    everything; the resource's account must still allow it."""
    stranger = root(OTHER)
    d = decide(stranger, "s3:GetObject", OBJECT, resource_account=ACCOUNT)
    assert d.outcome is Outcome.IMPLICIT_DENY
    assert d.denied_by is PolicyType.RESOURCE
    bucket = resource_policy(allow("s3:GetObject", OBJECT, principal={"AWS": OTHER}))
    assert decide(stranger, "s3:GetObject", OBJECT, resource_account=ACCOUNT, resource=bucket).allowed


def test_root_user_is_not_subject_to_identity_policies() -> None:
    """ROOT-POLICIES: "You cannot attach identity-based policies to the root user, and you
    cannot set the permissions boundary for the root user." Inputs that carry such policies
    change nothing for the root user."""
    d = decide(
        root(),
        "s3:GetObject",
        OBJECT,
        identity=(identity(deny("*")),),
        boundary=boundary(allow("sqs:*")),
    )
    assert d.outcome is Outcome.ALLOW


# --- Roles act through sessions ---------------------------------------------------------------


def test_a_role_arn_is_not_a_caller() -> None:
    """DENYALLOW ("IAM role"): "When you assume a role and make a request, the principal making
    the request is the IAM role session ARN and not the ARN of the role itself." """
    with pytest.raises(PrincipalError):
        principal_from_arn(role_arn())
    session = principal_from_arn(SESSION_ARN)
    assert session.arn == SESSION_ARN
    assert session.role_arn == role_arn()


# --- AWS service principals -------------------------------------------------------------------

TRAIL = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/management"
CLOUDTRAIL = principal_from_arn("cloudtrail.amazonaws.com")


def deputy_bucket() -> Any:
    return resource_policy(
        allow(
            "s3:PutObject",
            f"{BUCKET}/AWSLogs/{ACCOUNT}/*",
            sid="CloudTrailWrite",
            principal={"Service": "cloudtrail.amazonaws.com"},
            condition={"StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": TRAIL}},
        )
    )


LOG = f"{BUCKET}/AWSLogs/{ACCOUNT}/log.json.gz"


def test_service_principal_is_granted_by_a_resource_policy_with_source_conditions() -> None:
    """DEPUTY: "We recommend using the aws:SourceArn and aws:SourceAccount global condition
    context keys in resource policies to limit the permissions that AWS service gives another
    service to the resource." The grant holds when the request comes from the named source."""
    d = decide(
        CLOUDTRAIL,
        "s3:PutObject",
        LOG,
        resource_account=ACCOUNT,
        resource=deputy_bucket(),
        context={"aws:SourceArn": TRAIL, "aws:SourceAccount": ACCOUNT},
    )
    assert d.outcome is Outcome.ALLOW
    assert [r.sid for r in d.determining] == ["CloudTrailWrite"]


@pytest.mark.parametrize(
    "context",
    [
        {"aws:SourceArn": f"arn:aws:cloudtrail:us-east-1:{OTHER}:trail/x", "aws:SourceAccount": OTHER},
        {"aws:SourceArn": TRAIL, "aws:SourceAccount": OTHER},
        {},
    ],
    ids=["other-source", "other-account", "no-source"],
)
def test_service_principal_acting_for_another_source_is_refused(context: dict[str, str]) -> None:
    """DEPUTY: the aws:SourceArn / aws:SourceAccount conditions keep a service acting for someone
    else (the confused deputy) out; a condition on a key the request does not carry is false
    (``reference_policies_elements_condition_operators``)."""
    d = decide(CLOUDTRAIL, "s3:PutObject", LOG, resource_account=ACCOUNT, resource=deputy_bucket(), context=context)
    assert d.outcome is Outcome.IMPLICIT_DENY


def test_service_principal_is_not_granted_by_identity_policies() -> None:
    """PRINCIPAL (AWS service principals): a service is granted access by naming it in a
    resource-based policy or a role trust policy; identity-based policies belong to IAM users
    and roles (DENYALLOW: "Identity-based policies ... grant permissions to IAM entities (users
    and roles)")."""
    d = decide(CLOUDTRAIL, "s3:PutObject", LOG, resource_account=ACCOUNT, identity=(identity(allow("*")),))
    assert d.outcome is Outcome.IMPLICIT_DENY


def test_service_principal_is_not_an_account_principal() -> None:
    """PRINCIPAL: naming an account reaches "All identities inside the account"; an AWS service
    principal is not one of them."""
    bucket = resource_policy(allow("s3:PutObject", "*", principal={"AWS": ACCOUNT}))
    d = decide(CLOUDTRAIL, "s3:PutObject", LOG, resource_account=ACCOUNT, resource=bucket)
    assert d.outcome is Outcome.IMPLICIT_DENY


# --- Anonymous callers ------------------------------------------------------------------------


@pytest.mark.parametrize("everyone", ["*", {"AWS": "*"}], ids=["star", "aws-star"])
def test_anonymous_is_granted_only_by_a_wildcard_principal(everyone: Any) -> None:
    """PRINCIPAL (All principals): "For resource-based policies, using a wildcard (*) with an
    Allow effect grants access to all users, including anonymous users (public access)." and
    "For anonymous users, the following elements are equivalent: "Principal": "*" ...
    "Principal" : { "AWS" : "*" }"."""
    bucket = resource_policy(allow("s3:GetObject", OBJECT, principal=everyone))
    d = decide(ANONYMOUS, "s3:GetObject", OBJECT, resource_account=ACCOUNT, resource=bucket)
    assert d.outcome is Outcome.ALLOW


@pytest.mark.parametrize("named", [ACCOUNT, ACCOUNT_ROOT, USER_ARN], ids=["account", "root", "user"])
def test_anonymous_is_not_granted_by_naming_an_identity(named: str) -> None:
    """PRINCIPAL (as above): anonymous access needs the wildcard; naming an account or a user
    names authenticated principals only."""
    bucket = resource_policy(allow("s3:GetObject", OBJECT, principal={"AWS": named}))
    d = decide(ANONYMOUS, "s3:GetObject", OBJECT, resource_account=ACCOUNT, resource=bucket)
    assert d.outcome is Outcome.IMPLICIT_DENY


def test_anonymous_has_no_identity_side() -> None:
    """DENYALLOW: identity-based policies grant permissions to IAM entities; an anonymous caller
    is none, so nothing but a resource policy can grant it anything."""
    d = decide(ANONYMOUS, "s3:GetObject", OBJECT, resource_account=ACCOUNT, identity=(identity(allow("*")),))
    assert d.outcome is Outcome.IMPLICIT_DENY
