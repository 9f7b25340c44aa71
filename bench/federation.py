"""Federation under load: ``AssumeRoleWithWebIdentity`` (and ``AssumeRoleWithSAML`` when the
server serves it) per second under ``wrk``, ``localiam serve`` and ``moto_server`` in the same
run.

Run: ``.venv/bin/python bench/federation.py [--duration 10] [--connections 16] [--users 200]
[--no-moto]``. Needs ``wrk`` (Debian: ``apt-get install -y wrk``) and, for the comparison,
``.venv/bin/pip install 'moto[server]'`` (bench only).

Workload: ``--users`` different people, each with their own token (a different ``sub``) and
session name; ``wrk``'s Lua script sends them in turn, so every request is a new subject, a new
session row and a new set of credentials. The calls are unsigned, as on AWS: the token is the
credential.

- **web identity, test issuer:** tokens of ``https://accounts.google.com`` from localiam's test
  issuer (``localiam.services.idp.oidc``; its key is in the store); the role's trust policy
  names ``accounts.google.com`` with an ``accounts.google.com:aud`` condition.
- **web identity, loopback issuer:** a Keycloak-style issuer that this script serves itself on
  127.0.0.1 (discovery document + JWKS; tokens signed with PyJWT), registered as an IAM OIDC
  provider; localiam fetches its JWKS once before timing (warm) and then serves from its cache.
- **SAML:** assertions from localiam's test SAML IdP for an IAM SAML provider made from its
  metadata, each signed (RSA-SHA256) for a different subject.

Every request is checked once before timing: localiam must answer 200, and the same call with
a token signed by another key must answer 400 ``InvalidIdentityToken``. moto answers the same
requests without verifying any signature or trust policy (it decodes the token and issues
credentials): its figure is the cost of an emulator that checks nothing. Any non-2xx answer or
socket error under ``wrk`` stops the run. This is a benchmark: it prints figures and never
asserts on them.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _stats
from server import Server, add_wrk_options, server_cpu_seconds, start_localiam, start_moto, stop, tool_versions, wrk
from server import client as server_client

GOOGLE = "accounts.google.com"
APP = "bench-app.apps.googleusercontent.com"
FORM = "application/x-www-form-urlencoded"


def lua_string(value: str) -> str:
    return "[==[" + value + "]==]"


def rotating_script(bodies: list[str]) -> str:
    """A wrk script that sends ``bodies`` in turn (one per request, each connection from its
    own place in the list) and counts any answer but 200 as an error."""
    entries = ",\n".join(lua_string(b) for b in bodies)
    return f"""
local bodies = {{
{entries}
}}
local n = 0
local counter = 0
function setup(thread)
  thread:set("offset", counter * 7919)
  counter = counter + 1
end
function request()
  n = n + 1
  local body = bodies[((n + offset) % #bodies) + 1]
  return wrk.format("POST", "/", {{["Content-Type"] = "{FORM}"}}, body)
end
"""


def form(action: str, **params: str) -> str:
    return urllib.parse.urlencode({"Action": action, "Version": "2011-06-15", **params})


def post(endpoint: str, body: str) -> tuple[int, str]:
    request = urllib.request.Request(endpoint + "/", data=body.encode(), headers={"Content-Type": FORM}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


class LoopbackIssuer:
    """A Keycloak-style issuer on 127.0.0.1 with its own RSA key (tokens signed with PyJWT)."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa
        from jwt.algorithms import RSAAlgorithm

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        self.jwks = {"keys": [{**jwk, "kid": "bench-1", "use": "sig", "alg": "RS256"}]}
        self.fetches = 0
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                issuer.fetches += 1
                if self.path.endswith("/.well-known/openid-configuration"):
                    body: Any = {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/certs"}
                elif self.path.endswith("/certs"):
                    body = issuer.jwks
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/realms/bench"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def token(self, subject: str, key: Any = None) -> str:
        import jwt

        now = int(time.time())
        claims = {"iss": self.url, "sub": subject, "aud": "bench-cli", "iat": now, "exp": now + 3600}
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": "bench-1"})


def other_key_token(claims: dict[str, Any], kid: str) -> str:
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, other, algorithm="RS256", headers={"kid": kid})


def federated_trust(provider: str, action: str, condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Federated": provider}, "Action": action}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def make_role(server: Server, name: str, trust_policy: str) -> str:
    iam = server_client(server, "iam")
    return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy)["Role"]["Arn"])


Workload = tuple[str, list[str], str | None]
"""(name, request bodies, a body that must be refused with InvalidIdentityToken or None)."""


def web_identity_workloads(server: Server, data_dir: Path | None, issuer: LoopbackIssuer, users: int) -> list[Workload]:
    from localiam.services.idp.oidc import mint_token
    from localiam.state.store import Store, sqlite_url

    out: list[Workload] = []
    google_role = make_role(
        server,
        "bench-google",
        federated_trust(GOOGLE, "sts:AssumeRoleWithWebIdentity", {"StringEquals": {f"{GOOGLE}:aud": APP}}),
    )
    if data_dir is not None:
        store = Store(sqlite_url(data_dir))
        tokens = [mint_token(store, GOOGLE, subject=f"user-{i}", audience=APP) for i in range(users)]
        store.close()
    else:  # moto: any JWT with these claims will do (it verifies nothing)
        tokens = [issuer.token(f"user-{i}") for i in range(users)]
    bodies = [
        form("AssumeRoleWithWebIdentity", RoleArn=google_role, RoleSessionName=f"user-{i}", WebIdentityToken=t)
        for i, t in enumerate(tokens)
    ]
    forged = form(
        "AssumeRoleWithWebIdentity",
        RoleArn=google_role,
        RoleSessionName="forged",
        WebIdentityToken=other_key_token(
            {"iss": f"https://{GOOGLE}", "sub": "x", "aud": APP, "exp": int(time.time()) + 600}, "unknown"
        ),
    )
    out.append(("web identity, test issuer", bodies, forged))
    iam = server_client(server, "iam")
    provider = iam.create_open_id_connect_provider(
        Url=issuer.url, ClientIDList=["bench-cli"], ThumbprintList=["0" * 40]
    )["OpenIDConnectProviderArn"]
    name = issuer.url.split("://", 1)[1]
    role = make_role(
        server,
        "bench-corp",
        federated_trust(provider, "sts:AssumeRoleWithWebIdentity", {"StringEquals": {f"{name}:aud": "bench-cli"}}),
    )
    bodies = [
        form(
            "AssumeRoleWithWebIdentity",
            RoleArn=role,
            RoleSessionName=f"user-{i}",
            WebIdentityToken=issuer.token(f"user-{i}"),
        )
        for i in range(users)
    ]
    forged_token = other_key_token(
        {"iss": issuer.url, "sub": "x", "aud": "bench-cli", "exp": int(time.time()) + 600}, "bench-1"
    )
    forged = form("AssumeRoleWithWebIdentity", RoleArn=role, RoleSessionName="forged", WebIdentityToken=forged_token)
    out.append(("web identity, loopback issuer (warm JWKS)", bodies, forged))
    return out


def saml_workload(server: Server, data_dir: Path | None, users: int) -> Workload | None:
    """SAML assertions from localiam's test IdP (for moto too: it does not check them)."""
    from localiam.state.store import Store, sqlite_url
    from localiam.testing import saml_assertion, saml_metadata

    store_dir = data_dir or Path(tempfile.mkdtemp(prefix="bench-saml-"))
    store = Store(sqlite_url(store_dir))
    try:
        iam = server_client(server, "iam")
        provider = iam.create_saml_provider(Name="bench-corp", SAMLMetadataDocument=saml_metadata(store, "bench-corp"))[
            "SAMLProviderArn"
        ]
        role = make_role(
            server,
            "bench-saml",
            federated_trust(
                provider,
                "sts:AssumeRoleWithSAML",
                {"StringEquals": {"saml:aud": "https://signin.aws.amazon.com/saml"}},
            ),
        )
        bodies = []
        for i in range(users):
            assertion = saml_assertion(store, role=f"{role},{provider}", subject=f"user-{i}", name="bench-corp")
            bodies.append(form("AssumeRoleWithSAML", RoleArn=role, PrincipalArn=provider, SAMLAssertion=assertion))
    finally:
        store.close()
    return ("SAML, test IdP", bodies, None)


def run(server: Server, workload: Workload, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    name, bodies, forged = workload
    status, text = post(server.endpoint, bodies[0])
    if status != 200:
        raise SystemExit(f"{server.name} {name}: the first request answered {status}: {text[:300]}")
    if forged is not None and server.name == "localiam":
        status, text = post(server.endpoint, forged)
        if status != 400 or "InvalidIdentityToken" not in text:
            raise SystemExit(f"{server.name} {name}: a forged token answered {status}: {text[:300]}")
    script = workdir / f"{server.name}-{abs(hash(name))}.lua"
    script.write_text(rotating_script(bodies))
    if args.warmup:
        wrk(server.endpoint + "/", args.threads, args.connections, args.warmup, script)
    cpu_before = server_cpu_seconds(server.proc.pid)
    out, result, socket_errors = wrk(server.endpoint + "/", args.threads, args.connections, args.duration, script)
    cpu = server_cpu_seconds(server.proc.pid) - cpu_before
    if args.verbose:
        print(out)
    if result["non_2xx"] or socket_errors:
        raise SystemExit(f"{server.name} {name}: {int(result['non_2xx'])} non-2xx answers {socket_errors}")
    result["server_cpu_ms_per_request"] = cpu * 1000 / result["requests"] if result["requests"] else float("nan")
    return {"server": server.name, "workload": name, **result}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_wrk_options(ap, duration_help="seconds of wrk per server and workload", threads=1)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--users", type=int, default=200, help="different people (tokens) in each workload")
    ap.add_argument("--no-moto", action="store_true")
    args = ap.parse_args(argv)
    wrk_version, moto_version = tool_versions()
    m = _stats.machine()
    print(
        f"machine: {m['nproc']} CPUs ({m['cpu']}), Python {m['python']}, {wrk_version}, moto {moto_version}, "
        f"{m['date']}; wrk -t{args.threads} -c{args.connections} -d{args.duration}s after {args.warmup} s "
        f"warm-up; {args.users} people per workload"
    )
    issuer = LoopbackIssuer()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-federation-") as tmp:
        workdir = Path(tmp)
        data_dir = workdir / "data"
        servers: list[tuple[Server, Path | None]] = [(start_localiam(data_dir), data_dir)]
        if not args.no_moto:
            moto = start_moto()
            if moto is not None:
                servers.append((moto, None))
        try:
            for server, directory in servers:
                workloads = web_identity_workloads(server, directory, issuer, args.users)
                saml = saml_workload(server, directory, args.users)
                if saml is not None:
                    workloads.append(saml)
                for workload in workloads:
                    rows.append(run(server, workload, args, workdir))
        finally:
            for server, _ in servers:
                stop(server)
    print(f"\nJWKS fetches by localiam from the loopback issuer during the whole run: {issuer.fetches}")
    print("\n| server | workload | req/s | p50 ms | p90 ms | p99 ms | server CPU ms/req |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['server']} | {r['workload']} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p90_ms']:.2f} | "
            f"{r['p99_ms']:.2f} | {r['server_cpu_ms_per_request']:.2f} |"
        )
    print("\nmoto verifies no signature and no trust policy: its figures are what checking nothing costs.")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": m, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
