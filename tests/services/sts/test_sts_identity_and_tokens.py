"""``GetCallerIdentity``, ``GetSessionToken``, ``GetFederationToken``, ``GetAccessKeyInfo`` and
``DecodeAuthorizationMessage``.

Pages: STS API Reference (``API_GetCallerIdentity``, ``API_GetSessionToken``,
``API_GetFederationToken``, ``API_GetAccessKeyInfo``, ``API_DecodeAuthorizationMessage``); IAM
User Guide ``id_credentials_temp_control-access_getsessiontoken``,
``id_credentials_temp_control-access_getfederationtoken``.
"""

from __future__ import annotations

import base64
import json

import pytest
from sts_harness import ADMIN, World, allow, trust

from localiam.errors import AccessDenied, AwsError
from localiam.services.sts import SERVICE as STS
from localiam.services.sts import encode_authorization_message
from localiam.state.accounts import lookup_key

A = "111111111111"
B = "222222222222"


@pytest.fixture
def root(world: World) -> str:
    world.account(B)
    return world.account(A).access_key_id


def key_of(result: dict[str, object]) -> str:
    return str(result["Credentials"]["AccessKeyId"])  # type: ignore[index]


def identity(world: World, key: str) -> dict[str, object]:
    return world.call(STS, "GetCallerIdentity", {}, key)


# ----------------------------------------------------------------------------- GetCallerIdentity
def test_caller_identity_of_root_and_user(world: World, root: str) -> None:
    assert identity(world, root) == {"UserId": A, "Account": A, "Arn": f"arn:aws:iam::{A}:root"}
    alice = world.user(A, "alice")
    answer = identity(world, alice)
    assert answer["Arn"] == f"arn:aws:iam::{A}:user/alice"
    assert str(answer["UserId"]).startswith("AIDA") and answer["Account"] == A


def test_caller_identity_never_needs_permission(world: World, root: str) -> None:
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
    denied = world.user(A, "denied", inline=[deny])
    assert identity(world, denied)["Arn"] == f"arn:aws:iam::{A}:user/denied"


def test_caller_identity_of_a_role_session(world: World, root: str) -> None:
    role = world.role(A, "App", trust(f"arn:aws:iam::{A}:user/u"), path="/svc/")
    user = world.user(A, "u")
    result = world.call(STS, "AssumeRole", {"RoleArn": role, "RoleSessionName": "job-7"}, user)
    answer = identity(world, key_of(result))
    assert answer["Arn"] == f"arn:aws:sts::{A}:assumed-role/App/job-7"
    assert answer["UserId"] == result["AssumedRoleUser"]["AssumedRoleId"]  # type: ignore[index]
    assert str(answer["UserId"]).startswith("AROA") and str(answer["UserId"]).endswith(":job-7")


def test_caller_identity_of_session_tokens(world: World, root: str) -> None:
    user = world.user(A, "u")
    user_session = key_of(world.call(STS, "GetSessionToken", {}, user))
    assert identity(world, user_session) == identity(world, user)
    root_session = key_of(world.call(STS, "GetSessionToken", {}, root))
    assert identity(world, root_session) == {"UserId": A, "Account": A, "Arn": f"arn:aws:iam::{A}:root"}


# ----------------------------------------------------------------------------- GetSessionToken
def test_session_token_acts_as_the_user(world: World, root: str) -> None:
    user = world.user(A, "u", inline=[allow("s3:GetObject")])
    session = key_of(world.call(STS, "GetSessionToken", {}, user))
    assert world.decide(session, "s3:GetObject", "arn:aws:s3:::b/k").allowed
    assert not world.decide(session, "s3:PutObject", "arn:aws:s3:::b/k").allowed


def test_session_token_needs_long_term_credentials(world: World, root: str) -> None:
    user = world.user(A, "u")
    session = key_of(world.call(STS, "GetSessionToken", {}, user))
    with pytest.raises(AccessDenied) as denied:
        world.call(STS, "GetSessionToken", {}, session)
    assert denied.value.message == "Cannot call GetSessionToken with session credentials"


def test_session_token_durations(world: World, root: str) -> None:
    world.clock = 2_000_000.0
    user = world.user(A, "u")

    def expires(key: str, **params: object) -> float:
        return float(world.call(STS, "GetSessionToken", params, key)["Credentials"]["Expiration"].timestamp())  # type: ignore[index]

    assert expires(user) == 2_000_000.0 + 43200
    assert expires(user, DurationSeconds=129600) == 2_000_000.0 + 129600
    assert expires(root) == 2_000_000.0 + 3600
    assert expires(root, DurationSeconds=7200) == 2_000_000.0 + 3600
    with pytest.raises(AwsError) as over:
        expires(user, DurationSeconds=129601)
    assert over.value.message.endswith("Member must have value less than or equal to 129600")


def test_session_token_with_a_made_up_mfa_device(world: World, root: str) -> None:
    """A serial number and code that no enabled device stands behind prove nothing: AWS's
    AccessDenied, and no session (the MFA flow itself is ``test_sts_mfa.py``)."""
    mfa_only = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    user = world.user(A, "u", inline=[allow("ec2:StopInstances", Condition=mfa_only)])
    plain = key_of(world.call(STS, "GetSessionToken", {}, user))
    assert not world.decide(plain, "ec2:StopInstances", "*").allowed
    params = {"SerialNumber": f"arn:aws:iam::{A}:mfa/u", "TokenCode": "123456"}
    with pytest.raises(AccessDenied) as made_up:
        world.call(STS, "GetSessionToken", params, user)
    assert made_up.value.message.startswith("MultiFactorAuthentication failed, unable to validate MFA code.")
    with pytest.raises(AwsError) as short:
        world.call(STS, "GetSessionToken", {**params, "TokenCode": "12"}, user)
    assert short.value.code == "ValidationError"


# ----------------------------------------------------------------------------- GetFederationToken
def test_federation_token_is_the_intersection(world: World, root: str) -> None:
    user = world.user(A, "broker", managed=[ADMIN])
    policy = json.dumps(allow("s3:GetObject"))
    result = world.call(STS, "GetFederationToken", {"Name": "bob", "Policy": policy}, user)
    assert result["FederatedUser"] == {
        "FederatedUserId": f"{A}:bob",
        "Arn": f"arn:aws:sts::{A}:federated-user/bob",
    }
    session = key_of(result)
    assert identity(world, session)["Arn"] == f"arn:aws:sts::{A}:federated-user/bob"
    assert world.decide(session, "s3:GetObject", "arn:aws:s3:::b/k").allowed
    denied = world.decide(session, "s3:PutObject", "arn:aws:s3:::b/k")
    assert denied.message.endswith("because no session policy allows the s3:PutObject action")


def test_federation_token_tags(world: World, root: str) -> None:
    only_federate = world.user(A, "narrow", inline=[allow("sts:GetFederationToken")])
    params = {"Name": "bob", "Policy": json.dumps(allow("s3:*")), "Tags": [{"Key": "team", "Value": "blue"}]}
    with pytest.raises(AccessDenied) as denied:
        world.call(STS, "GetFederationToken", params, only_federate)
    assert "sts:TagSession" in denied.value.message
    broker = world.user(A, "broker", managed=[ADMIN])
    session = key_of(world.call(STS, "GetFederationToken", params, broker))
    with world.tx() as tx:
        caller = world.authz.caller(tx, lookup_key(tx, session))  # type: ignore[arg-type]
    assert caller is not None and caller.principal.context["aws:principaltag/team"] == ("blue",)


def test_federation_token_without_policy_has_no_permissions(world: World, root: str) -> None:
    user = world.user(A, "broker", managed=[ADMIN])
    session = key_of(world.call(STS, "GetFederationToken", {"Name": "bob"}, user))
    assert not world.decide(session, "s3:GetObject", "arn:aws:s3:::b/k").allowed


def test_federation_token_needs_permission_and_long_term_keys(world: World, root: str) -> None:
    bare = world.user(A, "bare")
    with pytest.raises(AccessDenied) as denied:
        world.call(STS, "GetFederationToken", {"Name": "bob"}, bare)
    assert denied.value.message.startswith(
        f"User: arn:aws:iam::{A}:user/bare is not authorized to perform: sts:GetFederationToken "
        f"on resource: arn:aws:sts::{A}:federated-user/bob"
    )
    broker = world.user(A, "broker", managed=[ADMIN])
    session = key_of(world.call(STS, "GetSessionToken", {}, broker))
    with pytest.raises(AccessDenied) as from_session:
        world.call(STS, "GetFederationToken", {"Name": "bob"}, session)
    assert from_session.value.message == "Cannot call GetFederationToken with session credentials"


def test_the_root_user_may_get_a_federation_token_limited_by_its_session_policy(world: World, root: str) -> None:
    """``API_GetFederationToken``: "You can also call GetFederationToken using the security
    credentials of an AWS account root user, but we do not recommend it"; the federated user may
    then do what the session policy allows (the root user's permissions are everything)."""
    result = world.call(STS, "GetFederationToken", {"Name": "ops", "Policy": json.dumps(allow("s3:GetObject"))}, root)
    session = key_of(result)
    assert identity(world, session)["Arn"] == f"arn:aws:sts::{A}:federated-user/ops"
    assert world.decide(session, "s3:GetObject", "arn:aws:s3:::b/k").allowed
    assert not world.decide(session, "iam:CreateUser", f"arn:aws:iam::{A}:user/x").allowed
    bare = key_of(world.call(STS, "GetFederationToken", {"Name": "ops2"}, root))
    assert not world.decide(bare, "s3:GetObject", "arn:aws:s3:::b/k").allowed


def test_federated_user_cannot_assume_roles(world: World, root: str) -> None:
    role = world.role(A, "R", trust(f"arn:aws:iam::{A}:root"))
    broker = world.user(A, "broker", managed=[ADMIN])
    session = key_of(world.call(STS, "GetFederationToken", {"Name": "bob", "Policy": json.dumps(allow("*"))}, broker))
    with pytest.raises(AccessDenied):
        world.call(STS, "AssumeRole", {"RoleArn": role, "RoleSessionName": "x"}, session)


# ----------------------------------------------------------------------------- GetAccessKeyInfo
def test_access_key_info_decodes_any_key(world: World, root: str) -> None:
    admin = world.user(A, "admin", managed=[ADMIN])
    other_root = world.account("333333333333").access_key_id
    answer = world.call(STS, "GetAccessKeyInfo", {"AccessKeyId": other_root}, admin)
    assert answer == {"Account": "333333333333"}
    bare = world.user(A, "bare")
    with pytest.raises(AccessDenied):
        world.call(STS, "GetAccessKeyInfo", {"AccessKeyId": other_root}, bare)


# ----------------------------------------------------------------------------- DecodeAuthorizationMessage
def test_decode_authorization_message(world: World, root: str) -> None:
    user = world.user(A, "u")
    decision = world.decide(user, "ec2:RunInstances", "*")
    encoded = encode_authorization_message(
        decision,
        account=A,
        principal_arn=f"arn:aws:iam::{A}:user/u",
        principal_id="AIDAEXAMPLE",
        action="ec2:RunInstances",
        resource="*",
        context={"aws:SourceIp": ["127.0.0.1"]},
    )
    assert json.loads(base64.b64decode(encoded))["localiam"] == 1
    decoded = json.loads(
        world.call(STS, "DecodeAuthorizationMessage", {"EncodedMessage": encoded}, root)["DecodedMessage"]
    )
    assert decoded["allowed"] is False and decoded["explicitDeny"] is False
    assert decoded["context"]["action"] == "ec2:RunInstances"
    assert decoded["failures"]["items"] == [decision.message]
    other = world.account("333333333333").access_key_id
    with pytest.raises(AwsError) as foreign:
        world.call(STS, "DecodeAuthorizationMessage", {"EncodedMessage": encoded}, other)
    assert foreign.value.code == "InvalidAuthorizationMessageException"
    with pytest.raises(AwsError) as garbage:
        world.call(STS, "DecodeAuthorizationMessage", {"EncodedMessage": "not base64!"}, root)
    assert garbage.value.code == "InvalidAuthorizationMessageException"
