"""A user pool's tokens: RS256 JWTs with Cognito's claims, one signing key per pool kept in the
store, the JWKS and discovery documents that apps verify them with, and the verification that
GetUser, identity pools and API Gateway authorizers share.

Claims (Cognito Developer Guide ``amazon-cognito-user-pools-using-the-id-token`` and
``...-using-the-access-token``):

- both: ``sub``, ``iss`` exactly ``https://cognito-idp.REGION.amazonaws.com/POOL_ID`` (apps
  compare it as a string), ``token_use`` (``id`` or ``access``), ``auth_time``, ``iat``,
  ``exp``, ``jti``, ``origin_jti`` (the sign-in both came from: revoking a refresh token
  revokes the tokens that share it), ``event_id``, ``cognito:groups`` when the user is in any;
- ID token: ``aud`` (the app client id), ``cognito:username``, the user's readable attributes
  (``email``, ``email_verified`` as a boolean, ``custom:...``), ``cognito:roles`` and
  ``cognito:preferred_role`` (the role of the group with the lowest ``Precedence``);
- access token: ``client_id``, ``username``, ``scope`` (``aws.cognito.signin.user.admin`` for
  user-pool API access, plus OAuth scopes).

The key id is the first 16 characters of the key's RFC 7638 thumbprint; keys never rotate.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from localiam.services.idp import keys
from localiam.state.idp_store import IdpKey, ensure_idp_key, idp_key, idp_key_in
from localiam.state.store import Store, Tx

KIND = "userpool"
ALGORITHM = keys.ALGORITHM
ADMIN_SCOPE = "aws.cognito.signin.user.admin"
_BOOLEAN_ATTRIBUTES = frozenset({"email_verified", "phone_number_verified"})


def issuer(region: str, pool_id: str) -> str:
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


def signing_key(store: Store, pool_id: str) -> IdpKey:
    """The pool's key, made when first needed (CreateUserPool makes it)."""
    return ensure_idp_key(store, KIND, pool_id, lambda: keys.new_rsa_key(KIND, pool_id))


def signing_key_in(tx: Tx, pool_id: str) -> IdpKey:
    """The pool's key inside a write transaction (CreateUserPool's)."""
    return idp_key_in(tx, KIND, pool_id, lambda: keys.new_rsa_key(KIND, pool_id))


def pool_key(tx: Tx, pool_id: str) -> IdpKey | None:
    return idp_key(tx, KIND, pool_id)


def public_keys(key: IdpKey) -> KeySet:
    return keys.public_key_set(key)


def jwks(key: IdpKey) -> dict[str, Any]:
    """``/POOL_ID/.well-known/jwks.json``."""
    return keys.jwks(key)


def discovery(region: str, pool_id: str, jwks_uri: str) -> dict[str, Any]:
    """``/POOL_ID/.well-known/openid-configuration`` (the parts that need no hosted UI)."""
    return {
        "issuer": issuer(region, pool_id),
        "jwks_uri": jwks_uri,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "response_types_supported": ["code", "token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": ["openid", "email", "phone", "profile"],
    }


@dataclass(frozen=True, slots=True)
class SignIn:
    """Who signed in, to which client, and what the tokens say about them."""

    region: str
    pool_id: str
    client_id: str
    username: str
    sub: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    groups: Sequence[str] = ()
    roles: Sequence[str] = ()
    preferred_role: str | None = None
    scopes: Sequence[str] = (ADMIN_SCOPE,)
    auth_time: int | None = None
    origin_jti: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass(frozen=True, slots=True)
class Tokens:
    id_token: str
    access_token: str
    expires_in: int


def _attribute(name: str, value: str) -> Any:
    if name in _BOOLEAN_ATTRIBUTES:
        return value.lower() == "true"
    return value


def mint(
    key: IdpKey,
    sign_in: SignIn,
    *,
    id_validity: int = 3600,
    access_validity: int = 3600,
    now: float | None = None,
    extra_id_claims: Mapping[str, Any] | None = None,
    suppress_id_claims: Sequence[str] = (),
) -> Tokens:
    """An ID token and an access token for ``sign_in``, valid for the client's durations.
    ``extra_id_claims`` / ``suppress_id_claims`` are what a PreTokenGeneration trigger asked."""
    issued = int(now if now is not None else time.time())
    auth_time = sign_in.auth_time or issued
    common: dict[str, Any] = {
        "sub": sign_in.sub,
        "iss": issuer(sign_in.region, sign_in.pool_id),
        "auth_time": auth_time,
        "iat": issued,
        "origin_jti": sign_in.origin_jti,
        "event_id": str(uuid.uuid4()),
    }
    if sign_in.groups:
        common["cognito:groups"] = list(sign_in.groups)
    id_claims: dict[str, Any] = {
        **common,
        "aud": sign_in.client_id,
        "token_use": "id",
        "cognito:username": sign_in.username,
        "exp": issued + id_validity,
        "jti": str(uuid.uuid4()),
    }
    for name, value in sign_in.attributes.items():
        if name != "sub":
            id_claims[name] = _attribute(name, value)
    if sign_in.roles:
        id_claims["cognito:roles"] = list(sign_in.roles)
    if sign_in.preferred_role:
        id_claims["cognito:preferred_role"] = sign_in.preferred_role
    for name in suppress_id_claims:
        id_claims.pop(name, None)
    id_claims.update(extra_id_claims or {})
    access_claims: dict[str, Any] = {
        **common,
        "client_id": sign_in.client_id,
        "token_use": "access",
        "scope": " ".join(sign_in.scopes),
        "username": sign_in.username,
        "exp": issued + access_validity,
        "jti": str(uuid.uuid4()),
    }
    header = {"alg": ALGORITHM, "kid": key.key_id}
    private = keys.private_key(key)
    return Tokens(
        jwt.encode(header, id_claims, private, algorithms=[ALGORITHM]),
        jwt.encode(header, access_claims, private, algorithms=[ALGORITHM]),
        access_validity,
    )


def new_refresh_token() -> str:
    """An opaque refresh token (Cognito's are encrypted JWTs the client cannot read); the store
    keeps only its hash."""
    return secrets.token_urlsafe(96)


class InvalidToken(ValueError):
    """Why a token is not one of the pool's, or is no longer valid; ``expired`` tells the two
    answers AWS gives apart ("Access Token has expired" or "Invalid Access Token")."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


def verify(
    tx: Tx,
    token: str,
    *,
    region: str | None = None,
    pool_id: str | None = None,
    token_use: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The claims of a token a pool issued, checked: the signature with the pool's key (the
    pool named by ``iss``, which must be ``pool_id`` when given), ``exp`` and ``token_use``."""
    try:
        unverified = jwt.decode(token, _peek_key(tx, token, region), algorithms=[ALGORITHM])
    except (JoseError, ValueError, TypeError, KeyError):
        raise InvalidToken("Invalid token") from None
    claims = dict(unverified.claims)
    expected_pool = str(claims.get("iss", "")).rsplit("/", 1)[-1]
    if pool_id is not None and expected_pool != pool_id:
        raise InvalidToken("Invalid token: issued by another user pool")
    if token_use is not None and claims.get("token_use") != token_use:
        raise InvalidToken(f"Invalid token: not an {token_use} token")
    moment = now if now is not None else time.time()
    if not isinstance(claims.get("exp"), int) or moment >= claims["exp"]:
        raise InvalidToken("Token has expired", expired=True)
    return claims


_ISSUER = re.compile(r"https://cognito-idp\.([a-z0-9-]+)\.amazonaws\.com/([\w-]+_[0-9A-Za-z]+)")


def _peek_key(tx: Tx, token: str, region: str | None) -> KeySet:
    """The key set of the pool the token's ``iss`` names (before the signature is checked:
    only to choose the key)."""
    try:
        _header, claims = keys.unverified_jwt(token)
        iss = str(claims["iss"])
    except (ValueError, KeyError):
        raise InvalidToken("Invalid token") from None
    match = _ISSUER.fullmatch(iss)
    if match is None or not match.group(2).startswith(match.group(1) + "_"):
        raise InvalidToken("Invalid token: not issued by a user pool")
    if region is not None and match.group(1) != region:
        raise InvalidToken("Invalid token: not issued by a user pool of this region")
    found = idp_key(tx, KIND, match.group(2))
    if found is None:
        raise InvalidToken("Invalid token: no such user pool")
    return public_keys(found)
