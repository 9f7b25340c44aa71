"""Deployment packages: checked when they arrive, kept in the body store, and unpacked for the
workers that run them.

Lambda's limits (``gettingstarted-limits``): 50 MB zipped for a direct upload, 250 MB unzipped.
A package whose entries would land outside the function's directory (an absolute name, a ``..``
component: "zip slip") is refused when it arrives, by CreateFunction and UpdateFunctionCode.

Unpacked code (``<data-dir>/lambda-code/run-<random>/<digest>/``, or a temporary directory for an
in-memory store) is a cache that only this process uses and trusts:

* one directory per function version and content (a version never shares its files with another
  function, another account, or another version), made from the stored package after its
  SHA-256 has been checked against the version's ``CodeSha256``;
* read-only and the server's alone (files ``0400``, or ``0500`` when the zip marks them
  executable; directories ``0500``; a function's user is the server's user, mapped), and bound
  read-only into each sandbox at ``/var/task``;
* held by the workers that run it (:class:`PackageCode` is the runtime's
  :class:`~.runtime.CodeSource`) and removed when the last of them is gone: code that no version
  runs any more does not stay on disk, and code that was changed on disk does not outlive its
  workers;
* never reused across restarts: each process unpacks into a directory of its own, locked while
  it runs; what a process that is gone left behind is removed by the next one that starts.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import fcntl
import hashlib
import io
import os
import shutil
import tempfile
import threading
import zipfile
from pathlib import Path, PurePosixPath

from localiam.services.awslambda.common import error, invalid
from localiam.state.bodies import BodyRef, BodyStore

MAX_ZIPPED = 50 * 1024 * 1024
MAX_UNZIPPED = 250 * 1024 * 1024
UNZIP_FAILED = "Could not unzip uploaded file. Please check your file, then try to upload again."

_lock = threading.Lock()
_runs: dict[Path, Path] = {}
"""This process's unpacking directory, per cache root (``lambda-code/``)."""
_locks: dict[Path, int] = {}
_holders: dict[Path, int] = {}
"""Workers holding each unpacked directory."""
_guards: dict[Path, threading.Lock] = {}


def _unsafe_name(name: str) -> bool:
    """Whether a zip entry would be written outside the directory it is unpacked in."""
    if "\x00" in name or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return True
    return any(part == ".." for part in PurePosixPath(name.replace("\\", "/")).parts)


def check_zip(data: bytes) -> tuple[str, int]:
    """``(CodeSha256, CodeSize)`` of a package: base64 of its SHA-256, and its size. A package
    that is not a zip file, or whose entries would be written outside the function's directory,
    is ``InvalidParameterValueException`` "Could not unzip uploaded file. Please check your file,
    then try to upload again."; one that unpacks to more than 250 MB is "Unzipped size must be
    smaller than 262144000 bytes"."""
    if len(data) > MAX_ZIPPED:
        # Lambda checks the zip before the request since late 2023 (localstack/docs#933); the
        # request's own ceiling is localiam.wire.limits'.
        raise error("RequestEntityTooLargeException", f"Zipped size must be smaller than {MAX_ZIPPED} bytes", 413)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            total = sum(info.file_size for info in infos)
            unsafe = any(_unsafe_name(info.filename) for info in infos)
            bad = None if unsafe or total > MAX_UNZIPPED else archive.testzip()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise invalid(UNZIP_FAILED) from None
    if unsafe or bad is not None:
        raise invalid(UNZIP_FAILED)
    if total > MAX_UNZIPPED:
        raise invalid(f"Unzipped size must be smaller than {MAX_UNZIPPED} bytes")
    return base64.b64encode(hashlib.sha256(data).digest()).decode(), len(data)


def store_zip(bodies: BodyStore, data: bytes) -> BodyRef:
    with bodies.writer() as writer:
        writer.write(data)
        return writer.commit()


def _run_dir(bodies: BodyStore) -> Path:
    """This process's unpacking directory (made on first use; stale ones removed then)."""
    root = bodies.dir.parent / "lambda-code" if bodies.dir is not None else None
    key = root or Path("<memory>")
    with _lock:
        run = _runs.get(key)
        if run is not None:
            return run
        if root is None:
            run = Path(tempfile.mkdtemp(prefix="localiam-lambda-code-"))
        else:
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
            _remove_stale(root)
            run = Path(tempfile.mkdtemp(prefix="run-", dir=root))
            fd = os.open(run / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            _locks[run] = fd
        _runs[key] = run
        atexit.register(_remove, run)  # what workers still hold at exit goes too
        return run


def _remove_stale(root: Path) -> None:
    """Remove the unpacking directories of processes that are gone (their lock is free), and
    anything else there (the layout of earlier releases)."""
    for entry in root.iterdir():
        if entry.name.startswith("run-") and entry.is_dir():
            try:
                fd = os.open(entry / ".lock", os.O_RDWR)
            except FileNotFoundError:
                fd = -1
            except OSError:
                continue
            try:
                if fd >= 0:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a live process holds it
            finally:
                if fd >= 0:
                    os.close(fd)
        _remove(entry)


def _remove(path: Path) -> None:
    """Remove a file or a tree, read-only directories included."""
    if path.is_dir() and not path.is_symlink():
        for directory, _, _ in os.walk(path):
            with contextlib.suppress(OSError):
                os.chmod(directory, 0o700)
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def _unpack(bodies: BodyStore, code_ref: str, sha256: str, target: Path) -> None:
    """Unpack the stored package into ``target`` (which must not exist) if its SHA-256 is
    ``sha256``; read-only; via a staging directory renamed into place."""
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name[:12]}-", dir=target.parent))
    try:
        with bodies.open(code_ref) as f:
            data = f.read()
        if base64.b64encode(hashlib.sha256(data).digest()).decode() != sha256:
            raise error(
                "InvalidZipFileException",
                "Lambda was unable to unzip the deployment package: its SHA-256 does not match the function's "
                "CodeSha256.",
                502,
            )
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if _unsafe_name(info.filename):
                    raise invalid(UNZIP_FAILED)
                path = archive.extract(info, staging)
                if not info.is_dir():
                    executable = (info.external_attr >> 16) & 0o111
                    os.chmod(path, 0o500 if executable else 0o400)
        for directory, _, _ in os.walk(staging, topdown=False):
            os.chmod(directory, 0o500)
        os.rename(staging, target)
    finally:
        if staging.exists():
            _remove(staging)


class PackageCode:
    """One function version's package, unpacked while workers run it (a
    :class:`~.runtime.CodeSource`)."""

    def __init__(self, bodies: BodyStore, code_ref: str, sha256: str, version_arn: str) -> None:
        self._bodies = bodies
        self._code_ref = code_ref
        self._sha256 = sha256
        self.name = hashlib.sha256(f"{version_arn}\0{code_ref}\0{sha256}".encode()).hexdigest()

    def path(self) -> Path:
        return _run_dir(self._bodies) / self.name

    def acquire(self) -> Path:
        """The unpacked directory, unpacked now if no worker holds it; held until :meth:`release`."""
        target = self.path()
        with _guard(target):
            with _lock:
                held = _holders.get(target, 0)
            if held == 0:
                if target.exists():
                    _remove(target)  # left by workers that are gone: never trusted again
                _unpack(self._bodies, self._code_ref, self._sha256, target)
            with _lock:
                _holders[target] = held + 1
        return target

    def release(self) -> None:
        """One worker fewer; the directory is removed with the last one."""
        target = self.path()
        with _guard(target):
            with _lock:
                held = _holders.get(target, 0) - 1
                if held > 0:
                    _holders[target] = held
                    return
                _holders.pop(target, None)
            _remove(target)


def _guard(target: Path) -> threading.Lock:
    """The lock that orders the unpacking and removal of one directory."""
    with _lock:
        return _guards.setdefault(target, threading.Lock())


def holders() -> dict[Path, int]:
    """The unpacked directories and how many workers hold each (for tests and diagnostics)."""
    with _lock:
        return dict(_holders)
