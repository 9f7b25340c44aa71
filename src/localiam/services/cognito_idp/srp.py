"""The server side of Cognito's Secure Remote Password sign-in (``USER_SRP_AUTH`` then the
``PASSWORD_VERIFIER`` challenge): SRP-6a (RFC 5054, RFC 2945) as Amazon Cognito's clients run it
(Cognito Developer Guide ``amazon-cognito-user-pools-authentication-flow``, "SRP"; the client
side is in the AWS Amplify and Cognito SDKs).

- The group is RFC 3526's 3072-bit MODP prime with generator 2; hashes are SHA-256 over bytes;
  numbers travel as hex, "padded" as Cognito pads them: an even number of digits, and a leading
  ``00`` when the first digit is 8-f (so the bytes never read as negative).
- ``k = H(00 N | 0 g)`` - the hex strings, padded as written, then read as bytes;
  ``x = H(pad(salt) | H(POOL | USER | ":" | PASSWORD))`` where ``POOL`` is the pool id after its
  ``_`` and ``USER`` the ``USER_ID_FOR_SRP``; the verifier is ``v = g^x``.
- The client sends ``SRP_A = g^a``; the server answers ``SRP_B = k v + g^b``, ``SALT`` and a
  ``SECRET_BLOCK``; both compute ``u = H(pad(A) | pad(B))`` and the shared ``S`` (server:
  ``(A v^u)^b``), and derive a 16-byte key with HKDF-SHA256 (salt ``pad(u)``, info
  ``"Caldera Derived Key"``, one block).
- The client proves it knows the password with ``PASSWORD_CLAIM_SIGNATURE =
  HMAC-SHA256(key, POOL | USER | SECRET_BLOCK | TIMESTAMP)``, the timestamp written
  ``"Tue Jan 2 03:04:05 UTC 2024"`` (English names, day without a leading zero).

A stored verifier lets the server check a password without ever holding it, and is what any SRP
server must keep: ``v`` with its salt. It is derived with SHA-256, fast, as Cognito's protocol
fixes it; localiam keeps it only in the store (mode 0600) next to the slow password hash that
``USER_PASSWORD_AUTH`` checks.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

N_HEX = (
    "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404dd"
    "ef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed"
    "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f"
    "83655d23dca3ad961c62f356208552bb9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b"
    "e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa0510"
    "15728e5a8aaac42dad33170d04507a33a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7db3970f85a6e1e4c7"
    "abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864d87602733ec86a64521f2b18177b200c"
    "bbe117577a615d6c770988c0bad946e208e24fa074e5ab3143db5bfce0fd108e4b82d120a93ad2caffffffffffffffff"
)
"""RFC 3526 section 4, the 3072-bit MODP group: 2^3072 - 2^3008 - 1 + 2^64 (floor(2^2942 pi) + 1690314)."""
N = int(N_HEX, 16)
G = 2
INFO = b"Caldera Derived Key"
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def pad_hex(value: int | str) -> str:
    """A number as Cognito's clients write it before hashing (see the module docstring)."""
    text = value if isinstance(value, str) else format(value, "x")
    if len(text) % 2:
        return "0" + text
    if text[0].lower() in "89abcdef":
        return "00" + text
    return text


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _h_int(hex_text: str) -> int:
    return int.from_bytes(_h(bytes.fromhex(hex_text)), "big")


K = _h_int("00" + N_HEX + "0" + format(G, "x"))


def pool_name(pool_id: str) -> str:
    """``us-east-1_AbC123xyZ`` -> ``AbC123xyZ``: the part of the pool id the proofs use."""
    return pool_id.split("_", 1)[1] if "_" in pool_id else pool_id


def _x(pool_id: str, user_id: str, password: str, salt_hex: str) -> int:
    inner = hashlib.sha256(f"{pool_name(pool_id)}{user_id}:{password}".encode()).hexdigest()
    return _h_int(pad_hex(salt_hex) + inner)


@dataclass(frozen=True, slots=True)
class Verifier:
    """What the store keeps for SRP: the salt (hex) and ``v = g^x`` (hex)."""

    salt: str
    verifier: str


def make_verifier(pool_id: str, user_id: str, password: str) -> Verifier:
    salt = secrets.token_hex(16)
    return Verifier(salt, format(pow(G, _x(pool_id, user_id, password, salt), N), "x"))


@dataclass(frozen=True, slots=True)
class ServerStep:
    """The server's half of one sign-in: its secret ``b`` and the public ``B`` (hex)."""

    b: int
    srp_b: str


class SrpError(ValueError):
    """A client value SRP must refuse (``A mod N == 0``)."""


def server_step(verifier: Verifier) -> ServerStep:
    v = int(verifier.verifier, 16)
    while True:
        # RFC 5054 section 2.5.3: a and b are random and at least 256 bits; more only costs
        # time (a 1024-bit b made each sign-in's modular exponentiations four times slower).
        b = secrets.randbits(256) | (1 << 255)
        big_b = (K * v + pow(G, b, N)) % N
        if big_b:
            return ServerStep(b, format(big_b, "x"))


def session_key(verifier: Verifier, srp_a: str, step: ServerStep) -> bytes:
    """The 16-byte key both sides derive (HKDF-SHA256 of ``S`` with ``u`` as salt)."""
    a = int(srp_a, 16)
    if a % N == 0:
        raise SrpError("SRP_A is 0 modulo N")
    u = _h_int(pad_hex(srp_a) + pad_hex(step.srp_b))
    if u == 0:
        raise SrpError("u is 0")
    v = int(verifier.verifier, 16)
    shared = pow(a * pow(v, u, N), step.b, N)
    prk = hmac.new(bytes.fromhex(pad_hex(u)), bytes.fromhex(pad_hex(shared)), hashlib.sha256).digest()
    return hmac.new(prk, INFO + b"\x01", hashlib.sha256).digest()[:16]


def timestamp(moment: _dt.datetime) -> str:
    """``Tue Jan 2 03:04:05 UTC 2024``: the ``TIMESTAMP`` a client signs (English names, day
    of the month without a leading zero), in UTC."""
    t = moment.astimezone(_dt.UTC)
    return f"{_WEEKDAYS[t.weekday()]} {_MONTHS[t.month - 1]} {t.day} {t:%H:%M:%S} UTC {t.year}"


def claim_signature(key: bytes, pool_id: str, user_id: str, secret_block: str, stamp: str) -> str:
    """The ``PASSWORD_CLAIM_SIGNATURE`` a client with the right password sends (base64)."""
    message = pool_name(pool_id).encode() + user_id.encode() + base64.b64decode(secret_block) + stamp.encode()
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def verify_claim(
    verifier: Verifier,
    step: ServerStep,
    srp_a: str,
    pool_id: str,
    user_id: str,
    secret_block: str,
    stamp: str,
    signature: str,
) -> bool:
    """Whether ``signature`` proves the password behind ``verifier``; constant-time compare."""
    try:
        key = session_key(verifier, srp_a, step)
    except (SrpError, ValueError):
        return False
    expected = claim_signature(key, pool_id, user_id, secret_block, stamp)
    return hmac.compare_digest(expected.encode(), signature.encode())
