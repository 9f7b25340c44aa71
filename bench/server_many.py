"""``localiam serve`` under ``wrk`` with many distinct users and objects (issue 17): every
request a new combination of caller, bucket and object, so the engine's plans and the
server's caches are exercised the way a shared test endpoint exercises them, not one user
reading one object over and over.

    .venv/bin/python bench/server_many.py                      # this checkout (~1 min)
    .venv/bin/python bench/server_many.py --before /tmp/main   # and another checkout's src/, alternating

The world, made with boto3 as the root user of a fresh data dir: ``--policies`` customer
managed policies of 20 statements (``scenario_workload.py``'s statements, on this world's
buckets, without the TLS-only denies: ``wrk`` speaks plain HTTP), attached to 5 groups;
``--users`` users, each in 1-2 groups, with an access key;
``--buckets`` buckets, each with a bucket policy (named users may put and get under a prefix,
nobody deletes) and ``--objects`` 1 KiB objects. Then ``--urls`` presigned GetObject URLs for
random user x bucket x object triples (seeded; each user presigns its own), fetched once
each with urllib to record its status (200 or 403), and sent in turn by ``wrk``'s Lua script
(each connection from its own place in the list). Every request is authenticated (SigV4
presigned) and authorized by the engine with the caller's policies and the bucket policy.

Reported per run: requests/s, latency percentiles, the share of non-2xx answers (it must match
the pre-check's share of 403s) and the server's CPU time per request. With ``--before``, the
two servers run side by side (each with its own data dir and world, built the same way from
the same seed), and ``wrk`` runs alternate between them.

A benchmark, not a test: it prints figures and never asserts on them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import _stats  # noqa: E402
import scenario_workload as sw  # noqa: E402
from server import Server, client, free_port, server_cpu_seconds, stop, wait_ready, wrk  # noqa: E402

CLI = "import sys; from localiam.cli import main; sys.argv[0] = 'localiam'; main()"


def start(src: Path, data_dir: Path, name: str) -> Server:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI, "serve", "--data-dir", str(data_dir), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(src)},
    )
    endpoint = f"http://127.0.0.1:{port}"
    wait_ready(endpoint + "/_localiam/health", proc)
    creds = json.loads((data_dir / "root-credentials.json").read_text())
    return Server(name, endpoint, proc, creds["AccessKeyId"], creds["SecretAccessKey"])


def build(server: Server, args: argparse.Namespace) -> list[str]:
    """The world above in ``server``; the presigned URLs."""
    from botocore.config import Config

    rng = random.Random(args.seed)
    iam = client(server, "iam")
    s3 = client(server, "s3", signature_version="s3v4", s3={"addressing_style": "path"})
    account = client(server, "sts").get_caller_identity()["Account"]
    buckets = [f"many-{i:03d}" for i in range(args.buckets)]
    policy_arns = []
    for p in range(args.policies):
        statements: list[dict[str, Any]] = []
        while len(statements) < sw.STATEMENTS_PER_POLICY:
            statement = sw._identity_statement(rng, account, buckets, buckets, len(statements))
            if "aws:SecureTransport" not in json.dumps(statement):  # wrk speaks plain HTTP
                statements.append(statement)
        doc = {"Version": sw.VERSION, "Statement": statements}
        arn = iam.create_policy(PolicyName=f"many-policy{p:02d}", PolicyDocument=json.dumps(doc))["Policy"]["Arn"]
        policy_arns.append(arn)
    groups = []
    for g in range(5):
        name = f"many-group{g}"
        iam.create_group(GroupName=name)
        for arn in rng.sample(policy_arns, min(3, len(policy_arns))):
            iam.attach_group_policy(GroupName=name, PolicyArn=arn)
        groups.append(name)
    users: list[tuple[str, str, str]] = []
    for u in range(args.users):
        name = f"many-user{u:04d}"
        iam.create_user(UserName=name, Tags=[{"Key": "team", "Value": rng.choice(sw.TEAMS)}])
        for g in rng.sample(groups, rng.randint(1, 2)):
            iam.add_user_to_group(GroupName=g, UserName=name)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        users.append((name, key["AccessKeyId"], key["SecretAccessKey"]))
    body = b"x" * 1024
    keys = [f"{rng.choice(sw.PREFIXES)}/{n:04d}.txt" for n in range(args.objects)]
    for b in buckets:
        s3.create_bucket(Bucket=b)
        named = [f"arn:aws:iam::{account}:user/{n}" for n, _, _ in rng.sample(users, min(8, len(users)))]
        s3.put_bucket_policy(
            Bucket=b,
            Policy=json.dumps(
                {
                    "Version": sw.VERSION,
                    "Statement": [
                        {
                            "Sid": "NamedReaders",
                            "Effect": "Allow",
                            "Principal": {"AWS": named},
                            "Action": ["s3:GetObject", "s3:PutObject"],
                            "Resource": f"arn:aws:s3:::{b}/{rng.choice(sw.PREFIXES)}/*",
                        },
                        {
                            "Sid": "NoDeletes",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:DeleteObject",
                            "Resource": f"arn:aws:s3:::{b}/*",
                        },
                    ],
                }
            ),
        )
        for k in keys:
            s3.put_object(Bucket=b, Key=k, Body=body)
    signers = {
        name: client(server, "s3", key, secret, signature_version="s3v4", s3={"addressing_style": "path"})
        for name, key, secret in users
    }
    del Config
    urls = []
    for _ in range(args.urls):
        name, _, _ = users[rng.randrange(len(users))]
        url = signers[name].generate_presigned_url(
            "get_object", Params={"Bucket": rng.choice(buckets), "Key": rng.choice(keys)}, ExpiresIn=3600
        )
        urls.append(url)
    return urls


def precheck(urls: list[str]) -> dict[int, int]:
    statuses: dict[int, int] = {}
    for url in urls:
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                status = answer.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        statuses[status] = statuses.get(status, 0) + 1
    return statuses


def rotating_script(endpoint: str, urls: list[str]) -> str:
    paths = ",\n".join("[==[" + u.removeprefix(endpoint) + "]==]" for u in urls)
    return f"""
local paths = {{
{paths}
}}
local n = 0
local counter = 0
function setup(thread)
  thread:set("offset", counter * 7919)
  counter = counter + 1
end
function request()
  n = n + 1
  return wrk.format("GET", paths[((n + offset) % #paths) + 1])
end
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", type=Path, help="another checkout (its src/ is served the same way)")
    ap.add_argument("--seed", type=int, default=sw.SEED)
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument("--policies", type=int, default=8)
    ap.add_argument("--buckets", type=int, default=10)
    ap.add_argument("--objects", type=int, default=20, help="objects per bucket")
    ap.add_argument("--urls", type=int, default=3000)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args(argv)

    variants = [("this checkout", ROOT / "src")]
    if args.before is not None:
        variants.insert(0, ("before", args.before.resolve() / "src"))
    m = _stats.machine()
    print(f"machine: {m['nproc']} CPUs ({m['cpu']}), Python {m['python']}")
    print(
        f"{args.users} users, {args.policies} policies of 20 statements in 5 groups, {args.buckets} buckets x "
        f"{args.objects} objects, {args.urls} presigned GetObject URLs; wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration}s, {args.rounds} rounds"
    )
    work = Path(tempfile.mkdtemp(prefix="localiam-many-"))
    servers: list[tuple[str, Server, Path, dict[int, int]]] = []
    results: dict[str, list[dict[str, float]]] = {}
    try:
        for label, src in variants:
            data = work / label.replace(" ", "-")
            server = start(src, data, label)
            urls = build(server, args)
            statuses = precheck(urls)
            script = work / f"{label.replace(' ', '-')}.lua"
            script.write_text(rotating_script(server.endpoint, urls))
            servers.append((label, server, script, statuses))
            results[label] = []
            print(f"{label}: pre-check statuses {dict(sorted(statuses.items()))}")
        for _ in range(args.rounds):
            for label, server, script, _statuses in servers:
                wrk(server.endpoint + "/", args.threads, args.connections, args.warmup, script)
                cpu0 = server_cpu_seconds(server.proc.pid)
                _out, res, socket_errors = wrk(
                    server.endpoint + "/", args.threads, args.connections, args.duration, script
                )
                res["cpu_us_per_request"] = (server_cpu_seconds(server.proc.pid) - cpu0) / max(res["requests"], 1) * 1e6
                res["non_2xx_share"] = res["non_2xx"] / max(res["requests"], 1)
                if socket_errors:
                    print(f"{label}: {socket_errors}")
                results[label].append(res)
    finally:
        for _, server, _, _ in servers:
            stop(server)
    print(f"\n{'server':<16}{'req/s':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'CPU µs/req':>12}{'non-2xx':>9}")
    summary: dict[str, Any] = {}
    for label, runs in results.items():
        med = {
            k: statistics.median(r[k] for r in runs)
            for k in ("rps", "p50_ms", "p90_ms", "p99_ms", "cpu_us_per_request", "non_2xx_share")
        }
        summary[label] = {"median": med, "runs": runs}
        print(
            f"{label:<16}{med['rps']:>9.0f}{med['p50_ms']:>9.2f}{med['p90_ms']:>9.2f}{med['p99_ms']:>9.2f}"
            f"{med['cpu_us_per_request']:>12.0f}{med['non_2xx_share']:>9.1%}"
        )
        print("  rounds req/s: " + ", ".join(f"{r['rps']:.0f}" for r in runs))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
