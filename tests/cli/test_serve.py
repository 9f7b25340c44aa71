"""``localiam serve`` says what it serves and where the data lives before it listens;
``localiam --version`` names the package's version."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner

from localiam import __version__
from localiam.cli import main
from localiam.cli.serve import banner
from localiam.services.registry import default_services
from localiam.state.store import display_url, sqlite_url

Serve = Callable[..., tuple[str, str]]
SERVICES = "  services: " + ", ".join(sorted(default_services()))


def test_version() -> None:
    done = CliRunner().invoke(main, ["--version"])
    assert done.exit_code == 0
    assert done.output == f"localiam, version {__version__}\n"
    assert __version__ == version("localiam")


def test_banner_of_a_data_dir(tmp_path: Path) -> None:
    assert banner("http://127.0.0.1:4599", default_services(), sqlite_url(tmp_path), tmp_path) == [
        f"localiam {__version__} serving on http://127.0.0.1:4599",
        SERVICES,
        f"  data: {tmp_path}",
    ]


def test_banner_of_a_database_masks_its_password(tmp_path: Path) -> None:
    url = "postgresql://alice:s3cret@db.internal:5432/localiam"
    lines = banner("http://127.0.0.1:4599", ["iam", "sts"], url, tmp_path)
    assert lines[1:] == [
        "  services: iam, sts",
        f"  data: postgresql://alice:***@db.internal:5432/localiam; object bodies and Lambda packages in {tmp_path}",
    ]
    assert "s3cret" not in "\n".join(lines)


def test_banner_in_memory() -> None:
    lines = banner("http://127.0.0.1:4599", default_services(), "sqlite://", None)
    assert lines[2] == "  data: in memory (--ephemeral): nothing is kept when the server stops"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://alice:p@ss/w0rd@db/l", "postgresql://alice:***@db/l"),
        (
            "postgresql+psycopg://alice@db/l?sslmode=require&password=x",
            "postgresql+psycopg://alice@db/l?sslmode=require&password=***",
        ),
        ("postgresql:///l?host=/var/run/postgresql", "postgresql:///l?host=/var/run/postgresql"),
        ("sqlite:////var/lib/localiam/localiam.db", "sqlite:////var/lib/localiam/localiam.db"),
    ],
)
def test_display_url(url: str, shown: str) -> None:
    assert display_url(url) == shown


# --- localiam serve, in a subprocess ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    """``serve(*args)``: start ``localiam serve ARGS`` on a free port, wait until it answers, and
    return its endpoint and what it printed; every server started is stopped afterwards."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> tuple[str, str]:
        port = _free_port()
        exe = Path(sys.executable).with_name("localiam")
        cli = [str(exe)] if exe.exists() else [sys.executable, "-c", "from localiam.cli import main; main()"]
        log = tmp_path / f"serve-{port}.log"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("LOCALIAM_DATABASE_URL", None)
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [*cli, "serve", "--port", str(port), "--unsafe-lambda", *args], stdout=out, stderr=out, env=env
            )
        procs.append(proc)
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"localiam serve exited with {proc.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(endpoint + "/_localiam/health", timeout=1) as answer:
                    if answer.status == 200:
                        return endpoint, log.read_text()
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"localiam serve did not answer in 20 s:\n{log.read_text()}")
            time.sleep(0.05)

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_says_what_it_serves_from_a_data_dir(serve: Serve, tmp_path: Path) -> None:
    directory = tmp_path / "data"
    endpoint, printed = serve("--data-dir", str(directory))
    lines = printed.splitlines()
    start = lines.index(f"localiam {__version__} serving on {endpoint}")
    assert lines[start + 1 : start + 3] == [SERVICES, f"  data: {directory}"]


def test_serve_says_when_nothing_is_kept(serve: Serve) -> None:
    endpoint, printed = serve("--ephemeral")
    assert f"localiam {__version__} serving on {endpoint}\n{SERVICES}\n" in printed
    assert "  data: in memory (--ephemeral): nothing is kept when the server stops" in printed


def test_cognito_codes_are_printed_only_when_asked(serve: Serve, tmp_path: Path) -> None:
    """``--show-cognito-codes`` prints a sign-up code as it is made; without it the log only
    says where the code is (a forgotten-password code sets a new password: a secret)."""
    import json as _json

    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    for flag, shown in ((("--show-cognito-codes",), True), ((), False)):
        directory = tmp_path / f"data-{shown}"
        endpoint, _ = serve("--data-dir", str(directory), *flag)
        root = _json.loads((directory / "root-credentials.json").read_text())
        admin = boto3.client(
            "cognito-idp",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=root["AccessKeyId"],
            aws_secret_access_key=root["SecretAccessKey"],
        )
        pool = admin.create_user_pool(PoolName="p")["UserPool"]["Id"]
        client = admin.create_user_pool_client(UserPoolId=pool, ClientName="c")["UserPoolClient"]["ClientId"]
        unsigned = boto3.client(
            "cognito-idp", endpoint_url=endpoint, region_name="us-east-1", config=Config(signature_version=UNSIGNED)
        )
        unsigned.sign_up(ClientId=client, Username="alice", Password="Corr3ct-Horse!")
        from localiam.testing import cognito_code

        code = cognito_code(directory, pool_id=pool, username="alice")
        log_file = tmp_path / f"serve-{endpoint.rsplit(':', 1)[1]}.log"
        deadline = time.monotonic() + (5 if shown else 0.5)
        while time.monotonic() < deadline and code not in log_file.read_text():
            time.sleep(0.05)
        printed = log_file.read_text()
        if shown:
            assert f"sign-up code for user alice of pool {pool}: {code}" in printed
        else:
            assert code not in printed
