"""DynamoDB tables through boto3 (``API_CreateTable``, ``API_DescribeTable``, ``API_ListTables``,
``API_UpdateTable``, ``API_DeleteTable``, ``TTL``, ``Tagging``)."""

from __future__ import annotations

from typing import Any

import pytest
from e2e_helpers import error_of

from localiam.testing import LocaliamServer


@pytest.fixture
def ddb(server: LocaliamServer) -> Any:
    return server.client("dynamodb")


def make_table(ddb: Any, name: str = "Music", *, range_key: str | None = "SongTitle", **extra: Any) -> dict[str, Any]:
    keys = [{"AttributeName": "Artist", "KeyType": "HASH"}]
    definitions = [{"AttributeName": "Artist", "AttributeType": "S"}]
    if range_key:
        keys.append({"AttributeName": range_key, "KeyType": "RANGE"})
        definitions.append({"AttributeName": range_key, "AttributeType": "S"})
    definitions += extra.pop("more_definitions", [])
    answer: dict[str, Any] = ddb.create_table(
        TableName=name, KeySchema=keys, AttributeDefinitions=definitions, BillingMode="PAY_PER_REQUEST", **extra
    )
    return answer


def test_create_describe_list_delete(ddb: Any, server: LocaliamServer) -> None:
    created = make_table(ddb, Tags=[{"Key": "team", "Value": "audio"}], DeletionProtectionEnabled=False)
    description = created["TableDescription"]
    assert description["TableStatus"] == "ACTIVE"
    assert description["TableArn"] == f"arn:aws:dynamodb:us-east-1:{server.account_id}:table/Music"
    assert description["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ddb.put_item(TableName="Music", Item={"Artist": {"S": "A"}, "SongTitle": {"S": "x"}})
    table = ddb.describe_table(TableName="Music")["Table"]
    assert table["ItemCount"] == 1 and table["TableSizeBytes"] > 0
    ddb.get_waiter("table_exists").wait(TableName="Music")
    assert ddb.list_tables()["TableNames"] == ["Music"]
    tags = ddb.list_tags_of_resource(ResourceArn=description["TableArn"])["Tags"]
    assert tags == [{"Key": "team", "Value": "audio"}]
    assert error_of(make_table, ddb)["Code"] == "ResourceInUseException"
    assert ddb.delete_table(TableName="Music")["TableDescription"]["TableStatus"] == "DELETING"
    err = error_of(ddb.describe_table, TableName="Music")
    assert err["Code"] == "ResourceNotFoundException"
    assert err["Message"] == "Requested resource not found: Table: Music not found"


def test_list_tables_pages(ddb: Any) -> None:
    for i in range(5):
        make_table(ddb, f"t{i:02d}", range_key=None)
    first = ddb.list_tables(Limit=2)
    assert first["TableNames"] == ["t00", "t01"] and first["LastEvaluatedTableName"] == "t01"
    rest = ddb.list_tables(ExclusiveStartTableName="t01")
    assert rest["TableNames"] == ["t02", "t03", "t04"] and "LastEvaluatedTableName" not in rest
    paginated = [
        n
        for page in ddb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 2})
        for n in page["TableNames"]
    ]
    assert paginated == [f"t{i:02d}" for i in range(5)]


def test_create_table_validation(ddb: Any) -> None:
    err = error_of(
        ddb.create_table,
        TableName="bad",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    )
    assert err["Code"] == "ValidationException"
    assert "ReadCapacityUnits and WriteCapacityUnits must both be specified" in err["Message"]
    err = error_of(
        ddb.create_table,
        TableName="bad",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "extra", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    assert err["Message"] == (
        "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match "
        "number of attributes defined in AttributeDefinitions"
    )


def test_deletion_protection(ddb: Any) -> None:
    make_table(ddb, DeletionProtectionEnabled=True)
    assert error_of(ddb.delete_table, TableName="Music")["Code"] == "ValidationException"
    ddb.update_table(TableName="Music", DeletionProtectionEnabled=False)
    ddb.delete_table(TableName="Music")


def test_update_table_adds_and_removes_an_index(ddb: Any) -> None:
    make_table(ddb)
    for i in range(3):
        ddb.put_item(
            TableName="Music",
            Item={"Artist": {"S": f"a{i}"}, "SongTitle": {"S": "s"}, "Genre": {"S": "rock" if i else "jazz"}},
        )
    ddb.update_table(
        TableName="Music",
        AttributeDefinitions=[{"AttributeName": "Genre", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "ByGenre",
                    "KeySchema": [{"AttributeName": "Genre", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            }
        ],
    )
    found = ddb.query(
        TableName="Music",
        IndexName="ByGenre",
        KeyConditionExpression="Genre = :g",
        ExpressionAttributeValues={":g": {"S": "rock"}},
    )
    assert sorted(i["Artist"]["S"] for i in found["Items"]) == ["a1", "a2"]
    indexes = ddb.describe_table(TableName="Music")["Table"]["GlobalSecondaryIndexes"]
    assert indexes[0]["IndexStatus"] == "ACTIVE" and indexes[0]["ItemCount"] == 3
    ddb.update_table(TableName="Music", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "ByGenre"}}])
    assert "GlobalSecondaryIndexes" not in ddb.describe_table(TableName="Music")["Table"]
    ddb.update_table(
        TableName="Music",
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    )
    table = ddb.describe_table(TableName="Music")["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 5


def test_time_to_live(ddb: Any, server: LocaliamServer) -> None:
    import time

    make_table(ddb, range_key=None)
    assert ddb.describe_time_to_live(TableName="Music")["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"
    ddb.update_time_to_live(TableName="Music", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    described = ddb.describe_time_to_live(TableName="Music")["TimeToLiveDescription"]
    assert described == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    past, future = str(int(time.time()) - 10), str(int(time.time()) + 3600)
    ddb.put_item(TableName="Music", Item={"Artist": {"S": "old"}, "expires": {"N": past}})
    ddb.put_item(TableName="Music", Item={"Artist": {"S": "new"}, "expires": {"N": future}})
    assert "Item" not in ddb.get_item(TableName="Music", Key={"Artist": {"S": "old"}})
    assert [i["Artist"]["S"] for i in ddb.scan(TableName="Music")["Items"]] == ["new"]
    err = error_of(
        ddb.update_time_to_live,
        TableName="Music",
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"},
    )
    assert err["Message"] == "TimeToLive is already enabled"


def test_tags_limits_endpoints(ddb: Any, server: LocaliamServer) -> None:
    arn = make_table(ddb)["TableDescription"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    ddb.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    assert ddb.describe_limits()["TableMaxReadCapacityUnits"] == 40000
    assert ddb.describe_endpoints()["Endpoints"][0]["Address"] == server.endpoint.split("://")[1]


def test_streams_are_reported(ddb: Any) -> None:
    description = make_table(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})[
        "TableDescription"
    ]
    assert description["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert description["LatestStreamArn"].startswith(description["TableArn"] + "/stream/")


def test_local_secondary_indexes(ddb: Any) -> None:
    lsi = [
        {
            "IndexName": "ByYear",
            "KeySchema": [
                {"AttributeName": "Artist", "KeyType": "HASH"},
                {"AttributeName": "Year", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["Label"]},
        }
    ]
    year = [{"AttributeName": "Year", "AttributeType": "N"}]
    err = error_of(make_table, ddb, "NoRange", range_key=None, more_definitions=year, LocalSecondaryIndexes=lsi)
    assert err["Message"] == (
        "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required "
        "when specifying a LocalSecondaryIndex"
    )
    make_table(ddb, more_definitions=year, LocalSecondaryIndexes=lsi)
    for title, when in (("b", "1999"), ("a", "2005"), ("c", "1980")):
        ddb.put_item(
            TableName="Music",
            Item={
                "Artist": {"S": "x"},
                "SongTitle": {"S": title},
                "Year": {"N": when},
                "Label": {"S": "L"},
                "Secret": {"S": "s"},
            },
        )
    found = ddb.query(
        TableName="Music",
        IndexName="ByYear",
        KeyConditionExpression="Artist = :a AND #y > :y",
        ExpressionAttributeNames={"#y": "Year"},
        ExpressionAttributeValues={":a": {"S": "x"}, ":y": {"N": "1985"}},
    )
    assert [i["SongTitle"]["S"] for i in found["Items"]] == ["b", "a"]
    assert set(found["Items"][0]) == {"Artist", "SongTitle", "Year", "Label"}
