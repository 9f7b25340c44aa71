"""What the durability tests share: the real ``localiam serve`` in a subprocess on a data
directory, started (and started again after a SIGKILL) by the ``served`` fixture
(registered in ``conftest.py``)."""

from __future__ import annotations

import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli() -> list[str]:
    exe = Path(sys.executable).with_name("localiam")
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "from localiam.cli import main; main()"]


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    endpoint: str
    port: int
    log: Path


def _serve(data_dir: Path, log: Path) -> Served:
    port = _free_port()
    out = log.open("ab")
    proc = subprocess.Popen(
        [*_cli(), "serve", "--data-dir", str(data_dir), "--port", str(port)], stdout=out, stderr=out
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"localiam serve exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(endpoint + "/_localiam/health", timeout=1) as r:
                if r.status == 200:
                    return Served(proc, endpoint, port, log)
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"localiam serve did not answer in 20 s:\n{log.read_text()}")
        time.sleep(0.05)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Callable[[], Served]]:
    """Start ``localiam serve`` on ``tmp_path / "data"`` (each call starts it again on the same
    data directory); every process started is killed at the end."""
    procs: list[subprocess.Popen[bytes]] = []

    def start() -> Served:
        s = _serve(tmp_path / "data", tmp_path / "server.log")
        procs.append(s.proc)
        return s

    yield start
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)


def kill_under_load(
    served: Served,
    threads: list[threading.Thread],
    stop: threading.Event,
    acked: Callable[[], int],
    *,
    window: tuple[float, float],
    min_acked: int,
    started: float,
    data_dir: Path,
) -> None:
    """Start the client ``threads``, SIGKILL the server at a random moment of ``window`` seconds
    (once ``acked()`` reaches ``min_acked``), stop and join the clients, and check that SQLite
    finds the database file consistent before the server opens it again."""
    for t in threads:
        t.start()
    kill_at = time.monotonic() + random.uniform(*window)
    while time.monotonic() < kill_at or acked() < min_acked:
        assert time.monotonic() - started < 25, "the server acknowledged too few writes under load"
        time.sleep(0.02)
    os.kill(served.proc.pid, signal.SIGKILL)
    served.proc.wait(timeout=10)
    stop.set()
    for t in threads:
        t.join(timeout=15)
        assert not t.is_alive(), "a client thread hung after the kill"
    assert served.proc.returncode == -signal.SIGKILL
    with sqlite3.connect(data_dir / "localiam.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
