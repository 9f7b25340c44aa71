"""Passwords of user pool users: the pool's password policy with Cognito's wording, and storage
as a slow salted hash only (scrypt, RFC 7914, from the standard library).

``InvalidPasswordException`` messages as Cognito words them ("Password did not conform with
policy: Password not long enough", "... Password must have uppercase characters", lowercase,
numeric, symbol characters); symbols are Cognito's list (``user-pool-settings-policies``):
``^ $ * . [ ] { } ( ) ? " ! @ # % & / \\ , > < ' : ; | _ ~ ` = + -`` and the space.

A stored hash reads ``scrypt$N$r$p$salt$hash`` (base64); verification is constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any

from localiam.errors import AwsError

SYMBOLS = frozenset("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")
_N, _R, _P = 2**14, 8, 1
"""scrypt's cost: 16 MiB and about 40-60 ms per hash on a laptop core (bench/cognito.py reports it)."""


def invalid_password(reason: str) -> AwsError:
    return AwsError(f"Password did not conform with policy: {reason}", code="InvalidPasswordException", status=400)


def check_policy(password: Any, policy: Mapping[str, Any]) -> str:
    """``password`` if it meets the pool's ``PasswordPolicy``, else ``InvalidPasswordException``."""
    if not isinstance(password, str):
        raise invalid_password("Password not long enough")
    if len(password) < int(policy.get("MinimumLength", 8)):
        raise invalid_password("Password not long enough")
    if policy.get("RequireUppercase", True) and not any(c.isupper() for c in password):
        raise invalid_password("Password must have uppercase characters")
    if policy.get("RequireLowercase", True) and not any(c.islower() for c in password):
        raise invalid_password("Password must have lowercase characters")
    if policy.get("RequireNumbers", True) and not any(c.isdigit() for c in password):
        raise invalid_password("Password must have numeric characters")
    if policy.get("RequireSymbols", True) and not any(c in SYMBOLS for c in password):
        raise invalid_password("Password must have symbol characters")
    return password


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def temporary_password() -> str:
    """A temporary password that meets any policy Cognito allows (AdminCreateUser without one)."""
    core = secrets.token_urlsafe(12)
    return f"{core}Aa1!"
