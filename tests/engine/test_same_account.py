"""Requests within one account: an identity-based allow or a resource-based allow suffices, and
which implicit denies a resource-based allow overrides depends on the principal it names.

Pages (IAM User Guide):
- ``reference_policies_evaluation-logic_policy-eval-denyallow`` (DENYALLOW), section
  "Resource-based policies": "If a resource-based policy grants permission directly to the IAM
  user or the session principal that is making the request, then an implicit deny in an
  identity-based policy, a permissions boundary, or a session policy does not impact the final
  decision."
- ``access_policies_boundaries`` (BOUNDARIES), "Resource-based policies": "Within an account, an
  implicit deny in a permissions boundary does not limit the permissions granted by a
  resource-based policy."
- ``access_policies``, "Session policies" (SESSION).
- ``reference_policies_evaluation-logic_policy-eval-basics`` (BASICS).
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import (
    ACCOUNT,
    OBJECT,
    allow,
    boundary,
    decide,
    deny,
    federated_user,
    identity,
    resource_policy,
    role_arn,
    role_session,
    session_policy,
    trust_policy,
    user,
)

from localiam.engine import CompiledPolicy, Decision, Outcome, Principal
from localiam.policy import PolicyType

USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/Alice"
SESSION_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/AppRole/app-session"
FEDERATED_ARN = f"arn:aws:sts::{ACCOUNT}:federated-user/Bob"
ACCOUNT_ROOT = f"arn:aws:iam::{ACCOUNT}:root"

NOTHING_S3 = allow("sqs:*")  # a boundary or session policy that implicitly denies s3


def bucket_policy(principal_arn: str, action: str = "s3:GetObject") -> CompiledPolicy:
    return resource_policy(allow(action, OBJECT, sid="Grant", principal={"AWS": principal_arn}))


def test_identity_allow_alone_suffices() -> None:
    """BASICS: "If an action is allowed by an identity-based policy, a resource-based policy, or
    both, then AWS allows the action." """
    d = decide(user(), "s3:GetObject", OBJECT, identity=(identity(allow("s3:GetObject")),))
    assert d.outcome is Outcome.ALLOW


def test_identity_allow_suffices_when_resource_policy_says_nothing() -> None:
    """BASICS (as above): a resource policy that names someone else takes nothing away."""
    d = decide(
        user(),
        "s3:GetObject",
        OBJECT,
        identity=(identity(allow("s3:GetObject")),),
        resource=bucket_policy(f"arn:aws:iam::{ACCOUNT}:user/Somebody"),
    )
    assert d.outcome is Outcome.ALLOW


@pytest.mark.parametrize(
    ("who", "named"),
    [(user(), USER_ARN), (role_session(), SESSION_ARN), (federated_user(), FEDERATED_ARN)],
    ids=["user", "role-session", "federated-user"],
)
def test_resource_allow_alone_suffices_for_the_principal_it_names(who: Principal, named: str) -> None:
    """DENYALLOW: "For most resources, you only need an explicit Allow for the principal in
    either an identity-based policy or a resource-based policy to grant access." """
    d = decide(who, "s3:GetObject", OBJECT, resource=bucket_policy(named))
    assert d.outcome is Outcome.ALLOW
    assert [(r.policy_type, r.sid) for r in d.determining] == [(PolicyType.RESOURCE, "Grant")]


def test_user_arn_grant_is_not_limited_by_boundary() -> None:
    """DENYALLOW, "IAM user": "Within the same account, resource-based policies that grant
    permissions to an IAM user ARN (that is not a federated user session) are not limited by
    an implicit deny in an identity-based policy or permissions boundary." """
    d = decide(user(), "s3:GetObject", OBJECT, boundary=boundary(NOTHING_S3), resource=bucket_policy(USER_ARN))
    assert d.outcome is Outcome.ALLOW


@pytest.mark.parametrize("limit", ["boundary", "session", "both"])
def test_role_session_arn_grant_is_not_limited(limit: str) -> None:
    """DENYALLOW, "IAM role session": "resource-based policies that grant permissions to an IAM
    role session ARN grant permissions directly to the assumed role session. Permissions
    granted directly to a session are not limited by an implicit deny in an identity-based
    policy, a permissions boundary, or session policy."
    SESSION: "The resource-based policy permissions are not limited by the session policy." """
    limits: dict[str, object] = {}
    if limit in ("boundary", "both"):
        limits["boundary"] = boundary(NOTHING_S3)
    if limit in ("session", "both"):
        limits["session"] = (session_policy(NOTHING_S3),)
    d = decide(role_session(), "s3:GetObject", OBJECT, resource=bucket_policy(SESSION_ARN), **limits)
    assert d.outcome is Outcome.ALLOW


@pytest.mark.parametrize("limit", ["boundary", "session"])
def test_federated_user_session_grant_is_not_limited(limit: str) -> None:
    """DENYALLOW, "AWS STS federated user principal": "resource-based policies that grant
    permissions to a federated user ARN grant permissions directly to the session. Permissions
    granted directly to a session are not limited by an implicit deny in an identity-based
    policy, a permissions boundary, or session policy." """
    limits: dict[str, object] = (
        {"boundary": boundary(NOTHING_S3)} if limit == "boundary" else {"session": (session_policy(NOTHING_S3),)}
    )
    d = decide(federated_user(), "s3:GetObject", OBJECT, resource=bucket_policy(FEDERATED_ARN), **limits)
    assert d.outcome is Outcome.ALLOW


@pytest.mark.parametrize("limit", ["boundary", "session"])
def test_role_arn_grant_is_limited_by_boundary_and_session_policy(limit: str) -> None:
    """DENYALLOW, "IAM role": "Resource-based policies that grant permissions to an IAM role ARN
    are limited by an implicit deny in a permissions boundary or session policy."
    SESSION: "A resource-based policy can specify the ARN of the user or role as a principal. In
    that case, the permissions from the resource-based policy are added to the role or user's
    identity-based policy before the session is created. The session policy limits the total
    permissions granted by the resource-based policy and the identity-based policy." """
    limits: dict[str, object] = (
        {"boundary": boundary(NOTHING_S3)} if limit == "boundary" else {"session": (session_policy(NOTHING_S3),)}
    )
    d = decide(role_session(), "s3:GetObject", OBJECT, resource=bucket_policy(role_arn()), **limits)
    assert d.outcome is Outcome.IMPLICIT_DENY


def test_role_arn_grant_counts_like_an_identity_grant_when_limits_allow() -> None:
    """SESSION: "The resulting session's permissions are the intersection of the session
    policies and either the resource-based policy or the identity-based policy." With no
    identity-based allow, a role-ARN grant inside the session policy and boundary allows."""
    d = decide(
        role_session(),
        "s3:GetObject",
        OBJECT,
        boundary=boundary(allow("s3:*")),
        session=(session_policy(allow("s3:GetObject")),),
        resource=bucket_policy(role_arn()),
    )
    assert d.outcome is Outcome.ALLOW


def test_role_arn_grant_without_limits_allows() -> None:
    """DENYALLOW: "For most resources, you only need an explicit Allow for the principal in
    either an identity-based policy or a resource-based policy"; naming the role reaches its
    sessions (``reference_policies_elements_principal``, IAM role principals)."""
    d = decide(role_session(), "s3:GetObject", OBJECT, resource=bucket_policy(role_arn()))
    assert d.outcome is Outcome.ALLOW


@pytest.mark.parametrize("principal_value", [ACCOUNT_ROOT, ACCOUNT], ids=["root-arn", "account-id"])
def test_naming_the_account_delegates_to_iam_policies(principal_value: str) -> None:
    """``access_policies`` (resource-based policy example): "Because the policy grants trust only
    to the account, individual users in the account must still be granted permissions for the
    specified Amazon S3 actions." ``reference_policies_elements_principal``: the account ID and
    the account ARN "are equivalent"."""
    grant = bucket_policy(principal_value)
    d = decide(user(), "s3:GetObject", OBJECT, resource=grant)
    assert d.outcome is Outcome.IMPLICIT_DENY
    assert d.denied_by is PolicyType.IDENTITY
    ok = decide(user(), "s3:GetObject", OBJECT, resource=grant, identity=(identity(allow("s3:GetObject")),))
    assert ok.outcome is Outcome.ALLOW


def test_account_grant_stays_limited_by_boundary() -> None:
    """BOUNDARIES: the effective permissions are "everything that is allowed by the resource-based
    policy and the intersection of the permissions boundary and the identity-based policy";
    an account grant adds nothing for the caller beyond its identity-based policies (see the
    delegation test above), so the boundary limits it."""
    d = decide(
        user(),
        "s3:GetObject",
        OBJECT,
        identity=(identity(allow("s3:*")),),
        boundary=boundary(NOTHING_S3),
        resource=bucket_policy(ACCOUNT_ROOT),
    )
    assert d.outcome is Outcome.IMPLICIT_DENY
    assert d.denied_by is PolicyType.BOUNDARY


def test_identity_allow_without_boundary_allow_is_denied_even_with_unrelated_resource_policy() -> None:
    """BOUNDARIES (as above): the identity side alone is the intersection of identity policy and
    boundary."""
    d = decide(
        user(),
        "s3:GetObject",
        OBJECT,
        identity=(identity(allow("s3:*")),),
        boundary=boundary(NOTHING_S3),
        resource=bucket_policy(f"arn:aws:iam::{ACCOUNT}:user/Somebody"),
    )
    assert d.outcome is Outcome.IMPLICIT_DENY
    assert d.denied_by is PolicyType.BOUNDARY


@pytest.mark.parametrize("where", ["identity", "boundary", "session"])
def test_explicit_deny_still_beats_a_direct_session_grant(where: str) -> None:
    """BOUNDARIES: "An explicit deny in any of these policies overrides the allow." The
    direct-grant rule is about implicit denies only."""
    denial = deny("s3:GetObject")
    inputs: dict[str, object] = {
        "identity": (identity(allow("s3:*"), *([denial] if where == "identity" else [])),),
        "boundary": boundary(allow("s3:*"), *([denial] if where == "boundary" else [])),
        "session": (session_policy(allow("s3:*"), *([denial] if where == "session" else [])),),
    }
    d = decide(role_session(), "s3:GetObject", OBJECT, resource=bucket_policy(SESSION_ARN), **inputs)
    assert d.outcome is Outcome.EXPLICIT_DENY
    assert (
        d.denied_by
        is {"identity": PolicyType.IDENTITY, "boundary": PolicyType.BOUNDARY, "session": PolicyType.SESSION}[where]
    )


def test_resource_deny_beats_identity_allow() -> None:
    """BASICS: "An explicit deny in either of these policies overrides the allow." """
    d = decide(
        user(),
        "s3:GetObject",
        OBJECT,
        identity=(identity(allow("s3:*")),),
        resource=resource_policy(deny("s3:GetObject", OBJECT, principal={"AWS": USER_ARN})),
    )
    assert d.outcome is Outcome.EXPLICIT_DENY
    assert d.denied_by is PolicyType.RESOURCE


def test_session_arn_of_another_session_does_not_match() -> None:
    """``reference_policies_elements_principal`` (role session principals): a session ARN names
    that one session; another session of the same role is not granted by it."""
    other = role_session(name="other-session")
    d = decide(other, "s3:GetObject", OBJECT, resource=bucket_policy(SESSION_ARN))
    assert d.outcome is Outcome.IMPLICIT_DENY


# Role trust policies and KMS key policies: they must allow the principal themselves.
# DENYALLOW: "IAM role trust policies and KMS key policies are exceptions to this logic, because
# they must explicitly allow access for principals."

ROLE = role_arn("Target")


def trust(principal_value: str) -> CompiledPolicy:
    return trust_policy(allow("sts:AssumeRole", None, sid="Trust", principal={"AWS": principal_value}))


def assume(who: Principal, **inputs: Any) -> Decision:
    return decide(who, "sts:AssumeRole", ROLE, resource_must_allow=True, **inputs)


def test_trust_policy_naming_the_user_needs_no_identity_policy() -> None:
    """AWS STS API reference, ``AssumeRole``: "If the user is in the same account as the role,
    then you can ... add the user as a principal directly in the role's trust policy. In this
    case, the trust policy acts as an IAM resource-based policy. Users in the same account as
    the role do not need explicit permission to assume the role." """
    d = assume(user(), resource=trust(USER_ARN))
    assert d.outcome is Outcome.ALLOW


def test_identity_allow_without_trust_policy_allow_is_denied() -> None:
    """DENYALLOW (above): an identity-based allow of sts:AssumeRole is not enough in the same
    account when the trust policy does not allow the caller."""
    d = assume(
        user(),
        identity=(identity(allow("sts:AssumeRole", ROLE)),),
        resource=trust(f"arn:aws:iam::{ACCOUNT}:user/Somebody"),
    )
    assert d.outcome is Outcome.IMPLICIT_DENY
    assert d.denied_by in (PolicyType.RESOURCE, PolicyType.TRUST)


def test_trust_policy_naming_the_account_needs_the_identity_policy_too() -> None:
    """``reference_policies_elements_principal`` (AWS account principals): "When you use an AWS
    account identifier as the principal in a policy, you delegate authority to the account. All
    identities inside the account can access the resource if they have the appropriate IAM
    permissions attached to explicitly allow access." """
    assert assume(user(), resource=trust(ACCOUNT_ROOT)).outcome is Outcome.IMPLICIT_DENY
    ok = assume(user(), resource=trust(ACCOUNT_ROOT), identity=(identity(allow("sts:AssumeRole", ROLE)),))
    assert ok.outcome is Outcome.ALLOW


def test_trust_policy_naming_the_account_is_limited_by_the_boundary() -> None:
    """BOUNDARIES ("Identity-based policies with boundaries"): "The effective permissions are
    the intersection of both policy types." The account grant relies on the identity side."""
    d = assume(
        user(),
        resource=trust(ACCOUNT_ROOT),
        identity=(identity(allow("sts:AssumeRole", ROLE)),),
        boundary=boundary(NOTHING_S3),
    )
    assert d.outcome is Outcome.IMPLICIT_DENY


def test_role_without_trust_policy_allow_cannot_be_assumed() -> None:
    """DENYALLOW (above): no trust-policy allow, no AssumeRole, whatever the identity side says."""
    d = assume(user(), identity=(identity(allow("*")),))
    assert d.outcome is Outcome.IMPLICIT_DENY


KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def key_policy(principal_value: str) -> CompiledPolicy:
    return resource_policy(
        allow("kms:*", "*", sid="Enable IAM policies", principal={"AWS": principal_value}), name="KeyPolicy"
    )


def test_kms_identity_policy_alone_grants_nothing() -> None:
    """AWS KMS Developer Guide, ``key-policies``: "Unless the key policy explicitly allows it, you
    cannot use IAM policies to allow access to a KMS key. Without permission from the key
    policy, IAM policies that allow permissions have no effect." """
    d = decide(
        user(),
        "kms:Decrypt",
        KEY,
        resource_must_allow=True,
        identity=(identity(allow("kms:Decrypt")),),
        resource=key_policy(f"arn:aws:iam::{ACCOUNT}:user/Somebody"),
    )
    assert d.outcome is Outcome.IMPLICIT_DENY


def test_kms_key_policy_naming_the_account_enables_iam_policies() -> None:
    """``key-policies`` (default key policy): the statement that names the account "allows the
    AWS account ... to use IAM policies"; it does not by itself give any user access."""
    grant = key_policy(ACCOUNT_ROOT)
    assert decide(user(), "kms:Decrypt", KEY, resource_must_allow=True, resource=grant).outcome is (
        Outcome.IMPLICIT_DENY
    )
    ok = decide(
        user(), "kms:Decrypt", KEY, resource_must_allow=True, resource=grant, identity=(identity(allow("kms:Decrypt")),)
    )
    assert ok.outcome is Outcome.ALLOW


def test_kms_key_policy_naming_the_user_grants_by_itself() -> None:
    """DENYALLOW (above): the key policy must allow the principal; when it names the user, that
    allow is a direct grant (``key-policies``: a key policy can give access on its own)."""
    d = decide(user(), "kms:Decrypt", KEY, resource_must_allow=True, resource=key_policy(USER_ARN))
    assert d.outcome is Outcome.ALLOW
