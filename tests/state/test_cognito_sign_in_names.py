"""Cognito users are found by sign-in name through indexed columns (migration 0015,
``services/cognito_idp/_service.py``: ``sign_in_columns``, ``user_named``): users made before
the migration get them filled in from their attributes, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from alembic import command

from localiam.services.cognito_idp._service import user_named
from localiam.state import iam_store, schema
from localiam.state.migrate import _config, current, upgrade
from localiam.state.store import Store

POOL = "us-east-1_Migrated1"


@pytest.fixture
def store(store_url: str):
    s = Store(store_url)
    yield s
    s.close()


def test_migration_0015_fills_the_sign_in_names_of_existing_users(store: Store) -> None:
    command.downgrade(_config(store.engine), "0014")
    assert current(store.engine) == "0014"
    users = {
        "Dana": {"sub": "s-1", "email": "Dana@Example.COM", "phone_number": "+15550100"},
        "eve": {"sub": "s-2"},
    }
    # The table as it was at 0014, without the new columns.
    columns = [
        "pool_id",
        "username",
        "sub",
        "status",
        "enabled",
        "attributes",
        "failed_attempts",
        "created_at",
        "updated_at",
    ]
    before = sa.table("cognito_users", *(sa.column(name) for name in columns))
    with store.engine.begin() as conn:
        for n, (username, attributes) in enumerate(users.items()):
            conn.execute(
                before.insert().values(
                    pool_id=POOL,
                    username=username,
                    sub=attributes["sub"],
                    status="CONFIRMED",
                    enabled=True,
                    attributes=json.dumps(attributes),
                    failed_attempts=0,
                    created_at=float(n),
                    updated_at=float(n),
                )
            )
    upgrade(store.engine)
    with store.read() as tx:
        dana = iam_store.one(tx, schema.cognito_users, pool_id=POOL, username="Dana")
        assert dana is not None
        assert (dana["username_lower"], dana["email_lower"], dana["phone_lower"]) == (
            "dana",
            "dana@example.com",
            "+15550100",
        )
        eve = iam_store.one(tx, schema.cognito_users, pool_id=POOL, username="eve")
        assert eve is not None and (eve["email_lower"], eve["phone_lower"]) == (None, None)
        found = user_named(tx, POOL, "DANA@example.com", ["username", "email"])
        assert found is not None and found["username"] == "Dana"
        assert user_named(tx, POOL, "+15550100", ["username"]) is None  # not a kind asked for
        found = user_named(tx, POOL, "EVE", ["username"])
        assert found is not None and found["username"] == "eve"
