"""``AssumeRole``: who may assume a role, what the session may do, and how long it lasts.

Pages: STS API Reference ``API_AssumeRole``; IAM User Guide
``id_credentials_temp_control-access_assumerole``, ``reference_policies_evaluation-logic-cross-account``,
``access_policies`` (session policies), ``id_roles`` (role chaining), ``id_session-tags``,
``id_credentials_temp_control-access_monitor`` (source identity).
"""

from __future__ import annotations

import json
import re

import pytest
from sts_harness import ADMIN, World, allow, trust

from localiam.errors import AccessDenied, AuthFailure, AwsError
from localiam.policy.model import PolicyType
from localiam.services.base import ResourcePolicy
from localiam.services.sts import SERVICE as STS
from localiam.state.accounts import lookup_key

# ``troubleshoot_access-denied`` words a trust-policy denial "because no role trust policy allows
# the sts:AssumeRole action"; the engine's generic "resource-based" wording is accepted too.
TRUST_DENIAL = re.compile(r"because no (role trust|resource-based) policy allows the sts:AssumeRole action$")

A = "111111111111"
B = "222222222222"


@pytest.fixture
def accounts(world: World) -> World:
    world.account(A)
    world.account(B)
    return world


def assume(world: World, key: str, role_arn: str, **params: object) -> dict[str, object]:
    return world.call(STS, "AssumeRole", {"RoleArn": role_arn, "RoleSessionName": "s1", **params}, key)


def session_key(result: dict[str, object]) -> str:
    creds = result["Credentials"]
    assert isinstance(creds, dict)
    return str(creds["AccessKeyId"])


# ----------------------------------------------------------------------------- trust policy
def test_same_account_trust_naming_the_user_is_enough(accounts: World) -> None:
    """Same account: a trust policy that names the user grants without an identity policy."""
    key = accounts.user(A, "alice")
    role = accounts.role(A, "Reader", trust(f"arn:aws:iam::{A}:user/alice"))
    result = assume(accounts, key, role)
    assert result["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{A}:assumed-role/Reader/s1"  # type: ignore[index]
    assert result["AssumedRoleUser"]["AssumedRoleId"].endswith(":s1")  # type: ignore[index]
    assert result["AssumedRoleUser"]["AssumedRoleId"].startswith("AROA")  # type: ignore[index]


def test_trust_naming_the_account_delegates_to_identity_policies(accounts: World) -> None:
    role = accounts.role(A, "Reader", trust(f"arn:aws:iam::{A}:root"))
    bare = accounts.user(A, "bare")
    with pytest.raises(AccessDenied) as denied:
        assume(accounts, bare, role)
    assert denied.value.message == (
        f"User: arn:aws:iam::{A}:user/bare is not authorized to perform: sts:AssumeRole on resource: {role} "
        "because no identity-based policy allows the sts:AssumeRole action"
    )
    allowed = accounts.user(A, "allowed", inline=[allow("sts:AssumeRole", role)])
    assert "Credentials" in assume(accounts, allowed, role)


def test_trust_policy_must_allow_even_for_an_administrator(accounts: World) -> None:
    admin = accounts.user(A, "admin", managed=[ADMIN])
    role = accounts.role(A, "Other", trust(f"arn:aws:iam::{A}:user/someone-else"))
    with pytest.raises(AccessDenied) as denied:
        assume(accounts, admin, role)
    assert TRUST_DENIAL.search(denied.value.message), denied.value.message


def test_a_role_that_does_not_exist_is_denied_not_revealed(accounts: World) -> None:
    admin = accounts.user(A, "admin", managed=[ADMIN])
    with pytest.raises(AccessDenied) as denied:
        assume(accounts, admin, f"arn:aws:iam::{A}:role/Nope")
    assert f"sts:AssumeRole on resource: arn:aws:iam::{A}:role/Nope" in denied.value.message


def test_cross_account_needs_both_sides(accounts: World) -> None:
    role = accounts.role(A, "Partner", trust(f"arn:aws:iam::{B}:root"))
    without = accounts.user(B, "without")
    with pytest.raises(AccessDenied) as denied:
        assume(accounts, without, role)
    assert "because no identity-based policy allows" in denied.value.message
    with_policy = accounts.user(B, "with", inline=[allow("sts:AssumeRole", role)])
    result = assume(accounts, with_policy, role)
    assert result["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{A}:assumed-role/Partner/s1"  # type: ignore[index]
    identity = accounts.call(STS, "GetCallerIdentity", {}, session_key(result))
    assert identity["Account"] == A


def test_cross_account_trust_that_names_another_account_denies(accounts: World) -> None:
    role = accounts.role(A, "Partner", trust("arn:aws:iam::333333333333:root"))
    user = accounts.user(B, "u", inline=[allow("sts:AssumeRole", "*")])
    with pytest.raises(AccessDenied) as denied:
        assume(accounts, user, role)
    assert TRUST_DENIAL.search(denied.value.message), denied.value.message


def test_external_id_condition(accounts: World) -> None:
    """The confused-deputy guard: ``sts:ExternalId`` in the trust policy."""
    role = accounts.role(
        A, "Vendor", trust(f"arn:aws:iam::{B}:root", Condition={"StringEquals": {"sts:ExternalId": "xyz"}})
    )
    user = accounts.user(B, "vendor", inline=[allow("sts:AssumeRole", role)])
    with pytest.raises(AccessDenied):
        assume(accounts, user, role)
    with pytest.raises(AccessDenied):
        assume(accounts, user, role, ExternalId="wrong")
    assert "Credentials" in assume(accounts, user, role, ExternalId="xyz")


def test_role_session_name_condition(accounts: World) -> None:
    role = accounts.role(
        A,
        "Named",
        trust(f"arn:aws:iam::{A}:user/alice", Condition={"StringEquals": {"sts:RoleSessionName": "${aws:username}"}}),
    )
    key = accounts.user(A, "alice")
    with pytest.raises(AccessDenied):
        assume(accounts, key, role)
    assert "Credentials" in accounts.call(STS, "AssumeRole", {"RoleArn": role, "RoleSessionName": "alice"}, key)


def test_root_user_cannot_assume_roles(accounts: World) -> None:
    root = accounts.account("333333333333").access_key_id
    role = accounts.role(A, "R", trust("arn:aws:iam::333333333333:root"))
    with pytest.raises(AccessDenied) as denied:
        assume(accounts, root, role)
    assert denied.value.message == "Roles may not be assumed by root accounts."


def test_an_identity_deny_beats_the_trust_policy(accounts: World) -> None:
    role = accounts.role(A, "R", trust(f"arn:aws:iam::{A}:user/alice"))
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}]}
    key = accounts.user(A, "alice", inline=[deny])
    with pytest.raises(AccessDenied) as denied:
        assume(accounts, key, role)
    assert "with an explicit deny in an identity-based policy" in denied.value.message


# ----------------------------------------------------------------------------- the session
def test_the_session_acts_with_the_roles_policies(accounts: World) -> None:
    role = accounts.role(A, "S3", trust(f"arn:aws:iam::{A}:root"), inline=[allow("s3:GetObject")])
    user = accounts.user(A, "u", inline=[allow("sts:AssumeRole", role)])
    session = session_key(assume(accounts, user, role))
    assert accounts.decide(session, "s3:GetObject", "arn:aws:s3:::b/k").allowed
    denied = accounts.decide(session, "s3:PutObject", "arn:aws:s3:::b/k")
    assert denied.message == (
        f"User: arn:aws:sts::{A}:assumed-role/S3/s1 is not authorized to perform: s3:PutObject on resource: "
        "arn:aws:s3:::b/k because no identity-based policy allows the s3:PutObject action"
    )
    # The user's own permissions do not carry over (LocalStack #5313).
    assert not accounts.decide(session, "sts:AssumeRole", role).allowed


def test_session_policy_narrows_the_role(accounts: World) -> None:
    role = accounts.role(A, "Admin", trust(f"arn:aws:iam::{A}:root"), managed=[ADMIN])
    user = accounts.user(A, "u", inline=[allow("sts:AssumeRole", role)])
    policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'
    result = assume(accounts, user, role, Policy=policy)
    assert isinstance(result["PackedPolicySize"], int) and 0 < result["PackedPolicySize"] <= 100
    session = session_key(result)
    assert accounts.decide(session, "s3:GetObject", "arn:aws:s3:::b/k").allowed
    denied = accounts.decide(session, "iam:CreateUser", f"arn:aws:iam::{A}:user/x")
    assert denied.message.endswith("because no session policy allows the iam:CreateUser action")


def test_managed_session_policies(accounts: World) -> None:
    role = accounts.role(A, "Admin", trust(f"arn:aws:iam::{A}:root"), managed=[ADMIN])
    user = accounts.user(A, "u", inline=[allow("sts:AssumeRole", role)])
    arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    session = session_key(assume(accounts, user, role, PolicyArns=[{"arn": arn}]))
    assert accounts.decide(session, "s3:ListBucket", "arn:aws:s3:::b").allowed
    assert not accounts.decide(session, "s3:PutObject", "arn:aws:s3:::b/k").allowed
    with pytest.raises(AwsError) as missing:
        assume(accounts, user, role, PolicyArns=[{"arn": f"arn:aws:iam::{A}:policy/Nope"}])
    assert missing.value.code == "MalformedPolicyDocument"


def test_malformed_session_policy(accounts: World) -> None:
    role = accounts.role(A, "R", trust(f"arn:aws:iam::{A}:user/u"))
    user = accounts.user(A, "u")
    with pytest.raises(AwsError) as bad:
        assume(accounts, user, role, Policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}')
    assert (bad.value.code, bad.value.message) == (
        "MalformedPolicyDocument",
        "Policy statement must contain resources.",
    )


def test_packed_policy_too_large(accounts: World) -> None:
    role = accounts.role(A, "R", trust(f"arn:aws:iam::{A}:user/u", action=["sts:AssumeRole", "sts:TagSession"]))
    user = accounts.user(A, "u")
    tags = [{"Key": f"k{i:02d}", "Value": "v" * 250} for i in range(10)]
    with pytest.raises(AwsError) as big:
        assume(accounts, user, role, Tags=tags)
    assert big.value.code == "PackedPolicyTooLarge"
    assert big.value.message.startswith("Packed size of session tags consumes ")


# ----------------------------------------------------------------------------- duration, expiry
def test_duration_limits(accounts: World) -> None:
    role = accounts.role(A, "R", trust(f"arn:aws:iam::{A}:user/u"))
    long_role = accounts.role(A, "Long", trust(f"arn:aws:iam::{A}:user/u"), max_session_duration=43200)
    user = accounts.user(A, "u")
    with pytest.raises(AwsError) as short:
        assume(accounts, user, role, DurationSeconds=600)
    assert short.value.message == (
        "1 validation error detected: Value '600' at 'durationSeconds' failed to satisfy constraint: "
        "Member must have value greater than or equal to 900"
    )
    with pytest.raises(AwsError) as over:
        assume(accounts, user, role, DurationSeconds=7200)
    assert (over.value.code, over.value.message) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    )
    accounts.clock = 1_000_000.0
    result = assume(accounts, user, long_role, DurationSeconds=43200)
    expires = result["Credentials"]["Expiration"]  # type: ignore[index]
    assert expires.timestamp() == 1_000_000.0 + 43200


def test_role_chaining_is_limited_to_one_hour(accounts: World) -> None:
    first = accounts.role(A, "First", trust(f"arn:aws:iam::{A}:user/u"), inline=[allow("sts:AssumeRole")])
    second = accounts.role(A, "Second", trust(f"arn:aws:iam::{A}:root"), max_session_duration=43200)
    user = accounts.user(A, "u")
    session = session_key(assume(accounts, user, first))
    with pytest.raises(AwsError) as chained:
        assume(accounts, session, second, DurationSeconds=7200)
    assert chained.value.message == (
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
    )
    result = assume(accounts, session, second, DurationSeconds=3600, RoleSessionName="s2")
    assert result["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{A}:assumed-role/Second/s2"  # type: ignore[index]


def test_session_credentials_expire(accounts: World) -> None:
    role = accounts.role(A, "R", trust(f"arn:aws:iam::{A}:user/u"))
    user = accounts.user(A, "u")
    accounts.clock = 1_000_000.0
    session = session_key(assume(accounts, user, role, DurationSeconds=900))
    accounts.clock = 1_000_000.0 + 899
    assert accounts.call(STS, "GetCallerIdentity", {}, session)["Account"] == A
    accounts.clock = 1_000_000.0 + 900
    with pytest.raises(AuthFailure) as expired:
        accounts.call(STS, "GetCallerIdentity", {}, session)
    assert expired.value.code == "ExpiredToken"


def test_role_path_is_not_in_the_session_arn(accounts: World) -> None:
    role = accounts.role(A, "Deep", trust(f"arn:aws:iam::{A}:user/u"), path="/team/app/")
    assert role == f"arn:aws:iam::{A}:role/team/app/Deep"
    user = accounts.user(A, "u")
    result = assume(accounts, user, role)
    assert result["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{A}:assumed-role/Deep/s1"  # type: ignore[index]


# ----------------------------------------------------------------------------- tags, source identity
def test_session_tags_need_tag_session(accounts: World) -> None:
    role = accounts.role(A, "R", trust(f"arn:aws:iam::{A}:user/u"), tags={"team": "red"})
    tagging = accounts.role(A, "T", trust(f"arn:aws:iam::{A}:user/u", action=["sts:AssumeRole", "sts:TagSession"]))
    user = accounts.user(A, "u")
    with pytest.raises(AccessDenied) as denied:
        assume(accounts, user, role, Tags=[{"Key": "project", "Value": "x"}])
    assert "sts:TagSession" in denied.value.message
    session = session_key(assume(accounts, user, tagging, Tags=[{"Key": "project", "Value": "x"}]))
    condition = {"StringEquals": {"aws:PrincipalTag/project": "x"}}
    bucket = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*", "Condition": condition}
        ],
    }
    compiled = accounts.authz.policies.get("bucket", json.dumps(bucket), PolicyType.RESOURCE)
    rp = ResourcePolicy(compiled, A)
    assert accounts.decide(session, "s3:GetObject", "arn:aws:s3:::b/k", resource_policy=rp).allowed


def test_request_tags_in_the_trust_policy(accounts: World) -> None:
    condition = {"StringEquals": {"aws:RequestTag/project": "blue"}}
    role = accounts.role(
        A,
        "T",
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:user/u"}, "Action": "sts:AssumeRole"},
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{A}:user/u"},
                    "Action": "sts:TagSession",
                    "Condition": condition,
                },
            ],
        },
    )
    user = accounts.user(A, "u")
    with pytest.raises(AccessDenied):
        assume(accounts, user, role, Tags=[{"Key": "project", "Value": "red"}])
    assert "Credentials" in assume(accounts, user, role, Tags=[{"Key": "project", "Value": "blue"}])


def test_transitive_tags_follow_the_chain(accounts: World) -> None:
    actions = ["sts:AssumeRole", "sts:TagSession"]
    first = accounts.role(A, "First", trust(f"arn:aws:iam::{A}:user/u", action=actions), inline=[allow("sts:*")])
    second = accounts.role(A, "Second", trust(f"arn:aws:iam::{A}:root", action=actions), inline=[allow("s3:*")])
    user = accounts.user(A, "u")
    tags = [{"Key": "dept", "Value": "eng"}, {"Key": "temp", "Value": "1"}]
    session = session_key(assume(accounts, user, first, Tags=tags, TransitiveTagKeys=["dept"]))
    second_session = session_key(assume(accounts, session, second, RoleSessionName="s2"))
    with accounts.tx() as tx:
        record = lookup_key(tx, second_session)
        assert record is not None
        assert record.session["tags"] == {"dept": "eng"}
        assert record.session["transitive_tag_keys"] == ["dept"]
        assert record.session["chained"]
    with pytest.raises(AwsError) as clash:
        assume(accounts, session, second, Tags=[{"Key": "DEPT", "Value": "ops"}])
    assert clash.value.code == "ValidationError"


def test_duplicate_tag_keys_differ_only_by_case(accounts: World) -> None:
    role = accounts.role(A, "T", trust(f"arn:aws:iam::{A}:user/u", action=["sts:AssumeRole", "sts:TagSession"]))
    user = accounts.user(A, "u")
    with pytest.raises(AwsError) as dup:
        assume(accounts, user, role, Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}])
    assert dup.value.code == "ValidationError"


def test_source_identity_needs_permission_and_persists(accounts: World) -> None:
    plain = accounts.role(A, "Plain", trust(f"arn:aws:iam::{A}:user/u"))
    actions = ["sts:AssumeRole", "sts:SetSourceIdentity"]
    first = accounts.role(A, "First", trust(f"arn:aws:iam::{A}:user/u", action=actions), inline=[allow("sts:*")])
    second = accounts.role(A, "Second", trust(f"arn:aws:iam::{A}:root", action=actions))
    user = accounts.user(A, "u")
    with pytest.raises(AccessDenied) as denied:
        assume(accounts, user, plain, SourceIdentity="alice")
    assert "sts:SetSourceIdentity" in denied.value.message
    result = assume(accounts, user, first, SourceIdentity="alice")
    assert result["SourceIdentity"] == "alice"
    chained = assume(accounts, session_key(result), second, RoleSessionName="s2")
    assert chained["SourceIdentity"] == "alice"
    with accounts.tx() as tx:
        caller = accounts.authz.caller(tx, lookup_key(tx, session_key(chained)))  # type: ignore[arg-type]
        assert caller is not None and caller.principal.context["aws:sourceidentity"] == ("alice",)
    with pytest.raises(AwsError):
        assume(accounts, session_key(result), second, RoleSessionName="s3", SourceIdentity="mallory")


def test_session_name_is_validated(accounts: World) -> None:
    role = accounts.role(A, "R", trust(f"arn:aws:iam::{A}:user/u"))
    user = accounts.user(A, "u")
    with pytest.raises(AwsError) as bad:
        accounts.call(STS, "AssumeRole", {"RoleArn": role, "RoleSessionName": "has space"}, user)
    assert bad.value.message == (
        "1 validation error detected: Value 'has space' at 'roleSessionName' failed to satisfy constraint: "
        r"Member must satisfy regular expression pattern: [\w+=,.@-]*"
    )
