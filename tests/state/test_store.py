"""The durable store on SQLite and PostgreSQL: migrations, transactions, account versions and
their announcement to other processes (``docs/design.md``, "State" and "Scale")."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import inspect, select, text

from localiam.errors import AwsError
from localiam.state import schema
from localiam.state.accounts import account_exists, create_account, lookup_key
from localiam.state.migrate import MIGRATIONS, current
from localiam.state.store import ALL_ACCOUNTS, NOTIFY_CHANNEL, Store

A, B, C = "111111111111", "222222222222", "333333333333"


@pytest.fixture
def store(store_url: str):
    s = Store(store_url)
    yield s
    s.close()


def _head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def _wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())


def test_migrations_reach_head_and_create_every_table(store: Store) -> None:
    assert current(store.engine) == _head()
    tables = set(inspect(store.engine).get_table_names())
    assert set(schema.metadata.tables) <= tables
    # Opening again migrates nothing and changes nothing.
    again = Store(store.url)
    try:
        assert current(again.engine) == _head()
    finally:
        again.close()


def test_a_committed_write_is_read_back(store: Store) -> None:
    with store.write() as tx:
        creds = create_account(tx, account_id=A, name="alpha")
    with store.read() as tx:
        assert account_exists(tx, A)
        keys = schema.access_keys
        row = tx.one_or_none(select(keys).where(keys.c.access_key_id == creds.access_key_id))
    assert row.secret == creds.secret_access_key and row.account_id == A


def test_an_error_rolls_the_whole_transaction_back(store: Store) -> None:
    with store.read() as tx:
        before = store.versions(tx)
    with pytest.raises(RuntimeError), store.write() as tx:
        create_account(tx, account_id=A)
        tx.touch(B)
        raise RuntimeError("half-way")
    with store.read() as tx:
        assert not account_exists(tx, A)
        assert tx.execute(select(schema.access_keys)).first() is None
        assert store.versions(tx) == before


def test_an_aws_error_from_the_store_rolls_back_too(store: Store) -> None:
    with store.write() as tx:
        create_account(tx, account_id=A)
    with pytest.raises(AwsError), store.write() as tx:
        create_account(tx, account_id=B)
        create_account(tx, account_id=A)  # EntityAlreadyExists
    with store.read() as tx:
        assert not account_exists(tx, B)


def test_versions_bump_once_per_touched_account(store: Store) -> None:
    with store.write() as tx:
        create_account(tx, account_id=A)
        create_account(tx, account_id=B)
        create_account(tx, account_id=C)
    with store.read() as tx:
        v0 = store.versions(tx)
    with store.write() as tx:
        tx.touch(A)
        tx.touch(A)
        tx.touch(B)
    with store.read() as tx:
        v1 = store.versions(tx)
        assert store.versions(tx, {A}) == {A: v1[A]}
    assert v1[A] == v0[A] + 1 and v1[B] == v0[B] + 1 and v1[C] == v0[C]
    # A transaction that only read bumps nothing.
    with store.write() as tx:
        tx.execute(select(schema.accounts))
    with store.read() as tx:
        assert store.versions(tx) == v1
    # One that wrote without naming an account bumps "*": every cache drops everything.
    with store.write() as tx:
        tx.execute(schema.accounts.update().where(schema.accounts.c.id == C).values(name="renamed"))
    with store.read() as tx:
        v2 = store.versions(tx)
    assert v2[ALL_ACCOUNTS] == v1.get(ALL_ACCOUNTS, 0) + 1
    assert {k: v for k, v in v2.items() if k != ALL_ACCOUNTS} == {k: v for k, v in v1.items() if k != ALL_ACCOUNTS}


def test_a_read_transaction_connects_only_when_used(store: Store) -> None:
    pool = store.engine.pool
    before = pool.checkedout()  # type: ignore[attr-defined]
    with store.read() as tx:
        assert pool.checkedout() == before  # type: ignore[attr-defined]
        tx.execute(select(schema.accounts.c.id))
        assert pool.checkedout() == before + 1  # type: ignore[attr-defined]
        assert not tx.wrote
    assert pool.checkedout() == before  # type: ignore[attr-defined]


def test_concurrent_writers_serialize_without_errors(store: Store) -> None:
    """Eight threads each commit 15 transactions that all touch the same account and insert a
    row: none fails (SQLite queues writers on the write lock, PostgreSQL on the row lock), and
    every one counts."""
    with store.write() as tx:
        create_account(tx, account_id=A)
    with store.read() as tx:
        start = store.versions(tx)[A]
    errors: list[BaseException] = []
    threads_n, per_thread = 8, 15

    def writer(n: int) -> None:
        try:
            for i in range(per_thread):
                with store.write() as tx:
                    tx.execute(
                        schema.tags.insert().values(
                            account_id=A,
                            resource_type="user",
                            resource_key=f"t{n}",
                            key_lower=f"k{i}",
                            key=f"k{i}",
                            value=str(i),
                        )
                    )
                    tx.touch(A)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    with store.read() as tx:
        assert store.versions(tx)[A] == start + threads_n * per_thread
        count = tx.execute(text("SELECT count(*) FROM tags")).scalar()
    assert count == threads_n * per_thread


def test_the_watch_learns_of_another_stores_writes(store_url: str) -> None:
    """Two stores on one database stand for two processes: one's commits reach the other's
    :class:`VersionWatch` (SQLite: ``PRAGMA data_version``; PostgreSQL: LISTEN/NOTIFY)."""
    one, other = Store(store_url), Store(store_url)
    try:
        watch = one.watch()
        watch.refresh()
        since = watch.epoch
        assert watch.fresh([A, B], since)
        with other.write() as tx:
            tx.touch(A)

        def seen() -> bool:
            watch.refresh()
            return not watch.fresh([A], since)

        assert _wait_for(seen)
        assert watch.fresh([B], since)
        # This process's own writes are known as soon as they commit.
        since = watch.epoch
        with one.write() as tx:
            tx.touch(B)
        assert not watch.fresh([B], since)
    finally:
        one.close()
        other.close()


def test_pg_notify_reaches_a_listening_connection(postgres_url: str) -> None:
    import psycopg

    store = Store(postgres_url)
    base = postgres_url.split("?", 1)[0]
    try:
        with psycopg.connect(base, autocommit=True) as listener:
            listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
            with store.write() as tx:
                tx.touch(A)
                tx.touch(B)
            got: set[str] = set()
            deadline = time.monotonic() + 5
            while {A, B} - got and time.monotonic() < deadline:
                got |= {n.payload for n in listener.notifies(timeout=0.5)}
            assert {A, B} <= got
            # A rolled-back transaction announces nothing.
            with pytest.raises(RuntimeError), store.write() as tx:
                tx.touch(C)
                raise RuntimeError
            assert C not in {n.payload for n in listener.notifies(timeout=0.3)}
    finally:
        store.close()


def test_pg_watch_caches_nothing_while_its_listener_is_away(postgres_url: str) -> None:
    """After the LISTEN connection is lost, every refresh marks everything changed until it is
    back, and its return marks everything once more (what was sent meanwhile is lost)."""
    import psycopg

    store = Store(postgres_url)
    try:
        watch = store.watch()
        assert watch.listening and watch.connects == 1
        base = postgres_url.split("?", 1)[0]
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                (watch.application_name,),
            )
        assert _wait_for(lambda: watch.connects == 2 or not watch.listening)
        if not watch.listening:
            since = watch.epoch
            watch.refresh()
            assert not watch.fresh([A], since)
        assert _wait_for(lambda: watch.listening and watch.connects == 2, timeout=10)
        since = watch.epoch
        watch.refresh()
        assert watch.fresh([A], since)
    finally:
        store.close()


def test_ephemeral_store_serialises_concurrent_transactions() -> None:
    """The in-memory store is one shared SQLite connection (``--ephemeral`` and the test
    fixture): overlapping reads and writes from several threads must take turns, not fail."""

    store = Store.ephemeral()
    errors: list[BaseException] = []
    keys: list[str] = []

    def writer() -> None:
        try:
            for _ in range(20):
                with store.write() as tx:
                    keys.append(create_account(tx).access_key_id)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        try:
            for _ in range(200):
                for key in list(keys):
                    with store.read() as tx:
                        assert lookup_key(tx, key) is not None
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer), threading.Thread(target=writer), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(keys) == 40
    store.close()


def test_migrations_create_exactly_the_schema(store: Store) -> None:
    """``schema.py`` and the alembic revisions describe the same tables, columns, types and
    indexes: autogenerate finds nothing to change after ``upgrade head``."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with store.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), schema.metadata)
    assert differences == []
