"""The server side of Cognito's SRP (``localiam.services.cognito_idp.srp``) against a client we
did not write: ``pycognito``'s ``AWSSRP``, which signs in to Amazon Cognito unchanged. It makes
``SRP_A``, reads our ``SRP_B``/``SALT``/``SECRET_BLOCK`` and answers with the
``PASSWORD_CLAIM_SIGNATURE``; our verifier must accept the right password and refuse others.
The group prime is checked against RFC 3526's definition, computed here from pi."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from decimal import Decimal, getcontext
from typing import Any

import pytest
from pycognito.aws_srp import AWSSRP

from localiam.services.cognito_idp import srp

POOL = "us-east-1_AbC123xyZ"
CLIENT = "3n4b5urk1ft4fl3mg5e62d9ado"


class _NoClient:
    """AWSSRP wants a boto3 client only for its own calls; the test drives it by hand."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"AWSSRP called {name}")


def _sign_in(password_on_client: str, password_stored: str, user: str = "alice") -> bool:
    verifier = srp.make_verifier(POOL, user, password_stored)
    client = AWSSRP(user, password_on_client, POOL, CLIENT, client=_NoClient())
    srp_a = client.get_auth_params()["SRP_A"]
    step = srp.server_step(verifier)
    secret_block = base64.b64encode(secrets.token_bytes(64)).decode()
    challenge = {
        "SALT": verifier.salt,
        "SRP_B": step.srp_b,
        "SECRET_BLOCK": secret_block,
        "USER_ID_FOR_SRP": user,
        "USERNAME": user,
    }
    answer = client.process_challenge(challenge, {"USERNAME": user})
    assert answer["PASSWORD_CLAIM_SECRET_BLOCK"] == secret_block
    return srp.verify_claim(
        verifier,
        step,
        srp_a,
        POOL,
        user,
        answer["PASSWORD_CLAIM_SECRET_BLOCK"],
        answer["TIMESTAMP"],
        answer["PASSWORD_CLAIM_SIGNATURE"],
    )


@pytest.mark.parametrize("attempt", range(5))
def test_pycognito_signs_in_with_the_right_password(attempt: int) -> None:
    password = f"Corr3ct-Horse-{attempt}!"
    assert _sign_in(password, password)


def test_a_wrong_password_is_refused() -> None:
    assert not _sign_in("Wr0ng-Horse!", "Corr3ct-Horse!")


def test_the_verifier_is_bound_to_the_user() -> None:
    verifier = srp.make_verifier(POOL, "alice", "Secret-1!")
    assert verifier != srp.make_verifier(POOL, "alice", "Secret-1!")  # a fresh salt each time
    client = AWSSRP("bob", "Secret-1!", POOL, CLIENT, client=_NoClient())
    srp_a = client.get_auth_params()["SRP_A"]
    step = srp.server_step(verifier)
    block = base64.b64encode(b"block").decode()
    answer = client.process_challenge(
        {
            "SALT": verifier.salt,
            "SRP_B": step.srp_b,
            "SECRET_BLOCK": block,
            "USER_ID_FOR_SRP": "bob",
            "USERNAME": "bob",
        },
        {"USERNAME": "bob"},
    )
    assert not srp.verify_claim(
        verifier, step, srp_a, POOL, "bob", block, answer["TIMESTAMP"], answer["PASSWORD_CLAIM_SIGNATURE"]
    )


def test_an_a_of_zero_modulo_n_is_refused() -> None:
    verifier = srp.make_verifier(POOL, "alice", "pw")
    step = srp.server_step(verifier)
    with pytest.raises(srp.SrpError):
        srp.session_key(verifier, srp.N_HEX, step)
    assert not srp.verify_claim(verifier, step, "0", POOL, "alice", "", "t", "sig")


def test_timestamps_are_written_as_cognito_clients_write_them() -> None:
    moment = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert srp.timestamp(moment) == "Tue Jan 2 03:04:05 UTC 2024"
    assert srp.timestamp(dt.datetime(2026, 12, 25, 23, 59, 0, tzinfo=dt.UTC)) == "Fri Dec 25 23:59:00 UTC 2026"


@pytest.mark.parametrize(
    ("value", "padded"), [(0x1, "01"), (0x7F, "7f"), (0x80, "0080"), (0xABC, "0abc"), (0xF00D, "00f00d")]
)
def test_hex_is_padded_as_cognito_pads_it(value: int, padded: str) -> None:
    assert srp.pad_hex(value) == padded


def _pi(digits: int) -> Decimal:
    """Machin's formula: pi = 16 atan(1/5) - 4 atan(1/239)."""
    getcontext().prec = digits + 10

    def atan_inv(n: int) -> Decimal:
        total, term, k, sign = Decimal(0), Decimal(1) / n, 1, 1
        n2 = n * n
        while term > Decimal(10) ** -(digits + 5):
            total += sign * term / k
            term /= n2
            k += 2
            sign = -sign
        return total

    return 16 * atan_inv(5) - 4 * atan_inv(239)


def test_the_group_is_rfc_3526s_3072_bit_prime() -> None:
    floor_pi_term = int(_pi(950) * (Decimal(2) ** 2942))
    expected = 2**3072 - 2**3008 - 1 + 2**64 * (floor_pi_term + 1690314)
    assert expected == srp.N
    assert srp.N.bit_length() == 3072
