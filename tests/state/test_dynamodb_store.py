"""DynamoDB's rows on SQLite and PostgreSQL: items written through the endpoint are there after
the store is closed and opened again, keys sort as DynamoDB sorts them in both databases (bytes
compared unsigned: SQLite BLOBs, PostgreSQL ``bytea``), and concurrent conditional writes on one
item never both succeed."""

from __future__ import annotations

import json
import threading
from typing import Any

from botocore.exceptions import ClientError

from localiam.services.dynamodb.values import encode_key
from localiam.state import dynamodb_store
from localiam.state.store import Store
from localiam.testing import run_server

NUMBERS = ["-1e20", "-10", "-9.5", "-1", "-0.001", "0", "0.001", "1", "9.5", "10", "1e20"]


def test_items_survive_a_restart_and_sort_as_dynamodb_sorts(store_url: str) -> None:
    with run_server(store=Store(store_url)) as server:
        ddb = server.client("dynamodb")
        ddb.create_table(
            TableName="Sorted",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        for n in reversed(NUMBERS):
            ddb.put_item(TableName="Sorted", Item={"pk": {"S": "p"}, "sk": {"N": n}, "v": {"B": b"\xff\x00"}})
        answer = ddb.query(
            TableName="Sorted",
            KeyConditionExpression="pk = :p AND sk > :lo",
            ExpressionAttributeValues={":p": {"S": "p"}, ":lo": {"N": "-9.6"}},
        )
        assert [i["sk"]["N"] for i in answer["Items"]][:3] == ["-9.5", "-1", "-0.001"]
        account = server.account_id
    store = Store(store_url)
    try:
        with store.read() as tx:
            table = dynamodb_store.table(tx, account, "us-east-1", "Sorted")
            assert table is not None
            rows = list(dynamodb_store.query(tx, table["uid"], encode_key({"S": "p"})))
        values = [json.loads(text)["sk"]["N"] for _key, text, _size in rows]
        assert values == ["-100000000000000000000", *NUMBERS[1:-1], "100000000000000000000"]
    finally:
        store.close()


def test_concurrent_conditional_puts(store_url: str) -> None:
    with run_server(store=Store(store_url)) as server:
        ddb = server.client("dynamodb")
        ddb.create_table(
            TableName="Locks",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        ddb.put_item(TableName="Locks", Item={"k": {"S": "counter"}, "n": {"N": "0"}})
        outcomes: list[str] = []
        barrier = threading.Barrier(6)

        def work(who: int) -> None:
            mine: Any = server.client("dynamodb")
            barrier.wait()
            for attempt in ("new", "bump"):
                try:
                    if attempt == "new":
                        mine.put_item(
                            TableName="Locks",
                            Item={"k": {"S": "lock"}, "owner": {"N": str(who)}},
                            ConditionExpression="attribute_not_exists(k)",
                        )
                    else:
                        mine.update_item(
                            TableName="Locks",
                            Key={"k": {"S": "counter"}},
                            UpdateExpression="ADD n :one",
                            ExpressionAttributeValues={":one": {"N": "1"}},
                        )
                    outcomes.append(attempt)
                except ClientError as error:
                    outcomes.append(error.response["Error"]["Code"])

        threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert outcomes.count("new") == 1
        assert outcomes.count("ConditionalCheckFailedException") == 5
        assert ddb.get_item(TableName="Locks", Key={"k": {"S": "counter"}})["Item"]["n"] == {"N": "6"}


def _claim(client: Any, key: str, who: int, barrier: threading.Barrier, outcomes: list[str]) -> None:
    barrier.wait()
    try:
        client.put_item(
            TableName="Claims",
            Item={"k": {"S": key}, "owner": {"N": str(who)}},
            ConditionExpression="attribute_not_exists(k)",
        )
        outcomes.append("won")
    except ClientError as error:
        outcomes.append(error.response["Error"]["Code"])


def test_racing_puts_of_new_items_one_wins_each(store_url: str) -> None:
    """Eight conditional puts of one new item at once, ten times over: each time exactly one
    succeeds and the others fail their condition (never a server error), on both databases."""
    with run_server(store=Store(store_url)) as server:
        ddb = server.client("dynamodb")
        ddb.create_table(
            TableName="Claims",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        clients = [server.client("dynamodb") for _ in range(8)]
        for round_ in range(10):
            outcomes: list[str] = []
            barrier = threading.Barrier(len(clients))
            threads = [
                threading.Thread(target=_claim, args=(c, f"claim-{round_}", n, barrier, outcomes))
                for n, c in enumerate(clients)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert sorted(outcomes) == ["ConditionalCheckFailedException"] * 7 + ["won"], outcomes
