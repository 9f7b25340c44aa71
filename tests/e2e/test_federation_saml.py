"""SAML federation end to end: boto3 and the AWS CLI against a real server, the test IdP
standing in for a corporate one.

Sources: IAM User Guide ``id_roles_providers_create_saml`` (create the provider from the IdP's
metadata), ``id_roles_create_for-idp_saml`` (a role whose trust policy names the provider, with
``sts:AssumeRoleWithSAML`` and ``sts:TagSession``), ``id_roles_providers_create_saml_assertions``,
``reference_policies_iam-condition-keys`` (``saml:sub`` in a trust policy and, as ``${saml:sub}``,
in the role's permissions), ``troubleshoot_saml`` (the refusals); STS API Reference
``API_AssumeRoleWithSAML``; AWS CLI Command Reference ``sts/assume-role-with-saml``,
``iam/create-saml-provider``.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import AwsCli, Keys, error_of, policy
from lxml import etree  # type: ignore[import-untyped]

from localiam.services.idp.saml import AssertionOptions, response, role_pair, signing_key
from localiam.state.store import Store, sqlite_url
from localiam.testing import LocaliamServer, run_server, saml_assertion, saml_metadata

NS = {"saml": "urn:oasis:names:tc:SAML:2.0:assertion"}
DENIED = "Not authorized to perform sts:AssumeRoleWithSAML"


def _trust(provider: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": provider},
                    "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
                    "Condition": {
                        "StringEquals": {"saml:sub": "alice", "saml:aud": "https://signin.aws.amazon.com/saml"}
                    },
                }
            ],
        }
    )


def _setup(server: LocaliamServer) -> tuple[str, str]:
    """The provider ``corp``, the role ``Dev`` and a bucket with a home folder per user; the
    role reads ``home/${saml:sub}/*`` when the session is tagged ``Dept=eng``."""
    iam, s3 = server.client("iam"), server.client("s3")
    provider = iam.create_saml_provider(Name="corp", SAMLMetadataDocument=saml_metadata(server, "corp"))[
        "SAMLProviderArn"
    ]
    role = iam.create_role(RoleName="Dev", AssumeRolePolicyDocument=_trust(provider))["Role"]["Arn"]
    iam.put_role_policy(
        RoleName="Dev",
        PolicyName="home",
        PolicyDocument=policy(
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::homes/${saml:sub}/*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/Dept": "eng"}},
            }
        ),
    )
    s3.create_bucket(Bucket="homes")
    s3.put_object(Bucket="homes", Key="alice/notes.txt", Body=b"alice's notes")
    s3.put_object(Bucket="homes", Key="bob/notes.txt", Body=b"bob's notes")
    return provider, role


def _assume(server: LocaliamServer, role: str, provider: str, assertion: str) -> Any:
    return server.client("sts").assume_role_with_saml(RoleArn=role, PrincipalArn=provider, SAMLAssertion=assertion)


def test_saml_happy_path_with_session_tags_and_saml_sub(server: LocaliamServer):
    provider, role = _setup(server)
    assertion = saml_assertion(server, role=role, subject="alice", tags={"Dept": "eng"})
    answer = _assume(server, role, provider, assertion)
    assert answer["Subject"] == "alice" and answer["SubjectType"] == "persistent"
    assert answer["Issuer"] == "https://localiam.test/idp/saml/corp"
    assert answer["Audience"] == "https://signin.aws.amazon.com/saml"
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{server.account_id}:assumed-role/Dev/alice"
    session = Keys.of_session(server, answer)
    identity = session.client("sts").get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{server.account_id}:assumed-role/Dev/alice"
    s3 = session.client("s3")
    assert s3.get_object(Bucket="homes", Key="alice/notes.txt")["Body"].read() == b"alice's notes"
    assert error_of(s3.get_object, Bucket="homes", Key="bob/notes.txt")["Code"] == "AccessDenied"

    untagged = Keys.of_session(
        server, _assume(server, role, provider, saml_assertion(server, role=role, subject="alice"))
    )
    assert error_of(untagged.client("s3").get_object, Bucket="homes", Key="alice/notes.txt")["Code"] == "AccessDenied"

    bob = saml_assertion(server, role=role, subject="bob", tags={"Dept": "eng"})
    err = error_of(_assume, server, role, provider, bob)
    assert (err["Code"], err["Message"]) == ("AccessDenied", DENIED)


def _xsw(server: LocaliamServer, role: str) -> str:
    """The IdP's signed Assertion for ``bob`` kept, an unsigned copy for ``alice`` put first."""
    key = signing_key(server.store, "corp")
    root = etree.fromstring(response(key, AssertionOptions("bob", roles=[role_pair(role, "corp")])))
    signed = root.find("saml:Assertion", NS)
    evil = copy.deepcopy(signed)
    evil.remove(evil.find("{http://www.w3.org/2000/09/xmldsig#}Signature"))
    evil.set("ID", "_evil")
    evil.find("saml:Subject/saml:NameID", NS).text = "alice"
    root.insert(2, evil)
    return base64.b64encode(etree.tostring(root)).decode()


def _other_idp(server: LocaliamServer, role: str) -> str:
    """Signed by IdP ``other``, whose entity id is made to look like ``corp``'s."""
    document = base64.b64decode(saml_assertion(server, role=role, subject="alice", name="other"))
    return base64.b64encode(document.replace(b"/idp/saml/other", b"/idp/saml/corp")).decode()


@pytest.mark.parametrize(
    ("make", "code", "message"),
    [
        pytest.param(
            lambda s, r: saml_assertion(s, role=r, subject="alice", sign="none"),
            "InvalidIdentityToken",
            "Response signature invalid",
            id="unsigned",
        ),
        pytest.param(_xsw, "InvalidIdentityToken", "Response signature invalid", id="xsw"),
        pytest.param(
            lambda s, r: saml_assertion(
                s, role=r, subject="alice", issued_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
            ),
            "ExpiredTokenException",
            "Response has expired",
            id="expired",
        ),
        pytest.param(
            lambda s, r: saml_assertion(s, role=r, subject="alice", audience="https://app.example.com/sp"),
            "InvalidIdentityToken",
            None,
            id="wrong-audience",
        ),
        pytest.param(
            lambda s, r: saml_assertion(s, role=r.replace("role/Dev", "role/Ops"), subject="alice"),
            "AccessDenied",
            DENIED,
            id="role-pair-not-in-assertion",
        ),
        pytest.param(_other_idp, "InvalidIdentityToken", "Response signature invalid", id="another-idp"),
    ],
)
def test_saml_refusals(server: LocaliamServer, make: Any, code: str, message: str | None):
    provider, role = _setup(server)
    err = error_of(_assume, server, role, provider, make(server, role))
    assert err["Code"] == code
    if message is not None:
        assert err["Message"] == message


def test_malformed_metadata_is_refused(server: LocaliamServer):
    iam = server.client("iam")
    good = saml_metadata(server, "corp")
    no_idp = good.replace("md:IDPSSODescriptor", "md:SPSSODescriptor")
    err = error_of(iam.create_saml_provider, Name="corp", SAMLMetadataDocument=no_idp)
    assert (err["Code"], err["Message"]) == ("InvalidInput", "Could not parse metadata.")
    assert iam.list_saml_providers()["SAMLProviderList"] == []


# --------------------------------------------------------------------------- the AWS CLI
@pytest.fixture
def data_server(tmp_path: Path):
    """A server on a data dir, so that ``localiam idp saml`` in another process shares its store."""
    directory = tmp_path / "data"
    directory.mkdir(mode=0o700)
    with run_server(Store(sqlite_url(directory))) as server:
        yield server, directory


def _localiam(*args: str, directory: Path) -> str:
    exe = Path(sys.executable).with_name("localiam")
    cli = [str(exe)] if exe.exists() else [sys.executable, "-c", "from localiam.cli import main; main()"]
    done = subprocess.run(
        [*cli, *args, "--data-dir", str(directory)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_aws_cli_assume_role_with_saml(data_server: tuple[LocaliamServer, Path], tmp_path: Path):
    server, directory = data_server
    work = tmp_path / "cli"
    work.mkdir()
    aws = AwsCli(server, work)
    (work / "metadata.xml").write_text(_localiam("idp", "saml", "metadata", "--name", "corp", directory=directory))
    created = aws.run(
        ["iam", "create-saml-provider", "--name", "corp", "--saml-metadata-document", "file://metadata.xml"]
    )
    assert created.returncode == 0, created.stderr
    provider = json.loads(created.stdout)["SAMLProviderArn"]
    trust = _trust(provider)
    made = aws.run(["iam", "create-role", "--role-name", "Dev", "--assume-role-policy-document", trust])
    assert made.returncode == 0, made.stderr
    role = json.loads(made.stdout)["Role"]["Arn"]
    assertion = _localiam(
        *("idp", "saml", "assertion", "--name", "corp", "--role", f"{role},{provider}", "--subject", "alice"),
        *("--attribute", "PrincipalTag:Dept=eng"),
        directory=directory,
    ).strip()
    args = ["sts", "assume-role-with-saml", "--role-arn", role, "--principal-arn", provider]
    done = aws.run([*args, "--saml-assertion", assertion])
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{server.account_id}:assumed-role/Dev/alice"
    assert answer["Subject"] == "alice" and answer["Credentials"]["AccessKeyId"].startswith("ASIA")

    bob = _localiam(
        *("idp", "saml", "assertion", "--name", "corp", "--role", role, "--subject", "bob"), directory=directory
    ).strip()
    refused = aws.run([*args, "--saml-assertion", bob])
    assert refused.returncode in (254, 255)
    assert "(AccessDenied)" in refused.stderr and DENIED in refused.stderr
