"""Row access for the Lambda service: functions, published versions, aliases and function
policies (tables in :mod:`localiam.state.schema`). Rows are plain dicts; ``config`` and
``tags`` are JSON text the service encodes. No cache holds Lambda state, so writers mark the
transaction ``cache_neutral``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, and_, delete, insert, select, update

from localiam.state import schema
from localiam.state.store import Tx

Row = dict[str, Any]

FUNCTIONS = schema.lambda_functions
VERSIONS = schema.lambda_versions
ALIASES = schema.lambda_aliases
POLICIES = schema.lambda_policies


def _where(table: Table, account_id: str, region: str, name: str, **more: Any) -> Any:
    clauses = [table.c.account_id == account_id, table.c.region == region, table.c.name == name]
    clauses += [table.c[k] == v for k, v in more.items()]
    return and_(*clauses)


def _one(tx: Tx, table: Table, where: Any) -> Row | None:
    found = tx.one_or_none(select(table).where(where))
    return dict(found._mapping) if found is not None else None


def _writing(tx: Tx) -> Tx:
    tx.cache_neutral = True
    return tx


def function(tx: Tx, account_id: str, region: str, name: str) -> Row | None:
    return _one(tx, FUNCTIONS, _where(FUNCTIONS, account_id, region, name))


def functions(tx: Tx, account_id: str, region: str) -> list[Row]:
    stmt = (
        select(FUNCTIONS)
        .where(FUNCTIONS.c.account_id == account_id, FUNCTIONS.c.region == region)
        .order_by(FUNCTIONS.c.name)
    )
    return [dict(r._mapping) for r in tx.execute(stmt)]


def create_function(tx: Tx, **values: Any) -> None:
    _writing(tx).execute(insert(FUNCTIONS).values(**values))


def update_function(tx: Tx, account_id: str, region: str, name: str, **values: Any) -> None:
    _writing(tx).execute(update(FUNCTIONS).where(_where(FUNCTIONS, account_id, region, name)).values(**values))


def delete_function(tx: Tx, account_id: str, region: str, name: str) -> list[str]:
    """Delete the function with its versions, aliases and policies; the code refs no longer
    named by it (to remove once committed)."""
    _writing(tx)
    refs = {
        str(r.code_ref)
        for r in tx.execute(select(VERSIONS.c.code_ref).where(_where(VERSIONS, account_id, region, name)))
    }
    row = function(tx, account_id, region, name)
    if row is not None:
        refs.add(str(row["code_ref"]))
    for table in (POLICIES, ALIASES, VERSIONS, FUNCTIONS):
        tx.execute(delete(table).where(_where(table, account_id, region, name)))
    return sorted(refs)


def delete_version(tx: Tx, account_id: str, region: str, name: str, version: int) -> None:
    _writing(tx)
    tx.execute(delete(VERSIONS).where(_where(VERSIONS, account_id, region, name, version=version)))
    tx.execute(delete(POLICIES).where(_where(POLICIES, account_id, region, name, qualifier=str(version))))


def version(tx: Tx, account_id: str, region: str, name: str, number: int) -> Row | None:
    return _one(tx, VERSIONS, _where(VERSIONS, account_id, region, name, version=number))


def versions(tx: Tx, account_id: str, region: str, name: str) -> list[Row]:
    stmt = select(VERSIONS).where(_where(VERSIONS, account_id, region, name)).order_by(VERSIONS.c.version)
    return [dict(r._mapping) for r in tx.execute(stmt)]


def create_version(tx: Tx, **values: Any) -> None:
    _writing(tx).execute(insert(VERSIONS).values(**values))


def alias(tx: Tx, account_id: str, region: str, name: str, alias_name: str) -> Row | None:
    return _one(tx, ALIASES, _where(ALIASES, account_id, region, name, alias=alias_name))


def aliases(tx: Tx, account_id: str, region: str, name: str) -> list[Row]:
    stmt = select(ALIASES).where(_where(ALIASES, account_id, region, name)).order_by(ALIASES.c.alias)
    return [dict(r._mapping) for r in tx.execute(stmt)]


def _upsert(tx: Tx, table: Table, where: Any, values: dict[str, Any]) -> None:
    """Insert the row, or update the one ``where`` finds."""
    _writing(tx)
    if _one(tx, table, where) is None:
        tx.execute(insert(table).values(**values))
    else:
        tx.execute(update(table).where(where).values(**values))


def put_alias(tx: Tx, **values: Any) -> None:
    where = _where(ALIASES, values["account_id"], values["region"], values["name"], alias=values["alias"])
    _upsert(tx, ALIASES, where, values)


def delete_alias(tx: Tx, account_id: str, region: str, name: str, alias_name: str) -> None:
    _writing(tx)
    tx.execute(delete(ALIASES).where(_where(ALIASES, account_id, region, name, alias=alias_name)))
    tx.execute(delete(POLICIES).where(_where(POLICIES, account_id, region, name, qualifier=alias_name)))


def policy(tx: Tx, account_id: str, region: str, name: str, qualifier: str) -> Row | None:
    return _one(tx, POLICIES, _where(POLICIES, account_id, region, name, qualifier=qualifier))


def put_policy(
    tx: Tx, account_id: str, region: str, name: str, qualifier: str, document: str, revision_id: str
) -> None:
    values = {"account_id": account_id, "region": region, "name": name, "qualifier": qualifier}
    where = _where(POLICIES, account_id, region, name, qualifier=qualifier)
    _upsert(tx, POLICIES, where, {**values, "document": document, "revision_id": revision_id})


def delete_policy(tx: Tx, account_id: str, region: str, name: str, qualifier: str) -> None:
    _writing(tx).execute(delete(POLICIES).where(_where(POLICIES, account_id, region, name, qualifier=qualifier)))


def code_refs(tx: Tx) -> set[str]:
    """Every deployment package a function or version names (for the body store's sweep)."""
    refs = {str(r.code_ref) for r in tx.execute(select(FUNCTIONS.c.code_ref))}
    refs.update(str(r.code_ref) for r in tx.execute(select(VERSIONS.c.code_ref)))
    return refs
