"""The OpenID Connect tokens an identity pool issues (``API_GetOpenIdToken``,
``API_GetOpenIdTokenForDeveloperIdentity``, "Role trust and permissions"): RS256 JWTs with
issuer ``https://cognito-identity.amazonaws.com``, ``aud`` the identity pool id, ``sub`` the
identity id and ``amr`` ``["unauthenticated"]`` or ``["authenticated", PROVIDER, PROVIDER:...]``,
signed with one key the store keeps. STS ``AssumeRoleWithWebIdentity`` verifies them with that
key (the basic flow): :func:`register` lets it find the key.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from localiam.services.cognito_identity._service import ISSUER
from localiam.services.idp import keys
from localiam.services.sts.web_identity import register_issuer_keys
from localiam.state.idp_store import IdpKey, idp_key, idp_key_in
from localiam.state.store import Tx

KIND = "identitypool"
NAME = "cognito-identity.amazonaws.com"
TAGS_CLAIM = "https://aws.amazon.com/tags"


def signing_key(tx: Tx) -> IdpKey | None:
    """The identity pools' key, once a token was issued (a GET never makes one)."""
    return idp_key(tx, KIND, NAME)


def key_set(tx: Tx) -> KeySet | None:
    found = signing_key(tx)
    return keys.public_key_set(found) if found is not None else None


def jwks(key: IdpKey) -> dict[str, Any]:
    return keys.jwks(key)


def discovery(jwks_uri: str) -> dict[str, Any]:
    """What ``https://cognito-identity.amazonaws.com/.well-known/openid-configuration`` says."""
    return {
        "issuer": ISSUER,
        "jwks_uri": jwks_uri,
        "response_types_supported": ["code", "id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [keys.ALGORITHM],
    }


def mint(
    tx: Tx,
    *,
    pool_id: str,
    identity_id: str,
    amr: Sequence[str],
    validity: int,
    principal_tags: Mapping[str, str] | None = None,
    now: float | None = None,
) -> str:
    """A token for ``identity_id`` of ``pool_id``, valid for ``validity`` seconds (made inside
    the operation's write transaction: the key is created on first use)."""
    key = idp_key_in(tx, KIND, NAME, lambda: keys.new_rsa_key(KIND, NAME))
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": identity_id,
        "aud": pool_id,
        "amr": list(amr),
        "iat": issued,
        "exp": issued + validity,
        "jti": str(uuid.uuid4()),
    }
    if principal_tags:
        claims[TAGS_CLAIM] = {"principal_tags": {k: [v] for k, v in principal_tags.items()}}
    header = {"alg": keys.ALGORITHM, "kid": key.key_id}
    return jwt.encode(header, claims, keys.private_key(key), algorithms=[keys.ALGORITHM])


def verify(tx: Tx, token: str, *, now: float) -> dict[str, Any] | None:
    """The claims of a token an identity pool issued, or ``None`` when it is not one, is
    forged or has expired."""
    found = key_set(tx)
    if found is None:
        return None
    try:
        claims = dict(jwt.decode(token, found, algorithms=[keys.ALGORITHM]).claims)
    except (JoseError, ValueError, TypeError, KeyError):
        return None
    if claims.get("iss") != ISSUER or not isinstance(claims.get("exp"), int) or now >= claims["exp"]:
        return None
    return claims


def register() -> None:
    register_issuer_keys(ISSUER, key_set)


register()
