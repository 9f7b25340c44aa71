"""Access key ids carry their account id the way AWS's do, and the secrets look like AWS's."""

from __future__ import annotations

import base64
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from localiam.state.access_keys import (
    account_id_from_access_key,
    is_temporary,
    new_access_key,
    new_secret_key,
    new_session_token,
)

account_ids = st.integers(0, 10**12 - 1).map(lambda n: f"{n:012d}")
BASE32 = re.compile(r"[A-Z2-7]{16}")


def semantics_rule(key_id: str) -> str:
    """The rule as AWS-SEMANTICS.md writes it: base32 of characters 4-12, minus 549755813888,
    times 2, plus 1 when character 12 is in the upper half of the base32 alphabet."""
    value = int.from_bytes(base64.b32decode(key_id[4:12]), "big")
    high_bit = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".index(key_id[12]) >> 4
    return f"{(value - 549755813888) * 2 + high_bit:012d}"


@given(account_ids, st.booleans())
def test_round_trip(account_id: str, temporary: bool) -> None:
    key_id = new_access_key(account_id, temporary=temporary)
    assert account_id_from_access_key(key_id) == account_id
    assert semantics_rule(key_id) == account_id
    assert len(key_id) == 20 and BASE32.fullmatch(key_id[4:])
    assert key_id.startswith("ASIA" if temporary else "AKIA")
    assert is_temporary(key_id) == temporary


def test_public_examples() -> None:
    # Aidan Steele, "AWS Access Key ID formats" (2020), confirmed by sts:GetAccessKeyInfo.
    assert account_id_from_access_key("ASIAY34FZKBOKMUTVV7A") == "609629065308"
    # The documentation's example key is of the old generation, which carries no account id.
    assert account_id_from_access_key("AKIAIOSFODNN7EXAMPLE") is None


@pytest.mark.parametrize("key_id", ["", "AKIA", "AKIAY34FZKBOKMUTVV7", "AKIAY34FZKBOKMUTVV7AA", "AKIAY34FZKBOKMUTVV01"])
def test_undecodable_ids(key_id: str) -> None:
    assert account_id_from_access_key(key_id) is None


@pytest.mark.parametrize("account_id", ["12345678901", "1234567890123", "12345678901a", "", "\uff11" * 12])
def test_account_ids_are_twelve_digits(account_id: str) -> None:
    with pytest.raises(ValueError, match="twelve digits"):
        new_access_key(account_id)


def test_keys_are_random() -> None:
    assert len({new_access_key("123456789012") for _ in range(50)}) == 50


def test_secret_keys_and_session_tokens() -> None:
    secret = new_secret_key()
    assert len(secret) == 40 and re.fullmatch(r"[A-Za-z0-9+/]{40}", secret)
    assert new_secret_key() != secret
    token = new_session_token()
    assert len(token) >= 300 and base64.b64decode(token, validate=True)
    assert new_session_token() != token
