"""Confirmation codes (sign-up, forgotten password, attribute verification): six digits, valid
24 hours for sign-up and 1 hour for a password reset (Cognito Developer Guide
``signing-up-users-in-your-app``, ``managing-users-passwords``). Cognito would e-mail them; here
they are kept in the store for ``localiam cognito codes`` (and :func:`codes_for`), and never
returned to the caller that asked for them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from localiam.services.cognito_idp._service import user_named
from localiam.state import iam_store, schema
from localiam.state.store import Tx

SIGN_UP_LIFETIME = 86400
RESET_LIFETIME = 3600


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


@dataclass(frozen=True, slots=True)
class KeptMessage:
    """A code or temporary password Cognito would have sent."""

    pool_id: str
    username: str
    purpose: str
    code: str
    expires_at: float
    message: str | None = None
    """The e-mail text a CustomMessage trigger wrote, with the code in it."""


def codes_for(tx: Tx, pool_id: str, username: str | None = None) -> list[KeptMessage]:
    """The kept messages of a pool, or of one user: ``username`` may also be the e-mail address
    or phone number the user signs in with."""
    where: dict[str, object] = {"pool_id": pool_id}
    if username is not None:
        where["username"] = _username(tx, pool_id, username)
    rows = iam_store.rows(tx, schema.cognito_codes, order_by=("created_at", "username", "purpose"), **where)
    return [
        KeptMessage(
            str(r["pool_id"]),
            str(r["username"]),
            str(r["purpose"]),
            str(r["code"]),
            float(r["expires_at"]),
            r["message"],
        )
        for r in rows
    ]


def _username(tx: Tx, pool_id: str, name: str) -> str:
    row = user_named(tx, pool_id, name, ["username", "email", "phone_number"])
    return str(row["username"]) if row is not None else name
