"""The RSA signing keys of the issuers localiam runs itself (the test OIDC issuers, user pools):
one key per issuer, kept in the store as PEM; loaded once per process (loading an RSA private
key checks it, which costs tens of milliseconds); served as a JWKS (RFC 7517 section 5).

Also reading a JWT's header and claims *before* its signature is checked, only to find which
issuer and key should check it (RFC 7519 section 7.2, steps 1-8).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from joserfc.jwk import KeySet, RSAKey

from localiam.state.idp_store import IdpKey

ALGORITHM = "RS256"
_PRIVATE: dict[tuple[str, str, str], RSAKey] = {}
_PUBLIC: dict[tuple[str, str, str], KeySet] = {}


def new_rsa_key(kind: str, name: str) -> IdpKey:
    """A new 2048-bit key; its id is the first 16 characters of its RFC 7638 thumbprint."""
    key = RSAKey.generate_key(2048, private=True)
    return IdpKey(kind, name, key.thumbprint()[:16], key.as_pem(private=True).decode(), None)


def _cache_key(key: IdpKey) -> tuple[str, str, str]:
    return key.kind, key.name, key.key_id


def private_key(key: IdpKey) -> RSAKey:
    found = _PRIVATE.get(_cache_key(key))
    if found is None:
        found = _PRIVATE[_cache_key(key)] = RSAKey.import_key(key.private_key)
    return found


def public_key_set(key: IdpKey) -> KeySet:
    """The public key alone, with its ``kid``, as a verifier gets it from the JWKS."""
    found = _PUBLIC.get(_cache_key(key))
    if found is None:
        public = RSAKey.import_key(
            private_key(key).as_dict(private=False), {"kid": key.key_id, "use": "sig", "alg": ALGORITHM}
        )
        found = _PUBLIC[_cache_key(key)] = KeySet([public])
    return found


def jwks(key: IdpKey) -> dict[str, Any]:
    """The JWKS document: the public key only."""
    entry = private_key(key).as_dict(private=False)
    entry.update({"kid": key.key_id, "use": "sig", "alg": ALGORITHM})
    return {"keys": [entry]}


def _part(text: str) -> Any:
    return json.loads(base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode("ascii")))


def unverified_jwt(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) of a compact JWS, unverified; ``ValueError`` when it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a compact JWS")
    try:
        header, claims = _part(parts[0]), _part(parts[1])
    except (ValueError, UnicodeError):
        raise ValueError("not a compact JWS") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ValueError("not a compact JWS")
    return header, claims
