"""Confirmation codes (sign-up, forgotten password, attribute verification): six digits, valid
24 hours for sign-up and 1 hour for a password reset (Cognito Developer Guide
``signing-up-users-in-your-app``, ``managing-users-passwords``). Cognito would e-mail them; here
they are kept in the store for ``localiam cognito codes`` (and :func:`codes_for`), and never
returned to the caller that asked for them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

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


def codes_for(tx: Tx, pool_id: str, username: str | None = None) -> list[KeptMessage]:
    where: dict[str, object] = {"pool_id": pool_id}
    if username is not None:
        where["username"] = username
    rows = iam_store.rows(tx, schema.cognito_codes, order_by=("created_at", "username", "purpose"), **where)
    return [
        KeptMessage(str(r["pool_id"]), str(r["username"]), str(r["purpose"]), str(r["code"]), float(r["expires_at"]))
        for r in rows
    ]
