"""The durable store: one interface over SQLAlchemy Core, SQLite (WAL) by default, PostgreSQL
with a ``postgresql://`` URL.

Every mutating operation runs inside :meth:`Store.write`: one transaction that commits before
the caller answers, so nothing acknowledged is lost and nothing half-done is visible. Each
write transaction bumps the version of every account it touched (``touch``); readers compare
versions to drop stale cached state. On PostgreSQL the bump is announced with
``pg_notify('localiam_versions', account)`` inside the same transaction, so other processes
sharing the database learn of it when it commits. :class:`VersionWatch` is how one process
learns of every write: its own, and other processes' (SQLite ``PRAGMA data_version``,
PostgreSQL LISTEN).
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.pool import StaticPool

from localiam.state import schema

NOTIFY_CHANNEL = "localiam_versions"
ALL_ACCOUNTS = "*"
"""The ``account_versions`` row a write bumps when it touched no account: everything changed."""

LISTENER_NAME = "localiam versions"
"""``application_name`` of the PostgreSQL connection that LISTENs (followed by pid/object)."""

log = logging.getLogger("localiam.state")


class StoreError(RuntimeError):
    """The store cannot be opened or migrated."""


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'localiam.db'}"


_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&]*", re.IGNORECASE)


def display_url(url: str) -> str:
    """``url`` as it may be printed: a password in it (``user:password@host``, or libpq's
    ``password=`` parameter) replaced by ``***``; the rest as given."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    # The user info ends at the last "@" before the query: a password may hold "/" or "@".
    userinfo, at, _ = rest.partition("?")[0].rpartition("@")
    if at and ":" in userinfo:
        rest = f"{userinfo.split(':', 1)[0]}:***{rest[len(userinfo) :]}"
    return _QUERY_PASSWORD.sub(r"\1***", f"{scheme}://{rest}")


class Tx:
    """A transaction in progress: a connection plus the accounts whose state it changed.

    A read transaction connects on first use, so a request answered from the caches never
    checks a connection out of the pool. ``wrote`` records that a statement other than a
    SELECT ran: from then on the transaction sees state that no cache holds. ``epoch`` is the
    store's :class:`VersionWatch` epoch taken before the transaction's first statement (``None``
    when there was no watch then): every change known at that epoch is visible to it."""

    __slots__ = ("_conn", "_store", "cache_neutral", "epoch", "generation", "memo", "now", "touched", "wrote")

    def __init__(self, conn: Connection | None, now: float, store: Store | None = None) -> None:
        self._conn = conn
        self._store = store
        self.touched: set[str] = set()
        self.now = now
        self.wrote = False
        self.cache_neutral = False
        """Set by writers whose changes no cache holds (S3 buckets and objects): a write that
        touched no account then bumps no version, so the caches stay warm."""
        self.epoch: int | None = None
        self.generation: int | None = None
        """:attr:`VersionWatch.generation` when :attr:`epoch` was taken."""
        self.memo: dict[object, Any] = {}
        """Rows read in this transaction (see :func:`localiam.state.iam_store.one`); emptied by
        every statement that writes, so it never answers with a row the transaction changed."""

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            assert self._store is not None
            watch = self._store._watch
            if watch is not None and self.epoch is None:
                watch.refresh()
                self.epoch = watch.epoch
                self.generation = watch.generation
            self._conn = self._store.engine.connect()
        return self._conn

    @property
    def connected(self) -> bool:
        return self._conn is not None

    def touch(self, account_id: str) -> None:
        """Record that this transaction changes ``account_id``'s policies or principals."""
        self.touched.add(account_id)

    def execute(self, statement: Any, *args: Any) -> Any:
        self._note(statement)
        return self.conn.execute(statement, *args)

    def _note(self, statement: Any) -> None:
        """A statement other than a SELECT: the transaction has written, and the rows it read
        may have changed."""
        if not getattr(statement, "is_select", False):
            self.wrote = True
            if self.memo:
                self.memo.clear()

    def one_or_none(self, statement: Any) -> Any:
        return self.execute(statement).first()

    @property
    def sqlite(self) -> bool:
        return self.conn.dialect.name == "sqlite"

    def driver(self, statement: Any, params: dict[str, Any]) -> sqlite3.Cursor:
        """Run ``statement`` (built once, its parameters named with ``bindparam``) on SQLite's
        own connection, inside this transaction: SQLAlchemy's execution path costs several
        times the statement itself for the one-row statements DynamoDB runs on every request.
        SQLite only; no result or parameter processing (text, integers and bytes pass as
        they are)."""
        conn = self.conn
        if not conn.in_transaction():
            conn.begin()  # as SQLAlchemy would on its first statement (``BEGIN``, see _on_begin)
        sql, names = _driver_sql(statement)
        self._note(statement)
        cursor: sqlite3.Cursor = conn.connection.driver_connection.execute(  # type: ignore[union-attr]
            sql, tuple(params[name] for name in names)
        )
        return cursor


_DRIVER_SQL: dict[int, tuple[Any, str, tuple[str, ...]]] = {}


def _driver_sql(statement: Any) -> tuple[str, tuple[str, ...]]:
    """``statement`` compiled for SQLite once: its SQL and the order of its parameters."""
    hit = _DRIVER_SQL.get(id(statement))
    if hit is None or hit[0] is not statement:
        compiled = statement.compile(dialect=sqlite.dialect())
        hit = (statement, str(compiled), tuple(compiled.positiontup or ()))
        _DRIVER_SQL[id(statement)] = hit
    return hit[1], hit[2]


class VersionWatch:
    """What this process knows of other writers: when each account last changed.

    Caches of state derived from the store (``localiam.state.authz``) take :attr:`epoch` before
    they read the store and keep a value only while :meth:`fresh` says none of the accounts it
    depends on changed since. :meth:`refresh` makes every write committed before it returns
    known here:

    - this process's own writes are recorded by :meth:`Store.write` right after they commit;
    - SQLite: ``PRAGMA data_version`` on a connection of our own changes whenever another
      connection (of this process or another one: ``localiam accounts create``) committed;
      then ``account_versions`` is read again and every account whose version moved is marked;
    - PostgreSQL: a background thread LISTENs on ``localiam_versions`` and marks each account
      notified. While it is not connected (at start, after a connection loss) every refresh
      marks everything changed, so nothing cached is used; after it reconnects it marks
      everything once more (notifications sent while it was away are lost);
    - the in-memory store has no other writer.

    A write transaction that touched no account but wrote bumps ``*`` (:data:`ALL_ACCOUNTS`),
    which marks every account changed.

    :attr:`generation` counts *any* committed write this process can know of, including the
    ``cache_neutral`` ones (S3 objects): it moves when ``PRAGMA data_version`` moves and when
    this process commits. Rows cached against it (:meth:`Authz.row`) are used only while it
    has not moved. PostgreSQL replicas are not told of cache-neutral writes, so there
    :attr:`tracks_every_write` is false and nothing is cached that way.
    """

    def __init__(self, store: Store) -> None:
        self._lock = threading.Lock()
        self.epoch = 0
        self.generation = 0
        self._changed: dict[str, int] = {}
        self._all_changed = 0
        self._seen: dict[str, int] = {}
        self._data_version: int | None = None
        self._sqlite: sqlite3.Connection | None = None
        self._listening = True
        self.connects = 0
        self.application_name = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.mode = "local"
        if store.dialect == "sqlite" and store.engine.url.database not in (None, "", ":memory:"):
            self.mode = "sqlite"
            path = store.engine.url.database
            self._sqlite = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
            self._sqlite.execute("PRAGMA query_only=1")
        elif store.dialect == "postgresql":
            self.mode = "listen"
            self._listening = False
            self._ready = threading.Event()
            url = store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._thread = threading.Thread(target=self._listen, args=(url,), name="localiam-versions", daemon=True)
            self._thread.start()
            self._ready.wait(5)

    # ------------------------------------------------------------------ what readers use
    def fresh(self, accounts: Iterable[str], since: int) -> bool:
        """Whether none of ``accounts`` changed after epoch ``since`` (as of the last refresh)."""
        if self._all_changed > since:
            return False
        changed = self._changed
        for account in accounts:  # noqa: SIM110 - a loop costs less than all(...), several times a request
            if changed.get(account, 0) > since:
                return False
        return True

    def refresh(self) -> None:
        """Learn of every write committed before this call (see the class docs)."""
        if self.mode == "sqlite":
            self._poll_sqlite()
        elif self.mode == "listen" and not self._listening:
            with self._lock:
                self._mark_all()

    # ------------------------------------------------------------------ how changes arrive
    @property
    def tracks_every_write(self) -> bool:
        """Whether :attr:`generation` moves for every write committed anywhere."""
        return self.mode != "listen"

    def wrote(self) -> None:
        """This process committed a write (of any kind)."""
        with self._lock:
            self.generation += 1

    def committed(self, versions: dict[str, int]) -> None:
        """This process committed a write that set these accounts' versions."""
        with self._lock:
            for account, version in versions.items():
                if self._seen.get(account, -1) < version:
                    self._seen[account] = version
                self._mark(account)

    def notified(self, account: str) -> None:
        with self._lock:
            self._mark(account)

    def _mark(self, account: str) -> None:
        self.epoch += 1
        if account == ALL_ACCOUNTS:
            self._all_changed = self.epoch
        else:
            self._changed[account] = self.epoch

    def _mark_all(self) -> None:
        self.epoch += 1
        self._all_changed = self.epoch

    def _poll_sqlite(self) -> None:
        assert self._sqlite is not None
        with self._lock:
            (data_version,) = self._sqlite.execute("PRAGMA data_version").fetchone()
            if data_version == self._data_version:
                return
            self.generation += 1
            rows = self._sqlite.execute("SELECT account_id, version FROM account_versions").fetchall()
            self._data_version = data_version
            seen = self._seen
            for account, version in rows:
                if seen.get(account) != version:
                    seen[account] = version
                    self._mark(account)

    def _listen(self, url: str) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                name = f"{LISTENER_NAME} {os.getpid()}/{id(self):x}"
                with psycopg.connect(url, autocommit=True, connect_timeout=5, application_name=name) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    with self._lock:
                        self._mark_all()
                        self._listening = True
                        self.connects += 1
                        self.application_name = name
                    self._ready.set()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            self.notified(note.payload)
            except Exception:  # any loss of the connection: cache nothing until it is back
                log.warning("lost the LISTEN connection on %s; retrying", NOTIFY_CHANNEL, exc_info=True)
            with self._lock:
                self._listening = False
                self._mark_all()
            self._ready.set()
            self._stop.wait(0.5)

    @property
    def listening(self) -> bool:
        return self._listening

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._sqlite is not None:
            with self._lock:
                self._sqlite.close()
                self._sqlite = None
            self.mode = "local"


class _FairLock:
    """A lock granted in the order it was asked for, each waiter woken alone when its turn
    comes (waking every waiter to compare tickets cost 30 thread switches a write under 16
    concurrent writers). A waiter that gives up after ``timeout`` seconds (SQLite's own
    ``busy_timeout``) leaves the queue; the turn goes to the next."""

    def __init__(self, timeout: float = 30.0) -> None:
        self._mutex = threading.Lock()
        self._held = False
        # One locked lock per waiter, released by the holder that passes the turn to it.
        self._waiters: deque[threading.Lock] = deque()
        self._timeout = timeout

    @contextmanager
    def hold(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()

    def acquire(self) -> None:
        with self._mutex:
            if not self._held:
                self._held = True
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        if turn.acquire(timeout=self._timeout):
            return
        with self._mutex:
            if turn not in self._waiters:
                return  # the turn was passed to it as it gave up: it holds the lock
            self._waiters.remove(turn)
        raise StoreError(f"the database stayed locked for {self._timeout:.0f} s by other writers")

    def release(self) -> None:
        with self._mutex:
            self._pass()

    def handoff(self) -> bool:
        """Pass the lock to the next waiter if there is one (``True``); otherwise keep holding
        it (``False``). Atomic: a waiter still queued has not given up."""
        with self._mutex:
            if not self._waiters:
                return False
            self._pass()
            return True

    def _pass(self) -> None:
        if self._waiters:
            self._waiters.popleft().release()  # the lock stays held, by the next waiter
        else:
            self._held = False


class _Batch:
    """One SQLite transaction that several writers of this process share (group commit).

    Writers take turns (:class:`_FairLock`); each runs its transaction's statements in the
    batch's open transaction, inside a savepoint unless it began the batch, so a writer that
    fails undoes only its own statements. A writer that finished while others wait for their
    turn hands the open transaction on and waits for it to commit; the last writer of the batch
    commits it: one fsync for all of them. Nobody is answered before the commit that holds their
    write, so acknowledged writes are as durable as with a commit each. Only writes that no
    cache holds (``Tx.cache_neutral`` item and object writes, which bump no version) hand a batch
    on: a writer that changes a policy or principal commits the batch at once, so that no later
    writer decides with caches that have not learned of an uncommitted change."""

    __slots__ = ("conn", "done", "error", "members", "started", "transaction")

    MAX_MEMBERS = 32
    MAX_AGE = 0.025
    """Seconds after which a batch commits even while writers wait: bounds the latency the
    first writer pays for the others. A batch is checked when a writer ends its turn, so a
    writer waits at most for the writers that joined within this time, the last of them however
    long it runs (a slow write after a fast one delays the fast one's answer by that much)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.transaction = conn.begin()
        self.members = 0
        self.started = time.monotonic()
        self.done = threading.Event()
        self.error: BaseException | None = None

    # A writer that joins runs in a savepoint, set on SQLite's own connection: SQLAlchemy's
    # nested transactions cost more than the statements of a DynamoDB PutItem.
    def savepoint(self) -> None:
        self._driver().execute("SAVEPOINT batch_member")

    def release(self) -> None:
        self._driver().execute("RELEASE batch_member")

    def undo(self) -> None:
        driver = self._driver()
        driver.execute("ROLLBACK TO batch_member")
        driver.execute("RELEASE batch_member")

    def _driver(self) -> sqlite3.Connection:
        driver: sqlite3.Connection = self.conn.connection.driver_connection  # type: ignore[assignment]
        return driver

    def open_to_more(self) -> bool:
        return self.members < self.MAX_MEMBERS and time.monotonic() - self.started < self.MAX_AGE

    def commit(self) -> None:
        try:
            self.transaction.commit()
        except BaseException as exc:
            self.error = exc
            # Its transaction may still be open (SQLite leaves it so when COMMIT fails): the
            # connection is discarded rather than returned to the pool mid-transaction.
            self.conn.invalidate()
            raise
        finally:
            self.conn.close()
            self.done.set()

    def rollback(self) -> None:
        try:
            self.transaction.rollback()
        finally:
            self.conn.close()
            self.done.set()


class Store:
    """Open (and migrate) a store; hand out read and write transactions."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.dialect = url.split(":", 1)[0].split("+", 1)[0]
        self.engine = _make_engine(url)
        self._watch: VersionWatch | None = None
        self._lock = threading.Lock()
        # An in-memory store is one shared connection: its transactions must take turns.
        self._serial: threading.RLock | None = threading.RLock() if url in _MEMORY_URLS else None
        # SQLite has one writer at a time; writers of this process queue here, first come first
        # served, instead of in SQLite's busy handler, which polls with growing sleeps and lets
        # a late writer overtake: under 16 concurrent writers that made the 90th percentile
        # 40 times the median (bench/federation.py). Other processes still meet busy_timeout.
        self._writers: _FairLock | None = _FairLock() if self.dialect == "sqlite" and self._serial is None else None
        self._batch: _Batch | None = None
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

    def watch(self) -> VersionWatch:
        """This process's :class:`VersionWatch` over the store, started on first use."""
        if self._watch is None:
            with self._lock:
                if self._watch is None:
                    self._watch = VersionWatch(self)
        return self._watch

    def close(self) -> None:
        if self._watch is not None:
            self._watch.close()
        self.engine.dispose()

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """A read transaction; it connects on first use."""
        with self._turn():
            tx = Tx(None, time.time(), self)
            try:
                yield tx
            finally:
                if tx._conn is not None:
                    tx._conn.close()

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """One transaction; versions of touched accounts bump inside it (``*`` when it wrote
        without touching an account), and this process's :class:`VersionWatch` learns of them
        once it commits. On a SQLite file, writers of this process share commits
        (:class:`_Batch`)."""
        watch = self._watch
        epoch = None
        if watch is not None:
            watch.refresh()
            epoch = watch.epoch
        if self._writers is not None:
            with self._grouped(epoch) as tx:
                yield tx
            return
        with self._turn(), self.engine.connect() as conn:
            conn.execution_options(localiam_write=True)
            with conn.begin():
                tx = Tx(conn, time.time(), self)
                tx.epoch = epoch
                yield tx
                versions = {account_id: self._bump(conn, account_id) for account_id in _version_targets(tx)}
            # Committed; still our turn (the in-memory store's readers wait for it).
            if self._watch is not None and tx.wrote:
                self._watch.wrote()
        if versions and self._watch is not None:
            self._watch.committed(versions)

    @contextmanager
    def _grouped(self, epoch: int | None) -> Iterator[Tx]:
        """A write transaction run in this process's open :class:`_Batch` (one is begun when
        none is open), answered once the batch has committed."""
        writers = self._writers
        assert writers is not None
        writers.acquire()
        batch = self._batch
        joined = batch is not None
        try:
            if batch is None:
                conn = self.engine.connect()
                conn.execution_options(localiam_write=True)
                batch = self._batch = _Batch(conn)
            else:
                batch.savepoint()
        except BaseException:
            self._batch = None
            writers.release()
            raise
        batch.members += 1
        tx = Tx(batch.conn, time.time(), self)
        tx.epoch = epoch
        versions: dict[str, int] = {}
        outcome = "failed"
        try:
            yield tx
            versions = {account_id: self._bump(batch.conn, account_id) for account_id in _version_targets(tx)}
            if joined:
                batch.release()
            outcome = "done"
        except BaseException:
            if joined:
                try:
                    batch.undo()
                except BaseException:
                    outcome = "broken"  # the batch's state is unknown: none of it may commit
            raise
        finally:
            handed = self._settle(batch, outcome, leader=not joined, cache_neutral=not versions)
        if handed:
            batch.done.wait()
            if batch.error is not None:
                raise StoreError(f"the write could not be committed ({type(batch.error).__name__})")
        if self._watch is not None and tx.wrote:
            self._watch.wrote()
        if versions and self._watch is not None:
            self._watch.committed(versions)

    def _settle(self, batch: _Batch, outcome: str, *, leader: bool, cache_neutral: bool) -> bool:
        """End a writer's turn in ``batch``: hand the open batch to the next writer (``True``:
        the caller then waits for its commit), or commit it (or roll it back when it holds
        nothing that may commit) and let the next writer begin another."""
        assert self._writers is not None
        if outcome == "broken" or (outcome == "failed" and leader):
            self._batch = None
            try:
                batch.rollback()
            finally:
                self._writers.release()
            return False
        if outcome == "done" and cache_neutral and batch.open_to_more() and self._writers.handoff():
            return True
        self._batch = None
        try:
            batch.commit()
        except Exception:
            if outcome == "done":
                raise
            log.exception("committing the writes batched with a failed one")  # they learn of it
        finally:
            self._writers.release()
        return False

    @contextmanager
    def _turn(self) -> Iterator[None]:
        if self._serial is None:
            yield
            return
        with self._serial:
            yield

    def _bump(self, conn: Connection, account_id: str) -> int:
        """Add one to ``account_id``'s version; the new version."""
        table = schema.account_versions
        insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        stmt = insert(table).values(account_id=account_id, version=1)
        upsert = stmt.on_conflict_do_update(index_elements=[table.c.account_id], set_={"version": table.c.version + 1})
        version = int(conn.execute(upsert.returning(table.c.version)).scalar_one())
        if self.dialect == "postgresql":
            conn.execute(
                text("SELECT pg_notify(:channel, :account)"), {"channel": NOTIFY_CHANNEL, "account": account_id}
            )
        return version

    def versions(self, tx: Tx, account_ids: set[str] | None = None) -> dict[str, int]:
        table = schema.account_versions
        stmt = select(table.c.account_id, table.c.version)
        if account_ids is not None:
            stmt = stmt.where(table.c.account_id.in_(sorted(account_ids)))
        return {row.account_id: row.version for row in tx.execute(stmt)}


def _version_targets(tx: Tx) -> list[str]:
    """The ``account_versions`` rows a write transaction bumps (see :meth:`Store.write`)."""
    if tx.touched:
        return sorted(tx.touched)
    return [ALL_ACCOUNTS] if tx.wrote and not tx.cache_neutral else []


_MEMORY_URLS = ("sqlite://", "sqlite:///:memory:")


def _make_engine(url: str) -> Engine:
    if url in _MEMORY_URLS:
        engine = create_engine(
            "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}, future=True
        )
        _sqlite_pragmas(engine, wal=False)
        return engine
    if url.startswith("sqlite"):
        _create_private(make_url(url).database)
        # Up to 48 connections (the server's worker threads plus the event loop) without
        # opening and closing overflow connections under concurrent writes.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=8,
            max_overflow=40,
            future=True,
        )
        _sqlite_pragmas(engine, wal=True)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("postgresql"):
        return create_engine(url, pool_pre_ping=True, future=True)
    raise StoreError(f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://...")


def _create_private(path: str | None) -> None:
    """Create the SQLite file ``path``, when it does not exist yet, readable by its owner only
    (0600): it holds every secret key. SQLite gives the ``-wal`` and ``-shm`` files it makes
    next to it the database file's mode, so they are private too. An existing file keeps its
    mode (``localiam serve`` warns when it is looser)."""
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:  # it exists, or its directory does not: SQLite reports the latter
        return
    os.close(fd)


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
