"""S3 object bodies: content storage under ``<data-dir>/objects/``, apart from the database.

The database holds an object's metadata and the id of its body (:attr:`BodyRef.id`); this
module holds the bytes. Bodies are streamed in and out in chunks, never whole in memory.
:class:`BodyStore` with ``root=None`` keeps bodies in memory for the ephemeral store (same
API, no durability).

Layout (``root`` is the data dir)::

    lambda-code/                            unpacked Lambda packages (services/awslambda/code.py)
    objects/<id[:2]>/<id>                   a committed body; <id> is 32 random hex digits
    objects/<id[:2]>/<id>.tmp               a body being written
    objects/uploads/<upload-id>/<nnnnn>.<tag>       an upload of part nnnnn; <tag> is random
    objects/uploads/<upload-id>/<nnnnn>.<tag>.tmp   a part being written

Bodies are secrets as much as the database is: every directory here is created 0700 and every
file 0600 (by ``mkdir``'s and ``open``'s own mode, never changed afterwards), so no other user
of the machine can list or read them.

Every upload of a part gets a file of its own: a second upload of part 3 never touches the
file of the first, so until the metadata commit names the new one, the old one is intact
(the caller deletes the replaced file after that commit).

Durability protocol (what makes "acknowledged objects intact, no partial objects" hold):

1. :meth:`BodyStore.writer` opens a temporary file in the directory the body will live in and
   the caller streams the body into it (hashing as it goes: MD5 always, SHA-256/CRC32 on demand).
2. :meth:`BodyWriter.commit` fsyncs the file, renames it to its final name and fsyncs the
   directory. The final name is chosen when the writer starts and does not depend on the
   content or the S3 key, so concurrent writers to one key never see each other's data; the
   database decides which body the key ends up with.
3. Only then does the caller commit the metadata that names the body, and only after that
   does it answer the client.

A crash during step 1 or 2 leaves at most a ``.tmp`` file; a crash between 2 and 3 leaves a
committed body no metadata names (an orphan). :meth:`BodyStore.sweep`, run at startup with
the body ids the database knows, removes both. A crash after 3 loses nothing: the body was on
disk before the metadata said it exists. Deleting is the reverse: the caller commits the
metadata first and then :meth:`BodyStore.delete` s the body (not fsynced: a body that comes back
after a crash is an orphan for the next sweep).

Multipart uploads follow the same protocol per part. :meth:`BodyStore.complete` streams the
listed parts into one new committed body and leaves the parts in place, so a crash before the
metadata commit still lets the client retry; the caller drops them with
:meth:`BodyStore.abort_upload` once the completed object's metadata is committed.

ETags are computed here without quotes (the S3 layer adds them): the MD5 hex digest of the
body for a simple upload, and ``hex(md5(md5(part 1) + ... + md5(part N))) + "-N"`` (binary
part digests) for a multipart upload.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import logging
import os
import re
import secrets
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

log = logging.getLogger("localiam.state.bodies")

CHUNK = 65536
CACHED_BODY = 256 * 1024  # bodies up to this size are kept in memory once read (BodyStore.read)
CACHE_BYTES = 32 * 1024 * 1024
MAX_PART_NUMBER = 10000
UPLOADS = "uploads"
LAMBDA_CODE = "lambda-code"
TMP_SUFFIX = ".tmp"
DIR_MODE = 0o700
FILE_MODE = 0o600

_BODY_ID = re.compile(r"[0-9a-f]{32}")
_UPLOAD_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,255}")
_PART_ID = re.compile(r"(?P<upload>[A-Za-z0-9_][A-Za-z0-9._-]{0,255})/(?P<name>(?P<number>[0-9]{5})\.[0-9a-f]{16})")

Chunk = bytes | bytearray | memoryview


class BodyError(Exception):
    """A body operation failed."""


class BodyNotFound(BodyError):
    """No body (or part) with this id."""


class InvalidPart(BodyError):
    """A listed part is missing or its ETag does not match (S3 ``InvalidPart``)."""


class InvalidPartOrder(BodyError):
    """The listed part numbers are not in strictly ascending order (S3 ``InvalidPartOrder``)."""


@dataclass(frozen=True, slots=True)
class BodyRef:
    """A committed body (or multipart part): its id, size and digests (hex; CRC32 as int).

    ``id`` is what the metadata stores; :meth:`BodyStore.open` and friends take the ref or the id.
    """

    id: str
    size: int
    md5: str
    sha256: str | None = None
    crc32: int | None = None

    def __str__(self) -> str:
        return self.id


def part_id(upload_id: str, part_number: int, tag: str) -> str:
    """The id of one upload (``tag``, 16 hex digits) of part ``part_number`` of ``upload_id``
    (usable with :meth:`BodyStore.open`)."""
    _check_upload_id(upload_id)
    if isinstance(part_number, bool) or not isinstance(part_number, int) or not 1 <= part_number <= MAX_PART_NUMBER:
        raise ValueError(f"part number must be an integer from 1 to {MAX_PART_NUMBER}: {part_number!r}")
    return f"{upload_id}/{part_number:05d}.{tag}"


def multipart_etag(part_md5s: Sequence[bytes]) -> str:
    """S3's multipart ETag (unquoted) from the binary MD5 digests of the parts, in order."""
    return hashlib.md5(b"".join(part_md5s), usedforsecurity=False).hexdigest() + f"-{len(part_md5s)}"


def _check_upload_id(upload_id: str) -> None:
    if not isinstance(upload_id, str) or not _UPLOAD_ID.fullmatch(upload_id):
        raise ValueError(f"invalid upload id: {upload_id!r}")


def _bare_etag(etag: str) -> str:
    return etag.strip().strip('"').lower()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


class BodyWriter:
    """Streams one body (or part) into a temporary file; :meth:`commit` makes it durable.

    Use as a context manager: leaving the block without :meth:`commit` (by an exception or
    otherwise) aborts, which removes the temporary file."""

    def __init__(
        self,
        store: BodyStore,
        ref_id: str,
        tmp: Path | None,
        final: Path | None,
        sync_dirs: tuple[Path, ...],
        *,
        sha256: bool,
        crc32: bool,
    ) -> None:
        self._store = store
        self.ref_id = ref_id
        self._tmp = tmp
        self._final = final
        self._sync_dirs = sync_dirs
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._sha256 = hashlib.sha256() if sha256 else None
        self._crc32: int | None = 0 if crc32 else None
        self._size = 0
        self._done = False
        self._buffer: io.BytesIO | None = None
        self._file: BinaryIO | None = None
        if tmp is None:
            self._buffer = io.BytesIO()
        else:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            self._file = os.fdopen(fd, "wb")  # closed by commit/abort

    # ------------------------------------------------------------------ while writing
    def write(self, chunk: Chunk) -> None:
        if self._done:
            raise BodyError("write after commit or abort")
        sink = self._file if self._file is not None else self._buffer
        assert sink is not None
        sink.write(chunk)
        self._md5.update(chunk)
        if self._sha256 is not None:
            self._sha256.update(chunk)
        if self._crc32 is not None:
            self._crc32 = zlib.crc32(chunk, self._crc32)
        self._size += memoryview(chunk).nbytes

    @property
    def size(self) -> int:
        return self._size

    @property
    def md5(self) -> str:
        """MD5 hex digest of what was written so far (the ETag of a simple upload)."""
        return self._md5.hexdigest()

    @property
    def md5_digest(self) -> bytes:
        return self._md5.digest()

    @property
    def sha256(self) -> str | None:
        return None if self._sha256 is None else self._sha256.hexdigest()

    @property
    def crc32(self) -> int | None:
        return self._crc32

    # ------------------------------------------------------------------ ending
    def commit(self) -> BodyRef:
        """Make the body durable under its final name and return its ref."""
        if self._done:
            raise BodyError("commit after commit or abort")
        ref = BodyRef(self.ref_id, self._size, self.md5, self.sha256, self._crc32)
        if self._buffer is not None:
            self._done = True
            self._store._mem_put(self.ref_id, self._buffer.getvalue())
            self._buffer = None
            return ref
        assert self._file is not None and self._tmp is not None and self._final is not None
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            os.replace(self._tmp, self._final)
            for directory in self._sync_dirs:
                _fsync_dir(directory)
        except BaseException:
            self.abort()
            raise
        self._done = True
        return ref

    def abort(self) -> None:
        """Discard what was written (idempotent; does nothing after :meth:`commit`)."""
        if self._done:
            return
        self._done = True
        self._buffer = None
        if self._file is not None:
            self._file.close()
        if self._tmp is not None:
            _unlink(self._tmp)

    def __enter__(self) -> BodyWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.abort()


class BodyStore:
    """Object bodies under ``root/objects`` (``root`` is the data dir), or in memory when
    ``root`` is ``None``. Thread-safe; see the module docstring for the durability protocol."""

    def __init__(self, root: Path | None) -> None:
        self.dir: Path | None = None
        self._lock = threading.Lock()
        self._bodies: dict[str, bytes] = {}
        self._parts: dict[str, dict[str, bytes]] = {}
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cached = 0
        if root is None:
            return
        root = Path(root)
        root.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        self.dir = root / "objects"
        created = self._mkdir(self.dir)
        # The Lambda runtime unpacks packages here (services/awslambda/code.py); made private
        # now, so that nothing it unpacks is ever readable by other users.
        self._mkdir(root / LAMBDA_CODE)
        # Every fan-out directory exists before any body is committed into it, so a commit
        # only has to fsync the directory it renamed in.
        for i in range(256):
            created |= self._mkdir(self.dir / f"{i:02x}")
        created |= self._mkdir(self.dir / UPLOADS)
        if created:
            _fsync_dir(self.dir)
            _fsync_dir(root)

    def __repr__(self) -> str:
        return f"BodyStore({str(self.dir) if self.dir is not None else 'memory'})"

    @staticmethod
    def _mkdir(path: Path) -> bool:
        try:
            path.mkdir(mode=DIR_MODE)
        except FileExistsError:
            return False
        return True

    # ------------------------------------------------------------------ writing
    def writer(self, *, sha256: bool = False, crc32: bool = False) -> BodyWriter:
        """A writer for a new body under a fresh random id."""
        ref_id = secrets.token_hex(16)
        if self.dir is None:
            return BodyWriter(self, ref_id, None, None, (), sha256=sha256, crc32=crc32)
        directory = self.dir / ref_id[:2]
        final = directory / ref_id
        return BodyWriter(
            self, ref_id, final.with_name(ref_id + TMP_SUFFIX), final, (directory,), sha256=sha256, crc32=crc32
        )

    def part_writer(self, upload_id: str, part_number: int, *, sha256: bool = False, crc32: bool = False) -> BodyWriter:
        """A writer for a new upload of part ``part_number`` of ``upload_id``, in a file of its
        own (:func:`part_id` with a fresh tag): an earlier upload of the part stays until the
        caller deletes it, after the metadata commit that replaces it."""
        tag = secrets.token_hex(8)
        ref_id = part_id(upload_id, part_number, tag)
        if self.dir is None:
            return BodyWriter(self, ref_id, None, None, (), sha256=sha256, crc32=crc32)
        uploads = self.dir / UPLOADS
        directory = uploads / upload_id
        if self._mkdir(directory):
            _fsync_dir(uploads)
        final = directory / f"{part_number:05d}.{tag}"
        tmp = directory / f"{part_number:05d}.{tag}{TMP_SUFFIX}"
        # A concurrent writer of the same upload may have created the directory and not yet
        # fsynced ``uploads``: fsync it on every part commit too (parts are large; it is cheap).
        return BodyWriter(self, ref_id, tmp, final, (directory, uploads), sha256=sha256, crc32=crc32)

    def _mem_put(self, ref_id: str, data: bytes) -> None:
        with self._lock:
            match = _PART_ID.fullmatch(ref_id)
            if match is None:
                self._bodies[ref_id] = data
            else:
                self._parts.setdefault(match["upload"], {})[match["name"]] = data

    # ------------------------------------------------------------------ reading
    def _path(self, ref_id: str) -> Path:
        assert self.dir is not None
        if _BODY_ID.fullmatch(ref_id):
            return self.dir / ref_id[:2] / ref_id
        match = _PART_ID.fullmatch(ref_id)
        if match is None:
            raise ValueError(f"not a body or part id: {ref_id!r}")
        return self.dir / UPLOADS / match["upload"] / match["name"]

    def _mem_get(self, ref_id: str) -> bytes | None:
        with self._lock:
            if _BODY_ID.fullmatch(ref_id):
                return self._bodies.get(ref_id)
            match = _PART_ID.fullmatch(ref_id)
            if match is None:
                raise ValueError(f"not a body or part id: {ref_id!r}")
            return self._parts.get(match["upload"], {}).get(match["name"])

    def open(self, ref: BodyRef | str) -> BinaryIO:
        """The body, open for reading from the start. Raises :class:`BodyNotFound`."""
        ref_id = str(ref)
        if self.dir is None:
            data = self._mem_get(ref_id)
            if data is None:
                raise BodyNotFound(ref_id)
            return io.BytesIO(data)
        try:
            return open(self._path(ref_id), "rb")
        except FileNotFoundError:
            raise BodyNotFound(ref_id) from None

    def iter(
        self, ref: BodyRef | str, start: int | None = None, end: int | None = None, chunk: int = CHUNK
    ) -> Iterator[bytes]:
        """The bytes ``[start, end)`` of the body (``end`` exclusive and clamped to the size;
        HTTP's ``bytes=a-b`` is ``start=a, end=b+1``) in chunks of at most ``chunk`` bytes.

        The body is opened now (a missing body raises :class:`BodyNotFound` here, not on the
        first ``next``) and closed when the iterator is exhausted or closed."""
        if chunk <= 0:
            raise ValueError("chunk must be positive")
        if (start is not None and start < 0) or (end is not None and end < 0):
            raise ValueError("start and end must not be negative")
        f = self.open(ref)
        return self._iter(f, start or 0, end, chunk)

    @staticmethod
    def _iter(f: BinaryIO, start: int, end: int | None, chunk: int) -> Iterator[bytes]:
        with f:
            size = f.seek(0, io.SEEK_END)
            stop = size if end is None else min(end, size)
            remaining = stop - start
            if remaining <= 0:
                return
            f.seek(start)
            while remaining > 0:
                block = f.read(min(chunk, remaining))
                if not block:
                    raise BodyError(f"body shorter than expected ({remaining} bytes missing)")
                remaining -= len(block)
                yield block

    def read(self, ref: BodyRef | str, start: int = 0, end: int | None = None) -> bytes:
        """The bytes ``[start, end)`` of a body, whole in memory: for small bodies. Bodies of
        up to :data:`CACHED_BODY` bytes are kept in an LRU of :data:`CACHE_BYTES` (a body's
        bytes never change under its id; :meth:`delete` evicts it)."""
        ref_id = str(ref)
        with self._lock:
            data = self._cache.get(ref_id)
            if data is not None:
                self._cache.move_to_end(ref_id)
        if data is None:
            data = b"".join(self.iter(ref_id))
            if len(data) <= CACHED_BODY:
                with self._lock:
                    if ref_id not in self._cache:
                        self._cache[ref_id] = data
                        self._cached += len(data)
                        while self._cached > CACHE_BYTES:
                            _, evicted = self._cache.popitem(last=False)
                            self._cached -= len(evicted)
        return data[start:end]

    def exists(self, ref: BodyRef | str) -> bool:
        ref_id = str(ref)
        if self.dir is None:
            return self._mem_get(ref_id) is not None
        return self._path(ref_id).is_file()

    def delete(self, ref: BodyRef | str) -> None:
        """Remove a body (or part); a missing one is not an error. Call after the metadata
        commit that stops naming it."""
        ref_id = str(ref)
        with self._lock:
            evicted = self._cache.pop(ref_id, None)
            if evicted is not None:
                self._cached -= len(evicted)
        if self.dir is not None:
            _unlink(self._path(ref_id))
            return
        self._mem_get(ref_id)  # validates the id
        with self._lock:
            match = _PART_ID.fullmatch(ref_id)
            if match is None:
                self._bodies.pop(ref_id, None)
            else:
                self._parts.get(match["upload"], {}).pop(match["name"], None)

    def refs(self) -> Iterator[str]:
        """Ids of all committed bodies (not parts)."""
        if self.dir is None:
            with self._lock:
                ids = list(self._bodies)
            yield from ids
            return
        for sub in sorted(self.dir.iterdir()):
            if len(sub.name) != 2 or not sub.is_dir():
                continue
            for entry in sorted(sub.iterdir()):
                if _BODY_ID.fullmatch(entry.name) and entry.name.startswith(sub.name):
                    yield entry.name

    # ------------------------------------------------------------------ multipart
    def complete(self, upload_id: str, parts: Sequence[tuple[int, str, str]]) -> tuple[BodyRef, str]:
        """Concatenate the listed parts, streaming, into one new committed body.

        ``parts`` are ``(part_number, part ref id, etag)`` in strictly ascending order of part
        number; each ETag (quoted or not) must be the MD5 of the stored part. Returns the
        body's ref and the multipart ETag (unquoted). The parts stay until
        :meth:`abort_upload`: call it after the metadata commit.
        """
        _check_upload_id(upload_id)
        if not parts:
            raise InvalidPart("a multipart upload is completed with at least one part")
        numbers = [number for number, _, _ in parts]
        if any(b <= a for a, b in itertools.pairwise(numbers)):
            raise InvalidPartOrder("the list of parts was not in ascending order")
        digests: list[bytes] = []
        with self.writer() as out:
            for number, ref_id, etag in parts:
                match = _PART_ID.fullmatch(ref_id)
                if match is None or match["upload"] != upload_id or int(match["number"]) != number:
                    raise InvalidPart(f"{ref_id!r} is not part {number} of upload {upload_id}")
                try:
                    f = self.open(ref_id)
                except BodyNotFound:
                    raise InvalidPart(f"part {number} of upload {upload_id} was not found") from None
                part_md5 = hashlib.md5(usedforsecurity=False)
                with f:
                    while block := f.read(CHUNK):
                        part_md5.update(block)
                        out.write(block)
                if part_md5.hexdigest() != _bare_etag(etag):
                    raise InvalidPart(f"part {number} of upload {upload_id}: ETag {etag} does not match")
                digests.append(part_md5.digest())
            ref = out.commit()
        return ref, multipart_etag(digests)

    def abort_upload(self, upload_id: str) -> None:
        """Remove every part of ``upload_id`` (after an abort, or once a completion is committed)."""
        _check_upload_id(upload_id)
        if self.dir is None:
            with self._lock:
                self._parts.pop(upload_id, None)
            return
        directory = self.dir / UPLOADS / upload_id
        self._remove_tree(directory)

    @staticmethod
    def _remove_tree(directory: Path, grace: float = 0.0) -> int:
        removed = 0
        try:
            entries = list(directory.iterdir())
        except FileNotFoundError:
            return 0
        for entry in entries:
            if _old_enough(entry, grace) and _unlink(entry):
                removed += 1
        with contextlib.suppress(OSError):  # gone already, or a concurrent part writer added a file
            directory.rmdir()
        return removed

    # ------------------------------------------------------------------ crash recovery
    def sweep(
        self, known_refs: Collection[str], known_uploads: Collection[str] | None = None, *, grace: float = 0.0
    ) -> int:
        """Remove what a crash left behind; returns the number of files removed.

        Removes every temporary file, every committed body or part upload whose id is not in
        ``known_refs`` (an orphan: renamed into place, metadata never committed; give the ids
        of parts too) and, when ``known_uploads`` is given, the parts of every upload not in
        it. Run at startup, before any writer; with
        ``grace`` seconds only files older than that are touched, which keeps writers of other
        processes sharing the data dir safe.
        """
        known = {str(ref) for ref in known_refs}
        uploads = None if known_uploads is None else set(known_uploads)
        removed = 0
        if self.dir is None:
            with self._lock:
                for ref_id in [r for r in self._bodies if r not in known]:
                    del self._bodies[ref_id]
                    removed += 1
                if uploads is not None:
                    for upload_id in [u for u in self._parts if u not in uploads]:
                        removed += len(self._parts.pop(upload_id))
                for upload_id, stored in self._parts.items():
                    for name in [n for n in stored if f"{upload_id}/{n}" not in known]:
                        del stored[name]
                        removed += 1
            return removed
        for sub in self.dir.iterdir():
            if sub.name == UPLOADS and sub.is_dir():
                for upload in sub.iterdir():
                    if not upload.is_dir():
                        continue
                    if uploads is not None and upload.name not in uploads:
                        removed += self._remove_tree(upload, grace)
                        continue
                    for entry in upload.iterdir():
                        # A temporary file, or a part upload no metadata names (a crash
                        # between its commit here and its metadata commit).
                        unnamed = f"{upload.name}/{entry.name}" not in known
                        if (
                            (entry.name.endswith(TMP_SUFFIX) or unnamed)
                            and _old_enough(entry, grace)
                            and _unlink(entry)
                        ):
                            removed += 1
                continue
            if len(sub.name) != 2 or not sub.is_dir():
                continue
            for entry in sub.iterdir():
                name = entry.name
                orphan = _BODY_ID.fullmatch(name) is not None and name not in known
                if (orphan or name.endswith(TMP_SUFFIX)) and _old_enough(entry, grace) and _unlink(entry):
                    removed += 1
        if removed:
            log.info("swept %d leftover body file(s) from %s", removed, self.dir)
        return removed


def _old_enough(path: Path, grace: float) -> bool:
    if grace <= 0:
        return True
    try:
        return time.time() - path.stat().st_mtime >= grace
    except FileNotFoundError:
        return False
