"""Flow 2 of the seed: a role assumed by an application. ``sts:AssumeRole`` needs the role's
trust policy and, across accounts, the caller's identity policy
(``reference_policies_evaluation-logic-cross-account``); the temporary credentials act as
``arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`` with the role's permissions, narrowed by
session policies (``access_policies``, "Session policies"); ``ExternalId``, ``DurationSeconds``
and role chaining behave as ``API_AssumeRole`` and ``id_roles`` ("Role chaining") say, and
expired credentials are refused with ``ExpiredToken``."""

from __future__ import annotations

import datetime as dt

from e2e_helpers import Keys, allow, error_of, make_user, policy, trust

READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"


def _partner_role(server, external_id="partner-7"):
    """Account B with role ``Partner`` trusting account A's user alice when she passes the
    external id; the role may list roles."""
    b = server.create_account()
    iam_b = Keys(server, b.access_key_id, b.secret_access_key).client("iam")
    alice_arn = f"arn:aws:iam::{server.account_id}:user/alice"
    document = trust({"AWS": alice_arn}, Condition={"StringEquals": {"sts:ExternalId": external_id}})
    role = iam_b.create_role(RoleName="Partner", AssumeRolePolicyDocument=document)["Role"]
    iam_b.put_role_policy(RoleName="Partner", PolicyName="list", PolicyDocument=policy(allow("iam:ListRoles")))
    return b.account_id, role


def test_cross_account_needs_trust_and_identity_policy(server, iam):
    b, role = _partner_role(server)
    alice = make_user(iam, server, "alice")
    sts = alice.client("sts")
    denied_prefix = (
        f"User: arn:aws:iam::{server.account_id}:user/alice is not authorized to perform: sts:AssumeRole "
        f"on resource: {role['Arn']}"
    )
    # The trust policy allows alice (with the external id), but her own account does not.
    err = error_of(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="s1", ExternalId="partner-7")
    assert (err["Code"], err["status"]) == ("AccessDenied", 403)
    assert err["Message"].startswith(denied_prefix)
    assert "identity-based policy" in err["Message"]

    iam.put_user_policy(
        UserName="alice", PolicyName="assume", PolicyDocument=policy(allow("sts:AssumeRole", role["Arn"]))
    )
    # Her account allows it now; the trust policy still wants the right external id.
    for kwargs in ({}, {"ExternalId": "wrong-one"}):
        err = error_of(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="s1", **kwargs)
        assert err["Code"] == "AccessDenied"
        assert err["Message"].startswith(denied_prefix)

    answer = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", ExternalId="partner-7")
    assert answer["AssumedRoleUser"] == {
        "AssumedRoleId": f"{role['RoleId']}:s1",
        "Arn": f"arn:aws:sts::{b}:assumed-role/Partner/s1",
    }
    assert answer["Credentials"]["AccessKeyId"].startswith("ASIA")
    session = Keys.of_session(server, answer)
    assert session.client("sts").get_caller_identity() | {"ResponseMetadata": None} == {
        "UserId": f"{role['RoleId']}:s1",
        "Account": b,
        "Arn": f"arn:aws:sts::{b}:assumed-role/Partner/s1",
        "ResponseMetadata": None,
    }
    # The session acts in account B with the role's permissions, and nothing more.
    session_iam = session.client("iam")
    assert [r["RoleName"] for r in session_iam.list_roles()["Roles"]] == ["Partner"]
    err = error_of(session_iam.create_user, UserName="mallory")
    assert err["Message"] == (
        f"User: arn:aws:sts::{b}:assumed-role/Partner/s1 is not authorized to perform: iam:CreateUser on resource: "
        f"arn:aws:iam::{b}:user/mallory because no identity-based policy allows the iam:CreateUser action"
    )


def test_trusting_an_account_delegates_to_its_identity_policies(server, iam):
    """A trust policy naming ``arn:aws:iam::A:root`` lets account A decide: only A's
    principals whose identity policies allow ``sts:AssumeRole`` get in."""
    b = server.create_account()
    iam_b = Keys(server, b.access_key_id, b.secret_access_key).client("iam")
    arn = iam_b.create_role(
        RoleName="Auditor", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{server.account_id}:root"})
    )["Role"]["Arn"]
    bob = make_user(iam, server, "bob").client("sts")
    carol = make_user(iam, server, "carol", inline=policy(allow("sts:AssumeRole", arn))).client("sts")
    assert error_of(bob.assume_role, RoleArn=arn, RoleSessionName="bob")["Code"] == "AccessDenied"
    assert carol.assume_role(RoleArn=arn, RoleSessionName="carol")["AssumedRoleUser"]["Arn"].endswith("/Auditor/carol")


def test_same_account_trust_naming_the_user_needs_no_identity_policy(server, iam):
    """``reference_policies_evaluation-logic_policy-eval-basics``: within one account, a
    resource-based policy (the trust policy) that names the user suffices."""
    app = make_user(iam, server, "app")
    arn = iam.create_role(
        RoleName="App", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{server.account_id}:user/app"})
    )["Role"]["Arn"]
    assert app.client("sts").assume_role(RoleArn=arn, RoleSessionName="run")["AssumedRoleUser"]["Arn"] == (
        f"arn:aws:sts::{server.account_id}:assumed-role/App/run"
    )


def _app_role(server, iam, **role_kwargs):
    """Role ``App`` with IAMReadOnlyAccess, assumable by user ``app`` (same account)."""
    app = make_user(iam, server, "app")
    arn = iam.create_role(
        RoleName="App",
        AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{server.account_id}:user/app"}),
        **role_kwargs,
    )["Role"]["Arn"]
    iam.attach_role_policy(RoleName="App", PolicyArn=READ_ONLY)
    return app, arn


def test_session_policy_narrows_the_role(server, iam):
    app, arn = _app_role(server, iam)
    sts = app.client("sts")
    wide = Keys.of_session(server, sts.assume_role(RoleArn=arn, RoleSessionName="wide")).client("iam")
    wide.list_users()
    wide.list_roles()

    answer = sts.assume_role(RoleArn=arn, RoleSessionName="narrow", Policy=policy(allow("iam:ListRoles")))
    assert 0 < answer["PackedPolicySize"] <= 100
    narrow = Keys.of_session(server, answer).client("iam")
    narrow.list_roles()
    acct = server.account_id
    assert error_of(narrow.list_users)["Message"] == (
        f"User: arn:aws:sts::{acct}:assumed-role/App/narrow is not authorized to perform: iam:ListUsers on resource: "
        f"arn:aws:iam::{acct}:user/ because no session policy allows the iam:ListUsers action"
    )
    # A session policy cannot grant more than the role has.
    answer = sts.assume_role(RoleArn=arn, RoleSessionName="greedy", Policy=policy(allow("iam:*")))
    greedy = Keys.of_session(server, answer).client("iam")
    assert (
        "because no identity-based policy allows the iam:CreateUser action"
        in (error_of(greedy.create_user, UserName="x")["Message"])
    )
    # Managed session policies narrow the same way.
    managed = iam.create_policy(PolicyName="OnlyGetRole", PolicyDocument=policy(allow("iam:GetRole")))["Policy"]
    answer = sts.assume_role(RoleArn=arn, RoleSessionName="managed", PolicyArns=[{"arn": managed["Arn"]}])
    limited = Keys.of_session(server, answer).client("iam")
    assert limited.get_role(RoleName="App")["Role"]["Arn"] == arn
    assert "because no session policy allows the iam:ListRoles action" in error_of(limited.list_roles)["Message"]


def test_duration_seconds_within_the_roles_maximum(server, iam):
    app, arn = _app_role(server, iam, MaxSessionDuration=7200)
    sts = app.client("sts")
    before = dt.datetime.now(dt.UTC)
    answer = sts.assume_role(RoleArn=arn, RoleSessionName="long", DurationSeconds=7200)
    lasts = answer["Credentials"]["Expiration"] - before
    assert dt.timedelta(seconds=7195) <= lasts <= dt.timedelta(seconds=7205)
    default = sts.assume_role(RoleArn=arn, RoleSessionName="default")["Credentials"]["Expiration"] - before
    assert dt.timedelta(seconds=3595) <= default <= dt.timedelta(seconds=3605)
    err = error_of(sts.assume_role, RoleArn=arn, RoleSessionName="longer", DurationSeconds=7201)
    assert (err["Code"], err["status"]) == ("ValidationError", 400)
    assert err["Message"] == "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."


def test_role_chaining_is_limited_to_one_hour(server, iam):
    """``id_roles``, "Role chaining": a role session assuming a role gets at most one hour,
    whatever the second role's ``MaxSessionDuration``."""
    app, first = _app_role(server, iam)
    acct = server.account_id
    second = iam.create_role(
        RoleName="Next",
        AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{acct}:role/App"}),
        MaxSessionDuration=43200,
    )["Role"]["Arn"]
    iam.put_role_policy(RoleName="App", PolicyName="chain", PolicyDocument=policy(allow("sts:AssumeRole", second)))
    session = Keys.of_session(server, app.client("sts").assume_role(RoleArn=first, RoleSessionName="hop1"))
    sts = session.client("sts")
    err = error_of(sts.assume_role, RoleArn=second, RoleSessionName="hop2", DurationSeconds=3601)
    assert (err["Code"], err["status"]) == ("ValidationError", 400)
    assert err["Message"] == (
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
    )
    chained = Keys.of_session(server, sts.assume_role(RoleArn=second, RoleSessionName="hop2", DurationSeconds=3600))
    assert chained.client("sts").get_caller_identity()["Arn"] == f"arn:aws:sts::{acct}:assumed-role/Next/hop2"
    # The user itself may ask for longer sessions of the same role.
    iam.update_assume_role_policy(
        RoleName="Next",
        PolicyDocument=trust({"AWS": [f"arn:aws:iam::{acct}:role/App", f"arn:aws:iam::{acct}:user/app"]}),
    )
    app.client("sts").assume_role(RoleArn=second, RoleSessionName="direct", DurationSeconds=7200)


def test_expired_credentials_are_refused_with_expired_token(server, iam, clock):
    app, arn = _app_role(server, iam)
    answer = app.client("sts").assume_role(RoleArn=arn, RoleSessionName="short", DurationSeconds=900)
    session = Keys.of_session(server, answer).client("iam")
    session.list_roles()
    clock.advance(899)
    session.list_roles()
    clock.advance(2)
    err = error_of(session.list_roles)
    assert (err["Code"], err["status"]) == ("ExpiredToken", 403)
    assert err["Message"] == "The security token included in the request is expired"
    # Long-term keys do not expire.
    app.client("sts").get_caller_identity()


def test_root_user_cannot_assume_roles(server, iam):
    arn = iam.create_role(
        RoleName="Anyone", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{server.account_id}:root"})
    )["Role"]["Arn"]
    err = error_of(server.client("sts").assume_role, RoleArn=arn, RoleSessionName="root")
    assert (err["Code"], err["Message"]) == ("AccessDenied", "Roles may not be assumed by root accounts.")
