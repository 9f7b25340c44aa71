"""Cognito under load: user pool sign-ins per second (``USER_PASSWORD_AUTH`` with boto3, and
SRP with pycognito), access-token checks per second (``GetUser`` under ``wrk``) and identity pool
credentials per second (``GetId`` + ``GetCredentialsForIdentity``), localiam and ``moto_server``
in the same run, plus the password hash's own cost.

Run: ``.venv/bin/python bench/cognito.py [--users 50] [--seconds 10] [--threads 4] [--no-moto]``.
Needs ``wrk`` and, for the comparison, ``.venv/bin/pip install 'moto[server]'`` (bench only).

Workload: ``--users`` people in one pool, each with their own password; sign-ins take them in
turn from ``--threads`` threads (a boto3 client each), every one a new sign-in that issues ID,
access and refresh tokens (localiam writes the refresh token's hash, fsynced). ``GetUser`` is
replayed by ``wrk`` over the people's access tokens in turn: each request checks a token's
RS256 signature, expiry, the user's sign-outs and the revocation of the refresh token it came
from. moto checks no password hash it did not make cheaply, and verifies no token signature:
its figures are what checking little costs. The password hash (scrypt, N=2^14, r=8, p=1) is
timed on its own in this process: it is most of a password sign-in's cost, on purpose.

Identity pools: ``--users`` people, each with their own Google token from localiam's test issuer,
ask for credentials from ``--threads`` threads, each time ``GetId`` then
``GetCredentialsForIdentity`` (the enhanced flow): localiam verifies the token's signature twice,
lets the engine decide the role's trust policy and writes a role session; moto verifies nothing
and makes up credentials.

This is a benchmark: it prints figures and never asserts on them (it stops on any failure).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _stats
from server import Server, server_cpu_seconds, start_localiam, start_moto, stop, tool_versions, wrk
from server import client as server_client

PASSWORD_TEMPLATE = "Corr3ct-Horse-{}!"
TARGET = "AWSCognitoIdentityProviderService"


def unsigned(server: Server) -> Any:
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    return boto3.session.Session().client(
        "cognito-idp",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )


def setup(server: Server, users: int) -> tuple[str, str]:
    admin = server_client(server, "cognito-idp")
    pool = admin.create_user_pool(PoolName="bench")["UserPool"]["Id"]
    client = admin.create_user_pool_client(
        UserPoolId=pool,
        ClientName="bench",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    for i in range(users):
        admin.admin_create_user(UserPoolId=pool, Username=f"user-{i}", MessageAction="SUPPRESS")
        admin.admin_set_user_password(
            UserPoolId=pool, Username=f"user-{i}", Password=PASSWORD_TEMPLATE.format(i), Permanent=True
        )
    return pool, client


def threaded(
    server: Server, seconds: float, threads: int, make: Callable[[], Any], call: Callable[[Any, int], None]
) -> dict[str, Any]:
    """``call(client, i)`` from ``threads`` threads for ``seconds`` (each thread with its own
    ``make()`` client, ``i`` running over the thread's share of the people); rate, latencies and
    the server's CPU per call, or the first error."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def work(offset: int) -> None:
        client = make()
        i = offset
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                call(client, i)
            except Exception as exc:  # a benchmark reports what failed, then stops
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                return
            with lock:
                latencies.append(time.perf_counter() - start)
            i += threads

    cpu_before = server_cpu_seconds(server.proc.pid)
    began = time.monotonic()
    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    elapsed = time.monotonic() - began
    cpu = server_cpu_seconds(server.proc.pid) - cpu_before
    if errors:
        return {"error": errors[0]}
    latencies.sort()
    return {
        "per_second": len(latencies) / elapsed,
        "p50_ms": _stats.percentile(latencies, 50) * 1000,
        "p90_ms": _stats.percentile(latencies, 90) * 1000,
        "server_cpu_ms": cpu * 1000 / len(latencies) if latencies else float("nan"),
    }


def sign_ins(
    server: Server, pool: str, client: str, users: int, seconds: float, threads: int, srp: bool
) -> dict[str, Any]:
    """Sign-ins from ``threads`` threads for ``seconds``; per-call latencies."""
    from pycognito.aws_srp import AWSSRP

    def call(cognito: Any, i: int) -> None:
        n = i % users
        if srp:
            AWSSRP(f"user-{n}", PASSWORD_TEMPLATE.format(n), pool, client, client=cognito).authenticate_user()
        else:
            cognito.initiate_auth(
                ClientId=client,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": f"user-{n}", "PASSWORD": PASSWORD_TEMPLATE.format(n)},
            )

    return threaded(server, seconds, threads, lambda: unsigned(server), call)


IDENTITY_ROLE_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {"cognito-identity.amazonaws.com:aud": "POOL"},
                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
            },
        }
    ],
}
GOOGLE_APP = "bench-app.apps.googleusercontent.com"


def identity_setup(server: Server, users: int, data_dir: Path) -> tuple[str, list[str]]:
    """An identity pool trusting Google for ``GOOGLE_APP``, its role, and one token per person."""
    admin = server_client(server, "cognito-identity")
    pool = admin.create_identity_pool(
        IdentityPoolName="bench",
        AllowUnauthenticatedIdentities=False,
        SupportedLoginProviders={"accounts.google.com": GOOGLE_APP},
    )["IdentityPoolId"]
    trust = json.dumps(IDENTITY_ROLE_TRUST).replace('"POOL"', json.dumps(pool))
    iam = server_client(server, "iam")
    role = iam.create_role(RoleName="bench-identities", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    try:
        admin.set_identity_pool_roles(IdentityPoolId=pool, Roles={"authenticated": role})
    except Exception:  # moto has no SetIdentityPoolRoles; it makes credentials up without a role
        if server.name == "localiam":
            raise
    from localiam.testing import oidc_token

    tokens = [
        oidc_token(str(data_dir), issuer="https://accounts.google.com", subject=f"person-{i}", audience=GOOGLE_APP)
        for i in range(users)
    ]
    return pool, tokens


def identity_credentials(server: Server, pool: str, tokens: list[str], seconds: float, threads: int) -> dict[str, Any]:
    """``GetId`` + ``GetCredentialsForIdentity`` from ``threads`` threads for ``seconds``."""
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    def make() -> Any:
        return boto3.session.Session().client(
            "cognito-identity",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
        )

    def call(cognito: Any, i: int) -> None:
        logins = {"accounts.google.com": tokens[i % len(tokens)]}
        identity = cognito.get_id(IdentityPoolId=pool, Logins=logins)["IdentityId"]
        cognito.get_credentials_for_identity(IdentityId=identity, Logins=logins)

    return threaded(server, seconds, threads, make, call)


def get_user_script(tokens: list[str]) -> str:
    bodies = ",\n".join("[==[" + json.dumps({"AccessToken": t}) + "]==]" for t in tokens)
    return f"""
local bodies = {{
{bodies}
}}
local n = 0
function request()
  n = n + 1
  return wrk.format("POST", "/", {{["Content-Type"] = "application/x-amz-json-1.1",
    ["X-Amz-Target"] = "{TARGET}.GetUser"}}, bodies[(n % #bodies) + 1])
end
"""


def token_checks(server: Server, client: str, users: int, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    cognito = unsigned(server)
    tokens = []
    for i in range(users):
        result = cognito.initiate_auth(
            ClientId=client,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": f"user-{i}", "PASSWORD": PASSWORD_TEMPLATE.format(i)},
        )["AuthenticationResult"]
        tokens.append(result["AccessToken"])
    assert cognito.get_user(AccessToken=tokens[0])["Username"] == "user-0"
    script = workdir / f"get-user-{server.name}.lua"
    script.write_text(get_user_script(tokens))
    wrk(server.endpoint + "/", 1, args.connections, 2, script)
    cpu_before = server_cpu_seconds(server.proc.pid)
    _out, result, socket_errors = wrk(server.endpoint + "/", 1, args.connections, args.seconds, script)
    cpu = server_cpu_seconds(server.proc.pid) - cpu_before
    if result["non_2xx"] or socket_errors:
        return {"error": f"{int(result['non_2xx'])} non-2xx answers {socket_errors}"}
    return {
        "per_second": result["rps"],
        "p50_ms": result["p50_ms"],
        "p90_ms": result["p90_ms"],
        "server_cpu_ms": cpu * 1000 / result["requests"] if result["requests"] else float("nan"),
    }


def hash_cost() -> tuple[float, float]:
    from localiam.services.cognito_idp import passwords

    hashes, checks = [], []
    stored = passwords.hash_password("Corr3ct-Horse!")
    for _ in range(15):
        start = time.perf_counter()
        passwords.hash_password("Corr3ct-Horse!")
        hashes.append(time.perf_counter() - start)
        start = time.perf_counter()
        passwords.verify_password("Corr3ct-Horse!", stored)
        checks.append(time.perf_counter() - start)
    return statistics.median(hashes) * 1000, statistics.median(checks) * 1000


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--threads", type=int, default=4, help="sign-in threads")
    ap.add_argument("--connections", type=int, default=16, help="wrk connections for GetUser")
    ap.add_argument("--no-moto", action="store_true")
    args = ap.parse_args(argv)
    wrk_version, moto_version = tool_versions()
    m = _stats.machine()
    print(
        f"machine: {m['nproc']} CPUs ({m['cpu']}), Python {m['python']}, {wrk_version}, moto {moto_version}, "
        f"{m['date']}; {args.users} people, {args.seconds} s per figure, {args.threads} sign-in threads, "
        f"wrk -c{args.connections} for GetUser"
    )
    hashing, checking = hash_cost()
    rows: list[tuple[str, str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory(prefix="bench-cognito-") as tmp:
        workdir = Path(tmp)
        servers = [start_localiam(workdir / "data")]
        if not args.no_moto:
            moto = start_moto()
            if moto is not None:
                servers.append(moto)
        try:
            for server in servers:
                pool, client = setup(server, args.users)
                for name, srp in (("USER_PASSWORD_AUTH sign-in (boto3)", False), ("SRP sign-in (pycognito)", True)):
                    rows.append(
                        (server.name, name, sign_ins(server, pool, client, args.users, args.seconds, args.threads, srp))
                    )
                rows.append(
                    (
                        server.name,
                        "GetUser (access token checked)",
                        token_checks(server, client, args.users, args, workdir),
                    )
                )
                identity_pool, google_tokens = identity_setup(server, args.users, workdir / "data")
                rows.append(
                    (
                        server.name,
                        "GetId + GetCredentialsForIdentity",
                        identity_credentials(server, identity_pool, google_tokens, args.seconds, args.threads),
                    )
                )
        finally:
            for server in servers:
                stop(server)
    print(
        f"\npassword hash (scrypt N=2^14 r=8 p=1) in this process: {hashing:.1f} ms to hash, {checking:.1f} ms to check"
    )
    print("\n| server | operation | per second | p50 ms | p90 ms | server CPU ms/op |")
    print("|---|---|---:|---:|---:|---:|")
    for server_name, name, r in rows:
        if "error" in r:
            print(f"| {server_name} | {name} | - | - | - | - | ({r['error'][:80]})")
            continue
        print(
            f"| {server_name} | {name} | {r['per_second']:.0f} | {r['p50_ms']:.1f} | {r['p90_ms']:.1f} | "
            f"{r['server_cpu_ms']:.1f} |"
        )
    print("\nmoto checks no token signature and keeps passwords in memory: its figures are what checking little costs.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
