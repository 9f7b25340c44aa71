"""Signing up and in to a user pool with boto3 and with ``pycognito`` (a client we did not write,
doing Cognito's SRP), tokens verified with PyJWT, and what signing out and revoking do (Cognito
Developer Guide ``signing-up-users-in-your-app``, ``amazon-cognito-user-pools-authentication-flow``;
API Reference ``API_InitiateAuth``, ``API_RespondToAuthChallenge``, ``API_GlobalSignOut``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from typing import Any

import boto3
import jwt as pyjwt
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from e2e_helpers import Clock, error_of
from pycognito.aws_srp import AWSSRP

from localiam.services.cognito_idp import tokens
from localiam.services.cognito_idp.codes import codes_for
from localiam.testing import LocaliamServer

PASSWORD = "Corr3ct-Horse!"


def unsigned(server: LocaliamServer) -> Any:
    """What an app's sign-in page holds: no AWS credentials at all."""
    return boto3.client(
        "cognito-idp",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )


@pytest.fixture
def app(server: LocaliamServer) -> dict[str, str]:
    admin = server.client("cognito-idp")
    pool = admin.create_user_pool(PoolName="app", AutoVerifiedAttributes=["email"])["UserPool"]
    client = admin.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH"],
    )["UserPoolClient"]
    return {"pool": pool["Id"], "client": client["ClientId"]}


def code_of(server: LocaliamServer, pool: str, username: str, purpose: str) -> str:
    with server.store.read() as tx:
        return next(m.code for m in codes_for(tx, pool, username) if m.purpose == purpose)


def sign_up(server: LocaliamServer, app: dict[str, str], username: str = "alice") -> None:
    cognito = unsigned(server)
    answer = cognito.sign_up(
        ClientId=app["client"],
        Username=username,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
    )
    assert answer["UserConfirmed"] is False
    assert answer["CodeDeliveryDetails"] == {
        "Destination": f"{username[0]}***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    err = error_of(cognito.confirm_sign_up, ClientId=app["client"], Username=username, ConfirmationCode="000000x")
    assert err["Code"] == "CodeMismatchException"
    cognito.confirm_sign_up(
        ClientId=app["client"], Username=username, ConfirmationCode=code_of(server, app["pool"], username, "sign-up")
    )


def claims_of(server: LocaliamServer, pool: str, token: str, **checks: Any) -> dict[str, Any]:
    """The token's claims, verified with PyJWT against the JWKS the endpoint serves for the pool
    (found through its discovery document, as an app finds Cognito's)."""
    with urllib.request.urlopen(f"{server.endpoint}/{pool}/.well-known/openid-configuration", timeout=10) as answer:
        config = json.load(answer)
    assert config["issuer"] == f"https://cognito-idp.us-east-1.amazonaws.com/{pool}"
    public = pyjwt.PyJWKClient(config["jwks_uri"]).get_signing_key_from_jwt(token).key
    return dict(
        pyjwt.decode(
            token,
            public,  # type: ignore[arg-type]
            algorithms=["RS256"],
            issuer=f"https://cognito-idp.us-east-1.amazonaws.com/{pool}",
            **checks,
        )
    )


def test_sign_up_confirm_and_sign_in_with_a_password(server: LocaliamServer, app: dict[str, str]) -> None:
    cognito = unsigned(server)
    err = error_of(cognito.sign_up, ClientId=app["client"], Username="weak", Password="password")
    assert (err["Code"], err["Message"]) == (
        "InvalidPasswordException",
        "Password did not conform with policy: Password must have uppercase characters",
    )
    cognito.sign_up(ClientId=app["client"], Username="bob", Password=PASSWORD)
    err = error_of(
        cognito.initiate_auth,
        ClientId=app["client"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "bob", "PASSWORD": PASSWORD},
    )
    assert (err["Code"], err["Message"]) == ("UserNotConfirmedException", "User is not confirmed.")
    sign_up(server, app)
    result = cognito.initiate_auth(
        ClientId=app["client"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    assert result["TokenType"] == "Bearer" and result["ExpiresIn"] == 3600
    id_claims = claims_of(server, app["pool"], result["IdToken"], audience=app["client"])
    assert id_claims["token_use"] == "id" and id_claims["cognito:username"] == "alice"
    assert id_claims["email"] == "alice@example.com" and id_claims["email_verified"] is True
    access = claims_of(server, app["pool"], result["AccessToken"])
    assert access["client_id"] == app["client"] and access["sub"] == id_claims["sub"]
    user = cognito.get_user(AccessToken=result["AccessToken"])
    assert user["Username"] == "alice"
    assert {a["Name"]: a["Value"] for a in user["UserAttributes"]}["email_verified"] == "true"


def test_pycognito_signs_in_with_srp(server: LocaliamServer, app: dict[str, str]) -> None:
    sign_up(server, app)
    srp = AWSSRP("alice", PASSWORD, app["pool"], app["client"], client=unsigned(server))
    result = srp.authenticate_user()["AuthenticationResult"]
    assert claims_of(server, app["pool"], result["IdToken"], audience=app["client"])["cognito:username"] == "alice"
    wrong = AWSSRP("alice", "Wr0ng-Horse!", app["pool"], app["client"], client=unsigned(server))
    with pytest.raises(Exception) as caught:
        wrong.authenticate_user()
    assert "Incorrect username or password." in str(caught.value)


def test_refresh_then_global_sign_out_revokes_both_tokens(server: LocaliamServer, app: dict[str, str]) -> None:
    sign_up(server, app)
    cognito = unsigned(server)
    first = cognito.initiate_auth(
        ClientId=app["client"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    refreshed = cognito.initiate_auth(
        ClientId=app["client"], AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]}
    )["AuthenticationResult"]
    assert "RefreshToken" not in refreshed
    assert cognito.get_user(AccessToken=refreshed["AccessToken"])["Username"] == "alice"
    cognito.global_sign_out(AccessToken=refreshed["AccessToken"])
    err = error_of(cognito.get_user, AccessToken=first["AccessToken"])
    assert (err["Code"], err["Message"]) == ("NotAuthorizedException", "Access Token has been revoked")
    err = error_of(
        cognito.initiate_auth,
        ClientId=app["client"],
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
    )
    assert (err["Code"], err["Message"]) == ("NotAuthorizedException", "Refresh Token has been revoked")


def test_an_admin_created_user_changes_the_temporary_password(server: LocaliamServer, app: dict[str, str]) -> None:
    server.client("cognito-idp").admin_create_user(
        UserPoolId=app["pool"], Username="carol", TemporaryPassword="Temp-Passw0rd!"
    )
    cognito = unsigned(server)
    challenge = cognito.initiate_auth(
        ClientId=app["client"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "carol", "PASSWORD": "Temp-Passw0rd!"},
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED" and "AuthenticationResult" not in challenge
    result = cognito.respond_to_auth_challenge(
        ClientId=app["client"],
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "carol", "NEW_PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    assert cognito.get_user(AccessToken=result["AccessToken"])["Username"] == "carol"
    assert (
        server.client("cognito-idp").admin_get_user(UserPoolId=app["pool"], Username="carol")["UserStatus"]
        == "CONFIRMED"
    )


def test_wrong_password_unknown_and_disabled_users_and_lockout(server: LocaliamServer, app: dict[str, str]) -> None:
    sign_up(server, app)
    cognito = unsigned(server)

    def attempt(username: str, password: str) -> dict[str, Any]:
        return error_of(
            cognito.initiate_auth,
            ClientId=app["client"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )

    assert (attempt("nobody", PASSWORD)["Message"]) == "Incorrect username or password."  # no user existence errors
    messages = [attempt("alice", "Wr0ng-Horse!")["Message"] for _ in range(5)]
    assert messages == ["Incorrect username or password."] * 4 + ["Password attempts exceeded"]
    assert attempt("alice", PASSWORD)["Message"] == "Password attempts exceeded"  # locked, even with the right one
    sign_up(server, app, "bea")
    server.client("cognito-idp").admin_disable_user(UserPoolId=app["pool"], Username="bea")
    disabled = attempt("bea", PASSWORD)
    assert (disabled["Code"], disabled["Message"]) == ("NotAuthorizedException", "User is disabled.")


def test_expired_tampered_and_foreign_tokens_are_refused(
    server: LocaliamServer, app: dict[str, str], clock: Clock
) -> None:
    sign_up(server, app)
    cognito = unsigned(server)
    result = cognito.initiate_auth(
        ClientId=app["client"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    header, payload, signature = result["AccessToken"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["username"] = "mallory"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    err = error_of(cognito.get_user, AccessToken=f"{header}.{forged}.{signature}")
    assert (err["Code"], err["Message"]) == ("NotAuthorizedException", "Invalid Access Token")
    other_pool = server.client("cognito-idp").create_user_pool(PoolName="other")["UserPool"]["Id"]
    other_key = tokens.signing_key(server.store, other_pool)
    foreign = tokens.mint(
        other_key, tokens.SignIn("us-east-1", app["pool"], app["client"], "alice", claims["sub"])
    ).access_token  # says it is the app pool's, signed with the other pool's key
    assert error_of(cognito.get_user, AccessToken=foreign)["Message"] == "Invalid Access Token"
    clock.advance(3601)
    err = error_of(cognito.get_user, AccessToken=result["AccessToken"])
    assert (err["Code"], err["Message"]) == ("NotAuthorizedException", "Access Token has expired")


def test_the_keys_are_served_on_the_cognito_idp_host_name_too(server: LocaliamServer, app: dict[str, str]) -> None:
    """``cognito-idp.us-east-1.localhost`` is also a valid bucket host name; a pool id path on it
    is the pool's, not an object of a bucket called ``cognito-idp.us-east-1``."""
    port = server.endpoint.rsplit(":", 1)[1]
    request = urllib.request.Request(
        f"{server.endpoint}/{app['pool']}/.well-known/jwks.json",
        headers={"Host": f"cognito-idp.us-east-1.localhost:{port}"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        keys = json.load(answer)["keys"]
    assert keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256" and "d" not in keys[0]


def test_an_unknown_pool_has_no_keys(server: LocaliamServer) -> None:
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{server.endpoint}/us-east-1_NoSuchPool/.well-known/jwks.json", timeout=10)
    assert missing.value.code == 404


def test_a_client_with_a_secret_needs_the_secret_hash(server: LocaliamServer, app: dict[str, str]) -> None:
    admin = server.client("cognito-idp")
    client = admin.create_user_pool_client(
        UserPoolId=app["pool"],
        ClientName="backend",
        GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
    )["UserPoolClient"]
    cognito = unsigned(server)
    err = error_of(cognito.sign_up, ClientId=client["ClientId"], Username="dave", Password=PASSWORD)
    assert err["Code"] == "NotAuthorizedException" and "SECRET_HASH was not received" in err["Message"]
    digest = hmac.new(client["ClientSecret"].encode(), ("dave" + client["ClientId"]).encode(), hashlib.sha256).digest()
    good = base64.b64encode(digest).decode()
    cognito.sign_up(ClientId=client["ClientId"], Username="dave", Password=PASSWORD, SecretHash=good)
    err = error_of(cognito.sign_up, ClientId=client["ClientId"], Username="eve", Password=PASSWORD, SecretHash=good)
    assert err["Message"] == f"Unable to verify secret hash for client {client['ClientId']}"


def test_a_signed_in_user_changes_their_attributes_and_password_and_deletes_themselves(
    server: LocaliamServer, app: dict[str, str]
) -> None:
    sign_up(server, app)
    cognito = unsigned(server)

    def sign_in(password: str) -> dict[str, Any]:
        return dict(
            cognito.initiate_auth(
                ClientId=app["client"],
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": "alice", "PASSWORD": password},
            )["AuthenticationResult"]
        )

    token = sign_in(PASSWORD)["AccessToken"]
    cognito.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "given_name", "Value": "Alice"}])
    attributes = {a["Name"]: a["Value"] for a in cognito.get_user(AccessToken=token)["UserAttributes"]}
    assert attributes["given_name"] == "Alice"
    err = error_of(
        cognito.change_password, AccessToken=token, PreviousPassword="Wr0ng-Horse!", ProposedPassword="N3w-Horse!!"
    )
    assert (err["Code"], err["Message"]) == ("NotAuthorizedException", "Incorrect username or password.")
    cognito.change_password(AccessToken=token, PreviousPassword=PASSWORD, ProposedPassword="N3w-Horse!!")
    token = sign_in("N3w-Horse!!")["AccessToken"]
    cognito.delete_user(AccessToken=token)
    err = error_of(cognito.get_user, AccessToken=token)
    assert err["Code"] == "UserNotFoundException"


def test_a_forgotten_password_is_reset_with_the_kept_code(server: LocaliamServer, app: dict[str, str]) -> None:
    sign_up(server, app)
    cognito = unsigned(server)
    details = cognito.forgot_password(ClientId=app["client"], Username="alice")["CodeDeliveryDetails"]
    assert details == {"Destination": "a***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    code = code_of(server, app["pool"], "alice", "forgot-password")
    err = error_of(
        cognito.confirm_forgot_password,
        ClientId=app["client"],
        Username="alice",
        ConfirmationCode="1",
        Password="N3w-Horse!!",
    )
    assert err["Code"] == "CodeMismatchException"
    cognito.confirm_forgot_password(
        ClientId=app["client"], Username="alice", ConfirmationCode=code, Password="N3w-Horse!!"
    )
    result = cognito.initiate_auth(
        ClientId=app["client"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": "N3w-Horse!!"},
    )
    assert "AuthenticationResult" in result


def test_user_existence_is_hidden_unless_the_client_reveals_it(server: LocaliamServer, app: dict[str, str]) -> None:
    """``cognito-user-pool-managing-errors``: with ``PreventUserExistenceErrors`` ``ENABLED`` (new
    clients' default) an unknown user looks like any other; with ``LEGACY`` it is named."""
    cognito = unsigned(server)
    hidden = cognito.forgot_password(ClientId=app["client"], Username="nobody@example.com")["CodeDeliveryDetails"]
    assert hidden["DeliveryMedium"] == "EMAIL" and hidden["Destination"] == "n***@e***"
    assert cognito.resend_confirmation_code(ClientId=app["client"], Username="nobody")["CodeDeliveryDetails"]
    err = error_of(cognito.confirm_sign_up, ClientId=app["client"], Username="nobody", ConfirmationCode="123456")
    assert err["Code"] == "CodeMismatchException"
    legacy = server.client("cognito-idp").create_user_pool_client(
        UserPoolId=app["pool"], ClientName="old", PreventUserExistenceErrors="LEGACY",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
    )["UserPoolClient"]["ClientId"]  # fmt: skip
    err = error_of(cognito.forgot_password, ClientId=legacy, Username="nobody")
    assert err["Code"] == "UserNotFoundException"
    err = error_of(
        cognito.initiate_auth,
        ClientId=legacy,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "nobody", "PASSWORD": PASSWORD},
    )
    assert (err["Code"], err["Message"]) == ("UserNotFoundException", "User does not exist.")
