"""S3 under load: presigned GetObject under ``wrk`` against ``moto_server``, and PutObject of
1 MiB bodies against writing the same bodies to files.

Run: ``.venv/bin/python bench/s3.py [--duration 10] [--connections 16] [--puts 200] [--no-moto]``.
Needs ``wrk`` on the PATH (Debian: ``apt-get install -y wrk``) and, for the comparison,
moto's server in the venv (``.venv/bin/pip install 'moto[server]'``; a bench-only tool, not a
localiam dependency).

localiam runs with a data dir in a temporary directory (real disk: bodies are files, fsynced
before the object is acknowledged), moto with its in-memory backend. In localiam, the root
user of the management account creates the bucket and puts a 4 KiB object; an IAM user whose
inline identity policy allows ``s3:GetObject`` and ``s3:PutObject`` on the bucket's objects
gets an access key.

- **GetObject:** the user presigns one GetObject URL with boto3 (SigV4, ``s3v4``, expires in
  3600 s) and ``wrk`` sends it over and over (a presigned URL is replayable until it expires).
  localiam verifies the signature and authorizes ``s3:GetObject`` with the engine on every
  request; moto checks neither. Before timing, each URL is fetched once with urllib and must
  answer 200 with the 4 KiB body, and in localiam the same URL presigned by a user without a
  policy must answer 403. Any non-2xx answer or socket error under ``wrk``, or fewer bytes read
  than 4 KiB per answer, stops the run.
- **PutObject:** the user puts ``--puts`` different 1 MiB bodies with boto3 (SigV4 header
  signing: botocore hashes the body for ``x-amz-content-sha256`` over plain HTTP, adds a CRC32
  checksum and ``Expect: 100-continue``), one after the other and then from 4 threads (a client
  each, made and connected before the clock starts), each under its own key; every answer's
  ETag must be the body's MD5. The baseline writes the same bodies to files in a temporary
  directory on the same file system: with an fsync per file (localiam fsyncs each body),
  without, and with localiam's whole commit of a body (temporary file, fsync, rename, fsync of
  the directory; localiam then also commits the object's row to SQLite, ``synchronous=FULL``).
  *bench CPU* is this process's CPU time (the boto3 client, or the file writes) per put.

This is a benchmark, not a test: it prints figures and never asserts on them (it does stop on
any failed request).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _stats
from server import (
    Server,
    add_wrk_options,
    server_cpu_seconds,
    start_localiam,
    start_moto,
    stop,
    tool_versions,
    wrk,
)
from server import client as server_client

BUCKET = "bench-bucket"
OBJECT_KEY = "data/object-4k"
OBJECT_SIZE = 4096
MIB = 1 << 20
PUT_THREADS = 4
FILE_MODES = (
    ("fsync", "file write + fsync"),
    ("none", "file write, no fsync"),
    ("commit", "file write + fsync + rename + dir fsync"),
)
USER_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::{BUCKET}/*"}
        ],
    }
)


def client(server: Server, service: str, key: str | None = None, secret: str | None = None) -> Any:
    return server_client(server, service, key, secret, signature_version="s3v4", s3={"addressing_style": "path"})


def make_s3_user(server: Server, name: str = "bench-s3", policy: str | None = USER_POLICY) -> tuple[str, str]:
    """An IAM user with an inline policy (by default: s3:GetObject and s3:PutObject on the
    bucket's objects); its access key."""
    iam: object = client(server, "iam")
    iam.create_user(UserName=name)  # type: ignore[attr-defined]
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="objects", PolicyDocument=policy)  # type: ignore[attr-defined]
    key = iam.create_access_key(UserName=name)["AccessKey"]  # type: ignore[attr-defined]
    return key["AccessKeyId"], key["SecretAccessKey"]


def setup_bucket(server: Server, body: bytes) -> None:
    """The root (moto: any caller) creates the bucket and puts the 4 KiB object."""
    s3: object = client(server, "s3")
    s3.create_bucket(Bucket=BUCKET)  # type: ignore[attr-defined]
    s3.put_object(Bucket=BUCKET, Key=OBJECT_KEY, Body=body)  # type: ignore[attr-defined]


def presign_get(s3: object) -> str:
    url = s3.generate_presigned_url(  # type: ignore[attr-defined]
        "get_object", Params={"Bucket": BUCKET, "Key": OBJECT_KEY}, ExpiresIn=3600
    )
    if "X-Amz-Signature=" not in url:
        raise SystemExit(f"not a SigV4 presigned URL: {url}")
    return str(url)


def check_get(url: str, body: bytes) -> None:
    """Fetch the presigned URL once: 200 and the object's bytes, or the run stops."""
    with urllib.request.urlopen(url, timeout=10) as resp:
        status, data = resp.status, resp.read()
    if status != 200 or data != body:
        raise SystemExit(f"GET {url}: status {status}, {len(data)} bytes (want 200 and the {len(body)}-byte object)")


def check_denied(server: Server) -> None:
    """The same GetObject presigned by a user without a policy must be refused (403): the
    figures are for requests that are really authorized."""
    url = presign_get(client(server, "s3", *make_s3_user(server, "bench-s3-none", None)))
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            status = resp.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    if status != 403:
        raise SystemExit(f"GET by a user without a policy: status {status}, want 403")


def run_wrk(url: str, args: argparse.Namespace, duration: int, *, verbose: bool = False) -> dict[str, float]:
    """``wrk`` on one URL; stops the run on any non-2xx answer, socket error or short body."""
    out, result, socket_errors = wrk(url, args.threads, args.connections, duration)
    if verbose:
        print(out)
    result["errors"] = result["non_2xx"]
    # wrk does not check bodies; its byte count (headers included, rounded) must at least hold
    # every 4 KiB body.
    result["bytes_per_response"] = result["read_bytes"] / result["requests"] if result["requests"] else 0.0
    if result["errors"] or socket_errors or result["bytes_per_response"] < OBJECT_SIZE * 0.99:
        print(out, file=sys.stderr)
        raise SystemExit(
            f"wrk on {url}: {int(result['errors'])} non-2xx answers, {socket_errors or 'no socket errors'}, "
            f"{result['bytes_per_response']:.0f} bytes per response"
        )
    return result


def timed(
    fn: Callable[[int], None], n: int, threads: int, init: Callable[[], None] | None = None
) -> tuple[float, list[float]]:
    """Wall time of fn(0..n-1), in order or from ``threads`` threads (each running ``init``
    first), and each call's time."""
    times = [0.0] * n

    def one(i: int) -> None:
        t0 = time.perf_counter()
        fn(i)
        times[i] = time.perf_counter() - t0

    start = time.perf_counter()
    if threads == 1:
        if init is not None:
            init()
        for i in range(n):
            one(i)
    else:
        with ThreadPoolExecutor(threads, initializer=init) as pool:
            list(pool.map(one, range(n)))
    return time.perf_counter() - start, times


def bench_puts(server: Server, key: str, secret: str, bodies: list[bytes], threads: int, prefix: str) -> dict[str, Any]:
    """PutObject each body under its own key; one boto3 client per thread, made (and its
    connection opened by an untimed put) before the clock starts."""
    digests = [hashlib.md5(b, usedforsecurity=False).hexdigest() for b in bodies]
    clients = [client(server, "s3", key, secret) for _ in range(threads)]
    local = threading.local()
    lock = threading.Lock()

    def put(s3: Any, i: int, name: str) -> None:
        out = s3.put_object(Bucket=BUCKET, Key=name, Body=bodies[i])
        if out["ETag"].strip('"') != digests[i]:
            raise SystemExit(f"PutObject {name}: ETag {out['ETag']}, want the body's MD5 {digests[i]}")

    for j, s3 in enumerate(clients):
        put(s3, j % len(bodies), f"{prefix}/warm-up-{j}")
    free = list(clients)

    def init() -> None:
        with lock:
            local.s3 = free.pop()

    cpu0, own0 = server_cpu_seconds(server.proc.pid), time.process_time()
    wall, times = timed(lambda i: put(local.s3, i, f"{prefix}/{i:05d}"), len(bodies), threads, init)
    cpu, own = server_cpu_seconds(server.proc.pid) - cpu0, time.process_time() - own0
    return {"wall": wall, "times": times, "bench_cpu": own, "server_cpu": cpu}


def delete_round(server: Server, prefix: str) -> None:
    """Delete a round's objects (untimed; the root, or moto's any caller, deletes), as
    ``bench_files`` removes its files after each round. On this VM, writing a MiB into page
    cache memory the guest has not used before costs the kernel about 2.5 ms (a file written
    into pages that a deleted file freed: about 0.2 ms), so a writer that keeps every body it
    wrote would be measured on other memory than one that deletes its files."""
    s3: Any = client(server, "s3")
    names = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=f"{prefix}/")
        for o in page.get("Contents", ())
    ]
    for start in range(0, len(names), 1000):
        batch = names[start : start + 1000]
        out = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": n} for n in batch], "Quiet": True})
        if out.get("Errors"):
            raise SystemExit(f"DeleteObjects under {prefix}/: {out['Errors'][:3]}")


def bench_presigned_puts(
    server: Server, key: str, secret: str, bodies: list[bytes], threads: int, prefix: str
) -> dict[str, Any]:
    """PutObject each body through a presigned URL (SigV4 query auth, ``UNSIGNED-PAYLOAD``)
    sent with ``http.client`` on one kept-alive connection per thread: what the server costs
    without boto3 hashing and checksumming each body on the same CPUs. The URLs are presigned
    before the clock starts; each answer must be 200 with the body's MD5 as ETag."""
    import boto3
    from botocore.config import Config as BotoConfig

    signer = boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=BotoConfig(signature_version="s3v4"),
    )
    names = [f"{prefix}/{i:05d}" for i in range(len(bodies))]
    urls = [
        signer.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": n}, ExpiresIn=3600) for n in names
    ]
    digests = [hashlib.md5(b, usedforsecurity=False).hexdigest() for b in bodies]
    port = int(server.endpoint.rsplit(":", 1)[1])
    local = threading.local()

    def init() -> None:
        local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def put(i: int) -> None:
        target = urllib.parse.urlsplit(urls[i])
        local.conn.request("PUT", f"{target.path}?{target.query}", body=bodies[i])
        answer = local.conn.getresponse()
        answer.read()
        etag = (answer.getheader("ETag") or "").strip('"')
        if answer.status != 200 or etag != digests[i]:
            raise SystemExit(f"presigned PUT {names[i]}: {answer.status}, ETag {etag!r}, want {digests[i]}")

    cpu0, own0 = server_cpu_seconds(server.proc.pid), time.process_time()
    wall, times = timed(put, len(bodies), threads, init)
    cpu, own = server_cpu_seconds(server.proc.pid) - cpu0, time.process_time() - own0
    return {"wall": wall, "times": times, "bench_cpu": own, "server_cpu": cpu}


def bench_files(directory: Path, bodies: list[bytes], threads: int, mode: str) -> dict[str, Any]:
    """Write each body to its own file: ``fsync`` (write, fsync, close), ``none`` (write, close)
    or ``commit`` (a temporary file, fsync, rename, fsync of the directory, as localiam does)."""
    directory.mkdir(parents=True, exist_ok=True)

    def write(i: int) -> None:
        final = directory / f"{i:05d}"
        path = directory / f"{i:05d}.{secrets.token_hex(4)}.tmp" if mode == "commit" else final
        with open(path, "wb") as f:
            f.write(bodies[i])
            if mode != "none":
                f.flush()
                os.fsync(f.fileno())
        if mode == "commit":
            os.rename(path, final)
            fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    own0 = time.process_time()
    wall, times = timed(write, len(bodies), threads)
    own = time.process_time() - own0
    shutil.rmtree(directory)
    return {"wall": wall, "times": times, "bench_cpu": own, "server_cpu": float("nan")}


def summarise(runs: list[dict[str, Any]]) -> dict[str, float]:
    """MiB/s of each round (1 MiB bodies): the median and the range; latency percentiles over
    every put of every round; CPU per put."""
    rates = sorted(len(r["times"]) / r["wall"] for r in runs)
    times = sorted(t for r in runs for t in r["times"])
    return {
        "mib_s": statistics.median(rates),
        "mib_s_min": rates[0],
        "mib_s_max": rates[-1],
        "p50_ms": _stats.percentile(times, 50) * 1000,
        "p99_ms": _stats.percentile(times, 99) * 1000,
        "bench_cpu_ms": 1000 * sum(r["bench_cpu"] for r in runs) / len(times),
        "server_cpu_ms": 1000 * sum(r["server_cpu"] for r in runs) / len(times),
    }


def file_system(path: Path) -> str:
    out = subprocess.run(["df", "-T", str(path)], capture_output=True, text=True, check=False).stdout.splitlines()
    fields = out[-1].split() if len(out) > 1 else []
    return f"{fields[1]} on {fields[0]}" if len(fields) > 1 else "unknown"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_wrk_options(ap, duration_help="seconds of wrk per server", threads=2)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--puts", type=int, default=200, help="1 MiB PutObjects per round")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of puts and file writes, interleaved")
    ap.add_argument("--no-moto", action="store_true")
    args = ap.parse_args(argv)
    wrk_version, moto_version = tool_versions()
    m = _stats.machine()

    servers: list[Server] = []
    gets: list[dict[str, object]] = []
    puts: list[dict[str, object]] = []
    obj = os.urandom(OBJECT_SIZE)
    bodies = [os.urandom(MIB) for _ in range(args.puts)]
    with tempfile.TemporaryDirectory(prefix="localiam-bench-s3-") as tmp:
        workdir = Path(tmp)
        print(
            f"machine: {m['nproc']} CPUs ({m['cpu']}), Python {m['python']}, {wrk_version}, moto {moto_version}, "
            f"{m['date']}; data dir and files on {file_system(workdir)}; "
            f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s after {args.warmup} s warm-up; "
            f"{args.rounds} rounds of {args.puts} x 1 MiB PutObject (MiB/s: median of the rounds)"
        )
        try:
            localiam = start_localiam(workdir / "data")
            servers.append(localiam)
            if not args.no_moto:
                moto = start_moto()
                if moto is not None:
                    servers.append(moto)
            users: dict[str, tuple[str, str]] = {}
            for server in servers:
                setup_bucket(server, obj)
                key, secret = (
                    make_s3_user(server) if server.name == "localiam" else (server.access_key, server.secret_key)
                )
                users[server.name] = (key, secret)
                url = presign_get(client(server, "s3", key, secret))
                check_get(url, obj)
                if server.name == "localiam":
                    check_denied(server)
                if args.warmup:
                    run_wrk(url, args, args.warmup)
                cpu0 = server_cpu_seconds(server.proc.pid)
                res = run_wrk(url, args, args.duration, verbose=args.verbose)
                res["server_cpu_pct"] = 100 * (server_cpu_seconds(server.proc.pid) - cpu0) / args.duration
                gets.append({"server": server.name, **res})
                if server.proc.poll() is not None:
                    raise SystemExit(f"{server.name} exited with {server.proc.returncode} under wrk")

            # Rounds interleave the servers and the file writes: this VM's disk speed drifts.
            runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
            for rnd in range(args.rounds):
                for threads in (1, PUT_THREADS):
                    for server in servers:
                        key, secret = users[server.name]
                        what = "PutObject (IAM user)" if server.name == "localiam" else "PutObject (in memory)"
                        res = bench_puts(server, key, secret, bodies, threads, f"put-{threads}-{rnd}")
                        runs.setdefault((f"{server.name} {what}", threads), []).append(res)
                        delete_round(server, f"put-{threads}-{rnd}")
                        if server.name == "localiam":
                            res = bench_presigned_puts(server, key, secret, bodies, threads, f"pre-{threads}-{rnd}")
                            runs.setdefault(("localiam PutObject, presigned, http.client", threads), []).append(res)
                            delete_round(server, f"pre-{threads}-{rnd}")
                    # The file modes take turns going first: whichever runs right after the
                    # servers' puts meets the memory and disk state they left behind.
                    for mode, what in FILE_MODES[rnd % 3 :] + FILE_MODES[: rnd % 3]:
                        res = bench_files(workdir / f"files-{mode}-{threads}-{rnd}", bodies, threads, mode)
                        runs.setdefault((what, threads), []).append(res)
            for threads in (1, PUT_THREADS):
                label = "sequential" if threads == 1 else f"{threads} threads"
                for (what, t), rounds in runs.items():
                    if t == threads:
                        puts.append({"what": what, "threads": label, **summarise(rounds)})
        finally:
            for server in servers:
                stop(server)

    print()
    _stats.print_table(
        ["server", "GetObject 4 KiB, presigned", "req/s", "p50 ms", "p90 ms", "p99 ms", "mean ms", "server CPU %"],
        [
            [
                g["server"],
                "IAM user, policy checked" if g["server"] == "localiam" else "no checks",
                g["rps"],
                g.get("p50_ms", float("nan")),
                g.get("p90_ms", float("nan")),
                g.get("p99_ms", float("nan")),
                g.get("mean_ms", float("nan")),
                g["server_cpu_pct"],
            ]
            for g in gets
        ],
    )
    by = {g["server"]: g for g in gets}
    if "moto" in by:
        ratio = float(by["localiam"]["rps"]) / float(by["moto"]["rps"])  # type: ignore[arg-type]
        print(f"GetObject: localiam / moto throughput = {ratio:.1f}x (goal: at least 5x)")
    print()
    _stats.print_table(
        ["1 MiB bodies", "threads", "MiB/s", "range", "p50 ms", "p99 ms", "bench CPU ms/put", "server CPU ms/put"],
        [
            [
                p["what"],
                p["threads"],
                p["mib_s"],
                f"{p['mib_s_min']:,.0f}-{p['mib_s_max']:,.0f}",
                p["p50_ms"],
                p["p99_ms"],
                p["bench_cpu_ms"],
                p["server_cpu_ms"],
            ]
            for p in puts
        ],
    )
    for label in ("sequential", f"{PUT_THREADS} threads"):
        copy = next(p for p in puts if p["threads"] == label and p["what"] == "file write + fsync")
        for client_kind in ("PutObject (IAM user)", "PutObject, presigned, http.client"):
            ours = next(p for p in puts if p["threads"] == label and p["what"] == f"localiam {client_kind}")
            ratio = float(copy["mib_s"]) / float(ours["mib_s"])  # type: ignore[arg-type]
            print(
                f"PutObject {label}, {client_kind}: the fsynced file write is {ratio:.2f}x localiam's MiB/s "
                "(goal: at most 2x)"
            )
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": m, "get": gets, "put": puts}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
