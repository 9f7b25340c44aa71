"""Accounts, their root credentials, and the lookup of any access key the store issued.

An account has a 12-digit id, an S3 canonical user id, and root access keys. Access key ids
encode the account id (:mod:`localiam.state.access_keys`), so ``sts:GetAccessKeyInfo`` can
answer without a lookup, as AWS's does.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from localiam.errors import client_error
from localiam.state import schema
from localiam.state.access_keys import new_access_key, new_secret_key
from localiam.state.store import Tx
from localiam.state.world import canonical_user_id


@dataclass(frozen=True, slots=True)
class RootCredentials:
    account_id: str
    access_key_id: str
    secret_access_key: str

    def as_dict(self) -> dict[str, str]:
        return {
            "AccountId": self.account_id,
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
        }


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """What the SigV4 verifier and the principal resolver need to know about an access key.

    ``kind`` is ``root``, ``user`` or ``session``; for sessions ``session`` holds the row."""

    access_key_id: str
    secret: str
    account_id: str
    kind: str
    active: bool
    user_key: str | None = None
    session_token: str | None = None
    expires_at: float | None = None
    session: dict[str, Any] = field(default_factory=dict)


def _new_account_id(tx: Tx) -> str:
    while True:
        candidate = "".join(secrets.choice("0123456789") for _ in range(12))
        if candidate[0] != "0" and account_exists(tx, candidate) is False:
            return candidate


def account_exists(tx: Tx, account_id: str) -> bool:
    return tx.one_or_none(select(schema.accounts.c.id).where(schema.accounts.c.id == account_id)) is not None


def create_account(
    tx: Tx, *, account_id: str | None = None, name: str | None = None, email: str | None = None
) -> RootCredentials:
    """A new account with root access keys. ``EntityAlreadyExists`` if the id is taken."""
    if account_id is None:
        account_id = _new_account_id(tx)
    elif not (len(account_id) == 12 and account_id.isdigit()):
        raise client_error("ValidationError", f"Account id {account_id!r} must be 12 digits.")
    elif account_exists(tx, account_id):
        raise client_error("EntityAlreadyExists", f"Account {account_id} already exists.", 409)
    tx.execute(
        schema.accounts.insert().values(
            id=account_id,
            name=name or f"account-{account_id}",
            email=email or f"root+{account_id}@localiam.invalid",
            canonical_user_id=canonical_user_id(account_id),
            created_at=tx.now,
        )
    )
    key_id, secret = create_access_key(tx, account_id, None)
    tx.touch(account_id)
    return RootCredentials(account_id, key_id, secret)


def create_access_key(tx: Tx, account_id: str, user_key: str | None) -> tuple[str, str]:
    """Issue a long-term key for a user (``user_key``) or the root user (``None``)."""
    key_id = new_access_key(account_id)
    secret = new_secret_key()
    tx.execute(
        schema.access_keys.insert().values(
            access_key_id=key_id,
            secret=secret,
            account_id=account_id,
            user_key=user_key,
            status="Active",
            created_at=tx.now,
        )
    )
    return key_id, secret


def lookup_key(tx: Tx, access_key_id: str) -> KeyRecord | None:
    """Any access key the store issued: a long-term key or a session's temporary key."""
    if access_key_id.startswith("ASIA"):
        row = tx.one_or_none(select(schema.sessions).where(schema.sessions.c.access_key_id == access_key_id))
        if row is None:
            return None
        session = dict(row._mapping)
        for name in ("policy_arns", "tags", "transitive_tag_keys", "federation", "scope_policies"):
            session[name] = json.loads(session[name]) if session.get(name) else None
        return KeyRecord(
            access_key_id,
            row.secret,
            row.account_id,
            "session",
            True,
            user_key=row.user_key,
            session_token=row.session_token,
            expires_at=row.expires_at,
            session=session,
        )
    row = tx.one_or_none(select(schema.access_keys).where(schema.access_keys.c.access_key_id == access_key_id))
    if row is None:
        return None
    return KeyRecord(
        access_key_id,
        row.secret,
        row.account_id,
        "root" if row.user_key is None else "user",
        row.status == "Active",
        user_key=row.user_key,
    )
