"""A function sees what it would see on AWS and nothing of localiam (``lambda-runtime-environment``):
each escape that was once possible is tried by a real function, invoked with boto3 through a real
server whose state is on disk, and must fail while the server and the other functions go on.

The function's role has no permissions at all: everything it gets, it gets from the sandbox."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import error_of
from test_lambda import lambda_role, package

import localiam
from lambda_processes import wait_tree_gone, witness
from localiam.cli.config import write_root_credentials
from localiam.services.awslambda import code
from localiam.services.awslambda.invoke import runtime
from localiam.state.store import Store, sqlite_url
from localiam.testing import LocaliamServer, run_server

pytestmark = pytest.mark.skipif(runtime().sandbox is None, reason=f"no sandbox here: {runtime().refusal}")

ATTACKER = """
import json, os, signal, socket, sqlite3

import boto3


def attempt(action):
    try:
        return {"ok": action()}
    except BaseException as exc:
        return {"error": type(exc).__name__ + ": " + str(exc)}


def environ(pid):
    with open(f"/proc/{pid}/environ", "rb") as f:
        return f.read().decode(errors="replace")


def handler(event, context):
    data = event["data_dir"]
    seen = {
        "uid": os.getuid(),
        "cwd": os.getcwd(),
        "processes": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
        "task_root": os.environ.get("LAMBDA_TASK_ROOT"),
        "relative_credentials": attempt(lambda: open("../../root-credentials.json").read()),
        "credentials": attempt(lambda: open(os.path.join(data, "root-credentials.json")).read()),
        "database": attempt(
            lambda: sqlite3.connect(f"file:{data}/localiam.db?mode=ro", uri=True)
            .execute("select access_key_id from access_keys").fetchall()
        ),
        "data_dir": attempt(lambda: os.listdir(data)),
        "server_environ": attempt(lambda: environ(event["server_pid"])),
        "all_environ": [environ(p) for p in os.listdir("/proc") if p.isdigit()],
        "other_code": attempt(lambda: os.listdir(event["other_code"])),
        "other_code_write": attempt(lambda: open(os.path.join(event["other_code"], "app.py"), "w").write("x")),
        "own_code_write": attempt(lambda: open("/var/task/app.py", "a").write("# changed")),
        "own_code_chmod": attempt(lambda: os.chmod("/var/task/app.py", 0o666)),
        "own_code_add": attempt(lambda: open("/var/task/new.py", "w").write("x")),
        "tmp": sorted(os.listdir("/tmp")),
        "tmp_write": attempt(lambda: open("/tmp/mine", "w").write("scratch")),
        "kill_server": attempt(lambda: os.kill(event["server_pid"], signal.SIGKILL)),
        "postgres": attempt(lambda: socket.create_connection(("127.0.0.1", 5432), timeout=2).close()),
        "other_port": attempt(lambda: socket.create_connection(("127.0.0.1", event["other_port"]), timeout=2).close()),
        "endpoint": attempt(lambda: boto3.client("sts").get_caller_identity()["Arn"]),
    }
    return seen
"""

VICTIM = """
import os

with open("/tmp/victim-secret", "w") as f:
    f.write(os.environ["VICTIM_SECRET"])


def handler(event, context):
    with open("/var/task/app.py") as f:
        return {"code": f.read(), "tmp": sorted(os.listdir("/tmp"))}
"""

PARRICIDE = """
import os, signal, subprocess


def kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
        return "sent"
    except OSError as exc:
        return type(exc).__name__


def handler(event, context):
    if event.get("setsid"):
        subprocess.Popen(["sleep", "60"], start_new_session=True)
        return "left a child"
    # Its parent, its namespace's init, and every process it may signal (-1).
    return [os.getppid(), kill(os.getppid()), kill(1), kill(-1)]
"""


@pytest.fixture
def on_disk(tmp_path: Path) -> Iterator[tuple[LocaliamServer, Path]]:
    """A server whose database, bodies and root credentials are on disk, as ``localiam serve``
    keeps them."""
    data = tmp_path / "data"
    data.mkdir()
    with run_server(Store(sqlite_url(data)), bodies_dir=data) as server:
        write_root_credentials(data, server.root)
        yield server, data


def own_tmp(listing: list[str]) -> list[str]:
    """A function's ``/tmp`` listing without the mount points of the Python that runs
    localiam (and so the function), which the sandbox binds read-only at their own paths: a
    checkout under ``/tmp`` (a CI clone) puts its top directory there."""
    runtime = {sys.prefix, sys.base_prefix, str(Path(localiam.__file__).parent)}
    mounts = {Path(p).relative_to("/tmp").parts[0] for p in runtime if Path(p).is_relative_to("/tmp")}
    return [name for name in listing if name not in mounts]


def health(server: LocaliamServer) -> int:
    with urllib.request.urlopen(server.endpoint + "/_localiam/health", timeout=5) as answer:
        return int(answer.status)


def invoke(client: Any, name: str, event: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    answer = client.invoke(FunctionName=name, Payload=json.dumps(event).encode())
    return json.loads(answer["Payload"].read()), answer


def test_a_function_cannot_reach_localiam_or_other_functions(on_disk: tuple[LocaliamServer, Path]) -> None:
    server, data = on_disk
    client = server.client("lambda")
    role = lambda_role(server.client("iam"), "nothing-allowed")
    for name, source, env in (("victim", VICTIM, {"VICTIM_SECRET": "victim-secret-value"}), ("attacker", ATTACKER, {})):
        client.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": package(source)},
            Environment={"Variables": env},
        )
    victim, _ = invoke(client, "victim", {})
    assert own_tmp(victim["tmp"]) == ["victim-secret"]
    (victim_code,) = [path for path in code.holders() if path.is_relative_to(data)]
    with socket.socket() as other:  # a service of the host, on loopback
        other.bind(("127.0.0.1", 0))
        other.listen()
        seen, answer = invoke(
            client,
            "attacker",
            {
                "data_dir": str(data),
                "server_pid": os.getpid(),
                "other_code": str(victim_code),
                "other_port": other.getsockname()[1],
            },
        )
    assert "FunctionError" not in answer, seen
    assert seen["uid"] == 993 and seen["cwd"] == seen["task_root"] == "/var/task"
    # Item 1: no root key, no database, no data dir, no server environment, no other function.
    for probe in ("relative_credentials", "credentials", "database", "data_dir", "server_environ"):
        assert "error" in seen[probe], (probe, seen[probe])
    assert seen["processes"] == [1, 2]  # bubblewrap's init and the runtime: nothing else is visible
    everything = json.dumps(seen)
    assert server.root.secret_access_key not in everything and "victim-secret-value" not in everything
    assert "error" in seen["other_code"] and "error" in seen["other_code_write"]
    assert "victim-secret" not in seen["tmp"]
    assert own_tmp(seen["tmp"]) == []  # its own private /tmp, empty before it writes
    assert seen["tmp_write"] == {"ok": 7}
    # Item 2: code is read-only, its own and everyone else's.
    assert "Permission denied" in seen["own_code_write"]["error"]  # read-only, and even its owner cannot chmod it:
    assert "Read-only file system" in seen["own_code_chmod"]["error"]
    assert "error" in seen["own_code_add"]
    assert victim_code.joinpath("app.py").read_text() == VICTIM
    assert invoke(client, "victim", {})[0]["code"] == VICTIM
    # Item 3: the server cannot be signalled.
    assert "ProcessLookupError" in seen["kill_server"]["error"]
    # The network: localiam's endpoint and nothing else.
    assert seen["endpoint"] == {"ok": f"arn:aws:sts::{server.account_id}:assumed-role/nothing-allowed/attacker"}
    assert "Connection refused" in seen["postgres"]["error"]
    assert "Connection refused" in seen["other_port"]["error"]
    assert health(server) == 200


def test_a_function_cannot_kill_the_server_or_outlive_its_worker(server: LocaliamServer) -> None:
    client = server.client("lambda")
    role = lambda_role(server.client("iam"), "r")
    token = witness()
    client.create_function(
        FunctionName="parricide",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": package(PARRICIDE)},
        Environment={"Variables": {"WITNESS": token}},
    )
    payload, answer = invoke(client, "parricide", {})
    assert "FunctionError" not in answer, payload
    # The parent it sees is its sandbox's init, which a signal from inside cannot kill; there is
    # nothing else it may signal; the server and the function live on.
    assert payload == [1, "sent", "sent", "ProcessLookupError"]
    assert health(server) == 200
    assert invoke(client, "parricide", {})[0] == payload
    # A child in a session of its own dies with its worker (here: when the function is deleted).
    assert invoke(client, "parricide", {"setsid": True})[0] == "left a child"
    client.delete_function(FunctionName="parricide")
    assert wait_tree_gone(token)


def run_in_sandbox(scratch: Path, source: str, hide: list[Path] | None = None) -> str:
    """What ``python -c source`` prints in a function's sandbox."""
    sandbox = runtime().sandbox
    assert sandbox is not None
    (scratch / "code").mkdir(exist_ok=True)
    (scratch / "tmp").mkdir(exist_ok=True)
    argv = sandbox.command(
        [sys.executable, "-c", source],
        code_dir=scratch / "code",
        tmp_dir=scratch / "tmp",
        bootstrap=Path(__file__),
        endpoint_socket=None,
        hide=[str(path) for path in hide or []],
    )
    return subprocess.run(argv, capture_output=True, text=True, check=True, timeout=30).stdout


def test_the_data_dir_stays_hidden_inside_a_directory_the_sandbox_binds(tmp_path: Path) -> None:
    """The data dir may lie inside what a sandbox must show (the virtual environment): it is
    covered there by an empty directory."""
    inside = Path(sys.prefix) / f"localiam-test-data-{os.getpid()}"
    inside.mkdir()
    try:
        (inside / "root-credentials.json").write_text("secret")
        listing = run_in_sandbox(tmp_path, f"import os; print(os.listdir({str(inside)!r}))", hide=[inside])
        assert listing.strip() == "[]"
        visible = run_in_sandbox(tmp_path, f"import os; print(os.path.isdir({sys.prefix!r} + '/lib'))")
        assert visible.strip() == "True"
    finally:
        (inside / "root-credentials.json").unlink()
        inside.rmdir()


def test_invoke_without_a_sandbox_is_refused_with_the_reason(server: LocaliamServer) -> None:
    from localiam.services.awslambda.runtime import Runtime

    client = server.client("lambda")
    role = lambda_role(server.client("iam"), "r")
    client.create_function(
        FunctionName="f", Runtime="python3.12", Role=role, Handler="app.handler", Code={"ZipFile": package(PARRICIDE)}
    )
    import localiam.services.awslambda.invoke as invoke_module

    saved = invoke_module._runtime
    refusing = Runtime(refusal="bubblewrap (bwrap) is not installed")
    invoke_module._runtime = refusing
    try:
        error = error_of(client.invoke, FunctionName="f", Payload=b"{}")
    finally:
        invoke_module._runtime = saved
        refusing.close()
    assert error["Code"] == "ServiceException"
    assert error["Message"] == "localiam cannot run functions: bubblewrap (bwrap) is not installed"
