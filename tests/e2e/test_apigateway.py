"""API Gateway REST APIs end to end: the control plane with boto3, and invocations of deployed
stages with plain HTTP (urllib) and botocore's SigV4 signer for ``execute-api`` (a signer we did
not write), through IAM, Cognito user pool and Lambda authorizers to Lambda proxy and mock
integrations.

Pages (API Gateway Developer Guide): ``apigateway-control-access-using-iam-policies`` and
``api-gateway-iam-policy-examples-for-api-execution`` (``execute-api:Invoke`` on
``arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH``), ``apigateway-resource-policies``,
``apigateway-integrate-with-cognito`` (401 Unauthorized), ``apigateway-use-lambda-authorizer``,
``set-up-lambda-proxy-integrations`` (the proxy event and the answer's shape, 502 on a malformed
one), ``api-gateway-known-issues`` and ``handle-errors-in-lambda-integration`` (403 "Missing
Authentication Token" for an unknown path).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from e2e_helpers import allow, error_of, make_user, policy
from test_cognito_identity_pools import id_token, identity_trust, unsigned
from test_lambda import create, lambda_role

from localiam.testing import LocaliamServer

ECHO = """
import json
def handler(event, context):
    return {"statusCode": 200, "headers": {"x-echo": "yes"},
            "body": json.dumps({"path": event["path"], "resource": event["resource"],
                                "pathParameters": event["pathParameters"], "query": event["queryStringParameters"],
                                "identity": event["requestContext"]["identity"],
                                "authorizer": event["requestContext"]["authorizer"], "body": event["body"]})}
"""
BROKEN = """
def handler(event, context):
    return {"statusCode": "teapot", "body": 42}
"""
AUTHORIZER = """
def handler(event, context):
    token = event["authorizationToken"]
    if token == "let-me-in":
        effect = "Allow"
    elif token == "go-away":
        effect = "Deny"
    else:
        raise Exception("Unauthorized")
    resource = event["methodArn"].rsplit("/", 2)[0] + "/*"
    statement = {"Effect": effect, "Action": "execute-api:Invoke", "Resource": resource}
    return {"principalId": "user-" + token, "context": {"team": "blue"},
            "policyDocument": {"Version": "2012-10-17", "Statement": [statement]}}
"""


def call(
    url: str, *, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            status, got, data = answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as exc:
        status, got, data = exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()
    try:
        return status, got, json.loads(data) if data else None
    except ValueError:
        return status, got, data


def signed_call(
    url: str, creds: dict[str, Any], *, method: str = "GET", body: bytes | None = None
) -> tuple[int, dict[str, str], Any]:
    """Signs as an SDK signs for ``execute-api`` (botocore's SigV4Auth)."""
    secret = creds.get("SecretKey") or creds.get("SecretAccessKey")
    credentials = Credentials(creds["AccessKeyId"], secret, creds.get("SessionToken"))
    request = AWSRequest(method=method, url=url, data=body or b"")
    SigV4Auth(credentials, "execute-api", "us-east-1").add_auth(request)
    return call(url, method=method, body=body, headers=dict(request.headers.items()))


class Api:
    """A REST API under construction, with boto3."""

    def __init__(self, server: LocaliamServer, name: str = "seed", policy_text: str | None = None) -> None:
        self.server = server
        self.client = server.client("apigateway")
        kwargs: dict[str, Any] = {"name": name}
        if policy_text:
            kwargs["policy"] = policy_text
        made = self.client.create_rest_api(**kwargs)
        self.id = made["id"]
        self.root = made["rootResourceId"]

    def resource(self, path_part: str, parent: str | None = None) -> str:
        return str(
            self.client.create_resource(restApiId=self.id, parentId=parent or self.root, pathPart=path_part)["id"]
        )

    def lambda_method(self, resource: str, function_arn: str, authorization: str = "NONE", **extra: Any) -> None:
        self.client.put_method(
            restApiId=self.id, resourceId=resource, httpMethod="ANY", authorizationType=authorization, **extra
        )
        self.client.put_integration(
            restApiId=self.id,
            resourceId=resource,
            httpMethod="ANY",
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations",
        )

    def mock_method(self, resource: str, answer: str, method: str = "GET", **extra: Any) -> None:
        """A MOCK integration answering 200 with ``answer`` (its ``application/json`` template)."""
        kept = {"restApiId": self.id, "resourceId": resource, "httpMethod": method}
        self.client.put_method(**kept, authorizationType="NONE", **extra)
        self.client.put_integration(**kept, type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
        self.client.put_method_response(**kept, statusCode="200")
        self.client.put_integration_response(**kept, statusCode="200", responseTemplates={"application/json": answer})

    def deploy(self, stage: str = "prod") -> None:
        self.client.create_deployment(restApiId=self.id, stageName=stage)

    def url(self, path: str, stage: str = "prod") -> str:
        return f"{self.server.endpoint}/_aws/execute-api/{self.id}/{stage}{path}"

    def allow_lambda(self, function: str, statement: str = "apigateway") -> None:
        self.server.client("lambda").add_permission(
            FunctionName=function,
            StatementId=statement,
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:us-east-1:{self.server.account_id}:{self.id}/*",
        )


@pytest.fixture
def echo(server: LocaliamServer) -> str:
    role = lambda_role(server.client("iam"), "echo-role")
    return str(create(server.client("lambda"), "echo", role, ECHO)["FunctionArn"])


def test_mock_integration_on_the_three_addresses(server: LocaliamServer) -> None:
    api = Api(server)
    hello = api.resource("hello")
    api.mock_method(hello, '{"hello": "world"}')
    # Not deployed yet: no stage.
    assert call(api.url("/hello"))[0] == 403
    api.deploy()
    port = server.endpoint.rsplit(":", 1)[1]
    for url, headers in (
        (api.url("/hello"), {}),
        (f"http://127.0.0.1:{port}/restapis/{api.id}/prod/_user_request_/hello", {}),
        (f"http://127.0.0.1:{port}/prod/hello", {"Host": f"{api.id}.execute-api.localhost:{port}"}),
    ):
        status, _headers, body = call(url, headers=headers)
        assert (status, body) == (200, {"hello": "world"}), url
    status, headers, body = call(api.url("/nowhere"))
    assert (status, body) == (403, {"message": "Missing Authentication Token"})
    assert headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    assert call(api.url("/hello"), method="POST")[2] == {"message": "Missing Authentication Token"}
    kept = {"restApiId": api.id, "resourceId": hello, "httpMethod": "GET", "statusCode": "200"}
    assert api.client.get_method_response(**kept)["statusCode"] == "200"
    assert api.client.get_integration_response(**kept)["responseTemplates"] == {
        "application/json": '{"hello": "world"}'
    }
    api.client.delete_integration_response(**kept)
    assert error_of(api.client.get_integration_response, **kept)["Code"] == "NotFoundException"
    # The stage still serves its deployment: the change reaches callers once deployed.
    assert call(api.url("/hello"))[2] == {"hello": "world"}
    stages = api.client.get_stages(restApiId=api.id)["item"]
    assert [s["stageName"] for s in stages] == ["prod"]
    resources = {r["path"]: r for r in api.client.get_resources(restApiId=api.id)["items"]}
    assert set(resources) == {"/", "/hello"} and "GET" in resources["/hello"]["resourceMethods"]


def test_control_plane_errors_and_authorization(server: LocaliamServer) -> None:
    api = Api(server)
    client = api.client
    err = error_of(client.get_rest_api, restApiId="nosuchapi1")
    assert (err["Code"], err["status"]) == ("NotFoundException", 404)
    assert err["Message"] == f"Invalid API identifier specified {server.account_id}:nosuchapi1"
    err = error_of(client.create_resource, restApiId=api.id, parentId=api.root, pathPart="bad/part")
    assert err["Code"] == "BadRequestException"
    err = error_of(client.create_deployment, restApiId=api.id, stageName="prod")
    assert (err["Code"], err["Message"]) == ("BadRequestException", "The REST API doesn't contain any methods")
    updated = client.update_rest_api(
        restApiId=api.id, patchOperations=[{"op": "replace", "path": "/name", "value": "renamed"}]
    )
    assert updated["name"] == "renamed"
    arn = f"arn:aws:apigateway:us-east-1::/restapis/{api.id}"
    client.tag_resource(resourceArn=arn, tags={"team": "blue"})
    assert client.get_tags(resourceArn=arn)["tags"] == {"team": "blue"}
    reader = make_user(server.client("iam"), server, "reader", inline=policy(allow("apigateway:GET"))).client(
        "apigateway"
    )
    assert reader.get_rest_api(restApiId=api.id)["name"] == "renamed"
    err = error_of(reader.delete_rest_api, restApiId=api.id)
    assert err["Code"] == "AccessDeniedException"
    assert f"apigateway:DELETE on resource: {arn}" in err["Message"]
    client.delete_rest_api(restApiId=api.id)
    assert error_of(client.get_rest_api, restApiId=api.id)["Code"] == "NotFoundException"


def test_lambda_proxy_event_and_answers(server: LocaliamServer, echo: str) -> None:
    api = Api(server)
    items = api.resource("items")
    item = api.resource("{id}", items)
    api.lambda_method(item, echo)
    broken_role = lambda_role(server.client("iam"), "broken-role")
    broken = create(server.client("lambda"), "broken", broken_role, BROKEN)["FunctionArn"]
    proxy = api.resource("{proxy+}")
    api.lambda_method(proxy, broken)
    api.deploy()
    # Without a function policy for API Gateway: 500, as on AWS.
    status, _h, body = call(api.url("/items/42"))
    assert (status, body) == (500, {"message": "Internal server error"})
    api.allow_lambda("echo")
    status, headers, body = call(
        api.url("/items/42?color=red"), method="POST", body=b'{"a": 1}', headers={"Content-Type": "application/json"}
    )
    assert status == 200 and headers["x-echo"] == "yes"
    assert body["path"] == "/items/42" and body["resource"] == "/items/{id}"
    assert body["pathParameters"] == {"id": "42"} and body["query"] == {"color": "red"}
    assert body["body"] == '{"a": 1}' and body["identity"]["sourceIp"] == "127.0.0.1"
    api.allow_lambda("broken")
    status, _h, body = call(api.url("/deep/er/path"))
    assert (status, body) == (502, {"message": "Internal server error"})


@pytest.fixture
def seed_pools(server: LocaliamServer) -> dict[str, str]:
    """A user pool with an app client, and an identity pool trusting it and Google."""
    idp = server.client("cognito-idp")
    pool = idp.create_user_pool(PoolName="members")["UserPool"]
    client = idp.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="web", ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )["UserPoolClient"]["ClientId"]
    for name in ("alice", "bob"):
        idp.admin_create_user(UserPoolId=pool["Id"], Username=name, MessageAction="SUPPRESS")
        idp.admin_set_user_password(UserPoolId=pool["Id"], Username=name, Password="Corr3ct-Horse!", Permanent=True)
    provider = f"cognito-idp.us-east-1.amazonaws.com/{pool['Id']}"
    identity_pool = server.client("cognito-identity").create_identity_pool(
        IdentityPoolName="seed",
        AllowUnauthenticatedIdentities=False,
        SupportedLoginProviders={"accounts.google.com": "seed-app"},
        CognitoIdentityProviders=[{"ProviderName": provider, "ClientId": client}],
    )["IdentityPoolId"]
    return {
        "pool": pool["Id"],
        "pool_arn": pool["Arn"],
        "client": client,
        "provider": provider,
        "identity_pool": identity_pool,
    }


def credentials(server: LocaliamServer, identity_pool: str, logins: dict[str, str]) -> dict[str, Any]:
    cognito = unsigned(server)
    identity = cognito.get_id(IdentityPoolId=identity_pool, Logins=logins)["IdentityId"]
    return dict(cognito.get_credentials_for_identity(IdentityId=identity, Logins=logins)["Credentials"])


def test_iam_and_cognito_methods(server: LocaliamServer, echo: str, seed_pools: dict[str, str]) -> None:
    api = Api(server)
    iam = server.client("iam")
    invoke_cip = allow("execute-api:Invoke", f"arn:aws:execute-api:us-east-1:{server.account_id}:{api.id}/prod/*/cip")
    role = iam.create_role(
        RoleName="seed-users", AssumeRolePolicyDocument=identity_trust(seed_pools["identity_pool"], "authenticated")
    )["Role"]["Arn"]
    iam.put_role_policy(RoleName="seed-users", PolicyName="invoke", PolicyDocument=policy(invoke_cip))
    server.client("cognito-identity").set_identity_pool_roles(
        IdentityPoolId=seed_pools["identity_pool"], Roles={"authenticated": role}
    )
    authorizer = api.client.create_authorizer(
        restApiId=api.id,
        name="members",
        type="COGNITO_USER_POOLS",
        providerARNs=[seed_pools["pool_arn"]],
        identitySource="method.request.header.Authorization",
    )["id"]
    for part in ("google", "cip"):
        api.lambda_method(api.resource(part), echo, "AWS_IAM")
    api.lambda_method(api.resource("cup"), echo, "COGNITO_USER_POOLS", authorizerId=authorizer)
    api.allow_lambda("echo")
    api.deploy()

    # /cip with user pool sign-in through the identity pool: the role may invoke it.
    tokens = id_token(server, {"pool": seed_pools["pool"], "client": seed_pools["client"]}, "alice")
    creds = credentials(server, seed_pools["identity_pool"], {seed_pools["provider"]: tokens["IdToken"]})
    status, _h, body = signed_call(api.url("/cip"), creds)
    assert status == 200, body
    identity = body["identity"]
    assert identity["cognitoIdentityPoolId"] == seed_pools["identity_pool"]
    assert identity["cognitoAuthenticationType"] == "authenticated"
    assert identity["cognitoAuthenticationProvider"].startswith(seed_pools["provider"])
    assert identity["userArn"].endswith(":assumed-role/seed-users/CognitoIdentityCredentials")
    # /google: the role's policy names only /cip.
    status, headers, body = signed_call(api.url("/google"), creds)
    assert status == 403 and headers["x-amzn-errortype"] == "AccessDeniedException"
    assert body == {
        "Message": f"User: {identity['userArn']} is not authorized to perform: execute-api:Invoke on resource: "
        f"arn:aws:execute-api:us-east-1:{server.account_id}:{api.id}/prod/GET/google"
    }
    # Unsigned: 403 Missing Authentication Token; a forged signature: InvalidSignatureException.
    assert call(api.url("/google"))[:3:2] == (403, {"message": "Missing Authentication Token"})
    status, headers, _ = signed_call(api.url("/cip"), {**creds, "SecretKey": "x" * 40})
    assert status == 403 and headers["x-amzn-errortype"] == "InvalidSignatureException"

    # /cup with the user pool's ID token.
    status, _h, body = call(api.url("/cup"), headers={"Authorization": tokens["IdToken"]})
    assert status == 200 and body["authorizer"]["claims"]["cognito:username"] == "alice"
    assert call(api.url("/cup"))[:3:2] == (401, {"message": "Unauthorized"})
    tampered = tokens["IdToken"][:-6] + ("AAAAAA" if not tokens["IdToken"].endswith("AAAAAA") else "BBBBBB")
    assert call(api.url("/cup"), headers={"Authorization": tampered})[0] == 401
    assert call(api.url("/cup"), headers={"Authorization": tokens["AccessToken"]})[0] == 401  # no scopes: ID tokens


def test_resource_policy_denies_an_account(server: LocaliamServer, echo: str) -> None:
    other = server.create_account()
    api_policy = policy(
        {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"},
        {
            "Effect": "Deny",
            "Principal": {"AWS": f"arn:aws:iam::{other.account_id}:root"},
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
        },
    )
    api = Api(server, policy_text=api_policy.replace("execute-api:/*", "arn:aws:execute-api:us-east-1:*:*/*"))
    api.lambda_method(api.resource("cip"), echo, "AWS_IAM")
    api.allow_lambda("echo")
    api.deploy()
    mine = make_user(server.client("iam"), server, "caller", inline=policy(allow("execute-api:Invoke")))
    assert (
        signed_call(api.url("/cip"), {"AccessKeyId": mine.access_key_id, "SecretKey": mine.secret_access_key})[0] == 200
    )
    theirs_iam = server.client("iam", other.access_key_id, other.secret_access_key)
    theirs = make_user(theirs_iam, server, "outsider", inline=policy(allow("execute-api:Invoke")))
    status, _h, body = signed_call(
        api.url("/cip"), {"AccessKeyId": theirs.access_key_id, "SecretKey": theirs.secret_access_key}
    )
    assert status == 403 and "is not authorized to perform: execute-api:Invoke" in body["Message"]


def test_lambda_token_authorizer(server: LocaliamServer, echo: str) -> None:
    api = Api(server)
    role = lambda_role(server.client("iam"), "authorizer-role")
    authorizer_arn = create(server.client("lambda"), "gatekeeper", role, AUTHORIZER)["FunctionArn"]
    authorizer = api.client.create_authorizer(
        restApiId=api.id,
        name="gatekeeper",
        type="TOKEN",
        authorizerUri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{authorizer_arn}/invocations",
        identitySource="method.request.header.Authorization",
        authorizerResultTtlInSeconds=300,
    )["id"]
    api.lambda_method(api.resource("custom"), echo, "CUSTOM", authorizerId=authorizer)
    api.allow_lambda("echo")
    api.allow_lambda("gatekeeper")
    api.deploy()
    status, _h, body = call(api.url("/custom"), headers={"Authorization": "let-me-in"})
    assert status == 200 and body["authorizer"] == {"principalId": "user-let-me-in", "team": "blue"}
    status, _h, body = call(api.url("/custom"), headers={"Authorization": "go-away"})
    assert (status, body) == (403, {"Message": "User is not authorized to access this resource with an explicit deny"})
    assert call(api.url("/custom"), headers={"Authorization": "who-knows"})[0] == 401
    assert call(api.url("/custom"))[0] == 401


REQUEST_AUTHORIZER = """
def handler(event, context):
    allowed = event["headers"].get("x-team") == "blue" and event["queryStringParameters"].get("ticket") == "42"
    effect = "Allow" if allowed else "Deny"
    statement = {"Effect": effect, "Action": "execute-api:Invoke", "Resource": event["methodArn"]}
    return {"principalId": "ticket-holder", "policyDocument": {"Version": "2012-10-17", "Statement": [statement]}}
"""


def test_request_authorizer_and_its_cache(server: LocaliamServer, echo: str) -> None:
    api = Api(server)
    role = lambda_role(server.client("iam"), "request-authorizer-role")
    arn = create(server.client("lambda"), "doorman", role, REQUEST_AUTHORIZER)["FunctionArn"]
    authorizer = api.client.create_authorizer(
        restApiId=api.id,
        name="doorman",
        type="REQUEST",
        authorizerUri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations",
        identitySource="method.request.header.x-team, method.request.querystring.ticket",
        authorizerResultTtlInSeconds=300,
    )["id"]
    api.lambda_method(api.resource("gate"), echo, "CUSTOM", authorizerId=authorizer)
    api.allow_lambda("echo")
    api.allow_lambda("doorman")
    api.deploy()
    assert call(api.url("/gate?ticket=42"), headers={"x-team": "blue"})[0] == 200
    assert call(api.url("/gate?ticket=41"), headers={"x-team": "blue"})[0] == 403
    assert call(api.url("/gate?ticket=42"))[0] == 401  # an identity source is missing
    # The answer for these identity sources is cached for the TTL: the authorizer is not asked
    # again (it could not be: API Gateway may no longer invoke it), new sources are refused.
    server.client("lambda").remove_permission(FunctionName="doorman", StatementId="apigateway")
    assert call(api.url("/gate?ticket=42"), headers={"x-team": "blue"})[0] == 200
    status, headers, _ = call(api.url("/gate?ticket=43"), headers={"x-team": "blue"})
    assert status == 500 and headers["x-amzn-errortype"] == "AuthorizerConfigurationException"


def test_a_cross_account_caller_needs_the_resource_policy(server: LocaliamServer, echo: str) -> None:
    """``apigateway-authorization-flow``: a caller of another account is allowed only when both
    its own policies and the API's resource policy allow."""
    other = server.create_account()
    theirs = make_user(
        server.client("iam", other.access_key_id, other.secret_access_key),
        server,
        "partner",
        inline=policy(allow("execute-api:Invoke")),
    )
    creds = {"AccessKeyId": theirs.access_key_id, "SecretKey": theirs.secret_access_key}
    closed = Api(server, name="closed")
    closed.lambda_method(closed.resource("cip"), echo, "AWS_IAM")
    closed.deploy()
    assert signed_call(closed.url("/cip"), creds)[0] == 403
    partner = f"arn:aws:iam::{other.account_id}:user/partner"
    opened = Api(
        server,
        name="opened",
        policy_text=policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": partner},
                "Action": "execute-api:Invoke",
                "Resource": f"arn:aws:execute-api:us-east-1:{server.account_id}:*/prod/GET/cip",
            }
        ),
    )
    opened.lambda_method(opened.resource("cip"), echo, "AWS_IAM")
    opened.allow_lambda("echo")
    opened.deploy()
    status, _h, body = signed_call(opened.url("/cip"), creds)
    assert status == 200 and body["identity"]["userArn"] == partner
    assert signed_call(opened.url("/cip"), creds, method="POST")[0] == 403  # the policy names GET only
    # Denied by the caller's own side: its policy does not allow.
    stranger = make_user(server.client("iam", other.access_key_id, other.secret_access_key), server, "stranger")
    stranger_creds = {"AccessKeyId": stranger.access_key_id, "SecretKey": stranger.secret_access_key}
    assert signed_call(opened.url("/cip"), stranger_creds)[0] == 403


def test_the_aws_cli_builds_and_deploys_an_api(server: LocaliamServer, tmp_path: Any) -> None:
    from e2e_helpers import AwsCli

    cli = AwsCli(server, tmp_path)

    def run(*words: str) -> Any:
        done = cli.run(list(words))
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else None

    api = run("apigateway", "create-rest-api", "--name", "seed")["id"]
    root = run("apigateway", "get-resources", "--rest-api-id", api)["items"][0]["id"]
    cip = run("apigateway", "create-resource", "--rest-api-id", api, "--parent-id", root, "--path-part", "cip")["id"]
    run(
        "apigateway",
        "put-method",
        "--rest-api-id",
        api,
        "--resource-id",
        cip,
        "--http-method",
        "GET",
        "--authorization-type",
        "AWS_IAM",
    )
    run(
        "apigateway",
        "put-integration",
        "--rest-api-id",
        api,
        "--resource-id",
        cip,
        "--http-method",
        "GET",
        "--type",
        "MOCK",
        "--request-templates",
        '{"application/json": "{\\"statusCode\\": 200}"}',
    )
    run("apigateway", "create-deployment", "--rest-api-id", api, "--stage-name", "prod")
    status, _h, body = call(f"{server.endpoint}/_aws/execute-api/{api}/prod/cip")
    assert (status, body) == (403, {"message": "Missing Authentication Token"})
    root_keys = {"AccessKeyId": server.root.access_key_id, "SecretKey": server.root.secret_access_key}
    assert signed_call(f"{server.endpoint}/_aws/execute-api/{api}/prod/cip", root_keys)[0] == 200


def test_a_method_with_scopes_takes_an_access_token_holding_one(
    server: LocaliamServer, echo: str, seed_pools: dict[str, str]
) -> None:
    """``apigateway-enable-cognito-user-pool``: with ``authorizationScopes`` the method wants an
    access token with one of them; without, an ID token."""
    api = Api(server)
    authorizer = api.client.create_authorizer(
        restApiId=api.id, name="members", type="COGNITO_USER_POOLS", providerARNs=[seed_pools["pool_arn"]]
    )["id"]
    scoped = api.resource("scoped")
    api.lambda_method(
        scoped,
        echo,
        "COGNITO_USER_POOLS",
        authorizerId=authorizer,
        authorizationScopes=["aws.cognito.signin.user.admin"],
    )
    other = api.resource("other-scope")
    api.lambda_method(other, echo, "COGNITO_USER_POOLS", authorizerId=authorizer, authorizationScopes=["photos/read"])
    api.allow_lambda("echo")
    api.deploy()
    tokens = id_token(server, {"pool": seed_pools["pool"], "client": seed_pools["client"]}, "bob")
    status, _h, body = call(api.url("/scoped"), headers={"Authorization": f"Bearer {tokens['AccessToken']}"})
    assert status == 200 and body["authorizer"]["claims"]["username"] == "bob"
    assert call(api.url("/scoped"), headers={"Authorization": tokens["IdToken"]})[0] == 401
    assert call(api.url("/other-scope"), headers={"Authorization": tokens["AccessToken"]})[0] == 401
