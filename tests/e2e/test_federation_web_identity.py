"""Web identity federation end to end: ``AssumeRoleWithWebIdentity`` with boto3 and the AWS
CLI, tokens from localiam's test issuer and from a Keycloak-style issuer on loopback that this
test serves itself (discovery document + JWKS, signed with PyJWT: a JWT library we did not
write).

Pages: STS ``API_AssumeRoleWithWebIdentity`` (unsigned; errors ``InvalidIdentityToken``,
``ExpiredTokenException``, ``AccessDenied``); IAM User Guide ``id_roles_providers_oidc``
(``iss`` names the provider; ``aud`` must be a registered client id),
``id_roles_create_for-idp_oidc`` (trust policies with ``Federated`` and ``PROVIDER:aud``),
``reference_policies_iam-condition-keys`` ("Available keys for AWS web identity federation":
``accounts.google.com:sub`` ... in trust and permission policies), ``id_session-tags`` (the
``https://aws.amazon.com/tags`` claim; ``sts:TagSession`` in the trust policy).
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from e2e_helpers import AwsCli, Keys, allow, error_of, policy
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from localiam.testing import LocaliamServer, oidc_token

GOOGLE = "accounts.google.com"
APP = "my-app.apps.googleusercontent.com"
NOT_AUTHORIZED = "Not authorized to perform sts:AssumeRoleWithWebIdentity"
NOT_VALIDATED = (
    "The web identity token that was passed could not be validated by AWS. Get a new identity token "
    "from the identity provider and then retry the request."
)


def federated_trust(provider: str, condition: dict[str, Any] | None = None, *, tag_session: bool = False) -> str:
    actions = ["sts:AssumeRoleWithWebIdentity"] + (["sts:TagSession"] if tag_session else [])
    stmt: dict[str, Any] = {"Effect": "Allow", "Principal": {"Federated": provider}, "Action": actions}
    if condition:
        stmt["Condition"] = condition
    return policy(stmt)


def sts_unsigned(server: LocaliamServer) -> Any:
    """An STS client with no credentials at all: the token is the credential."""
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    return boto3.client(
        "sts",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )


@pytest.fixture
def google_role(server: LocaliamServer, iam: Any) -> str:
    """A role Google users of ``APP`` may assume, that reads ``photos/${sub}/*`` only."""
    condition = {"StringEquals": {f"{GOOGLE}:aud": APP}}
    arn = iam.create_role(RoleName="google-users", AssumeRolePolicyDocument=federated_trust(GOOGLE, condition))["Role"][
        "Arn"
    ]
    own = allow("s3:GetObject", "arn:aws:s3:::photos/${accounts.google.com:sub}/*")
    iam.put_role_policy(RoleName="google-users", PolicyName="own-photos", PolicyDocument=policy(own))
    s3 = server.client("s3")
    s3.create_bucket(Bucket="photos")
    for who in ("alice", "bob"):
        s3.put_object(Bucket="photos", Key=f"{who}/cat.jpg", Body=f"{who}'s cat".encode())
    return str(arn)


def test_a_google_token_gives_a_role_session_that_reads_only_its_own_objects(
    server: LocaliamServer, google_role: str
) -> None:
    token = oidc_token(server, issuer=GOOGLE, subject="alice", audience=APP)
    answer = sts_unsigned(server).assume_role_with_web_identity(
        RoleArn=google_role, RoleSessionName="alice-web", WebIdentityToken=token, DurationSeconds=900
    )
    assert answer["SubjectFromWebIdentityToken"] == "alice"
    assert answer["Provider"] == GOOGLE
    assert answer["Audience"] == APP
    session_arn = f"arn:aws:sts::{server.account_id}:assumed-role/google-users/alice-web"
    assert answer["AssumedRoleUser"]["Arn"] == session_arn
    assert 850 <= (answer["Credentials"]["Expiration"].timestamp() - time.time()) <= 900
    keys = Keys.of_session(server, answer)
    assert keys.client("sts").get_caller_identity()["Arn"] == session_arn
    s3 = keys.client("s3")
    assert s3.get_object(Bucket="photos", Key="alice/cat.jpg")["Body"].read() == b"alice's cat"
    denied = error_of(s3.get_object, Bucket="photos", Key="bob/cat.jpg")
    assert denied["Code"] == "AccessDenied"


def test_the_trust_policy_condition_on_the_audience_decides(server: LocaliamServer, google_role: str) -> None:
    token = oidc_token(server, issuer=GOOGLE, subject="alice", audience="another-app")
    err = error_of(
        sts_unsigned(server).assume_role_with_web_identity,
        RoleArn=google_role,
        RoleSessionName="alice",
        WebIdentityToken=token,
    )
    assert (err["Code"], err["Message"], err["status"]) == ("AccessDenied", NOT_AUTHORIZED, 403)


def test_google_azp_is_the_aud_key_and_aud_the_oaud_key(server: LocaliamServer, iam: Any) -> None:
    condition = {"StringEquals": {f"{GOOGLE}:aud": "azp-client", f"{GOOGLE}:oaud": "the-aud"}}
    arn = iam.create_role(RoleName="g", AssumeRolePolicyDocument=federated_trust(GOOGLE, condition))["Role"]["Arn"]
    token = oidc_token(server, issuer=GOOGLE, subject="svc", audience="the-aud", claims={"azp": "azp-client"})
    answer = sts_unsigned(server).assume_role_with_web_identity(
        RoleArn=arn, RoleSessionName="svc", WebIdentityToken=token
    )
    assert answer["Audience"] == "azp-client"


@pytest.mark.parametrize(
    "tamper",
    ["payload", "wrong key", "alg none", "not a jwt"],
)
def test_tokens_that_are_not_the_issuers_are_refused(server: LocaliamServer, google_role: str, tamper: str) -> None:
    genuine = oidc_token(server, issuer=GOOGLE, subject="alice", audience=APP)
    header, payload, signature = genuine.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    if tamper == "payload":
        claims["sub"] = "bob"
        token = f"{header}.{_b64(claims)}.{signature}"
    elif tamper == "wrong key":
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        kid = json.loads(base64.urlsafe_b64decode(header + "=="))["kid"]
        token = pyjwt.encode(claims, other, algorithm="RS256", headers={"kid": kid})
    elif tamper == "alg none":
        token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    else:
        token = "ya29.an-oauth-access-token"
    err = error_of(
        sts_unsigned(server).assume_role_with_web_identity,
        RoleArn=google_role,
        RoleSessionName="alice",
        WebIdentityToken=token,
    )
    assert err["Code"] == "InvalidIdentityToken"
    assert err["status"] == 400
    if tamper == "not a jwt":
        assert err["Message"].startswith("The ID Token provided is not a valid JWT.")
    else:
        assert err["Message"] == NOT_VALIDATED


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def test_expired_and_not_yet_valid_tokens_are_refused(server: LocaliamServer, google_role: str) -> None:
    sts = sts_unsigned(server)
    expired = oidc_token(server, issuer=GOOGLE, subject="alice", audience=APP, expires_in=-10)
    err = error_of(
        sts.assume_role_with_web_identity, RoleArn=google_role, RoleSessionName="a1", WebIdentityToken=expired
    )
    assert err["Code"] == "ExpiredTokenException"
    assert err["Message"].startswith("Token expired: current date/time ")
    future = oidc_token(server, issuer=GOOGLE, subject="alice", audience=APP, claims={"nbf": int(time.time()) + 600})
    err = error_of(
        sts.assume_role_with_web_identity, RoleArn=google_role, RoleSessionName="a1", WebIdentityToken=future
    )
    assert err["Code"] == "InvalidIdentityToken"
    assert "not yet valid" in err["Message"]


def test_an_issuer_without_a_provider_in_the_account_is_refused(server: LocaliamServer, iam: Any) -> None:
    issuer = "https://login.example.com"
    arn = iam.create_role(
        RoleName="corp",
        AssumeRolePolicyDocument=federated_trust(f"arn:aws:iam::{server.account_id}:oidc-provider/login.example.com"),
    )["Role"]["Arn"]
    token = oidc_token(server, issuer=issuer, subject="alice", audience="corp-app")
    err = error_of(
        sts_unsigned(server).assume_role_with_web_identity, RoleArn=arn, RoleSessionName="alice", WebIdentityToken=token
    )
    assert err["Code"] == "InvalidIdentityToken"
    assert err["Message"] == f"No OpenIDConnect provider found in your account for {issuer}"
    # With the provider, but the token's audience is not one of its client ids:
    iam.create_open_id_connect_provider(Url=issuer, ClientIDList=["corp-app-2"], ThumbprintList=["a" * 40])
    err = error_of(
        sts_unsigned(server).assume_role_with_web_identity, RoleArn=arn, RoleSessionName="alice", WebIdentityToken=token
    )
    assert (err["Code"], err["Message"]) == ("InvalidIdentityToken", "Incorrect token audience")
    iam.add_client_id_to_open_id_connect_provider(
        OpenIDConnectProviderArn=f"arn:aws:iam::{server.account_id}:oidc-provider/login.example.com",
        ClientID="corp-app",
    )
    answer = sts_unsigned(server).assume_role_with_web_identity(
        RoleArn=arn, RoleSessionName="alice", WebIdentityToken=token
    )
    assert answer["Provider"] == f"arn:aws:iam::{server.account_id}:oidc-provider/login.example.com"


def test_a_trust_policy_that_does_not_name_the_provider_refuses(server: LocaliamServer, iam: Any) -> None:
    arn = iam.create_role(RoleName="fb", AssumeRolePolicyDocument=federated_trust("graph.facebook.com"))["Role"]["Arn"]
    token = oidc_token(server, issuer=GOOGLE, subject="alice", audience=APP)
    err = error_of(
        sts_unsigned(server).assume_role_with_web_identity, RoleArn=arn, RoleSessionName="alice", WebIdentityToken=token
    )
    assert (err["Code"], err["Message"]) == ("AccessDenied", NOT_AUTHORIZED)
    missing = f"arn:aws:iam::{server.account_id}:role/no-such-role"
    err = error_of(
        sts_unsigned(server).assume_role_with_web_identity,
        RoleArn=missing,
        RoleSessionName="alice",
        WebIdentityToken=token,
    )
    assert (err["Code"], err["Message"]) == ("AccessDenied", NOT_AUTHORIZED)


def test_an_invalid_session_name_is_a_validation_error(server: LocaliamServer, google_role: str) -> None:
    token = oidc_token(server, issuer=GOOGLE, subject="alice", audience=APP)
    err = error_of(
        sts_unsigned(server).assume_role_with_web_identity,
        RoleArn=google_role,
        RoleSessionName="alice smith",
        WebIdentityToken=token,
    )
    assert err["Code"] == "ValidationError"
    assert "roleSessionName" in err["Message"]


def test_session_tags_from_the_token_need_tag_session_and_become_principal_tags(
    server: LocaliamServer, iam: Any
) -> None:
    tags_claim = {"https://aws.amazon.com/tags": {"principal_tags": {"Dept": ["eng"]}, "transitive_tag_keys": ["Dept"]}}
    token = oidc_token(server, issuer=GOOGLE, subject="carol", audience=APP, claims=tags_claim)
    sts = sts_unsigned(server)
    iam.create_role(RoleName="untagged", AssumeRolePolicyDocument=federated_trust(GOOGLE))
    err = error_of(
        sts.assume_role_with_web_identity,
        RoleArn=f"arn:aws:iam::{server.account_id}:role/untagged",
        RoleSessionName="carol",
        WebIdentityToken=token,
    )
    assert (err["Code"], err["Message"]) == ("AccessDenied", NOT_AUTHORIZED)
    arn = iam.create_role(RoleName="tagged", AssumeRolePolicyDocument=federated_trust(GOOGLE, tag_session=True))[
        "Role"
    ]["Arn"]
    iam.put_role_policy(
        RoleName="tagged",
        PolicyName="by-dept",
        PolicyDocument=policy(
            allow("iam:ListUsers", "*", Condition={"StringEquals": {"aws:PrincipalTag/Dept": "eng"}})
        ),
    )
    answer = sts.assume_role_with_web_identity(RoleArn=arn, RoleSessionName="carol", WebIdentityToken=token)
    assert answer["PackedPolicySize"] >= 1
    assert "Users" in Keys.of_session(server, answer).client("iam").list_users()


class _Issuer:
    """A Keycloak-style issuer on loopback: ``/realms/corp/.well-known/openid-configuration``
    pointing at ``/realms/corp/protocol/openid-connect/certs``, signing with its own RSA key
    through PyJWT."""

    def __init__(self, alg: str = "RS256") -> None:
        self.alg = alg
        self.key: Any = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            if alg == "RS256"
            else ec.generate_private_key(ec.SECP256R1())
        )
        self.kid = "corp-key-1"
        self.requests: list[str] = []
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                issuer.requests.append(self.path)
                if self.path == "/realms/corp/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/protocol/openid-connect/certs"}
                elif self.path == "/realms/corp/protocol/openid-connect/certs":
                    algorithm = RSAAlgorithm if issuer.alg == "RS256" else ECAlgorithm
                    jwk = json.loads(algorithm.to_jwk(issuer.key.public_key()))
                    body = {"keys": [{**jwk, "kid": issuer.kid, "use": "sig", "alg": issuer.alg}]}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/realms/corp"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def token(self, **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": self.url, "sub": "dave", "aud": "corp-cli", "iat": now, "exp": now + 300, **claims}
        return pyjwt.encode(body, self.key, algorithm=self.alg, headers={"kid": self.kid})


@pytest.fixture(params=["RS256", "ES256"])
def keycloak(request: pytest.FixtureRequest) -> Iterator[_Issuer]:
    issuer = _Issuer(request.param)
    yield issuer
    issuer.httpd.shutdown()


def test_a_loopback_http_issuer_is_verified_with_its_discovery_document_and_jwks(
    server: LocaliamServer, iam: Any, keycloak: _Issuer
) -> None:
    provider = iam.create_open_id_connect_provider(Url=keycloak.url, ClientIDList=["corp-cli"])[
        "OpenIDConnectProviderArn"
    ]
    name = keycloak.url.split("://", 1)[1]
    assert provider == f"arn:aws:iam::{server.account_id}:oidc-provider/{name}"
    trust_policy = federated_trust(provider, {"StringEquals": {f"{name}:sub": "dave", f"{name}:aud": "corp-cli"}})
    arn = iam.create_role(RoleName="corp", AssumeRolePolicyDocument=trust_policy)["Role"]["Arn"]
    sts = sts_unsigned(server)
    answer = sts.assume_role_with_web_identity(RoleArn=arn, RoleSessionName="dave", WebIdentityToken=keycloak.token())
    assert answer["Provider"] == provider
    assert Keys.of_session(server, answer).client("sts").get_caller_identity()["Arn"].endswith("/corp/dave")
    fetched = len(keycloak.requests)
    assert fetched == 2  # discovery, then the JWKS
    sts.assume_role_with_web_identity(RoleArn=arn, RoleSessionName="dave", WebIdentityToken=keycloak.token())
    assert len(keycloak.requests) == fetched  # cached
    # Someone else's subject: the trust policy refuses; a token signed with another key: invalid.
    err = error_of(
        sts.assume_role_with_web_identity,
        RoleArn=arn,
        RoleSessionName="eve",
        WebIdentityToken=keycloak.token(sub="eve"),
    )
    assert err["Code"] == "AccessDenied"
    forged = pyjwt.encode(
        {"iss": keycloak.url, "sub": "dave", "aud": "corp-cli", "exp": int(time.time()) + 60},
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm="RS256",
        headers={"kid": keycloak.kid},
    )
    err = error_of(sts.assume_role_with_web_identity, RoleArn=arn, RoleSessionName="dave", WebIdentityToken=forged)
    assert (err["Code"], err["Message"]) == ("InvalidIdentityToken", NOT_VALIDATED)


def test_an_issuer_that_cannot_be_reached_is_an_idp_communication_error(
    server: LocaliamServer, iam: Any, keycloak: _Issuer
) -> None:
    provider = iam.create_open_id_connect_provider(Url=keycloak.url, ClientIDList=["corp-cli"])[
        "OpenIDConnectProviderArn"
    ]
    arn = iam.create_role(RoleName="corp", AssumeRolePolicyDocument=federated_trust(provider))["Role"]["Arn"]
    token = keycloak.token()
    keycloak.httpd.shutdown()
    keycloak.httpd.server_close()
    err = error_of(
        sts_unsigned(server).assume_role_with_web_identity, RoleArn=arn, RoleSessionName="dave", WebIdentityToken=token
    )
    assert err["Code"] == "IDPCommunicationError"


def test_the_test_issuer_serves_discovery_and_jwks_that_pyjwt_verifies_with(server: LocaliamServer) -> None:
    token = oidc_token(server, issuer=GOOGLE, subject="alice", audience=APP)
    base = f"{server.endpoint}/_localiam/idp/oidc/{GOOGLE}"
    with urllib.request.urlopen(f"{base}/.well-known/openid-configuration", timeout=10) as response:
        config = json.load(response)
    assert config["issuer"] == f"https://{GOOGLE}"
    client = pyjwt.PyJWKClient(config["jwks_uri"])
    key = client.get_signing_key_from_jwt(token)
    claims = pyjwt.decode(token, key.key, algorithms=["RS256"], audience=APP, issuer=f"https://{GOOGLE}")
    assert claims["sub"] == "alice"
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(
            f"{server.endpoint}/_localiam/idp/oidc/unknown.example/.well-known/jwks.json", timeout=10
        )
    assert missing.value.code == 404


def test_the_aws_cli_assumes_a_role_with_a_token_from_localiam_idp(
    server: LocaliamServer, google_role: str, tmp_path: Path
) -> None:
    token = oidc_token(server, issuer=GOOGLE, subject="alice", audience=APP)
    cli = AwsCli(server, tmp_path)
    cli.credentials.write_text("")  # no credentials at all: the call is unsigned
    done = cli.run(
        [
            "sts",
            "assume-role-with-web-identity",
            "--role-arn",
            google_role,
            "--role-session-name",
            "alice-cli",
            "--web-identity-token",
            token,
        ]
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["AssumedRoleUser"]["Arn"].endswith(":assumed-role/google-users/alice-cli")
    assert answer["Credentials"]["AccessKeyId"].startswith("ASIA")
