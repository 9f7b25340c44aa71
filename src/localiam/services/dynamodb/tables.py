"""Tables: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable (``API_CreateTable``
...). A table is ``ACTIVE`` as soon as it is made, and so are its indexes; a global secondary
index added by UpdateTable is filled from the table's items at once. ``BillingMode`` is
``PROVISIONED`` unless given (then ``ProvisionedThroughput`` is required), streams are accepted
and reported, ``DeletionProtectionEnabled`` refuses DeleteTable."""

from __future__ import annotations

import copy
import datetime as _dt
import json
import uuid
from typing import Any

from localiam.services.base import OperationContext, Params, Result
from localiam.services.dynamodb._service import (
    SERVICE,
    Table,
    TableRef,
    error,
    find_table,
    table_ref,
)
from localiam.services.dynamodb.access import authorize, authorize_action, authorize_table
from localiam.services.dynamodb.values import encode_key, invalid, item_from_json, kind_of, validation
from localiam.state import dynamodb_store

_ZERO_THROUGHPUT = {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0, "NumberOfDecreasesToday": 0}


def timestamp(epoch: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(epoch, _dt.UTC)


def _throughput(params: Params, billing: str, where: str = "") -> dict[str, Any]:
    given = params.get("ProvisionedThroughput")
    if billing == "PAY_PER_REQUEST":
        if given:
            raise invalid(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
            )
        return dict(_ZERO_THROUGHPUT)
    if not given:
        raise invalid(
            f"ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED{where}"
        )
    return {
        "ReadCapacityUnits": int(given["ReadCapacityUnits"]),
        "WriteCapacityUnits": int(given["WriteCapacityUnits"]),
        "NumberOfDecreasesToday": 0,
    }


def _check_key_schema(schema: Any, definitions: dict[str, str], what: str = "") -> None:
    if not isinstance(schema, list) or not 1 <= len(schema) <= 2:
        raise validation("1 validation error detected: Value null at 'keySchema' failed to satisfy constraint: "
                         "Member must have length less than or equal to 2")  # fmt: skip
    kinds = [k.get("KeyType") for k in schema]
    if kinds[0] != "HASH" or (len(kinds) == 2 and kinds[1] != "RANGE"):
        raise invalid(f"Invalid KeySchema: The first KeySchemaElement is not a HASH key type{what}")
    for element in schema:
        name = element.get("AttributeName")
        if name not in definitions:
            raise invalid(
                "Some index key attributes are not defined in AttributeDefinitions. Keys: "
                f"[{', '.join(str(k.get('AttributeName')) for k in schema)}], AttributeDefinitions: "
                f"[{', '.join(definitions)}]"
            )
    if len(schema) == 2 and schema[0]["AttributeName"] == schema[1]["AttributeName"]:
        raise invalid("Both the Hash Key and the Range Key element in the KeySchema have the same name")


def _index(
    spec: dict[str, Any], ref: TableRef, billing: str, definitions: dict[str, str], scope: str
) -> dict[str, Any]:
    name = str(spec.get("IndexName") or "")
    _check_key_schema(spec.get("KeySchema"), definitions)
    projection = dict(spec.get("Projection") or {})
    kind = projection.get("ProjectionType", "ALL")
    if kind == "INCLUDE" and not projection.get("NonKeyAttributes"):
        raise invalid("ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
    if kind != "INCLUDE" and projection.get("NonKeyAttributes"):
        raise invalid(f"ProjectionType is {kind}, but NonKeyAttributes is specified")
    projection["ProjectionType"] = kind
    out: dict[str, Any] = {
        "IndexName": name,
        "KeySchema": spec["KeySchema"],
        "Projection": projection,
        "IndexArn": ref.index_arn(name),
    }
    if scope == "GLOBAL":
        out["IndexStatus"] = "ACTIVE"
        out["ProvisionedThroughput"] = (
            _throughput(spec, billing, f" (index {name})") if billing == "PROVISIONED" else dict(_ZERO_THROUGHPUT)
        )
    return out


def _stream(ref: TableRef, spec: dict[str, Any] | None, now: float) -> dict[str, Any]:
    if not spec or not spec.get("StreamEnabled"):
        return {}
    label = _dt.datetime.fromtimestamp(now, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    return {
        "StreamSpecification": {
            "StreamEnabled": True,
            "StreamViewType": spec.get("StreamViewType", "NEW_AND_OLD_IMAGES"),
        },
        "LatestStreamLabel": label,
        "LatestStreamArn": f"{ref.arn}/stream/{label}",
    }


def describe(ctx: OperationContext, table: Table, status: str = "ACTIVE") -> dict[str, Any]:
    """The ``TableDescription`` of ``table`` with its item count and size now."""
    config = table.config
    count, size = dynamodb_store.stats(ctx.tx, table.uid)
    out: dict[str, Any] = {
        "TableName": table.ref.name,
        "TableArn": table.ref.arn,
        "TableId": config["TableId"],
        "TableStatus": status,
        "CreationDateTime": timestamp(table.created_at),
        "KeySchema": config["KeySchema"],
        "AttributeDefinitions": config["AttributeDefinitions"],
        "ProvisionedThroughput": config["ProvisionedThroughput"],
        "BillingModeSummary": {"BillingMode": config["BillingMode"]},
        "ItemCount": count,
        "TableSizeBytes": size,
        "DeletionProtectionEnabled": bool(config.get("DeletionProtectionEnabled")),
        "TableClassSummary": {"TableClass": config.get("TableClass", "STANDARD")},
    }
    for member in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        indexes = []
        for index in config.get(member) or []:
            entry = dict(index)
            entry["ItemCount"] = dynamodb_store.index_count(ctx.tx, table.uid, index["IndexName"])
            entry["IndexSizeBytes"] = 0
            indexes.append(entry)
        if indexes:
            out[member] = indexes
    for member in ("StreamSpecification", "LatestStreamLabel", "LatestStreamArn"):
        if config.get(member):
            out[member] = config[member]
    return out


def _definitions(params: Params) -> dict[str, str]:
    out: dict[str, str] = {}
    for definition in params.get("AttributeDefinitions") or []:
        kind = definition.get("AttributeType")
        if kind not in ("S", "N", "B"):
            raise validation(
                f"1 validation error detected: Value '{kind}' at 'attributeDefinitions.1.member.attributeType' failed "
                "to satisfy constraint: Member must satisfy enum value set: [B, N, S]"
            )
        out[str(definition["AttributeName"])] = kind
    return out


def _create_resource(ctx: OperationContext, params: Params) -> TableRef:
    return table_ref(ctx, params.get("TableName"))


def _authorize_create(ctx: OperationContext, _op: Any, params: Params) -> None:
    ref = _create_resource(ctx, params)
    tags = {t["Key"]: t["Value"] for t in params.get("Tags") or []}
    context: dict[str, str | list[str]] = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    if tags:
        context["aws:TagKeys"] = list(tags)
    authorize_action(ctx, "dynamodb:CreateTable", ref.arn, context=context)


@SERVICE.operation("CreateTable", action="dynamodb:CreateTable", writes=True, authorizer=_authorize_create)
def create_table(ctx: OperationContext, params: Params) -> Result:
    ref = _create_resource(ctx, params)
    if ref.account != ctx.account_id:
        raise error("AccessDeniedException", "Tables can only be created in the caller's account", 400)
    definitions = _definitions(params)
    _check_key_schema(params.get("KeySchema"), definitions)
    billing = str(params.get("BillingMode") or "PROVISIONED")
    config: dict[str, Any] = {
        "TableId": str(uuid.uuid4()),
        "KeySchema": params["KeySchema"],
        "AttributeDefinitions": params["AttributeDefinitions"],
        "BillingMode": billing,
        "ProvisionedThroughput": _throughput(params, billing),
        "DeletionProtectionEnabled": bool(params.get("DeletionProtectionEnabled")),
        "TableClass": params.get("TableClass") or "STANDARD",
    }
    used = {k["AttributeName"] for k in params["KeySchema"]}
    for member, scope in (("GlobalSecondaryIndexes", "GLOBAL"), ("LocalSecondaryIndexes", "LOCAL")):
        specs = params.get(member)
        if specs is None:
            continue
        indexes = [_index(spec, ref, billing, definitions, scope) for spec in specs]
        if scope == "LOCAL":
            if len(params["KeySchema"]) == 1:
                raise invalid(
                    "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"
                )
            table_hash = params["KeySchema"][0]["AttributeName"]
            for index in indexes:
                index_hash = index["KeySchema"][0]["AttributeName"]
                if index_hash != table_hash:
                    raise invalid(
                        "Index KeySchema does not have the same leading hash key as table KeySchema for index: "
                        f"{index['IndexName']}. index hash key: {index_hash}, table hash key: {table_hash}"
                    )
        names = [i["IndexName"] for i in indexes]
        if len(set(names)) != len(names):
            raise invalid(f"Duplicate index name: {names[0]}")
        config[member] = indexes
        for index in indexes:
            used.update(k["AttributeName"] for k in index["KeySchema"])
    if set(definitions) - used:
        raise invalid(
            "Number of attributes in KeySchema does not exactly match number of attributes defined in "
            "AttributeDefinitions"
        )
    config.update(_stream(ref, params.get("StreamSpecification"), ctx.now))
    if dynamodb_store.table(ctx.tx, ref.account, ref.region, ref.name) is not None:
        raise error("ResourceInUseException", f"Table already exists: {ref.name}")
    policy: dict[str, Any] = {}
    if params.get("ResourcePolicy"):
        from localiam.services.dynamodb.policies import checked_policy

        policy["table"] = checked_policy(str(params["ResourcePolicy"]))
    tags = {t["Key"]: t["Value"] for t in params.get("Tags") or []}
    dynamodb_store.add_table(
        ctx.tx,
        account_id=ref.account,
        region=ref.region,
        name=ref.name,
        uid=uuid.uuid4().hex,
        config=json.dumps(config),
        tags=json.dumps(tags),
        policy=json.dumps(policy) if policy else None,
        created_at=ctx.now,
    )
    table = find_table(ctx, ref)
    description = describe(ctx, table, "ACTIVE")
    return {"TableDescription": description}


def _authorize_named(action: str) -> Any:
    def check(ctx: OperationContext, _op: Any, params: Params) -> None:
        authorize_table(ctx, action, table_ref(ctx, params.get("TableName")))

    return check


@SERVICE.operation("DescribeTable", action="dynamodb:DescribeTable", authorizer=_authorize_named("DescribeTable"))
def describe_table(ctx: OperationContext, params: Params) -> Result:
    table = find_table(ctx, table_ref(ctx, params.get("TableName")))
    return {"Table": describe(ctx, table)}


def _authorize_list(ctx: OperationContext, _op: Any, params: Params) -> None:
    authorize_action(ctx, "dynamodb:ListTables", "*")


@SERVICE.operation("ListTables", action="dynamodb:ListTables", authorizer=_authorize_list)
def list_tables(ctx: OperationContext, params: Params) -> Result:
    limit = params.get("Limit", 100)
    if not isinstance(limit, int) or not 1 <= limit <= 100:
        raise validation(
            f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
            "Member must have value less than or equal to 100"
        )
    names = dynamodb_store.table_names(ctx.tx, ctx.account_id, ctx.region)
    start = params.get("ExclusiveStartTableName")
    if start:
        names = [n for n in names if n > start]
    out: Result = {"TableNames": names[:limit]}
    if len(names) > limit:
        out["LastEvaluatedTableName"] = names[limit - 1]
    return out


@SERVICE.operation(
    "DeleteTable", action="dynamodb:DeleteTable", writes=True, authorizer=_authorize_named("DeleteTable")
)
def delete_table(ctx: OperationContext, params: Params) -> Result:
    table = find_table(ctx, table_ref(ctx, params.get("TableName")))
    if table.config.get("DeletionProtectionEnabled"):
        raise error(
            "ValidationException",
            "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection "
            "first.",
        )
    description = describe(ctx, table, "DELETING")
    dynamodb_store.drop_table(ctx.tx, table.ref.account, table.ref.region, table.ref.name, table.uid)
    return {"TableDescription": description}


@SERVICE.operation(
    "UpdateTable", action="dynamodb:UpdateTable", writes=True, authorizer=_authorize_named("UpdateTable")
)
def update_table(ctx: OperationContext, params: Params) -> Result:
    table = find_table(ctx, table_ref(ctx, params.get("TableName")))
    config = copy.deepcopy(table.config)
    billing = str(params.get("BillingMode") or config["BillingMode"])
    if params.get("BillingMode") or params.get("ProvisionedThroughput"):
        config["BillingMode"] = billing
        if billing == "PAY_PER_REQUEST" or params.get("ProvisionedThroughput"):
            config["ProvisionedThroughput"] = _throughput(params, billing)
    if params.get("DeletionProtectionEnabled") is not None:
        config["DeletionProtectionEnabled"] = bool(params["DeletionProtectionEnabled"])
    if params.get("TableClass"):
        config["TableClass"] = params["TableClass"]
    if params.get("StreamSpecification") is not None:
        for member in ("StreamSpecification", "LatestStreamLabel", "LatestStreamArn"):
            config.pop(member, None)
        config.update(_stream(table.ref, params["StreamSpecification"], ctx.now))
    definitions = {d["AttributeName"]: d["AttributeType"] for d in config["AttributeDefinitions"]}
    for given in params.get("AttributeDefinitions") or []:
        if given["AttributeName"] not in definitions:
            config["AttributeDefinitions"] = [*config["AttributeDefinitions"], given]
            definitions[given["AttributeName"]] = given["AttributeType"]
    created: list[str] = []
    for change in params.get("GlobalSecondaryIndexUpdates") or []:
        indexes = list(config.get("GlobalSecondaryIndexes") or [])
        names = [i["IndexName"] for i in indexes]
        if "Create" in change:
            spec = change["Create"]
            if spec["IndexName"] in names or spec["IndexName"] in table.indexes:
                raise invalid("Attempting to create an index which already exists")
            indexes.append(_index(spec, table.ref, billing, definitions, "GLOBAL"))
            created.append(spec["IndexName"])
        elif "Delete" in change:
            name = change["Delete"]["IndexName"]
            if name not in names:
                raise error("ResourceNotFoundException", f"Requested resource not found: Index: {name} not found")
            indexes = [i for i in indexes if i["IndexName"] != name]
            dynamodb_store.drop_index(ctx.tx, table.uid, name)
        elif "Update" in change:
            name = change["Update"]["IndexName"]
            for index in indexes:
                if index["IndexName"] == name and change["Update"].get("ProvisionedThroughput"):
                    index["ProvisionedThroughput"] = _throughput(change["Update"], "PROVISIONED")
        if indexes:
            config["GlobalSecondaryIndexes"] = indexes
        else:
            config.pop("GlobalSecondaryIndexes", None)
    dynamodb_store.change_table(ctx.tx, table.ref.account, table.ref.region, table.ref.name, config=json.dumps(config))
    updated = find_table(ctx, table.ref)
    for name in created:
        _backfill(ctx, updated, name)
    return {"TableDescription": describe(ctx, updated)}


def _backfill(ctx: OperationContext, table: Table, index: str) -> None:
    """Index the table's items in a new global secondary index."""
    schema = table.indexes[index][0]
    entries = []
    for keys, text, _size in dynamodb_store.scan(ctx.tx, table.uid):
        item = item_from_json(json.loads(text))
        values = []
        for attribute, expected in ((schema.hash_name, schema.hash_type), (schema.range_name, schema.range_type)):
            if attribute is None:
                values.append(b"")
                continue
            value = item.get(attribute)
            if value is None or kind_of(value) != expected:
                break
            values.append(encode_key(value))
        else:
            entries.append(((values[0], values[1]), keys))
    for entry, keys in entries:
        dynamodb_store.put_index_entry(ctx.tx, table.uid, index, entry, keys)


def _authorize_star(action: str) -> Any:
    def check(ctx: OperationContext, _op: Any, _params: Params) -> None:
        authorize_action(ctx, f"dynamodb:{action}", "*")

    return check


@SERVICE.operation("DescribeLimits", action="dynamodb:DescribeLimits", authorizer=_authorize_star("DescribeLimits"))
def describe_limits(ctx: OperationContext, params: Params) -> Result:
    """AWS's default quotas (``ServiceQuotas``)."""
    return {
        "AccountMaxReadCapacityUnits": 80000,
        "AccountMaxWriteCapacityUnits": 80000,
        "TableMaxReadCapacityUnits": 40000,
        "TableMaxWriteCapacityUnits": 40000,
    }


@SERVICE.operation(
    "DescribeEndpoints", action="dynamodb:DescribeEndpoints", authorizer=_authorize_star("DescribeEndpoints")
)
def describe_endpoints(ctx: OperationContext, params: Params) -> Result:
    address = ctx.endpoint.split("://", 1)[-1]
    return {"Endpoints": [{"Address": address, "CachePeriodInMinutes": 1440}]}


__all__ = ["authorize", "describe"]
