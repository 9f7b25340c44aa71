"""Row access for the S3 service: buckets, objects, multipart uploads and parts, and the
account-level Block Public Access settings (tables in :mod:`localiam.state.schema`).

Rows are plain dicts; JSON columns (``acl``, ``headers``, ``tags``, ``checksums``,
``public_access_block``) hold text the service encodes and decodes. Bodies live in
:class:`localiam.state.bodies.BodyStore`; a row names its body by ``body_ref``, and a body is
committed to disk before the row that names it. Writers here mark the transaction
``cache_neutral``: object writes cool no cache. A bucket's settings and an account's Block
Public Access are cached (``Authz.derived``) per owner account, so writes to them touch it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from localiam.state import s3_versions_store, schema
from localiam.state.store import Tx

Row = dict[str, Any]

BUCKETS = schema.s3_buckets
OBJECTS = schema.s3_objects
UPLOADS = schema.s3_uploads
PARTS = schema.s3_parts
SETTINGS = schema.s3_account_settings

_BATCH = 1000


class AlreadyExists(Exception):
    """The row's primary key is taken (a concurrent writer got there first)."""


def _writing(tx: Tx) -> Tx:
    tx.cache_neutral = True
    return tx


def _row(tx: Tx, table: Table, *clauses: Any) -> Row | None:
    found = tx.one_or_none(select(table).where(and_(*clauses)))
    return dict(found._mapping) if found is not None else None


# ------------------------------------------------------------------------------ buckets
def bucket(tx: Tx, name: str) -> Row | None:
    key = ("s3-bucket", name)
    if key in tx.memo:
        hit = tx.memo[key]
        return dict(hit) if hit is not None else None
    found = _row(tx, BUCKETS, BUCKETS.c.name == name)
    tx.memo[key] = found
    return dict(found) if found is not None else None


def buckets_of(tx: Tx, account_id: str) -> list[Row]:
    stmt = select(BUCKETS).where(BUCKETS.c.account_id == account_id).order_by(BUCKETS.c.name)
    return [dict(r._mapping) for r in tx.execute(stmt)]


def _touch_owner(tx: Tx, name: str) -> None:
    """A bucket's settings are cached per owner account (``Authz.derived``): a change to
    them bumps the owner's version."""
    row = tx.one_or_none(select(BUCKETS.c.account_id).where(BUCKETS.c.name == name))
    if row is not None:
        tx.touch(str(row.account_id))


def create_bucket(tx: Tx, **values: Any) -> None:
    try:
        with tx.conn.begin_nested():
            _writing(tx).execute(insert(BUCKETS).values(**values))
    except IntegrityError:
        raise AlreadyExists(values["name"]) from None
    tx.touch(str(values["account_id"]))


def update_bucket(tx: Tx, name: str, **values: Any) -> None:
    _touch_owner(tx, name)
    _writing(tx).execute(update(BUCKETS).where(BUCKETS.c.name == name).values(**values))


def delete_bucket(tx: Tx, name: str) -> None:
    _touch_owner(tx, name)
    _writing(tx).execute(delete(BUCKETS).where(BUCKETS.c.name == name))


def has_objects(tx: Tx, name: str) -> bool:
    """Whether the bucket holds an object, an earlier version or a delete marker (a bucket
    must be empty of all of them to be deleted: ``API_DeleteBucket``)."""
    if tx.one_or_none(select(OBJECTS.c.key).where(OBJECTS.c.bucket == name).limit(1)) is not None:
        return True
    return s3_versions_store.has_any(tx, name)


# ------------------------------------------------------------------------------ objects
_OBJECT = select(OBJECTS).where(OBJECTS.c.bucket == bindparam("bucket"), OBJECTS.c.key == bindparam("key"))


_OBJECT_COLUMNS = tuple(c.name for c in OBJECTS.columns)
_OBJECT_SQL = f"SELECT {', '.join(_OBJECT_COLUMNS)} FROM s3_objects WHERE bucket = ? AND key = ?"


def obj(tx: Tx, bucket_name: str, key: str) -> Row | None:
    """One object's row. On SQLite, the hottest read of S3 (every GetObject) goes straight to
    the driver: one indexed SELECT by primary key, no statement compilation."""
    conn = tx.conn
    if conn.dialect.name == "sqlite" and not tx.wrote:
        cursor = conn.connection.driver_connection.execute(_OBJECT_SQL, (bucket_name, key))  # type: ignore[union-attr]
        found = cursor.fetchone()
        cursor.close()
        return dict(zip(_OBJECT_COLUMNS, found, strict=True)) if found is not None else None
    row = tx.execute(_OBJECT, {"bucket": bucket_name, "key": key}).first()
    return dict(row._mapping) if row is not None else None


def _replace(tx: Tx, table: Table, where: Any, values: dict[str, Any]) -> str | None:
    """Insert the row, or update the one ``where`` finds; the body ref it replaced, if any."""
    _writing(tx)
    old = tx.one_or_none(select(table.c.body_ref).where(where))
    if old is None:
        tx.execute(insert(table).values(**values))
        return None
    tx.execute(update(table).where(where).values(**values))
    return str(old.body_ref)


_WHERE_OBJECT = and_(OBJECTS.c.bucket == bindparam("where_bucket"), OBJECTS.c.key == bindparam("where_key"))
_OBJECT_REF = select(OBJECTS.c.body_ref).where(_WHERE_OBJECT)
_INSERT_OBJECT = insert(OBJECTS)
_UPDATE_OBJECT = update(OBJECTS).where(_WHERE_OBJECT)


def put_object(tx: Tx, **values: Any) -> str | None:
    """Insert or replace the object ``(bucket, key)``; the body ref it replaced, if any.
    (Every PutObject runs this: the statements are built once, their values bound.)"""
    _writing(tx)
    where = {"where_bucket": values["bucket"], "where_key": values["key"]}
    old = tx.execute(_OBJECT_REF, where).first()
    if old is None:
        tx.execute(_INSERT_OBJECT, values)
        return None
    tx.execute(_UPDATE_OBJECT, {**values, **where})
    return str(old.body_ref)


def update_object(tx: Tx, bucket_name: str, key: str, **values: Any) -> None:
    where = and_(OBJECTS.c.bucket == bucket_name, OBJECTS.c.key == key)
    _writing(tx).execute(update(OBJECTS).where(where).values(**values))


def delete_object(tx: Tx, bucket_name: str, key: str) -> str | None:
    """Delete the object; its body ref (to remove once committed), or ``None`` if absent."""
    where = and_(OBJECTS.c.bucket == bucket_name, OBJECTS.c.key == key)
    old = tx.one_or_none(select(OBJECTS.c.body_ref).where(where))
    if old is None:
        return None
    _writing(tx).execute(delete(OBJECTS).where(where))
    return str(old.body_ref)


def _ordered(tx: Tx, column: Any) -> Any:
    return column.collate("C") if tx.conn.dialect.name == "postgresql" else column


def iter_objects(tx: Tx, bucket_name: str, *, prefix: str = "", after: str | None = None) -> Iterator[tuple[str, Row]]:
    """``(key, row)`` of the bucket's objects whose key is past ``after`` and not before
    ``prefix``, in UTF-8 binary order, read in batches (the caller stops when it has enough)."""
    key_col = _ordered(tx, OBJECTS.c.key)
    low = max(prefix, after or "") if after is not None else prefix
    strict = after is not None and after >= prefix
    while True:
        bound = key_col > low if strict else key_col >= low
        stmt = select(OBJECTS).where(OBJECTS.c.bucket == bucket_name, bound).order_by(key_col).limit(_BATCH)
        batch = [dict(r._mapping) for r in tx.execute(stmt)]
        for row in batch:
            yield row["key"], row
        if len(batch) < _BATCH:
            return
        low, strict = batch[-1]["key"], True


# ------------------------------------------------------------------------------ multipart
def create_upload(tx: Tx, **values: Any) -> None:
    _writing(tx).execute(insert(UPLOADS).values(**values))


def upload(tx: Tx, upload_id: str) -> Row | None:
    return _row(tx, UPLOADS, UPLOADS.c.upload_id == upload_id)


def delete_upload(tx: Tx, upload_id: str) -> None:
    _writing(tx)
    tx.execute(delete(PARTS).where(PARTS.c.upload_id == upload_id))
    tx.execute(delete(UPLOADS).where(UPLOADS.c.upload_id == upload_id))


def uploads_of(tx: Tx, bucket_name: str) -> list[Row]:
    key_col = _ordered(tx, UPLOADS.c.key)
    stmt = select(UPLOADS).where(UPLOADS.c.bucket == bucket_name).order_by(key_col, UPLOADS.c.created_at)
    return [dict(r._mapping) for r in tx.execute(stmt)]


def put_part(tx: Tx, **values: Any) -> str | None:
    """Record an upload of a part; the body ref of the upload it replaced, if any."""
    where = and_(PARTS.c.upload_id == values["upload_id"], PARTS.c.part_number == values["part_number"])
    return _replace(tx, PARTS, where, values)


def parts(tx: Tx, upload_id: str) -> list[Row]:
    stmt = select(PARTS).where(PARTS.c.upload_id == upload_id).order_by(PARTS.c.part_number)
    return [dict(r._mapping) for r in tx.execute(stmt)]


# ------------------------------------------------------------------------------ account settings
def account_public_access_block(tx: Tx, account_id: str) -> str | None:
    key = ("s3-account-pab", account_id)
    if key not in tx.memo:
        found = tx.one_or_none(select(SETTINGS.c.public_access_block).where(SETTINGS.c.account_id == account_id))
        tx.memo[key] = None if found is None else str(found.public_access_block)
    value: str | None = tx.memo[key]
    return value


def put_account_public_access_block(tx: Tx, account_id: str, value: str | None) -> None:
    tx.touch(account_id)
    tx.execute(delete(SETTINGS).where(SETTINGS.c.account_id == account_id))
    if value is not None:
        tx.execute(insert(SETTINGS).values(account_id=account_id, public_access_block=value))


def referenced_bodies(tx: Tx) -> set[str]:
    """Every body id a row names (for :meth:`BodyStore.sweep` at start-up)."""
    refs = {str(r.body_ref) for r in tx.execute(select(OBJECTS.c.body_ref))}
    refs.update(str(r.body_ref) for r in tx.execute(select(PARTS.c.body_ref)))
    refs.update(s3_versions_store.body_refs(tx))
    return refs


# ------------------------------------------------------------------------------ accounts, as S3 names them
def account_of_canonical(tx: Tx, canonical: str) -> str | None:
    table = schema.accounts
    row = tx.one_or_none(select(table.c.id).where(table.c.canonical_user_id == canonical))
    return str(row.id) if row is not None else None


def canonical_of_email(tx: Tx, email: str) -> str | None:
    table = schema.accounts
    row = tx.one_or_none(select(table.c.canonical_user_id).where(table.c.email == email.strip()))
    return str(row.canonical_user_id) if row is not None else None


def upload_ids(tx: Tx) -> set[str]:
    return {str(r.upload_id) for r in tx.execute(select(UPLOADS.c.upload_id))}
