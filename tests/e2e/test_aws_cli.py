"""The AWS CLI against the endpoint, configured only through its own files: a profile with
``role_arn`` + ``source_profile`` assumes the role by itself (AWS CLI User Guide,
``cli-configure-role``), ``endpoint_url`` in the config file points every service at localiam
(``cli-configure-endpoints``), and an AccessDenied reaches the user as the CLI prints it
("An error occurred (AccessDenied) when calling the ... operation: ...").

The CLI runs in a subprocess with a temporary ``AWS_CONFIG_FILE``,
``AWS_SHARED_CREDENTIALS_FILE`` and ``HOME`` (its credential cache), so the user's ``~/.aws``
is never read or written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_helpers import allow, make_user, policy, trust

AWS = Path(sys.executable).with_name("aws")


@pytest.fixture
def cli(server, iam, tmp_path):
    """Profiles ``dev`` (user dev's keys) and ``app`` (role App through ``dev``)."""
    acct = server.account_id
    dev = make_user(iam, server, "dev", inline=policy(allow("sts:AssumeRole", f"arn:aws:iam::{acct}:role/App")))
    iam.create_role(RoleName="App", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{acct}:user/dev"}))
    iam.put_role_policy(RoleName="App", PolicyName="list", PolicyDocument=policy(allow("iam:ListRoles")))
    config = tmp_path / "config"
    config.write_text(
        f"[profile dev]\nregion = us-east-1\nendpoint_url = {server.endpoint}\n\n"
        f"[profile app]\nrole_arn = arn:aws:iam::{acct}:role/App\nrole_session_name = cli-app\n"
        f"source_profile = dev\nregion = us-east-1\nendpoint_url = {server.endpoint}\n"
    )
    credentials = tmp_path / "credentials"
    credentials.write_text(
        f"[dev]\naws_access_key_id = {dev.access_key_id}\naws_secret_access_key = {dev.secret_access_key}\n"
    )
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(credentials),
        AWS_EC2_METADATA_DISABLED="true",
        HOME=str(home),
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(AWS), *args, "--output", "json"], env=env, capture_output=True, text=True, timeout=60, check=False
        )

    return run


def test_profile_with_role_arn_assumes_the_role_by_itself(server, cli):
    acct = server.account_id
    done = cli("sts", "get-caller-identity", "--profile", "app")
    assert done.returncode == 0, done.stderr
    identity = json.loads(done.stdout)
    assert identity["Arn"] == f"arn:aws:sts::{acct}:assumed-role/App/cli-app"
    assert identity["Account"] == acct
    # The assumed role's permissions apply to the profile's calls.
    done = cli("iam", "list-roles", "--profile", "app")
    assert done.returncode == 0, done.stderr
    assert [r["RoleName"] for r in json.loads(done.stdout)["Roles"]] == ["App"]


def test_cli_shows_access_denied(server, cli):
    acct = server.account_id
    done = cli("iam", "create-user", "--user-name", "mallory", "--profile", "app")
    assert done.returncode in (254, 255)  # a service error: 254 in CLI v2, 255 in v1
    assert (
        "An error occurred (AccessDenied) when calling the CreateUser operation: "
        f"User: arn:aws:sts::{acct}:assumed-role/App/cli-app is not authorized to perform: iam:CreateUser on "
        f"resource: arn:aws:iam::{acct}:user/mallory because no identity-based policy allows the iam:CreateUser action"
    ) in done.stderr
    # The source profile itself: its own identity, and its own denial.
    done = cli("sts", "get-caller-identity", "--profile", "dev")
    assert json.loads(done.stdout)["Arn"] == f"arn:aws:iam::{acct}:user/dev"
    done = cli("iam", "list-roles", "--profile", "dev")
    assert done.returncode in (254, 255)
    assert f"User: arn:aws:iam::{acct}:user/dev is not authorized to perform: iam:ListRoles" in done.stderr
