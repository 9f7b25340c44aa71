"""First start: on an empty store, an organization management account exists (README,
``localiam serve``): an account, its root credentials, and an organization it manages."""

from __future__ import annotations

from sqlalchemy import select

from localiam.state import schema
from localiam.state.accounts import RootCredentials, create_account
from localiam.state.org_store import create_organization
from localiam.state.store import Store


def first_start(store: Store) -> RootCredentials | None:
    """Create the management account and its organization when the store has no account;
    return its root credentials then (only then: they are shown once)."""
    with store.write() as tx:
        if tx.one_or_none(select(schema.accounts.c.id).limit(1)) is not None:
            return None
        creds = create_account(tx, name="management")
        create_organization(tx, creds.account_id)
        tx.touch(creds.account_id)
        return creds
