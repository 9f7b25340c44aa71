"""Outbound identity federation with boto3 (IAM ``API_EnableOutboundWebIdentityFederation``,
``API_GetOutboundWebIdentityFederationInfo``; STS ``API_GetWebIdentityToken``; IAM User Guide
``id_roles_providers_outbound``): the account's issuer signs JWTs for its principals, published
through OIDC discovery, so that another account can trust them with AssumeRoleWithWebIdentity."""

from __future__ import annotations

import json
import urllib.request

import jwt as pyjwt
from e2e_helpers import Keys, allow, error_of, make_user, policy, trust
from test_federation_web_identity import sts_unsigned

AUDIENCE = "https://partner.example.com"


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def test_enable_issue_a_token_and_verify_it_through_discovery(server, iam):
    acct = server.account_id
    assert error_of(iam.get_outbound_web_identity_federation_info)["Code"] == "FeatureDisabled"
    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    assert issuer.startswith("https://") and issuer.endswith(".tokens.sts.global.api.aws")
    assert error_of(iam.enable_outbound_web_identity_federation)["Code"] == "FeatureEnabled"
    info = iam.get_outbound_web_identity_federation_info()
    assert (info["IssuerIdentifier"], info["JwtVendingEnabled"]) == (issuer, True)

    alice = make_user(
        iam,
        server,
        "alice",
        inline=policy(
            allow(
                "sts:GetWebIdentityToken",
                Condition={"ForAnyValue:StringEquals": {"sts:IdentityTokenAudience": AUDIENCE}},
            )
        ),
    ).client("sts")
    answer = alice.get_web_identity_token(
        Audience=[AUDIENCE], SigningAlgorithm="RS256", DurationSeconds=120, Tags=[{"Key": "team", "Value": "a"}]
    )
    host = issuer.split("://", 1)[1]
    discovery = _get(f"{server.endpoint}/_localiam/idp/oidc/{host}/.well-known/openid-configuration")
    assert discovery["issuer"] == issuer
    keys = pyjwt.PyJWKSet.from_dict(_get(discovery["jwks_uri"]))
    header = pyjwt.get_unverified_header(answer["WebIdentityToken"])
    key = next(k for k in keys.keys if k.key_id == header["kid"])
    claims = pyjwt.decode(answer["WebIdentityToken"], key.key, algorithms=["RS256"], audience=AUDIENCE, issuer=issuer)
    assert claims["sub"] == f"arn:aws:iam::{acct}:user/alice"
    assert claims["exp"] - claims["iat"] == 120
    assert claims["https://sts.amazonaws.com/"]["request_tags"] == {"team": "a"}

    err = error_of(alice.get_web_identity_token, Audience=["https://other.example.com"], SigningAlgorithm="RS256")
    assert err["Code"] == "AccessDenied"
    iam.disable_outbound_web_identity_federation()
    assert iam.get_outbound_web_identity_federation_info()["JwtVendingEnabled"] is False
    err = error_of(alice.get_web_identity_token, Audience=[AUDIENCE], SigningAlgorithm="RS256")
    assert (err["Code"], err["status"]) == ("OutboundWebIdentityFederationDisabledException", 403)
    assert iam.enable_outbound_web_identity_federation()["IssuerIdentifier"] == issuer


def test_a_role_session_token_is_trusted_by_another_account(server, iam):
    """The token names the role session as ``sub`` and the role as ``principal_id``; a role of
    another account that trusts the issuer as an OIDC provider takes it."""
    acct = server.account_id
    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{acct}:root"}))
    iam.put_role_policy(RoleName="worker", PolicyName="t", PolicyDocument=policy(allow("sts:GetWebIdentityToken")))
    ops = make_user(iam, server, "ops", inline=policy(allow("sts:AssumeRole")))
    session = Keys.of_session(
        server, ops.client("sts").assume_role(RoleArn=f"arn:aws:iam::{acct}:role/worker", RoleSessionName="job")
    )
    token = session.client("sts").get_web_identity_token(Audience=["sts.amazonaws.com"], SigningAlgorithm="RS256")
    claims = pyjwt.decode(token["WebIdentityToken"], options={"verify_signature": False})
    assert claims["sub"] == f"arn:aws:sts::{acct}:assumed-role/worker/job"
    assert claims["https://sts.amazonaws.com/"]["principal_id"] == f"arn:aws:iam::{acct}:role/worker"

    other = server.client("organizations").create_account(Email="o@example.com", AccountName="other")
    member = other["CreateAccountStatus"]["AccountId"]
    admin = Keys.of_session(
        server,
        ops.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole", RoleSessionName="admin"
        ),
    )
    member_iam = admin.client("iam")
    host = issuer.split("://", 1)[1]
    provider = member_iam.create_open_id_connect_provider(Url=issuer, ClientIDList=["sts.amazonaws.com"])
    member_iam.create_role(
        RoleName="from-partner",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Federated": provider["OpenIDConnectProviderArn"]},
                        "Action": "sts:AssumeRoleWithWebIdentity",
                        "Condition": {"StringLike": {f"{host}:sub": f"arn:aws:sts::{acct}:assumed-role/worker/*"}},
                    }
                ],
            }
        ),
    )
    answer = sts_unsigned(server).assume_role_with_web_identity(
        RoleArn=f"arn:aws:iam::{member}:role/from-partner",
        RoleSessionName="partner",
        WebIdentityToken=token["WebIdentityToken"],
    )
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{member}:assumed-role/from-partner/partner"
