"""Reading a SAML ``Response`` for ``AssumeRoleWithSAML``: decode, verify the XML signature
against the IAM SAML provider's certificates, and read the claims of the signed Assertion only.

- The document is untrusted: it is parsed with ``defusedxml`` first (no DTD, no entities), then
  handed to ``signxml``, which verifies the enveloped signature of the Response or of the
  Assertion with the certificates of the provider's metadata (never a certificate the document
  carries). The claims are read from the element ``signxml`` returns as signed, nothing else:
  a Response whose unsigned parts say something else (an XML signature wrapping attack, where
  an unsigned Assertion sits where a naive reader looks) cannot change them. A Response must
  hold exactly one Assertion.
- The checks of IAM User Guide ``id_roles_providers_create_saml_assertions``: the ``Issuer`` is
  the provider's ``entityID``; exactly one bearer ``SubjectConfirmation`` whose
  ``SubjectConfirmationData`` has ``NotOnOrAfter`` and a ``Recipient`` that is AWS's sign-in
  endpoint (``https://signin.aws.amazon.com/saml``, a regional
  ``https://REGION.signin.aws.amazon.com/saml``, or its ``/acs/ID`` form); every
  ``AudienceRestriction`` names AWS (one of those URLs, or ``urn:amazon:webservices``); the
  assertion's ``NotBefore``/``NotOnOrAfter`` hold now.
- AWS's wording: ``InvalidIdentityToken`` "Response signature invalid" (``troubleshoot_saml``);
  ``ExpiredTokenException`` "Response has expired" once ``NotOnOrAfter`` has passed, and "Token
  must be redeemed within 5 minutes of issuance" for an assertion issued longer ago (both as
  AWS answers them to SAML clients); a ``Status`` other than Success is the IdP's refusal,
  ``IDPRejectedClaim`` (403, ``API_AssumeRoleWithSAML``). Other messages are localiam's.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped]
from lxml import etree  # type: ignore[import-untyped]
from signxml.exceptions import InvalidInput, SignXMLException
from signxml.verifier import XMLVerifier

from localiam.errors import AwsError, client_error

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
AWS_ENDPOINT = re.compile(r"https://(?:[a-z0-9-]+\.)?signin\.aws\.amazon\.com/saml(?:/acs/[A-Za-z0-9-]+)?")
AWS_AUDIENCE_URN = "urn:amazon:webservices"
REDEEM_WITHIN = 300
"""Seconds after its ``IssueInstant`` within which an assertion must be used."""
CLOCK_SKEW = 60
"""Seconds an assertion's ``NotBefore``/``IssueInstant`` may lie ahead of localiam's clock."""
MAX_DOCUMENT = 100_000


def invalid_token(message: str) -> AwsError:
    return client_error("InvalidIdentityToken", message)


def expired_token(message: str) -> AwsError:
    return client_error("ExpiredTokenException", message)


def idp_rejected(message: str) -> AwsError:
    return client_error("IDPRejectedClaim", message, status=403)


SIGNATURE_INVALID = "Response signature invalid"


@dataclass(frozen=True, slots=True)
class SamlClaims:
    """What a verified Assertion says; times are epoch seconds."""

    issuer: str
    issue_instant: float
    subject: str | None
    subject_format: str | None
    recipient: str
    confirmation_not_on_or_after: float
    not_before: float | None
    not_on_or_after: float | None
    audiences: tuple[tuple[str, ...], ...]
    """The ``Audience`` values of each ``AudienceRestriction``."""
    session_not_on_or_after: float | None
    attributes: dict[str, tuple[str, ...]]
    """Attribute values by ``Name``; a name given twice keeps all values."""


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def decode(assertion: object) -> bytes:
    if not isinstance(assertion, str):
        raise invalid_token("Invalid base64 SAMLResponse")
    try:
        data = base64.b64decode("".join(assertion.split()), validate=True)
    except (binascii.Error, ValueError):
        raise invalid_token("Invalid base64 SAMLResponse") from None
    if len(data) > MAX_DOCUMENT:
        raise invalid_token("Invalid SAML response")
    return data


def _screen(data: bytes) -> ET.Element:
    """The document parsed with defusedxml, so that nothing with a DTD or entities goes on."""
    try:
        root: ET.Element = fromstring(data, forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException, ValueError):
        raise invalid_token("Invalid SAML response") from None
    if root.tag != _q(SAMLP, "Response"):
        raise invalid_token("Invalid SAML response")
    status = root.find(f"{_q(SAMLP, 'Status')}/{_q(SAMLP, 'StatusCode')}")
    if status is None or status.get("Value") != SUCCESS:
        raise idp_rejected("The identity provider reported that authentication failed.")
    if root.find(f".//{_q(SAML, 'EncryptedAssertion')}") is not None:
        raise invalid_token("Encrypted assertions are not supported by localiam")
    if len(root.findall(f".//{_q(SAML, 'Assertion')}")) != 1:
        raise invalid_token(SIGNATURE_INVALID)
    return root


def _verify(data: bytes, certificates: Sequence[str]) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    for certificate in certificates:
        try:
            result = XMLVerifier().verify(data, x509_cert=certificate, parser=parser)
        except (SignXMLException, InvalidInput, ValueError):
            continue
        signed = result[0] if isinstance(result, list) else result
        element: etree._Element = signed.signed_xml
        return element
    raise invalid_token(SIGNATURE_INVALID)


def signed_assertion(data: bytes, certificates: Sequence[str]) -> etree._Element:
    """The Assertion covered by a signature one of ``certificates`` verifies: the signed
    Assertion itself, or the one Assertion of a signed Response."""
    _screen(data)
    signed = _verify(data, certificates)
    if signed.tag == _q(SAML, "Assertion"):
        return signed
    if signed.tag == _q(SAMLP, "Response"):
        inner = signed.findall(_q(SAML, "Assertion"))
        if len(inner) == 1:
            return inner[0]
    raise invalid_token(SIGNATURE_INVALID)


def _moment(value: str | None, what: str) -> float:
    if not value:
        raise invalid_token(f"Invalid SAML response: {what} is missing")
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise invalid_token(f"Invalid SAML response: {what} is not a dateTime") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()


def _optional_moment(value: str | None, what: str) -> float | None:
    return None if value is None else _moment(value, what)


def _confirmation(assertion: etree._Element) -> tuple[str, float]:
    confirmations = assertion.findall(f"{_q(SAML, 'Subject')}/{_q(SAML, 'SubjectConfirmation')}")
    if len(confirmations) != 1 or confirmations[0].get("Method") != BEARER:
        raise invalid_token("The SAML response must include exactly one bearer SubjectConfirmation")
    data = confirmations[0].find(_q(SAML, "SubjectConfirmationData"))
    if data is None or not data.get("Recipient") or not data.get("NotOnOrAfter"):
        raise invalid_token("SubjectConfirmationData must include both NotOnOrAfter and Recipient")
    return str(data.get("Recipient")), _moment(data.get("NotOnOrAfter"), "SubjectConfirmationData NotOnOrAfter")


def read_claims(assertion: etree._Element) -> SamlClaims:
    """The claims of a signed Assertion."""
    issuer = assertion.findtext(_q(SAML, "Issuer"))
    if not issuer or not issuer.strip():
        raise invalid_token("Invalid SAML response: the Assertion has no Issuer")
    name_id = assertion.find(f"{_q(SAML, 'Subject')}/{_q(SAML, 'NameID')}")
    recipient, confirmed_until = _confirmation(assertion)
    conditions = assertion.find(_q(SAML, "Conditions"))
    audiences: list[tuple[str, ...]] = []
    if conditions is not None:
        for restriction in conditions.findall(_q(SAML, "AudienceRestriction")):
            audiences.append(tuple((a.text or "").strip() for a in restriction.findall(_q(SAML, "Audience"))))
    session_until: float | None = None
    for statement in assertion.findall(_q(SAML, "AuthnStatement")):
        until = _optional_moment(statement.get("SessionNotOnOrAfter"), "SessionNotOnOrAfter")
        if until is not None:
            session_until = until if session_until is None else min(session_until, until)
    attributes: dict[str, tuple[str, ...]] = {}
    for attribute in assertion.iter(_q(SAML, "Attribute")):
        name = attribute.get("Name")
        if not name:
            continue
        values = tuple((v.text or "").strip() for v in attribute.findall(_q(SAML, "AttributeValue")))
        attributes[name] = attributes.get(name, ()) + values
    subject = (name_id.text or "").strip() if name_id is not None else None
    return SamlClaims(
        issuer=issuer.strip(),
        issue_instant=_moment(assertion.get("IssueInstant"), "IssueInstant"),
        subject=subject or None,
        subject_format=name_id.get("Format") if name_id is not None else None,
        recipient=recipient,
        confirmation_not_on_or_after=confirmed_until,
        not_before=_optional_moment(conditions.get("NotBefore") if conditions is not None else None, "NotBefore"),
        not_on_or_after=_optional_moment(
            conditions.get("NotOnOrAfter") if conditions is not None else None, "NotOnOrAfter"
        ),
        audiences=tuple(audiences),
        session_not_on_or_after=session_until,
        attributes=attributes,
    )


def check_claims(claims: SamlClaims, *, entity_id: str, now: float) -> None:
    """Issuer, recipient, audience and validity window."""
    if claims.issuer != entity_id:
        raise invalid_token("Issuer not present in specified provider")
    if not AWS_ENDPOINT.fullmatch(claims.recipient):
        raise invalid_token(f"Invalid SAML response: Recipient {claims.recipient} is not an AWS sign-in endpoint")
    if not claims.audiences:
        raise invalid_token("Invalid SAML response: the Assertion has no AudienceRestriction for AWS")
    for restriction in claims.audiences:
        if not any(a == AWS_AUDIENCE_URN or AWS_ENDPOINT.fullmatch(a) for a in restriction):
            raise invalid_token(
                f"Invalid SAML response: audience {', '.join(restriction) or '(none)'} does not include AWS"
            )
    if claims.issue_instant > now + CLOCK_SKEW or (
        claims.not_before is not None and claims.not_before > now + CLOCK_SKEW
    ):
        raise invalid_token("Invalid SAML response: the assertion is not yet valid")
    ends = [claims.confirmation_not_on_or_after]
    if claims.not_on_or_after is not None:
        ends.append(claims.not_on_or_after)
    if claims.session_not_on_or_after is not None:
        ends.append(claims.session_not_on_or_after)
    if min(ends) <= now:
        raise expired_token("Response has expired")
    if now - claims.issue_instant > REDEEM_WITHIN:
        raise expired_token("Token must be redeemed within 5 minutes of issuance")
