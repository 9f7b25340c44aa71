"""Deployment packages: checked, kept in the body store, and unpacked once per content for the
runtime (``<data-dir>/lambda-code/<sha256>/``, or a temporary directory for an in-memory
store). Lambda's limits (``gettingstarted-limits``): 50 MB zipped for a direct upload,
250 MB unzipped."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import tempfile
import threading
import zipfile
from pathlib import Path

from localiam.services.awslambda.common import error, invalid
from localiam.state.bodies import BodyRef, BodyStore

MAX_ZIPPED = 50 * 1024 * 1024
MAX_UNZIPPED = 250 * 1024 * 1024

_lock = threading.Lock()
_temp_root: Path | None = None


def check_zip(data: bytes) -> tuple[str, int]:
    """``(CodeSha256, CodeSize)`` of a package: base64 of its SHA-256, and its size. A package
    that is not a zip file is ``InvalidParameterValueException`` "Could not unzip uploaded
    file. Please check your file, then try to upload again."; one that unpacks to more than
    250 MB is "Unzipped size must be smaller than 262144000 bytes"."""
    if len(data) > MAX_ZIPPED:
        # Lambda checks the zip before the request since late 2023 (localstack/docs#933); the
        # request's own ceiling is localiam.wire.limits'.
        raise error("RequestEntityTooLargeException", f"Zipped size must be smaller than {MAX_ZIPPED} bytes", 413)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
            bad = archive.testzip()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise invalid("Could not unzip uploaded file. Please check your file, then try to upload again.") from None
    if bad is not None:
        raise invalid("Could not unzip uploaded file. Please check your file, then try to upload again.")
    if total > MAX_UNZIPPED:
        raise invalid(f"Unzipped size must be smaller than {MAX_UNZIPPED} bytes")
    return base64.b64encode(hashlib.sha256(data).digest()).decode(), len(data)


def store_zip(bodies: BodyStore, data: bytes) -> BodyRef:
    with bodies.writer() as writer:
        writer.write(data)
        return writer.commit()


def _root(bodies: BodyStore) -> Path:
    global _temp_root
    if bodies.dir is not None:
        return bodies.dir.parent / "lambda-code"
    with _lock:
        if _temp_root is None:
            _temp_root = Path(tempfile.mkdtemp(prefix="localiam-lambda-"))
        return _temp_root


def unpacked(bodies: BodyStore, code_ref: str, sha256: str) -> Path:
    """The package unpacked in a directory of its own (by content), made once: unpacked to a
    temporary directory and renamed into place, so a runtime never sees half a package."""
    digest = base64.b64decode(sha256).hex()
    target = _root(bodies) / digest
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{digest[:12]}-", dir=target.parent))
    try:
        with bodies.open(code_ref) as f, zipfile.ZipFile(f) as archive:
            for info in archive.infolist():
                path = (staging / info.filename).resolve()
                if not str(path).startswith(str(staging.resolve()) + os.sep) and path != staging.resolve():
                    raise invalid("Could not unzip uploaded file. Please check your file, then try to upload again.")
            archive.extractall(staging)
        try:
            os.rename(staging, target)
        except OSError:
            if not target.is_dir():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target
