"""DynamoDB under load: PutItem, GetItem and Query per second on ``localiam serve`` with full
authorization, ``moto_server`` in the same run.

Run: ``.venv/bin/python bench/dynamodb.py [--duration 10] [--threads 2] [--connections 16] [--no-moto]``.
Needs ``wrk`` and, for the comparison, ``.venv/bin/pip install 'moto[server]'`` (bench only).

Workload: a table ``Bench`` (partition key ``owner`` S, sort key ``n`` N) with 1,000 items of
about 200 bytes in the caller's partition. The caller is an IAM user whose only policy is the
AWS documentation's fine-grained example: the item actions on the table, allowed only when
``ForAllValues:StringEquals {"dynamodb:LeadingKeys": ["${aws:username}"]}``; so every request
is SigV4-verified, resolved to the user and decided by the engine with its condition keys, and
every PutItem is an fsynced SQLite write. ``wrk`` replays one signed request per workload
(PutItem overwrites one item with a condition expression; GetItem reads one item with a
projection; Query reads 10 items of the partition with a key condition and a filter).
moto checks no signature and no policy: its figures are what checking nothing costs.

This is a benchmark: it prints figures and never asserts on them (it stops on any failure).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _stats
from server import (
    REGION,
    Server,
    client,
    run_wrk,
    server_cpu_seconds,
    start_localiam,
    start_moto,
    stop,
    tool_versions,
)

TABLE = "Bench"
OWNER = "bench"
TARGET = "DynamoDB_20120810"


def user_policy(table_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"],
                    "Resource": table_arn,
                    "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:username}"]}},
                }
            ],
        }
    )


def setup(server: Server, items: int) -> tuple[str, str]:
    """The table, its items and the bench user's keys (the root's on moto)."""
    admin = client(server, "dynamodb")
    arn = admin.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "owner", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "owner", "AttributeType": "S"},
            {"AttributeName": "n", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]["TableArn"]
    for start in range(0, items, 25):
        admin.batch_write_item(
            RequestItems={TABLE: [{"PutRequest": {"Item": item(i)}} for i in range(start, min(items, start + 25))]}
        )
    if server.name != "localiam":
        return server.access_key, server.secret_key
    iam = client(server, "iam")
    iam.create_user(UserName=OWNER)
    iam.put_user_policy(UserName=OWNER, PolicyName="own-items", PolicyDocument=user_policy(arn))
    key = iam.create_access_key(UserName=OWNER)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def item(i: int) -> dict[str, Any]:
    return {
        "owner": {"S": OWNER},
        "n": {"N": str(i)},
        "title": {"S": f"item number {i}"},
        "price": {"N": f"{i}.99"},
        "tags": {"SS": ["a", "b", "c"]},
        "body": {"S": "x" * 120},
    }


def requests() -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        "PutItem": (
            "PutItem",
            {
                "TableName": TABLE,
                "Item": item(5000),
                "ConditionExpression": "attribute_not_exists(#o) OR price > :zero",
                "ExpressionAttributeNames": {"#o": "owner"},
                "ExpressionAttributeValues": {":zero": {"N": "0"}},
            },
        ),
        "GetItem": (
            "GetItem",
            {
                "TableName": TABLE,
                "Key": {"owner": {"S": OWNER}, "n": {"N": "500"}},
                "ProjectionExpression": "title, price, tags",
            },
        ),
        "Query (10 items)": (
            "Query",
            {
                "TableName": TABLE,
                "KeyConditionExpression": "#o = :o AND n BETWEEN :lo AND :hi",
                "FilterExpression": "price > :zero",
                "ExpressionAttributeNames": {"#o": "owner"},
                "ExpressionAttributeValues": {":o": {"S": OWNER}, ":lo": {"N": "100"}, ":hi": {"N": "109"},
                                              ":zero": {"N": "0"}},
            },
        ),
    }  # fmt: skip


def signed(endpoint: str, operation: str, body: dict[str, Any], key: str, secret: str) -> dict[str, object]:
    """A DynamoDB JSON request signed with botocore's SigV4 signer, to replay."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    text = json.dumps(body)
    request = AWSRequest(
        method="POST",
        url=endpoint + "/",
        data=text.encode(),
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"{TARGET}.{operation}"},
    )
    SigV4Auth(Credentials(key, secret), "dynamodb", REGION).add_auth(request)
    headers = {k: v for k, v in request.headers.items()}
    headers["Host"] = endpoint.split("://", 1)[1]
    return {"method": "POST", "path": "/", "headers": headers, "body": text}


def check(req: dict[str, object], endpoint: str) -> None:
    import urllib.request

    r = urllib.request.Request(
        endpoint + "/",
        data=str(req["body"]).encode(),
        headers=dict(req["headers"]),
        method="POST",  # type: ignore[call-overload]
    )
    with urllib.request.urlopen(r, timeout=10) as resp:
        resp.read()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=int, default=10, help="seconds of wrk per workload")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--connections", type=int, default=16, help="wrk connections")
    ap.add_argument("--items", type=int, default=1000)
    ap.add_argument("--no-moto", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--only", choices=("PutItem", "GetItem", "Query"), help="one workload")
    args = ap.parse_args(argv)
    wrk_version, moto_version = tool_versions()
    m = _stats.machine()
    print(
        f"machine: {m['nproc']} CPUs ({m['cpu']}), Python {m['python']}, {wrk_version}, moto {moto_version}, "
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s"
    )
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="localiam-bench-ddb-") as tmp:
        workdir = Path(tmp)
        servers = [start_localiam(workdir / "data")]
        try:
            if not args.no_moto:
                moto = start_moto()
                if moto is not None:
                    servers.append(moto)
            for server in servers:
                key, secret = setup(server, args.items)
                for label, (operation, body) in requests().items():
                    if args.only is not None and operation != args.only:
                        continue
                    req = signed(server.endpoint, operation, body, key, secret)
                    check(req, server.endpoint)
                    run_wrk(server.endpoint, req, argparse.Namespace(**{**vars(args), "duration": 2}), workdir)
                    cpu_before = server_cpu_seconds(server.proc.pid)
                    result = run_wrk(server.endpoint, req, args, workdir)
                    result["cpu_s"] = server_cpu_seconds(server.proc.pid) - cpu_before
                    rows.append({"server": server.name, "workload": label, **result})
        finally:
            for server in servers:
                stop(server)
    print()
    print(f"{'server':10} {'workload':18} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'CPU µs/req':>11}")
    for row in rows:
        # The server process's CPU time (user + system, every thread) over the timed run.
        cpu_per_request = 1e6 * row["cpu_s"] / max(1.0, row["rps"] * args.duration)
        print(
            f"{row['server']:10} {row['workload']:18} {row['rps']:9.0f} {row['p50_ms']:8.2f} {row['p99_ms']:8.2f} "
            f"{int(row['errors']):7d} {cpu_per_request:11.0f}"
        )
    by = {(r["server"], r["workload"]): r for r in rows}
    for label in requests():
        if ("moto", label) in by and ("localiam", label) in by:
            ratio = by[("localiam", label)]["rps"] / by[("moto", label)]["rps"]
            print(f"{label}: localiam / moto throughput = {ratio:.1f}x")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": m, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
