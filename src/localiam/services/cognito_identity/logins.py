"""The ``Logins`` map of ``GetId``, ``GetOpenIdToken``, ``GetCredentialsForIdentity`` and
``GetOpenIdTokenForDeveloperIdentity``: each entry is verified as AWS verifies it ("Identity
pools authentication flow": the token is valid, from the configured provider, not expired, for
the configured application) and must name a provider the pool accepts:

- a user pool, ``cognito-idp.REGION.amazonaws.com/POOL_ID``: an ID token of that pool for one of
  the app clients the pool lists (``CognitoIdentityProviders``); with ``ServerSideTokenCheck``
  the user must still exist, be enabled and not have signed out since (``API_CognitoIdentityProvider``);
- a public provider of ``SupportedLoginProviders`` (``accounts.google.com``, ``graph.facebook.com``,
  ``www.amazon.com``, ``appleid.apple.com``): a token signed by that issuer whose ``aud`` (or
  Google's ``azp``) is the configured app id; localiam verifies these as it verifies web identity
  tokens: with the test issuer's keys, or those an issuer on loopback serves;
- an IAM OpenID Connect provider of ``OpenIdConnectProviderARNs``, named by its URL: a token of
  that issuer for one of the provider's client ids;
- a SAML provider of ``SamlProviderARNs``, named by its ARN: a base64 ``SAMLResponse`` signed by
  the provider's certificates, for AWS;
- ``cognito-identity.amazonaws.com``: a token the pool issued to a developer-authenticated
  identity (``GetOpenIdTokenForDeveloperIdentity``), in the enhanced flow.

A bad token answers ``NotAuthorizedException`` "Invalid login token. ...", a provider the pool
does not name "Token is not from a supported provider of this identity pool." (AWS's wording).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from localiam.errors import AwsError
from localiam.services.base import OperationContext, Params
from localiam.services.cognito_identity import tokens as pool_tokens
from localiam.services.cognito_identity._service import PRINCIPAL, config_of, invalid_parameter, not_authorized
from localiam.services.cognito_idp import auth as user_pool_auth
from localiam.services.cognito_idp import tokens as user_pool_tokens
from localiam.services.idp.oidc import host_path
from localiam.services.saml_metadata import MetadataError, parse_metadata
from localiam.services.sts import saml_assertion, web_identity
from localiam.services.sts.web_identity import Provider, peek
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row
from localiam.state.store import Store
from localiam.state.sts_store import find_oidc_provider

MAX_LOGINS = 10
_USER_POOL = re.compile(r"cognito-idp\.([a-z0-9-]+)\.amazonaws\.com/([\w-]+_\w+)")
UNSUPPORTED = "Token is not from a supported provider of this identity pool."
SAML_ROLE = "https://aws.amazon.com/SAML/Attributes/Role"


@dataclass(frozen=True, slots=True)
class Login:
    """One verified entry of ``Logins``."""

    provider: str
    """The provider name: the key of ``Logins`` (a developer provider's name for a developer login)."""
    subject: str
    """Who the provider says signed in: the token's ``sub``, the SAML ``NameID``, the developer's
    user identifier. An identity id is stable per (pool, provider, subject)."""
    amr: tuple[str, ...]
    """What the identity pool's token lists for this login after ``authenticated``."""
    claims: Mapping[str, Any] = field(default_factory=dict)
    """The token's claims (SAML attributes for an assertion): what role rules and principal tag
    maps read."""
    mapping_key: str = ""
    """The key of ``RoleMappings`` this login's provider is configured under."""
    roles: tuple[str, ...] = ()
    """Roles the token offers (``cognito:roles``, SAML ``Role`` attribute)."""
    preferred_role: str | None = None
    developer: bool = False
    own_token: Mapping[str, Any] | None = None
    """For ``cognito-identity.amazonaws.com``: the claims of the pool's own token."""


def logins_param(params: Params) -> dict[str, str]:
    raw = params.get("Logins") or {}
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise invalid_parameter("Logins must map provider names to tokens.")
    if len(raw) > MAX_LOGINS:
        raise invalid_parameter(
            f"1 validation error detected: Value at 'logins' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_LOGINS}"
        )
    return dict(raw)


def prefetch(store: Store, params: Params) -> None:
    """Before the transaction: fetch the keys of loopback issuers the tokens name."""
    raw = params.get("Logins")
    if not isinstance(raw, dict):
        return
    for provider, token in raw.items():
        if isinstance(token, str) and provider != PRINCIPAL and not _USER_POOL.fullmatch(str(provider)):
            web_identity.prefetch(store, {"WebIdentityToken": token})


def invalid_login(message: str) -> AwsError:
    return not_authorized(f"Invalid login token. {message}")


def _user_pool(ctx: OperationContext, config: dict[str, Any], provider: str, token: str) -> Login:
    entries = [p for p in config.get("CognitoIdentityProviders") or [] if p["ProviderName"] == provider]
    if not entries:
        raise not_authorized(UNSUPPORTED)
    match = _USER_POOL.fullmatch(provider)
    assert match is not None
    region, pool_id = match.group(1), match.group(2)
    try:
        claims = user_pool_tokens.verify(ctx.tx, token, region=region, pool_id=pool_id, token_use="id", now=ctx.clock())
    except user_pool_tokens.InvalidToken as exc:
        if exc.expired:
            raise invalid_login("Token expired.") from None
        if "another user pool" in str(exc) or "this region" in str(exc):
            raise invalid_login("Issuer doesn't match providerName") from None
        raise invalid_login("Not a valid OpenId Connect identity token.") from None
    entry = next((p for p in entries if p["ClientId"] == claims.get("aud")), None)
    if entry is None:
        raise invalid_login("Incorrect token audience.")
    if entry.get("ServerSideTokenCheck"):
        pool = iam_store.one(ctx.tx, schema.cognito_user_pools, id=pool_id)
        if pool is None or user_pool_auth.id_token_user(ctx, pool, claims) is None:
            raise not_authorized("Token is not valid: the user has signed out, is disabled or was deleted.")
    sub = str(claims["sub"])
    roles = claims.get("cognito:roles")
    preferred = claims.get("cognito:preferred_role")
    return Login(
        provider=provider,
        subject=sub,
        amr=(provider, f"{provider}:CognitoSignIn:{sub}"),
        claims=claims,
        mapping_key=f"{provider}:{claims['aud']}",
        roles=tuple(str(r) for r in roles) if isinstance(roles, list) else (),
        preferred_role=str(preferred) if isinstance(preferred, str) else None,
    )


def _web_identity(ctx: OperationContext, provider: str, token: str, client_ids: tuple[str, ...]) -> dict[str, Any]:
    """A token of ``provider`` (its issuer without the scheme), checked as STS checks web
    identity tokens, for one of ``client_ids``."""
    try:
        unverified = peek(token)
        if host_path(unverified.issuer) != provider:
            raise invalid_login("Issuer doesn't match providerName")
        claims = web_identity.verify_signature(ctx, unverified)
        web_identity.check_claims(ctx, claims, Provider(provider, provider, client_ids))
    except AwsError as exc:
        if exc.code in ("NotAuthorizedException",):
            raise
        text = str(exc)
        if "audience" in text:
            raise invalid_login("Incorrect token audience.") from None
        if exc.code == "ExpiredTokenException":
            raise invalid_login("Token expired.") from None
        if exc.code == "IDPCommunicationError":
            raise error_from(exc) from None
        raise invalid_login("Not a valid OpenId Connect identity token.") from None
    return claims


def error_from(exc: AwsError) -> AwsError:
    """The identity provider could not be reached: ``ExternalServiceException``."""
    return AwsError(str(exc), code="ExternalServiceException", status=400)


def _public(ctx: OperationContext, config: dict[str, Any], provider: str, token: str) -> Login:
    app_ids = tuple(a.strip() for a in str(config["SupportedLoginProviders"][provider]).split(",") if a.strip())
    claims = _web_identity(ctx, provider, token, app_ids)
    subject = str(claims.get("user_id") or claims.get("id") or claims["sub"])
    return Login(provider, subject, (provider, f"{provider}:{subject}"), claims, mapping_key=provider)


def _oidc(ctx: OperationContext, pool: Row, provider: str, token: str) -> Login:
    found = find_oidc_provider(ctx.tx, str(pool["account_id"]), provider)
    if found is None:
        raise not_authorized(UNSUPPORTED)
    claims = _web_identity(ctx, provider, token, tuple(found.client_ids))
    subject = str(claims["sub"])
    return Login(provider, subject, (provider, f"{provider}:{subject}"), claims, mapping_key=provider)


def _saml(ctx: OperationContext, provider: str, assertion: str) -> Login:
    row = iam_store.one(ctx.tx, schema.saml_providers, arn=provider)
    if row is None:
        raise not_authorized(UNSUPPORTED)
    try:
        metadata = parse_metadata(str(row["metadata_document"]))
        data = saml_assertion.decode(assertion)
        claims = saml_assertion.read_claims(saml_assertion.signed_assertion(data, metadata.certificates))
        saml_assertion.check_claims(claims, entity_id=metadata.entity_id, now=ctx.now)
    except (AwsError, MetadataError) as exc:
        raise invalid_login(str(exc)) from None
    if not claims.subject:
        raise invalid_login("The SAML assertion has no NameID.")
    attributes = {name: list(values) for name, values in claims.attributes.items()}
    roles: list[str] = []
    for pair in claims.attributes.get(SAML_ROLE, ()):
        parts = [p.strip() for p in pair.split(",")]
        roles.extend(p for p in parts if ":role/" in p)
    return Login(
        provider,
        claims.subject,
        (provider, f"{provider}:{claims.subject}"),
        {"sub": claims.subject, **attributes},
        mapping_key=provider,
        roles=tuple(roles),
        preferred_role=roles[0] if len(roles) == 1 else None,
    )


def _own(ctx: OperationContext, pool: Row, token: str) -> Login:
    claims = pool_tokens.verify(ctx.tx, token, now=ctx.clock())
    if claims is None or claims.get("aud") != pool["id"]:
        raise invalid_login("Not a valid OpenId Connect identity token.")
    amr = [str(a) for a in claims.get("amr") or [] if a != "authenticated"]
    developer = str(config_of(pool).get("DeveloperProviderName") or PRINCIPAL)
    return Login(
        developer,
        str(claims["sub"]),
        tuple(amr),
        claims,
        mapping_key=developer,
        own_token=claims,
    )


def verify(ctx: OperationContext, pool: Row, logins: Mapping[str, str], *, developer_ok: bool = False) -> list[Login]:
    """Each login of ``logins`` verified, in order; the first failure answers for all of them."""
    config = config_of(pool)
    developer = config.get("DeveloperProviderName")
    out: list[Login] = []
    for provider, token in logins.items():
        if provider == PRINCIPAL:
            out.append(_own(ctx, pool, token))
        elif _USER_POOL.fullmatch(provider):
            out.append(_user_pool(ctx, config, provider, token))
        elif provider in (config.get("SupportedLoginProviders") or {}):
            out.append(_public(ctx, config, provider, token))
        elif any(arn.endswith(f":oidc-provider/{provider}") for arn in config.get("OpenIdConnectProviderARNs") or []):
            out.append(_oidc(ctx, pool, provider, token))
        elif provider in (config.get("SamlProviderARNs") or []):
            out.append(_saml(ctx, provider, token))
        elif developer_ok and developer is not None and provider == developer:
            if not token or len(token) > 1024:
                raise invalid_parameter("The developer user identifier must be 1 to 1024 characters.")
            pool_id = str(pool["id"])
            out.append(
                Login(provider, token, (provider, f"{provider}:{pool_id}:{token}"), {}, provider, developer=True)
            )
        else:
            raise not_authorized(UNSUPPORTED)
    return out
