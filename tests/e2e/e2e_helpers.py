"""End-to-end helpers: boto3 against the real server (``localiam_server``: an in-process
server on a free port with an ephemeral store, the management account's root keys).

Everything here goes over HTTP with SigV4, exactly as an application would; the store is
touched directly only where AWS offers no API (a member account's root keys) and the clock is
moved only through the pipeline's ``clock`` and botocore's signing time.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.auth
import pytest
from botocore.exceptions import ClientError
from sqlalchemy import select

from localiam.state import schema
from localiam.testing import LocaliamServer

VERSION = "2012-10-17"


def statement(effect: str, action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": effect, "Action": action, "Resource": resource, **extra}


def allow(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return statement("Allow", action, resource, **extra)


def deny(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return statement("Deny", action, resource, **extra)


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": VERSION, "Statement": list(statements)})


def trust(principal: dict[str, Any], **extra: Any) -> str:
    """A role trust policy allowing ``sts:AssumeRole`` to ``principal``."""
    return policy({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra})


def error_of(call: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The ``Error`` structure of the call's failure (HTTP status under ``status``)."""
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    err = dict(info.value.response["Error"])
    err["status"] = info.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return err


@dataclass(frozen=True)
class Keys:
    """A set of credentials and the server they work against."""

    server: LocaliamServer
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def client(self, service: str) -> Any:
        return self.server.client(service, self.access_key_id, self.secret_access_key, self.session_token)

    @classmethod
    def of_session(cls, server: LocaliamServer, answer: dict[str, Any]) -> Keys:
        c = answer["Credentials"]
        return cls(server, c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


def root_keys(server: LocaliamServer, account_id: str | None = None) -> Keys:
    """The root user's keys of ``account_id`` (default: the management account). A member
    account made by ``CreateAccount`` has root keys in the store that no API returns; the
    test reads them there, as an operator of the machine could."""
    if account_id is None or account_id == server.account_id:
        return Keys(server, server.root.access_key_id, server.root.secret_access_key)
    t = schema.access_keys
    with server.store.read() as tx:
        row = tx.one_or_none(select(t).where(t.c.account_id == account_id, t.c.user_key.is_(None)))
    assert row is not None, f"no root key for {account_id}"
    return Keys(server, row.access_key_id, row.secret)


def make_user(
    iam: Any,
    server: LocaliamServer,
    name: str,
    *,
    inline: str | None = None,
    managed: tuple[str, ...] = (),
    boundary: str | None = None,
    groups: tuple[str, ...] = (),
    path: str = "/",
) -> Keys:
    """An IAM user (created with ``iam``, a client of its account) with long-term keys."""
    kwargs: dict[str, Any] = {"UserName": name, "Path": path}
    if boundary:
        kwargs["PermissionsBoundary"] = boundary
    iam.create_user(**kwargs)
    if inline:
        iam.put_user_policy(UserName=name, PolicyName=f"{name}-inline", PolicyDocument=inline)
    for arn in managed:
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    for group in groups:
        iam.add_user_to_group(GroupName=group, UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Keys(server, key["AccessKeyId"], key["SecretAccessKey"])


class Clock:
    """Moves the server's clock and botocore's signing clock together (a client whose clock
    agreed with AWS's), so requests stay inside SigV4's 15-minute window while credentials
    expire."""

    def __init__(self, server: LocaliamServer, monkeypatch: pytest.MonkeyPatch) -> None:
        self.offset = 0.0
        monkeypatch.setattr(server.pipeline, "clock", lambda: time.time() + self.offset)
        monkeypatch.setattr(botocore.auth, "get_current_datetime", self._signing_time)

    def _signing_time(self, remove_tzinfo: bool = True) -> dt.datetime:
        now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.offset)
        return now.replace(tzinfo=None) if remove_tzinfo else now

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def wait_past(instant: float) -> None:
    """Sleep until the wall clock has passed ``instant`` by a second boundary: session issue
    times (``aws:TokenIssueTime``) are kept to the second."""
    remaining = int(instant) + 1 - time.time()
    if remaining > 0:
        time.sleep(remaining + 0.01)


AWS = Path(sys.executable).with_name("aws")


class AwsCli:
    """The AWS CLI in a subprocess, configured only through its own files: a temporary
    ``AWS_CONFIG_FILE`` (region, JSON output, ``endpoint_url`` of the server, raw binary
    payloads) and ``AWS_SHARED_CREDENTIALS_FILE``, and its own ``HOME``, so the user's
    ``~/.aws`` is never read. Profile ``profile`` holds the management account's root keys;
    :meth:`add_profile` adds others. Commands run in ``directory`` (the CLI prints local paths
    relative to it) with ``TZ=UTC`` (it prints times in local time)."""

    def __init__(self, server: LocaliamServer, directory: Path, *, profile: str = "default") -> None:
        self.server = server
        self.directory = directory
        self.config = directory / "config"
        self.credentials = directory / "credentials"
        self.config.write_text("")
        self.credentials.write_text("")
        home = directory / "home"
        home.mkdir()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.env.update(
            AWS_CONFIG_FILE=str(self.config),
            AWS_SHARED_CREDENTIALS_FILE=str(self.credentials),
            AWS_EC2_METADATA_DISABLED="true",
            HOME=str(home),
            TZ="UTC",
        )
        root = server.root
        self.add_profile(profile, Keys(server, root.access_key_id, root.secret_access_key))

    def add_profile(self, name: str, keys: Keys) -> None:
        section = "default" if name == "default" else f"profile {name}"
        with self.config.open("a") as f:
            f.write(
                f"[{section}]\nregion = us-east-1\noutput = json\ncli_binary_format = raw-in-base64-out\n"
                f"endpoint_url = {self.server.endpoint}\n\n"
            )
        with self.credentials.open("a") as f:
            f.write(f"[{name}]\naws_access_key_id = {keys.access_key_id}\n")
            f.write(f"aws_secret_access_key = {keys.secret_access_key}\n\n")

    def run(self, words: Sequence[str]) -> subprocess.CompletedProcess[str]:
        """``aws WORDS...``."""
        return subprocess.run(
            [str(AWS), *words],
            cwd=self.directory,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
