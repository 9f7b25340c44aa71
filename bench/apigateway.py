"""API Gateway under load: requests per second through deployed stages, by how the method is
authorized (none, ``AWS_IAM`` with SigV4 for ``execute-api``, a Cognito user pool authorizer) and
by integration (``MOCK``, or ``AWS_PROXY`` to a trivial Lambda function), with the server's CPU
per request, so the share of authorization shows; ``moto_server`` in the same run for what it
has: the control plane (``moto_server`` does not serve invocations of stages).

Run: ``.venv/bin/python bench/apigateway.py [--people 50] [--seconds 8] [--connections 16] [--no-moto]``.
Needs ``wrk``; for the comparison ``.venv/bin/pip install 'moto[server]'`` (bench only).

Workload: ``--people`` IAM users (each with its own key and policy) and as many user pool users
(each with its own ID token); ``wrk`` rotates over one request per person and path, so no two
consecutive requests share a caller or a path. SigV4 header signatures stay valid for 15
minutes, so the signed requests are made once and replayed.

This is a benchmark: it prints figures and never asserts on them (it stops on any failure).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _stats
from server import Server, lua_string, server_cpu_seconds, start_localiam, start_moto, stop, tool_versions, wrk
from server import client as server_client

REGION = "us-east-1"
FUNCTION = """
def handler(event, context):
    return {"statusCode": 200, "body": "ok"}
"""
PASSWORD = "Corr3ct-Horse!"


def package(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


def build_api(server: Server, function_arn: str | None, pool_arn: str | None) -> str:
    """An API with /none, /iam and /cup (MOCK), and /lambda-iam, /lambda-cup (AWS_PROXY), each
    with a {id} child so every person has their own path."""
    api = server_client(server, "apigateway")
    made = api.create_rest_api(name="bench")
    api_id, root = made["id"], made["rootResourceId"]
    authorizer = None
    if pool_arn is not None:
        authorizer = api.create_authorizer(
            restApiId=api_id, name="pool", type="COGNITO_USER_POOLS", providerARNs=[pool_arn]
        )["id"]
    plans = [("none", "NONE", "MOCK")]
    if server.name == "localiam":
        plans += [("iam", "AWS_IAM", "MOCK"), ("cup", "COGNITO_USER_POOLS", "MOCK")]
        plans += [("lambda-iam", "AWS_IAM", "AWS_PROXY"), ("lambda-cup", "COGNITO_USER_POOLS", "AWS_PROXY")]
    for part, authorization, integration in plans:
        parent = api.create_resource(restApiId=api_id, parentId=root, pathPart=part)["id"]
        child = api.create_resource(restApiId=api_id, parentId=parent, pathPart="{id}")["id"]
        extra: dict[str, Any] = {"authorizerId": authorizer} if authorization == "COGNITO_USER_POOLS" else {}
        api.put_method(restApiId=api_id, resourceId=child, httpMethod="GET", authorizationType=authorization, **extra)
        if integration == "MOCK":
            api.put_integration(
                restApiId=api_id,
                resourceId=child,
                httpMethod="GET",
                type="MOCK",
                requestTemplates={"application/json": '{"statusCode": 200}'},
            )
            api.put_integration_response(
                restApiId=api_id,
                resourceId=child,
                httpMethod="GET",
                statusCode="200",
                responseTemplates={"application/json": '{"ok": true}'},
            )
        else:
            api.put_integration(
                restApiId=api_id,
                resourceId=child,
                httpMethod="GET",
                type="AWS_PROXY",
                integrationHttpMethod="POST",
                uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
            )
    api.create_deployment(restApiId=api_id, stageName="prod")
    return str(api_id)


def pool_users(server: Server, count: int) -> tuple[str, list[str]]:
    """A user pool's ARN and ``count`` of its users' ID tokens."""
    idp = server_client(server, "cognito-idp")
    pool = idp.create_user_pool(PoolName="bench")["UserPool"]
    app = idp.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="bench",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    tokens = []
    for i in range(count):
        idp.admin_create_user(UserPoolId=pool["Id"], Username=f"user-{i}", MessageAction="SUPPRESS")
        idp.admin_set_user_password(UserPoolId=pool["Id"], Username=f"user-{i}", Password=PASSWORD, Permanent=True)
        result = idp.admin_initiate_auth(
            UserPoolId=pool["Id"],
            ClientId=app,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": f"user-{i}", "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
        tokens.append(result["IdToken"])
    return str(pool["Arn"]), tokens


def callers(server: Server, count: int, api_id: str) -> list[tuple[str, str]]:
    """``count`` IAM users, each allowed to invoke only its own paths; their keys."""
    iam = server_client(server, "iam")
    account = server_client(server, "sts").get_caller_identity()["Account"]
    keys = []
    for i in range(count):
        iam.create_user(UserName=f"caller-{i}")
        allowed = f"arn:aws:execute-api:{REGION}:{account}:{api_id}/prod/GET/*/{i}"
        statement = {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": allowed}
        document = {"Version": "2012-10-17", "Statement": [statement]}
        iam.put_user_policy(UserName=f"caller-{i}", PolicyName="invoke", PolicyDocument=json.dumps(document))
        key = iam.create_access_key(UserName=f"caller-{i}")["AccessKey"]
        keys.append((key["AccessKeyId"], key["SecretAccessKey"]))
    return keys


def function(server: Server, api_id: str) -> str:
    """The trivial function, which API Gateway may invoke for ``api_id``."""
    iam = server_client(server, "iam")
    principal = {"Service": "lambda.amazonaws.com"}
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
    }
    role = iam.create_role(RoleName="bench-fn", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    functions = server_client(server, "lambda")
    arn = functions.create_function(
        FunctionName="ok", Runtime="python3.11", Role=role, Handler="app.handler", Code={"ZipFile": package(FUNCTION)}
    )["FunctionArn"]
    account = arn.split(":")[4]
    functions.add_permission(
        FunctionName="ok",
        StatementId="apigateway",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{account}:*",
    )
    return str(arn)


def signed_get(url: str, key: str, secret: str) -> dict[str, str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(key, secret), "execute-api", REGION).add_auth(request)
    return dict(request.headers.items())


def rotation_script(requests: list[tuple[str, dict[str, str]]]) -> str:
    entries = []
    for path, headers in requests:
        fields = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
        entries.append(f"{{path = {lua_string(path)}, headers = {{{fields}}}}}")
    return (
        "local requests = {\n" + ",\n".join(entries) + "\n}\nlocal n = 0\n"
        "function request()\n  n = n + 1\n  local r = requests[(n % #requests) + 1]\n"
        '  return wrk.format("GET", r.path, r.headers)\nend\n'
    )


def measure(
    server: Server, requests: list[tuple[str, dict[str, str]]], args: argparse.Namespace, workdir: Path, name: str
) -> dict[str, Any]:
    script = workdir / f"{server.name}-{name}.lua"
    script.write_text(rotation_script(requests))
    wrk(server.endpoint + "/", 1, args.connections, 2, script)
    before = server_cpu_seconds(server.proc.pid)
    _out, result, socket_errors = wrk(server.endpoint + "/", 1, args.connections, args.seconds, script)
    cpu = server_cpu_seconds(server.proc.pid) - before
    if result["non_2xx"] or socket_errors:
        return {"error": f"{int(result['non_2xx'])} non-2xx answers {socket_errors}"}
    return {**result, "server_cpu_ms": cpu * 1000 / result["requests"] if result["requests"] else float("nan")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--people", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--no-moto", action="store_true")
    args = ap.parse_args(argv)
    wrk_version, moto_version = tool_versions()
    m = _stats.machine()
    print(
        f"machine: {m['nproc']} CPUs ({m['cpu']}), Python {m['python']}, {wrk_version}, moto {moto_version}, "
        f"{m['date']}; {args.people} people, {args.seconds} s per figure, wrk -c{args.connections}"
    )
    rows: list[tuple[str, str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory(prefix="bench-apigateway-") as tmp:
        workdir = Path(tmp)
        servers = [start_localiam(workdir / "data")]
        if not args.no_moto:
            moto = start_moto()
            if moto is not None:
                servers.append(moto)
        try:
            for server in servers:
                if server.name == "localiam":
                    pool_arn, tokens = pool_users(server, args.people)
                    function_arn = function(server, "*")
                    api_id = build_api(server, function_arn, pool_arn)
                    keys = callers(server, args.people, api_id)
                    base = f"/_aws/execute-api/{api_id}/prod"
                    host = server.endpoint.split("://", 1)[1]
                    plans = {
                        "NONE, MOCK": [(f"{base}/none/{i}", {"Host": host}) for i in range(args.people)],
                        "AWS_IAM, MOCK": [
                            (f"{base}/iam/{i}", signed_get(f"{server.endpoint}{base}/iam/{i}", *keys[i]))
                            for i in range(args.people)
                        ],
                        "Cognito, MOCK": [
                            (f"{base}/cup/{i}", {"Host": host, "Authorization": tokens[i]}) for i in range(args.people)
                        ],
                        "AWS_IAM, Lambda proxy": [
                            (f"{base}/lambda-iam/{i}", signed_get(f"{server.endpoint}{base}/lambda-iam/{i}", *keys[i]))
                            for i in range(args.people)
                        ],
                        "Cognito, Lambda proxy": [
                            (f"{base}/lambda-cup/{i}", {"Host": host, "Authorization": tokens[i]})
                            for i in range(args.people)
                        ],
                    }
                else:
                    # moto_server keeps APIs but does not serve their stages: the control plane only.
                    api_id = build_api(server, None, None)
                    plans = {}
                for name, requests in plans.items():
                    rows.append((server.name, name, measure(server, requests, args, workdir, name.replace(", ", "-"))))
                resources = [(f"/restapis/{api_id}/resources", {})]
                signed_headers = signed_control(server, api_id)
                rows.append(
                    (
                        server.name,
                        "GetResources (control plane)",
                        measure(server, [(resources[0][0], signed_headers)], args, workdir, "control"),
                    )
                )
        finally:
            for server in servers:
                stop(server)
    print("\n| server | method, integration | per second | p50 ms | p90 ms | server CPU ms/request |")
    print("|---|---|---:|---:|---:|---:|")
    for server_name, name, r in rows:
        if "error" in r:
            print(f"| {server_name} | {name} | - | - | - | - | ({r['error'][:80]})")
            continue
        print(
            f"| {server_name} | {name} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p90_ms']:.1f} | "
            f"{r['server_cpu_ms']:.2f} |"
        )
    base_cpu = next(
        (r["server_cpu_ms"] for s, n, r in rows if s == "localiam" and n == "NONE, MOCK" and "error" not in r), None
    )
    if base_cpu:
        for server_name, name, r in rows:
            if server_name == "localiam" and "error" not in r and name.endswith("MOCK") and name != "NONE, MOCK":
                share = (r["server_cpu_ms"] - base_cpu) / r["server_cpu_ms"]
                print(f"- {name}: authorization is {share:.0%} of the server's CPU per request (vs NONE, MOCK)")
    return 0


def signed_control(server: Server, api_id: str) -> dict[str, str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="GET", url=f"{server.endpoint}/restapis/{api_id}/resources")
    SigV4Auth(Credentials(server.access_key, server.secret_key), "apigateway", REGION).add_auth(request)
    return dict(request.headers.items())


if __name__ == "__main__":
    raise SystemExit(main())
