"""The durable store: one interface over SQLAlchemy Core, SQLite (WAL) by default, PostgreSQL
with a ``postgresql://`` URL.

Every mutating operation runs inside :meth:`Store.write`: one transaction that commits before
the caller answers, so nothing acknowledged is lost and nothing half-done is visible. Each
write transaction bumps the version of every account it touched (``touch``); readers compare
versions to drop stale compiled policies. On PostgreSQL the bump is announced with
``pg_notify('localiam_versions', account)`` inside the same transaction, so other processes
sharing the database learn of it when it commits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.pool import StaticPool

from localiam.state import schema

NOTIFY_CHANNEL = "localiam_versions"


class StoreError(RuntimeError):
    """The store cannot be opened or migrated."""


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'localiam.db'}"


class Tx:
    """A transaction in progress: a connection plus the accounts whose state it changed."""

    __slots__ = ("conn", "now", "touched")

    def __init__(self, conn: Connection, now: float) -> None:
        self.conn = conn
        self.touched: set[str] = set()
        self.now = now

    def touch(self, account_id: str) -> None:
        """Record that this transaction changes ``account_id``'s policies or principals."""
        self.touched.add(account_id)

    def execute(self, statement: Any, *args: Any) -> Any:
        return self.conn.execute(statement, *args)

    def one_or_none(self, statement: Any) -> Any:
        return self.conn.execute(statement).first()


class Store:
    """Open (and migrate) a store; hand out read and write transactions."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.dialect = url.split(":", 1)[0].split("+", 1)[0]
        self.engine = _make_engine(url)
        self._local_versions: dict[str, int] = {}
        self._lock = threading.Lock()
        if migrate:
            self.migrate()

    @classmethod
    def ephemeral(cls) -> Store:
        """An in-memory SQLite store that lives as long as this object."""
        return cls("sqlite://")

    def migrate(self) -> None:
        """Bring the schema to the newest revision (alembic ``upgrade head``)."""
        from localiam.state.migrate import upgrade

        upgrade(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def read(self) -> Iterator[Tx]:
        with self.engine.connect() as conn:
            yield Tx(conn, time.time())

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """One transaction; versions of touched accounts bump inside it."""
        with self.engine.connect() as conn:
            conn.execution_options(localiam_write=True)
            with conn.begin():
                tx = Tx(conn, time.time())
                yield tx
                for account_id in sorted(tx.touched):
                    self._bump(conn, account_id)

    def _bump(self, conn: Connection, account_id: str) -> None:
        table = schema.account_versions
        if self.dialect == "postgresql":
            stmt = postgresql.insert(table).values(account_id=account_id, version=1)
            stmt = stmt.on_conflict_do_update(
                index_elements=[table.c.account_id], set_={"version": table.c.version + 1}
            )
            conn.execute(stmt)
            conn.execute(
                text("SELECT pg_notify(:channel, :account)"), {"channel": NOTIFY_CHANNEL, "account": account_id}
            )
        else:
            stmt_lite = sqlite.insert(table).values(account_id=account_id, version=1)
            stmt_lite = stmt_lite.on_conflict_do_update(
                index_elements=[table.c.account_id], set_={"version": table.c.version + 1}
            )
            conn.execute(stmt_lite)

    def versions(self, tx: Tx, account_ids: set[str] | None = None) -> dict[str, int]:
        table = schema.account_versions
        stmt = select(table.c.account_id, table.c.version)
        if account_ids is not None:
            stmt = stmt.where(table.c.account_id.in_(sorted(account_ids)))
        return {row.account_id: row.version for row in tx.execute(stmt)}


def _make_engine(url: str) -> Engine:
    if url in ("sqlite://", "sqlite:///:memory:"):
        engine = create_engine(
            "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}, future=True
        )
        _sqlite_pragmas(engine, wal=False)
        return engine
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, future=True)
        _sqlite_pragmas(engine, wal=True)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("postgresql"):
        return create_engine(url, pool_pre_ping=True, future=True)
    raise StoreError(f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://...")


def _sqlite_pragmas(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy manage transactions (pysqlite's own BEGIN handling defers locks).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if wal:
            cur.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before it returns, so an acknowledged write survives a
        # crash of the process and of the machine.
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A writer takes the write lock when it begins, so concurrent writers queue on
        # busy_timeout instead of failing to upgrade a read lock; readers never block in WAL.
        write = conn.get_execution_options().get("localiam_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
