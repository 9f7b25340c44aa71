"""``docs/tutorial.md``, run as written, so that it cannot drift from what localiam does.

The convention (also stated at the end of the tutorial):

- Only fenced blocks whose info string is ``sh`` run, in the order of the page. Blocks in other
  languages (``ini``, ``json``, ``yaml``, ``text``) are there to be read.
- The block whose first command is ``localiam serve`` is the server: the test runs that
  command itself, in the background, with ``--port`` set to a free port, and replaces
  ``127.0.0.1:4599`` in every other block with that address.
- Each block runs in a fresh ``bash`` in one temporary directory, with the shell variables
  of the blocks before it (every assignment is exported with ``set -a`` and carried over),
  ``HOME``, ``AWS_CONFIG_FILE`` and ``AWS_SHARED_CREDENTIALS_FILE`` in that directory, and
  the virtualenv's ``bin`` (its ``aws``, the AWS CLI the ``[dev]`` extra installs, and
  ``localiam``) first on ``PATH``.
- A block runs with ``set -euo pipefail``: every command must succeed. A block with a line
  ``# expect-exit: N`` (a number, or ``error`` for the AWS CLI's service-error status, 255 in
  v1 and 254 in v2) runs without ``-e`` and must end with that status; such a block holds one
  command. Every ``# expect: TEXT`` line of a block is text its output (stdout and stderr
  together) must contain.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "docs" / "tutorial.md"
BIN = Path(sys.executable).parent
DEFAULT_ADDRESS = "127.0.0.1:4599"
SERVICE_ERROR = (254, 255)  # AWS CLI User Guide ``cli-usage-returncodes``: v2 254, v1 255
FENCE = re.compile(r"^```(\S*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)


@dataclass
class Block:
    line: int
    text: str
    expect: list[str] = field(default_factory=list)
    exit: str | None = None

    @property
    def is_server(self) -> bool:
        return self.commands()[:1] != [] and self.commands()[0].startswith("localiam serve")

    def commands(self) -> list[str]:
        return [ln.strip() for ln in self.text.splitlines() if ln.strip() and not ln.strip().startswith("#")]


def blocks(markdown: str) -> list[Block]:
    """The ``sh`` blocks of ``markdown`` with their expectations."""
    out = []
    for match in FENCE.finditer(markdown):
        if match.group(1) != "sh":
            continue
        text = match.group(2)
        block = Block(markdown.count("\n", 0, match.start()) + 1, text)
        for raw in text.splitlines():
            line = raw.strip()
            if line.startswith("# expect:"):
                block.expect.append(line.removeprefix("# expect:").strip())
            elif line.startswith("# expect-exit:"):
                block.exit = line.removeprefix("# expect-exit:").strip()
        out.append(block)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sandbox_works() -> bool:
    from localiam.services.awslambda.sandbox import SandboxUnavailable, probe

    try:
        probe()
    except SandboxUnavailable:
        return False
    return True


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LOCALIAM_"))}
    env.update(
        HOME=str(home),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        AWS_CONFIG_FILE=str(tmp_path / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_PAGER="",
    )
    yield tmp_path, env


def _start_server(block: Block, directory: Path, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    (command,) = block.commands()
    words = shlex.split(command)
    words += ["--port", str(port)]
    if not _sandbox_works():
        # Without bubblewrap the tutorial's Lambda section would get ServiceException; run
        # functions unsandboxed instead, as the rest of the suite does on such a machine.
        words.append("--unsafe-lambda")
    log = (directory / "server.log").open("wb")
    server = subprocess.Popen(
        words, cwd=directory, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"localiam serve exited: {(directory / 'server.log').read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_localiam/health", timeout=1) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.1)
    raise AssertionError("localiam serve did not answer its health check within 30 s")


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _script(block: Block, address: str) -> str:
    text = block.text.replace(DEFAULT_ADDRESS, address)
    strict = "set -e" if block.exit is None else ""
    return (
        "set -a -u -o pipefail\n[ -f .tutorial-env ] && . ./.tutorial-env\n"
        'trap \'status=$?; export -p | grep -v -E "^declare -x (PWD|OLDPWD|SHLVL|_)=" > .tutorial-env; '
        "exit $status' EXIT\n"
        f"{strict}\n{text}"
    )


def test_the_pages_convention() -> None:
    """The tutorial has one server block first, and every block that must fail holds one command."""
    found = blocks(TUTORIAL.read_text())
    assert found, "docs/tutorial.md has no sh blocks"
    servers = [b for b in found if b.is_server]
    assert len(servers) == 1 and found.index(servers[0]) == 0, "the first sh block starts localiam serve"
    for block in found:
        if block.exit is not None:
            assert block.exit == "error" or block.exit.isdigit(), f"line {block.line}: {block.exit!r}"
            joined = re.sub(r"\\\n", " ", block.text)
            assert len([c for c in joined.splitlines() if c.strip() and not c.strip().startswith("#")]) == 1, (
                f"line {block.line}: a block that must fail holds one command"
            )


def test_tutorial_runs_as_written(workdir: tuple[Path, dict[str, str]]) -> None:
    directory, env = workdir
    found = blocks(TUTORIAL.read_text())
    port = _free_port()
    address = f"127.0.0.1:{port}"
    server = _start_server(found[0], directory, env, port)
    try:
        for block in found[1:]:
            done = subprocess.run(
                ["bash", "-c", _script(block, address)],
                cwd=directory,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            output = done.stdout + done.stderr
            log = (directory / "server.log").read_text(errors="replace")[-3000:]
            where = (
                f"docs/tutorial.md line {block.line}:\n{block.text}\n--- output (exit {done.returncode}):\n{output}"
                f"\n--- the server's log:\n{log}"
            )
            if block.exit is None:
                assert done.returncode == 0, where
            elif block.exit == "error":
                assert done.returncode in SERVICE_ERROR, where
            else:
                assert done.returncode == int(block.exit), where
            for text in block.expect:
                assert text in output, f"expected {text!r} in the output of {where}"
    finally:
        _stop(server)
