"""DynamoDB's rows: tables, items and secondary index entries (``schema.dynamodb_*``).

Items are keyed by ``(table_uid, hash_key, range_key)``, the key values encoded so that their
bytes sort as DynamoDB sorts the values: a Query reads one partition's range of the primary
key (or of an index's entries) in order, never the whole table. On SQLite the one-item
statements run on the driver's connection (``Tx.driver``). Item writes are
``cache_neutral``: they change no policy or principal, so they cool no cache. A read of an item
in a write transaction on PostgreSQL locks its row (``FOR UPDATE``), so two conditional writes
on one item are serialised; so are two of a new item, by an advisory lock on its key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, select, text, tuple_, update

from localiam.state import schema
from localiam.state.store import Tx

ITEMS = schema.dynamodb_items
INDEX = schema.dynamodb_index_items
TABLES = schema.dynamodb_tables
Row = dict[str, Any]
_BATCH = 200

_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")

# The statements every item request runs, built once (their compiled forms are cached).
_TABLE = select(TABLES).where(
    TABLES.c.account_id == bindparam("account"), TABLES.c.region == bindparam("region"), TABLES.c.name == bindparam("n")
)
_ITEM_WHERE = (
    ITEMS.c.table_uid == bindparam("uid"),
    ITEMS.c.hash_key == bindparam("hk"),
    ITEMS.c.range_key == bindparam("rk"),
)
_ITEM = select(ITEMS.c.item, ITEMS.c.size).where(*_ITEM_WHERE)
_ITEM_LOCKED = _ITEM.with_for_update()
_INSERT_ITEM = insert(ITEMS).values(
    table_uid=bindparam("uid"), hash_key=bindparam("hk"), range_key=bindparam("rk"),
    item=bindparam("text"), size=bindparam("bytes"),
)  # fmt: skip
_UPDATE_ITEM = update(ITEMS).where(*_ITEM_WHERE).values(item=bindparam("text"), size=bindparam("bytes"))
_DELETE_ITEM = delete(ITEMS).where(*_ITEM_WHERE)


def table(tx: Tx, account_id: str, region: str, name: str) -> Row | None:
    row = tx.one_or_none(_TABLE.params(account=account_id, region=region, n=name))
    return dict(row._mapping) if row is not None else None


def table_names(tx: Tx, account_id: str, region: str) -> list[str]:
    stmt = (
        select(TABLES.c.name)
        .where(TABLES.c.account_id == account_id, TABLES.c.region == region)
        .order_by(TABLES.c.name)
    )
    return [str(name) for (name,) in tx.execute(stmt)]


def add_table(tx: Tx, **values: Any) -> None:
    tx.touch(values["account_id"])  # tables are cached with the account's version
    tx.execute(insert(TABLES).values(**values))


def change_table(tx: Tx, account_id: str, region: str, name: str, **values: Any) -> None:
    tx.touch(account_id)
    tx.execute(
        update(TABLES)
        .where(TABLES.c.account_id == account_id, TABLES.c.region == region, TABLES.c.name == name)
        .values(**values)
    )


def drop_table(tx: Tx, account_id: str, region: str, name: str, uid: str) -> None:
    tx.touch(account_id)
    tx.execute(
        delete(TABLES).where(TABLES.c.account_id == account_id, TABLES.c.region == region, TABLES.c.name == name)
    )
    tx.cache_neutral = True
    tx.execute(delete(ITEMS).where(ITEMS.c.table_uid == uid))
    tx.execute(delete(INDEX).where(INDEX.c.table_uid == uid))


def stats(tx: Tx, uid: str) -> tuple[int, int]:
    """The table's item count and size in bytes."""
    count, size = tx.execute(
        select(func.count(), func.coalesce(func.sum(ITEMS.c.size), 0)).where(ITEMS.c.table_uid == uid)
    ).one()
    return int(count), int(size)


def index_count(tx: Tx, uid: str, index: str) -> int:
    stmt = select(func.count()).where(INDEX.c.table_uid == uid, INDEX.c.index_name == index)
    return int(tx.execute(stmt).scalar_one())


def item(tx: Tx, uid: str, hash_key: bytes, range_key: bytes, *, lock: bool = False) -> Row | None:
    postgres = lock and tx.conn.dialect.name == "postgresql"
    if postgres:
        # FOR UPDATE locks nothing when the item does not exist yet: two conditional puts of a
        # new item would both find it absent. A transaction-level advisory lock on the item's
        # key makes the second wait for the first to commit, then read what it wrote.
        digest = hashlib.blake2b(uid.encode() + b"\0" + hash_key + b"\0" + range_key, digest_size=8).digest()
        tx.conn.execute(_ADVISORY_LOCK, {"key": int.from_bytes(digest, "big", signed=True)})
    params = {"uid": uid, "hk": hash_key, "rk": range_key}
    if tx.sqlite:
        found = tx.driver(_ITEM, params).fetchone()
    else:
        found = tx.conn.execute(_ITEM_LOCKED if postgres else _ITEM, params).first()
    return {"item": found[0], "size": found[1]} if found is not None else None


def put_item(tx: Tx, uid: str, hash_key: bytes, range_key: bytes, text: str, size: int, *, exists: bool) -> None:
    tx.cache_neutral = True
    _write(
        tx,
        _UPDATE_ITEM if exists else _INSERT_ITEM,
        {"uid": uid, "hk": hash_key, "rk": range_key, "text": text, "bytes": size},
    )


def delete_item(tx: Tx, uid: str, hash_key: bytes, range_key: bytes) -> None:
    tx.cache_neutral = True
    _write(tx, _DELETE_ITEM, {"uid": uid, "hk": hash_key, "rk": range_key})


def _write(tx: Tx, statement: Any, params: dict[str, Any]) -> None:
    if tx.sqlite:
        tx.driver(statement, params)
    else:
        tx.execute(statement, params)


def put_index_entry(tx: Tx, uid: str, index: str, keys: tuple[bytes, bytes], item_keys: tuple[bytes, bytes]) -> None:
    tx.cache_neutral = True
    tx.execute(
        insert(INDEX).values(
            table_uid=uid,
            index_name=index,
            hash_key=keys[0],
            range_key=keys[1],
            item_hash_key=item_keys[0],
            item_range_key=item_keys[1],
        )
    )


def delete_index_entries(tx: Tx, uid: str, item_keys: tuple[bytes, bytes], index: str | None = None) -> None:
    tx.cache_neutral = True
    stmt = delete(INDEX).where(
        INDEX.c.table_uid == uid, INDEX.c.item_hash_key == item_keys[0], INDEX.c.item_range_key == item_keys[1]
    )
    if index is not None:
        stmt = stmt.where(INDEX.c.index_name == index)
    tx.execute(stmt)


def drop_index(tx: Tx, uid: str, index: str) -> None:
    tx.cache_neutral = True
    tx.execute(delete(INDEX).where(INDEX.c.table_uid == uid, INDEX.c.index_name == index))


def _range(column: Any, low: bytes | None, high: bytes | None, low_open: bool, high_open: bool) -> list[Any]:
    out = []
    if low is not None:
        out.append(column > low if low_open else column >= low)
    if high is not None:
        out.append(column < high if high_open else column <= high)
    return out


def query(
    tx: Tx,
    uid: str,
    hash_key: bytes,
    *,
    low: bytes | None = None,
    high: bytes | None = None,
    low_open: bool = False,
    high_open: bool = False,
    forward: bool = True,
    after: bytes | None = None,
) -> Iterator[tuple[bytes, str, int]]:
    """One partition's items in sort key order, from the sort key range, in batches:
    ``(range_key, item JSON, size)``; ``after`` is the last sort key already returned."""
    column = ITEMS.c.range_key
    while True:
        bounds = _range(column, low, high, low_open, high_open)
        if after is not None:
            bounds.append(column > after if forward else column < after)
        stmt = (
            select(ITEMS.c.range_key, ITEMS.c.item, ITEMS.c.size)
            .where(ITEMS.c.table_uid == uid, ITEMS.c.hash_key == hash_key, *bounds)
            .order_by(column if forward else column.desc())
            .limit(_BATCH)
        )
        rows = list(tx.execute(stmt))
        for row in rows:
            yield bytes(row.range_key), row.item, row.size
        if len(rows) < _BATCH:
            return
        after = bytes(rows[-1].range_key)


def query_index(
    tx: Tx,
    uid: str,
    index: str,
    hash_key: bytes,
    *,
    low: bytes | None = None,
    high: bytes | None = None,
    low_open: bool = False,
    high_open: bool = False,
    forward: bool = True,
    after: tuple[bytes, bytes, bytes] | None = None,
) -> Iterator[tuple[tuple[bytes, bytes, bytes], str, int]]:
    """One index partition's items in index sort key order (then by the table's key):
    ``((index range key, item hash key, item range key), item JSON, size)``."""
    order = (INDEX.c.range_key, INDEX.c.item_hash_key, INDEX.c.item_range_key)
    while True:
        bounds = _range(INDEX.c.range_key, low, high, low_open, high_open)
        if after is not None:
            position = tuple_(*order)
            bounds.append(position > tuple_(*after) if forward else position < tuple_(*after))
        stmt = (
            select(*order, ITEMS.c.item, ITEMS.c.size)
            .join(
                ITEMS,
                and_(
                    ITEMS.c.table_uid == INDEX.c.table_uid,
                    ITEMS.c.hash_key == INDEX.c.item_hash_key,
                    ITEMS.c.range_key == INDEX.c.item_range_key,
                ),
            )
            .where(INDEX.c.table_uid == uid, INDEX.c.index_name == index, INDEX.c.hash_key == hash_key, *bounds)
            .order_by(*(order if forward else [c.desc() for c in order]))
            .limit(_BATCH)
        )
        rows = list(tx.execute(stmt))
        for row in rows:
            yield (bytes(row.range_key), bytes(row.item_hash_key), bytes(row.item_range_key)), row.item, row.size
        if len(rows) < _BATCH:
            return
        last = rows[-1]
        after = (bytes(last.range_key), bytes(last.item_hash_key), bytes(last.item_range_key))


def scan(
    tx: Tx, uid: str, *, after: tuple[bytes, bytes] | None = None
) -> Iterator[tuple[tuple[bytes, bytes], str, int]]:
    """Every item of the table in key order, in batches: ``((hash key, range key), item, size)``."""
    position = tuple_(ITEMS.c.hash_key, ITEMS.c.range_key)
    while True:
        stmt = select(ITEMS.c.hash_key, ITEMS.c.range_key, ITEMS.c.item, ITEMS.c.size).where(ITEMS.c.table_uid == uid)
        if after is not None:
            stmt = stmt.where(position > tuple_(*after))
        rows = list(tx.execute(stmt.order_by(ITEMS.c.hash_key, ITEMS.c.range_key).limit(_BATCH)))
        for row in rows:
            yield (bytes(row.hash_key), bytes(row.range_key)), row.item, row.size
        if len(rows) < _BATCH:
            return
        last = rows[-1]
        after = (bytes(last.hash_key), bytes(last.range_key))


def scan_index(
    tx: Tx, uid: str, index: str, *, after: tuple[bytes, bytes, bytes, bytes] | None = None
) -> Iterator[tuple[tuple[bytes, bytes, bytes, bytes], str, int]]:
    """Every entry of an index in its key order, with the item it points at."""
    order = (INDEX.c.hash_key, INDEX.c.range_key, INDEX.c.item_hash_key, INDEX.c.item_range_key)
    while True:
        stmt = (
            select(*order, ITEMS.c.item, ITEMS.c.size)
            .join(
                ITEMS,
                and_(
                    ITEMS.c.table_uid == INDEX.c.table_uid,
                    ITEMS.c.hash_key == INDEX.c.item_hash_key,
                    ITEMS.c.range_key == INDEX.c.item_range_key,
                ),
            )
            .where(INDEX.c.table_uid == uid, INDEX.c.index_name == index)
        )
        if after is not None:
            stmt = stmt.where(tuple_(*order) > tuple_(*after))
        rows = list(tx.execute(stmt.order_by(*order).limit(_BATCH)))
        for row in rows:
            yield (
                (bytes(row.hash_key), bytes(row.range_key), bytes(row.item_hash_key), bytes(row.item_range_key)),
                row.item,
                row.size,
            )
        if len(rows) < _BATCH:
            return
        last = rows[-1]
        after = (bytes(last.hash_key), bytes(last.range_key), bytes(last.item_hash_key), bytes(last.item_range_key))
