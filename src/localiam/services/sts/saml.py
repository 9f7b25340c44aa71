"""``AssumeRoleWithSAML``: a role session for a user a SAML 2.0 identity provider vouches for
(``API_AssumeRoleWithSAML``; IAM User Guide ``id_roles_providers_saml``,
``id_roles_providers_create_saml_assertions``, ``troubleshoot_saml``).

The call is unsigned. ``PrincipalArn`` names the IAM SAML provider whose metadata's certificates
must verify the Response (:mod:`.saml_assertion`); its ``Role`` attribute must list the pair
``RoleArn,PrincipalArn`` (in either order), and the role's trust policy decides
(:mod:`.federated`) with the keys of "Available keys for SAML-based AWS STS federation"
(``reference_policies_iam-condition-keys``):

- ``saml:aud`` (the ``Recipient``, not the ``Audience``), ``saml:iss``, ``saml:doc``
  (``ACCOUNT/PROVIDER-NAME``), ``saml:sub``, ``saml:sub_type`` (``persistent``,
  ``transient`` or the full ``Format`` URI), ``saml:namequalifier``
  (``BASE64(SHA1(Issuer + ACCOUNT + "/" + PROVIDER-NAME))``, the pseudocode of
  ``API_AssumeRoleWithSAML``'s ``NameQualifier``), and the eduPerson, eduOrg, Active Directory
  and X.500 attributes of "Mapping SAML attributes to AWS trust policy context keys".
- ``saml:namequalifier``, ``saml:sub`` and ``saml:sub_type`` are also the keys of "SAML role
  permissions policies": the role session keeps them for its own requests (``${saml:sub}``).

The attributes ``RoleSessionName`` (required), ``SourceIdentity``, ``PrincipalTag:*`` and
``TransitiveTagKeys`` make the session's name, source identity and tags; ``SessionDuration``
"can be used to *shorten* the duration of the session", and the session lasts at most until
``SessionNotOnOrAfter``. AWS's wording (``troubleshoot_saml``): "RoleSessionName is required in
AuthnResponse", "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
"Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with "aws:"" and
"Specified provider doesn't exist." (``InvalidIdentityToken``); a Response without a
``NameID``, a role not in the ``Role`` attribute and a trust policy that does not allow are
``AccessDenied`` "Not authorized to perform sts:AssumeRoleWithSAML".
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from localiam.engine import PrincipalKind
from localiam.errors import ValidationError
from localiam.services.base import OperationContext, Params, Result
from localiam.services.saml_metadata import MetadataError, parse_metadata
from localiam.services.sts._service import SERVICE, credentials
from localiam.services.sts.federated import FederatedLogin, assume_federated, role_to_assume
from localiam.services.sts.saml_assertion import (
    SIGNATURE_INVALID,
    SamlClaims,
    check_claims,
    decode,
    invalid_token,
    read_claims,
    signed_assertion,
)
from localiam.state import iam_store, schema

ACTION = "sts:AssumeRoleWithSAML"
AWS_ATTRIBUTES = "https://aws.amazon.com/SAML/Attributes/"
ROLE = AWS_ATTRIBUTES + "Role"
ROLE_SESSION_NAME = AWS_ATTRIBUTES + "RoleSessionName"
SESSION_DURATION = AWS_ATTRIBUTES + "SessionDuration"
SOURCE_IDENTITY = AWS_ATTRIBUTES + "SourceIdentity"
TRANSITIVE_TAG_KEYS = AWS_ATTRIBUTES + "TransitiveTagKeys"
PRINCIPAL_TAG = AWS_ATTRIBUTES + "PrincipalTag:"
NAME_ID_PREFIX = "urn:oasis:names:tc:SAML:2.0:nameid-format:"
NAME = re.compile(r"[a-zA-Z_0-9+=,.@-]{2,64}")

ATTRIBUTE_KEYS: dict[str, str] = {
    # eduPerson and eduOrg attributes (Name → key; lists of strings)
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.1": "saml:edupersonaffiliation",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.2": "saml:edupersonnickname",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.3": "saml:edupersonorgdn",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.4": "saml:edupersonorgunitdn",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.5": "saml:edupersonprimaryaffiliation",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.6": "saml:edupersonprincipalname",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.7": "saml:edupersonentitlement",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.8": "saml:edupersonprimaryorgunitdn",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.9": "saml:edupersonscopedaffiliation",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.10": "saml:edupersontargetedid",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.11": "saml:edupersonassurance",
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.2": "saml:eduorghomepageuri",
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.3": "saml:eduorgidentityauthnpolicyuri",
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.4": "saml:eduorglegalname",
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.5": "saml:eduorgsuperioruri",
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.6": "saml:eduorgwhitepagesuri",
    "urn:oid:2.5.4.3": "saml:cn",
    # Active Directory attributes
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name": "saml:name",
    "http://schemas.xmlsoap.org/claims/CommonName": "saml:commonName",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname": "saml:givenName",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname": "saml:surname",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": "saml:mail",
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/primarygroupsid": "saml:primaryGroupSID",
    # X.500 attributes
    "2.5.4.3": "saml:commonName",
    "2.5.4.4": "saml:surname",
    "2.4.5.42": "saml:givenName",
    "2.5.4.45": "saml:x500UniqueIdentifier",
    "0.9.2342.19200300100.1.1": "saml:uid",
    "0.9.2342.19200300100.1.3": "saml:mail",
    "0.9.2342.19200300.100.1.45": "saml:organizationStatus",
}
"""IAM User Guide ``id_roles_providers_create_saml_assertions``, "Mapping SAML attributes to AWS
trust policy context keys". The page maps ``.../primarygroupsid`` to ``uid``; the condition-key
reference lists ``saml:primaryGroupSID`` for it, which localiam follows."""


def name_qualifier(issuer: str, account: str, provider_name: str) -> str:
    """``NameQualifier`` and ``saml:namequalifier``: ``BASE64(SHA1(issuer + account + "/" + name))``."""
    digest = hashlib.sha1(f"{issuer}{account}/{provider_name}".encode(), usedforsecurity=False).digest()
    return base64.b64encode(digest).decode("ascii")


def subject_type(fmt: str | None) -> str:
    """``SubjectType``: the ``Format`` without AWS's ``urn:oasis:names:tc:SAML:2.0:nameid-format:``
    prefix; SAML's default format when there is none."""
    fmt = fmt or "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
    return fmt.removeprefix(NAME_ID_PREFIX)


def _provider(ctx: OperationContext, arn: object) -> dict[str, Any]:
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        raise ValidationError(f"{arn} is invalid")
    row = iam_store.one(ctx.tx, schema.saml_providers, arn=arn)
    if row is None:
        raise invalid_token("Specified provider doesn't exist.")
    return row


def _single(claims: SamlClaims, name: str) -> str | None:
    values = claims.attributes.get(name)
    if not values:
        return None
    if len(values) != 1:
        raise invalid_token(f"{name.removeprefix(AWS_ATTRIBUTES)} in AuthnResponse must have one value")
    return values[0]


def _role_pairs(claims: SamlClaims) -> set[frozenset[str]]:
    pairs: set[frozenset[str]] = set()
    for value in claims.attributes.get(ROLE, ()):
        parts = [p.strip() for p in value.split(",")]
        if len(parts) == 2:
            pairs.add(frozenset(parts))
    return pairs


def _session_name(claims: SamlClaims) -> str:
    name = _single(claims, ROLE_SESSION_NAME)
    if name is None:
        raise invalid_token("RoleSessionName is required in AuthnResponse")
    if not NAME.fullmatch(name):
        raise invalid_token("RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}")
    return name


def _source_identity(claims: SamlClaims) -> str | None:
    value = _single(claims, SOURCE_IDENTITY)
    if value is not None and (not NAME.fullmatch(value) or value.lower().startswith("aws:")):
        raise invalid_token('Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with "aws:"')
    return value


def _session_duration(claims: SamlClaims) -> int | None:
    value = _single(claims, SESSION_DURATION)
    if value is None:
        return None
    if not value.isdigit() or not 900 <= int(value) <= 43200:
        raise invalid_token("SessionDuration in AuthnResponse must be an integer from 900 to 43200")
    return int(value)


def _tags(claims: SamlClaims) -> tuple[dict[str, str], list[str]]:
    tags: dict[str, str] = {}
    for name in claims.attributes:
        if name.startswith(PRINCIPAL_TAG):
            value = _single(claims, name)
            tags[name.removeprefix(PRINCIPAL_TAG)] = value or ""
    return tags, list(claims.attributes.get(TRANSITIVE_TAG_KEYS, ()))


def _keys(claims: SamlClaims, account: str, provider_name: str) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The trust policy's keys, and those the session keeps."""
    trust: dict[str, str | list[str]] = {
        "saml:aud": claims.recipient,
        "saml:iss": claims.issuer,
        "saml:doc": f"{account}/{provider_name}",
    }
    for name, key in ATTRIBUTE_KEYS.items():
        values = claims.attributes.get(name)
        if values:
            trust[key] = list(values)
    # The keys of "SAML role permissions policies", kept for the session's requests
    # (localiam.engine.federation.SAML_SESSION_KEYS, which scenarios use too).
    session = {
        "saml:namequalifier": [name_qualifier(claims.issuer, account, provider_name)],
        "saml:sub": [claims.subject or ""],
        "saml:sub_type": [subject_type(claims.subject_format)],
    }
    return trust, session


@SERVICE.operation("AssumeRoleWithSAML", action=None, signed=False, writes=True)
def assume_role_with_saml(ctx: OperationContext, params: Params) -> Result:
    role_arn = params.get("RoleArn")
    if not isinstance(role_arn, str) or not role_arn.startswith("arn:"):
        raise ValidationError(f"{role_arn} is invalid")
    provider = _provider(ctx, params.get("PrincipalArn"))
    try:
        metadata = parse_metadata(str(provider["metadata_document"]))
    except MetadataError:
        raise invalid_token(SIGNATURE_INVALID) from None
    data = decode(params.get("SAMLAssertion"))
    claims = read_claims(signed_assertion(data, metadata.certificates))
    check_claims(claims, entity_id=metadata.entity_id, now=ctx.now)
    account, provider_name = str(provider["account_id"]), str(provider["name"])
    trust_keys, session_keys = _keys(claims, account, provider_name)
    tags, transitive = _tags(claims)
    login = FederatedLogin(
        action=ACTION,
        kind=PrincipalKind.SAML_USER,
        provider=str(provider["arn"]),
        trust_keys=trust_keys,
        session_keys=session_keys,
        tags=tags,
        transitive_tag_keys=transitive,
        source_identity=_source_identity(claims),
    )
    if claims.subject is None or frozenset((role_arn, str(provider["arn"]))) not in _role_pairs(claims):
        raise login.denied()
    session_name = _session_name(claims)
    role = role_to_assume(ctx, params, ACTION)
    ends = [t for t in (claims.session_not_on_or_after,) if t is not None]
    shorter = _session_duration(claims)
    if shorter is not None:
        ends.append(ctx.now + shorter)
    session = assume_federated(ctx, params, login, role, session_name, not_after=min(ends) if ends else None)
    result: Result = {
        "Credentials": credentials(session.issued),
        "AssumedRoleUser": {"AssumedRoleId": f"{role.role_id}:{session_name}", "Arn": session.session_arn},
        "Subject": claims.subject,
        "SubjectType": subject_type(claims.subject_format),
        "Issuer": claims.issuer,
        "Audience": claims.recipient,
        "NameQualifier": session_keys["saml:namequalifier"][0],
    }
    if session.inputs.packed_size is not None:
        result["PackedPolicySize"] = session.inputs.packed_size
    if login.source_identity is not None:
        result["SourceIdentity"] = login.source_identity
    return result
