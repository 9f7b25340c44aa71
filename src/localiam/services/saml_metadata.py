"""SAML 2.0 IdP metadata, as IAM reads it for ``CreateSAMLProvider`` and ``UpdateSAMLProvider``
and as ``AssumeRoleWithSAML`` uses it: the issuer's name (``entityID``), the certificates that
sign its assertions, and ``validUntil``.

IAM User Guide ``id_roles_providers_create_saml``: the metadata document "includes the issuer's
name, expiration information, and keys that can be used to validate the SAML authentication
response (assertions) that are received from the IdP". ``troubleshoot_saml``, "Error: Could not
parse metadata.": a document that is not well-formed, has no ``IDPSSODescriptor`` or no signing
certificate is refused with ``InvalidInput`` "Could not parse metadata." (the X.509 certificate
"must use a key size of at least 1024 bits").

The document is untrusted input: it is parsed with ``defusedxml`` (no DTDs, no entities).
"""

from __future__ import annotations

import base64
import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped]

METADATA_NS = "urn:oasis:names:tc:SAML:2.0:metadata"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
SAML_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
MIN_KEY_BITS = 1024
PARSE_ERROR = "Could not parse metadata."


class MetadataError(ValueError):
    """The metadata cannot be used; the message is AWS's."""


@dataclass(frozen=True, slots=True)
class SamlMetadata:
    entity_id: str
    certificates: tuple[str, ...]
    """PEM texts of the IdP's signing certificates."""
    valid_until: float | None


def _md(tag: str) -> str:
    return f"{{{METADATA_NS}}}{tag}"


def _certificate(text: str) -> str:
    """The PEM of a ``ds:X509Certificate`` value (base64 DER), refused when it does not parse
    or its key is not RSA (of 1,024 bits or more) or EC."""
    try:
        der = base64.b64decode("".join(text.split()), validate=True)
        cert = x509.load_der_x509_certificate(der)
        key = cert.public_key()
    except (ValueError, TypeError) as exc:
        raise MetadataError(PARSE_ERROR) from exc
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_KEY_BITS:
        raise MetadataError(PARSE_ERROR)
    # RSA or EC: DSA signatures are deprecated (cryptography warns on DSA keys) and IdPs do not
    # sign SAML with them any more.
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise MetadataError(PARSE_ERROR)
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _valid_until(value: str | None) -> float | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise MetadataError(PARSE_ERROR) from exc
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()


def _entity(root: ET.Element) -> ET.Element:
    if root.tag == _md("EntityDescriptor"):
        return root
    if root.tag == _md("EntitiesDescriptor"):
        found = root.find(_md("EntityDescriptor"))
        if found is not None:
            return found
    raise MetadataError(PARSE_ERROR)


def parse_metadata(document: str) -> SamlMetadata:
    """The entity id, signing certificates and ``validUntil`` of an IdP's metadata.

    A ``KeyDescriptor`` without ``use`` serves for signing too (SAML metadata 2.4.1.1)."""
    try:
        root: ET.Element = fromstring(document.encode("utf-8"), forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        raise MetadataError(PARSE_ERROR) from exc
    entity = _entity(root)
    entity_id = entity.get("entityID")
    idp = entity.find(_md("IDPSSODescriptor"))
    if not entity_id or idp is None:
        raise MetadataError(PARSE_ERROR)
    if SAML_PROTOCOL not in (idp.get("protocolSupportEnumeration") or "").split():
        raise MetadataError(PARSE_ERROR)
    certificates: list[str] = []
    for descriptor in idp.findall(_md("KeyDescriptor")):
        if descriptor.get("use", "signing") != "signing":
            continue
        for value in descriptor.iter(f"{{{DSIG_NS}}}X509Certificate"):
            certificates.append(_certificate(value.text or ""))
    if not certificates:
        raise MetadataError(PARSE_ERROR)
    valid_until = _valid_until(entity.get("validUntil") or root.get("validUntil"))
    return SamlMetadata(entity_id, tuple(certificates), valid_until)
