"""localiam's test SAML 2.0 identity provider: a signing key and certificate per IdP name, kept
in the store (:mod:`localiam.state.idp_store`), the IdP's metadata to upload with
``CreateSAMLProvider``, and signed ``Response`` documents for ``AssumeRoleWithSAML``.

A test IdP named ``NAME`` is the entity ``https://localiam.test/idp/saml/NAME``; that URL and
its ``/sso`` endpoint are identifiers only and are never fetched. Its assertions follow IAM User
Guide ``id_roles_providers_create_saml_assertions``: a ``Subject`` with a ``NameID`` and one
bearer ``SubjectConfirmation`` whose ``SubjectConfirmationData`` has ``Recipient`` and
``NotOnOrAfter``; an ``AudienceRestriction`` naming ``https://signin.aws.amazon.com/saml``; and
the attributes under ``https://aws.amazon.com/SAML/Attributes/`` (``Role``,
``RoleSessionName``, ``SessionDuration``, ``PrincipalTag:*``, ``TransitiveTagKeys``,
``SourceIdentity``). The Assertion is signed (enveloped XML signature, RSA-SHA256, exclusive
canonicalization), or the Response, or both (``sign``).

It stands in for a corporate IdP only inside localiam: the key is localiam's own.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree  # type: ignore[import-untyped]
from signxml.signer import XMLSigner

from localiam.state.idp_store import IdpKey, ensure_idp_key, idp_key
from localiam.state.store import Store

ENTITY_PREFIX = "https://localiam.test/idp/saml/"
AWS_SIGN_IN = "https://signin.aws.amazon.com/saml"
AWS_ATTRIBUTES = "https://aws.amazon.com/SAML/Attributes/"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
CERT_YEARS = 10


def entity_id(name: str) -> str:
    """The test IdP's entity id (its metadata's ``entityID``, its assertions' ``Issuer``)."""
    return ENTITY_PREFIX + name


def make_key(name: str) -> IdpKey:
    """A new RSA-2048 key and a self-signed certificate for the IdP ``name``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"localiam test SAML IdP {name}"[:64])])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365 * CERT_YEARS))
        .sign(key, hashes.SHA256())
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_id = cert.fingerprint(hashes.SHA256()).hex()[:16]
    return IdpKey("saml", name, key_id, private_pem, cert_pem)


def signing_key(store: Store, name: str) -> IdpKey:
    """The IdP's key, made and stored on first use."""
    return ensure_idp_key(store, "saml", name, lambda: make_key(name))


def existing_key(store: Store, name: str) -> IdpKey | None:
    with store.read() as tx:
        return idp_key(tx, "saml", name)


def _cert_body(key: IdpKey) -> str:
    assert key.certificate is not None
    lines = key.certificate.strip().splitlines()
    return "".join(line for line in lines if not line.startswith("-----"))


def metadata(key: IdpKey) -> str:
    """The IdP's ``EntityDescriptor``: an ``IDPSSODescriptor`` with the signing certificate."""
    md = f"{{{MD}}}"
    root = etree.Element(md + "EntityDescriptor", nsmap={"md": MD, "ds": DS}, entityID=entity_id(key.name))
    idp = etree.SubElement(
        root, md + "IDPSSODescriptor", WantAuthnRequestsSigned="false", protocolSupportEnumeration=SAMLP
    )
    descriptor = etree.SubElement(idp, md + "KeyDescriptor", use="signing")
    info = etree.SubElement(descriptor, f"{{{DS}}}KeyInfo")
    data = etree.SubElement(info, f"{{{DS}}}X509Data")
    etree.SubElement(data, f"{{{DS}}}X509Certificate").text = _cert_body(key)
    for fmt in (PERSISTENT, TRANSIENT):
        etree.SubElement(idp, md + "NameIDFormat").text = fmt
    etree.SubElement(
        idp,
        md + "SingleSignOnService",
        Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
        Location=entity_id(key.name) + "/sso",
    )
    return str(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode())


def attribute_name(name: str) -> str:
    """``PrincipalTag:Dept``, ``SourceIdentity`` ... are AWS's attributes
    (``https://aws.amazon.com/SAML/Attributes/...``); a URI or URN is used as it is."""
    if "://" in name or name.startswith("urn:"):
        return name
    return AWS_ATTRIBUTES + name


@dataclass(frozen=True, slots=True)
class AssertionOptions:
    """What a test Response says. ``roles`` are ``ROLE_ARN,PROVIDER_ARN`` pairs (either order);
    ``attributes`` maps an attribute name (:func:`attribute_name`) to its values."""

    subject: str
    roles: Sequence[str] = ()
    session_name: str | None = None
    """``RoleSessionName``; the subject when not given, none at all when ``""``."""
    name_id_format: str = PERSISTENT
    attributes: Mapping[str, str | Sequence[str]] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    transitive_tag_keys: Sequence[str] = ()
    source_identity: str | None = None
    session_duration: int | None = None
    session_not_on_or_after: dt.datetime | None = None
    audience: str = AWS_SIGN_IN
    recipient: str = AWS_SIGN_IN
    issued_at: dt.datetime | None = None
    """When the IdP issues it (now when not given); ``valid_for`` seconds from then."""
    valid_for: int = 300
    sign: str = "assertion"
    """``assertion``, ``response``, ``both`` or ``none``."""


def _time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _id() -> str:
    return "_" + secrets.token_hex(16)


def _all_attributes(options: AssertionOptions) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}

    def put(name: str, values: str | Sequence[str]) -> None:
        out.setdefault(attribute_name(name), []).extend([values] if isinstance(values, str) else list(values))

    if options.roles:
        put("Role", list(options.roles))
    session_name = options.subject if options.session_name is None else options.session_name
    if session_name:
        put("RoleSessionName", session_name)
    if options.session_duration is not None:
        put("SessionDuration", str(options.session_duration))
    for key, value in options.tags.items():
        put(f"PrincipalTag:{key}", value)
    if options.transitive_tag_keys:
        put("TransitiveTagKeys", list(options.transitive_tag_keys))
    if options.source_identity is not None:
        put("SourceIdentity", options.source_identity)
    for name, values in options.attributes.items():
        put(name, values)
    return out


def _assertion(key: IdpKey, options: AssertionOptions, issued: dt.datetime) -> etree._Element:
    s = f"{{{SAML}}}"
    expires = issued + dt.timedelta(seconds=options.valid_for)
    assertion = etree.Element(
        s + "Assertion", nsmap={"saml": SAML}, ID=_id(), Version="2.0", IssueInstant=_time(issued)
    )
    etree.SubElement(assertion, s + "Issuer").text = entity_id(key.name)
    subject = etree.SubElement(assertion, s + "Subject")
    etree.SubElement(subject, s + "NameID", Format=options.name_id_format).text = options.subject
    confirmation = etree.SubElement(subject, s + "SubjectConfirmation", Method=BEARER)
    etree.SubElement(
        confirmation, s + "SubjectConfirmationData", NotOnOrAfter=_time(expires), Recipient=options.recipient
    )
    conditions = etree.SubElement(assertion, s + "Conditions", NotBefore=_time(issued), NotOnOrAfter=_time(expires))
    restriction = etree.SubElement(conditions, s + "AudienceRestriction")
    etree.SubElement(restriction, s + "Audience").text = options.audience
    statement = etree.SubElement(assertion, s + "AuthnStatement", AuthnInstant=_time(issued), SessionIndex=_id())
    if options.session_not_on_or_after is not None:
        statement.set("SessionNotOnOrAfter", _time(options.session_not_on_or_after))
    context = etree.SubElement(statement, s + "AuthnContext")
    etree.SubElement(
        context, s + "AuthnContextClassRef"
    ).text = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
    attributes = _all_attributes(options)
    if attributes:
        holder = etree.SubElement(assertion, s + "AttributeStatement")
        for name, values in attributes.items():
            attribute = etree.SubElement(holder, s + "Attribute", Name=name)
            for value in values:
                etree.SubElement(attribute, s + "AttributeValue").text = value
    return assertion


def _sign(key: IdpKey, element: etree._Element, after: etree._Element) -> etree._Element:
    """``element`` with an enveloped signature placed after ``after`` (its ``Issuer``), as the
    SAML schema orders it."""
    placeholder = etree.Element(f"{{{DS}}}Signature", Id="placeholder", nsmap={"ds": DS})
    after.addnext(placeholder)
    signer = XMLSigner(c14n_algorithm=EXC_C14N)
    signed: etree._Element = signer.sign(
        element, key=key.private_key, cert=key.certificate, reference_uri=element.get("ID")
    )
    return signed


def response(key: IdpKey, options: AssertionOptions) -> bytes:
    """A SAML ``Response`` carrying one assertion, as XML bytes."""
    issued = options.issued_at or dt.datetime.now(dt.UTC)
    p = f"{{{SAMLP}}}"
    assertion = _assertion(key, options, issued)
    if options.sign in ("assertion", "both"):
        assertion = _sign(key, assertion, assertion[0])
    root = etree.Element(
        p + "Response",
        nsmap={"samlp": SAMLP, "saml": SAML},
        ID=_id(),
        Version="2.0",
        IssueInstant=_time(issued),
        Destination=options.recipient,
    )
    etree.SubElement(root, f"{{{SAML}}}Issuer").text = entity_id(key.name)
    status = etree.SubElement(root, p + "Status")
    etree.SubElement(status, p + "StatusCode", Value=SUCCESS)
    root.append(assertion)
    if options.sign in ("response", "both"):
        root = _sign(key, root, root[0])
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def encoded_response(key: IdpKey, options: AssertionOptions) -> str:
    """The base64 ``SAMLResponse`` a browser would post, what ``SAMLAssertion`` takes."""
    return base64.b64encode(response(key, options)).decode("ascii")


def role_pair(role: str, name: str) -> str:
    """``ROLE_ARN,PROVIDER_ARN`` for the ``Role`` attribute; a role ARN alone is paired with the
    IAM SAML provider ``name`` of the role's account."""
    if "," in role:
        return role
    account = role.split(":")[4] if role.count(":") >= 5 else ""
    return f"{role},arn:aws:iam::{account}:saml-provider/{name}"
