"""Write latency while Lambda functions sleep: Invoke must never hold the threads that writes need.

Run: ``.venv/bin/python bench/writes_while_functions_sleep.py [--functions 40] [--writes 150]
[--sleep 30] [--before PATH/TO/OTHER/venv/bin/localiam] [--json FILE]``.

``localiam serve`` runs on a data dir in a temporary directory. The management account's root
user makes ``--functions`` functions (one each: several functions, so that no invocation waits
for another's worker), each ``time.sleep(--sleep)`` and then returning, with a role trusting
``lambda.amazonaws.com``. Then, with one boto3 client, sequential writes that each commit a
transaction, on many distinct principals and resources (every write names a new one):

- IAM ``CreateUser`` (a new user each time), ``CreateAccessKey`` for it, ``PutUserPolicy`` on it;
- S3 ``CreateBucket`` (a new bucket each 10 writes) and ``PutObject`` (a new 1 KiB key each time).

The writes run twice: *idle* (no function running) and *while N functions sleep*: ``--functions``
threads each invoke one function synchronously (a boto3 client each, read timeout above the
sleep); the writes start once every function's worker runs (counted among the server's
processes), and only writes that start while every function still sleeps count (if a write
waits for the functions to end, it is the one write counted). Every write must succeed and every
invocation must return its payload.

``--before`` runs the same against another ``localiam`` executable (another checkout's venv, e.g.
the revision before Invoke got threads of its own) in the same run, for the side-by-side figure.
No peer server is compared: moto and LocalStack run Lambda functions only in Docker.

This is a benchmark, not a test: it prints figures and never asserts on them (it does stop on
any failed request).
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _stats
from server import VENV_BIN, Server, client, free_port, stop, wait_ready

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


def sleeper(seconds: float) -> bytes:
    source = (
        f"import time\n\ndef handler(event, context):\n    time.sleep({seconds})\n    return {{'slept': {seconds}}}\n"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


def start(executable: str, data_dir: Path) -> Server:
    port = free_port()
    proc = subprocess.Popen(
        [executable, "serve", "--data-dir", str(data_dir), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    endpoint = f"http://127.0.0.1:{port}"
    wait_ready(endpoint + "/_localiam/health", proc)
    creds = json.loads((data_dir / "root-credentials.json").read_text())
    name = f"localiam ({Path(executable).resolve().parents[2].name})"
    return Server(name, endpoint, proc, creds["AccessKeyId"], creds["SecretAccessKey"])


def writes(server: Server, n: int, tag: str, still_sleeping: threading.Event | None) -> list[float]:
    """Up to ``n`` writes on new principals and resources, each one's seconds; with
    ``still_sleeping``, only writes that start while every function still sleeps."""
    iam, s3 = client(server, "iam"), client(server, "s3")
    kept: list[float] = []
    bucket = ""
    for i in range(n):
        kind = i % 5
        sleeping = still_sleeping is None or still_sleeping.is_set()
        if not sleeping:
            break
        t0 = time.perf_counter()
        if kind == 0:
            iam.create_user(UserName=f"{tag}-user-{i}")
        elif kind == 1:
            iam.create_access_key(UserName=f"{tag}-user-{i - 1}")
        elif kind == 2:
            iam.put_user_policy(UserName=f"{tag}-user-{i - 2}", PolicyName="s3", PolicyDocument=POLICY)
        elif kind == 3 and i % 10 == 3:
            bucket = f"{tag}-bucket-{i}"
            s3.create_bucket(Bucket=bucket)
        else:
            s3.put_object(Bucket=bucket, Key=f"k/{i}", Body=b"x" * 1024)
        kept.append(time.perf_counter() - t0)
    return kept


def summary(times: list[float]) -> dict[str, float]:
    s = sorted(t * 1000 for t in times)
    return {
        "n": float(len(s)),
        "p50_ms": _stats.percentile(s, 50),
        "p90_ms": _stats.percentile(s, 90),
        "p99_ms": _stats.percentile(s, 99),
        "max_ms": s[-1],
    }


def running_workers(pid: int) -> int:
    from importlib import import_module

    return len(import_module("lambda").workers(pid))


def measure(executable: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="localiam-bench-writes-") as tmp:
        server = start(executable, Path(tmp) / "data")
        try:
            lam = client(server, "lambda")
            role = client(server, "iam").create_role(RoleName="sleeper", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
            package = sleeper(args.sleep)
            for n in range(args.functions):
                lam.create_function(
                    FunctionName=f"sleeper-{n}",
                    Runtime="python3.12",
                    Role=role,
                    Handler="app.handler",
                    Code={"ZipFile": package},
                    Timeout=int(args.sleep) + 60,
                )
            writes(server, 20, "warm", None)  # connections, caches
            rows.append({"server": server.name, "phase": "idle", **summary(writes(server, args.writes, "idle", None))})

            still = threading.Event()
            answers: list[Any] = []

            def call(n: int) -> None:
                own = client(server, "lambda", read_timeout=args.sleep + 120)
                answer = own.invoke(FunctionName=f"sleeper-{n}", Payload=b"{}")
                answers.append(json.loads(answer["Payload"].read()))

            threads = [threading.Thread(target=call, args=(n,), daemon=True) for n in range(args.functions)]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            while running_workers(server.proc.pid) < args.functions:
                if time.monotonic() - started > args.sleep:
                    raise SystemExit(f"only {running_workers(server.proc.pid)} functions started in {args.sleep} s")
                time.sleep(0.1)
            ready = time.monotonic() - started
            still.set()
            timer = threading.Timer(max(0.0, args.sleep - (time.monotonic() - started) - 0.5), still.clear)
            timer.start()
            during = writes(server, args.writes, "busy", still)
            timer.cancel()
            for thread in threads:
                thread.join(timeout=args.sleep + 180)
            if len(answers) != args.functions or any(a != {"slept": args.sleep} for a in answers):
                raise SystemExit(f"invocations answered {answers[:3]}... ({len(answers)} of {args.functions})")
            row = {"server": server.name, "phase": f"while {args.functions} functions sleep", **summary(during)}
            row["functions_started_s"] = ready
            rows.append(row)
        finally:
            stop(server)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--functions", type=int, default=40)
    ap.add_argument("--writes", type=int, default=150)
    ap.add_argument("--sleep", type=float, default=30.0, help="seconds each function sleeps")
    ap.add_argument("--before", help="another localiam executable, measured in the same run")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    m = _stats.machine()
    _stats.print_machine(m)
    rows = measure(str(VENV_BIN / "localiam"), args)
    if args.before:
        rows += measure(args.before, args)
    print(f"\n{args.writes} sequential writes (CreateUser, CreateAccessKey, PutUserPolicy, CreateBucket, PutObject):")
    _stats.print_table(
        ["server", "phase", "writes", "p50 ms", "p90 ms", "p99 ms", "max ms"],
        [[r["server"], r["phase"], int(r["n"]), r["p50_ms"], r["p90_ms"], r["p99_ms"], r["max_ms"]] for r in rows],
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": m, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
