"""Durability of S3 objects: ``localiam serve`` killed with SIGKILL while bodies stream in, and
started again on the same data directory, keeps every acknowledged object whole and nothing
partial, and its start-up sweep leaves no garbage under ``<data-dir>/objects``.

The real CLI runs as a subprocess. First, with the server idle, a failed upload (a wrong
Content-MD5) and a dropped one (the client hangs up halfway through the body) must leave no
object and no file. Then client threads drive boto3 against one bucket:

- two threads PutObject fresh keys, each key naming the seed and size its body is derived from,
  and a third does the same with a body boto3 streams slowly (aws-chunked, unsigned payload), so
  that the kill very likely finds a body half-written;
- two threads PutObject over and over to ONE shared key (concurrent writers to one key);
- one thread runs multipart uploads (two parts of 5 MiB and a small last one) and completes them.

Each request answered 200 is recorded as acknowledged. The server is killed at a random moment,
restarted, and checked through the API and on disk:

- every acknowledged object is there and GetObject returns exactly the bytes sent (length, MD5,
  ETag), with the metadata of the same request;
- every object listed was sent by a client and holds one complete body sent for its key: a
  fresh key the body its name derives, the shared key the last body some writer had
  acknowledged or the body some writer had in flight (never a mix, a truncation or an older one),
  a multipart key the concatenation of its parts;
- an object that was not acknowledged is there only if its request was in flight at the kill;
- ListMultipartUploads lists exactly the uploads created and not completed (the one whose
  completion was in flight is listed or completed, never both nor neither), each with the parts
  acknowledged (and possibly the one in flight), and those parts complete into the right object;
- no ``.tmp`` file remains, the body files under ``objects/??/`` are exactly the bodies the
  object rows name, and ``objects/uploads/`` holds a directory only for a listed upload, with one
  file per listed part and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import random
import signal
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from durability_helpers import Served

boto3 = pytest.importorskip("boto3")
from botocore.auth import S3SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

BUCKET = "durable"
SHARED = "shared"
FRESH_THREADS = 2
SHARED_THREADS = 2
LOAD_SECONDS = (2.5, 4.0)  # the kill comes at a random moment in this window
MIN_ACKED = 10
KIB, MIB = 1024, 1024 * 1024
SIZES = (KIB, 3 * MIB)
PART = 5 * MIB
LAST_PART = (KIB, 64 * KIB)
SLOW_SIZES = (256 * KIB, MIB)
TRICKLE_PIECE, TRICKLE_PAUSE = 64 * KIB, 0.02


# ----------------------------------------------------------------------------- bodies
def _body(seed: int, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _parts(seed: int, last: int) -> list[bytes]:
    """The parts of the multipart upload ``mp/...-<seed>-<last>``."""
    return [_body(seed * 4 + 1, PART), _body(seed * 4 + 2, PART), _body(seed * 4 + 3, last)]


def _multipart_etag(parts: list[bytes]) -> str:
    digests = b"".join(hashlib.md5(p, usedforsecurity=False).digest() for p in parts)
    return f"{_md5(digests)}-{len(parts)}"


@dataclass(frozen=True)
class Put:
    """One body sent for a key: its seed (also sent as metadata), size, MD5 and ETag."""

    key: str
    seed: int
    size: int
    md5: str
    etag: str


def _fresh_put(key: str) -> Put:
    """A fresh key is ``f<thread>/<step>-<seed>-<size>``: its body is derived from the name."""
    _, seed, size = key.rsplit("-", 2)
    md5 = _md5(_body(int(seed), int(size)))
    return Put(key, int(seed), int(size), md5, md5)


def _multipart_put(key: str) -> Put:
    """A multipart key is ``mp/<step>-<seed>-<last part size>``."""
    _, seed, last = key.rsplit("-", 2)
    parts = _parts(int(seed), int(last))
    data = b"".join(parts)
    return Put(key, int(seed), len(data), _md5(data), _multipart_etag(parts))


def _client(endpoint: str, creds: dict[str, str], *, sign_payload: bool = True) -> Any:
    """An S3 client that does not retry. Over http boto3 signs the payload, reading a body whole
    before it sends it; ``sign_payload=False`` streams it as it is read (aws-chunked)."""
    s3_config: dict[str, Any] = {"addressing_style": "path"}
    if not sign_payload:
        s3_config["payload_signing_enabled"] = False
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=15, s3=s3_config),
    )


# ----------------------------------------------------------------------------- on disk
def _objects_dir(data_dir: Path) -> Path:
    return data_dir / "objects"


def _tmp_files(data_dir: Path) -> list[str]:
    root = _objects_dir(data_dir)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.name.endswith(".tmp"))


def _body_files(data_dir: Path) -> set[str]:
    """Names of the files under ``objects/??/``."""
    root = _objects_dir(data_dir)
    return {p.name for sub in root.iterdir() if len(sub.name) == 2 and sub.is_dir() for p in sub.iterdir()}


def _upload_dirs(data_dir: Path) -> dict[str, set[str]]:
    uploads = _objects_dir(data_dir) / "uploads"
    return {d.name: {p.name for p in d.iterdir()} for d in uploads.iterdir()}


def _body_refs(data_dir: Path) -> set[str]:
    """The body ids the object rows name, read from the database (the server may be running)."""
    db = sqlite3.connect(f"file:{data_dir / 'localiam.db'}?mode=ro", uri=True)
    try:
        return {str(r[0]) for r in db.execute("SELECT body_ref FROM s3_objects")}
    finally:
        db.close()


def _part_files(data_dir: Path, upload_id: str) -> set[str]:
    """The file names of the part uploads the part rows of ``upload_id`` name (each upload of a
    part is a file of its own, ``<nnnnn>.<tag>``)."""
    db = sqlite3.connect(f"file:{data_dir / 'localiam.db'}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT body_ref FROM s3_parts WHERE upload_id = ?", (upload_id,))
        return {str(r[0]).rsplit("/", 1)[1] for r in rows}
    finally:
        db.close()


def _leftovers(data_dir: Path, db: sqlite3.Connection) -> int:
    """Files a crash left for the start-up sweep: temporary files, bodies and parts no row
    names, and the directories of uploads no row names."""
    refs = {str(r[0]) for r in db.execute("SELECT body_ref FROM s3_objects")}
    parts = {str(r[0]) for r in db.execute("SELECT body_ref FROM s3_parts")}
    uploads = {str(r[0]) for r in db.execute("SELECT upload_id FROM s3_uploads")}
    orphans = {name for name in _body_files(data_dir) if not name.endswith(".tmp")} - refs
    stray_parts = {
        f"{upload}/{name}"
        for upload, names in _upload_dirs(data_dir).items()
        if upload in uploads
        for name in names
        if not name.endswith(".tmp")
    } - parts
    return len(_tmp_files(data_dir)) + len(orphans) + len(stray_parts) + len(set(_upload_dirs(data_dir)) - uploads)


def _wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


# ----------------------------------------------------------------------------- failed and dropped uploads
def _dropped_put(served: Served, creds: dict[str, str], data_dir: Path, key: str, body: bytes) -> None:
    """Send a signed PutObject, then hang up halfway through the body, once the server is
    writing it to a temporary file."""
    request = AWSRequest(
        method="PUT",
        url=f"{served.endpoint}/{BUCKET}/{key}",
        data=body,
        headers={"Content-Length": str(len(body))},
    )
    S3SigV4Auth(Credentials(creds["AccessKeyId"], creds["SecretAccessKey"]), "s3", "us-east-1").add_auth(request)
    head = [f"PUT /{BUCKET}/{key} HTTP/1.1", f"Host: 127.0.0.1:{served.port}"]
    head += [f"{k}: {v}" for k, v in request.headers.items() if k.lower() != "host"]
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as s:
        s.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        s.sendall(body[: len(body) // 2])
        assert _wait_for(lambda: bool(_tmp_files(data_dir))), "the server did not start writing the body"


def _check_failed_and_dropped_uploads(served: Served, creds: dict[str, str], data_dir: Path) -> None:
    s3 = _client(served.endpoint, creds)
    body = _body(1, 2 * MIB)
    wrong = base64.b64encode(hashlib.md5(b"something else", usedforsecurity=False).digest()).decode()
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=BUCKET, Key="failed", Body=body, ContentMD5=wrong)
    assert caught.value.response["Error"]["Code"] == "BadDigest"
    _dropped_put(served, creds, data_dir, "dropped", body)
    # The server notices the hang-up asynchronously; give it a moment to abort the writer.
    clean = _wait_for(lambda: not _tmp_files(data_dir) and not _body_files(data_dir))
    assert clean, f"a failed or dropped upload left files: {_tmp_files(data_dir)} {sorted(_body_files(data_dir))}"
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0
    assert served.proc.poll() is None


# ----------------------------------------------------------------------------- client threads
@dataclass
class Ledger:
    """What one client thread sent, which of it was acknowledged, and how it stopped."""

    sent: list[Put] = field(default_factory=list)
    acked: list[Put] = field(default_factory=list)
    error: tuple[float, BaseException] | None = None

    @property
    def in_flight(self) -> Put | None:
        if self.sent and (not self.acked or self.sent[-1] is not self.acked[-1]):
            return self.sent[-1]
        return None


@dataclass
class MultipartLedger(Ledger):
    created: dict[str, str] = field(default_factory=dict)  # upload id -> key
    parts: dict[str, dict[int, str]] = field(default_factory=dict)  # upload id -> part number -> MD5 acked
    in_flight_op: tuple[str, str, int] | None = None  # (operation, key, part number) of the request in flight
    in_flight_upload: str | None = None
    completed: set[str] = field(default_factory=set)


def _put(s3: Any, put: Put, body: bytes | io.BytesIO) -> None:
    answer = s3.put_object(Bucket=BUCKET, Key=put.key, Body=body, Metadata={"seed": str(put.seed)})
    assert answer["ETag"] == f'"{put.md5}"'


def _drive_fresh(s3: Any, n: int, ledger: Ledger, stop: threading.Event) -> None:
    rng = random.Random()
    i = 0
    while not stop.is_set():
        seed, size = rng.randrange(1 << 40), rng.randint(*SIZES)
        body = _body(seed, size)
        put = _fresh_put(f"f{n}/{i:04d}-{seed}-{size}")
        ledger.sent.append(put)
        _put(s3, put, body)
        ledger.acked.append(put)
        i += 1


class _Trickle(io.BytesIO):
    """A body boto3 reads in small pieces, slowly: the server is mid-body most of the time."""

    def read(self, n: int | None = -1) -> bytes:
        time.sleep(TRICKLE_PAUSE)
        return super().read(TRICKLE_PIECE if n is None or n < 0 else min(n, TRICKLE_PIECE))


def _drive_slow(s3: Any, n: int, ledger: Ledger, stop: threading.Event) -> None:
    rng = random.Random()
    i = 0
    while not stop.is_set():
        seed, size = rng.randrange(1 << 40), rng.randint(*SLOW_SIZES)
        put = _fresh_put(f"s{n}/{i:04d}-{seed}-{size}")
        ledger.sent.append(put)
        _put(s3, put, _Trickle(_body(seed, size)))
        ledger.acked.append(put)
        i += 1


def _drive_shared(s3: Any, n: int, ledger: Ledger, stop: threading.Event) -> None:
    rng = random.Random()
    while not stop.is_set():
        seed, size = rng.randrange(1 << 40), rng.randint(*SIZES)
        body = _body(seed, size)
        md5 = _md5(body)
        put = Put(SHARED, seed, size, md5, md5)
        ledger.sent.append(put)
        _put(s3, put, body)
        ledger.acked.append(put)


def _drive_multipart(s3: Any, n: int, ledger: MultipartLedger, stop: threading.Event) -> None:
    rng = random.Random()
    i = 0
    while not stop.is_set():
        seed, last = rng.randrange(1 << 40), rng.randint(*LAST_PART)
        key = f"mp/{i:04d}-{seed}-{last}"
        put = _multipart_put(key)
        parts = _parts(seed, last)
        ledger.in_flight_op, ledger.in_flight_upload = ("create", key, 0), None
        upload_id = s3.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
        ledger.created[upload_id] = key
        ledger.parts[upload_id] = {}
        ledger.in_flight_upload = upload_id
        etags = []
        for number, data in enumerate(parts, 1):
            ledger.in_flight_op = ("part", key, number)
            etag = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=number, Body=data)["ETag"]
            assert etag == f'"{_md5(data)}"'
            ledger.parts[upload_id][number] = _md5(data)
            etags.append({"PartNumber": number, "ETag": etag})
        ledger.in_flight_op = ("complete", key, 0)
        ledger.sent.append(put)
        answer = s3.complete_multipart_upload(
            Bucket=BUCKET, Key=key, UploadId=upload_id, MultipartUpload={"Parts": etags}
        )
        assert answer["ETag"] == f'"{put.etag}"'
        ledger.acked.append(put)
        ledger.completed.add(upload_id)
        ledger.in_flight_op, ledger.in_flight_upload = None, None
        i += 1


def _run(target: Callable[..., None], s3: Any, n: int, ledger: Ledger, stop: threading.Event) -> None:
    try:
        target(s3, n, ledger, stop)
    except BaseException as exc:  # the server is gone: the request in flight may or may not have committed
        ledger.error = (time.monotonic(), exc)


# ----------------------------------------------------------------------------- after the restart
def _read(s3: Any, key: str) -> tuple[int, str, str, dict[str, str]]:
    """Length, MD5, ETag and metadata of the object as GetObject returns it."""
    answer = s3.get_object(Bucket=BUCKET, Key=key)
    md5, size = hashlib.md5(usedforsecurity=False), 0
    for chunk in answer["Body"].iter_chunks(1 << 20):
        md5.update(chunk)
        size += len(chunk)
    assert size == answer["ContentLength"], f"{key}: {size} bytes read, Content-Length {answer['ContentLength']}"
    return size, md5.hexdigest(), answer["ETag"].strip('"'), answer.get("Metadata", {})


def _listed(s3: Any) -> dict[str, dict[str, Any]]:
    return {
        o["Key"]: o
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
        for o in page.get("Contents", [])
    }


def test_sigkill_during_uploads_keeps_acknowledged_objects_whole_and_leaves_no_garbage(served, tmp_path: Path) -> None:
    started = time.monotonic()
    data_dir = tmp_path / "data"
    first = served()
    creds = json.loads((data_dir / "root-credentials.json").read_text())
    _client(first.endpoint, creds).create_bucket(Bucket=BUCKET)
    _check_failed_and_dropped_uploads(first, creds, data_dir)

    fresh = [Ledger() for _ in range(FRESH_THREADS)]
    shared = [Ledger() for _ in range(SHARED_THREADS)]
    multipart = MultipartLedger()
    stop = threading.Event()
    jobs: list[tuple[Callable[..., None], int, Ledger]] = [(_drive_fresh, n, x) for n, x in enumerate(fresh)]
    jobs += [(_drive_shared, n, x) for n, x in enumerate(shared)]
    jobs.append((_drive_multipart, 0, multipart))
    slow = Ledger()
    jobs.append((_drive_slow, 0, slow))
    # Clients are made here: creating boto3 clients is not thread-safe.
    clients = [_client(first.endpoint, creds, sign_payload=target is not _drive_slow) for target, _, _ in jobs]
    threads = [
        threading.Thread(target=_run, args=(target, s3, n, ledger, stop), daemon=True)
        for (target, n, ledger), s3 in zip(jobs, clients, strict=True)
    ]
    ledgers = [ledger for _, _, ledger in jobs]
    for t in threads:
        t.start()
    kill_at = time.monotonic() + random.uniform(*LOAD_SECONDS)
    while time.monotonic() < kill_at or sum(len(x.acked) for x in fresh + shared) < MIN_ACKED:
        assert time.monotonic() - started < 20, "the server acknowledged too few uploads under load"
        assert all(x.error is None for x in ledgers), f"a client failed before the kill: {[x.error for x in ledgers]}"
        time.sleep(0.02)
    killed_at = time.monotonic()
    os.kill(first.proc.pid, signal.SIGKILL)
    first.proc.wait(timeout=10)
    stop.set()
    for t in threads:
        t.join(timeout=20)
        assert not t.is_alive(), "a client thread hung after the kill"
    assert first.proc.returncode == -signal.SIGKILL
    early = [x.error for x in ledgers if x.error is not None and x.error[0] < killed_at]
    assert not early, f"requests failed before the server was killed: {early}"

    with sqlite3.connect(data_dir / "localiam.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        leftovers = _leftovers(data_dir, db)

    second = served()
    s3 = _client(second.endpoint, creds)
    listed = _listed(s3)

    acked = {put for ledger in ledgers for put in ledger.acked}
    in_flight = {ledger.in_flight for ledger in ledgers} - {None}
    assert len(acked) >= MIN_ACKED

    # 1. Every acknowledged object of its own key is there, exactly as sent.
    own_keys = {put.key: put for put in acked if put.key != SHARED}
    missing = sorted(set(own_keys) - set(listed))
    assert not missing, f"acknowledged objects lost: {missing[:10]}"

    # 2. Every object listed was sent, holds one whole body sent for its key, and was
    #    acknowledged unless its request was in flight at the kill.
    expected: dict[str, set[Put]] = {}
    for key in listed:
        if key == SHARED:
            # The last write to commit wins: some writer's last acknowledged body or the body in flight.
            candidates = {x.acked[-1] for x in shared if x.acked} | {x.in_flight for x in shared if x.in_flight}
            expected[key] = candidates
        elif key.startswith("mp/"):
            expected[key] = {_multipart_put(key)}
        else:
            expected[key] = {_fresh_put(key)}
        assert expected[key] & (acked | in_flight), f"{key} was listed but never sent (or not the latest)"
    found_puts: set[Put] = set()
    for key, obj in listed.items():
        size, md5, etag, metadata = _read(s3, key)
        matches = [p for p in expected[key] if (p.size, p.md5, p.etag) == (size, md5, etag)]
        assert matches, f"{key}: {size} bytes, MD5 {md5}, ETag {etag}: not a body any client sent for it"
        (put,) = matches
        found_puts.add(put)
        assert (obj["Size"], obj["ETag"].strip('"')) == (put.size, put.etag), f"{key}: listed {obj}"
        assert put in acked or put in in_flight, f"{key}: unacknowledged and not in flight: {put}"
        if not key.startswith("mp/"):
            assert metadata == {"seed": str(put.seed)}, f"{key}: metadata {metadata} of another write"
    committed_in_flight = {p for p in found_puts if p not in acked}
    if any(x.acked for x in shared):
        assert SHARED in listed, "the shared key lost every acknowledged write"

    # 3. Multipart uploads: the ones created and not completed are listed, with their parts.
    uploads = {
        u["UploadId"]: u["Key"]
        for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=BUCKET)
        for u in page.get("Uploads", [])
    }
    op = multipart.in_flight_op
    completing = multipart.in_flight_upload if op is not None and op[0] == "complete" else None
    for upload_id, key in uploads.items():
        if upload_id not in multipart.created:
            assert op is not None and op[0] == "create" and key == op[1], f"upload {upload_id} of {key} never created"
        else:
            assert upload_id not in multipart.completed, f"completed upload {upload_id} is still listed"
    open_uploads = set(multipart.created) - multipart.completed - {completing}
    assert open_uploads <= set(uploads), f"uploads lost: {sorted(open_uploads - set(uploads))}"
    if completing is not None:
        key = multipart.created[completing]
        assert (completing in uploads) != (key in listed), f"{key}: completion half-done ({completing})"
    upload_parts: dict[str, dict[int, dict[str, Any]]] = {}
    for upload_id, key in uploads.items():
        found = {p["PartNumber"]: p for p in s3.list_parts(Bucket=BUCKET, Key=key, UploadId=upload_id).get("Parts", [])}
        upload_parts[upload_id] = found
        acked_parts = multipart.parts.get(upload_id, {})
        assert set(acked_parts) <= set(found), f"{key}: acknowledged parts lost"
        for number, part in found.items():
            if number not in acked_parts:
                assert op == ("part", key, number), f"{key}: part {number} was neither acknowledged nor in flight"
            _, seed, last = key.rsplit("-", 2)
            data = _parts(int(seed), int(last))[number - 1]
            assert (part["Size"], part["ETag"]) == (len(data), f'"{_md5(data)}"'), f"{key}: part {number} is wrong"

    # 4. No garbage on disk: no temporary file, a body file for each object row and nothing
    #    else, an upload directory only for a listed upload, holding its listed parts only.
    assert not _tmp_files(data_dir), f"temporary files survived the restart: {_tmp_files(data_dir)}"
    files, refs = _body_files(data_dir), _body_refs(data_dir)
    assert len(refs) == len(listed)
    assert files == refs, f"bodies no object names: {sorted(files - refs)}; objects without a body: {refs - files}"
    for upload_id, names in _upload_dirs(data_dir).items():
        assert upload_id in uploads, f"parts of an upload that does not exist: {upload_id} {sorted(names)}"
        listed_parts = _part_files(data_dir, upload_id)
        assert {int(name[:5]) for name in listed_parts} == set(upload_parts[upload_id])
        assert names == listed_parts, (
            f"upload {upload_id}: part files {sorted(names)} but parts {sorted(listed_parts)} "
            f"(a part file no part row names survived the start-up sweep)"
        )

    # 5. The parts that survived complete into the object they were uploaded for.
    for upload_id, key in uploads.items():
        found = upload_parts[upload_id]
        if not found:
            continue
        numbers = sorted(found)
        parts = [{"PartNumber": n, "ETag": found[n]["ETag"]} for n in numbers]
        s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})
        _, seed, last = key.rsplit("-", 2)
        data = [_parts(int(seed), int(last))[n - 1] for n in numbers]
        size, md5, etag, _ = _read(s3, key)
        assert (size, md5, etag) == (sum(map(len, data)), _md5(b"".join(data)), _multipart_etag(data)), key

    elapsed = time.monotonic() - started
    print(
        f"\nacknowledged {len(acked)} ({sum(len(x.acked) for x in fresh)} fresh, "
        f"{sum(len(x.acked) for x in shared)} shared, {len(slow.acked)} slow, {len(multipart.acked)} multipart); "
        f"in flight {len(in_flight)} object(s), {len(committed_in_flight)} of them committed, multipart op {op}; "
        f"listed {len(listed)} objects, {len(uploads)} open upload(s); {leftovers} leftover(s) for the sweep; "
        f"killed after {killed_at - started:.1f} s, total {elapsed:.1f} s"
    )
    assert elapsed < 40, "the durability test should stay under 40 s"
