"""Row access for the IAM service: small, generic reads and writes over the tables of
:mod:`localiam.state.schema`, so that ``services/iam`` never builds SQL itself.

Rows come back as plain dicts. ``where`` arguments are equality filters; a list or tuple value
means "one of", ``None`` means SQL ``NULL``. Callers keep the store's conventions
(``state/authz.py`` reads these rows back for the engine): ``name_key`` and every
``*_key``/``principal_key`` are lower-cased names; tags hang off ``(resource_type,
resource_key)``; times are epoch seconds.

Every writer here changes an account's principals or policies; the caller must call
``tx.touch(account_id)`` (the IAM service does so for each write operation).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Table, and_, delete, func, insert, select, true, update
from sqlalchemy.sql.elements import ColumnElement

from localiam.state import schema
from localiam.state.store import Tx

Row = dict[str, Any]


def _clauses(table: Table, where: Mapping[str, Any]) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    for name, value in where.items():
        column = table.c[name]
        if isinstance(value, (list, tuple, set, frozenset)):
            out.append(column.in_(sorted(value)))
        elif value is None:
            out.append(column.is_(None))
        else:
            out.append(column == value)
    return out


def one(tx: Tx, table: Table, **where: Any) -> Row | None:
    """The row matching ``where``, or ``None``. Remembered for the rest of the transaction
    until it writes (an operation's authorization and its handler often read the same row)."""
    key: object = None
    if all(isinstance(v, (str, int, float, bool)) or v is None for v in where.values()):
        key = ("one", table.name, tuple(sorted(where.items())))
        if key in tx.memo:
            hit = tx.memo[key]
            return dict(hit) if hit is not None else None
    row = tx.one_or_none(select(table).where(and_(true(), *_clauses(table, where))))
    found = dict(row._mapping) if row is not None else None
    if key is not None:
        tx.memo[key] = found
    return dict(found) if found is not None else None


def rows(tx: Tx, table: Table, *, order_by: Iterable[str] = (), **where: Any) -> list[Row]:
    """Every row matching ``where``, ordered by the named columns."""
    stmt = select(table).where(and_(true(), *_clauses(table, where)))
    stmt = stmt.order_by(*(table.c[name] for name in order_by))
    return [dict(row._mapping) for row in tx.execute(stmt)]


def count(tx: Tx, table: Table, **where: Any) -> int:
    stmt = select(func.count()).select_from(table).where(and_(true(), *_clauses(table, where)))
    return int(tx.execute(stmt).scalar_one())


def add(tx: Tx, table: Table, **values: Any) -> None:
    tx.execute(insert(table).values(**values))


def change(tx: Tx, table: Table, where: Mapping[str, Any], **values: Any) -> int:
    """Update the rows matching ``where``; the number of rows changed."""
    result = tx.execute(update(table).where(and_(true(), *_clauses(table, where))).values(**values))
    return int(result.rowcount)


def remove(tx: Tx, table: Table, **where: Any) -> int:
    """Delete the rows matching ``where``; the number of rows deleted."""
    result = tx.execute(delete(table).where(and_(true(), *_clauses(table, where))))
    return int(result.rowcount)


# --------------------------------------------------------------------------- tags
def tags_of(tx: Tx, account_id: str, resource_type: str, resource_key: str) -> list[tuple[str, str]]:
    """``(key, value)`` pairs in the order of their lower-cased keys."""
    found = rows(
        tx,
        schema.tags,
        order_by=("key_lower",),
        account_id=account_id,
        resource_type=resource_type,
        resource_key=resource_key,
    )
    return [(row["key"], row["value"]) for row in found]


def put_tags(tx: Tx, account_id: str, resource_type: str, resource_key: str, tags: Iterable[tuple[str, str]]) -> None:
    """Add or overwrite tags; keys are unique case-insensitively, the latest spelling wins."""
    for key, value in tags:
        where = {
            "account_id": account_id,
            "resource_type": resource_type,
            "resource_key": resource_key,
            "key_lower": key.lower(),
        }
        if not change(tx, schema.tags, where, key=key, value=value):
            add(tx, schema.tags, key=key, value=value, **where)


def drop_tags(
    tx: Tx, account_id: str, resource_type: str, resource_key: str, keys: Iterable[str] | None = None
) -> None:
    """Remove the tags named by ``keys`` (case-insensitively), or all of them."""
    where: dict[str, Any] = {"account_id": account_id, "resource_type": resource_type, "resource_key": resource_key}
    if keys is not None:
        where["key_lower"] = tuple(k.lower() for k in keys)
    remove(tx, schema.tags, **where)


# --------------------------------------------------------------------------- users
def rename_user(tx: Tx, account_id: str, old_key: str, *, name: str, path: str) -> None:
    """``UpdateUser``: move the user and everything keyed by its name to ``name``."""
    new_key = name.lower()
    change(tx, schema.users, {"account_id": account_id, "name_key": old_key}, name=name, name_key=new_key, path=path)
    if new_key == old_key:
        return
    for table in (schema.attachments, schema.inline_policies):
        change(
            tx,
            table,
            {"account_id": account_id, "principal_type": "user", "principal_key": old_key},
            principal_key=new_key,
        )
    change(
        tx,
        schema.tags,
        {"account_id": account_id, "resource_type": "user", "resource_key": old_key},
        resource_key=new_key,
    )
    for table in (
        schema.group_members,
        schema.access_keys,
        schema.login_profiles,
        schema.sessions,
        schema.mfa_devices,
        schema.signing_certificates,
        schema.ssh_public_keys,
        schema.service_credentials,
    ):
        change(tx, table, {"account_id": account_id, "user_key": old_key}, user_key=new_key)


def rename_group(tx: Tx, account_id: str, old_key: str, *, name: str, path: str) -> None:
    """``UpdateGroup``: move the group and everything keyed by its name to ``name``."""
    new_key = name.lower()
    change(tx, schema.groups, {"account_id": account_id, "name_key": old_key}, name=name, name_key=new_key, path=path)
    if new_key == old_key:
        return
    for table in (schema.attachments, schema.inline_policies):
        change(
            tx,
            table,
            {"account_id": account_id, "principal_type": "group", "principal_key": old_key},
            principal_key=new_key,
        )
    change(tx, schema.group_members, {"account_id": account_id, "group_key": old_key}, group_key=new_key)


# --------------------------------------------------------------------------- policies
def attachment_counts(tx: Tx, account_id: str) -> dict[str, int]:
    """How many users, groups and roles of the account each managed policy is attached to."""
    t = schema.attachments
    stmt = select(t.c.policy_arn, func.count()).where(t.c.account_id == account_id).group_by(t.c.policy_arn)
    return {arn: int(n) for arn, n in tx.execute(stmt)}


def boundary_counts(tx: Tx, account_id: str) -> dict[str, int]:
    """How many users and roles of the account use each policy as their permissions boundary."""
    out: dict[str, int] = {}
    for table in (schema.users, schema.roles):
        stmt = (
            select(table.c.boundary_arn, func.count())
            .where(table.c.account_id == account_id, table.c.boundary_arn.is_not(None))
            .group_by(table.c.boundary_arn)
        )
        for arn, n in tx.execute(stmt):
            out[arn] = out.get(arn, 0) + int(n)
    return out
