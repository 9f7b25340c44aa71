"""DynamoDB through clients we did not write: boto3's ``dynamodb`` resource with its condition
builders (``boto3.dynamodb.conditions``) and PynamoDB."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from localiam.testing import LocaliamServer


def resource(server: LocaliamServer) -> Any:
    import boto3

    return boto3.resource(
        "dynamodb",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=server.root.access_key_id,
        aws_secret_access_key=server.root.secret_access_key,
    )


def test_the_boto3_resource_and_its_condition_builders(server: LocaliamServer) -> None:
    db = resource(server)
    table = db.create_table(
        TableName="Orders",
        KeySchema=[{"AttributeName": "customer", "KeyType": "HASH"}, {"AttributeName": "order", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "customer", "AttributeType": "S"},
            {"AttributeName": "order", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    table.wait_until_exists()
    with table.batch_writer() as batch:
        for n in range(120):
            batch.put_item(
                Item={
                    "customer": "c1",
                    "order": n,
                    "amount": Decimal(n) / 4,
                    "status": "open" if n % 3 else "shipped",
                    "tags": {"a", "b"} if n % 2 else {"a"},
                    "meta": {"lines": [n, "x"]},
                }
            )
    got = table.get_item(Key={"customer": "c1", "order": 7})["Item"]
    assert got["amount"] == Decimal("1.75") and got["tags"] == {"a", "b"} and got["meta"] == {"lines": [7, "x"]}
    answer = table.query(
        KeyConditionExpression=Key("customer").eq("c1") & Key("order").between(10, 30),
        FilterExpression=Attr("status").eq("shipped") & Attr("tags").contains("a") & Attr("amount").gte(Decimal("3")),
    )
    assert [int(i["order"]) for i in answer["Items"]] == [12, 15, 18, 21, 24, 27, 30]
    answer = table.scan(FilterExpression=Attr("meta.lines[0]").lt(3) | Attr("missing").exists())
    assert sorted(int(i["order"]) for i in answer["Items"]) == [0, 1, 2]
    table.update_item(
        Key={"customer": "c1", "order": 7},
        UpdateExpression="SET #s = :s, amount = amount + :d REMOVE meta",
        ConditionExpression=Attr("status").ne("shipped") & Attr("amount").between(Decimal(1), Decimal(2)),
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": "paid", ":d": Decimal("0.05")},
    )
    got = table.get_item(Key={"customer": "c1", "order": 7})["Item"]
    assert got["amount"] == Decimal("1.8") and got["status"] == "paid" and "meta" not in got
    with pytest.raises(ClientError) as caught:
        table.put_item(Item={"customer": "c1", "order": 7}, ConditionExpression=Attr("customer").not_exists())
    assert caught.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    begins = table.query(
        KeyConditionExpression=Key("customer").eq("c1"), FilterExpression=Attr("status").begins_with("pa")
    )
    assert [int(i["order"]) for i in begins["Items"]] == [7]
    typed = table.query(
        KeyConditionExpression=Key("customer").eq("c1") & Key("order").lt(3),
        FilterExpression=Attr("tags").attribute_type("SS") & Attr("tags").size().eq(1),
    )
    assert [int(i["order"]) for i in typed["Items"]] == [0, 2]
    inside = table.scan(FilterExpression=Attr("order").is_in([1, 2, 300]))
    assert sorted(int(i["order"]) for i in inside["Items"]) == [1, 2]


def test_pynamodb(server: LocaliamServer) -> None:
    from pynamodb.attributes import (
        BinaryAttribute,
        BooleanAttribute,
        ListAttribute,
        MapAttribute,
        NumberAttribute,
        NumberSetAttribute,
        UnicodeAttribute,
    )
    from pynamodb.exceptions import PutError
    from pynamodb.models import Model

    class Thread(Model):
        class Meta:
            table_name = "Thread"
            host = server.endpoint
            region = "us-east-1"
            aws_access_key_id = server.root.access_key_id
            aws_secret_access_key = server.root.secret_access_key
            billing_mode = "PAY_PER_REQUEST"

        forum = UnicodeAttribute(hash_key=True)
        subject = UnicodeAttribute(range_key=True)
        views = NumberAttribute(default=0)
        answered = BooleanAttribute(default=False)
        scores = NumberSetAttribute(null=True)
        body = BinaryAttribute(null=True, legacy_encoding=False)
        replies = ListAttribute(null=True)  # type: ignore[var-annotated]
        extra = MapAttribute(null=True)  # type: ignore[var-annotated]

    Thread.create_table(wait=True)
    assert Thread.exists()
    for n in range(30):
        Thread(
            forum="py",
            subject=f"s{n:02d}",
            views=n,
            scores={1, n + 2},
            body=b"\x00\x01",
            replies=["a", n],
            extra={"k": "v"},
        ).save()
    thread = Thread.get("py", "s05")
    assert thread.views == 5 and thread.scores == {1, 7} and thread.body == b"\x00\x01"
    assert thread.replies == ["a", 5] and thread.extra.as_dict() == {"k": "v"}
    thread.update(actions=[Thread.views.add(10), Thread.answered.set(True), Thread.scores.delete({1})])
    thread.refresh()
    assert thread.views == 15 and thread.answered is True and thread.scores == {7}
    page = list(Thread.query("py", Thread.subject.startswith("s1"), filter_condition=Thread.views >= 12))
    assert [t.subject for t in page] == ["s12", "s13", "s14", "s15", "s16", "s17", "s18", "s19"]
    assert [t.subject for t in Thread.query("py", scan_index_forward=False, limit=3)] == ["s29", "s28", "s27"]
    assert Thread.count("py", Thread.subject.between("s10", "s19")) == 10
    assert len(list(Thread.scan(Thread.answered == True))) == 1  # noqa: E712
    with pytest.raises(PutError):
        Thread(forum="py", subject="s01").save(condition=Thread.forum.does_not_exist())
    thread.delete(condition=Thread.views > 10)
    assert [t.subject for t in Thread.batch_get([("py", "s05"), ("py", "s06")])] == ["s06"]


def test_concurrent_conditional_writes_on_one_item_never_both_succeed(server: LocaliamServer) -> None:
    client = server.client("dynamodb")
    client.create_table(
        TableName="Locks",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    wins: list[int] = []
    barrier = threading.Barrier(8)

    def claim(who: int) -> None:
        mine = server.client("dynamodb")
        barrier.wait()
        try:
            mine.put_item(
                TableName="Locks",
                Item={"k": {"S": "lock"}, "owner": {"N": str(who)}},
                ConditionExpression="attribute_not_exists(k)",
            )
            wins.append(who)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ConditionalCheckFailedException"

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    owner = client.get_item(TableName="Locks", Key={"k": {"S": "lock"}})["Item"]["owner"]
    assert owner == {"N": str(wins[0])}
