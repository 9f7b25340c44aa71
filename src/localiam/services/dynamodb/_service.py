"""The ``dynamodb`` registry and what its operations share: errors in DynamoDB's words, table
and index ARNs (``list_amazondynamodb``: ``arn:aws:dynamodb:REGION:ACCOUNT:table/T`` and
``.../table/T/index/I``), finding the table a request names (by name, or by ARN for another
account's table, ``rbac-cross-account-access``), and a table's key schema.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from localiam.errors import AwsError
from localiam.services.base import OperationContext, Service
from localiam.services.dynamodb.values import Item, Value, encode_key, invalid, kind_of, validation
from localiam.state import dynamodb_store

SERVICE = Service("dynamodb", access_denied_code="AccessDeniedException")

_TABLE_ARN = re.compile(r"arn:aws[a-z-]*:dynamodb:([a-z0-9-]+):(\d{12}):table/([a-zA-Z0-9_.-]{3,255})")
_NAME = re.compile(r"[a-zA-Z0-9_.-]{3,255}")


def error(code: str, message: str, status: int = 400) -> AwsError:
    return AwsError(message, code=code, status=status)


def not_found(message: str = "Requested resource not found") -> AwsError:
    return error("ResourceNotFoundException", message)


def table_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:dynamodb:{region}:{account}:table/{name}"


@dataclass(frozen=True, slots=True)
class TableRef:
    """Where a request's table is: its account and region (the caller's, unless it is named by
    ARN) and its name."""

    account: str
    region: str
    name: str

    @property
    def arn(self) -> str:
        return table_arn(self.region, self.account, self.name)

    def index_arn(self, index: str) -> str:
        return f"{self.arn}/index/{index}"


def table_ref(ctx: OperationContext, value: Any, member: str = "tableName") -> TableRef:
    if not isinstance(value, str) or not value:
        raise validation(
            f"1 validation error detected: Value null at '{member}' failed to satisfy constraint: "
            "Member must not be null"
        )
    match = _TABLE_ARN.fullmatch(value)
    if match:
        return TableRef(match.group(2), match.group(1), match.group(3))
    if not _NAME.fullmatch(value):
        raise validation(
            f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        )
    return TableRef(ctx.account_id, ctx.region, value)


@dataclass(frozen=True, slots=True)
class KeySchema:
    hash_name: str
    hash_type: str
    range_name: str | None = None
    range_type: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.hash_name,) if self.range_name is None else (self.hash_name, self.range_name)


def key_schema(schema: list[dict[str, Any]], definitions: dict[str, str]) -> KeySchema:
    hash_name = next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")
    range_name = next((k["AttributeName"] for k in schema if k["KeyType"] == "RANGE"), None)
    return KeySchema(
        hash_name,
        definitions[hash_name],
        range_name,
        definitions[range_name] if range_name is not None else None,
    )


@dataclass
class Table:
    """A table as a request sees it: its row, its description and its key schemas."""

    ref: TableRef
    uid: str
    config: dict[str, Any]
    tags: dict[str, str]
    policy: dict[str, Any]
    created_at: float
    keys: KeySchema = field(init=False)
    indexes: dict[str, tuple[KeySchema, dict[str, Any], str]] = field(init=False)
    """index name -> (key schema, projection, ``GLOBAL`` or ``LOCAL``)"""

    def __post_init__(self) -> None:
        definitions = {d["AttributeName"]: d["AttributeType"] for d in self.config["AttributeDefinitions"]}
        self.keys = key_schema(self.config["KeySchema"], definitions)
        self.indexes = {}
        for scope, member in (("GLOBAL", "GlobalSecondaryIndexes"), ("LOCAL", "LocalSecondaryIndexes")):
            for index in self.config.get(member) or []:
                self.indexes[index["IndexName"]] = (
                    key_schema(index["KeySchema"], definitions),
                    index.get("Projection") or {"ProjectionType": "ALL"},
                    scope,
                )

    @property
    def ttl_attribute(self) -> str | None:
        ttl = self.config.get("TimeToLive") or {}
        return ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") == "ENABLED" else None

    def expired(self, item: Item, now: float) -> bool:
        """An item whose TTL attribute (a number of epoch seconds) is in the past
        (``TTL``: expired items are not returned here; AWS deletes them within days)."""
        name = self.ttl_attribute
        if name is None:
            return False
        value = item.get(name)
        if value is None or "N" not in value:
            return False
        try:
            return float(value["N"]) < now
        except ValueError:
            return False


def load_table(ctx: OperationContext, ref: TableRef) -> Table | None:
    """The table ``ref`` names, or ``None``. Cached while its account's version stands (every
    change to a table touches its account, ``dynamodb_store``); never modify what it returns."""

    def compute() -> tuple[tuple[Table | None], tuple[str, ...]]:
        row = dynamodb_store.table(ctx.tx, ref.account, ref.region, ref.name)
        table = None
        if row is not None:
            table = Table(
                ref,
                row["uid"],
                json.loads(row["config"]),
                json.loads(row["tags"]),
                json.loads(row["policy"]) if row["policy"] else {},
                row["created_at"],
            )
        return (table,), (ref.account,)

    (found,) = ctx.authz.derived(ctx.tx, ("dynamodb-table", ref), compute)
    return found  # type: ignore[no-any-return]


def find_table(ctx: OperationContext, ref: TableRef) -> Table:
    table = load_table(ctx, ref)
    if table is None:
        raise not_found(f"Requested resource not found: Table: {ref.name} not found")
    return table


# --- keys ----------------------------------------------------------------------------------------


def key_values(schema: KeySchema, item: Item, *, exact: bool) -> tuple[Value, Value | None]:
    """The key values of ``item`` (a full item with ``exact=False``, a ``Key`` with
    ``exact=True``), checked against the schema with AWS's messages."""
    if exact and set(item) != set(schema.names):
        raise validation("The provided key element does not match the schema")
    values: list[Value | None] = []
    for name, expected in ((schema.hash_name, schema.hash_type), (schema.range_name, schema.range_type)):
        if name is None:
            values.append(None)
            continue
        value = item.get(name)
        if value is None:
            if exact:
                raise validation("The provided key element does not match the schema")
            raise invalid(f"Missing the key {name} in the item")
        actual = kind_of(value)
        if actual != expected:
            if exact:
                raise validation("The provided key element does not match the schema")
            raise invalid(f"Type mismatch for key {name} expected: {expected} actual: {actual}")
        if actual in ("S", "B") and not value[actual]:
            raise validation(
                "One or more parameter values are not valid. The AttributeValue for a key attribute cannot "
                f"contain an empty {'string' if actual == 'S' else 'binary'} value. Key: {name}"
            )
        values.append(value)
    hash_value = values[0]
    assert hash_value is not None
    return hash_value, values[1]


def encoded_keys(schema: KeySchema, item: Item, *, exact: bool) -> tuple[bytes, bytes]:
    hash_value, range_value = key_values(schema, item, exact=exact)
    return encode_key(hash_value), encode_key(range_value) if range_value is not None else b""


def key_text(value: Value) -> str:
    """A key value as ``dynamodb:LeadingKeys`` carries it (a string)."""
    kind, raw = next(iter(value.items()))
    if kind == "B":
        import base64

        return base64.b64encode(raw).decode()
    return str(raw)


def item_key(schema: KeySchema, item: Item) -> Item:
    return {name: item[name] for name in schema.names if name in item}
