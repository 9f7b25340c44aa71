"""The data directory and what ``localiam serve`` / ``localiam accounts create`` write in it:
private from creation (directories 0700, files 0600), and a warning naming the path, its mode
and the ``chmod`` to run when an existing one lets other users in. An existing directory or file
keeps its owner's mode: localiam warns, it does not change it.

``localiam serve`` runs in a subprocess here, as users run it, so the umask it sets applies to
everything it writes: the database and its WAL, the root credentials, object bodies, Lambda
packages and the packages it unpacks to run them.
"""

from __future__ import annotations

import io
import json
import os
import socket
import stat
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from click.testing import CliRunner

from localiam.cli import main
from localiam.cli.config import data_dir, permission_warnings, write_root_credentials
from localiam.state.accounts import RootCredentials


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_data_dir_is_0700(tmp_path: Path) -> None:
    created = data_dir(tmp_path / "parent" / "data")
    assert mode(created) == 0o700
    assert mode(tmp_path / "parent") == 0o755  # a parent it had to make keeps the usual mode


def test_a_relative_data_dir_becomes_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--data-dir ./data`` names the same directory for everything the server starts later,
    whatever its working directory (Lambda's sandbox binds package directories by path)."""
    monkeypatch.chdir(tmp_path)
    assert data_dir(Path("data")) == tmp_path / "data"
    monkeypatch.setenv("LOCALIAM_DATA_DIR", "elsewhere")
    assert data_dir(None) == tmp_path / "elsewhere"


def test_root_credentials_are_0600_even_over_a_leftover_temporary_file(tmp_path: Path) -> None:
    leftover = tmp_path / "root-credentials.json.tmp"
    leftover.write_text("junk")
    os.chmod(leftover, 0o644)
    creds = RootCredentials("123456789012", "AKIAEXAMPLEEXAMPLE00", "secret/secret")
    path = write_root_credentials(tmp_path, creds)
    assert mode(path) == 0o600
    assert json.loads(path.read_text())["SecretAccessKey"] == "secret/secret"
    assert not leftover.exists()


def test_warnings_name_the_path_its_mode_and_the_chmod(tmp_path: Path) -> None:
    directory = tmp_path / "data"
    directory.mkdir(mode=0o700)
    (directory / "localiam.db").touch(mode=0o600)
    assert permission_warnings(directory) == []
    os.chmod(directory, 0o755)
    os.chmod(directory / "localiam.db", 0o644)
    (directory / "objects").mkdir(mode=0o750)
    assert permission_warnings(directory) == [
        f"warning: the data directory {directory} has mode 0755: other users of this machine can read "
        f"localiam's secrets there. Run: chmod 700 {directory}",
        f"warning: the file {directory / 'localiam.db'} has mode 0644: other users of this machine can read "
        f"localiam's secrets there. Run: chmod 600 {directory / 'localiam.db'}",
        f"warning: the directory {directory / 'objects'} has mode 0750: other users of this machine can read "
        f"localiam's secrets there. Run: chmod 700 {directory / 'objects'}",
    ]


def test_accounts_create_warns_about_a_loose_data_dir_and_leaves_it(tmp_path: Path) -> None:
    directory = tmp_path / "data"
    directory.mkdir()
    os.chmod(directory, 0o755)
    result = CliRunner().invoke(main, ["accounts", "create", "--data-dir", str(directory), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["AccessKeyId"]
    assert f"warning: the data directory {directory} has mode 0755" in result.stderr
    assert f"Run: chmod 700 {directory}" in result.stderr
    assert mode(directory) == 0o755  # warned, not changed
    assert mode(directory / "localiam.db") == 0o600  # what it created is private


# --- localiam serve, in a subprocess ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(directory: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    exe = Path(sys.executable).with_name("localiam")
    cli = [str(exe)] if exe.exists() else [sys.executable, "-c", "from localiam.cli import main; main()"]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            # Functions run in bubblewrap's sandbox where it works; without it (a laptop without
            # bubblewrap) unsafe, as in the rest of the suite (tests/conftest.py).
            [*cli, "serve", "--data-dir", str(directory), "--port", str(port), "--unsafe-lambda"],
            stdout=out,
            stderr=out,
        )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"localiam serve exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(endpoint + "/_localiam/health", timeout=1) as answer:
                if answer.status == 200:
                    return proc, endpoint
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"localiam serve did not answer in 20 s:\n{log.read_text()}")
        time.sleep(0.05)


@pytest.fixture
def stop() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        proc.kill()
        proc.wait(timeout=10)


def _client(endpoint: str, service: str, creds: dict[str, str]) -> object:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        config=Config(retries={"max_attempts": 1}),
    )


def test_everything_serve_writes_is_private(tmp_path: Path, stop: list[subprocess.Popen[bytes]]) -> None:
    directory = tmp_path / "data"
    proc, endpoint = _serve(directory, tmp_path / "serve.log")
    stop.append(proc)
    creds = json.loads((directory / "root-credentials.json").read_text())
    s3: Any = _client(endpoint, "s3", creds)
    s3.create_bucket(Bucket="private")
    s3.put_object(Bucket="private", Key="k", Body=b"secret object")
    iam: Any = _client(endpoint, "iam", creds)
    role = iam.create_role(
        RoleName="fn",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )["Role"]["Arn"]
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    lam: Any = _client(endpoint, "lambda", creds)
    lam.create_function(
        FunctionName="fn", Runtime="python3.11", Role=role, Handler="app.handler", Code={"ZipFile": package.getvalue()}
    )
    assert json.loads(lam.invoke(FunctionName="fn", Payload=b'{"a": 1}')["Payload"].read()) == {"a": 1}

    assert mode(directory) == 0o700
    for name in ("localiam.db", "localiam.db-wal", "localiam.db-shm", "root-credentials.json"):
        assert mode(directory / name) == 0o600, name
    assert list((directory / "lambda-code").iterdir()), "the package was unpacked"
    # Unpacked code is the owner's and read-only (0400 files, 0500 directories); everything
    # else is 0600/0700.
    unpacked = directory / "lambda-code"
    loose = [
        f"{path} {mode(path):04o}"
        for path in directory.rglob("*")
        if not path.is_symlink()
        and mode(path) != (0o700 if path.is_dir() else 0o600)
        and not (path.is_relative_to(unpacked) and mode(path) == (0o500 if path.is_dir() else 0o400))
    ]
    assert loose == []
    assert "warning:" not in (tmp_path / "serve.log").read_text()


def test_serve_warns_about_an_existing_loose_data_dir(tmp_path: Path, stop: list[subprocess.Popen[bytes]]) -> None:
    directory = tmp_path / "data"
    directory.mkdir()
    os.chmod(directory, 0o755)
    proc, _ = _serve(directory, tmp_path / "serve.log")
    stop.append(proc)
    log = (tmp_path / "serve.log").read_text()
    assert (
        f"warning: the data directory {directory} has mode 0755: other users of this machine can read "
        f"localiam's secrets there. Run: chmod 700 {directory}"
    ) in log
    assert mode(directory) == 0o755
    assert mode(directory / "localiam.db") == 0o600
