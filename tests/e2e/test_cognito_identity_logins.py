"""The other logins an identity pool accepts, and how identities link and merge (Amazon Cognito
Developer Guide "Identity pools authentication flow": linking logins, merging identities;
"Identity pools third-party identity providers": OpenID Connect and SAML providers named by their
IAM provider; ``API_UnlinkIdentity``), with boto3 and the AWS CLI.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import AwsCli, error_of
from test_cognito_identity_pools import (
    APP,
    BUCKET,
    GOOGLE,
    caller_arn,
    google_token,
    identity_trust,
    make_role,
    s3_of,
    unsigned,
)

from localiam.testing import LocaliamServer, oidc_token, saml_assertion, saml_metadata

FACEBOOK = "graph.facebook.com"


@pytest.fixture
def two_providers(server: LocaliamServer) -> str:
    server.client("s3").create_bucket(Bucket=BUCKET)
    admin = server.client("cognito-identity")
    pool = admin.create_identity_pool(
        IdentityPoolName="social",
        AllowUnauthenticatedIdentities=True,
        SupportedLoginProviders={GOOGLE: APP, FACEBOOK: "fb-app"},
    )["IdentityPoolId"]
    iam = server.client("iam")
    members = make_role(iam, "members", identity_trust(pool, "authenticated"))
    guests = make_role(iam, "guests", identity_trust(pool, "unauthenticated"))
    admin.set_identity_pool_roles(IdentityPoolId=pool, Roles={"authenticated": members, "unauthenticated": guests})
    return str(pool)


def facebook_token(server: LocaliamServer, subject: str) -> str:
    return oidc_token(server, issuer=f"https://{FACEBOOK}", subject=subject, audience="fb-app")


def test_a_guest_signs_in_and_keeps_its_identity(server: LocaliamServer, two_providers: str) -> None:
    cognito = unsigned(server)
    guest = cognito.get_id(IdentityPoolId=two_providers)["IdentityId"]
    creds = cognito.get_credentials_for_identity(IdentityId=guest)["Credentials"]
    assert caller_arn(server, creds).endswith(":assumed-role/guests/CognitoIdentityCredentials")
    logins = {GOOGLE: google_token(server, "alice")}
    answer = cognito.get_credentials_for_identity(IdentityId=guest, Logins=logins)
    assert answer["IdentityId"] == guest  # the login is linked to the guest's identity
    assert caller_arn(server, answer["Credentials"]).endswith(":assumed-role/members/CognitoIdentityCredentials")
    assert cognito.get_id(IdentityPoolId=two_providers, Logins=logins)["IdentityId"] == guest
    err = error_of(cognito.get_credentials_for_identity, IdentityId=guest)
    assert err["Code"] == "NotAuthorizedException"  # now authenticated: a login is needed


def test_logins_of_two_identities_merge(server: LocaliamServer, two_providers: str) -> None:
    cognito = unsigned(server)
    admin = server.client("cognito-identity")
    google = {GOOGLE: google_token(server, "alice")}
    facebook = {FACEBOOK: facebook_token(server, "1234")}
    first = cognito.get_id(IdentityPoolId=two_providers, Logins=google)["IdentityId"]
    second = cognito.get_id(IdentityPoolId=two_providers, Logins=facebook)["IdentityId"]
    assert first != second
    answer = cognito.get_open_id_token(IdentityId=second, Logins={**google, **facebook})
    assert answer["IdentityId"] == first  # the identity the Google login belonged to owns both
    assert sorted(admin.describe_identity(IdentityId=first)["Logins"]) == [GOOGLE, FACEBOOK]
    assert error_of(admin.describe_identity, IdentityId=second)["Code"] == "ResourceNotFoundException"
    # One login per provider: Bob's Google login cannot join Alice's identity.
    err = error_of(
        cognito.get_open_id_token, IdentityId=first, Logins={**facebook, GOOGLE: google_token(server, "bob")}
    )
    assert err["Code"] == "ResourceConflictException"
    # Knowing an authenticated identity's id is not enough: a login of someone else cannot be
    # linked or merged into it.
    mallory = {FACEBOOK: facebook_token(server, "6666")}
    err = error_of(cognito.get_credentials_for_identity, IdentityId=first, Logins=mallory)
    assert (err["Code"], err["Message"]) == (
        "NotAuthorizedException",
        "Logins don't match. Please include at least one valid login for this identity or identity pool.",
    )
    cognito.unlink_identity(IdentityId=first, Logins=google, LoginsToRemove=[FACEBOOK])
    assert admin.describe_identity(IdentityId=first)["Logins"] == [GOOGLE]
    assert cognito.get_id(IdentityPoolId=two_providers, Logins=facebook)["IdentityId"] not in (first, second)


def test_an_iam_oidc_provider_and_a_saml_provider(server: LocaliamServer) -> None:
    server.client("s3").create_bucket(Bucket=BUCKET)
    iam = server.client("iam")
    issuer = "https://login.corp.example/realms/staff"
    oidc = iam.create_open_id_connect_provider(Url=issuer, ClientIDList=["staff-portal"])["OpenIDConnectProviderArn"]
    saml = iam.create_saml_provider(Name="corp", SAMLMetadataDocument=saml_metadata(server))["SAMLProviderArn"]
    admin = server.client("cognito-identity")
    pool = admin.create_identity_pool(
        IdentityPoolName="corp",
        AllowUnauthenticatedIdentities=False,
        OpenIdConnectProviderARNs=[oidc],
        SamlProviderARNs=[saml],
    )["IdentityPoolId"]
    members = make_role(iam, "staff", identity_trust(pool, "authenticated"))
    admin.set_identity_pool_roles(IdentityPoolId=pool, Roles={"authenticated": members})
    cognito = unsigned(server)
    name = "login.corp.example/realms/staff"
    logins = {name: oidc_token(server, issuer=issuer, subject="alice", audience="staff-portal")}
    identity = cognito.get_id(IdentityPoolId=pool, Logins=logins)["IdentityId"]
    creds = cognito.get_credentials_for_identity(IdentityId=identity, Logins=logins)["Credentials"]
    s3_of(server, creds).put_object(Bucket=BUCKET, Key=f"private/{identity}/a.txt", Body=b"a")
    wrong = {name: oidc_token(server, issuer=issuer, subject="alice", audience="another-client")}
    assert error_of(cognito.get_id, IdentityPoolId=pool, Logins=wrong)["Message"] == (
        "Invalid login token. Incorrect token audience."
    )

    assertion = saml_assertion(server, role=members, subject="bob@corp.example")
    saml_identity = cognito.get_id(IdentityPoolId=pool, Logins={saml: assertion})["IdentityId"]
    creds = cognito.get_credentials_for_identity(IdentityId=saml_identity, Logins={saml: assertion})["Credentials"]
    assert caller_arn(server, creds).endswith(":assumed-role/staff/CognitoIdentityCredentials")
    unsigned_assertion = saml_assertion(server, role=members, subject="bob@corp.example", sign=False)
    err = error_of(cognito.get_id, IdentityPoolId=pool, Logins={saml: unsigned_assertion})
    assert err["Code"] == "NotAuthorizedException" and err["Message"].startswith("Invalid login token.")


def test_the_aws_cli_gets_credentials_without_signing(server: LocaliamServer, tmp_path: Path) -> None:
    server.client("s3").create_bucket(Bucket=BUCKET)
    admin = server.client("cognito-identity")
    pool = admin.create_identity_pool(
        IdentityPoolName="cli", AllowUnauthenticatedIdentities=False, SupportedLoginProviders={GOOGLE: APP}
    )["IdentityPoolId"]
    role = make_role(server.client("iam"), "cli-users", identity_trust(pool, "authenticated"))
    admin.set_identity_pool_roles(IdentityPoolId=pool, Roles={"authenticated": role})
    cli = AwsCli(server, tmp_path)
    token = google_token(server, "alice")

    def run(*words: str) -> Any:
        done = cli.run([*words, "--no-sign-request"])
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    identity = run("cognito-identity", "get-id", "--identity-pool-id", pool, "--logins", f"{GOOGLE}={token}")
    creds = run(
        "cognito-identity",
        "get-credentials-for-identity",
        "--identity-id",
        identity["IdentityId"],
        "--logins",
        f"{GOOGLE}={token}",
    )["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and creds["SecretKey"]
