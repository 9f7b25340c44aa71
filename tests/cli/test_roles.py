"""``localiam roles revoke-sessions``, end to end: a server runs in-process on a store file in
a data directory, and the command, run against the same data directory while the server
runs, writes the ``AWSRevokeOlderSessions`` policy the IAM console writes
(``id_roles_use_revoke-sessions``): sessions issued before are denied with an explicit deny,
sessions issued after work."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from click.testing import CliRunner

from localiam.cli import main
from localiam.cli.config import write_root_credentials
from localiam.state.store import Store, sqlite_url
from localiam.testing import LocaliamServer, run_server

APP_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[LocaliamServer, Path]]:
    """A server on ``<tmp>/data/localiam.db``, with the data directory laid out as
    ``localiam serve`` leaves it (``root-credentials.json``)."""
    directory = tmp_path / "data"
    directory.mkdir()
    with run_server(Store(sqlite_url(directory))) as server:
        write_root_credentials(directory, server.root)
        yield server, directory


def _trust(principal_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": principal_arn}, "Action": "sts:AssumeRole"}],
        }
    )


def _app(server: LocaliamServer, root_keys: tuple[str, str] | None = None) -> tuple[Any, Any]:
    """Role ``App`` (may list roles) trusting user ``app``: (app's STS client, the role's ARN)."""
    iam = server.client("iam", *(root_keys or (None, None)))
    account = iam.get_user()["User"]["Arn"].split(":")[4]
    iam.create_user(UserName="app")
    key = iam.create_access_key(UserName="app")["AccessKey"]
    arn = iam.create_role(RoleName="App", AssumeRolePolicyDocument=_trust(f"arn:aws:iam::{account}:user/app"))["Role"][
        "Arn"
    ]
    iam.put_role_policy(RoleName="App", PolicyName="list", PolicyDocument=json.dumps(APP_POLICY))
    return server.client("sts", key["AccessKeyId"], key["SecretAccessKey"]), arn


def _session(server: LocaliamServer, sts: Any, arn: str, name: str) -> Any:
    c = sts.assume_role(RoleArn=arn, RoleSessionName=name)["Credentials"]
    return server.client("iam", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


def _error(call: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as info:
        call()
    return dict(info.value.response["Error"])


def _revoke(*args: str) -> Any:
    return CliRunner().invoke(main, ["roles", "revoke-sessions", *args], catch_exceptions=False)


def _next_second() -> None:
    """``aws:TokenIssueTime`` is kept to the second: issue the next session in a later one."""
    time.sleep(int(time.time()) + 1.01 - time.time())


def test_revoke_sessions_denies_older_sessions_and_spares_new_ones(served):
    server, directory = served
    sts, arn = _app(server)
    old = _session(server, sts, arn, "before")
    old.list_roles()

    result = _revoke("App", "--data-dir", str(directory))
    assert result.exit_code == 0, result.output
    assert f"Revoked the sessions of {arn} issued before " in result.output

    acct = server.account_id
    err = _error(old.list_roles)
    assert err["Code"] == "AccessDenied"
    assert err["Message"] == (
        f"User: arn:aws:sts::{acct}:assumed-role/App/before is not authorized to perform: iam:ListRoles on resource: "
        f"arn:aws:iam::{acct}:role/ with an explicit deny in an identity-based policy"
    )
    # The policy is the console's, visible through IAM like any inline policy.
    iam = server.client("iam")
    assert iam.list_role_policies(RoleName="App")["PolicyNames"] == ["AWSRevokeOlderSessions", "list"]
    document = iam.get_role_policy(RoleName="App", PolicyName="AWSRevokeOlderSessions")["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(urllib.parse.unquote(document))
    statement = document["Statement"]
    assert (statement["Effect"], statement["Action"], statement["Resource"]) == ("Deny", "*", "*")
    (issued_before,) = statement["Condition"]["DateLessThan"].values()
    assert list(statement["Condition"]["DateLessThan"]) == ["aws:TokenIssueTime"]
    assert issued_before in result.output

    _next_second()
    new = _session(server, sts, arn, "after")
    assert [r["RoleName"] for r in new.list_roles()["Roles"]] == ["App"]

    # Revoking again moves the time forward: the session issued in between is revoked too.
    _next_second()
    assert _revoke("App", "--data-dir", str(directory)).exit_code == 0
    assert _error(new.list_roles)["Code"] == "AccessDenied"
    assert iam.list_role_policies(RoleName="App")["PolicyNames"] == ["AWSRevokeOlderSessions", "list"]


def test_revoke_sessions_in_another_account(served):
    server, directory = served
    other = server.create_account()
    sts, arn = _app(server, (other.access_key_id, other.secret_access_key))
    old = _session(server, sts, arn, "before")
    # By name with --account-id, or by ARN.
    assert _revoke("App", "--account-id", other.account_id, "--data-dir", str(directory)).exit_code == 0
    assert "with an explicit deny in an identity-based policy" in _error(old.list_roles)["Message"]
    assert _revoke(arn, "--data-dir", str(directory)).exit_code == 0
    # Nothing was written in the management account.
    assert _error(lambda: server.client("iam").get_role(RoleName="App"))["Code"] == "NoSuchEntity"


def test_revoke_sessions_of_a_missing_role_fails_with_iams_wording(served):
    _server, directory = served
    result = _revoke("Nope", "--data-dir", str(directory))
    assert result.exit_code == 1
    assert "NoSuchEntity: The role with name Nope cannot be found." in result.output
