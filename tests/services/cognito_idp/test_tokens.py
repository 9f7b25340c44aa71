"""A user pool's tokens (``localiam.services.cognito_idp.tokens``), verified with PyJWT (a library
we did not write) against the JWKS localiam serves, with the claims Cognito documents
(``amazon-cognito-user-pools-using-the-id-token``, ``...-using-the-access-token``)."""

from __future__ import annotations

import time

import jwt as pyjwt
import pytest

from localiam.services.cognito_idp import tokens
from localiam.state.store import Store

POOL = "us-east-1_AbC123xyZ"
OTHER = "us-east-1_Other1234"
CLIENT = "3n4b5urk1ft4fl3mg5e62d9ado"


@pytest.fixture
def store() -> Store:
    return Store.ephemeral()


def _sign_in(**changes: object) -> tokens.SignIn:
    values: dict[str, object] = {
        "region": "us-east-1",
        "pool_id": POOL,
        "client_id": CLIENT,
        "username": "alice",
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "attributes": {"email": "alice@example.com", "email_verified": "true", "custom:team": "blue"},
        "groups": ["admins", "users"],
        "roles": ["arn:aws:iam::111122223333:role/Admin", "arn:aws:iam::111122223333:role/User"],
        "preferred_role": "arn:aws:iam::111122223333:role/Admin",
    }
    values.update(changes)
    return tokens.SignIn(**values)  # type: ignore[arg-type]


def test_tokens_verify_with_pyjwt_against_the_jwks_and_carry_cognitos_claims(store: Store) -> None:
    key = tokens.signing_key(store, POOL)
    minted = tokens.mint(key, _sign_in())
    public = pyjwt.PyJWKSet.from_dict(tokens.jwks(key)).keys[0].key
    iss = f"https://cognito-idp.us-east-1.amazonaws.com/{POOL}"
    id_claims = pyjwt.decode(minted.id_token, public, algorithms=["RS256"], audience=CLIENT, issuer=iss)  # type: ignore[arg-type]
    assert id_claims["token_use"] == "id"
    assert id_claims["cognito:username"] == "alice"
    assert id_claims["email_verified"] is True
    assert id_claims["custom:team"] == "blue"
    assert id_claims["cognito:groups"] == ["admins", "users"]
    assert id_claims["cognito:preferred_role"] == "arn:aws:iam::111122223333:role/Admin"
    access = pyjwt.decode(minted.access_token, public, algorithms=["RS256"], issuer=iss)  # type: ignore[arg-type]
    assert access["token_use"] == "access"
    assert access["client_id"] == CLIENT and "aud" not in access
    assert access["scope"] == "aws.cognito.signin.user.admin"
    assert access["origin_jti"] == id_claims["origin_jti"]
    assert access["jti"] != id_claims["jti"]
    assert pyjwt.get_unverified_header(minted.id_token)["kid"] == key.key_id


def test_verify_accepts_the_pools_tokens_and_refuses_others(store: Store) -> None:
    key = tokens.signing_key(store, POOL)
    other = tokens.signing_key(store, OTHER)
    minted = tokens.mint(key, _sign_in())
    with store.read() as tx:
        claims = tokens.verify(tx, minted.access_token, region="us-east-1", pool_id=POOL, token_use="access")
        assert claims["username"] == "alice"
        with pytest.raises(tokens.InvalidToken, match="not an access token"):
            tokens.verify(tx, minted.id_token, region="us-east-1", pool_id=POOL, token_use="access")
        foreign = tokens.mint(other, _sign_in(pool_id=OTHER))
        with pytest.raises(tokens.InvalidToken, match="another user pool"):
            tokens.verify(tx, foreign.access_token, region="us-east-1", pool_id=POOL)
        header, _payload, signature = minted.access_token.split(".")
        forged = tokens.mint(other, _sign_in()).access_token.split(".")  # iss says POOL, other's key
        with pytest.raises(tokens.InvalidToken):
            tokens.verify(tx, f"{forged[0]}.{forged[1]}.{forged[2]}", region="us-east-1", pool_id=POOL)
        with pytest.raises(tokens.InvalidToken):
            tokens.verify(tx, f"{header}.{forged[1]}.{signature}", region="us-east-1", pool_id=POOL)
        expired = tokens.mint(key, _sign_in(), access_validity=60, now=time.time() - 120)
        with pytest.raises(tokens.InvalidToken) as caught:
            tokens.verify(tx, expired.access_token, region="us-east-1", pool_id=POOL)
        assert caught.value.expired


def test_a_pre_token_generation_trigger_can_add_and_suppress_id_claims(store: Store) -> None:
    key = tokens.signing_key(store, POOL)
    minted = tokens.mint(key, _sign_in(), extra_id_claims={"tier": "gold"}, suppress_id_claims=["email"])
    with store.read() as tx:
        claims = tokens.verify(tx, minted.id_token, region="us-east-1", pool_id=POOL, token_use="id")
    assert claims["tier"] == "gold" and "email" not in claims


def test_each_pool_keeps_one_key(store: Store) -> None:
    first = tokens.signing_key(store, POOL)
    assert tokens.signing_key(store, POOL) == first
    assert tokens.signing_key(store, OTHER).key_id != first.key_id
