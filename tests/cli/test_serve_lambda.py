"""``localiam serve`` says at start how Lambda functions will run, and refuses to run them
without a sandbox unless told ``--unsafe-lambda``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from localiam.cli.serve import start_lambda
from localiam.services.awslambda import invoke, sandbox
from localiam.state.store import Store, sqlite_url


@pytest.fixture
def restore() -> Iterator[None]:
    yield
    invoke.configure(unsafe=True)  # as tests/conftest.py made it


def no_bubblewrap(bwrap: str | None = None) -> sandbox.Sandbox:
    raise sandbox.SandboxUnavailable("bubblewrap (bwrap) is not installed; install it (apt-get install bubblewrap)")


def test_without_a_sandbox_functions_are_refused_and_serve_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], restore: None
) -> None:
    monkeypatch.setattr(sandbox, "probe", no_bubblewrap)
    store = Store(sqlite_url(tmp_path))
    try:
        start_lambda(tmp_path, store, unsafe=False, account_concurrency=None)
    finally:
        store.close()
    err = capsys.readouterr().err
    assert "Lambda: functions will not run: bubblewrap (bwrap) is not installed" in err
    assert "start with --unsafe-lambda to run them without isolation" in err
    assert invoke.runtime().isolation == "refused"


def test_unsafe_lambda_runs_them_without_one_and_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], restore: None
) -> None:
    monkeypatch.setattr(sandbox, "probe", no_bubblewrap)
    store = Store(sqlite_url(tmp_path))
    try:
        start_lambda(tmp_path, store, unsafe=True, account_concurrency=None)
    finally:
        store.close()
    err = capsys.readouterr().err
    assert "WARNING: Lambda functions run WITHOUT a sandbox (--unsafe-lambda)" in err
    assert "can read the data dir" in err
    assert invoke.runtime().isolation == "none (unsafe)"


def test_with_a_sandbox_serve_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str], restore: None) -> None:
    try:
        sandbox.probe()
    except sandbox.SandboxUnavailable as exc:
        pytest.skip(str(exc))
    store = Store(sqlite_url(tmp_path))
    try:
        start_lambda(tmp_path, store, unsafe=False, account_concurrency=7)
    finally:
        store.close()
    out = capsys.readouterr().out
    assert out.startswith("Lambda: functions run in a bubblewrap sandbox (bubblewrap ")
    assert invoke.runtime().isolation == "bubblewrap"
