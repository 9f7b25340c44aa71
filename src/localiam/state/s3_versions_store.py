"""Row access for S3 object versions that are not a key's current object: earlier versions
and delete markers (table ``s3_object_versions`` in :mod:`localiam.state.schema`).

A key's current object, when it has one, is its row in ``s3_objects``; every other version is
here, ordered by ``sequence`` (a key's newest version here has the highest). The invariant the
service keeps: a key has an ``s3_objects`` row exactly when its newest version is an object,
not a delete marker. Rows are plain dicts, as in :mod:`localiam.state.s3_store`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import and_, delete, func, insert, select
from sqlalchemy import update as update_

from localiam.state import schema
from localiam.state.store import Tx

Row = dict[str, Any]

VERSIONS = schema.s3_object_versions
_BATCH = 1000


def _key(bucket_name: str, key: str) -> Any:
    return and_(VERSIONS.c.bucket == bucket_name, VERSIONS.c.key == key)


def versions(tx: Tx, bucket_name: str, key: str) -> list[Row]:
    """The key's versions here, newest first."""
    stmt = select(VERSIONS).where(_key(bucket_name, key)).order_by(VERSIONS.c.sequence.desc())
    return [dict(r._mapping) for r in tx.execute(stmt)]


def newest(tx: Tx, bucket_name: str, key: str) -> Row | None:
    stmt = select(VERSIONS).where(_key(bucket_name, key)).order_by(VERSIONS.c.sequence.desc()).limit(1)
    found = tx.one_or_none(stmt)
    return dict(found._mapping) if found is not None else None


def version(tx: Tx, bucket_name: str, key: str, version_id: str) -> Row | None:
    found = tx.one_or_none(select(VERSIONS).where(_key(bucket_name, key), VERSIONS.c.version_id == version_id))
    return dict(found._mapping) if found is not None else None


def add(tx: Tx, **values: Any) -> None:
    """Record a version as the key's newest here (an object that stopped being current, or a
    new delete marker): its ``sequence`` is past every other of the key's."""
    tx.cache_neutral = True
    top = tx.one_or_none(select(func.max(VERSIONS.c.sequence)).where(_key(values["bucket"], values["key"])))
    current = top[0] if top is not None and top[0] is not None else 0
    tx.execute(insert(VERSIONS).values(**values, sequence=int(current) + 1))


def remove(tx: Tx, bucket_name: str, key: str, version_id: str) -> None:
    tx.cache_neutral = True
    tx.execute(delete(VERSIONS).where(_key(bucket_name, key), VERSIONS.c.version_id == version_id))


def update(tx: Tx, bucket_name: str, key: str, version_id: str, **values: Any) -> None:
    tx.cache_neutral = True
    tx.execute(update_(VERSIONS).where(_key(bucket_name, key), VERSIONS.c.version_id == version_id).values(**values))


def has_any(tx: Tx, bucket_name: str) -> bool:
    return tx.one_or_none(select(VERSIONS.c.key).where(VERSIONS.c.bucket == bucket_name).limit(1)) is not None


def iter_versions(tx: Tx, bucket_name: str, *, prefix: str = "", after: str | None = None) -> Iterator[Row]:
    """The bucket's rows here whose key is ``after`` or past it and not before ``prefix``,
    by key in UTF-8 binary order, each key's newest first; read in batches."""
    key_col = VERSIONS.c.key.collate("C") if tx.conn.dialect.name == "postgresql" else VERSIONS.c.key
    low = max(prefix, after or "")
    seen_key: str | None = None
    seen_sequence: int | None = None
    while True:
        if seen_key is None:
            bound = key_col >= low
        else:
            bound = (key_col > seen_key) | (and_(key_col == seen_key, VERSIONS.c.sequence < seen_sequence))
        stmt = (
            select(VERSIONS)
            .where(VERSIONS.c.bucket == bucket_name, bound)
            .order_by(key_col, VERSIONS.c.sequence.desc())
            .limit(_BATCH)
        )
        batch = [dict(r._mapping) for r in tx.execute(stmt)]
        yield from batch
        if len(batch) < _BATCH:
            return
        seen_key, seen_sequence = batch[-1]["key"], int(batch[-1]["sequence"])


def body_refs(tx: Tx) -> set[str]:
    """Every body a version names (for the start-up sweep); delete markers name none."""
    return {str(r.body_ref) for r in tx.execute(select(VERSIONS.c.body_ref).where(VERSIONS.c.body_ref != ""))}
