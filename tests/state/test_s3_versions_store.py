"""The rows of S3 object versions (:mod:`localiam.state.s3_versions_store`) on SQLite and
PostgreSQL: a key's versions in order, batched iteration by key then newest first, and the
bodies they name kept by the start-up sweep (``referenced_bodies``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from localiam.state import s3_store, s3_versions_store
from localiam.state.store import Store


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store(store_url)
    yield s
    s.close()


def _version(key: str, version_id: str, ref: str = "", marker: bool = False) -> dict[str, Any]:
    return {
        "bucket": "b",
        "key": key,
        "version_id": version_id,
        "delete_marker": marker,
        "body_ref": ref,
        "size": 0,
        "etag": "",
        "owner_account": "123456789012",
        "acl": "{}",
        "headers": "{}",
        "tags": "{}",
        "checksums": "{}",
        "parts": None,
        "part_sizes": None,
        "last_modified": 1.0,
    }


def test_versions_are_ordered_newest_first_and_their_bodies_are_referenced(store: Store) -> None:
    with store.write() as tx:
        s3_versions_store.add(tx, **_version("k", "v1", ref="body-1"))
        s3_versions_store.add(tx, **_version("k", "v2", marker=True))
        s3_versions_store.add(tx, **_version("j", "null", ref="body-2"))
    with store.read() as tx:
        assert [r["version_id"] for r in s3_versions_store.versions(tx, "b", "k")] == ["v2", "v1"]
        assert s3_versions_store.newest(tx, "b", "k")["delete_marker"]  # type: ignore[index]
        listed = [(r["key"], r["version_id"]) for r in s3_versions_store.iter_versions(tx, "b")]
        assert listed == [("j", "null"), ("k", "v2"), ("k", "v1")]
        assert [r["key"] for r in s3_versions_store.iter_versions(tx, "b", prefix="k")] == ["k", "k"]
        assert {"body-1", "body-2"} <= s3_store.referenced_bodies(tx)
        assert "" not in s3_store.referenced_bodies(tx)
        assert s3_store.has_objects(tx, "b")
    with store.write() as tx:
        s3_versions_store.remove(tx, "b", "k", "v2")
    with store.read() as tx:
        assert [r["version_id"] for r in s3_versions_store.versions(tx, "b", "k")] == ["v1"]


def test_iteration_crosses_batches_within_one_key(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(s3_versions_store, "_BATCH", 2)
    with store.write() as tx:
        for n in range(5):
            s3_versions_store.add(tx, **_version("k", f"v{n}"))
        s3_versions_store.add(tx, **_version("m", "v9"))
    with store.read() as tx:
        listed = [r["version_id"] for r in s3_versions_store.iter_versions(tx, "b")]
    assert listed == ["v4", "v3", "v2", "v1", "v0", "v9"]
