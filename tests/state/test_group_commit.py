"""Writers of one process share SQLite commits (``localiam.state.store._Batch``): a write that
no cache holds (a DynamoDB item, an S3 object) hands its open transaction to the writer waiting
behind it, and the last one commits for all. What must hold: nobody is answered before the
commit that holds their write; a writer that fails undoes only its own statements; a writer that
changes a policy or principal commits at once; when the commit fails, every writer in it fails
and none of their rows is stored."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, select

from localiam.state import schema
from localiam.state.accounts import create_account
from localiam.state.store import Store, StoreError, Tx, sqlite_url

A = "111111111111"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(sqlite_url(tmp_path))
    with s.write() as tx:
        create_account(tx, account_id=A)
    yield s
    s.close()


def _commits(store: Store) -> list[int]:
    commits: list[int] = []
    event.listen(store.engine, "commit", lambda _conn: commits.append(1))
    return commits


def _tag(tx: Tx, name: str) -> None:
    tx.cache_neutral = True  # as item and object writes are
    tx.execute(
        schema.tags.insert().values(
            account_id=A, resource_type="user", resource_key=name, key_lower="k", key="k", value=name
        )
    )


def _stored(store: Store) -> set[str]:
    with store.read() as tx:
        return {row.resource_key for row in tx.execute(select(schema.tags.c.resource_key))}


def _run(n: int, body: Callable[[int], None]) -> list[BaseException | None]:
    """``body(i)`` in ``n`` threads that start together; each one's error (or ``None``)."""
    outcomes: list[BaseException | None] = [None] * n
    start = threading.Barrier(n)

    def run(i: int) -> None:
        start.wait(5)
        try:
            body(i)
        except BaseException as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes


def _slow_writer(store: Store, i: int, *, seen_after: dict[int, bool], fail: int | None = None) -> None:
    with store.write() as tx:
        _tag(tx, f"w{i}")
        threading.Event().wait(0.01)  # long enough for the others to queue behind
        if i == fail:
            raise ValueError("this writer fails")
    # Answered: a new connection must see the write already.
    seen_after[i] = f"w{i}" in _stored(store)


def test_concurrent_writers_share_commits_and_are_answered_after_theirs(store: Store) -> None:
    commits = _commits(store)
    seen_after: dict[int, bool] = {}
    outcomes = _run(12, lambda i: _slow_writer(store, i, seen_after=seen_after))
    assert outcomes == [None] * 12
    assert _stored(store) == {f"w{i}" for i in range(12)}
    assert seen_after == dict.fromkeys(range(12), True)
    assert len(commits) < 12  # shared: each one alone would be 12 commits


def test_a_failing_writer_undoes_only_its_own_statements(store: Store) -> None:
    seen_after: dict[int, bool] = {}
    outcomes = _run(8, lambda i: _slow_writer(store, i, seen_after=seen_after, fail=5))
    assert isinstance(outcomes[5], ValueError)
    assert [o for i, o in enumerate(outcomes) if i != 5] == [None] * 7
    assert _stored(store) == {f"w{i}" for i in range(8) if i != 5}
    assert seen_after == {i: True for i in range(8) if i != 5}


def test_a_writer_that_changes_an_account_commits_before_the_next_writer_begins(store: Store) -> None:
    """Its change is committed (and its version bumped) before any writer after it runs, so no
    writer decides with caches that have not learned of an uncommitted change; item writes
    between such writers still share commits."""
    with store.read() as tx:
        before = store.versions(tx)[A]
    events: list[str] = []
    event.listen(store.engine, "commit", lambda _conn: events.append("commit"))

    def body(i: int) -> None:
        with store.write() as tx:
            events.append(f"begin {i}")
            _tag(tx, f"w{i}")
            threading.Event().wait(0.01)
            if i % 3 == 0:
                tx.touch(A)
            events.append(f"end {i}")

    outcomes = _run(9, body)
    assert outcomes == [None] * 9
    with store.read() as tx:
        assert store.versions(tx)[A] == before + 3
    for n, item in enumerate(events):
        if item.startswith("end ") and int(item.split()[1]) % 3 == 0:
            following = events[n + 1 : n + 2]
            assert following in ([], ["commit"]), f"a writer ran in the batch of an account change: {events}"
    assert events.count("commit") < 9  # the item writes still shared commits


def test_when_the_commit_fails_every_writer_in_it_fails(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writers answered with an error, none of their rows stored, and the store usable after."""
    fail = threading.Event()
    fail.set()

    def refuse(_conn: object) -> None:
        if fail.is_set():
            raise OSError("disk full")

    event.listen(store.engine, "commit", refuse)
    seen_after: dict[int, bool] = {}
    outcomes = _run(6, lambda i: _slow_writer(store, i, seen_after=seen_after))
    fail.clear()
    assert all(isinstance(o, (OSError, StoreError)) for o in outcomes), outcomes
    assert any(isinstance(o, StoreError) for o in outcomes)  # those that handed on their write
    assert seen_after == {}
    assert _stored(store) == set()
    _slow_writer(store, 99, seen_after=seen_after)
    assert _stored(store) == {"w99"}
