"""Server benchmark: signed requests replayed with ``wrk`` against ``localiam serve`` and against
``moto_server``, in the same run, on the same machine.

    .venv/bin/python bench/server.py                    # both servers, both requests, 10 s each
    .venv/bin/python bench/server.py --duration 5 --connections 32
    .venv/bin/python bench/server.py --no-moto          # localiam only
    .venv/bin/python bench/server.py --profile out.svg  # also py-spy the localiam process

Needs ``wrk`` (Debian: ``apt-get install -y wrk``) and, for the comparison, moto's server in the
venv (``.venv/bin/pip install 'moto[server]'``; a bench-only tool, not a localiam dependency).
``--profile`` needs ``py-spy`` in the venv.

Each request is signed once with botocore's SigV4 signer and replayed byte for byte: the
signature stays valid for the 15-minute skew window, and localiam verifies it on every request
(HMAC chain, canonical request, key lookup), resolves the caller and, for IAM GetUser,
authorizes ``iam:GetUser`` with the engine. moto checks neither.

Requests:
- ``sts GetCallerIdentity`` by the management account's root user (AWS does not authorize it
  with IAM: every valid signature may call it).
- ``iam GetUser`` by an IAM user in one group, with an inline policy, an attached managed
  policy and the group's policy (localiam authorizes ``iam:GetUser`` on every request).

This is a benchmark, not a test: it prints figures and never asserts on them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _stats

VENV_BIN = Path(sys.executable).parent
REGION = "us-east-1"
POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"}]}
)
DENY_OTHER = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "iam:DeleteUser", "Resource": "*"}],
    }
)


@dataclass
class Server:
    name: str
    endpoint: str
    proc: subprocess.Popen[bytes]
    access_key: str
    secret_key: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError as exc:
            if getattr(exc, "code", None):  # an HTTP error status: it answers
                return
            time.sleep(0.05)
    raise SystemExit(f"no answer from {url} after {timeout} s")


def start_localiam(data_dir: Path) -> Server:
    port = free_port()
    cmd = [str(VENV_BIN / "localiam"), "serve", "--data-dir", str(data_dir), "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    endpoint = f"http://127.0.0.1:{port}"
    wait_ready(endpoint + "/_localiam/health", proc)
    creds = json.loads((data_dir / "root-credentials.json").read_text())
    return Server("localiam", endpoint, proc, creds["AccessKeyId"], creds["SecretAccessKey"])


def start_moto() -> Server | None:
    exe = VENV_BIN / "moto_server"
    if not exe.exists():
        print("moto_server not found in the venv: .venv/bin/pip install 'moto[server]' to compare")
        return None
    port = free_port()
    proc = subprocess.Popen(
        [str(exe), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    endpoint = f"http://127.0.0.1:{port}"
    wait_ready(endpoint + "/moto-api/", proc)
    return Server("moto", endpoint, proc, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


def stop(server: Server) -> None:
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGINT)
        try:
            server.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait()


def client(server: Server, service: str, key: str | None = None, secret: str | None = None, **config: Any) -> Any:
    """A boto3 client of ``server`` (its root keys unless others are given), one attempt per
    call; ``config``: more ``botocore.config.Config`` settings. A session per client: boto3's
    default session is not safe to share between threads."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        service,
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id=key or server.access_key,
        aws_secret_access_key=secret or server.secret_key,
        config=Config(retries={"max_attempts": 1}, **config),
    )


def add_wrk_options(ap: argparse.ArgumentParser, *, duration_help: str, threads: int) -> None:
    """The options every ``wrk`` benchmark takes."""
    ap.add_argument("--duration", type=int, default=10, help=duration_help)
    ap.add_argument("--threads", type=int, default=threads, help="wrk threads")
    ap.add_argument("--warmup", type=int, default=2, help="seconds of untimed wrk first")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    ap.add_argument("--verbose", action="store_true", help="print wrk's own output")


def tool_versions() -> tuple[str, str]:
    """``wrk``'s version line and moto's version ("-" when it is not installed); stops the run
    when ``wrk`` is missing."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install -y wrk")
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split(" [")[0]
    try:
        from importlib.metadata import version

        return wrk_version, version("moto")
    except Exception:
        return wrk_version, "-"


def wrk(
    url: str, threads: int, connections: int, duration: int, script: Path | None = None
) -> tuple[str, dict[str, float], str]:
    """Run ``wrk`` with latency percentiles; its output, the figures read from it (``rps``,
    ``requests``, ``read_bytes``, ``non_2xx``, ``mean_ms``, ``max_ms``, ``p50_ms``, ``p90_ms``,
    ``p99_ms``) and its socket-errors line ("" when there were none)."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "--latency"]
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    result: dict[str, float] = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    result["rps"] = float(m.group(1)) if m else float("nan")
    m = re.search(r"(\d+) requests in [^,]+, ([\d.]+)(B|KB|MB|GB) read", out)
    result["requests"] = float(m.group(1)) if m else 0.0
    result["read_bytes"] = float(m.group(2)) * _SIZE_UNITS[m.group(3)] if m else 0.0
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    result["non_2xx"] = float(m.group(1)) if m else 0.0
    m = re.search(r"Socket errors:.*", out)
    socket_errors = m.group(0) if m else ""
    m = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", out)
    if m:
        result["mean_ms"] = _ms(m.group(1))
        result["max_ms"] = _ms(m.group(3))
    for q in (50, 90, 99):
        m = re.search(rf"^\s+{q}%\s+(\S+)", out, re.M)
        result[f"p{q}_ms"] = _ms(m.group(1)) if m else float("nan")
    return out, result, socket_errors


_SIZE_UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def make_iam_user(server: Server) -> tuple[str, str]:
    """An IAM user with a group, an inline and a managed policy; its access key."""
    iam: object = client(server, "iam")
    iam.create_user(UserName="bench")  # type: ignore[attr-defined]
    iam.put_user_policy(UserName="bench", PolicyName="read", PolicyDocument=POLICY)  # type: ignore[attr-defined]
    arn = iam.create_policy(PolicyName="bench-deny", PolicyDocument=DENY_OTHER)["Policy"]["Arn"]  # type: ignore[attr-defined]
    iam.attach_user_policy(UserName="bench", PolicyArn=arn)  # type: ignore[attr-defined]
    iam.create_group(GroupName="bench-group")  # type: ignore[attr-defined]
    iam.put_group_policy(GroupName="bench-group", PolicyName="read", PolicyDocument=POLICY)  # type: ignore[attr-defined]
    iam.add_user_to_group(GroupName="bench-group", UserName="bench")  # type: ignore[attr-defined]
    iam.tag_user(UserName="bench", Tags=[{"Key": "team", "Value": "bench"}])  # type: ignore[attr-defined]
    key = iam.create_access_key(UserName="bench")["AccessKey"]  # type: ignore[attr-defined]
    # Check it works (and is authorized) before replaying it.
    client(server, "iam", key["AccessKeyId"], key["SecretAccessKey"]).get_user(UserName="bench")  # type: ignore[attr-defined]
    return key["AccessKeyId"], key["SecretAccessKey"]


def signed(endpoint: str, service: str, body: str, key: str, secret: str) -> dict[str, object]:
    """A POST signed with botocore's SigV4 signer: method, path, headers and body to replay."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(
        method="POST",
        url=endpoint + "/",
        data=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(Credentials(key, secret), service, REGION).add_auth(request)
    headers = {k: v for k, v in request.headers.items()}
    headers["Host"] = endpoint.split("://", 1)[1]
    return {"method": "POST", "path": "/", "headers": headers, "body": body}


def lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def wrk_script(req: dict[str, object]) -> str:
    headers = req["headers"]
    assert isinstance(headers, dict)
    lines = [f"wrk.method = {lua_string(str(req['method']))}", f"wrk.body = {lua_string(str(req['body']))}"]
    lines += [f"wrk.headers[{lua_string(k)}] = {lua_string(str(v))}" for k, v in headers.items()]
    return "\n".join(lines) + "\n"


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if m is None:
        return float("nan")
    return float(m.group(1)) * _UNITS[m.group(2)]


def run_wrk(endpoint: str, req: dict[str, object], args: argparse.Namespace, workdir: Path) -> dict[str, float]:
    script = workdir / "request.lua"
    script.write_text(wrk_script(req))
    out, result, socket_errors = wrk(endpoint + "/", args.threads, args.connections, args.duration, script)
    result["errors"] = result["non_2xx"]
    result["socket_errors"] = 1.0 if socket_errors else 0.0
    if args.verbose:
        print(out)
    return result


def check_once(req: dict[str, object], endpoint: str) -> str:
    """Send the signed request once with urllib: it must succeed before wrk replays it."""
    headers = dict(req["headers"])  # type: ignore[call-overload]
    data = str(req["body"]).encode()
    r = urllib.request.Request(endpoint + "/", data=data, headers=headers, method="POST")
    with urllib.request.urlopen(r, timeout=10) as resp:
        return resp.read().decode()[:200]


def server_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_wrk_options(ap, duration_help="seconds of wrk per server and request", threads=1)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--no-moto", action="store_true")
    ap.add_argument("--only", choices=["sts", "iam"], help="one request only")
    ap.add_argument("--profile", metavar="SVG", help="py-spy record localiam during its first timed run")
    args = ap.parse_args(argv)
    wrk_version, moto_version = tool_versions()
    m = _stats.machine()
    print(
        f"machine: {m['nproc']} CPUs ({m['cpu']}), Python {m['python']}, {wrk_version}, moto {moto_version}, "
        f"{m['date']}; wrk -t{args.threads} -c{args.connections} -d{args.duration}s after {args.warmup} s warm-up"
    )

    servers: list[Server] = []
    figures: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="localiam-bench-") as tmp:
        workdir = Path(tmp)
        try:
            servers.append(start_localiam(workdir / "data"))
            if not args.no_moto:
                moto = start_moto()
                if moto is not None:
                    servers.append(moto)
            for server in servers:
                reqs: list[tuple[str, dict[str, object]]] = []
                if args.only in (None, "sts"):
                    body = "Action=GetCallerIdentity&Version=2011-06-15"
                    sts_req = signed(server.endpoint, "sts", body, server.access_key, server.secret_key)
                    reqs.append(("sts GetCallerIdentity (root)", sts_req))
                if args.only in (None, "iam"):
                    key, secret = make_iam_user(server)
                    body = "Action=GetUser&Version=2010-05-08&UserName=bench"
                    reqs.append(("iam GetUser (IAM user)", signed(server.endpoint, "iam", body, key, secret)))
                for label, req in reqs:
                    check_once(req, server.endpoint)
                    if args.warmup:
                        warm = argparse.Namespace(**{**vars(args), "duration": args.warmup, "verbose": False})
                        run_wrk(server.endpoint, req, warm, workdir)
                    spy = None
                    if args.profile and server.name == "localiam" and not figures:
                        spy = subprocess.Popen(
                            [
                                str(VENV_BIN / "py-spy"),
                                "record",
                                "-p",
                                str(server.proc.pid),
                                "-o",
                                args.profile,
                                "-d",
                                str(args.duration),
                                "--nonblocking",
                            ],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                        )
                    cpu0 = server_cpu_seconds(server.proc.pid)
                    res = run_wrk(server.endpoint, req, args, workdir)
                    cpu = server_cpu_seconds(server.proc.pid) - cpu0
                    if spy is not None:
                        spy.wait()
                    res["server_cpu_pct"] = 100 * cpu / args.duration
                    figures.append({"server": server.name, "request": label, **res})
        finally:
            for server in servers:
                stop(server)

    print()
    _stats.print_table(
        ["server", "request", "req/s", "p50 ms", "p90 ms", "p99 ms", "mean ms", "non-2xx", "server CPU %"],
        [
            [
                f["server"],
                f["request"],
                f["rps"],
                f.get("p50_ms", float("nan")),
                f.get("p90_ms", float("nan")),
                f.get("p99_ms", float("nan")),
                f.get("mean_ms", float("nan")),
                int(f["errors"]),  # type: ignore[call-overload]
                f["server_cpu_pct"],
            ]
            for f in figures
        ],
    )
    by = {(f["server"], f["request"]): f for f in figures}
    for (srv, label), f in by.items():
        if srv == "localiam" and ("moto", label) in by:
            ratio = float(f["rps"]) / float(by[("moto", label)]["rps"])  # type: ignore[arg-type]
            print(f"{label}: localiam / moto throughput = {ratio:.1f}x")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": m, "figures": figures}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
