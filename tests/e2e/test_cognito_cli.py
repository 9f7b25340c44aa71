"""A user pool in five commands with the AWS CLI (v1, the one the [dev] extra installs) and
``localiam cognito codes``, as the README shows it: create the pool and a client, sign up,
read the code localiam kept instead of e-mailing it, confirm, sign in."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import AwsCli

from localiam.state.store import Store, sqlite_url
from localiam.testing import LocaliamServer, run_server

LOCALIAM = Path(sys.executable).with_name("localiam")


@pytest.fixture
def on_disk(tmp_path: Path) -> Iterator[tuple[LocaliamServer, Path]]:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    with run_server(Store(sqlite_url(data))) as server:
        yield server, data


def test_a_user_pool_in_five_commands(on_disk: tuple[LocaliamServer, Path], tmp_path: Path) -> None:
    server, data = on_disk
    aws = AwsCli(server, tmp_path)

    def run(*words: str) -> dict[str, object]:
        done = aws.run(list(words))
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else {}

    pool = run("cognito-idp", "create-user-pool", "--pool-name", "app")["UserPool"]
    pool_id = pool["Id"]  # type: ignore[index]
    client = run(
        "cognito-idp", "create-user-pool-client", "--user-pool-id", pool_id, "--client-name", "web",
        "--explicit-auth-flows", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH",
    )["UserPoolClient"]["ClientId"]  # type: ignore[index]  # fmt: skip
    run("cognito-idp", "sign-up", "--client-id", client, "--username", "alice", "--password", "Corr3ct-Horse!")
    code = subprocess.run(
        [str(LOCALIAM), "cognito", "codes", "--data-dir", str(data), "--pool-id", pool_id, "--username", "alice"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.strip()  # fmt: skip
    assert code.isdigit() and len(code) == 6
    run("cognito-idp", "confirm-sign-up", "--client-id", client, "--username", "alice", "--confirmation-code", code)
    result = run(
        "cognito-idp", "initiate-auth", "--client-id", client, "--auth-flow", "USER_PASSWORD_AUTH",
        "--auth-parameters", "USERNAME=alice,PASSWORD=Corr3ct-Horse!",
    )["AuthenticationResult"]  # fmt: skip
    assert result["TokenType"] == "Bearer" and result["IdToken"].count(".") == 2  # type: ignore[index]
