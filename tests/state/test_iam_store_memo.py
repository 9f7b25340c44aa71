"""Rows remembered within a transaction are never stale: any write empties the memo."""

from __future__ import annotations

from localiam.state import iam_store, schema
from localiam.state.accounts import create_account
from localiam.state.store import Store


def test_one_remembers_reads_until_the_transaction_writes() -> None:
    store = Store.ephemeral()
    with store.write() as tx:
        account = create_account(tx, name="before").account_id
    with store.write() as tx:
        first = iam_store.one(tx, schema.accounts, id=account)
        assert first is not None and first["name"] == "before"
        first["name"] = "mutated by the caller"  # callers get copies: the memo is not touched
        again = iam_store.one(tx, schema.accounts, id=account)
        assert again is not None and again["name"] == "before"
        iam_store.change(tx, schema.accounts, {"id": account}, name="after")
        assert iam_store.one(tx, schema.accounts, id=account)["name"] == "after"  # type: ignore[index]
    with store.read() as tx:
        assert iam_store.one(tx, schema.accounts, id=account)["name"] == "after"  # type: ignore[index]
        assert iam_store.one(tx, schema.accounts, id="000000000000") is None
    store.close()
