"""Durability: ``localiam serve`` killed with SIGKILL under write load and started again on the
same data directory keeps every acknowledged write, and nothing half-done or never sent.

The real CLI runs as a subprocess. Four client threads drive IAM writes with boto3, each
request one transaction that writes several rows (a user and its tags; a policy and its first
version; a new default version; an inline policy; an attachment; a group membership). Each
request answered 200 is recorded as acknowledged. The server is killed mid-load, restarted,
and checked through the API:

- every acknowledged write is there, exactly as sent;
- every entity there was sent by a client, and is whole (a user has all the tags of its
  CreateUser, a policy's default version exists and holds the document sent with it);
- a write that was not acknowledged is there only if it was in flight when the server died
  (the last request of its thread).
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

THREADS = 4
LOAD_SECONDS = (2.5, 4.0)  # the kill comes at a random moment in this window
MIN_ACKED = 40


def _policy(tag: str) -> str:
    statement = {"Sid": tag, "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _client(endpoint: str, creds: dict[str, str]) -> Any:
    return boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10),
    )


@dataclass
class Ledger:
    """What one client thread sent, and which of it was acknowledged."""

    sent: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    acked: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)


def _steps(n: int, i: int, account: str) -> list[tuple[str, tuple[str, ...], str, dict[str, Any]]]:
    """One round of a client thread: (kind, names, IAM method, arguments)."""
    user, pol, group = f"u{n}x{i}", f"p{n}x{i}", f"g{n}x{i}"
    arn = f"arn:aws:iam::{account}:policy/{pol}"
    tags = [{"Key": "thread", "Value": str(n)}, {"Key": "step", "Value": str(i)}]
    return [
        ("user", (user,), "create_user", {"UserName": user, "Tags": tags}),
        ("inline", (user,), "put_user_policy", {"UserName": user, "PolicyName": "in", "PolicyDocument": _policy(user)}),
        ("policy", (pol,), "create_policy", {"PolicyName": pol, "PolicyDocument": _policy(pol), "Tags": tags}),
        ("attach", (user, pol), "attach_user_policy", {"UserName": user, "PolicyArn": arn}),
        (
            "version",
            (pol,),
            "create_policy_version",
            {"PolicyArn": arn, "PolicyDocument": _policy(pol + "v2"), "SetAsDefault": True},
        ),
        ("group", (group,), "create_group", {"GroupName": group}),
        ("member", (group, user), "add_user_to_group", {"GroupName": group, "UserName": user}),
    ]


def _drive(endpoint: str, creds: dict[str, str], n: int, ledger: Ledger, stop: threading.Event) -> None:
    iam = _client(endpoint, creds)
    i = 0
    while not stop.is_set():
        for kind, names, method, kwargs in _steps(n, i, creds["AccountId"]):
            ledger.sent.append((kind, names))
            try:
                getattr(iam, method)(**kwargs)
            except Exception:
                return  # the server is gone: this request may or may not have committed
            ledger.acked.append((kind, names))
        i += 1


def _state(endpoint: str, creds: dict[str, str]) -> dict[tuple[str, tuple[str, ...]], Any]:
    """Everything the restarted server holds, keyed like the ledgers."""
    iam = _client(endpoint, creds)
    found: dict[tuple[str, tuple[str, ...]], Any] = {}
    for page in iam.get_paginator("list_users").paginate():
        for u in page["Users"]:
            name = u["UserName"]
            tags = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName=name)["Tags"]}
            found[("user", (name,))] = tags
            for p in iam.list_user_policies(UserName=name)["PolicyNames"]:
                doc = iam.get_user_policy(UserName=name, PolicyName=p)["PolicyDocument"]
                found[("inline", (name,))] = doc
            for a in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]:
                found[("attach", (name, a["PolicyName"]))] = a["PolicyArn"]
    for page in iam.get_paginator("list_policies").paginate(Scope="Local"):
        for p in page["Policies"]:
            versions = iam.list_policy_versions(PolicyArn=p["Arn"])["Versions"]
            default = iam.get_policy_version(PolicyArn=p["Arn"], VersionId=p["DefaultVersionId"])["PolicyVersion"]
            found[("policy", (p["PolicyName"],))] = (p, versions, default)
            if len(versions) > 1:
                found[("version", (p["PolicyName"],))] = default
    for page in iam.get_paginator("list_groups").paginate():
        for g in page["Groups"]:
            found[("group", (g["GroupName"],))] = g
            for u in iam.get_group(GroupName=g["GroupName"])["Users"]:
                found[("member", (g["GroupName"], u["UserName"]))] = u
    return found


def _doc(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def test_sigkill_under_write_load_keeps_acknowledged_writes_and_nothing_else(served, tmp_path: Path) -> None:
    started = time.monotonic()
    first = served()
    creds = json.loads((tmp_path / "data" / "root-credentials.json").read_text())
    ledgers = [Ledger() for _ in range(THREADS)]
    stop = threading.Event()
    threads = [
        threading.Thread(target=_drive, args=(first.endpoint, creds, n, ledgers[n], stop), daemon=True)
        for n in range(THREADS)
    ]
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
    found = _state(second.endpoint, creds)

    acked = {op for ledger in ledgers for op in ledger.acked}
    sent = {op for ledger in ledgers for op in ledger.sent}
    in_flight = {ledger.sent[-1] for ledger in ledgers if ledger.sent and ledger.sent[-1] not in ledger.acked}
    assert len(acked) >= MIN_ACKED

    # 1. Every acknowledged write is there, as sent.
    missing = sorted(acked - set(found))
    assert not missing, f"acknowledged writes lost: {missing[:10]}"
    for kind, names in acked:
        value = found[(kind, names)]
        if kind == "user":
            n, i = names[0][1:].split("x")
            assert value == {"thread": n, "step": i}
        elif kind == "inline":
            assert _doc(value) == json.loads(_policy(names[0]))
        elif kind == "attach":
            assert value.endswith(f":policy/{names[1]}")

    # 2. Nothing that was never sent, and nothing unacknowledged but the requests in flight.
    ours = {op for op in found if op[0] != "user" or op[1][0].startswith("u")}
    assert ours == set(found), f"entities nobody created: {sorted(set(found) - ours)}"
    unsent = sorted(set(found) - sent)
    assert not unsent, f"entities that were never sent: {unsent[:10]}"
    extra = set(found) - acked
    assert extra <= in_flight, f"unacknowledged writes other than those in flight: {sorted(extra - in_flight)}"

    # 3. Nothing half-done: each request's rows are all there or none is.
    for (kind, names), value in found.items():
        if kind == "user":
            n, i = names[0][1:].split("x")
            assert value == {"thread": n, "step": i}, f"user {names[0]} without all its tags: {value}"
        elif kind == "policy":
            policy, versions, default = value
            ids = {v["VersionId"] for v in versions}
            assert policy["DefaultVersionId"] in ids and default["IsDefaultVersion"]
            expected = names[0] + ("v2" if len(versions) > 1 else "")
            assert _doc(default["Document"]) == json.loads(_policy(expected)), f"policy {names[0]}: wrong default"
            assert policy["AttachmentCount"] == sum(1 for k, v in found if k == "attach" and v[1] == names[0])
        elif kind == "member":
            assert ("user", (names[1],)) in found

    assert time.monotonic() - started < 40, "the durability test should stay under 40 s"
