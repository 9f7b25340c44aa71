"""Object body storage (``localiam.state.bodies``): streaming round trips, ranged reads, ETags,
multipart, abort, concurrency, crash recovery (sweep, SIGKILL) and bounded memory, on the disk
and the in-memory backends."""

from __future__ import annotations

import hashlib
import random
import signal
import subprocess
import sys
import textwrap
import threading
import tracemalloc
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from localiam.state.bodies import (
    BodyError,
    BodyNotFound,
    BodyRef,
    BodyStore,
    InvalidPart,
    InvalidPartOrder,
    multipart_etag,
    part_id,
)

MiB = 1024 * 1024


@pytest.fixture(params=["disk", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BodyStore:
    return BodyStore(tmp_path / "data" if request.param == "disk" else None)


@pytest.fixture
def disk(tmp_path: Path) -> BodyStore:
    return BodyStore(tmp_path / "data")


def data_of(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def put(store: BodyStore, data: bytes, chunk: int = 65536) -> BodyRef:
    with store.writer() as w:
        for i in range(0, len(data), chunk):
            w.write(data[i : i + chunk])
        return w.commit()


def read(store: BodyStore, ref: BodyRef | str, **kw: int) -> bytes:
    return b"".join(store.iter(ref, **kw))


def files(store: BodyStore) -> list[Path]:
    assert store.dir is not None
    return sorted(p for p in store.dir.rglob("*") if p.is_file())


# ---------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("size", [0, 1, 5 * MiB + 3])
def test_round_trip(store: BodyStore, size: int) -> None:
    data = data_of(size)
    ref = put(store, data, chunk=65536 if size > 1 else 1)
    assert ref.size == size
    assert ref.md5 == hashlib.md5(data).hexdigest()
    assert store.exists(ref) and store.exists(ref.id)
    assert read(store, ref) == data
    with store.open(ref.id) as f:
        assert f.read() == data
    assert list(store.refs()) == [ref.id]
    store.delete(ref)
    assert not store.exists(ref)
    store.delete(ref)  # idempotent
    with pytest.raises(BodyNotFound):
        store.open(ref)
    with pytest.raises(BodyNotFound):
        store.iter(ref)


def test_writer_hashes(store: BodyStore) -> None:
    data = data_of(300_000, seed=1)
    with store.writer(sha256=True, crc32=True) as w:
        w.write(data[:100])
        assert w.size == 100 and w.md5 == hashlib.md5(data[:100]).hexdigest()
        w.write(memoryview(data)[100:])
        ref = w.commit()
    assert ref == BodyRef(
        ref.id, len(data), hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest(), zlib.crc32(data)
    )
    plain = put(store, b"abc")
    assert plain.md5 == "900150983cd24fb0d6963f7d28e17f72" and plain.sha256 is None and plain.crc32 is None


def test_ranged_reads(store: BodyStore) -> None:
    data = data_of(200_000, seed=2)
    ref = put(store, data)
    assert read(store, ref, start=0, end=1) == data[:1]
    assert read(store, ref, start=1000, end=150_001) == data[1000:150_001]
    assert read(store, ref, start=199_999) == data[-1:]
    assert read(store, ref, end=10) == data[:10]
    assert read(store, ref, start=150_000, end=10**9) == data[150_000:]
    assert read(store, ref, start=200_000) == b""
    assert read(store, ref, start=10, end=5) == b""
    chunks = list(store.iter(ref, start=5, end=105, chunk=30))
    assert [len(c) for c in chunks] == [30, 30, 30, 10] and b"".join(chunks) == data[5:105]
    with pytest.raises(ValueError):
        store.iter(ref, start=-1)
    with pytest.raises(ValueError):
        store.iter(ref, chunk=0)
    with pytest.raises(ValueError):
        store.open("../../etc/passwd")


def test_unique_ids_and_concurrent_writers_to_one_key(store: BodyStore) -> None:
    """Writers for the same S3 key write interleaved; each gets its own complete body."""
    n = 8
    bodies = [data_of(1 * MiB + i, seed=10 + i) for i in range(n)]
    refs: list[BodyRef | None] = [None] * n
    barrier = threading.Barrier(n)

    def work(i: int) -> None:
        with store.writer() as w:
            barrier.wait()
            for j in range(0, len(bodies[i]), 4096):
                w.write(bodies[i][j : j + 4096])
            refs[i] = w.commit()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(ref is not None for ref in refs)
    assert len({ref.id for ref in refs if ref is not None}) == n
    for ref, body in zip(refs, bodies, strict=True):
        assert ref is not None and read(store, ref) == body and ref.md5 == hashlib.md5(body).hexdigest()
    if store.dir is not None:
        assert not [p for p in files(store) if p.name.endswith(".tmp")]


# ---------------------------------------------------------------------------- abort
def test_abort_and_exception_leave_nothing(store: BodyStore) -> None:
    w = store.writer()
    w.write(b"x" * 100_000)
    w.abort()
    w.abort()
    with pytest.raises(BodyError):
        w.write(b"more")
    with pytest.raises(BodyError):
        w.commit()

    with pytest.raises(RuntimeError, match="client went away"), store.writer() as w2:
        w2.write(b"partial" * 10_000)
        raise RuntimeError("client went away")

    with store.writer() as w3:  # leaving the block without commit aborts too
        w3.write(b"forgotten")

    assert list(store.refs()) == []
    if store.dir is not None:
        assert files(store) == []

    ref = put(store, b"kept")
    with pytest.raises(BodyError), store.writer() as w4:
        w4.write(b"x")
        w4.commit()
        w4.commit()
    assert set(store.refs()) == {ref.id, w4.ref_id}  # the first commit of w4 stands


# ---------------------------------------------------------------------------- multipart
def upload_parts(store: BodyStore, upload_id: str, parts: list[bytes]) -> list[tuple[int, str, str]]:
    """Upload each part; ``(number, part ref id, etag)`` of each, quoted ETags for odd parts."""
    listed = []
    for number, body in enumerate(parts, start=1):
        with store.part_writer(upload_id, number) as w:
            for i in range(0, len(body), 65536):
                w.write(body[i : i + 65536])
            ref = w.commit()
        assert ref.id.startswith(f"{upload_id}/{number:05d}.") and ref.md5 == hashlib.md5(body).hexdigest()
        assert ref.id == part_id(upload_id, number, ref.id.rsplit(".", 1)[1])
        listed.append((number, ref.id, f'"{ref.md5}"' if number % 2 else ref.md5))
    return listed


def test_multipart_complete(store: BodyStore) -> None:
    parts = [data_of(5 * MiB, seed=20), data_of(5 * MiB, seed=21), data_of(123, seed=22)]
    listed = upload_parts(store, "up-1", parts)
    ref, etag = store.complete("up-1", listed)
    expected = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + "-3"
    assert etag == expected == multipart_etag([hashlib.md5(p).digest() for p in parts])
    whole = b"".join(parts)
    assert ref.size == len(whole) and ref.md5 == hashlib.md5(whole).hexdigest()
    assert read(store, ref) == whole
    assert store.exists(listed[0][1])  # parts stay until the caller drops them
    store.abort_upload("up-1")
    assert not any(store.exists(ref_id) for _, ref_id, _ in listed)
    assert list(store.refs()) == [ref.id]
    if store.dir is not None:
        assert files(store) == [store.dir / ref.id[:2] / ref.id]


def test_multipart_replaced_part_and_subset(store: BodyStore) -> None:
    """A second upload of part 1 is a file of its own: the first stays readable until the
    caller deletes it (after the metadata commit that names the new one)."""
    first = upload_parts(store, "up-2", [b"old one", b"two", b"three"])
    listed = upload_parts(store, "up-2", [b"new one"])
    assert listed[0][1] != first[0][1] and read(store, first[0][1]) == b"old one"
    ref, etag = store.complete("up-2", [listed[0], (3, first[2][1], hashlib.md5(b"three").hexdigest())])
    assert read(store, ref) == b"new onethree"
    assert etag == multipart_etag([hashlib.md5(b"new one").digest(), hashlib.md5(b"three").digest()])


def test_multipart_errors_leave_no_body(store: BodyStore) -> None:
    listed = upload_parts(store, "up-3", [b"a" * 1000, b"b" * 1000])
    with pytest.raises(InvalidPart):
        store.complete("up-3", [listed[0], (2, listed[1][1], hashlib.md5(b"wrong").hexdigest())])
    with pytest.raises(InvalidPart):
        store.complete("up-3", [listed[0], (7, part_id("up-3", 7, "0" * 16), "0" * 32)])
    with pytest.raises(InvalidPart):  # a ref of another part number
        store.complete("up-3", [listed[0], (3, listed[1][1], listed[1][2])])
    with pytest.raises(InvalidPart):
        store.complete("up-3", [])
    with pytest.raises(InvalidPartOrder):
        store.complete("up-3", [listed[1], listed[0]])
    with pytest.raises(InvalidPartOrder):
        store.complete("up-3", [listed[0], listed[0]])
    with pytest.raises(ValueError):
        store.part_writer("up-3", 0)
    with pytest.raises(ValueError):
        store.part_writer("../x", 1)
    assert list(store.refs()) == []
    if store.dir is not None:
        assert not [p for p in files(store) if p.name.endswith(".tmp")]


def test_abort_upload_removes_everything(store: BodyStore) -> None:
    listed = upload_parts(store, "up-4", [b"one", b"two"])
    pending = store.part_writer("up-4", 3)
    pending.write(b"in flight")
    pending.abort()
    store.abort_upload("up-4")
    store.abort_upload("up-4")  # idempotent
    assert not store.exists(listed[0][1]) and not store.exists(listed[1][1])
    with pytest.raises(InvalidPart):
        store.complete("up-4", [(1, listed[0][1], hashlib.md5(b"one").hexdigest())])
    if store.dir is not None:
        assert files(store) == [] and not (store.dir / "uploads" / "up-4").exists()


# ---------------------------------------------------------------------------- crash recovery
def test_sweep(disk: BodyStore) -> None:
    assert disk.dir is not None
    known = put(disk, b"known")
    orphan = put(disk, b"orphan")
    in_flight = disk.writer()
    in_flight.write(b"half")  # a crash mid-write leaves this temp file
    (live,) = upload_parts(disk, "live", [b"p1"])
    (dead,) = upload_parts(disk, "dead", [b"p1"])
    (unnamed,) = upload_parts(disk, "live", [b"p1 again"])  # committed, metadata never was
    part_tmp = disk.part_writer("live", 2)
    part_tmp.write(b"half a part")
    stranger = disk.dir / "README"
    stranger.write_text("not ours")

    known_ids = {known.id, live[1]}
    assert disk.sweep(known_ids, {"live"}, grace=3600) == 0  # everything is too young
    assert disk.sweep(known_ids, {"live"}) == 5
    assert disk.exists(known) and read(disk, known) == b"known"
    assert not disk.exists(orphan)
    assert disk.exists(live[1]) and not disk.exists(dead[1]) and not disk.exists(unnamed[1])
    assert not (disk.dir / "uploads" / "dead").exists()
    assert stranger.exists()
    assert not [p for p in files(disk) if p.name.endswith(".tmp")]
    assert disk.sweep(known_ids) == 0


def test_sweep_memory() -> None:
    store = BodyStore(None)
    known, orphan = put(store, b"known"), put(store, b"orphan")
    (live,) = upload_parts(store, "live", [b"x"])
    (dead,) = upload_parts(store, "dead", [b"y"])
    (unnamed,) = upload_parts(store, "live", [b"x again"])
    assert store.sweep({known.id, live[1]}, {"live"}) == 3
    assert list(store.refs()) == [known.id] and not store.exists(orphan)
    assert store.exists(live[1]) and not store.exists(dead[1]) and not store.exists(unnamed[1])


CRASHING_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from localiam.state.bodies import BodyStore

    store = BodyStore(Path(sys.argv[1]))
    with store.writer() as w:
        w.write(b"acknowledged")
        acked = w.commit()          # ... and its metadata committed
    with store.writer() as w:
        w.write(b"orphan")
        orphan = w.commit()         # killed before its metadata commit
    print(acked.id, orphan.id, flush=True)
    w = store.writer()
    for _ in range(16):
        w.write(b"x" * 65536)
    print("writing", flush=True)
    time.sleep(60)
    """
)


def test_sigkill_while_writing(tmp_path: Path) -> None:
    root = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-c", CRASHING_WRITER, str(root)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        acked, orphan = proc.stdout.readline().split()
        assert proc.stdout.readline().strip() == "writing"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL

    store = BodyStore(root)  # the restart
    assert set(store.refs()) == {acked, orphan}  # the killed write committed nothing
    assert len([p for p in files(store) if p.name.endswith(".tmp")]) == 1
    assert store.sweep({acked}) == 2
    assert list(store.refs()) == [acked] and read(store, acked) == b"acknowledged"
    assert store.dir is not None and files(store) == [store.dir / acked[:2] / acked]


# ---------------------------------------------------------------------------- memory
@pytest.fixture
def traced() -> Iterator[None]:
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()


def test_memory_stays_bounded(disk: BodyStore, traced: None) -> None:
    chunk = b"\x5a" * 65536
    n = 50 * MiB // len(chunk)
    tracemalloc.reset_peak()
    with disk.writer() as w:
        for _ in range(n):
            w.write(chunk)
        ref = w.commit()
    _, peak_write = tracemalloc.get_traced_memory()
    assert ref.size == 50 * MiB
    assert peak_write < 1 * MiB, peak_write

    tracemalloc.reset_peak()
    expected = hashlib.md5()
    for _ in range(n):
        expected.update(chunk)
    assert ref.md5 == expected.hexdigest()
    total = 0
    for block in disk.iter(ref):
        total += len(block)
    _, peak_read = tracemalloc.get_traced_memory()
    assert total == 50 * MiB
    assert peak_read < 1 * MiB, peak_read

    parts: list[tuple[int, str, str]] = []
    for number in (1, 2, 3):
        with disk.part_writer("big", number) as pw:
            for _ in range(5 * MiB // len(chunk)):
                pw.write(chunk)
            part = pw.commit()
            parts.append((number, part.id, part.md5))
    tracemalloc.reset_peak()
    whole, _ = disk.complete("big", parts)
    _, peak_complete = tracemalloc.get_traced_memory()
    assert whole.size == 15 * MiB
    assert peak_complete < 1 * MiB, peak_complete
