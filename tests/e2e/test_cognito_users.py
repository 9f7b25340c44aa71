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
    # The sign-in name follows the attribute: the new address names the user, the old one nobody.
    cognito.admin_update_user_attributes(
        UserPoolId=pool_id, Username=made["Username"], UserAttributes=[{"Name": "email", "Value": "erin@new.example"}]
    )
    assert cognito.admin_get_user(UserPoolId=pool_id, Username="ERIN@new.example")["Username"] == made["Username"]
    err = error_of(cognito.admin_get_user, UserPoolId=pool_id, Username="erin@example.com")
    assert err["Code"] == "UserNotFoundException"


def test_admin_confirm_sign_up_only_confirms_unconfirmed_users(cognito: Any, pool_id: str) -> None:
    cognito.admin_create_user(UserPoolId=pool_id, Username="frank", MessageAction="SUPPRESS")
    err = error_of(cognito.admin_confirm_sign_up, UserPoolId=pool_id, Username="frank")
    assert (err["Code"], err["Message"]) == (
        "NotAuthorizedException",
        "User cannot be confirmed. Current status is FORCE_CHANGE_PASSWORD",
    )


def test_groups_put_their_roles_in_the_id_token_by_precedence(
    server: LocaliamServer, cognito: Any, pool_id: str
) -> None:
    import jwt as pyjwt

    admin_role = f"arn:aws:iam::{server.account_id}:role/Admins"
    reader_role = f"arn:aws:iam::{server.account_id}:role/Readers"
    cognito.create_group(UserPoolId=pool_id, GroupName="readers", RoleArn=reader_role, Precedence=5)
    made = cognito.create_group(UserPoolId=pool_id, GroupName="admins", RoleArn=admin_role, Precedence=1)["Group"]
    assert (made["Precedence"], made["RoleArn"]) == (1, admin_role)
    err = error_of(cognito.create_group, UserPoolId=pool_id, GroupName="admins")
    assert (err["Code"], err["Message"]) == ("GroupExistsException", "A group with the name admins already exists.")
    cognito.admin_create_user(UserPoolId=pool_id, Username="gina", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username="gina", Password="Corr3ct-Horse!", Permanent=True)
    for group in ("readers", "admins"):
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="gina", GroupName=group)
    listed = cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username="gina")["Groups"]
    assert {g["GroupName"] for g in listed} == {"readers", "admins"}
    assert [u["Username"] for u in cognito.list_users_in_group(UserPoolId=pool_id, GroupName="admins")["Users"]] == [
        "gina"
    ]
    client = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="admin-app", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    result = cognito.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "gina", "PASSWORD": "Corr3ct-Horse!"},
    )["AuthenticationResult"]
    claims = pyjwt.decode(result["IdToken"], options={"verify_signature": False})
    assert claims["cognito:groups"] == ["admins", "readers"]
    assert claims["cognito:roles"] == [admin_role, reader_role]
    assert claims["cognito:preferred_role"] == admin_role
    cognito.admin_remove_user_from_group(UserPoolId=pool_id, Username="gina", GroupName="admins")
    cognito.delete_group(UserPoolId=pool_id, GroupName="readers")
    assert cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username="gina")["Groups"] == []
    err = error_of(cognito.get_group, UserPoolId=pool_id, GroupName="readers")
    assert (err["Code"], err["Message"]) == ("ResourceNotFoundException", "Group not found.")
