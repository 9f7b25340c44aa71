"""The seed's *Cognito with API Gateway* diagram on localiam, as a script.

A REST API with ``/google`` and ``/cip`` (AWS_IAM: callers sign with identity pool credentials)
and ``/cup`` (a Cognito user pool authorizer: callers send the user pool's ID token), each an
``AWS_PROXY`` integration of one Python function that reads and writes the caller's own item in
a DynamoDB table, keyed by the caller's Cognito identity id (``/google``, ``/cip``) or user pool
``sub`` (``/cup``), with its execution role. Three people use it:

- A signs in with Google (localiam's test issuer) and gets credentials from the identity pool;
- B signs in to the user pool and gets credentials from the identity pool with its ID token;
- C signs in to the user pool and sends its ID token to ``/cup``.

Run it against a running ``localiam serve`` (default data dir, or ``--data-dir DIR``):

    python examples/cognito-apigateway/seed.py [--endpoint http://127.0.0.1:4599] [--data-dir DIR]

It builds everything under fresh names, prints each call and its answer, and exits 1 if an
answer is not the one AWS gives. ``tests/e2e/test_seed_diagram.py`` runs :func:`run` as a test.
"""

from __future__ import annotations

import argparse
import io
import json
import secrets
import sys
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

REGION = "us-east-1"
GOOGLE_APP = "seed-app.apps.googleusercontent.com"
PASSWORD = "Corr3ct-Horse!"
FUNCTION = """
import json, os
import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def handler(event, context):
    ctx = event["requestContext"]
    claims = (ctx.get("authorizer") or {}).get("claims") or {}
    owner = ctx["identity"].get("cognitoIdentityId") or claims.get("sub")
    if not owner:
        return {"statusCode": 403, "body": json.dumps({"message": "no identity"})}
    if event["httpMethod"] == "PUT":
        table.put_item(Item={"owner": owner, "note": event["body"] or ""})
    item = table.get_item(Key={"owner": owner}).get("Item")
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"owner": owner, "note": item["note"] if item else None})}
"""


class Checks:
    """Each call and whether its answer is the expected one."""

    def __init__(self, out: Callable[[str], None]) -> None:
        self.out = out
        self.failures: list[str] = []

    def expect(self, label: str, status: int, body: Any, wanted: int) -> Any:
        ok = status == wanted
        self.out(f"{'ok  ' if ok else 'FAIL'} {label}: {status} {json.dumps(body)[:160]}")
        if not ok:
            self.failures.append(f"{label}: {status}, expected {wanted}")
        return body


def http(
    url: str, *, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            status, data = answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        status, data = exc.code, exc.read()
    try:
        return status, json.loads(data) if data else None
    except ValueError:
        return status, data.decode(errors="replace")


def signed(url: str, creds: dict[str, Any], *, method: str = "GET", body: bytes | None = None) -> tuple[int, Any]:
    """As an SDK signs for ``execute-api``."""
    credentials = Credentials(creds["AccessKeyId"], creds["SecretKey"], creds.get("SessionToken"))
    request = AWSRequest(method=method, url=url, data=body or b"")
    SigV4Auth(credentials, "execute-api", REGION).add_auth(request)
    return http(url, method=method, body=body, headers=dict(request.headers.items()))


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


def run(
    endpoint: str,
    access_key: str,
    secret_key: str,
    google_token: Callable[[str, str], str],
    out: Callable[[str], None] = print,
) -> list[str]:
    """Build the diagram and use it; the failed expectations (none when all is as on AWS).
    ``google_token(subject, audience)`` returns a Google ID token from the test issuer."""
    suffix = secrets.token_hex(3)

    def admin(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
        )

    def anonymous(service: str) -> Any:
        return boto3.client(
            service, endpoint_url=endpoint, region_name=REGION, config=Config(signature_version=UNSIGNED)
        )

    checks = Checks(out)
    account = admin("sts").get_caller_identity()["Account"]
    iam, idp, identity, lam, apigw, dynamodb = (
        admin(s) for s in ("iam", "cognito-idp", "cognito-identity", "lambda", "apigateway", "dynamodb")
    )

    # The user pool (Cognito UP) and its people B and C.
    pool = idp.create_user_pool(PoolName=f"seed-{suffix}")["UserPool"]
    client = idp.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    tokens = {}
    for person in ("b", "c"):
        idp.admin_create_user(UserPoolId=pool["Id"], Username=person, MessageAction="SUPPRESS")
        idp.admin_set_user_password(UserPoolId=pool["Id"], Username=person, Password=PASSWORD, Permanent=True)
        tokens[person] = anonymous("cognito-idp").initiate_auth(
            ClientId=client, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": person, "PASSWORD": PASSWORD}
        )["AuthenticationResult"]["IdToken"]
    provider = f"cognito-idp.{REGION}.amazonaws.com/{pool['Id']}"

    # The identity pool (Cognito IP), trusting Google and the user pool.
    identity_pool = identity.create_identity_pool(
        IdentityPoolName=f"seed-{suffix}",
        AllowUnauthenticatedIdentities=False,
        SupportedLoginProviders={"accounts.google.com": GOOGLE_APP},
        CognitoIdentityProviders=[{"ProviderName": provider, "ClientId": client}],
    )["IdentityPoolId"]

    # The table and the function that works on it with its execution role.
    table = f"seed-notes-{suffix}"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "owner", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "owner", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    lambda_trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    function_role = iam.create_role(
        RoleName=f"seed-function-{suffix}", AssumeRolePolicyDocument=json.dumps(lambda_trust)
    )["Role"]["Arn"]
    table_arn = f"arn:aws:dynamodb:{REGION}:{account}:table/{table}"
    iam.put_role_policy(
        RoleName=f"seed-function-{suffix}",
        PolicyName="notes",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": table_arn}
                ],
            }
        ),
    )
    function_arn = lam.create_function(
        FunctionName=f"seed-notes-{suffix}",
        Runtime="python3.11",
        Role=function_role,
        Handler="app.handler",
        Code={"ZipFile": _zip(FUNCTION)},
        Environment={"Variables": {"TABLE": table}},
        Timeout=30,
    )["FunctionArn"]

    # The API: /google and /cip (AWS_IAM), /cup (COGNITO_USER_POOLS).
    api = apigw.create_rest_api(name=f"seed-{suffix}")
    api_id, root = api["id"], api["rootResourceId"]
    authorizer = apigw.create_authorizer(
        restApiId=api_id, name="user-pool", type="COGNITO_USER_POOLS", providerARNs=[pool["Arn"]]
    )["id"]
    uri = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    for part, authorization in (("google", "AWS_IAM"), ("cip", "AWS_IAM"), ("cup", "COGNITO_USER_POOLS")):
        resource = apigw.create_resource(restApiId=api_id, parentId=root, pathPart=part)["id"]
        extra = {"authorizerId": authorizer} if authorization == "COGNITO_USER_POOLS" else {}
        apigw.put_method(
            restApiId=api_id, resourceId=resource, httpMethod="ANY", authorizationType=authorization, **extra
        )
        apigw.put_integration(
            restApiId=api_id,
            resourceId=resource,
            httpMethod="ANY",
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=uri,
        )
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    url = f"{endpoint}/_aws/execute-api/{api_id}/prod"

    # The role identity pool users get: it may invoke /google and /cip only.
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {"cognito-identity.amazonaws.com:aud": identity_pool},
                    "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
                },
            }
        ],
    }
    members = iam.create_role(RoleName=f"seed-members-{suffix}", AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    invoke = {
        "Effect": "Allow",
        "Action": "execute-api:Invoke",
        "Resource": [
            f"arn:aws:execute-api:{REGION}:{account}:{api_id}/prod/*/google",
            f"arn:aws:execute-api:{REGION}:{account}:{api_id}/prod/*/cip",
        ],
    }
    iam.put_role_policy(
        RoleName=f"seed-members-{suffix}",
        PolicyName="invoke",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [invoke]}),
    )
    identity.set_identity_pool_roles(IdentityPoolId=identity_pool, Roles={"authenticated": members})

    def credentials(logins: dict[str, str]) -> dict[str, Any]:
        cognito = anonymous("cognito-identity")
        identity_id = cognito.get_id(IdentityPoolId=identity_pool, Logins=logins)["IdentityId"]
        return dict(cognito.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)["Credentials"])

    a = credentials({"accounts.google.com": google_token("person-a", GOOGLE_APP)})
    b = credentials({provider: tokens["b"]})

    # Before API Gateway may invoke the function: 500, as on AWS.
    checks.expect(
        "A PUT /google before the function permission", *signed(f"{url}/google", a, method="PUT", body=b"A's note"), 500
    )
    lam.add_permission(
        FunctionName=f"seed-notes-{suffix}",
        StatementId="apigateway",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{account}:{api_id}/*",
    )
    body = checks.expect("A PUT /google", *signed(f"{url}/google", a, method="PUT", body=b"A's note"), 200)
    a_owner = (body or {}).get("owner")
    body = checks.expect("B PUT /cip", *signed(f"{url}/cip", b, method="PUT", body=b"B's note"), 200)
    b_owner = (body or {}).get("owner")
    body = checks.expect(
        "C PUT /cup", *http(f"{url}/cup", method="PUT", body=b"C's note", headers={"Authorization": tokens["c"]}), 200
    )
    c_owner = (body or {}).get("owner")
    for label, answer, owner, note in (
        ("A GET /google", signed(f"{url}/google", a), a_owner, "A's note"),
        ("B GET /cip", signed(f"{url}/cip", b), b_owner, "B's note"),
        ("C GET /cup", http(f"{url}/cup", headers={"Authorization": tokens["c"]}), c_owner, "C's note"),
    ):
        got = checks.expect(label, *answer, 200)
        if (got or {}).get("owner") != owner or (got or {}).get("note") != note:
            checks.failures.append(f"{label}: read {got}, expected {owner}'s {note!r}")
    if len({a_owner, b_owner, c_owner}) != 3:
        checks.failures.append("A, B and C are not three different owners")
    checks.expect("unsigned GET /google", *http(f"{url}/google"), 403)
    checks.expect("GET /cup without a token", *http(f"{url}/cup"), 401)
    tampered = tokens["c"][:-4] + ("AAAA" if not tokens["c"].endswith("AAAA") else "BBBB")
    checks.expect("GET /cup with a tampered token", *http(f"{url}/cup", headers={"Authorization": tampered}), 401)

    # A role whose policy lacks execute-api:Invoke on /cip.
    iam.put_role_policy(
        RoleName=f"seed-members-{suffix}",
        PolicyName="invoke",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{**invoke, "Resource": invoke["Resource"][0]}]}
        ),
    )
    checks.expect("B GET /cip once the role may only invoke /google", *signed(f"{url}/cip", b), 403)

    # A resource policy that denies the account wins over the role's allow.
    deny_account = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": f"arn:aws:execute-api:{REGION}:{account}:{api_id}/*",
            },
            {
                "Effect": "Deny",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "execute-api:Invoke",
                "Resource": f"arn:aws:execute-api:{REGION}:{account}:{api_id}/*/*/google",
            },
        ],
    }
    apigw.update_rest_api(
        restApiId=api_id, patchOperations=[{"op": "replace", "path": "/policy", "value": json.dumps(deny_account)}]
    )
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    body = checks.expect("A GET /google once the resource policy denies the account", *signed(f"{url}/google", a), 403)
    if not str((body or {}).get("Message", "")).endswith("with an explicit deny"):
        checks.failures.append(f"the resource policy's denial does not say 'with an explicit deny': {body}")
    return checks.failures


def _google_token_cli(data_dir: str | None) -> Callable[[str, str], str]:
    import subprocess

    def token(subject: str, audience: str) -> str:
        cmd = [
            "localiam",
            "idp",
            "oidc",
            "token",
            "--issuer",
            "https://accounts.google.com",
            "--sub",
            subject,
            "--aud",
            audience,
        ]
        if data_dir:
            cmd += ["--data-dir", data_dir]
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()

    return token


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--endpoint", default="http://127.0.0.1:4599")
    ap.add_argument(
        "--data-dir", default=None, help="localiam's data dir (for the root credentials and the test issuer)"
    )
    args = ap.parse_args(argv)
    if args.data_dir:
        directory = Path(args.data_dir)
    else:
        import platformdirs

        directory = Path(platformdirs.user_data_dir("localiam"))
    root = json.loads((directory / "root-credentials.json").read_text())
    failures = run(args.endpoint, root["AccessKeyId"], root["SecretAccessKey"], _google_token_cli(args.data_dir))
    print("\nall answers are AWS's" if not failures else "\n" + "\n".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
