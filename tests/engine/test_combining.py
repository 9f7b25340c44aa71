"""AWS's combining logic: the default deny, explicit denies anywhere, and the intersections.

Pages (IAM User Guide unless noted):
- ``reference_policies_evaluation-logic_policy-eval-denyallow`` (DENYALLOW)
- ``access_policies_boundaries`` (BOUNDARIES)
- ``access_policies`` section "Session policies" (SESSION)
- ``orgs_manage_policies_rcps_evaluation`` (Organizations User Guide, RCP-EVAL)
"""

from __future__ import annotations

import pytest
from helpers import (
    ACCOUNT,
    BUCKET,
    OBJECT,
    RCP_FULL_AWS_ACCESS,
    allow,
    boundary,
    decide,
    deny,
    full_scp_levels,
    identity,
    org,
    rcp,
    resource_policy,
    role_session,
    scp,
    session_policy,
    user,
)

from localiam.engine import Outcome
from localiam.policy import PolicyType

ALICE = f"arn:aws:iam::{ACCOUNT}:user/Alice"


def test_default_is_implicit_deny() -> None:
    """DENYALLOW: "By default, all requests are implicitly denied with the exception of the AWS
    account root user, which has full access." """
    d = decide(user(), "s3:GetObject", OBJECT)
    assert d.outcome is Outcome.IMPLICIT_DENY
    assert d.denied_by is PolicyType.IDENTITY


def test_identity_allow_grants() -> None:
    """DENYALLOW: "Requests must be explicitly allowed by a policy or set of policies"."""
    d = decide(user(), "s3:GetObject", OBJECT, identity=(identity(allow("s3:GetObject")),))
    assert d.outcome is Outcome.ALLOW


# Each policy type that can carry a Deny, set up so that everything else allows the request.
_ALLOW_ALL = allow("*")


def _explicit_deny_case(where: PolicyType) -> dict[str, object]:
    denial = deny("s3:GetObject")
    inputs: dict[str, object] = {
        "identity": (identity(_ALLOW_ALL),),
        "boundary": boundary(_ALLOW_ALL),
        "session": (session_policy(_ALLOW_ALL),),
        "scps": org(*full_scp_levels()),
        "rcps": org((rcp(RCP_FULL_AWS_ACCESS),)),
        "resource": resource_policy(allow("s3:*", principal={"AWS": "*"})),
    }
    if where is PolicyType.IDENTITY:
        inputs["identity"] = (identity(_ALLOW_ALL, denial),)
    elif where is PolicyType.BOUNDARY:
        inputs["boundary"] = boundary(_ALLOW_ALL, denial)
    elif where is PolicyType.SESSION:
        inputs["session"] = (session_policy(_ALLOW_ALL, denial),)
    elif where is PolicyType.SCP:
        inputs["scps"] = org(*full_scp_levels(2), (scp({"Effect": "Allow", "Action": "*", "Resource": "*"}, denial),))
    elif where is PolicyType.RCP:
        inputs["rcps"] = org((rcp(RCP_FULL_AWS_ACCESS),), (rcp({**denial, "Principal": "*"}, name="DenyRCP"),))
    elif where is PolicyType.RESOURCE:
        inputs["resource"] = resource_policy(
            allow("s3:*", principal={"AWS": "*"}), {**denial, "Principal": {"AWS": "*"}}
        )
    return inputs


_PHRASE = {
    PolicyType.IDENTITY: "with an explicit deny in an identity-based policy",
    PolicyType.RESOURCE: "with an explicit deny in a resource-based policy",
    PolicyType.BOUNDARY: "with an explicit deny in a permissions boundary",
    PolicyType.SESSION: "with an explicit deny in a session policy",
    PolicyType.SCP: "with an explicit deny in a service control policy",
    PolicyType.RCP: "with an explicit deny in a resource control policy",
}


@pytest.mark.parametrize("where", list(_PHRASE), ids=lambda t: t.value)
def test_explicit_deny_anywhere_wins(where: PolicyType) -> None:
    """DENYALLOW: "The AWS enforcement code evaluates all policies within the account that
    apply to the request. These include AWS Organizations SCPs and RCPs, resource-based
    policies, identity-based policies, IAM permissions boundaries, and session policies. ...
    If the enforcement code finds even one explicit deny that applies, the code returns a
    final decision of Deny."

    The message names the policy type (``troubleshoot_access-denied``: "When a policy
    explicitly denies access because the policy contains a Deny statement, then AWS includes
    the phrase with an explicit deny in a type policy")."""
    who = role_session()
    d = decide(who, "s3:GetObject", OBJECT, **_explicit_deny_case(where))  # type: ignore[arg-type]
    assert d.outcome is Outcome.EXPLICIT_DENY
    assert d.denied_by is where
    assert d.message.endswith(_PHRASE[where]), d.message
    assert d.message.startswith(f"User: {who.arn} is not authorized to perform: s3:GetObject")


def test_control_case_every_policy_allows() -> None:
    """The setup of the explicit-deny cases allows when no Deny is added, so each of those
    tests fails only because of its Deny (DENYALLOW)."""
    inputs = _explicit_deny_case(PolicyType.IDENTITY)
    inputs["identity"] = (identity(_ALLOW_ALL),)
    d = decide(role_session(), "s3:GetObject", OBJECT, **inputs)  # type: ignore[arg-type]
    assert d.outcome is Outcome.ALLOW


@pytest.mark.parametrize("deny_first", [True, False])
def test_deny_overrides_allow_whatever_the_statement_order(deny_first: bool) -> None:
    """DENYALLOW: "An explicit deny overrides an explicit allow." The order of statements in a
    policy plays no part."""
    statements = [deny("s3:GetObject", OBJECT, sid="No"), allow("s3:*", sid="Yes")]
    if not deny_first:
        statements.reverse()
    d = decide(user(), "s3:GetObject", OBJECT, identity=(identity(*statements),))
    assert d.outcome is Outcome.EXPLICIT_DENY
    assert [r.sid for r in d.determining] == ["No"]


def test_deny_in_one_policy_overrides_allow_in_another() -> None:
    """DENYALLOW: "An explicit deny overrides an explicit allow", across policies too: a Deny
    in a group's policy beats the user's own Allow."""
    d = decide(
        user(),
        "s3:GetObject",
        OBJECT,
        identity=(identity(allow("s3:*"), name="UserPolicy"), identity(deny("s3:*"), name="GroupPolicy")),
    )
    assert d.outcome is Outcome.EXPLICIT_DENY
    assert d.determining[0].policy == "GroupPolicy"


def test_deny_that_does_not_match_is_ignored() -> None:
    """A Deny applies only when its action, resource and conditions match the request (DENYALLOW:
    "the enforcement code looks for a Deny statement that applies to the request")."""
    d = decide(
        user(),
        "s3:GetObject",
        OBJECT,
        identity=(identity(allow("s3:*"), deny("s3:DeleteObject"), deny("s3:GetObject", f"{BUCKET}/secret/*")),),
    )
    assert d.outcome is Outcome.ALLOW


def test_boundary_intersects_identity() -> None:
    """BOUNDARIES: "Identity-based policies grant permission to the entity, and permissions
    boundaries limit those permissions. The effective permissions are the intersection of
    both policy types." """
    ident = (identity(allow(["s3:*", "iam:CreateUser"])),)
    bound = boundary(allow(["s3:*", "cloudwatch:*", "ec2:*"]))
    assert decide(user(), "s3:GetObject", OBJECT, identity=ident, boundary=bound).allowed
    d = decide(user(), "iam:CreateUser", "*", identity=ident, boundary=bound)
    assert d.outcome is Outcome.IMPLICIT_DENY
    assert d.denied_by is PolicyType.BOUNDARY


def test_boundary_grants_nothing_by_itself() -> None:
    """BOUNDARIES: "it limits the user's permissions but does not provide permissions on its
    own"."""
    d = decide(user(), "s3:GetObject", OBJECT, boundary=boundary(allow("*")))
    assert d.outcome is Outcome.IMPLICIT_DENY
    assert d.denied_by is PolicyType.IDENTITY


def test_session_policy_intersects_identity() -> None:
    """SESSION: "The permissions for a session are the intersection of the identity-based
    policies for the IAM entity (user or role) used to create the session and the session
    policies." """
    ident = (identity(allow("s3:*")),)
    sess = (session_policy(allow("s3:GetObject")),)
    assert decide(role_session(), "s3:GetObject", OBJECT, identity=ident, session=sess).allowed
    d = decide(role_session(), "s3:PutObject", OBJECT, identity=ident, session=sess)
    assert d.outcome is Outcome.IMPLICIT_DENY
    assert d.denied_by is PolicyType.SESSION


def test_session_policy_cannot_add_permissions() -> None:
    """``id_credentials_temp_control-access_assumerole``: "You cannot use session policies to
    grant more permissions than those allowed by the identity-based policy of the role that
    is being assumed." """
    d = decide(
        role_session(),
        "s3:PutObject",
        OBJECT,
        identity=(identity(allow("s3:GetObject")),),
        session=(session_policy(allow("s3:*")),),
    )
    assert d.outcome is Outcome.IMPLICIT_DENY
    assert d.denied_by is PolicyType.IDENTITY


def test_boundary_session_and_identity_all_three_must_allow() -> None:
    """BOUNDARIES (session policies): "The entity's identity-based policy permissions are
    limited by the session policy and the permissions boundary. The effective permissions for
    this set of policy types are the intersection of all three policy types." """
    base = {
        "identity": (identity(allow("s3:*")),),
        "boundary": boundary(allow("s3:*")),
        "session": (session_policy(allow("s3:*")),),
    }
    assert decide(role_session(), "s3:GetObject", OBJECT, **base).allowed
    for key, narrowed in (
        ("identity", (identity(allow("s3:PutObject")),)),
        ("boundary", boundary(allow("s3:PutObject"))),
        ("session", (session_policy(allow("s3:PutObject")),)),
    ):
        d = decide(role_session(), "s3:GetObject", OBJECT, **{**base, key: narrowed})
        assert d.outcome is Outcome.IMPLICIT_DENY, key


def test_role_session_without_session_policy_is_not_limited() -> None:
    """DENYALLOW (session policies): "If you didn't pass a session policy, a default session
    policy is created and the enforcement code returns a final decision of Allow." """
    d = decide(role_session(), "s3:GetObject", OBJECT, identity=(identity(allow("s3:*")),))
    assert d.outcome is Outcome.ALLOW


def test_rcp_with_only_full_access_changes_nothing() -> None:
    """RCP-EVAL: "This default RCP allows all principals and actions access to pass through
    RCP evaluation, meaning until you start creating and attaching RCPs, all your existing IAM
    permissions continue to operate as they did. This AWS managed policy does not grant
    access." """
    rcps = org((rcp(RCP_FULL_AWS_ACCESS),), (rcp(RCP_FULL_AWS_ACCESS),))
    assert decide(user(), "s3:GetObject", OBJECT, rcps=rcps, identity=(identity(allow("s3:*")),)).allowed
    d = decide(user(), "s3:GetObject", OBJECT, rcps=rcps)
    assert d.outcome is Outcome.IMPLICIT_DENY
    assert d.denied_by is PolicyType.IDENTITY
