"""DynamoDB items through boto3's low-level client (``API_PutItem``, ``API_GetItem``,
``API_UpdateItem``, ``API_DeleteItem``, ``API_Query``, ``API_Scan``, ``API_BatchGetItem``,
``API_BatchWriteItem``, ``API_TransactWriteItems``, ``API_TransactGetItems``)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from e2e_helpers import error_of

from localiam.testing import LocaliamServer


@pytest.fixture
def ddb(server: LocaliamServer) -> Any:
    client = server.client("dynamodb")
    client.create_table(
        TableName="Items",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "kind", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "ByKind",
                "KeySchema": [
                    {"AttributeName": "kind", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


def item(pk: str, sk: int | str, **more: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"pk": {"S": pk}, "sk": {"N": str(sk)}}
    out.update(more)
    return out


def test_put_get_update_delete(ddb: Any) -> None:
    ddb.put_item(TableName="Items", Item=item("a", 1, n={"N": "1.50"}, tags={"SS": ["x"]}, raw={"B": b"\x00\xff"}))
    got = ddb.get_item(TableName="Items", Key=item("a", 1), ConsistentRead=True)["Item"]
    assert got["n"] == {"N": "1.5"} and got["raw"] == {"B": b"\x00\xff"}
    projected = ddb.get_item(
        TableName="Items", Key=item("a", 1), ProjectionExpression="#n, tags", ExpressionAttributeNames={"#n": "n"}
    )["Item"]
    assert set(projected) == {"n", "tags"}
    answer = ddb.update_item(
        TableName="Items",
        Key=item("a", 1),
        UpdateExpression="SET n = n + :d, info = :m ADD tags :t REMOVE #r",
        ExpressionAttributeValues={
            ":d": {"N": "0.25"},
            ":m": {"M": {"deep": {"L": [{"NULL": True}]}}},
            ":t": {"SS": ["y"]},
        },
        ExpressionAttributeNames={"#r": "raw"},
        ReturnValues="UPDATED_NEW",
    )
    assert answer["Attributes"]["n"] == {"N": "1.75"}
    assert sorted(answer["Attributes"]["tags"]["SS"]) == ["x", "y"]
    old = ddb.delete_item(TableName="Items", Key=item("a", 1), ReturnValues="ALL_OLD")["Attributes"]
    assert old["info"] == {"M": {"deep": {"L": [{"NULL": True}]}}}
    assert "Item" not in ddb.get_item(TableName="Items", Key=item("a", 1))


def test_conditions_and_return_values(ddb: Any) -> None:
    ddb.put_item(TableName="Items", Item=item("a", 1, v={"N": "1"}), ConditionExpression="attribute_not_exists(pk)")
    with pytest.raises(ClientError) as caught:
        ddb.put_item(
            TableName="Items",
            Item=item("a", 1, v={"N": "2"}),
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    assert caught.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert caught.value.response["Error"]["Message"] == "The conditional request failed"
    assert caught.value.response["Item"]["v"] == {"N": "1"}
    err = error_of(
        ddb.update_item,
        TableName="Items",
        Key=item("a", 1),
        UpdateExpression="SET v = :v",
        ConditionExpression="v > :v",
        ExpressionAttributeValues={":v": {"N": "5"}},
    )
    assert err["Code"] == "ConditionalCheckFailedException"
    out = ddb.update_item(
        TableName="Items",
        Key=item("a", 1),
        UpdateExpression="SET v = :v",
        ConditionExpression="v < :v",
        ExpressionAttributeValues={":v": {"N": "5"}},
        ReturnValues="ALL_OLD",
    )
    assert out["Attributes"]["v"] == {"N": "1"}
    err = error_of(
        ddb.delete_item,
        TableName="Items",
        Key=item("a", 1),
        ConditionExpression="v IN (:a, :b)",
        ExpressionAttributeValues={":a": {"N": "1"}, ":b": {"N": "2"}},
    )
    assert err["Code"] == "ConditionalCheckFailedException"


def test_validation_messages(ddb: Any) -> None:
    err = error_of(ddb.get_item, TableName="Items", Key={"pk": {"S": "a"}})
    assert (err["Code"], err["Message"]) == (
        "ValidationException",
        "The provided key element does not match the schema",
    )
    err = error_of(ddb.put_item, TableName="Items", Item={"pk": {"S": "a"}, "sk": {"S": "1"}})
    assert err["Message"] == "One or more parameter values were invalid: Type mismatch for key sk expected: N actual: S"
    err = error_of(
        ddb.update_item,
        TableName="Items",
        Key=item("a", 1),
        UpdateExpression="SET pk = :v",
        ExpressionAttributeValues={":v": {"S": "b"}},
    )
    assert err["Message"] == (
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"
    )
    err = error_of(
        ddb.put_item,
        TableName="Items",
        Item=item("a", 1),
        ConditionExpression="size = :v",
        ExpressionAttributeValues={":v": {"N": "1"}},
    )
    assert err["Message"] == "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: size"
    err = error_of(ddb.put_item, TableName="Items", Item=item("a", 1, big={"S": "x" * 410_000}))
    assert err["Message"] == "Item size has exceeded the maximum allowed size"
    err = error_of(ddb.put_item, TableName="Items", Item=item("a", 1, s={"SS": []}))
    assert err["Message"] == "One or more parameter values were invalid: An string set  may not be empty"
    err = error_of(ddb.put_item, TableName="Items", Item=item("a", 1, n={"N": "1" * 39}))
    assert err["Message"] == "Attempting to store more than 38 significant digits in a Number"
    err = error_of(ddb.get_item, TableName="Nope", Key=item("a", 1))
    assert err["Code"] == "ResourceNotFoundException"


def test_numbers_keep_38_digits(ddb: Any) -> None:
    big = "1234567890123456789012345678901234567.8"
    ddb.put_item(TableName="Items", Item=item("n", 1, v={"N": big}))
    out = ddb.update_item(
        TableName="Items",
        Key=item("n", 1),
        UpdateExpression="ADD v :tenth",
        ExpressionAttributeValues={":tenth": {"N": "0.1"}},
        ReturnValues="UPDATED_NEW",
    )
    assert out["Attributes"]["v"] == {"N": "1234567890123456789012345678901234567.9"}


def test_query_pages_through_thousands_of_items(ddb: Any) -> None:
    for start in range(0, 2500, 25):
        ddb.batch_write_item(
            RequestItems={
                "Items": [
                    {"PutRequest": {"Item": item("p", i, kind={"S": "even" if i % 2 else "odd"})}}
                    for i in range(start, start + 25)
                ]
            }
        )
    ddb.put_item(TableName="Items", Item=item("other", 5))
    pages = list(
        ddb.get_paginator("query").paginate(
            TableName="Items",
            KeyConditionExpression="pk = :p AND sk >= :lo",
            ExpressionAttributeValues={":p": {"S": "p"}, ":lo": {"N": "-3"}},
            PaginationConfig={"PageSize": 300},
        )
    )
    keys = [int(i["sk"]["N"]) for page in pages for i in page["Items"]]
    assert keys == list(range(2500))
    assert len(pages) == 9
    backwards = ddb.query(
        TableName="Items",
        KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"N": "10"}, ":b": {"N": "20"}},
        ScanIndexForward=False,
        Limit=5,
    )
    assert [int(i["sk"]["N"]) for i in backwards["Items"]] == [20, 19, 18, 17, 16]
    assert backwards["LastEvaluatedKey"] == item("p", 16)
    count = ddb.query(
        TableName="Items",
        KeyConditionExpression="pk = :p",
        FilterExpression="kind = :k",
        ExpressionAttributeValues={":p": {"S": "p"}, ":k": {"S": "odd"}},
        Select="COUNT",
    )
    assert (count["Count"], count["ScannedCount"]) == (1250, 2500)
    on_index = ddb.query(
        TableName="Items",
        IndexName="ByKind",
        KeyConditionExpression="kind = :k AND sk < :s",
        ExpressionAttributeValues={":k": {"S": "even"}, ":s": {"N": "10"}},
    )
    assert [i["sk"]["N"] for i in on_index["Items"]] == ["1", "3", "5", "7", "9"]
    assert set(on_index["Items"][0]) == {"pk", "sk", "kind"}
    scanned = [
        i
        for segment in range(3)
        for page in ddb.get_paginator("scan").paginate(TableName="Items", Segment=segment, TotalSegments=3)
        for i in page["Items"]
    ]
    assert len(scanned) == 2501


def test_one_megabyte_pages(ddb: Any) -> None:
    blob = "x" * 100_000
    for i in range(25):
        ddb.put_item(TableName="Items", Item=item("big", i, data={"S": blob}))
    first = ddb.query(
        TableName="Items", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "big"}}
    )
    assert len(first["Items"]) == 11 and first["LastEvaluatedKey"] == item("big", 10)


def test_sort_keys_order_as_numbers_and_begins_with(server: LocaliamServer, ddb: Any) -> None:
    for n in ["-10", "-1.5", "0", "0.5", "2", "10", "100"]:
        ddb.put_item(TableName="Items", Item=item("num", n))
    answer = ddb.query(
        TableName="Items", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "num"}}
    )
    assert [i["sk"]["N"] for i in answer["Items"]] == ["-10", "-1.5", "0", "0.5", "2", "10", "100"]
    ddb.create_table(
        TableName="Sorted",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for sk in ["order#2", "order#10", "invoice#1", "order#1", "orders", "Z"]:
        ddb.put_item(TableName="Sorted", Item={"pk": {"S": "c"}, "sk": {"S": sk}})
    answer = ddb.query(
        TableName="Sorted",
        KeyConditionExpression="pk = :p AND begins_with(sk, :o)",
        ExpressionAttributeValues={":p": {"S": "c"}, ":o": {"S": "order#"}},
    )
    assert [i["sk"]["S"] for i in answer["Items"]] == ["order#1", "order#10", "order#2"]
    err = error_of(
        ddb.query, TableName="Sorted", KeyConditionExpression="sk = :o", ExpressionAttributeValues={":o": {"S": "x"}}
    )
    assert err["Message"] == "Query condition missed key schema element: pk"


def test_batches(ddb: Any) -> None:
    ddb.batch_write_item(RequestItems={"Items": [{"PutRequest": {"Item": item("b", i)}} for i in range(10)]})
    got = ddb.batch_get_item(RequestItems={"Items": {"Keys": [item("b", i) for i in (1, 3, 99)]}})
    assert sorted(int(i["sk"]["N"]) for i in got["Responses"]["Items"]) == [1, 3]
    assert got["UnprocessedKeys"] == {}
    done = ddb.batch_write_item(RequestItems={"Items": [{"DeleteRequest": {"Key": item("b", i)}} for i in range(5)]})
    assert done["UnprocessedItems"] == {}
    left = ddb.query(TableName="Items", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "b"}})
    assert left["Count"] == 5
    err = error_of(ddb.batch_write_item, RequestItems={"Items": [{"PutRequest": {"Item": item("b", 1)}}] * 2})
    assert err["Message"] == "Provided list of item keys contains duplicates"


def test_transactions_are_all_or_nothing(ddb: Any) -> None:
    ddb.put_item(TableName="Items", Item=item("acct", 1, balance={"N": "100"}))
    ddb.put_item(TableName="Items", Item=item("acct", 2, balance={"N": "0"}))
    move = [
        {
            "Update": {
                "TableName": "Items",
                "Key": item("acct", 1),
                "UpdateExpression": "SET balance = balance - :m",
                "ConditionExpression": "balance >= :m",
                "ExpressionAttributeValues": {":m": {"N": "60"}},
            }
        },
        {
            "Update": {
                "TableName": "Items",
                "Key": item("acct", 2),
                "UpdateExpression": "SET balance = balance + :m",
                "ExpressionAttributeValues": {":m": {"N": "60"}},
            }
        },
        {"Put": {"TableName": "Items", "Item": item("log", 1)}},
    ]
    ddb.transact_write_items(TransactItems=move)
    move[2] = {"Put": {"TableName": "Items", "Item": item("log", 2)}}
    with pytest.raises(ClientError) as caught:
        ddb.transact_write_items(TransactItems=move)
    error = caught.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    assert error["Error"]["Message"] == (
        "Transaction cancelled, please refer cancellation reasons for specific reasons "
        "[ConditionalCheckFailed, None, None]"
    )
    assert [r["Code"] for r in error["CancellationReasons"]] == ["ConditionalCheckFailed", "None", "None"]
    got = ddb.transact_get_items(
        TransactItems=[{"Get": {"TableName": "Items", "Key": item("acct", k)}} for k in (1, 2)]
        + [{"Get": {"TableName": "Items", "Key": item("log", 2)}}]
    )["Responses"]
    assert [r.get("Item", {}).get("balance") for r in got] == [{"N": "40"}, {"N": "60"}, None]
    err = error_of(
        ddb.transact_write_items,
        TransactItems=[
            {"Put": {"TableName": "Items", "Item": item("x", 1)}},
            {"Delete": {"TableName": "Items", "Key": item("x", 1)}},
        ],
    )
    assert err["Message"] == "Transaction request cannot include multiple operations on one item"
    check = [
        {
            "ConditionCheck": {
                "TableName": "Items",
                "Key": item("acct", 1),
                "ConditionExpression": "balance > :z",
                "ExpressionAttributeValues": {":z": {"N": "1000"}},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        },
        {"Delete": {"TableName": "Items", "Key": item("acct", 2)}},
    ]
    with pytest.raises(ClientError) as caught:
        ddb.transact_write_items(TransactItems=check)
    assert caught.value.response["CancellationReasons"][0]["Item"]["balance"] == {"N": "40"}
    assert "Item" in ddb.get_item(TableName="Items", Key=item("acct", 2))


def test_legacy_parameters(ddb: Any) -> None:
    ddb.put_item(TableName="Items", Item=item("l", 1, v={"N": "1"}), Expected={"pk": {"Exists": False}})
    err = error_of(ddb.put_item, TableName="Items", Item=item("l", 1), Expected={"pk": {"Exists": False}})
    assert err["Code"] == "ConditionalCheckFailedException"
    ddb.update_item(
        TableName="Items",
        Key=item("l", 1),
        AttributeUpdates={"v": {"Action": "ADD", "Value": {"N": "2"}}},
        Expected={"v": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}},
    )
    got = ddb.get_item(TableName="Items", Key=item("l", 1), AttributesToGet=["v"])["Item"]
    assert got == {"v": {"N": "3"}}
    found = ddb.query(
        TableName="Items",
        KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "l"}]}},
        QueryFilter={"v": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "2"}]}},
    )
    assert found["Count"] == 1
    err = error_of(ddb.get_item, TableName="Items", Key=item("l", 1), AttributesToGet=["v"], ProjectionExpression="v")
    assert err["Message"].startswith("Can not use both expression and non-expression parameters in the same request")


def test_updated_values_name_nested_paths(ddb: Any) -> None:
    ddb.put_item(TableName="Items", Item=item("u", 1, doc={"M": {"a": {"N": "1"}, "b": {"N": "2"}}}, gone={"S": "x"}))
    answer = ddb.update_item(
        TableName="Items",
        Key=item("u", 1),
        UpdateExpression="SET doc.a = :v REMOVE gone",
        ExpressionAttributeValues={":v": {"N": "5"}},
        ReturnValues="UPDATED_OLD",
    )
    assert answer["Attributes"] == {"doc": {"M": {"a": {"N": "1"}}}, "gone": {"S": "x"}}
    answer = ddb.update_item(
        TableName="Items",
        Key=item("u", 1),
        UpdateExpression="SET doc.b = doc.b + :v",
        ExpressionAttributeValues={":v": {"N": "5"}},
        ReturnValues="UPDATED_NEW",
    )
    assert answer["Attributes"] == {"doc": {"M": {"b": {"N": "7"}}}}
