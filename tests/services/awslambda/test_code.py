"""Deployment packages: zip-slip refused when a package arrives; code unpacked per version from a
package whose SHA-256 matches ``CodeSha256``, read-only, held by its workers and removed with the
last; nothing unpacked survives the process that unpacked it."""

from __future__ import annotations

import base64
import fcntl
import hashlib
import io
import os
import stat
import zipfile
from pathlib import Path

import pytest

from localiam.errors import AwsError
from localiam.services.awslambda import code
from localiam.state.bodies import BodyStore


def package(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


@pytest.mark.parametrize("name", ["../escape.py", "/etc/cron.d/x", "a/../../b.py", "..\\win.py", "C:/x.py"])
def test_entries_outside_the_package_are_refused_on_upload(name: str) -> None:
    with pytest.raises(AwsError) as raised:
        code.check_zip(package({"app.py": "x = 1\n", name: "pwned\n"}))
    assert raised.value.code == "InvalidParameterValueException"
    assert str(raised.value) == "Could not unzip uploaded file. Please check your file, then try to upload again."


def test_a_normal_package_passes_with_its_sha256() -> None:
    data = package({"app.py": "x = 1\n", "pkg/mod.py": "y = 2\n", "pkg/..data": "dots in a name are fine\n"})
    assert code.check_zip(data) == (sha(data), len(data))


def writable(path: Path) -> list[str]:
    found = []
    for directory, dirs, files in os.walk(path):
        for name in [directory, *(os.path.join(directory, f) for f in files + dirs)]:
            if os.lstat(name).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH | stat.S_IRWXG | stat.S_IRWXO):
                found.append(name)
    return found


def test_code_is_unpacked_per_version_read_only_and_removed_with_its_last_worker(tmp_path: Path) -> None:
    bodies = BodyStore(tmp_path)
    data = package({"app.py": "def handler(e, c):\n    return 1\n", "bin/tool": "#!/bin/sh\n"})
    ref = code.store_zip(bodies, data)
    v1 = code.PackageCode(bodies, ref.id, sha(data), "arn:aws:lambda:us-east-1:1:function:f:1")
    v2 = code.PackageCode(bodies, ref.id, sha(data), "arn:aws:lambda:us-east-1:1:function:f:2")
    first, second = v1.acquire(), v1.acquire()
    assert first == second and (first / "app.py").read_text().startswith("def handler")
    assert v2.acquire() != first  # another version never shares files
    assert writable(first) == []
    assert oct(stat.S_IMODE((first / "app.py").stat().st_mode)) == oct(0o400)
    v1.release()
    assert first.exists()  # one worker still holds it
    v1.release()
    assert not first.exists()
    v2.release()
    assert first not in code.holders() and v2.path() not in code.holders() and not v2.path().exists()


def test_a_package_that_no_longer_matches_its_code_sha256_is_not_run(tmp_path: Path) -> None:
    bodies = BodyStore(tmp_path)
    good = package({"app.py": "x = 1\n"})
    ref = code.store_zip(bodies, package({"app.py": "import os; os.system('evil')\n"}))
    source = code.PackageCode(bodies, ref.id, sha(good), "arn:aws:lambda:us-east-1:1:function:f:$LATEST")
    with pytest.raises(AwsError) as raised:
        source.acquire()
    assert (raised.value.code, raised.value.status) == ("InvalidZipFileException", 502)
    assert not source.path().exists() and source.path() not in code.holders()


def test_code_left_by_a_process_that_is_gone_is_removed(tmp_path: Path) -> None:
    root = tmp_path / "lambda-code"
    root.mkdir()
    stale = root / "run-stale"
    (stale / "abc").mkdir(parents=True)
    (stale / "abc" / "app.py").write_text("tampered\n")
    os.chmod(stale / "abc", 0o500)
    (stale / ".lock").write_text("")
    live = root / "run-live"
    live.mkdir()
    fd = os.open(live / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another process still runs
    try:
        code._remove_stale(root)
        assert not stale.exists() and live.exists()
    finally:
        os.close(fd)
