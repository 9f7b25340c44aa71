"""``AssumeRoleWithWebIdentity``: a role session for someone an OpenID Connect provider signed
in (``API_AssumeRoleWithWebIdentity``, ``id_roles_providers_oidc``,
``id_credentials_temp_request``).

The call is unsigned: the token is the credential. In AWS's order:

1. Parameters: ``RoleArn``, ``RoleSessionName`` (2-64 of ``[\\w+=,.@-]``), ``WebIdentityToken``
   (4-20,000 characters), ``DurationSeconds``, session policies.
2. The token must be a signed JWT (``InvalidIdentityToken`` "The ID Token provided is not a
   valid JWT. (You may see this error if you sent an Access Token)" otherwise). Its ``iss``
   names the provider: an IAM OIDC provider of the role's account whose URL is the issuer
   without its scheme, or one of the issuers AWS trusts without one
   (:data:`TRUSTED_ISSUERS`: Google, Facebook, Login with Amazon, and Cognito identity pools).
   No provider: "No OpenIDConnect provider found in your account for ISSUER".
3. The signature is checked with the issuer's keys, RS256 or ES256 (``alg: none`` and every
   other algorithm are refused): the test issuer's keys (:mod:`localiam.services.idp.oidc`), or
   for an issuer on loopback the keys its discovery document's ``jwks_uri`` serves
   (:mod:`.jwks`). localiam reaches no other issuer.
4. Claims: ``exp`` (``ExpiredTokenException`` "Token expired: current date/time NOW must be
   before the expiration date/time EXP"), ``nbf`` and ``iat`` not in the future, ``sub``
   present, and, for an IAM provider, an audience in its client id list ("Incorrect token
   audience"): ``aud`` (any of them when it is a list) or Google's ``azp``.
5. The role's trust policy decides, with principal ``{"Federated": PROVIDER}`` (the IAM
   provider's ARN, or ``accounts.google.com`` ...) and the keys AWS documents
   (``reference_policies_iam-condition-keys``, "Available keys for AWS web identity
   federation"): ``PROVIDER:aud`` (for Google: ``azp`` when present, and then
   ``accounts.google.com:oaud`` holds ``aud``), ``PROVIDER:sub``, ``PROVIDER:amr`` (Cognito),
   ``accounts.google.com:email``, ``graph.facebook.com:app_id`` / ``:id``,
   ``www.amazon.com:app_id`` / ``:user_id``; ``aws:FederatedProvider``; session tags from the
   token's ``https://aws.amazon.com/tags`` claim (``principal_tags``, ``transitive_tag_keys``)
   as ``aws:RequestTag/*`` / ``aws:TagKeys`` (``id_session-tags``, "Passing session tags using
   AssumeRoleWithWebIdentity"), a source identity from ``https://aws.amazon.com/source_identity``;
   ``sts:RoleSessionName``. The ``aud``, ``sub``, ``amr`` and ``id`` keys stay in the role
   session's later requests (so a permissions policy can use ``${accounts.google.com:sub}``).

The result (``API_AssumeRoleWithWebIdentity``, Response Elements): ``Credentials``,
``AssumedRoleUser``, ``SubjectFromWebIdentityToken``, ``Audience``, ``Provider`` (the IAM
provider's ARN, or the trusted issuer's name), ``PackedPolicySize``, ``SourceIdentity``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from localiam.engine import PrincipalKind
from localiam.engine.federation import TRUSTED_ISSUERS, web_identity_keys
from localiam.errors import AwsError, client_error
from localiam.services.base import OperationContext, Params, Result
from localiam.services.idp.keys import unverified_jwt
from localiam.services.idp.oidc import host_path, issuer_url, stored_key_set
from localiam.services.sts import jwks
from localiam.services.sts._service import SERVICE, check_name, constraint_error, credentials
from localiam.services.sts.federated import FederatedLogin, assume_federated, role_to_assume
from localiam.state.store import Store, Tx
from localiam.state.sts_store import find_oidc_provider

ACTION = "sts:AssumeRoleWithWebIdentity"
ALGORITHMS = ("RS256", "ES256")
TAGS_CLAIM = "https://aws.amazon.com/tags"
SOURCE_IDENTITY_CLAIM = "https://aws.amazon.com/source_identity"
MAX_TOKEN = 20000

NOT_A_JWT = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
NOT_VALIDATED = (
    "The web identity token that was passed could not be validated by AWS. Get a new identity token "
    "from the identity provider and then retry the request."
)


def invalid_token(message: str = NOT_VALIDATED) -> AwsError:
    return client_error("InvalidIdentityToken", message)


@dataclass(frozen=True, slots=True)
class UnverifiedToken:
    """A JWT's header and claims before its signature is checked: only to find the issuer
    and the key, never to decide anything."""

    header: Mapping[str, Any]
    claims: Mapping[str, Any]
    issuer: str
    raw: str = field(repr=False)


def peek(token: Any) -> UnverifiedToken:
    if not isinstance(token, str):
        raise constraint_error(token, "webIdentityToken", "Member must not be null")
    if len(token) < 4:
        raise constraint_error("***", "webIdentityToken", "Member must have length greater than or equal to 4")
    if len(token) > MAX_TOKEN:
        raise constraint_error("***", "webIdentityToken", f"Member must have length less than or equal to {MAX_TOKEN}")
    try:
        header, claims = unverified_jwt(token)
    except ValueError:
        raise invalid_token(NOT_A_JWT) from None
    if not isinstance(claims.get("iss"), str):
        raise invalid_token(NOT_A_JWT)
    return UnverifiedToken(header, claims, issuer_url(claims["iss"]), token)


def prefetch(store: Store, params: Params) -> None:
    """Before the transaction: fetch a loopback issuer's keys if they are not cached (a token
    that is malformed is refused later, in the operation's order)."""
    try:
        token = peek(params.get("WebIdentityToken"))
    except AwsError:
        return
    if not jwks.loopback(token.issuer):
        return
    with store.read() as tx:
        if stored_key_set(tx, token.issuer) is not None:
            return
    kid = token.header.get("kid")
    jwks.CACHE.ensure(token.issuer, kid if isinstance(kid, str) else None)


@dataclass(frozen=True, slots=True)
class Provider:
    """Who issued the token, as IAM knows it."""

    principal: str
    """What a trust policy's ``Federated`` names: the IAM provider's ARN or the issuer's name."""
    key_prefix: str
    """The condition keys' prefix: the issuer without its scheme."""
    client_ids: tuple[str, ...] | None
    """The IAM provider's audiences (``None`` for a trusted issuer: its trust policy checks)."""


def _provider(ctx: OperationContext, token: UnverifiedToken, account: str) -> Provider:
    name = host_path(token.issuer)
    if name in TRUSTED_ISSUERS:
        return Provider(name, name, None)
    found = find_oidc_provider(ctx.tx, account, name)
    if found is None:
        raise invalid_token(f"No OpenIDConnect provider found in your account for {token.issuer}")
    return Provider(found.arn, name, found.client_ids)


IssuerKeys = Callable[[Tx], KeySet | None]
ISSUER_KEYS: dict[str, IssuerKeys] = {}
"""Key sources of issuers localiam itself runs, by issuer URL: Cognito identity pools register
``https://cognito-identity.amazonaws.com`` here (their tokens are signed with the store's keys
for that issuer). Looked up before the test issuer's keys."""


def register_issuer_keys(issuer: str, keys: IssuerKeys) -> None:
    """Let ``keys`` verify tokens of ``issuer`` (a service of localiam that issues tokens)."""
    ISSUER_KEYS[issuer_url(issuer)] = keys


def _keys(ctx: OperationContext, issuer: str) -> KeySet:
    source = ISSUER_KEYS.get(issuer)
    if source is not None:
        own = source(ctx.tx)
        if own is not None:
            return own
    stored = stored_key_set(ctx.tx, issuer)
    if stored is not None:
        return stored
    if jwks.loopback(issuer):
        return jwks.CACHE.keys(issuer)
    raise jwks.communication_error(
        "localiam reaches only identity providers on 127.0.0.1, localhost or [::1]; "
        "tokens made with 'localiam idp oidc token' verify for any issuer"
    )


def verify_signature(ctx: OperationContext, token: UnverifiedToken) -> dict[str, Any]:
    if token.header.get("alg") not in ALGORITHMS:
        raise invalid_token()
    keys = _keys(ctx, token.issuer)
    try:
        verified = jwt.decode(token.raw, keys, algorithms=list(ALGORITHMS))
    except (JoseError, ValueError, TypeError, KeyError):
        raise invalid_token() from None
    return dict(verified.claims)


def _number(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid_token(f"The {name} claim of the ID Token is not a number.")
    return float(value)


def check_claims(ctx: OperationContext, claims: Mapping[str, Any], provider: Provider) -> list[str]:
    """The token's audiences, once its times and subject are valid."""
    now = int(ctx.clock())
    expires = _number(claims, "exp")
    if expires is None:
        raise invalid_token("The ID Token provided has no exp claim.")
    if now >= expires:
        raise client_error(
            "ExpiredTokenException",
            f"Token expired: current date/time {now} must be before the expiration date/time {int(expires)}",
        )
    not_before = _number(claims, "nbf")
    if not_before is not None and now < not_before:
        raise invalid_token(
            f"Token is not yet valid: current date/time {now} is before the nbf date/time {int(not_before)}"
        )
    issued = _number(claims, "iat")
    if issued is not None and issued > now + 300:
        raise invalid_token("The ID Token provided was issued in the future (iat).")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise invalid_token("The ID Token provided has no sub claim.")
    aud = claims.get("aud")
    audiences = (
        [aud] if isinstance(aud, str) else [a for a in aud if isinstance(a, str)] if isinstance(aud, list) else []
    )
    azp = claims.get("azp")
    if provider.client_ids is not None:
        candidates = set(audiences) | ({azp} if isinstance(azp, str) else set())
        if not candidates & set(provider.client_ids):
            raise invalid_token("Incorrect token audience")
    return audiences


def _session_tags(claims: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """``https://aws.amazon.com/tags``: ``principal_tags`` maps a key to a one-element list,
    ``transitive_tag_keys`` lists keys (``id_session-tags``)."""
    raw = claims.get(TAGS_CLAIM)
    if raw is None:
        return {}, []
    if not isinstance(raw, dict) or not isinstance(raw.get("principal_tags", {}), dict):
        raise invalid_token("The ID Token's https://aws.amazon.com/tags claim is malformed.")
    tags: dict[str, str] = {}
    for key, value in raw.get("principal_tags", {}).items():
        values = value if isinstance(value, list) else [value]
        if len(values) != 1 or not isinstance(values[0], str):
            raise invalid_token(f"Session tag {key} must have exactly one string value.")
        tags[str(key)] = values[0]
    transitive = raw.get("transitive_tag_keys") or []
    if not isinstance(transitive, list):
        raise invalid_token("The ID Token's transitive_tag_keys must be a list.")
    return tags, [str(k) for k in transitive]


@SERVICE.operation("AssumeRoleWithWebIdentity", action=None, signed=False, writes=True, blocking=True, before=prefetch)
def assume_role_with_web_identity(ctx: OperationContext, params: Params) -> Result:
    session_name = check_name(params.get("RoleSessionName"), "roleSessionName", min_length=2, max_length=64)
    token = peek(params.get("WebIdentityToken"))
    role = role_to_assume(ctx, params, ACTION)
    provider = _provider(ctx, token, role.account_id)
    claims = verify_signature(ctx, token)
    audiences = check_claims(ctx, claims, provider)
    kept, trust_only = web_identity_keys(provider.key_prefix, claims)
    tags, transitive = _session_tags(claims)
    source_identity = claims.get(SOURCE_IDENTITY_CLAIM)
    if source_identity is not None:
        source_identity = check_name(source_identity, "sourceIdentity", min_length=2, max_length=64)
    login = FederatedLogin(
        action=ACTION,
        kind=PrincipalKind.WEB_IDENTITY_USER,
        provider=provider.principal,
        trust_keys=trust_only,
        session_keys=kept,
        tags=tags,
        transitive_tag_keys=transitive,
        source_identity=source_identity,
    )
    session = assume_federated(ctx, params, login, role, session_name)
    azp = claims.get("azp")
    result: Result = {
        "Credentials": credentials(session.issued),
        "SubjectFromWebIdentityToken": str(claims["sub"]),
        "AssumedRoleUser": {"AssumedRoleId": f"{role.role_id}:{session_name}", "Arn": session.session_arn},
        "Provider": provider.principal,
        "Audience": azp if isinstance(azp, str) else (audiences[0] if audiences else ""),
    }
    if session.inputs.packed_size is not None:
        result["PackedPolicySize"] = session.inputs.packed_size
    if source_identity is not None:
        result["SourceIdentity"] = source_identity
    return result
