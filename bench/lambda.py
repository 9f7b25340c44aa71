"""Lambda on ``localiam serve``: warm Invoke latency and throughput of a trivial handler.

Run: ``.venv/bin/python bench/lambda.py [--invokes 500] [--duration 10] [--connections 8,16] [--json FILE]``.
Needs ``wrk`` on the PATH (Debian: ``apt-get install -y wrk``). moto is not used.

localiam runs with a data dir in a temporary directory. The management account's root user
creates an execution role trusting ``lambda.amazonaws.com`` and a function (``python3.11``,
``app.handler`` returning ``{"ok": True}``, the zip built in memory); an IAM user whose inline
identity policy allows ``lambda:InvokeFunction`` on the function gets an access key. A user
without a policy must be refused (403) before anything is timed. The function is warmed up with
a few invokes (the first one is the cold start: a worker process imports the handler).

- **Sequential (boto3):** the user invokes the function ``--invokes`` times, one after the
  other, with one boto3 client (kept-alive connection). Each call's wall time covers signing,
  the HTTP round trip, the server's SigV4 check and authorization (``lambda:InvokeFunction``
  with the engine, the function policy as resource policy), its write transaction, the worker
  round trip, and reading the payload; every answer must be 200, ``{"ok": true}``, no
  ``FunctionError``. The same is done with ``InvocationType=DryRun`` (204: everything but the
  worker). *bench CPU*, *server CPU* and *worker CPU* are the CPU time per invoke of this
  process (boto3), of the server process and of its worker processes.
- **Throughput (wrk):** one Invoke (``POST /2015-03-31/functions/<name>/invocations``, body
  ``{}``) is signed with botocore's ``SigV4Auth`` for ``lambda`` right before each run and
  replayed byte for byte by ``wrk -t2`` with each ``--connections`` count for ``--duration``
  seconds (a SigV4 signature stays valid for 15 minutes), after ``--warmup`` seconds of untimed
  ``wrk``. A Lua ``response`` hook checks every answer: status 200, no ``X-Amz-Function-Error``,
  the body the handler returns. Any other answer, a non-2xx or a socket error stops the run.
  Then the DryRun request, at the highest connection count. *server CPU %* is the server
  process's CPU over the run (100% = one core), *worker CPU %* its worker processes'; *workers*
  is how many worker processes (children of the server running ``worker.py``) are alive after
  the run. The server keeps at most 4 warm workers per function; more concurrent invokes wait
  for one.
- **In-process:** ``Runtime.invoke`` called directly (``localiam.services.awslambda.runtime``,
  a ``FunctionSpec`` on a temporary code directory with the same handler), sequentially and from
  4 threads (the runtime's default of 4 workers per function): the worker round trip (pipes,
  the protocol's JSON metadata, the handler, the log markers) without HTTP, SigV4,
  authorization or the store. Run after the server has stopped.

This is a benchmark, not a test: it prints figures and never asserts on them (it does stop on
any failed request).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _stats
from server import (
    Server,
    add_wrk_options,
    client,
    lua_string,
    server_cpu_seconds,
    start_localiam,
    stop,
    tool_versions,
    wrk,
)

REGION = "us-east-1"
FUNCTION = "bench-fn"
ROLE = "bench-fn-role"
USER = "bench-invoker"
HANDLER_SOURCE = 'def handler(event, context):\n    return {"ok": True}\n'
EXPECTED = {"ok": True}
WARM_INVOKES = 5
RUNTIME_THREADS = 4
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def package() -> bytes:
    """The deployment package, built in memory: ``app.py`` with the handler."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app.py", HANDLER_SOURCE)
    return buffer.getvalue()


def setup_function(server: Server) -> str:
    """The root user creates the execution role and the function; its ARN."""
    iam = client(server, "iam")
    role = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    answer = client(server, "lambda").create_function(
        FunctionName=FUNCTION,
        Runtime="python3.11",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": package()},
    )
    return str(answer["FunctionArn"])


def make_user(server: Server, name: str, function_arn: str | None) -> tuple[str, str]:
    """An IAM user, with an inline policy allowing ``lambda:InvokeFunction`` on the function
    when ``function_arn`` is given; its access key."""
    iam = client(server, "iam")
    iam.create_user(UserName=name)
    if function_arn is not None:
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": function_arn}],
        }
        iam.put_user_policy(UserName=name, PolicyName="invoke", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def check_denied(server: Server) -> None:
    """A user without a policy must be refused: the figures are for authorized invokes."""
    from botocore.exceptions import ClientError

    lam = client(server, "lambda", *make_user(server, "bench-no-policy", None))
    try:
        lam.invoke(FunctionName=FUNCTION, Payload=b"{}")
    except ClientError as exc:
        status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
        if status == 403:
            return
        raise SystemExit(f"Invoke by a user without a policy: {status} {exc}") from None
    raise SystemExit("Invoke by a user without a policy succeeded; want 403")


def invoke_once(lam: Any, dry_run: bool = False) -> None:
    if dry_run:
        answer = lam.invoke(FunctionName=FUNCTION, InvocationType="DryRun")
        if answer["StatusCode"] != 204:
            raise SystemExit(f"DryRun: status {answer['StatusCode']}, want 204")
        return
    answer = lam.invoke(FunctionName=FUNCTION, Payload=b"{}")
    payload = json.loads(answer["Payload"].read())
    if answer["StatusCode"] != 200 or answer.get("FunctionError") or payload != EXPECTED:
        raise SystemExit(f"Invoke: status {answer['StatusCode']}, {answer.get('FunctionError')}, payload {payload}")


# -- the server's worker processes ------------------------------------------------------------


def children(pid: int) -> list[int]:
    """The process's children (from ``/proc/<pid>/task/*/children``, else ``pgrep -P``)."""
    found: set[int] = set()
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                found.update(int(c) for c in (task / "children").read_text().split())
            except OSError:
                continue
    except OSError:
        pass
    if not found:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
        found.update(int(c) for c in out.split())
    return sorted(found)


def descendants(pid: int) -> list[int]:
    """The process's children, their children, and so on."""
    found: list[int] = []
    todo = children(pid)
    while todo:
        child = todo.pop()
        found.append(child)
        todo += children(child)
    return found


def workers(pid: int) -> list[int]:
    """The server's Lambda worker processes: its descendants running the worker program (in
    bubblewrap's sandbox, ``python ... /var/runtime/bootstrap.py``; the bubblewrap processes
    around each worker are not counted)."""
    out = []
    for child in descendants(pid):
        try:
            argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            state = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        program = os.path.basename(argv[0]).decode(errors="replace")
        runs_worker = any(a.endswith((b"awslambda/worker.py", b"/var/runtime/bootstrap.py")) for a in argv)
        if program.startswith("python") and runs_worker and state != "Z":
            out.append(child)
    return out


def workers_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of each live worker process."""
    return {w: server_cpu_seconds(w) for w in workers(pid)}


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """Worker CPU between two snapshots (a worker started in between counts from zero; one that
    exited in between is lost, which the worker count shows)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items() if cpu == cpu)


# -- sequential, with boto3 -------------------------------------------------------------------


def summary_ms(times: list[float]) -> dict[str, float]:
    s = sorted(t * 1000 for t in times)
    return {
        "n": float(len(s)),
        "p50_ms": _stats.percentile(s, 50),
        "p90_ms": _stats.percentile(s, 90),
        "p99_ms": _stats.percentile(s, 99),
        "mean_ms": sum(s) / len(s),
    }


def sequential(server: Server, lam: Any, n: int, dry_run: bool) -> dict[str, float]:
    times = [0.0] * n
    pid = server.proc.pid
    cpu0, workers0, own0 = server_cpu_seconds(pid), workers_cpu(pid), time.process_time()
    start = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        invoke_once(lam, dry_run)
        times[i] = time.perf_counter() - t0
    wall = time.perf_counter() - start
    own, cpu, wcpu = time.process_time() - own0, server_cpu_seconds(pid) - cpu0, cpu_delta(workers0, workers_cpu(pid))
    return {
        **summary_ms(times),
        "per_s": n / wall,
        "bench_cpu_ms": 1000 * own / n,
        "server_cpu_ms": 1000 * cpu / n,
        "worker_cpu_ms": 1000 * wcpu / n,
        "workers": float(len(workers(pid))),
    }


# -- throughput, with wrk ---------------------------------------------------------------------


def signed_invoke(server: Server, key: str, secret: str, dry_run: bool) -> dict[str, Any]:
    """An Invoke signed with botocore's SigV4 signer for ``lambda``: what wrk replays."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    path = f"/2015-03-31/functions/{FUNCTION}/invocations"
    headers = {"Content-Type": "application/json"}
    if dry_run:
        headers["X-Amz-Invocation-Type"] = "DryRun"
    request = AWSRequest(method="POST", url=server.endpoint + path, data=b"{}", headers=headers)
    SigV4Auth(Credentials(key, secret), "lambda", REGION).add_auth(request)
    out = dict(request.headers.items())
    out["Host"] = server.endpoint.split("://", 1)[1]
    return {"method": "POST", "path": path, "headers": out, "body": "{}"}


def check_once(server: Server, req: dict[str, Any], dry_run: bool) -> bytes:
    """Send the signed request once: 200 and the handler's answer (DryRun: 204), or the run
    stops. The body wrk's check expects."""
    r = urllib.request.Request(
        server.endpoint + req["path"], data=req["body"].encode(), headers=req["headers"], method="POST"
    )
    try:
        with urllib.request.urlopen(r, timeout=10) as resp:
            status, body, error = resp.status, resp.read(), resp.headers.get("X-Amz-Function-Error")
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"signed Invoke: {exc.code} {exc.read()[:300]!r}") from None
    want = 204 if dry_run else 200
    if status != want or error or (not dry_run and json.loads(body) != EXPECTED):
        raise SystemExit(f"signed Invoke: status {status} (want {want}), function error {error}, body {body[:300]!r}")
    return body


def wrk_script(req: dict[str, Any], status: int, body: bytes) -> str:
    """The request, and a ``response`` hook that counts every answer that is not ``status``
    with ``body`` and no ``X-Amz-Function-Error``; ``done`` prints the counts."""
    lines = [f"wrk.method = {lua_string(req['method'])}", f"wrk.body = {lua_string(req['body'])}"]
    lines += [f"wrk.headers[{lua_string(k)}] = {lua_string(str(v))}" for k, v in req["headers"].items()]
    lines.append(
        f"""
local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args) good = 0; bad = 0; first_bad = "" end
function response(status, headers, body)
  local failed = status ~= {status} or (body or "") ~= {lua_string(body.decode())}
  for name, _ in pairs(headers) do
    if string.lower(name) == "x-amz-function-error" then failed = true end
  end
  if failed then
    if bad == 0 then first_bad = status .. " " .. string.sub(body or "", 1, 200) end
    bad = bad + 1
  else
    good = good + 1
  end
end
function done(summary, latency, requests)
  local g, b, first = 0, 0, ""
  for _, t in ipairs(threads) do
    g = g + t:get("good"); b = b + t:get("bad")
    if first == "" then first = t:get("first_bad") end
  end
  io.write(string.format("checked: good=%d bad=%d first_bad=%s\\n", g, b, first))
end
"""
    )
    return "\n".join(lines)


def run_wrk(
    server: Server,
    req: dict[str, Any],
    expected: tuple[int, bytes],
    connections: int,
    args: argparse.Namespace,
    duration: int,
    workdir: Path,
) -> dict[str, float]:
    """``wrk`` on the signed request; stops the run on any wrong answer or socket error."""
    script = workdir / "invoke.lua"
    script.write_text(wrk_script(req, *expected))
    out, result, socket_errors = wrk(server.endpoint + req["path"], args.threads, connections, duration, script)
    if args.verbose:
        print(out)
    result["connections"] = float(connections)
    m = re.search(r"checked: good=(\d+) bad=(\d+) first_bad=(.*)", out)
    result["checked"], result["bad"] = (float(m.group(1)), float(m.group(2))) if m else (0.0, float("nan"))
    wrong = result["bad"] != 0 or not result["checked"] or result["checked"] != result["requests"]
    if result["non_2xx"] or socket_errors or wrong:
        print(out, file=sys.stderr)
        raise SystemExit(
            f"wrk -c{connections}: {int(result['non_2xx'])} non-2xx, {socket_errors or 'no socket errors'}, "
            f"{result['bad']:.0f} wrong answers of {result['checked']:.0f} checked, {result['requests']:.0f} requests "
            f"(first: {m.group(3) if m else '?'})"
        )
    if server.proc.poll() is not None:
        raise SystemExit(f"localiam exited with {server.proc.returncode} under wrk")
    return result


def throughput(
    server: Server,
    key: str,
    secret: str,
    connections: int,
    args: argparse.Namespace,
    workdir: Path,
    dry_run: bool,
) -> dict[str, float]:
    req = signed_invoke(server, key, secret, dry_run)  # fresh: valid for 15 minutes
    body = check_once(server, req, dry_run)
    expected = (204, b"") if dry_run else (200, body)
    pid = server.proc.pid
    cpu0, workers0 = server_cpu_seconds(pid), workers_cpu(pid)
    res = run_wrk(server, req, expected, connections, args, args.duration, workdir)
    cpu, wcpu = server_cpu_seconds(pid) - cpu0, cpu_delta(workers0, workers_cpu(pid))
    res["server_cpu_pct"] = 100 * cpu / args.duration
    res["worker_cpu_pct"] = 100 * wcpu / args.duration
    res["workers"] = float(len(workers(pid)))
    res["children"] = float(len(children(pid)))
    return res


# -- in process: Runtime.invoke -----------------------------------------------------------------


def in_process(n: int, workdir: Path) -> list[dict[str, Any]]:
    """``Runtime.invoke`` on a temporary code directory: sequential, then from 4 threads."""
    from localiam.services.awslambda.runtime import FunctionSpec, InvokeContext, Runtime
    from localiam.services.awslambda.sandbox import probe

    code = workdir / "runtime-code"
    code.mkdir()
    (code / "app.py").write_text(HANDLER_SOURCE)
    spec = FunctionSpec(key="bench", code=code, handler="app.handler", environment={}, timeout=3.0)
    arn = f"arn:aws:lambda:{REGION}:000000000000:function:{FUNCTION}"

    def context() -> InvokeContext:
        return InvokeContext(
            request_id=str(uuid.uuid4()),
            function_name=FUNCTION,
            function_version="$LATEST",
            invoked_function_arn=arn,
            log_group_name=f"/aws/lambda/{FUNCTION}",
            log_stream_name="2026/01/01/[$LATEST]bench",
        )

    def one() -> float:
        t0 = time.perf_counter()
        result = rt.invoke(spec, b"{}", context())
        elapsed = time.perf_counter() - t0
        if result.function_error or json.loads(result.payload) != EXPECTED:
            raise SystemExit(f"Runtime.invoke: {result.function_error} {result.payload[:300]!r}")
        return elapsed

    rows: list[dict[str, Any]] = []
    rt = Runtime(sandbox=probe())  # as the server runs them: in bubblewrap's sandbox
    try:
        # Warm every worker the threaded run will use (each one's first invoke is a cold start).
        with ThreadPoolExecutor(RUNTIME_THREADS) as pool:
            list(pool.map(lambda _: one(), range(RUNTIME_THREADS * WARM_INVOKES)))
        for threads in (1, RUNTIME_THREADS):
            own0, wall0 = time.process_time(), time.perf_counter()
            workers0 = workers_cpu(os.getpid())
            if threads == 1:
                times = [one() for _ in range(n)]
            else:
                with ThreadPoolExecutor(threads) as pool:
                    times = list(pool.map(lambda _: one(), range(n)))
            wall = time.perf_counter() - wall0
            own = time.process_time() - own0
            wcpu = cpu_delta(workers0, workers_cpu(os.getpid()))
            stats = rt.stats()
            rows.append(
                {
                    "threads": threads,
                    **summary_ms(times),
                    "per_s": n / wall,
                    "caller_cpu_ms": 1000 * own / n,
                    "worker_cpu_ms": 1000 * wcpu / n,
                    "workers": stats["workers"],
                    "cold_starts": stats["cold_starts"],
                }
            )
    finally:
        rt.close()
    return rows


# -- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_wrk_options(ap, duration_help="seconds of wrk per connection count", threads=2)
    ap.add_argument("--invokes", type=int, default=500, help="sequential invokes (boto3, and in-process)")
    ap.add_argument("--connections", default="8,16", help="wrk connection counts, comma-separated")
    args = ap.parse_args(argv)
    connection_counts = [int(c) for c in args.connections.split(",") if c.strip()]
    wrk_version, _ = tool_versions()
    m = _stats.machine()
    print(
        f"machine: {m['nproc']} CPUs ({m['cpu']}), Python {m['python']}, {wrk_version}, {m['date']}; "
        f"{args.invokes} sequential invokes; wrk -t{args.threads} -c{args.connections} -d{args.duration}s "
        f"after {args.warmup} s warm-up"
    )

    seq: list[dict[str, Any]] = []
    load: list[dict[str, Any]] = []
    runtime_rows: list[dict[str, Any]] = []
    setup: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="localiam-bench-lambda-") as tmp:
        workdir = Path(tmp)
        server = start_localiam(workdir / "data")
        try:
            t0 = time.perf_counter()
            function_arn = setup_function(server)
            key, secret = make_user(server, USER, function_arn)
            setup["setup_ms"] = (time.perf_counter() - t0) * 1000
            check_denied(server)
            lam = client(server, "lambda", key, secret)
            t0 = time.perf_counter()
            invoke_once(lam)
            setup["first_invoke_ms"] = (time.perf_counter() - t0) * 1000
            for _ in range(WARM_INVOKES):
                invoke_once(lam)
                invoke_once(lam, dry_run=True)
            setup["workers_after_warmup"] = len(workers(server.proc.pid))
            setup["children_before_load"] = len(children(server.proc.pid))

            for dry_run in (False, True):
                res = sequential(server, lam, args.invokes, dry_run)
                seq.append({"request": "Invoke DryRun (no worker)" if dry_run else "Invoke", **res})

            if args.warmup:
                req = signed_invoke(server, key, secret, False)
                body = check_once(server, req, False)
                run_wrk(server, req, (200, body), max(connection_counts), args, args.warmup, workdir)
            for connections in connection_counts:
                res = throughput(server, key, secret, connections, args, workdir, dry_run=False)
                load.append({"request": "Invoke", **res})
            res = throughput(server, key, secret, max(connection_counts), args, workdir, dry_run=True)
            load.append({"request": "Invoke DryRun (no worker)", **res})
        finally:
            stop(server)
        runtime_rows = in_process(args.invokes, workdir)

    print(
        f"\nsetup (role, function, user, key) {setup['setup_ms']:.0f} ms; first invoke (cold start) "
        f"{setup['first_invoke_ms']:.1f} ms; worker processes after the warm-up: {setup['workers_after_warmup']}"
    )
    print(f"\nsequential, boto3, {args.invokes} invokes by the IAM user:")
    _stats.print_table(
        ["request", "p50 ms", "p90 ms", "p99 ms", "mean ms", "/s", "bench CPU ms", "server CPU ms", "worker CPU ms"],
        [
            [
                r["request"],
                r["p50_ms"],
                r["p90_ms"],
                r["p99_ms"],
                r["mean_ms"],
                r["per_s"],
                r["bench_cpu_ms"],
                r["server_cpu_ms"],
                r["worker_cpu_ms"],
            ]
            for r in seq
        ],
    )
    print(f"\nthroughput, wrk -t{args.threads} -d{args.duration}s, signed Invoke replayed:")
    _stats.print_table(
        [
            "request",
            "conns",
            "req/s",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "mean ms",
            "checked",
            "server CPU %",
            "worker CPU %",
            "workers",
        ],
        [
            [
                r["request"],
                int(r["connections"]),
                r["rps"],
                r.get("p50_ms", float("nan")),
                r.get("p90_ms", float("nan")),
                r.get("p99_ms", float("nan")),
                r.get("mean_ms", float("nan")),
                int(r["checked"]),
                r["server_cpu_pct"],
                r["worker_cpu_pct"],
                int(r["workers"]),
            ]
            for r in load
        ],
    )
    print(f"\nin process, Runtime.invoke, {args.invokes} invokes:")
    _stats.print_table(
        ["threads", "p50 ms", "p90 ms", "p99 ms", "mean ms", "/s", "caller CPU ms", "worker CPU ms", "workers"],
        [
            [
                r["threads"],
                r["p50_ms"],
                r["p90_ms"],
                r["p99_ms"],
                r["mean_ms"],
                r["per_s"],
                r["caller_cpu_ms"],
                r["worker_cpu_ms"],
                r["workers"],
            ]
            for r in runtime_rows
        ],
    )
    invoke = next(r for r in seq if r["request"] == "Invoke")
    dry = next(r for r in seq if r["request"] != "Invoke")
    rt1 = runtime_rows[0]
    print(
        f"\nper sequential invoke (p50): {invoke['p50_ms']:.2f} ms = worker round trip {rt1['p50_ms']:.2f} ms "
        f"(in process) + the rest {invoke['p50_ms'] - rt1['p50_ms']:.2f} ms (boto3, HTTP, SigV4, authorization, "
        f"the store); DryRun, everything but the worker: {dry['p50_ms']:.2f} ms"
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"machine": m, "setup": setup, "sequential": seq, "wrk": load, "in_process": runtime_rows}, indent=2
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
