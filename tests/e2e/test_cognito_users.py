"""A user pool's users as administrators manage them, with boto3 (Cognito API Reference
``API_AdminCreateUser``, ``API_AdminGetUser``, ``API_AdminSetUserPassword``,
``API_AdminConfirmSignUp``, ``API_ListUsers`` with its ``Filter`` syntax ...)."""

from __future__ import annotations

from typing import Any

import pytest
from e2e_helpers import error_of

from localiam.services.cognito_idp.codes import codes_for
from localiam.testing import LocaliamServer


@pytest.fixture
def cognito(server: LocaliamServer) -> Any:
    return server.client("cognito-idp")


@pytest.fixture
def pool_id(cognito: Any) -> str:
    return str(cognito.create_user_pool(PoolName="people")["UserPool"]["Id"])


def _attributes(user: dict[str, Any], member: str = "UserAttributes") -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in user[member]}


def test_an_admin_created_user_must_change_a_temporary_password(
    server: LocaliamServer, cognito: Any, pool_id: str
) -> None:
    made = cognito.admin_create_user(
        UserPoolId=pool_id, Username="alice", UserAttributes=[{"Name": "email", "Value": "alice@example.com"}]
    )["User"]
    assert made["UserStatus"] == "FORCE_CHANGE_PASSWORD" and made["Enabled"] is True
    got = cognito.admin_get_user(UserPoolId=pool_id, Username="ALICE")  # usernames match in any case
    attributes = _attributes(got)
    assert attributes["email"] == "alice@example.com" and len(attributes["sub"]) == 36
    with server.store.read() as tx:
        (invitation,) = codes_for(tx, pool_id, "alice")
    assert invitation.purpose == "invitation" and len(invitation.code) >= 8
    err = error_of(cognito.admin_create_user, UserPoolId=pool_id, Username="alice")
    assert (err["Code"], err["Message"]) == ("UsernameExistsException", "User account already exists")


def test_passwords_follow_the_pools_policy(cognito: Any, pool_id: str) -> None:
    cognito.admin_create_user(UserPoolId=pool_id, Username="bob", MessageAction="SUPPRESS")
    for password, reason in (
        ("Sh0rt!", "Password not long enough"),
        ("alllower1!", "Password must have uppercase characters"),
        ("ALLUPPER1!", "Password must have lowercase characters"),
        ("NoNumbers!", "Password must have numeric characters"),
        ("NoSymbols1", "Password must have symbol characters"),
    ):
        err = error_of(
            cognito.admin_set_user_password, UserPoolId=pool_id, Username="bob", Password=password, Permanent=True
        )
        assert (err["Code"], err["Message"]) == (
            "InvalidPasswordException",
            f"Password did not conform with policy: {reason}",
        )
    cognito.admin_set_user_password(UserPoolId=pool_id, Username="bob", Password="Corr3ct-Horse!", Permanent=True)
    assert cognito.admin_get_user(UserPoolId=pool_id, Username="bob")["UserStatus"] == "CONFIRMED"


def test_users_are_listed_with_aws_filters(cognito: Any, pool_id: str) -> None:
    for name, email in (("carol", "carol@example.com"), ("dave", "dave@corp.example"), ("dan", "dan@corp.example")):
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=name,
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": email}],
        )
    cognito.admin_disable_user(UserPoolId=pool_id, Username="dan")

    def names(**kwargs: Any) -> list[str]:
        return [u["Username"] for u in cognito.list_users(UserPoolId=pool_id, **kwargs)["Users"]]

    assert names() == ["carol", "dave", "dan"]
    assert names(Filter='email = "dave@corp.example"') == ["dave"]
    assert names(Filter='username ^= "da"') == ["dave", "dan"]
    assert names(Filter='status = "Disabled"') == ["dan"]
    first = cognito.list_users(UserPoolId=pool_id, Limit=2)
    assert len(first["Users"]) == 2
    assert [
        u["Username"]
        for u in cognito.list_users(UserPoolId=pool_id, Limit=2, PaginationToken=first["PaginationToken"])["Users"]
    ] == ["dan"]
    assert error_of(cognito.list_users, UserPoolId=pool_id, Filter="email == x")["Code"] == "InvalidParameterException"
    cognito.admin_update_user_attributes(
        UserPoolId=pool_id, Username="carol", UserAttributes=[{"Name": "given_name", "Value": "Carol"}]
    )
    assert _attributes(cognito.admin_get_user(UserPoolId=pool_id, Username="carol"))["given_name"] == "Carol"
    err = error_of(
        cognito.admin_update_user_attributes,
        UserPoolId=pool_id,
        Username="carol",
        UserAttributes=[{"Name": "custom:nope", "Value": "x"}],
    )
    assert err["Code"] == "InvalidParameterException"
    cognito.admin_delete_user(UserPoolId=pool_id, Username="carol")
    err = error_of(cognito.admin_get_user, UserPoolId=pool_id, Username="carol")
    assert (err["Code"], err["Message"]) == ("UserNotFoundException", "User does not exist.")


def test_a_pool_that_signs_in_with_email_names_users_by_their_sub(cognito: Any) -> None:
    pool_id = cognito.create_user_pool(PoolName="by-email", UsernameAttributes=["email"])["UserPool"]["Id"]
    made = cognito.admin_create_user(UserPoolId=pool_id, Username="erin@example.com", MessageAction="SUPPRESS")["User"]
    attributes = _attributes(made, "Attributes")
    assert made["Username"] == attributes["sub"] and attributes["email"] == "erin@example.com"
    assert cognito.admin_get_user(UserPoolId=pool_id, Username="Erin@Example.com")["Username"] == made["Username"]


def test_admin_confirm_sign_up_only_confirms_unconfirmed_users(cognito: Any, pool_id: str) -> None:
    cognito.admin_create_user(UserPoolId=pool_id, Username="frank", MessageAction="SUPPRESS")
    err = error_of(cognito.admin_confirm_sign_up, UserPoolId=pool_id, Username="frank")
    assert (err["Code"], err["Message"]) == (
        "NotAuthorizedException",
        "User cannot be confirmed. Current status is FORCE_CHANGE_PASSWORD",
    )
