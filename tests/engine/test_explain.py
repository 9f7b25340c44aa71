"""Decisions carry their reasons: the determining statements, a verdict per policy type, and in
explain mode every statement's element-by-element match and the context keys a condition
looked for and did not find.

What a statement is named by: ``reference_policies_elements_sid`` ("The Sid (statement ID) is
an optional identifier that you provide for the policy statement"), else its position. What the
elements are: ``reference_policies_elements`` (Effect, Principal, Action, Resource, Condition).
A condition on a key the request does not carry: ``reference_policies_elements_condition``
("If the key that you specify in a policy condition is not present in the request context, the
values do not match"). None of this may change the decision, which AWS's evaluation logic
(``reference_policies_evaluation-logic_policy-eval-denyallow``) alone defines.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import (
    ACCOUNT,
    FULL_AWS_ACCESS,
    OBJECT,
    allow,
    boundary,
    decide,
    deny,
    identity,
    org,
    policy,
    resource_policy,
    role_session,
    root,
    scp,
    user,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from localiam.engine import ANONYMOUS, Outcome, StatementRef, Verdict
from localiam.policy import PolicyType


def test_allow_names_the_granting_statement() -> None:
    """The determining statement of an allow is the Allow that granted it, by policy and Sid."""
    d = decide(
        user(),
        "s3:GetObject",
        OBJECT,
        identity=(identity(allow("sqs:*", sid="Queues"), allow("s3:Get*", sid="ReadS3"), name="ReadOnly"),),
    )
    assert d.outcome is Outcome.ALLOW
    assert d.determining == (StatementRef(PolicyType.IDENTITY, "ReadOnly", "ReadS3", 1),)


def test_explicit_deny_names_the_deny_statement_by_index_without_sid() -> None:
    """A Deny without a Sid is named by its position in the policy."""
    d = decide(
        user(),
        "s3:GetObject",
        OBJECT,
        identity=(identity(allow("s3:*", sid="All"), deny("s3:GetObject"), name="Mixed"),),
    )
    assert d.outcome is Outcome.EXPLICIT_DENY
    assert d.determining == (StatementRef(PolicyType.IDENTITY, "Mixed", None, 1),)
    assert d.determining[0].as_dict() == {"policy_type": "identity", "policy": "Mixed", "sid": None, "index": 1}


def test_allow_through_every_layer_names_each_allow() -> None:
    """An allowed request within an organization was allowed by an SCP at every level and by the
    identity side (``orgs_manage_policies_scps_evaluation``, "there must be an explicit Allow
    statement at every level"); the boundary's allow is part of the identity side."""
    d = decide(
        user(),
        "s3:GetObject",
        OBJECT,
        identity=(identity(allow("s3:*", sid="Id")),),
        boundary=boundary(allow("s3:*", sid="Bound")),
        scps=org((scp(FULL_AWS_ACCESS, name="Root"),), (scp(FULL_AWS_ACCESS, name="Account"),)),
    )
    assert d.outcome is Outcome.ALLOW
    named = {(r.policy_type, r.policy, r.sid) for r in d.determining}
    assert (PolicyType.IDENTITY, "IdentityPolicy", "Id") in named
    assert (PolicyType.BOUNDARY, "Boundary", "Bound") in named
    assert {r.policy for r in d.determining if r.policy_type is PolicyType.SCP} == {"Root", "Account"}


def test_verdicts_per_policy_type() -> None:
    """Each policy type that applied reports what it said: allow, deny, or nothing."""
    d = decide(
        user(),
        "s3:GetObject",
        OBJECT,
        identity=(identity(allow("s3:*")),),
        boundary=boundary(allow("sqs:*")),
        resource=resource_policy(allow("s3:GetObject", OBJECT, principal={"AWS": f"arn:aws:iam::{ACCOUNT}:user/Bob"})),
        scps=org((scp(FULL_AWS_ACCESS),)),
    )
    assert d.outcome is Outcome.IMPLICIT_DENY
    assert d.denied_by is PolicyType.BOUNDARY
    assert d.verdicts[PolicyType.SCP] is Verdict.ALLOW
    assert d.verdicts[PolicyType.RESOURCE] is Verdict.NO_MATCH
    assert d.verdicts[PolicyType.IDENTITY] is Verdict.ALLOW
    assert d.verdicts[PolicyType.BOUNDARY] is Verdict.NO_MATCH


def test_verdict_of_an_explicit_deny() -> None:
    d = decide(user(), "s3:GetObject", OBJECT, identity=(identity(deny("s3:*")),))
    assert d.verdicts[PolicyType.IDENTITY] is Verdict.DENY


def test_explain_reports_every_statement_element_by_element() -> None:
    """Explain mode: every statement of every applicable policy, with the outcome of its Action,
    Resource, Principal and each Condition."""
    cond = {"StringEquals": {"aws:PrincipalTag/team": "blue"}}
    d = decide(
        role_session(),
        "s3:GetObject",
        OBJECT,
        explain=True,
        identity=(
            identity(
                allow("s3:GetObject", OBJECT, sid="Match"),
                allow("sqs:*", sid="OtherAction"),
                allow("s3:GetObject", "arn:aws:s3:::elsewhere/*", sid="OtherResource"),
                allow("s3:GetObject", OBJECT, sid="Conditional", condition=cond),
                name="Id",
            ),
        ),
        resource=resource_policy(allow("s3:GetObject", OBJECT, sid="Nobody", principal={"AWS": "999988887777"})),
    )
    by_policy = {e.policy: e for e in d.evaluations}
    assert set(by_policy) == {"Id", "BucketPolicy"}
    matches = {m.statement.sid: m for m in by_policy["Id"].matches}
    assert len(by_policy["Id"].matches) == 4
    assert (matches["Match"].action, matches["Match"].resource, matches["Match"].applies) == (True, True, True)
    assert (matches["OtherAction"].action, matches["OtherAction"].applies) == (False, False)
    assert (matches["OtherResource"].action, matches["OtherResource"].resource) == (True, False)
    conditional = matches["Conditional"]
    assert conditional.applies is False
    [outcome] = conditional.conditions
    assert outcome.key.lower() == "aws:principaltag/team"
    assert outcome.missing is True
    assert outcome.result is False
    [nobody] = by_policy["BucketPolicy"].matches
    assert (nobody.action, nobody.resource, nobody.principal) == (True, True, False)


def test_explain_lists_missing_context_keys() -> None:
    """Explain mode names the keys a relevant condition looked for and did not find."""
    d = decide(
        user(),
        "s3:GetObject",
        OBJECT,
        explain=True,
        identity=(
            identity(
                allow("s3:GetObject", condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}}),
                allow("s3:GetObject", condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
                allow("s3:GetObject", condition={"Bool": {"aws:SecureTransport": "true"}}),
            ),
        ),
    )
    assert d.outcome is Outcome.ALLOW
    assert {k.lower() for k in d.missing_context_keys} == {"aws:principaltag/team", "aws:sourceip"}


def test_without_explain_no_trace_is_built() -> None:
    d = decide(user(), "s3:GetObject", OBJECT, identity=(identity(allow("s3:*", condition={"Null": {"x:y": "true"}})),))
    assert d.evaluations == ()
    assert d.missing_context_keys == ()


def test_decision_as_dict_is_plain_json() -> None:
    d = decide(user(), "s3:GetObject", OBJECT, explain=True, identity=(identity(deny("s3:*", sid="No")),))
    data = json.loads(json.dumps(d.as_dict()))
    assert data["decision"] == "ExplicitDeny"
    assert data["denied_by"] == "identity"
    assert data["determining_statements"] == [
        {"policy_type": "identity", "policy": "IdentityPolicy", "sid": "No", "index": 0}
    ]
    assert data["policy_types"] == {"identity": "deny"}
    assert data["evaluations"][0]["statements"][0]["effect"] == "Deny"


# --- explain=True never changes the outcome ----------------------------------------------------

ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:*", "sqs:SendMessage", "*"]
RESOURCES = ["*", OBJECT, "arn:aws:s3:::amzn-s3-demo-bucket/*", "arn:aws:s3:::other/*"]
CONDITIONS: list[dict[str, Any] | None] = [
    None,
    {"StringEquals": {"aws:PrincipalTag/team": "blue"}},
    {"Bool": {"aws:SecureTransport": "true"}},
    {"StringNotEquals": {"aws:PrincipalAccount": ACCOUNT}},
    # Policy variables: the answer also depends on the variable's key (the same
    # aws:ResourceAccount, another caller's account or user name: another answer).
    {"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}},
    {"StringLike": {"aws:PrincipalArn": "*/${aws:username}"}},
]
PRINCIPALS: list[Any] = [
    "*",
    {"AWS": ACCOUNT},
    {"AWS": f"arn:aws:iam::{ACCOUNT}:user/Alice"},
    {"AWS": f"arn:aws:sts::{ACCOUNT}:assumed-role/AppRole/app-session"},
    {"AWS": f"arn:aws:iam::{ACCOUNT}:role/AppRole"},
]


@st.composite
def statements(draw: st.DrawFn, with_principal: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Effect": draw(st.sampled_from(["Allow", "Deny"])),
        "Action": draw(st.sampled_from(ACTIONS)),
        "Resource": draw(st.sampled_from(RESOURCES)),
    }
    condition = draw(st.sampled_from(CONDITIONS))
    if condition is not None:
        out["Condition"] = condition
    if with_principal:
        out["Principal"] = draw(st.sampled_from(PRINCIPALS))
    return out


def maybe_policy(draw: st.DrawFn, kind: PolicyType, with_principal: bool = False, most: int = 3) -> Any:
    stmts = draw(st.lists(statements(with_principal), min_size=0, max_size=most))
    return policy(*stmts, kind=kind, name=kind.value) if stmts else None


@st.composite
def cases(draw: st.DrawFn, most: int = 3) -> tuple[Any, str, str, dict[str, Any], dict[str, Any]]:
    who = draw(
        st.sampled_from(
            [user(), user(tags={"team": "blue"}), role_session(), root(), ANONYMOUS, user("Eve", "444455556666")]
        )
    )
    inputs: dict[str, Any] = {}
    ident = maybe_policy(draw, PolicyType.IDENTITY, most=most)
    if ident is not None:
        inputs["identity"] = (ident,)
    bound = maybe_policy(draw, PolicyType.BOUNDARY, most=most)
    if bound is not None:
        inputs["boundary"] = bound
    sess = maybe_policy(draw, PolicyType.SESSION, most=most)
    if sess is not None:
        inputs["session"] = (sess,)
    res = maybe_policy(draw, PolicyType.RESOURCE, with_principal=True, most=most)
    if res is not None:
        inputs["resource"] = res
    if draw(st.booleans()):
        levels = draw(st.lists(st.lists(statements(False), min_size=1, max_size=2), min_size=1, max_size=2))
        inputs["scps"] = org(*[(scp(*level),) for level in levels])
    inputs["resource_must_allow"] = draw(st.booleans())
    extra = {"resource_account": ACCOUNT, "secure_transport": draw(st.booleans())}
    return who, draw(st.sampled_from(ACTIONS[:4])), draw(st.sampled_from(RESOURCES[1:])), inputs, extra


@settings(max_examples=300, deadline=None)
@given(cases())
def test_explain_never_changes_the_decision(case: tuple[Any, str, str, dict[str, Any], dict[str, Any]]) -> None:
    who, action, target, inputs, extra = case
    plain = decide(who, action, target, **extra, **inputs)
    explained = decide(who, action, target, explain=True, **extra, **inputs)
    assert explained.outcome is plain.outcome
    assert explained.message == plain.message
    assert explained.denied_by is plain.denied_by
    assert explained.determining == plain.determining
    assert dict(explained.verdicts) == dict(plain.verdicts)
    assert plain.evaluations == ()


# --- the fast scan decides as the statement-by-statement scan ---------------------------------


class _Seen:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, bool]] = []

    def statement(self, policy: Any, index: int, applies: bool) -> None:
        self.calls.append((policy.name, index, applies))


@settings(max_examples=400, deadline=None)
@given(cases(most=6))
def test_fast_scan_decides_as_every_statement_in_order(
    case: tuple[Any, str, str, dict[str, Any], dict[str, Any]],
) -> None:
    """Without a tracer the engine skips statements whose shape it has already checked and
    checks every plain Resource block in one call (``engine/plan.py``); with one it checks
    each statement in AWS's order. Both must reach the same decision, naming the same
    statements."""
    who, action, target, inputs, extra = case
    fast = decide(who, action, target, **extra, **inputs)
    seen = _Seen()
    traced = decide(who, action, target, tracer=seen, **extra, **inputs)
    assert (fast.outcome, fast.denied_by, fast.determining) == (traced.outcome, traced.denied_by, traced.determining)
    assert dict(fast.verdicts) == dict(traced.verdicts)
    assert fast.message == traced.message


def test_fast_scan_finds_a_later_statement_when_plain_resources_do_not_match() -> None:
    """A session policy whose first statement names other objects and whose second allows
    everything: the second one decides (found by the differential test)."""
    session = policy(
        {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::logs/*"},
        {"Effect": "Allow", "Action": "s3:*ging", "Resource": "*"},
        kind=PolicyType.SESSION,
        name="session",
    )
    identity = policy({"Effect": "Allow", "Action": "s3:GetBucketTagging", "Resource": "arn:aws:s3*"}, name="role")
    decision = decide(
        role_session(), "s3:GetBucketTagging", "arn:aws:s3:::logs", identity=(identity,), session=(session,)
    )
    assert decision.allowed
    assert [r.index for r in decision.determining] == [0, 1]


WHO = [user(), user(tags={"team": "blue"}), role_session(), root(), ANONYMOUS, user("Eve", "444455556666")]


@settings(max_examples=200, deadline=None)
@given(
    cases(),
    st.lists(
        st.tuples(st.sampled_from(WHO), st.sampled_from(ACTIONS[:4]), st.sampled_from(RESOURCES[1:]), st.booleans()),
        max_size=4,
    ),
)
def test_explanations_kept_are_those_worked_out_anew(
    case: tuple[Any, str, str, dict[str, Any], dict[str, Any]], others: list[tuple[Any, str, str, bool]]
) -> None:
    """Explain mode keeps a policy's evaluation for requests with the same Resource answers and
    condition values (``CompiledPolicy.explained``): after other callers, actions, resources
    and transports, a request is explained exactly as with nothing kept."""
    who, action, target, inputs, extra = case
    for other_who, other_action, other_target, tls in others:
        decide(
            other_who,
            other_action,
            other_target,
            explain=True,
            resource_account=ACCOUNT,
            secure_transport=tls,
            **inputs,
        )
    kept = decide(who, action, target, explain=True, **extra, **inputs)
    for value in inputs.values():
        for p in value if isinstance(value, tuple) else getattr(value, "flat", (value,)):
            if hasattr(p, "forget_explanations"):
                p.forget_explanations()
    anew = decide(who, action, target, explain=True, **extra, **inputs)
    assert kept.evaluations == anew.evaluations
    assert kept.missing_context_keys == anew.missing_context_keys


def test_a_decision_reuses_the_plan_it_made(monkeypatch: pytest.MonkeyPatch) -> None:
    """``authorize`` looks plans up with the key ``PlanCache.make`` stores them under: the
    second decision of the same action on the same policies does not make the plan again."""
    from localiam.engine.plan import PLANS

    made: list[str] = []
    make = PLANS.make

    def counting_make(cache_key: Any, action: str, *args: Any) -> Any:
        made.append(action)
        return make(cache_key, action, *args)

    monkeypatch.setattr(PLANS, "make", counting_make)
    identity = policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}, name="plan-reuse")
    decide(user(), "s3:GetObject", OBJECT, identity=(identity,))
    assert decide(user(), "s3:GetObject", OBJECT, identity=(identity,)).allowed
    assert made == ["s3:GetObject"]


def test_the_same_statement_text_under_another_version_is_not_skipped() -> None:
    """``reference_policies_variables``: variables are only substituted under Version
    2012-10-17; under 2008-10-17 ``${aws:username}`` is plain text. The fast scan skips a
    statement whose shape it has checked already; the same text in policies of the two
    versions is not the same shape."""
    from localiam.engine import compile_policy
    from localiam.policy import parse_policy

    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}/*"}
    old = parse_policy({"Version": "2008-10-17", "Statement": [statement]}).value
    assert old is not None
    literal = compile_policy("old", old, PolicyType.IDENTITY)
    substituted = policy(statement, name="new")
    decision = decide(user("alice"), "s3:GetObject", "arn:aws:s3:::b/alice/notes", identity=(literal, substituted))
    assert decision.allowed
    assert [(r.policy, r.index) for r in decision.determining] == [("new", 0)]
