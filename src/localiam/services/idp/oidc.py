"""The test OpenID Connect issuer: ID tokens for any issuer URL, signed with an RS256 key that
localiam keeps per issuer in the store, and the discovery document and JWKS it serves under
``/_localiam/idp/oidc/HOST/PATH/.well-known/...``.

``AssumeRoleWithWebIdentity`` verifies a token for an issuer with a key here against that key,
without any network (:mod:`localiam.services.sts.web_identity`): a token from
``localiam idp oidc token --issuer https://accounts.google.com`` passes as Google's inside
localiam, and a real Google token (other keys) does not. Claims follow OpenID Connect Core 1.0
section 2 (``iss``, ``sub``, ``aud``, ``exp``, ``iat``; ``nbf`` and the rest only when asked).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet

from localiam.services.idp import keys
from localiam.state.idp_store import IdpKey, ensure_idp_key, idp_key
from localiam.state.store import Store, Tx

KIND = "oidc"
ALGORITHM = keys.ALGORITHM
DISCOVERY = ".well-known/openid-configuration"
JWKS = ".well-known/jwks.json"


def issuer_url(issuer: str) -> str:
    """An issuer as a URL: ``accounts.google.com`` is ``https://accounts.google.com``; a
    trailing ``/`` is dropped (AWS names providers without it)."""
    issuer = issuer.strip()
    if "://" not in issuer:
        issuer = f"https://{issuer}"
    return issuer.rstrip("/")


def host_path(issuer: str) -> str:
    """The issuer without its scheme: what IAM names an OIDC provider by, and the prefix of
    its condition keys (``accounts.google.com:sub``)."""
    return issuer_url(issuer).split("://", 1)[1]


def signing_key(store: Store, issuer: str) -> IdpKey:
    """The issuer's key, made on first use."""
    url = issuer_url(issuer)
    return ensure_idp_key(store, KIND, url, lambda: keys.new_rsa_key(KIND, url))


def key_set(key: IdpKey) -> KeySet:
    """The issuer's public keys, as a JWKS would give them."""
    return keys.public_key_set(key)


def stored_key_set(tx: Tx, issuer: str) -> KeySet | None:
    """The public keys of a test issuer, or ``None`` when localiam has no key for it."""
    found = idp_key(tx, KIND, issuer_url(issuer))
    return key_set(found) if found is not None else None


def jwks(key: IdpKey) -> dict[str, Any]:
    """The JWKS document (RFC 7517 section 5): the public key only."""
    return keys.jwks(key)


def discovery(issuer: str, endpoint: str) -> dict[str, Any]:
    """The discovery document (OpenID Connect Discovery 1.0 section 3) of a test issuer whose
    JWKS localiam serves at ``endpoint``."""
    url = issuer_url(issuer)
    return {
        "issuer": url,
        "jwks_uri": f"{endpoint.rstrip('/')}/_localiam/idp/oidc/{host_path(url)}/{JWKS}",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nbf", "azp", "email", "amr"],
    }


def mint_token(
    store: Store,
    issuer: str,
    *,
    subject: str,
    audience: str | list[str],
    claims: Mapping[str, Any] | None = None,
    expires_in: int = 3600,
    now: float | None = None,
) -> str:
    """A signed ID token. ``claims`` are added last and may replace any standard claim
    (``exp``, ``nbf``, ``iss`` ...), so a test can make a token that should be refused."""
    key = signing_key(store, issuer)
    issued = int(now if now is not None else time.time())
    body: dict[str, Any] = {
        "iss": issuer_url(issuer),
        "sub": subject,
        "aud": audience,
        "iat": issued,
        "exp": issued + expires_in,
    }
    body.update(claims or {})
    return jwt.encode({"alg": ALGORITHM, "kid": key.key_id}, body, keys.private_key(key), algorithms=[ALGORITHM])
