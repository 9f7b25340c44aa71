"""Virtual MFA devices in the store, on SQLite and PostgreSQL (``state/mfa_store.py``): the
seed never reaches an error, a code's step is accepted once (RFC 6238 section 5.2) even by
two writers racing, and migration 0004 can be undone and redone."""

from __future__ import annotations

import threading
import traceback

import pytest

from localiam.state import iam_store, mfa_store, schema
from localiam.state.accounts import create_account
from localiam.state.migrate import current, upgrade
from localiam.state.store import Store

SERIAL = "arn:aws:iam::{account}:mfa/Phone"
SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def store(store_url: str):
    s = Store(store_url)
    yield s
    s.close()


def _device(store: Store) -> tuple[str, str]:
    with store.write() as tx:
        account = create_account(tx).account_id
        serial = SERIAL.format(account=account)
        mfa_store.add_device(tx, account_id=account, serial_number=serial, seed=SEED, created_at=tx.now)
    return account, mfa_store.serial_key(serial)


def test_a_failed_insert_does_not_show_the_seed(store: Store) -> None:
    account, _key = _device(store)
    with pytest.raises(mfa_store.DeviceWriteFailed) as failed, store.write() as tx:
        serial = SERIAL.format(account=account).upper()  # the same device, case-insensitively
        mfa_store.add_device(tx, account_id=account, serial_number=serial, seed=SEED, created_at=tx.now)
    shown = "".join(traceback.format_exception(failed.value))
    assert SEED not in shown and "could not store MFA device" in shown


def test_a_step_is_accepted_once_and_never_an_older_one(store: Store) -> None:
    account, key = _device(store)
    with store.write() as tx:
        assert mfa_store.accept_step(tx, account, key, 100)
        assert not mfa_store.accept_step(tx, account, key, 100)
        assert not mfa_store.accept_step(tx, account, key, 99)
        assert mfa_store.accept_step(tx, account, key, 102, newer_than=101)
        assert not mfa_store.accept_step(tx, account, key, 104, newer_than=102)
        row = iam_store.one(tx, schema.mfa_devices, account_id=account, serial_key=key)
    assert row is not None and row["last_used_step"] == 102


def test_enabling_needs_an_unassigned_device(store: Store) -> None:
    account, key = _device(store)
    with store.write() as tx:
        assert mfa_store.accept_step(tx, account, key, 10, unassigned_only=True, user_key="alice")
        assert not mfa_store.accept_step(tx, account, key, 20, unassigned_only=True, user_key="bob")
        row = iam_store.one(tx, schema.mfa_devices, account_id=account, serial_key=key)
    assert row is not None and row["user_key"] == "alice"


def test_racing_writers_accept_a_step_once(store: Store) -> None:
    account, key = _device(store)
    wins: list[bool] = []
    start = threading.Barrier(4)

    def use() -> None:
        start.wait()
        with store.write() as tx:
            wins.append(mfa_store.accept_step(tx, account, key, 500))

    threads = [threading.Thread(target=use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False, False, False, True]


def test_migration_0004_down_and_up(store: Store) -> None:
    from alembic import command

    from localiam.state.migrate import _config

    command.downgrade(_config(store.engine), "0003")
    assert current(store.engine) == "0003"
    upgrade(store.engine)
    assert (current(store.engine) or "") >= "0004"
    _device(store)
