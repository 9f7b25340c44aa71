"""The server's caches of access keys, callers and organization chains stay correct: a change
made through the API applies to the next request, and so does one made by another process on
the same database (``localiam accounts create``, a second replica on PostgreSQL)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from localiam.state import schema
from localiam.state.store import Store
from localiam.testing import LocaliamServer, run_server

boto3 = pytest.importorskip("boto3")
from botocore.exceptions import ClientError  # noqa: E402

ALLOW_LIST = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:List*", "Resource": "*"}]}
)
DENY_LIST = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:ListUsers", "Resource": "*"}]}
)


def _code(call: Callable[[], Any]) -> str:
    try:
        call()
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    return "OK"


def _eventually(call: Callable[[], Any], code: str, timeout: float = 3.0) -> str:
    """For another process's writes on PostgreSQL: the notification takes a moment."""
    deadline = time.monotonic() + timeout
    got = _code(call)
    while got != code and time.monotonic() < deadline:
        time.sleep(0.02)
        got = _code(call)
    return got


@pytest.fixture
def file_server(sqlite_url: str) -> Iterator[LocaliamServer]:
    with run_server(Store(sqlite_url)) as server:
        yield server


@pytest.fixture
def any_server(store_url: str) -> Iterator[LocaliamServer]:
    with run_server(Store(store_url)) as server:
        yield server


def _user(server: LocaliamServer, name: str, document: str = ALLOW_LIST) -> tuple[Any, dict[str, str]]:
    iam = server.client("iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="allow", PolicyDocument=document)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return server.client("iam", key["AccessKeyId"], key["SecretAccessKey"]), key


class Statements:
    """Counts the SQL statements a store runs."""

    def __init__(self, store: Store) -> None:
        self.seen: list[str] = []
        event.listen(store.engine, "before_cursor_execute", self._on)
        self.store = store

    def _on(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.seen.append(statement)

    def tables(self) -> set[str]:
        return {t for t in schema.metadata.tables if any(f" {t}" in s or f'"{t}"' in s for s in self.seen)}


def test_warm_requests_resolve_the_caller_without_the_database(file_server: LocaliamServer) -> None:
    sts = file_server.client("sts")
    alice, _ = _user(file_server, "alice")
    sts.get_caller_identity()
    alice.list_users()
    statements = Statements(file_server.store)
    for _ in range(3):
        assert sts.get_caller_identity()["Account"] == file_server.account_id
    assert statements.seen == []
    alice.list_users()
    # The operation reads users; the key, the caller's policies and the organization are cached.
    assert not statements.tables() & {
        "access_keys",
        "inline_policies",
        "attachments",
        "group_members",
        "org_accounts",
        "org_policy_types",
    }


def test_a_key_made_inactive_through_the_api_fails_on_the_next_request(any_server: LocaliamServer) -> None:
    iam = any_server.client("iam")
    alice, key = _user(any_server, "alice")
    alice.list_users()
    iam.update_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert _code(alice.list_users) == "InvalidClientTokenId"
    iam.update_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"], Status="Active")
    assert _code(alice.list_users) == "OK"
    iam.delete_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"])
    assert _code(alice.list_users) == "InvalidClientTokenId"


def test_policy_changes_through_the_api_apply_on_the_next_request(any_server: LocaliamServer) -> None:
    iam = any_server.client("iam")
    bob, _ = _user(any_server, "bob")
    assert _code(bob.list_users) == "OK"
    iam.put_user_policy(UserName="bob", PolicyName="deny", PolicyDocument=DENY_LIST)
    assert _code(bob.list_users) == "AccessDenied"
    iam.delete_user_policy(UserName="bob", PolicyName="deny")
    assert _code(bob.list_users) == "OK"
    # Through a group, and a managed policy's default version.
    iam.delete_user_policy(UserName="bob", PolicyName="allow")
    assert _code(bob.list_users) == "AccessDenied"
    arn = iam.create_policy(PolicyName="lists", PolicyDocument=ALLOW_LIST)["Policy"]["Arn"]
    iam.create_group(GroupName="readers")
    iam.attach_group_policy(GroupName="readers", PolicyArn=arn)
    iam.add_user_to_group(GroupName="readers", UserName="bob")
    assert _code(bob.list_users) == "OK"
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=DENY_LIST, SetAsDefault=True)
    assert _code(bob.list_users) == "AccessDenied"
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    assert _code(bob.list_users) == "OK"
    iam.remove_user_from_group(GroupName="readers", UserName="bob")
    assert _code(bob.list_users) == "AccessDenied"


def test_a_changed_resource_in_a_policy_applies_on_the_next_request(any_server: LocaliamServer) -> None:
    """A new version of a policy that differs only in its Resource element (the same action,
    the same shape of statements), and a bucket policy replaced between two requests: the
    engine keeps per-policy pieces (matchers, groups) for each action, and they belong to the
    policy's version, so the second request follows the change (issue 17)."""
    from botocore.config import Config

    iam = any_server.client("iam")
    config = Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"})
    root_s3 = any_server.client("s3", config=config)
    root_s3.create_bucket(Bucket="pieces")
    for key in ("a/1.txt", "b/1.txt", "c/1.txt"):
        root_s3.put_object(Bucket="pieces", Key=key, Body=b"x")

    def reads(prefix: str) -> dict[str, Any]:
        return {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::pieces/{prefix}/*"}],
        }

    arn = iam.create_policy(PolicyName="reads", PolicyDocument=json.dumps(reads("a")))["Policy"]["Arn"]
    iam.create_user(UserName="dana")
    iam.attach_user_policy(UserName="dana", PolicyArn=arn)
    key = iam.create_access_key(UserName="dana")["AccessKey"]
    dana = any_server.client("s3", key["AccessKeyId"], key["SecretAccessKey"], config=config)

    def get(name: str) -> str:
        return _code(lambda: dana.get_object(Bucket="pieces", Key=name))

    assert (get("a/1.txt"), get("b/1.txt")) == ("OK", "AccessDenied")
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(reads("b")), SetAsDefault=True)
    assert (get("a/1.txt"), get("b/1.txt")) == ("AccessDenied", "OK")

    user_arn = f"arn:aws:iam::{any_server.account_id}:user/dana"

    def bucket_policy(prefix: str) -> str:
        grant = {
            "Effect": "Allow",
            "Principal": {"AWS": user_arn},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::pieces/{prefix}/*",
        }
        return json.dumps({"Version": "2012-10-17", "Statement": [grant]})

    root_s3.put_bucket_policy(Bucket="pieces", Policy=bucket_policy("c"))
    assert (get("a/1.txt"), get("c/1.txt")) == ("AccessDenied", "OK")
    root_s3.put_bucket_policy(Bucket="pieces", Policy=bucket_policy("a"))
    assert (get("a/1.txt"), get("c/1.txt")) == ("OK", "AccessDenied")


def test_a_role_session_sees_its_roles_policies_change(any_server: LocaliamServer) -> None:
    iam = any_server.client("iam")
    acct = any_server.account_id
    assume = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
    _, key = _user(any_server, "carol", json.dumps(assume))
    trust = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:user/carol"}, "Action": "sts:AssumeRole"}
    iam.create_role(
        RoleName="ops", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [trust]})
    )
    iam.put_role_policy(RoleName="ops", PolicyName="allow", PolicyDocument=ALLOW_LIST)
    carol = any_server.client("sts", key["AccessKeyId"], key["SecretAccessKey"])
    creds = carol.assume_role(RoleArn=f"arn:aws:iam::{acct}:role/ops", RoleSessionName="session")["Credentials"]
    ops = any_server.client("iam", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    assert _code(ops.list_users) == "OK"
    iam.put_role_policy(RoleName="ops", PolicyName="deny", PolicyDocument=DENY_LIST)
    assert _code(ops.list_users) == "AccessDenied"
    iam.delete_role_policy(RoleName="ops", PolicyName="deny")
    assert _code(ops.list_users) == "OK"


def test_an_account_made_by_the_cli_works_at_once(file_server: LocaliamServer, sqlite_url: str) -> None:
    file_server.client("sts").get_caller_identity()  # the caches are warm
    data_dir = Path(sqlite_url.removeprefix("sqlite:///")).parent
    cli = Path(sys.executable).with_name("localiam")
    cmd = [str(cli)] if cli.exists() else [sys.executable, "-c", "from localiam.cli import main; main()"]
    out = subprocess.run(
        [*cmd, "accounts", "create", "--data-dir", str(data_dir), "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    creds = json.loads(out)
    sts = file_server.client("sts", creds["AccessKeyId"], creds["SecretAccessKey"])
    assert sts.get_caller_identity()["Account"] == creds["AccountId"]


_OTHER_PROCESS = textwrap.dedent(
    """
    import sys
    from localiam.state import schema
    from localiam.state.store import Store

    url, key, status, touch = sys.argv[1:5]
    store = Store(url)
    with store.write() as tx:
        t = schema.access_keys
        tx.execute(t.update().where(t.c.access_key_id == key).values(status=status))
        if touch == "touch":
            tx.touch(key and tx.one_or_none(t.select().where(t.c.access_key_id == key)).account_id)
    store.close()
    """
)


@pytest.mark.parametrize("touch", ["touch", "no-touch"])
def test_another_process_deactivating_a_key_applies_on_the_next_request(
    any_server: LocaliamServer, store_url: str, touch: str
) -> None:
    """A write by another process (another replica, a script over the store): with the
    account touched, or without (then ``*`` is bumped and every cache entry drops)."""
    alice, key = _user(any_server, "alice")
    assert _code(alice.list_users) == "OK"
    subprocess.run(
        [sys.executable, "-c", _OTHER_PROCESS, store_url, key["AccessKeyId"], "Inactive", touch],
        check=True,
        timeout=60,
    )
    assert _eventually(alice.list_users, "InvalidClientTokenId") == "InvalidClientTokenId"
    if any_server.store.dialect == "sqlite":  # SQLite: at once, not eventually
        subprocess.run(
            [sys.executable, "-c", _OTHER_PROCESS, store_url, key["AccessKeyId"], "Active", touch],
            check=True,
            timeout=60,
        )
        assert _code(alice.list_users) == "OK"


def test_s3_object_rows_cached_until_any_write_even_by_another_process(
    file_server: LocaliamServer, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Object writes bump no account version, so cached object rows follow every write the
    server can know of: its own, and another process's on the same SQLite file (seen through
    ``PRAGMA data_version``). A warm GetObject reads no object row from the database."""
    s3 = file_server.client("s3")
    s3.create_bucket(Bucket="cache-bucket")
    s3.put_object(Bucket="cache-bucket", Key="k", Body=b"one")
    assert s3.get_object(Bucket="cache-bucket", Key="k")["Body"].read() == b"one"
    from localiam.state import s3_store

    reads: list[str] = []
    real = s3_store.obj
    monkeypatch.setattr(s3_store, "obj", lambda tx, bucket, key: reads.append(key) or real(tx, bucket, key))
    assert s3.get_object(Bucket="cache-bucket", Key="k")["Body"].read() == b"one"
    assert reads == []
    # Another process (another connection to the file) replaces the object's row.
    other = Store(sqlite_url)
    with other.write() as tx:
        tx.cache_neutral = True
        tx.execute(
            schema.s3_objects.update()
            .where(schema.s3_objects.c.bucket == "cache-bucket", schema.s3_objects.c.key == "k")
            .values(etag='"changed"')
        )
    other.close()
    assert s3.head_object(Bucket="cache-bucket", Key="k")["ETag"] == '"changed"'
    assert reads == ["k"]
    s3.delete_object(Bucket="cache-bucket", Key="k")
    assert _code(lambda: s3.head_object(Bucket="cache-bucket", Key="k")) == "404"
