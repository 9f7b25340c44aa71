"""Cognito identity pools end to end with boto3: sign-in tokens (a Google token from the test
issuer, a user pool ID token from ``pycognito``'s SRP sign-in, a developer's own login) or nothing
at all in, role credentials out; the credentials then work against S3 with
``${cognito-identity.amazonaws.com:sub}`` in the role's policy.

Pages (Amazon Cognito Developer Guide): "Identity pools authentication flow" (GetId,
GetCredentialsForIdentity, GetOpenIdToken, linking and merging), "IAM roles" (Access policies:
per-identity S3 prefixes; the scope-down policy of guests), "Role trust and permissions"
(``cognito-identity.amazonaws.com:aud`` / ``:amr``), "Using role-based access control" (Token
and Rules mappings, ``cognito:preferred_role``), "Developer-authenticated identities";
API Reference ``API_CognitoIdentityProvider`` (``ServerSideTokenCheck``) and
``InvalidIdentityPoolConfigurationException``.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from e2e_helpers import allow, error_of, make_user, policy
from pycognito.aws_srp import AWSSRP

from localiam.testing import LocaliamServer, oidc_token

GOOGLE = "accounts.google.com"
APP = "photos-app.apps.googleusercontent.com"
COGNITO = "cognito-identity.amazonaws.com"
PASSWORD = "Corr3ct-Horse!"
BUCKET = "photos"


def unsigned(server: LocaliamServer, service: str = "cognito-identity") -> Any:
    """What an app holds before it has credentials: nothing."""
    return boto3.client(
        service,
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )


def identity_trust(pool_id: str | None, amr: str, *, tag_session: bool = False) -> str:
    """The trust policy the Cognito console writes for an identity pool's role."""
    condition: dict[str, Any] = {"ForAnyValue:StringLike": {f"{COGNITO}:amr": amr}}
    if pool_id is not None:
        condition["StringEquals"] = {f"{COGNITO}:aud": pool_id}
    actions = ["sts:AssumeRoleWithWebIdentity"] + (["sts:TagSession"] if tag_session else [])
    return policy({"Effect": "Allow", "Principal": {"Federated": COGNITO}, "Action": actions, "Condition": condition})


PRIVATE_PREFIX = policy(
    allow(["s3:GetObject", "s3:PutObject"], f"arn:aws:s3:::{BUCKET}/private/${{cognito-identity.amazonaws.com:sub}}/*")
)


def make_role(iam: Any, name: str, trust_policy: str, permissions: str = PRIVATE_PREFIX) -> str:
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="access", PolicyDocument=permissions)
    return str(arn)


def s3_of(server: LocaliamServer, creds: dict[str, Any]) -> Any:
    return server.client("s3", creds["AccessKeyId"], creds["SecretKey"], creds["SessionToken"])


def caller_arn(server: LocaliamServer, creds: dict[str, Any]) -> str:
    sts = server.client("sts", creds["AccessKeyId"], creds["SecretKey"], creds["SessionToken"])
    return str(sts.get_caller_identity()["Arn"])


@pytest.fixture
def bucket(server: LocaliamServer) -> None:
    server.client("s3").create_bucket(Bucket=BUCKET)


@pytest.fixture
def google_pool(server: LocaliamServer, bucket: None) -> dict[str, str]:
    admin = server.client("cognito-identity")
    pool = admin.create_identity_pool(
        IdentityPoolName="photos",
        AllowUnauthenticatedIdentities=False,
        SupportedLoginProviders={GOOGLE: APP},
    )
    iam = server.client("iam")
    role = make_role(iam, "photos-users", identity_trust(pool["IdentityPoolId"], "authenticated"))
    admin.set_identity_pool_roles(IdentityPoolId=pool["IdentityPoolId"], Roles={"authenticated": role})
    return {"pool": pool["IdentityPoolId"], "role": role}


def google_token(server: LocaliamServer, subject: str, audience: str = APP) -> str:
    return oidc_token(server, issuer=f"https://{GOOGLE}", subject=subject, audience=audience)


def credentials_for(server: LocaliamServer, pool_id: str, logins: dict[str, str]) -> tuple[str, dict[str, Any]]:
    cognito = unsigned(server)
    identity = cognito.get_id(IdentityPoolId=pool_id, Logins=logins)["IdentityId"]
    answer = cognito.get_credentials_for_identity(IdentityId=identity, Logins=logins)
    assert answer["IdentityId"] == identity
    return identity, answer["Credentials"]


# ------------------------------------------------------------------ the seed: IdP token -> credentials
def test_a_google_token_becomes_credentials_for_its_own_prefix(
    server: LocaliamServer, google_pool: dict[str, str]
) -> None:
    alice_token = google_token(server, "alice-google-id")
    alice, creds = credentials_for(server, google_pool["pool"], {GOOGLE: alice_token})
    assert alice.startswith("us-east-1:")
    again = unsigned(server).get_id(
        IdentityPoolId=google_pool["pool"], Logins={GOOGLE: google_token(server, "alice-google-id")}
    )
    assert again["IdentityId"] == alice  # stable per (pool, provider, subject)
    assert caller_arn(server, creds).endswith(":assumed-role/photos-users/CognitoIdentityCredentials")
    assert set(creds) == {"AccessKeyId", "SecretKey", "SessionToken", "Expiration"}

    bob, bob_creds = credentials_for(server, google_pool["pool"], {GOOGLE: google_token(server, "bob-google-id")})
    assert bob != alice
    s3 = s3_of(server, creds)
    s3.put_object(Bucket=BUCKET, Key=f"private/{alice}/cat.jpg", Body=b"alice's cat")
    assert s3.get_object(Bucket=BUCKET, Key=f"private/{alice}/cat.jpg")["Body"].read() == b"alice's cat"
    s3_of(server, bob_creds).put_object(Bucket=BUCKET, Key=f"private/{bob}/dog.jpg", Body=b"bob's dog")
    err = error_of(s3.get_object, Bucket=BUCKET, Key=f"private/{bob}/dog.jpg")
    assert err["Code"] == "AccessDenied"
    assert "assumed-role/photos-users/CognitoIdentityCredentials" in err["Message"]
    assert error_of(s3.put_object, Bucket=BUCKET, Key=f"private/{bob}/x", Body=b"x")["Code"] == "AccessDenied"


def test_refused_logins(server: LocaliamServer, google_pool: dict[str, str]) -> None:
    cognito = unsigned(server)
    pool = google_pool["pool"]
    facebook = oidc_token(server, issuer="https://graph.facebook.com", subject="1234", audience="fb-app")
    err = error_of(cognito.get_id, IdentityPoolId=pool, Logins={"graph.facebook.com": facebook})
    assert (err["Code"], err["Message"]) == (
        "NotAuthorizedException",
        "Token is not from a supported provider of this identity pool.",
    )
    err = error_of(cognito.get_id, IdentityPoolId=pool, Logins={GOOGLE: google_token(server, "eve", "another-app")})
    assert (err["Code"], err["Message"]) == ("NotAuthorizedException", "Invalid login token. Incorrect token audience.")
    err = error_of(cognito.get_id, IdentityPoolId=pool, Logins={GOOGLE: "not-a-token"})
    assert err["Code"] == "NotAuthorizedException" and err["Message"].startswith("Invalid login token.")
    expired = oidc_token(server, issuer=f"https://{GOOGLE}", subject="eve", audience=APP, expires_in=-10)
    err = error_of(cognito.get_id, IdentityPoolId=pool, Logins={GOOGLE: expired})
    assert (err["Code"], err["Message"]) == ("NotAuthorizedException", "Invalid login token. Token expired.")
    err = error_of(cognito.get_id, IdentityPoolId=pool)
    assert (err["Code"], err["Message"]) == (
        "NotAuthorizedException",
        "Unauthenticated access is not supported for this identity pool.",
    )
    err = error_of(cognito.get_id, IdentityPoolId="us-east-1:00000000-0000-0000-0000-000000000000")
    assert (err["Code"], err["Message"]) == (
        "ResourceNotFoundException",
        "IdentityPool 'us-east-1:00000000-0000-0000-0000-000000000000' not found.",
    )
    # An authenticated identity cannot be used without one of its logins.
    identity = cognito.get_id(IdentityPoolId=pool, Logins={GOOGLE: google_token(server, "alice")})["IdentityId"]
    err = error_of(cognito.get_credentials_for_identity, IdentityId=identity)
    assert (err["Code"], err["Message"]) == (
        "NotAuthorizedException",
        "Logins don't match. Please include at least one valid login for this identity or identity pool.",
    )


def test_a_role_whose_trust_policy_lacks_aud_is_refused(server: LocaliamServer, bucket: None) -> None:
    admin = server.client("cognito-identity")
    pool = admin.create_identity_pool(
        IdentityPoolName="loose", AllowUnauthenticatedIdentities=False, SupportedLoginProviders={GOOGLE: APP}
    )["IdentityPoolId"]
    iam = server.client("iam")
    loose = make_role(iam, "loose", identity_trust(None, "authenticated"))
    admin.set_identity_pool_roles(IdentityPoolId=pool, Roles={"authenticated": loose})
    cognito = unsigned(server)
    logins = {GOOGLE: google_token(server, "alice")}
    identity = cognito.get_id(IdentityPoolId=pool, Logins=logins)["IdentityId"]
    err = error_of(cognito.get_credentials_for_identity, IdentityId=identity, Logins=logins)
    assert (err["Code"], err["Message"]) == (
        "InvalidIdentityPoolConfigurationException",
        "Invalid identity pool configuration. Check assigned IAM roles for this pool.",
    )
    # A trust policy for another pool: the engine refuses, and the caller sees the same answer.
    other = make_role(
        iam, "other-pool", identity_trust("us-east-1:99999999-9999-9999-9999-999999999999", "authenticated")
    )
    admin.set_identity_pool_roles(IdentityPoolId=pool, Roles={"authenticated": other})
    err = error_of(cognito.get_credentials_for_identity, IdentityId=identity, Logins=logins)
    assert err["Code"] == "InvalidIdentityPoolConfigurationException"
    # No authenticated role at all.
    admin.set_identity_pool_roles(IdentityPoolId=pool, Roles={})
    err = error_of(cognito.get_credentials_for_identity, IdentityId=identity, Logins=logins)
    assert err["Code"] == "InvalidIdentityPoolConfigurationException"


# ---------------------------------------------------------------------------------------- guests
def test_a_guest_is_limited_by_the_scope_down_policy(server: LocaliamServer, bucket: None) -> None:
    admin = server.client("cognito-identity")
    pool = admin.create_identity_pool(IdentityPoolName="guests", AllowUnauthenticatedIdentities=True)["IdentityPoolId"]
    iam = server.client("iam")
    generous = policy(allow(["s3:GetObject", "s3:PutObject"], f"arn:aws:s3:::{BUCKET}/*"), allow("iam:ListUsers"))
    guest_role = make_role(iam, "guests", identity_trust(pool, "unauthenticated"), generous)
    admin.set_identity_pool_roles(IdentityPoolId=pool, Roles={"unauthenticated": guest_role})
    server.client("s3").put_object(Bucket=BUCKET, Key="public/welcome.txt", Body=b"hello")

    cognito = unsigned(server)
    first = cognito.get_id(IdentityPoolId=pool)["IdentityId"]
    second = cognito.get_id(IdentityPoolId=pool)["IdentityId"]
    assert first != second  # every GetId without logins is a new guest
    creds = cognito.get_credentials_for_identity(IdentityId=first)["Credentials"]
    assert s3_of(server, creds).get_object(Bucket=BUCKET, Key="public/welcome.txt")["Body"].read() == b"hello"
    guest_iam = server.client("iam", creds["AccessKeyId"], creds["SecretKey"], creds["SessionToken"])
    err = error_of(guest_iam.list_users)
    assert err["Code"] == "AccessDenied"
    assert "because no session policy allows the iam:ListUsers action" in err["Message"]

    # A role that trusts only authenticated identities is refused for guests.
    authenticated_only = make_role(iam, "members", identity_trust(pool, "authenticated"), generous)
    admin.set_identity_pool_roles(IdentityPoolId=pool, Roles={"unauthenticated": authenticated_only})
    err = error_of(cognito.get_credentials_for_identity, IdentityId=first)
    assert err["Code"] == "InvalidIdentityPoolConfigurationException"


# ------------------------------------------------------------------ the seed: user pool -> credentials
@pytest.fixture
def user_pool(server: LocaliamServer) -> dict[str, str]:
    admin = server.client("cognito-idp")
    pool = admin.create_user_pool(PoolName="members")["UserPool"]["Id"]
    client = admin.create_user_pool_client(
        UserPoolId=pool, ClientName="web", ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )["UserPoolClient"]["ClientId"]
    for name in ("alice", "bob", "carol"):
        admin.admin_create_user(UserPoolId=pool, Username=name, MessageAction="SUPPRESS")
        admin.admin_set_user_password(UserPoolId=pool, Username=name, Password=PASSWORD, Permanent=True)
    return {"pool": pool, "client": client, "provider": f"cognito-idp.us-east-1.amazonaws.com/{pool}"}


def id_token(server: LocaliamServer, user_pool: dict[str, str], username: str) -> dict[str, str]:
    """Signs in with pycognito's SRP (a client we did not write)."""
    srp = AWSSRP(username, PASSWORD, user_pool["pool"], user_pool["client"], client=unsigned(server, "cognito-idp"))
    return dict(srp.authenticate_user()["AuthenticationResult"])


def member_pool(server: LocaliamServer, user_pool: dict[str, str], *, check: bool = False) -> str:
    return str(
        server.client("cognito-identity").create_identity_pool(
            IdentityPoolName="members",
            AllowUnauthenticatedIdentities=False,
            CognitoIdentityProviders=[
                {
                    "ProviderName": user_pool["provider"],
                    "ClientId": user_pool["client"],
                    "ServerSideTokenCheck": check,
                }
            ],
        )["IdentityPoolId"]
    )


def test_a_user_pool_token_gets_the_role_of_the_users_group(
    server: LocaliamServer, user_pool: dict[str, str], bucket: None
) -> None:
    pool = member_pool(server, user_pool)
    iam = server.client("iam")
    members = make_role(iam, "members", identity_trust(pool, "authenticated"))
    editors = make_role(
        iam,
        "editors",
        identity_trust(pool, "authenticated"),
        policy(allow(["s3:GetObject", "s3:PutObject"], f"arn:aws:s3:::{BUCKET}/*")),
    )
    idp = server.client("cognito-idp")
    idp.create_group(UserPoolId=user_pool["pool"], GroupName="editors", RoleArn=editors, Precedence=1)
    idp.admin_add_user_to_group(UserPoolId=user_pool["pool"], Username="alice", GroupName="editors")
    admin = server.client("cognito-identity")
    admin.set_identity_pool_roles(
        IdentityPoolId=pool,
        Roles={"authenticated": members},
        RoleMappings={
            f"{user_pool['provider']}:{user_pool['client']}": {
                "Type": "Token",
                "AmbiguousRoleResolution": "AuthenticatedRole",
            }
        },
    )
    alice_logins = {user_pool["provider"]: id_token(server, user_pool, "alice")["IdToken"]}
    alice, alice_creds = credentials_for(server, pool, alice_logins)
    assert caller_arn(server, alice_creds).endswith(":assumed-role/editors/CognitoIdentityCredentials")
    bob, bob_creds = credentials_for(
        server, pool, {user_pool["provider"]: id_token(server, user_pool, "bob")["IdToken"]}
    )
    assert caller_arn(server, bob_creds).endswith(":assumed-role/members/CognitoIdentityCredentials")

    s3_of(server, bob_creds).put_object(Bucket=BUCKET, Key=f"private/{bob}/notes.txt", Body=b"bob")
    assert error_of(s3_of(server, bob_creds).get_object, Bucket=BUCKET, Key="shared.txt")["Code"] == "AccessDenied"
    assert s3_of(server, alice_creds).get_object(Bucket=BUCKET, Key=f"private/{bob}/notes.txt")["Body"].read() == b"bob"

    # A CustomRoleArn must be one of the roles the token offers.
    err = error_of(
        unsigned(server).get_credentials_for_identity, IdentityId=alice, Logins=alice_logins, CustomRoleArn=members
    )
    assert err["Code"] == "InvalidParameterException"


def test_a_rules_mapping_chooses_the_role_or_denies(
    server: LocaliamServer, user_pool: dict[str, str], bucket: None
) -> None:
    pool = member_pool(server, user_pool)
    iam = server.client("iam")
    members = make_role(iam, "members", identity_trust(pool, "authenticated"))
    staff = make_role(iam, "staff", identity_trust(pool, "authenticated"))
    idp = server.client("cognito-idp")
    idp.admin_update_user_attributes(
        UserPoolId=user_pool["pool"],
        Username="carol",
        UserAttributes=[{"Name": "email", "Value": "carol@corp.example"}],
    )
    mapping = {
        "Type": "Rules",
        "AmbiguousRoleResolution": "Deny",
        "RulesConfiguration": {
            "Rules": [{"Claim": "email", "MatchType": "Contains", "Value": "@corp.example", "RoleARN": staff}]
        },
    }
    admin = server.client("cognito-identity")
    key = f"{user_pool['provider']}:{user_pool['client']}"
    admin.set_identity_pool_roles(IdentityPoolId=pool, Roles={"authenticated": members}, RoleMappings={key: mapping})
    assert admin.get_identity_pool_roles(IdentityPoolId=pool)["RoleMappings"] == {key: mapping}
    _carol, creds = credentials_for(
        server, pool, {user_pool["provider"]: id_token(server, user_pool, "carol")["IdToken"]}
    )
    assert caller_arn(server, creds).endswith(":assumed-role/staff/CognitoIdentityCredentials")
    cognito = unsigned(server)
    logins = {user_pool["provider"]: id_token(server, user_pool, "bob")["IdToken"]}
    bob = cognito.get_id(IdentityPoolId=pool, Logins=logins)["IdentityId"]
    err = error_of(cognito.get_credentials_for_identity, IdentityId=bob, Logins=logins)
    assert err["Code"] == "NotAuthorizedException"
    admin.set_identity_pool_roles(
        IdentityPoolId=pool,
        Roles={"authenticated": members},
        RoleMappings={key: {**mapping, "AmbiguousRoleResolution": "AuthenticatedRole"}},
    )
    creds = cognito.get_credentials_for_identity(IdentityId=bob, Logins=logins)["Credentials"]
    assert caller_arn(server, creds).endswith(":assumed-role/members/CognitoIdentityCredentials")


def test_server_side_token_check_refuses_a_signed_out_user(
    server: LocaliamServer, user_pool: dict[str, str], bucket: None
) -> None:
    checked = member_pool(server, user_pool, check=True)
    unchecked = member_pool(server, user_pool, check=False)
    iam = server.client("iam")
    admin = server.client("cognito-identity")
    for pool in (checked, unchecked):
        role = make_role(iam, f"members-{pool[-4:]}", identity_trust(pool, "authenticated"))
        admin.set_identity_pool_roles(IdentityPoolId=pool, Roles={"authenticated": role})
    tokens = id_token(server, user_pool, "alice")
    logins = {user_pool["provider"]: tokens["IdToken"]}
    credentials_for(server, checked, logins)
    unsigned(server, "cognito-idp").global_sign_out(AccessToken=tokens["AccessToken"])
    err = error_of(unsigned(server).get_id, IdentityPoolId=checked, Logins=logins)
    assert err["Code"] == "NotAuthorizedException"
    # Without the check, the pool accepts the token until it expires, as AWS's does.
    credentials_for(server, unchecked, logins)


# ------------------------------------------------------------------------------ the basic flow
def test_the_basic_flow_needs_allow_classic_flow(server: LocaliamServer, bucket: None) -> None:
    admin = server.client("cognito-identity")
    pool = admin.create_identity_pool(
        IdentityPoolName="classic",
        AllowUnauthenticatedIdentities=False,
        AllowClassicFlow=True,
        SupportedLoginProviders={GOOGLE: APP},
    )["IdentityPoolId"]
    role = make_role(server.client("iam"), "classic", identity_trust(pool, "authenticated"))
    cognito = unsigned(server)
    logins = {GOOGLE: google_token(server, "alice")}
    identity = cognito.get_id(IdentityPoolId=pool, Logins=logins)["IdentityId"]
    answer = cognito.get_open_id_token(IdentityId=identity, Logins=logins)
    assert answer["IdentityId"] == identity
    import jwt as pyjwt

    # The token verifies with the keys localiam serves for the identity pools' issuer (PyJWT).
    keys = pyjwt.PyJWKClient(f"{server.endpoint}/_localiam/cognito-identity/.well-known/jwks_uri")
    claims = pyjwt.decode(
        answer["Token"],
        keys.get_signing_key_from_jwt(answer["Token"]).key,  # type: ignore[arg-type]
        algorithms=["RS256"],
        audience=pool,
        issuer="https://cognito-identity.amazonaws.com",
    )
    assert claims["iss"] == "https://cognito-identity.amazonaws.com"
    assert (claims["aud"], claims["sub"]) == (pool, identity)
    assert claims["amr"] == ["authenticated", GOOGLE, f"{GOOGLE}:alice"]
    session = unsigned(server, "sts").assume_role_with_web_identity(
        RoleArn=role, RoleSessionName="classic", WebIdentityToken=answer["Token"]
    )
    assert session["Provider"] == COGNITO and session["SubjectFromWebIdentityToken"] == identity
    creds = session["Credentials"]
    s3 = server.client("s3", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    s3.put_object(Bucket=BUCKET, Key=f"private/{identity}/a.txt", Body=b"a")
    forged = answer["Token"][:-4] + ("AAAA" if not answer["Token"].endswith("AAAA") else "BBBB")
    err = error_of(
        unsigned(server, "sts").assume_role_with_web_identity,
        RoleArn=role,
        RoleSessionName="classic",
        WebIdentityToken=forged,
    )
    assert err["Code"] == "InvalidIdentityToken"

    admin.update_identity_pool(
        IdentityPoolId=pool,
        IdentityPoolName="classic",
        AllowUnauthenticatedIdentities=False,
        AllowClassicFlow=False,
        SupportedLoginProviders={GOOGLE: APP},
    )
    err = error_of(cognito.get_open_id_token, IdentityId=identity, Logins=logins)
    assert (err["Code"], err["Message"]) == (
        "InvalidParameterException",
        "Basic (classic) flow is not enabled, please use enhanced flow.",
    )


# --------------------------------------------------------------- developer-authenticated identities
def test_a_developer_authenticated_identity(server: LocaliamServer, bucket: None) -> None:
    admin = server.client("cognito-identity")
    pool = admin.create_identity_pool(
        IdentityPoolName="broker", AllowUnauthenticatedIdentities=False, DeveloperProviderName="login.photos.example"
    )["IdentityPoolId"]
    iam = server.client("iam")
    role = make_role(iam, "broker-users", identity_trust(pool, "authenticated", tag_session=True))
    admin.set_identity_pool_roles(IdentityPoolId=pool, Roles={"authenticated": role})
    # The seed's custom broker: a backend with AWS credentials vouches for its own user.
    broker_policy = policy(allow("cognito-identity:GetOpenIdTokenForDeveloperIdentity"))
    broker = make_user(iam, server, "broker", inline=broker_policy).client("cognito-identity")
    answer = broker.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool, Logins={"login.photos.example": "user-123"}, PrincipalTags={"team": "blue"}
    )
    identity = answer["IdentityId"]
    again = broker.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool, Logins={"login.photos.example": "user-123"}
    )
    assert again["IdentityId"] == identity
    creds = unsigned(server).get_credentials_for_identity(IdentityId=identity, Logins={COGNITO: answer["Token"]})[
        "Credentials"
    ]
    s3_of(server, creds).put_object(Bucket=BUCKET, Key=f"private/{identity}/doc.txt", Body=b"doc")
    looked = admin.lookup_developer_identity(IdentityPoolId=pool, DeveloperUserIdentifier="user-123", MaxResults=10)
    assert (looked["IdentityId"], looked["DeveloperUserIdentifierList"]) == (identity, ["user-123"])

    other = broker.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool, Logins={"login.photos.example": "user-456"}
    )["IdentityId"]
    merged = admin.merge_developer_identities(
        SourceUserIdentifier="user-456",
        DestinationUserIdentifier="user-123",
        DeveloperProviderName="login.photos.example",
        IdentityPoolId=pool,
    )
    assert merged["IdentityId"] == identity
    after = admin.lookup_developer_identity(IdentityPoolId=pool, IdentityId=identity, MaxResults=10)
    assert sorted(after["DeveloperUserIdentifierList"]) == ["user-123", "user-456"]
    assert error_of(admin.describe_identity, IdentityId=other)["Code"] == "ResourceNotFoundException"

    # Without the IAM permission, the call is refused like any AWS API call.
    nobody = make_user(iam, server, "nobody").client("cognito-identity")
    err = error_of(
        nobody.get_open_id_token_for_developer_identity, IdentityPoolId=pool, Logins={"login.photos.example": "x"}
    )
    assert err["Code"] == "AccessDeniedException"
    assert "cognito-identity:GetOpenIdTokenForDeveloperIdentity" in err["Message"]


# ------------------------------------------------------------------------- principal tags (ABAC)
def test_principal_tags_from_the_tag_map(server: LocaliamServer, google_pool: dict[str, str]) -> None:
    admin = server.client("cognito-identity")
    pool = google_pool["pool"]
    iam = server.client("iam")
    tagged = make_role(
        iam,
        "tagged",
        identity_trust(pool, "authenticated", tag_session=True),
        policy(allow("s3:PutObject", f"arn:aws:s3:::{BUCKET}/users/${{aws:PrincipalTag/username}}/*")),
    )
    admin.set_identity_pool_roles(IdentityPoolId=pool, Roles={"authenticated": tagged})
    answer = admin.set_principal_tag_attribute_map(IdentityPoolId=pool, IdentityProviderName=GOOGLE, UseDefaults=True)
    assert answer["UseDefaults"] is True
    _identity, creds = credentials_for(server, pool, {GOOGLE: google_token(server, "alice-google-id")})
    s3 = s3_of(server, creds)
    s3.put_object(Bucket=BUCKET, Key="users/alice-google-id/a.txt", Body=b"a")
    assert error_of(s3.put_object, Bucket=BUCKET, Key="users/bob/a.txt", Body=b"a")["Code"] == "AccessDenied"


# ------------------------------------------------------------------------------ control plane
def test_pools_and_identities_are_managed_with_boto3(server: LocaliamServer, google_pool: dict[str, str]) -> None:
    admin = server.client("cognito-identity")
    pool = google_pool["pool"]
    described = admin.describe_identity_pool(IdentityPoolId=pool)
    assert described["IdentityPoolName"] == "photos"
    assert described["SupportedLoginProviders"] == {GOOGLE: APP}
    assert "AllowClassicFlow" not in described
    listed = admin.list_identity_pools(MaxResults=10)["IdentityPools"]
    assert {"IdentityPoolId": pool, "IdentityPoolName": "photos"} in listed
    arn = f"arn:aws:cognito-identity:us-east-1:{server.account_id}:identitypool/{pool}"
    admin.tag_resource(ResourceArn=arn, Tags={"stage": "test"})
    assert admin.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"stage": "test"}
    admin.untag_resource(ResourceArn=arn, TagKeys=["stage"])
    assert admin.list_tags_for_resource(ResourceArn=arn)["Tags"] == {}
    assert admin.get_identity_pool_roles(IdentityPoolId=pool)["Roles"] == {"authenticated": google_pool["role"]}

    cognito = unsigned(server)
    alice = cognito.get_id(IdentityPoolId=pool, Logins={GOOGLE: google_token(server, "alice")})["IdentityId"]
    identities = admin.list_identities(IdentityPoolId=pool, MaxResults=10)["Identities"]
    assert [i["IdentityId"] for i in identities] == [alice]
    assert admin.describe_identity(IdentityId=alice)["Logins"] == [GOOGLE]
    assert admin.delete_identities(IdentityIdsToDelete=[alice])["UnprocessedIdentityIds"] == []
    assert error_of(admin.describe_identity, IdentityId=alice)["Code"] == "ResourceNotFoundException"

    updated = admin.update_identity_pool(
        IdentityPoolId=pool, IdentityPoolName="renamed", AllowUnauthenticatedIdentities=True
    )
    assert updated["IdentityPoolName"] == "renamed" and "SupportedLoginProviders" not in updated
    err = error_of(admin.create_identity_pool, IdentityPoolName="bad/name", AllowUnauthenticatedIdentities=True)
    assert err["Code"] == "InvalidParameterException"
    err = error_of(
        admin.set_identity_pool_roles, IdentityPoolId=pool, Roles={"authenticated": "arn:aws:iam::123:user/x"}
    )
    assert err["Code"] == "InvalidParameterException"
    admin.delete_identity_pool(IdentityPoolId=pool)
    err = error_of(admin.describe_identity_pool, IdentityPoolId=pool)
    assert (err["Code"], err["Message"]) == ("ResourceNotFoundException", f"IdentityPool '{pool}' not found.")


def test_the_control_plane_is_authorized(server: LocaliamServer, google_pool: dict[str, str]) -> None:
    iam = server.client("iam")
    reader = make_user(
        iam,
        server,
        "reader",
        inline=policy(allow(["cognito-identity:DescribeIdentityPool", "cognito-identity:ListIdentityPools"])),
    ).client("cognito-identity")
    assert reader.describe_identity_pool(IdentityPoolId=google_pool["pool"])["IdentityPoolName"] == "photos"
    err = error_of(reader.delete_identity_pool, IdentityPoolId=google_pool["pool"])
    assert err["Code"] == "AccessDeniedException"
    assert json.dumps(err["Message"]).find("cognito-identity:DeleteIdentityPool") > 0
    # Another account's pool does not exist for the caller.
    other = server.create_account()
    stranger = server.client("cognito-identity", other.access_key_id, other.secret_access_key)
    assert error_of(stranger.describe_identity_pool, IdentityPoolId=google_pool["pool"])["Code"] == (
        "ResourceNotFoundException"
    )
