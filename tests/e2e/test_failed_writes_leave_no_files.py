"""A request that fails after writing a file leaves no file behind.

CreateFunction and UpdateFunctionCode store the function's package, and CopyObject writes the
copy's body, before their write transaction commits. When the operation fails after that, or
the request fails before its transaction commits, the file is removed at once
(``OperationContext.on_rollback``), not left for the next start's sweep. Failures are injected
where a disk or database error would strike: where the metadata is written, and after the
operation inside its transaction.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import root_keys, trust

from localiam.testing import LocaliamServer, run_server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocaliamServer]:
    with run_server(bodies_dir=tmp_path / "objects") as running:
        yield running


def files(server: LocaliamServer, tmp_path: Path) -> list[Path]:
    """Every file under the server's body store."""
    return sorted(p for p in (tmp_path / "objects").rglob("*") if p.is_file())


def package(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", text)
    return buffer.getvalue()


def fail(*args: Any, **kwargs: Any) -> None:
    raise OSError("injected: the metadata could not be written")


def status_of(call: Any, **params: Any) -> int:
    try:
        call(**params)
    except Exception as exc:  # botocore's ClientError
        return int(getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
    return 200


def test_create_and_update_function_remove_the_package_when_they_fail(
    server: LocaliamServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from localiam.state import lambda_store

    keys = root_keys(server)
    role = keys.client("iam").create_role(
        RoleName="fn-role", AssumeRolePolicyDocument=trust({"Service": "lambda.amazonaws.com"})
    )["Role"]["Arn"]
    fn = keys.client("lambda")  # one attempt: no retries
    common = {"Runtime": "python3.11", "Role": role, "Handler": "app.handler"}
    fn.create_function(FunctionName="kept", Code={"ZipFile": package("def handler(e, c): return 1")}, **common)
    before = files(server, tmp_path)
    assert before, "a created function's package is a file under the data dir"

    monkeypatch.setattr(lambda_store, "create_function", fail)
    assert status_of(fn.create_function, FunctionName="lost", Code={"ZipFile": package("x = 2")}, **common) == 500
    assert files(server, tmp_path) == before

    monkeypatch.setattr(lambda_store, "update_function", fail)
    assert status_of(fn.update_function_code, FunctionName="kept", ZipFile=package("x = 3")) == 500
    assert files(server, tmp_path) == before
    assert fn.get_function(FunctionName="kept")["Configuration"]["FunctionName"] == "kept"


def test_copy_object_removes_the_copy_when_it_fails(
    server: LocaliamServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from localiam.services.s3 import objects

    s3 = root_keys(server).client("s3")
    s3.create_bucket(Bucket="copies")
    s3.put_object(Bucket="copies", Key="source", Body=b"x" * 300_000)
    before = files(server, tmp_path)
    assert before

    monkeypatch.setattr(objects, "store_object", fail)
    assert status_of(s3.copy_object, Bucket="copies", Key="target", CopySource="copies/source") == 500
    assert files(server, tmp_path) == before
    monkeypatch.undo()
    s3.copy_object(Bucket="copies", Key="target", CopySource="copies/source")
    assert len(files(server, tmp_path)) == len(before) + 1


def test_copy_object_removes_the_copy_when_its_transaction_fails_after_it(
    server: LocaliamServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The operation itself succeeded; the request fails before its transaction commits (as a
    failed commit would: the pipeline's last step inside the transaction raises)."""
    from localiam.server.pipeline import Pipeline

    s3 = root_keys(server).client("s3")
    s3.create_bucket(Bucket="copies")
    s3.put_object(Bucket="copies", Key="source", Body=b"y" * 300_000)
    before = files(server, tmp_path)

    monkeypatch.setattr(Pipeline, "_log_decisions", fail)
    assert status_of(s3.copy_object, Bucket="copies", Key="target", CopySource="copies/source") == 500
    monkeypatch.undo()
    assert files(server, tmp_path) == before
    assert status_of(s3.head_object, Bucket="copies", Key="target") == 404
