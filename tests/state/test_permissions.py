"""Secrets at rest: what the store and the body store create is readable by its owner only, and
created so (not chmod'ed afterwards: a file made 0644 and narrowed later can be opened by
another user in between, and the open descriptor outlives the chmod).

The process umask is set to 022, the usual default, for each test: what is checked is the mode
localiam asks for, not a strict umask hiding a loose request.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from localiam.state.bodies import BodyStore
from localiam.state.bootstrap import first_start
from localiam.state.store import Store, sqlite_url


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_and_its_wal_and_shm_are_0600(tmp_path: Path) -> None:
    store = Store(sqlite_url(tmp_path))
    try:
        first_start(store)  # writes: the WAL and the shared-memory file exist now
        store.watch()
        for name in ("localiam.db", "localiam.db-wal", "localiam.db-shm"):
            assert mode(tmp_path / name) == 0o600, name
    finally:
        store.close()


def test_an_existing_database_keeps_the_mode_its_owner_gave_it(tmp_path: Path) -> None:
    """localiam does not narrow a user's own file behind their back (``localiam serve`` warns
    instead); SQLite then gives the WAL the same mode."""
    db = tmp_path / "localiam.db"
    db.touch(mode=0o640)
    os.chmod(db, 0o640)
    store = Store(sqlite_url(tmp_path))
    try:
        first_start(store)
        assert mode(db) == 0o640
        assert mode(tmp_path / "localiam.db-wal") == 0o640
    finally:
        store.close()


def test_bodies_and_their_directories_are_private(tmp_path: Path) -> None:
    root = tmp_path / "data"
    bodies = BodyStore(root)
    assert mode(root) == 0o700
    assert mode(root / "objects") == 0o700
    assert mode(root / "objects" / "uploads") == 0o700
    assert mode(root / "lambda-code") == 0o700
    assert {mode(d) for d in (root / "objects").iterdir()} == {0o700}
    with bodies.writer() as writer:
        writer.write(b"secret object")
        tmp = next((root / "objects").glob("*/*.tmp"))
        assert mode(tmp) == 0o600  # while it is being written, too
        ref = writer.commit()
    assert mode(root / "objects" / ref.id[:2] / ref.id) == 0o600
    with bodies.part_writer("upload-1", 1) as writer:
        writer.write(b"part")
        part = writer.commit()
    assert mode(root / "objects" / "uploads" / "upload-1") == 0o700
    part_file = root / "objects" / "uploads" / "upload-1" / part.id.partition("/")[2]
    assert mode(part_file) == 0o600
    completed, _ = bodies.complete("upload-1", [(1, part.id, part.md5)])
    assert mode(root / "objects" / completed.id[:2] / completed.id) == 0o600
