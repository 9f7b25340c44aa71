"""Durability of DynamoDB: ``localiam serve`` killed with SIGKILL while clients write items,
then started again on the same data directory.

Item writes of concurrent clients share SQLite commits (group commit): a writer finished while
others wait hands the open transaction on, and nobody is answered before the commit that holds
their write. So, as for every other write (``test_sigkill.py``):

- every acknowledged PutItem is there, whole; nothing is there that was never sent, nor
  anything unacknowledged but the requests in flight;
- a counter every client increments (``UpdateItem ADD``) counts every acknowledged increment
  and at most the in-flight ones more;
- a ``TransactWriteItems`` of two items left both or neither;
- IAM writes made meanwhile (which end a shared batch) are kept too.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from durability_helpers import kill_under_load

boto3 = pytest.importorskip("boto3")
from botocore.config import Config  # noqa: E402

THREADS = 6
LOAD_SECONDS = (2.0, 3.5)
MIN_ACKED = 60
TABLE = "Durable"


def _client(service: str, endpoint: str, creds: dict[str, str]) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10),
    )


@dataclass
class Ledger:
    sent: list[tuple[str, str]] = field(default_factory=list)
    acked: list[tuple[str, str]] = field(default_factory=list)


def _key(pk: str, sk: str = "item") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _steps(n: int, i: int) -> list[tuple[str, str, str, dict[str, Any]]]:
    """One round of a client: (kind, name, method, arguments)."""
    name = f"t{n}x{i}"
    item = {**_key(name), "thread": {"N": str(n)}, "step": {"N": str(i)}, "body": {"S": name * 20}}
    pair = [
        {"Put": {"TableName": TABLE, "Item": {**_key(name, side), "of": {"S": name}}}} for side in ("left", "right")
    ]
    return [
        (
            "put",
            name,
            "put_item",
            {"TableName": TABLE, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"},
        ),
        (
            "count",
            name,
            "update_item",
            {
                "TableName": TABLE,
                "Key": _key("counter"),
                "UpdateExpression": "ADD n :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            },
        ),
        ("pair", name, "transact_write_items", {"TransactItems": pair}),
    ]


def _drive(endpoint: str, creds: dict[str, str], n: int, ledger: Ledger, stop: threading.Event) -> None:
    ddb = _client("dynamodb", endpoint, creds)
    i = 0
    while not stop.is_set():
        for kind, name, method, kwargs in _steps(n, i):
            ledger.sent.append((kind, name))
            try:
                getattr(ddb, method)(**kwargs)
            except Exception:
                return  # the server is gone: this request may or may not have committed
            ledger.acked.append((kind, name))
        i += 1


def _drive_iam(endpoint: str, creds: dict[str, str], ledger: Ledger, stop: threading.Event) -> None:
    iam = _client("iam", endpoint, creds)
    i = 0
    while not stop.is_set():
        name = f"durable{i}"
        ledger.sent.append(("user", name))
        try:
            iam.create_user(UserName=name)
        except Exception:
            return
        ledger.acked.append(("user", name))
        i += 1


def test_sigkill_while_items_are_written_keeps_every_acknowledged_item(served, tmp_path: Path) -> None:
    started = time.monotonic()
    first = served()
    creds = json.loads((tmp_path / "data" / "root-credentials.json").read_text())
    ddb = _client("dynamodb", first.endpoint, creds)
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    ledgers = [Ledger() for _ in range(THREADS)]
    iam_ledger = Ledger()
    stop = threading.Event()
    threads = [
        threading.Thread(target=_drive, args=(first.endpoint, creds, n, ledgers[n], stop), daemon=True)
        for n in range(THREADS)
    ]
    threads.append(threading.Thread(target=_drive_iam, args=(first.endpoint, creds, iam_ledger, stop), daemon=True))
    kill_under_load(
        first,
        threads,
        stop,
        lambda: sum(len(x.acked) for x in ledgers),
        window=LOAD_SECONDS,
        min_acked=MIN_ACKED,
        started=started,
        data_dir=tmp_path / "data",
    )

    second = served()
    ddb = _client("dynamodb", second.endpoint, creds)
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for page in ddb.get_paginator("scan").paginate(TableName=TABLE, ConsistentRead=True):
        for item in page["Items"]:
            items[(item["pk"]["S"], item["sk"]["S"])] = item

    acked = {op for ledger in ledgers for op in ledger.acked}
    sent = {op for ledger in ledgers for op in ledger.sent}
    in_flight = {ledger.sent[-1] for ledger in ledgers if ledger.sent and ledger.sent[-1] not in ledger.acked}
    assert len(acked) >= MIN_ACKED

    # 1. Every acknowledged put is there, whole; no item that was never sent; nothing
    #    unacknowledged but the requests in flight.
    puts = {pk for (pk, sk) in items if sk == "item" and pk != "counter"}
    acked_puts = {name for kind, name in acked if kind == "put"}
    assert not acked_puts - puts, f"acknowledged items lost: {sorted(acked_puts - puts)[:10]}"
    assert puts <= {name for kind, name in sent if kind == "put"}
    assert puts - acked_puts <= {name for kind, name in in_flight if kind == "put"}
    for name in puts:
        n, i = name[1:].split("x")
        item = items[(name, "item")]
        assert (item["thread"]["N"], item["step"]["N"], item["body"]["S"]) == (n, i, name * 20)

    # 2. The counter counts every acknowledged increment, and at most those in flight more.
    counted = int(items[("counter", "item")]["n"]["N"]) if ("counter", "item") in items else 0
    acked_counts = sum(1 for kind, _ in acked if kind == "count")
    flying_counts = sum(1 for kind, _ in in_flight if kind == "count")
    assert acked_counts <= counted <= acked_counts + flying_counts

    # 3. Each transaction left both of its items or neither.
    for name in {name for kind, name in sent if kind == "pair"}:
        sides = {side for side in ("left", "right") if (name, side) in items}
        assert sides in (set(), {"left", "right"}), f"transaction {name} half there: {sides}"
        if ("pair", name) in acked:
            assert sides == {"left", "right"}, f"acknowledged transaction {name} lost"

    # 4. IAM writes made meanwhile are kept.
    iam = _client("iam", second.endpoint, creds)
    users = {u["UserName"] for page in iam.get_paginator("list_users").paginate() for u in page["Users"]}
    assert {name for _, name in iam_ledger.acked} <= users

    assert time.monotonic() - started < 40, "the durability test should stay under 40 s"
