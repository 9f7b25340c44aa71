"""Plans (``engine/plan.py``, ``engine/compiled.py``): each policy keeps, per action, its
candidate statements indexed by resource key; a plan for a new combination of policies, one
action and one resource key gathers them in AWS's order, and statements of the same shape share
one check. Whatever combination the policies come in, and whether a plan is made anew or found
cached, the decision is the one a statement-by-statement scan in AWS's order reaches (a
tracer's plan holds every statement); and a policy changed between two decisions is seen by
the second (its groups belong to the compiled policy, a new object for a new version)."""

from __future__ import annotations

from typing import Any

from helpers import (
    ACCOUNT,
    allow,
    boundary,
    decide,
    deny,
    identity,
    org,
    policy,
    resource_policy,
    role_session,
    scp,
    user,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from localiam.engine.plan import PLANS
from localiam.policy import PolicyType

BUCKET = "arn:aws:s3:::plans-bucket"
OBJECTS = [f"{BUCKET}/a/1.txt", f"{BUCKET}/b/2.txt", "arn:aws:s3:::other/a/1.txt"]
ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]

# A small pool, so that statements of the same shape turn up in several policies of one plan
# (they share one check), and organization levels start with an Allow of everything.
POOL: list[dict[str, Any]] = [
    allow("s3:GetObject", f"{BUCKET}/a/*"),
    allow(["s3:GetObject", "s3:PutObject"], f"{BUCKET}/b/*"),
    allow("s3:*", [BUCKET, f"{BUCKET}/*"]),
    allow("s3:Get*", "arn:aws:s3:::*/a/*"),
    allow("s3:PutObject", "*", condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}}),
    allow("s3:GetObject", f"{BUCKET}/${{aws:username}}/*"),
    allow("s3:ListBucket", BUCKET, condition={"StringLike": {"s3:prefix": "a/*"}}),
    allow("*", "*"),
    deny("s3:PutObject", f"{BUCKET}/a/*"),
    deny("s3:*", "*", condition={"Bool": {"aws:SecureTransport": "false"}}),
    deny("s3:GetObject", "arn:aws:s3:::other/*"),
    {"Effect": "Deny", "NotAction": "s3:Get*", "Resource": f"{BUCKET}/b/*"},
]


def _policy(statements: list[dict[str, Any]], kind: PolicyType, name: str) -> Any:
    return policy(*statements, kind=kind, name=name)


@st.composite
def plans(draw: st.DrawFn) -> tuple[Any, str, str, dict[str, Any], dict[str, Any]]:
    statements = st.lists(st.sampled_from(POOL), min_size=1, max_size=5)
    count = draw(st.integers(1, 4))
    inputs: dict[str, Any] = {
        "identity": tuple(_policy(draw(statements), PolicyType.IDENTITY, f"identity-{i}") for i in range(count))
    }
    if draw(st.booleans()):
        inputs["boundary"] = _policy(draw(statements), PolicyType.BOUNDARY, "boundary")
    if draw(st.booleans()):
        levels = draw(st.lists(st.lists(statements, min_size=1, max_size=2), min_size=1, max_size=3))
        inputs["scps"] = org(
            *[
                tuple(_policy(s, PolicyType.SCP, f"scp-{i}-{j}") for j, s in enumerate(level))
                for i, level in enumerate(levels)
            ]
        )
    if draw(st.booleans()):
        grant = {"AWS": f"arn:aws:iam::{ACCOUNT}:user/Alice"}
        resource = [dict(s, Principal=grant) for s in draw(statements)]
        inputs["resource"] = _policy(resource, PolicyType.RESOURCE, "bucket policy")
    who = draw(st.sampled_from([user(), user(tags={"team": "blue"}), user("Eve", "444455556666"), role_session()]))
    extra = {"resource_account": ACCOUNT, "secure_transport": draw(st.booleans())}
    return who, draw(st.sampled_from(ACTIONS)), draw(st.sampled_from([*OBJECTS, BUCKET])), inputs, extra


class _Seen:
    def statement(self, policy: Any, index: int, applies: bool) -> None:
        pass


@settings(max_examples=400, deadline=None)
@given(plans())
def test_plans_decide_as_every_statement_in_order(
    case: tuple[Any, str, str, dict[str, Any], dict[str, Any]],
) -> None:
    """Several policies of one type, statements of the same shape in several of them: the
    fast scan, with a plan made anew (every plan forgotten) and with the plan found cached,
    reaches the decision of the scan of every statement."""
    who, action, target, inputs, extra = case
    traced = decide(who, action, target, tracer=_Seen(), **extra, **inputs)
    PLANS.clear()
    anew = decide(who, action, target, **extra, **inputs)
    cached = decide(who, action, target, **extra, **inputs)
    for fast in (anew, cached):
        assert (fast.outcome, fast.denied_by, fast.determining) == (
            traced.outcome,
            traced.denied_by,
            traced.determining,
        )
        assert dict(fast.verdicts) == dict(traced.verdicts)


def test_a_policy_changed_between_two_decisions_is_seen_by_the_second() -> None:
    """The groups a policy made for an action are its own: a new version of the policy (the
    same name, the same shape of statements, another Resource) is a new compiled policy, and
    the next decision, with every plan of the first still cached, follows it."""
    other = identity(allow("sqs:SendMessage", "*"), name="other")
    v1 = identity(allow("s3:GetObject", f"{BUCKET}/a/*"), deny("s3:GetObject", f"{BUCKET}/a/secret"), name="P")
    v2 = identity(allow("s3:GetObject", f"{BUCKET}/b/*"), deny("s3:GetObject", f"{BUCKET}/b/secret"), name="P")
    levels = org((scp(allow("*", "*"), name="FullAWSAccess"),))
    alice = {"AWS": f"arn:aws:iam::{ACCOUNT}:user/Alice"}
    bucket = resource_policy(allow("s3:GetObject", f"{BUCKET}/c/*", principal=alice), name="bucket")
    a, b = f"{BUCKET}/a/1.txt", f"{BUCKET}/b/1.txt"
    for identities in ((v1,), (v1, other), (other, v1)):
        assert decide(user(), "s3:GetObject", a, identity=identities, scps=levels, resource=bucket).allowed
        assert not decide(user(), "s3:GetObject", b, identity=identities, scps=levels, resource=bucket).allowed
        assert decide(user(), "s3:GetObject", f"{BUCKET}/a/secret", identity=identities).outcome.value == (
            "ExplicitDeny"
        )
    for identities in ((v2,), (v2, other), (other, v2)):
        assert not decide(user(), "s3:GetObject", a, identity=identities, scps=levels, resource=bucket).allowed
        assert decide(user(), "s3:GetObject", b, identity=identities, scps=levels, resource=bucket).allowed
        assert decide(user(), "s3:GetObject", f"{BUCKET}/a/secret", identity=identities).outcome.value == (
            "ImplicitDeny"
        )
    # The first version's groups are untouched by the second's.
    assert decide(user(), "s3:GetObject", a, identity=(v1, other), scps=levels, resource=bucket).allowed
    # And the resource side: a changed bucket policy.
    bucket2 = resource_policy(allow("s3:GetObject", f"{BUCKET}/d/*", principal=alice), name="bucket")
    c = f"{BUCKET}/c/1.txt"
    assert decide(user(), "s3:GetObject", c, identity=(other,), resource=bucket).allowed
    assert not decide(user(), "s3:GetObject", c, identity=(other,), resource=bucket2).allowed


def test_a_boundary_that_is_also_an_identity_policy_is_reported_as_identity() -> None:
    """A policy attached twice (as an identity policy and as the boundary): its Deny is
    reported where AWS meets it first, in the identity policies."""
    both = boundary(allow("s3:*", "*"), deny("s3:PutObject", f"{BUCKET}/a/*"), name="both")
    decision = decide(user(), "s3:PutObject", f"{BUCKET}/a/1.txt", identity=(both,), boundary=both)
    assert decision.denied_by is PolicyType.IDENTITY
    PLANS.clear()
    again = decide(user(), "s3:PutObject", f"{BUCKET}/a/1.txt", identity=(both,), boundary=both)
    assert again.denied_by is PolicyType.IDENTITY


def test_an_scp_changed_between_two_decisions_is_seen_by_the_second() -> None:
    """An organization chain with a new version of an SCP is a new chain: the next decision,
    with the plans and the organization parts of the first still cached, follows it (a Deny
    added, then the FullAWSAccess-style allow taken away)."""
    full = scp(allow("*", "*"), name="FullAWSAccess")
    v1 = scp(deny("s3:DeleteObject", "*"), name="Guardrails")
    v2 = scp(deny("s3:GetObject", f"{BUCKET}/a/*"), name="Guardrails")
    v3 = scp(allow("s3:List*", "*"), name="FullAWSAccess")
    reader = identity(allow("s3:GetObject", "*"), name="reader")
    target = f"{BUCKET}/a/1.txt"
    assert decide(user(), "s3:GetObject", target, identity=(reader,), scps=org((full, v1))).allowed
    denied = decide(user(), "s3:GetObject", target, identity=(reader,), scps=org((full, v2)))
    assert denied.outcome.value == "ExplicitDeny" and denied.denied_by is PolicyType.SCP
    assert decide(user(), "s3:GetObject", f"{BUCKET}/b/1.txt", identity=(reader,), scps=org((full, v2))).allowed
    narrowed = decide(user(), "s3:GetObject", f"{BUCKET}/b/1.txt", identity=(reader,), scps=org((v3,)))
    assert narrowed.outcome.value == "ImplicitDeny" and narrowed.denied_by is PolicyType.SCP
