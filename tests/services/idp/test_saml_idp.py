"""The test SAML IdP: its key lives in the store, its metadata carries the certificate, its
Responses are signed so that an independent verifier (signxml with the certificate from the
metadata, nothing from the document) accepts them, and they say what was asked."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from lxml import etree  # type: ignore[import-untyped]
from signxml.verifier import XMLVerifier

from localiam.services.idp.saml import (
    AWS_SIGN_IN,
    AssertionOptions,
    encoded_response,
    entity_id,
    existing_key,
    metadata,
    response,
    signing_key,
)
from localiam.services.saml_metadata import parse_metadata
from localiam.state.store import Store

NS = {
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
}
PAIR = "arn:aws:iam::111122223333:role/Dev,arn:aws:iam::111122223333:saml-provider/corp"


@pytest.fixture
def store():
    store = Store.ephemeral()
    yield store
    store.close()


def test_key_is_made_once_and_kept_in_the_store(store):
    assert existing_key(store, "corp") is None
    first = signing_key(store, "corp")
    again = signing_key(store, "corp")
    assert (again.private_key, again.certificate) == (first.private_key, first.certificate)
    assert signing_key(store, "other").certificate != first.certificate
    assert existing_key(store, "corp") == first


def test_metadata_names_the_entity_and_its_signing_certificate(store):
    key = signing_key(store, "corp")
    parsed = parse_metadata(metadata(key))
    assert parsed.entity_id == "https://localiam.test/idp/saml/corp" == entity_id("corp")
    assert parsed.certificates == (key.certificate,)
    assert len(metadata(key)) >= 1000  # CreateSAMLProvider's minimum length


@pytest.mark.parametrize("sign", ["assertion", "response", "both"])
def test_response_verifies_with_the_metadata_certificate(store, sign):
    key = signing_key(store, "corp")
    document = response(key, AssertionOptions(subject="alice", roles=[PAIR], sign=sign))
    certificate = parse_metadata(metadata(key)).certificates[0]
    signed = XMLVerifier().verify(document, x509_cert=certificate).signed_xml
    expected = "Assertion" if sign == "assertion" else "Response"
    assert etree.QName(signed).localname == expected


def test_unsigned_response_has_no_signature(store):
    document = response(signing_key(store, "corp"), AssertionOptions(subject="alice", sign="none"))
    assert etree.fromstring(document).find(".//ds:Signature", NS) is None


def test_response_says_what_was_asked(store):
    key = signing_key(store, "corp")
    issued = dt.datetime(2030, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
    options = AssertionOptions(
        subject="alice",
        roles=[PAIR],
        session_name="alice@example.com",
        tags={"Dept": "eng"},
        transitive_tag_keys=["Dept"],
        source_identity="alice",
        session_duration=1800,
        attributes={"urn:oid:1.3.6.1.4.1.5923.1.1.1.6": "alice@example.com"},
        issued_at=issued,
        valid_for=120,
    )
    root = etree.fromstring(base64.b64decode(encoded_response(key, options)))
    assertion = root.find("saml:Assertion", NS)
    assert assertion.findtext("saml:Issuer", namespaces=NS) == entity_id("corp")
    assert assertion.get("IssueInstant") == "2030-05-01T12:00:00.000Z"
    name_id = assertion.find("saml:Subject/saml:NameID", NS)
    assert (name_id.text, name_id.get("Format")) == ("alice", "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
    data = assertion.find("saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", NS)
    assert (data.get("Recipient"), data.get("NotOnOrAfter")) == (AWS_SIGN_IN, "2030-05-01T12:02:00.000Z")
    assert assertion.findtext("saml:Conditions/saml:AudienceRestriction/saml:Audience", namespaces=NS) == AWS_SIGN_IN
    attributes = {
        a.get("Name"): [v.text for v in a.findall("saml:AttributeValue", NS)]
        for a in assertion.iterfind("saml:AttributeStatement/saml:Attribute", NS)
    }
    aws = "https://aws.amazon.com/SAML/Attributes/"
    assert attributes == {
        aws + "Role": [PAIR],
        aws + "RoleSessionName": ["alice@example.com"],
        aws + "SessionDuration": ["1800"],
        aws + "PrincipalTag:Dept": ["eng"],
        aws + "TransitiveTagKeys": ["Dept"],
        aws + "SourceIdentity": ["alice"],
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.6": ["alice@example.com"],
    }
    # the signature sits right after the Issuer, as the SAML schema orders it
    assert etree.QName(assertion[1]).localname == "Signature"
