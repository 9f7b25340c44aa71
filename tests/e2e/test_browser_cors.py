"""A web app on another origin calls the endpoint as the AWS SDK for JavaScript and Amplify do
from a browser: a CORS preflight to the root, where JSON and query calls are POSTed, and answers
the page may read (``Access-Control-Allow-Origin``), as AWS's Cognito, STS and DynamoDB
endpoints answer. S3's preflights, to a bucket's path, follow the bucket's CORS rules."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from localiam.testing import LocaliamServer

ORIGIN = "http://localhost:3000"


def send(request: urllib.request.Request) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def test_a_preflight_to_the_root_is_allowed(server: LocaliamServer) -> None:
    preflight = urllib.request.Request(
        server.endpoint + "/",
        method="OPTIONS",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-amz-target,x-amz-user-agent",
        },
    )
    status, headers, _ = send(preflight)
    assert status == 200
    assert headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in headers["access-control-allow-methods"]
    assert headers["access-control-allow-headers"] == "content-type,x-amz-target,x-amz-user-agent"


def test_a_cognito_answer_is_readable_from_another_origin(server: LocaliamServer) -> None:
    admin = server.client("cognito-idp")
    pool = admin.create_user_pool(PoolName="web")["UserPool"]["Id"]
    client = admin.create_user_pool_client(UserPoolId=pool, ClientName="spa")["UserPoolClient"]["ClientId"]
    call = urllib.request.Request(
        server.endpoint + "/",
        method="POST",
        data=json.dumps({"ClientId": client, "Username": "alice", "Password": "Corr3ct-Horse!"}).encode(),
        headers={
            "Origin": ORIGIN,
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.SignUp",
        },
    )
    status, headers, body = send(call)
    assert status == 200 and json.loads(body)["UserConfirmed"] is False
    assert headers["access-control-allow-origin"] == "*"
    assert "x-amzn-ErrorType" in headers["access-control-expose-headers"]
    # An error answer too: the page must be able to read why it failed.
    status, headers, body = send(call)
    assert status == 400 and json.loads(body)["__type"] == "UsernameExistsException"
    assert headers["access-control-allow-origin"] == "*"


def test_an_s3_preflight_still_follows_the_bucket(server: LocaliamServer) -> None:
    server.client("s3").create_bucket(Bucket="no-cors")
    preflight = urllib.request.Request(
        server.endpoint + "/no-cors/photo.jpg",
        method="OPTIONS",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"},
    )
    status, headers, _ = send(preflight)
    assert status == 403 and "access-control-allow-origin" not in headers
