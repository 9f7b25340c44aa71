"""``AssumeRoleWithSAML`` against the test IdP: what is verified, what the trust policy and the
session see, and AWS's error for each refusal.

Pages: STS API Reference ``API_AssumeRoleWithSAML``; IAM User Guide ``id_roles_providers_saml``,
``id_roles_providers_create_saml_assertions``, ``troubleshoot_saml``,
``reference_policies_iam-condition-keys`` ("Available keys for SAML-based AWS STS federation").
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
from typing import Any

import pytest
from lxml import etree  # type: ignore[import-untyped]
from signxml.signer import XMLSigner
from sts_harness import World, allow, check_output

from localiam.errors import AccessDenied, AwsError
from localiam.services.base import OperationContext
from localiam.services.idp.saml import AssertionOptions, encoded_response, entity_id, metadata, response, signing_key
from localiam.services.sts import SERVICE as STS
from localiam.state import schema
from localiam.state.accounts import lookup_key

A = "111111111111"
PROVIDER = f"arn:aws:iam::{A}:saml-provider/corp"
ROLE = f"arn:aws:iam::{A}:role/Dev"
PAIR = f"{ROLE},{PROVIDER}"
NS = {"saml": "urn:oasis:names:tc:SAML:2.0:assertion", "samlp": "urn:oasis:names:tc:SAML:2.0:protocol"}
EPPN = "urn:oid:1.3.6.1.4.1.5923.1.1.1.6"


def saml_trust(**condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Federated": PROVIDER},
        "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession", "sts:SetSourceIdentity"],
    }
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def add_provider(world: World, name: str = "corp", document: str | None = None, account: str = A) -> str:
    document = document or metadata(signing_key(world.store, name))
    arn = f"arn:aws:iam::{account}:saml-provider/{name}"
    with world.tx() as tx:
        tx.execute(
            schema.saml_providers.insert().values(
                arn=arn, account_id=account, name=name, metadata_document=document, created_at=tx.now
            )
        )
    return arn


@pytest.fixture
def saml(world: World) -> World:
    world.account(A)
    add_provider(world)
    world.role(
        A,
        "Dev",
        saml_trust(StringEquals={"saml:sub": "alice"}),
        inline=[allow("s3:GetObject", "arn:aws:s3:::home/${saml:sub}/*")],
        max_session_duration=7200,
    )
    return world


def assertion(world: World, idp: str = "corp", **options: Any) -> str:
    options.setdefault("roles", [PAIR])
    options.setdefault("subject", "alice")
    return encoded_response(signing_key(world.store, idp), AssertionOptions(**options))


def call(world: World, saml_assertion: str, **params: Any) -> dict[str, Any]:
    """The operation as the server runs an unsigned request: no caller."""
    request = {"RoleArn": ROLE, "PrincipalArn": PROVIDER, "SAMLAssertion": saml_assertion, **params}
    with world.tx() as tx:
        ctx = OperationContext(world.store, world.authz, tx, None, STS, clock=world.now)
        result = STS.operations["AssumeRoleWithSAML"].handler(ctx, request)
    check_output("sts", "AssumeRoleWithSAML", result)
    return result


def error(world: World, saml_assertion: str, **params: Any) -> AwsError:
    with pytest.raises(AwsError) as caught:
        call(world, saml_assertion, **params)
    return caught.value


def expected_qualifier(issuer: str, account: str, name: str) -> str:
    return base64.b64encode(hashlib.sha1((issuer + account + "/" + name).encode()).digest()).decode()


# ----------------------------------------------------------------------------- accepted
def test_happy_path_result_as_aws_returns_it(saml: World):
    result = call(saml, assertion(saml))
    assert result["Subject"] == "alice"
    assert result["SubjectType"] == "persistent"
    assert result["Issuer"] == entity_id("corp")
    assert result["Audience"] == "https://signin.aws.amazon.com/saml"
    assert result["NameQualifier"] == expected_qualifier(entity_id("corp"), A, "corp")
    assert result["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{A}:assumed-role/Dev/alice"
    assert result["AssumedRoleUser"]["AssumedRoleId"].endswith(":alice")
    lasts = result["Credentials"]["Expiration"].timestamp() - saml.now()
    assert 3590 < lasts <= 3601
    assert "SourceIdentity" not in result and "PackedPolicySize" not in result


@pytest.mark.parametrize("sign", ["response", "both"])
def test_a_signed_response_is_accepted_too(saml: World, sign: str):
    assert call(saml, assertion(saml, sign=sign))["Subject"] == "alice"


def test_session_keeps_saml_sub_for_its_policies(saml: World):
    key = call(saml, assertion(saml))["Credentials"]["AccessKeyId"]
    assert saml.decide(key, "s3:GetObject", "arn:aws:s3:::home/alice/notes.txt").allowed
    assert not saml.decide(key, "s3:GetObject", "arn:aws:s3:::home/bob/notes.txt").allowed


def test_session_tags_and_source_identity(saml: World):
    result = call(
        saml, assertion(saml, tags={"Dept": "eng"}, transitive_tag_keys=["Dept"], source_identity="alice-src")
    )
    assert result["SourceIdentity"] == "alice-src"
    assert isinstance(result["PackedPolicySize"], int)
    key = result["Credentials"]["AccessKeyId"]
    with saml.tx() as tx:
        session = lookup_key(tx, key).session
    assert session["tags"] == {"Dept": "eng"} and list(session["transitive_tag_keys"]) == ["Dept"]
    assert session["source_identity"] == "alice-src"


def test_tags_need_sts_tag_session(saml: World):
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Federated": PROVIDER}, "Action": "sts:AssumeRoleWithSAML"}],
    }
    with saml.tx() as tx:
        tx.execute(schema.roles.update().where(schema.roles.c.name == "Dev").values(trust_policy=json.dumps(trust)))
        tx.touch(A)
    assert call(saml, assertion(saml))["Subject"] == "alice"
    err = error(saml, assertion(saml, tags={"Dept": "eng"}))
    assert isinstance(err, AccessDenied) and err.message == "Not authorized to perform sts:AssumeRoleWithSAML"


@pytest.mark.parametrize(
    ("condition", "allowed"),
    [
        ({"StringEquals": {"saml:aud": "https://signin.aws.amazon.com/saml"}}, True),
        ({"StringEquals": {"saml:iss": "https://localiam.test/idp/saml/corp"}}, True),
        ({"StringEquals": {"saml:doc": f"{A}/corp"}}, True),
        ({"StringEquals": {"saml:sub_type": "persistent"}}, True),
        ({"StringLike": {"saml:edupersonprincipalname": "*@example.com"}}, True),
        ({"StringLike": {"saml:edupersonprincipalname": "*@other.example"}}, False),
        ({"ForAnyValue:StringEquals": {"saml:edupersonaffiliation": "staff"}}, True),
        ({"StringEquals": {"saml:sub": "bob"}}, False),
        ({"StringEquals": {"sts:RoleSessionName": "alice"}}, True),
    ],
)
def test_trust_policy_sees_the_saml_keys(saml: World, condition: dict[str, Any], allowed: bool):
    with saml.tx() as tx:
        tx.execute(
            schema.roles.update()
            .where(schema.roles.c.name == "Dev")
            .values(trust_policy=json.dumps(saml_trust(**condition)))
        )
        tx.touch(A)
    attributes = {EPPN: "alice@example.com", "urn:oid:1.3.6.1.4.1.5923.1.1.1.1": ["member", "staff"]}
    if allowed:
        assert call(saml, assertion(saml, attributes=attributes))["Subject"] == "alice"
    else:
        err = error(saml, assertion(saml, attributes=attributes))
        assert (err.code, err.message) == ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML")


def test_namequalifier_in_the_trust_policy(saml: World):
    qualifier = expected_qualifier(entity_id("corp"), A, "corp")
    with saml.tx() as tx:
        trust = saml_trust(StringEquals={"saml:namequalifier": qualifier})
        tx.execute(schema.roles.update().where(schema.roles.c.name == "Dev").values(trust_policy=json.dumps(trust)))
        tx.touch(A)
    assert call(saml, assertion(saml))["NameQualifier"] == qualifier


def test_transient_and_other_formats(saml: World):
    with saml.tx() as tx:
        tx.execute(
            schema.roles.update().where(schema.roles.c.name == "Dev").values(trust_policy=json.dumps(saml_trust()))
        )
        tx.touch(A)
    transient = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
    assert call(saml, assertion(saml, name_id_format=transient))["SubjectType"] == "transient"
    email = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    assert call(saml, assertion(saml, name_id_format=email))["SubjectType"] == email


def test_role_pair_in_either_order(saml: World):
    assert call(saml, assertion(saml, roles=[f"{PROVIDER},{ROLE}"]))["Subject"] == "alice"


def test_session_duration_shortens_and_session_not_on_or_after_caps(saml: World):
    result = call(saml, assertion(saml, session_duration=1800))
    assert abs(result["Credentials"]["Expiration"].timestamp() - (saml.now() + 1800)) < 5
    ends = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=20)
    result = call(saml, assertion(saml, session_not_on_or_after=ends), DurationSeconds=7200)
    assert abs(result["Credentials"]["Expiration"].timestamp() - ends.timestamp()) < 5
    result = call(saml, assertion(saml), DurationSeconds=7200)
    assert abs(result["Credentials"]["Expiration"].timestamp() - (saml.now() + 7200)) < 5
    err = error(saml, assertion(saml), DurationSeconds=43200)
    assert err.message == "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."


# ----------------------------------------------------------------------------- refused
def test_unsigned_assertion_is_refused(saml: World):
    err = error(saml, assertion(saml, sign="none"))
    assert (err.code, err.status, err.message) == ("InvalidIdentityToken", 400, "Response signature invalid")


def test_assertion_of_another_idp_is_refused(saml: World):
    err = error(saml, assertion(saml, idp="intruder"))
    assert (err.code, err.message) == ("InvalidIdentityToken", "Response signature invalid")


def test_tampered_signed_assertion_is_refused(saml: World):
    document = base64.b64decode(assertion(saml)).replace(b">alice<", b">mallory<")
    err = error(saml, base64.b64encode(document).decode())
    assert (err.code, err.message) == ("InvalidIdentityToken", "Response signature invalid")


def _xsw(world: World, *, wrap: bool) -> str:
    """An XML signature wrapping attack: the IdP's signed Assertion for alice stays (so the
    signature still verifies), and an unsigned Assertion for ``admin`` is put first, where a
    reader that takes "the first Assertion" looks; with ``wrap`` the signed one is moved into
    the evil one's Advice instead."""
    legit = etree.fromstring(response(signing_key(world.store, "corp"), AssertionOptions("alice", roles=[PAIR])))
    signed = legit.find("saml:Assertion", NS)
    evil = copy.deepcopy(signed)
    evil.remove(evil.find("{http://www.w3.org/2000/09/xmldsig#}Signature"))
    evil.set("ID", "_evil")
    evil.find("saml:Subject/saml:NameID", NS).text = "admin"
    if wrap:
        legit.remove(signed)
        advice = etree.SubElement(evil, "{urn:oasis:names:tc:SAML:2.0:assertion}Advice")
        advice.append(signed)
    legit.insert(2, evil)
    return base64.b64encode(etree.tostring(legit)).decode()


@pytest.mark.parametrize("wrap", [False, True])
def test_xml_signature_wrapping_is_refused(saml: World, wrap: bool):
    with saml.tx() as tx:
        trust = saml_trust()  # any subject: only the signature stands between admin and the role
        tx.execute(schema.roles.update().where(schema.roles.c.name == "Dev").values(trust_policy=json.dumps(trust)))
        tx.touch(A)
    err = error(saml, _xsw(saml, wrap=wrap))
    assert (err.code, err.message) == ("InvalidIdentityToken", "Response signature invalid")


def test_claims_come_from_the_signed_element_only(saml: World):
    """An unsigned Response around a signed Assertion: the Response's own Issuer may say
    anything; the Assertion's (signed) Issuer is the one checked and returned."""
    document = base64.b64decode(assertion(saml))
    root = etree.fromstring(document)
    root.find("saml:Issuer", NS).text = "https://evil.example/idp"
    result = call(saml, base64.b64encode(etree.tostring(root)).decode())
    assert result["Issuer"] == entity_id("corp")


def test_expired_assertion_is_refused(saml: World):
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    err = error(saml, assertion(saml, issued_at=old, valid_for=300))
    assert (err.code, err.status, err.message) == ("ExpiredTokenException", 400, "Response has expired")
    err = error(saml, assertion(saml, issued_at=old, valid_for=3600))
    assert (err.code, err.message) == ("ExpiredTokenException", "Token must be redeemed within 5 minutes of issuance")
    future = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
    assert error(saml, assertion(saml, issued_at=future)).code == "InvalidIdentityToken"


def test_wrong_audience_or_recipient_is_refused(saml: World):
    err = error(saml, assertion(saml, audience="https://app.example.com/sp"))
    assert err.code == "InvalidIdentityToken" and "audience" in err.message
    err = error(saml, assertion(saml, recipient="https://app.example.com/acs"))
    assert err.code == "InvalidIdentityToken" and "Recipient" in err.message
    assert call(saml, assertion(saml, audience="urn:amazon:webservices"))["Subject"] == "alice"
    regional = "https://eu-west-1.signin.aws.amazon.com/saml"
    assert call(saml, assertion(saml, recipient=regional))["Audience"] == regional


def test_role_pair_not_in_the_assertion_is_refused(saml: World):
    other = f"arn:aws:iam::{A}:role/Other,{PROVIDER}"
    err = error(saml, assertion(saml, roles=[other]))
    assert (err.code, err.status, err.message) == (
        "AccessDenied",
        403,
        "Not authorized to perform sts:AssumeRoleWithSAML",
    )
    assert error(saml, assertion(saml, roles=[])).code == "AccessDenied"


def test_provider_that_does_not_exist(saml: World):
    err = error(saml, assertion(saml), PrincipalArn=f"arn:aws:iam::{A}:saml-provider/nope")
    assert (err.code, err.message) == ("InvalidIdentityToken", "Specified provider doesn't exist.")


def test_issuer_not_the_providers(saml: World):
    document = metadata(signing_key(saml.store, "corp")).replace(entity_id("corp"), "https://idp.example.com", 1)
    arn = add_provider(saml, "renamed", document)
    roles = [f"{ROLE},{arn}"]
    err = error(saml, assertion(saml, roles=roles), PrincipalArn=arn)
    assert (err.code, err.message) == ("InvalidIdentityToken", "Issuer not present in specified provider")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"session_name": ""}, "RoleSessionName is required in AuthnResponse"),
        ({"session_name": "John Doe"}, "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}"),
        (
            {"source_identity": "aws:me"},
            'Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with "aws:"',
        ),
    ],
)
def test_attribute_errors_in_aws_wording(saml: World, options: dict[str, Any], message: str):
    err = error(saml, assertion(saml, **options))
    assert (err.code, err.message) == ("InvalidIdentityToken", message)


def test_missing_name_id_is_access_denied(saml: World):
    """``troubleshoot_saml``: "This error can also occur if the SAML response does not include a
    Subject containing a NameID"; the IdP's key signs an Assertion without one."""
    key = signing_key(saml.store, "corp")
    root = etree.fromstring(response(key, AssertionOptions("alice", roles=[PAIR], sign="none")))
    unsigned = root.find("saml:Assertion", NS)
    name_id = unsigned.find("saml:Subject/saml:NameID", NS)
    name_id.getparent().remove(name_id)
    index = root.index(unsigned)
    root.remove(unsigned)
    ds = "http://www.w3.org/2000/09/xmldsig#"
    unsigned[0].addnext(etree.Element(f"{{{ds}}}Signature", Id="placeholder", nsmap={"ds": ds}))
    signed = XMLSigner(c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#").sign(
        unsigned, key=key.private_key, cert=key.certificate, reference_uri=unsigned.get("ID")
    )
    root.insert(index, signed)
    err = error(saml, base64.b64encode(etree.tostring(root)).decode())
    assert (err.code, err.message) == ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML")


def test_idp_failure_status_is_idp_rejected_claim(saml: World):
    document = base64.b64decode(assertion(saml)).replace(b"status:Success", b"status:Requester")
    err = error(saml, base64.b64encode(document).decode())
    assert (err.code, err.status) == ("IDPRejectedClaim", 403)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("not base64!", id="base64"),
        pytest.param(base64.b64encode(b"<not-xml").decode(), id="not-xml"),
        pytest.param(
            base64.b64encode(
                b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "x">]>'
                b'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&e;</samlp:Response>'
            ).decode(),
            id="dtd",
        ),
    ],
)
def test_undecodable_documents_are_invalid_identity_tokens(saml: World, raw: str):
    assert error(saml, raw).code == "InvalidIdentityToken"
