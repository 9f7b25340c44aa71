"""Access key ids, secret keys and session tokens, issued the way AWS shapes them.

An access key id is a four-character prefix and sixteen base32 characters (RFC 4648 alphabet
``A-Z2-7``), which carry 80 bits. ``AKIA`` marks long-term keys (IAM users, the root user),
``ASIA`` temporary keys from STS (``API_GetAccessKeyInfo`` in the STS API Reference: "Access key
IDs beginning with AKIA are long-term credentials ... ASIA are temporary credentials").

AWS does not document the 80 bits; the layout below is what public research observed on real
keys and what ``sts:GetAccessKeyInfo`` answers for them:

- bit 0 (the top bit of character 4) is the key's generation; 1 on current keys. Keys of the old
  generation (``AKIAI...``, ``AKIAJ...``, such as the documentation's ``AKIAIOSFODNN7EXAMPLE``)
  do not carry the account id (WithSecure Labs, "A bitwise analysis of AWS access key
  identifiers", over 3000 keys);
- bits 1-40 are the twelve-digit account id in binary (Tal Beery, "A short note on AWS KEY ID",
  correcting Aidan Steele's "AWS Access Key ID formats": ``ASIAY34FZKBOKMUTVV7A`` decodes to
  ``609629065308``);
- the remaining 39 bits vary per key.

So "base32 of characters 4-12, minus 2**39, times 2, plus 1 when character 12 is in the upper
half of the alphabet" (``AWS-SEMANTICS.md``) is the same rule written per character: the minus
removes the generation bit, the times two and the plus one append bit 40.
"""

from __future__ import annotations

import base64
import binascii
import secrets

LONG_TERM_PREFIX = "AKIA"
TEMPORARY_PREFIX = "ASIA"

_ACCOUNT_BITS = 40
_RANDOM_BITS = 39
_PAYLOAD_BITS = 1 + _ACCOUNT_BITS + _RANDOM_BITS  # 80 bits, ten bytes, sixteen base32 characters
_KEY_ID_LENGTH = 20


def new_access_key(account_id: str, temporary: bool = False) -> str:
    """A random access key id of ``account_id`` (``ASIA...`` when ``temporary``), decodable by
    :func:`account_id_from_access_key`."""
    account = _account_number(account_id)
    payload = (1 << (_PAYLOAD_BITS - 1)) | (account << _RANDOM_BITS) | secrets.randbits(_RANDOM_BITS)
    body = base64.b32encode(payload.to_bytes(_PAYLOAD_BITS // 8, "big")).decode("ascii")
    return (TEMPORARY_PREFIX if temporary else LONG_TERM_PREFIX) + body


def account_id_from_access_key(access_key_id: str) -> str | None:
    """The account id an access key id encodes (what ``sts:GetAccessKeyInfo`` returns), or
    ``None`` for an id that is not twenty base32 characters or is of the old generation."""
    if len(access_key_id) != _KEY_ID_LENGTH or not access_key_id[:4].isalnum():
        return None
    try:
        raw = base64.b32decode(access_key_id[4:])
    except (binascii.Error, ValueError):
        return None
    payload = int.from_bytes(raw, "big")
    if not payload >> (_PAYLOAD_BITS - 1):
        return None
    account = (payload >> _RANDOM_BITS) & ((1 << _ACCOUNT_BITS) - 1)
    if account >= 10**12:
        return None
    return f"{account:012d}"


def is_temporary(access_key_id: str) -> bool:
    """Whether the id is of a temporary (STS session) key."""
    return access_key_id.startswith(TEMPORARY_PREFIX)


def new_secret_key() -> str:
    """A random 40-character secret access key (base64 alphabet, like AWS's)."""
    return base64.b64encode(secrets.token_bytes(30)).decode("ascii")


def new_session_token() -> str:
    """A random, opaque session token (base64, a few hundred characters like AWS's)."""
    return base64.b64encode(secrets.token_bytes(264)).decode("ascii")


def _account_number(account_id: str) -> int:
    if len(account_id) != 12 or not account_id.isascii() or not account_id.isdigit():
        raise ValueError(f"an account id is twelve digits, not {account_id!r}")
    return int(account_id)
