"""API Gateway API keys and usage plans end to end (boto3 for the control plane, plain HTTP for
the stage). Pages: ``api-gateway-api-usage-plans``, ``api-gateway-usage-plan-test-with-postman``
("If you forget to set the x-api-key header or set it with an incorrect key, you get a 403
Forbidden response"), ``api-gateway-api-key-source`` (the key from a Lambda authorizer's
``usageIdentifierKey``), ``set-up-lambda-proxy-integrations`` (``identity.apiKey``/``apiKeyId``)."""

from __future__ import annotations

from typing import Any

from e2e_helpers import allow, error_of, make_user, policy
from test_apigateway import Api, call
from test_lambda import create, lambda_role

from localiam.testing import LocaliamServer

ECHO_KEY = """
import json
def handler(event, context):
    identity = event["requestContext"]["identity"]
    return {"statusCode": 200, "body": json.dumps({"apiKey": identity.get("apiKey"),
                                                   "apiKeyId": identity.get("apiKeyId")})}
"""
KEY_AUTHORIZER = """
def handler(event, context):
    statement = {"Effect": "Allow", "Action": "execute-api:Invoke",
                 "Resource": event["methodArn"].rsplit("/", 2)[0] + "/*"}
    return {"principalId": "p", "usageIdentifierKey": event["authorizationToken"],
            "policyDocument": {"Version": "2012-10-17", "Statement": [statement]}}
"""
FORBIDDEN = (403, {"message": "Forbidden"})


def _answer(url: str, key: str | None = None) -> tuple[int, Any]:
    status, headers, body = call(url, headers={"x-api-key": key} if key is not None else {})
    if status == 403 and body == {"message": "Forbidden"}:
        assert headers["x-amzn-errortype"] == "ForbiddenException"
    return status, body


def test_a_method_that_requires_a_key_lets_in_only_a_key_of_a_plan_for_its_stage(server: LocaliamServer) -> None:
    api = Api(server)
    paid, free = api.resource("paid"), api.resource("free")
    api.mock_method(paid, '{"ok": true}', apiKeyRequired=True)
    api.mock_method(free, '{"ok": true}')
    api.deploy("prod")
    api.deploy("test")
    client = api.client
    key = client.create_api_key(name="partner", enabled=True, tags={"team": "blue"})
    assert len(key["value"]) >= 20 and key["enabled"] and key["tags"] == {"team": "blue"}
    disabled = client.create_api_key(name="old", value="a-disabled-key-of-twenty", enabled=False)
    assert "value" not in client.get_api_key(apiKey=key["id"])
    assert client.get_api_key(apiKey=key["id"], includeValue=True)["value"] == key["value"]

    # No key, a wrong key, a key in no plan: Forbidden. The method without the requirement: open.
    assert _answer(api.url("/paid")) == FORBIDDEN
    assert _answer(api.url("/paid"), "not-a-key-of-this-account") == FORBIDDEN
    assert _answer(api.url("/paid"), key["value"]) == FORBIDDEN
    assert _answer(api.url("/free")) == (200, {"ok": True})

    plan = client.create_usage_plan(
        name="gold",
        apiStages=[{"apiId": api.id, "stage": "prod"}],
        throttle={"burstLimit": 10, "rateLimit": 5.0},
        quota={"limit": 1000, "period": "MONTH"},
    )
    assert plan["quota"] == {"limit": 1000, "offset": 0, "period": "MONTH"}
    added = client.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert (added["id"], added["type"], added["value"]) == (key["id"], "API_KEY", key["value"])
    client.create_usage_plan_key(usagePlanId=plan["id"], keyId=disabled["id"], keyType="API_KEY")
    assert _answer(api.url("/paid"), key["value"]) == (200, {"ok": True})
    assert _answer(api.url("/paid", stage="test"), key["value"]) == FORBIDDEN  # not a stage of the plan
    assert _answer(api.url("/paid"), disabled["value"]) == FORBIDDEN  # disabled

    # The plan and the key change: each change is seen by the next call.
    client.update_usage_plan(
        usagePlanId=plan["id"], patchOperations=[{"op": "add", "path": "/apiStages", "value": f"{api.id}:test"}]
    )
    assert _answer(api.url("/paid", stage="test"), key["value"]) == (200, {"ok": True})
    client.update_api_key(apiKey=key["id"], patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}])
    assert _answer(api.url("/paid"), key["value"]) == FORBIDDEN
    client.update_api_key(apiKey=key["id"], patchOperations=[{"op": "replace", "path": "/enabled", "value": "true"}])
    client.delete_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])
    assert _answer(api.url("/paid"), key["value"]) == FORBIDDEN
    assert [p["id"] for p in client.get_usage_plans(keyId=disabled["id"])["items"]] == [plan["id"]]
    assert {k["name"] for k in client.get_usage_plan_keys(usagePlanId=plan["id"])["items"]} == {"old"}


def test_api_key_and_usage_plan_errors(server: LocaliamServer) -> None:
    api = Api(server)
    client = api.client
    err = error_of(client.get_api_key, apiKey="nosuchkey1")
    assert (err["Code"], err["Message"]) == ("NotFoundException", "Invalid API Key identifier specified")
    err = error_of(client.create_api_key, name="short", value="too-short")
    assert (err["Code"], err["Message"]) == ("BadRequestException", "API Key value should be at least 20 characters")
    client.create_api_key(name="one", value="the-same-value-twenty-chars", customerId="acme")
    client.create_api_key(name="other")
    assert [k["name"] for k in client.get_api_keys(nameQuery="on")["items"]] == ["one"]
    assert [k["name"] for k in client.get_api_keys(customerId="acme")["items"]] == ["one"]
    assert [k["name"] for k in client.get_api_keys(limit=1)["items"]] == ["one"]
    err = error_of(client.create_api_key, name="two", value="the-same-value-twenty-chars")
    assert (err["Code"], err["Message"]) == ("ConflictException", "API Key already exists")
    err = error_of(client.get_usage_plan, usagePlanId="nope12")
    assert (err["Code"], err["Message"]) == ("NotFoundException", "Invalid Usage Plan ID specified")
    err = error_of(client.create_usage_plan, name="p", apiStages=[{"apiId": api.id, "stage": "prod"}])
    assert err["Code"] == "BadRequestException"  # the stage does not exist
    api.resource("x")
    first = client.create_api_key(name="k", enabled=True)
    one = client.create_usage_plan(name="one")
    two = client.create_usage_plan(name="two")
    client.create_usage_plan_key(usagePlanId=one["id"], keyId=first["id"], keyType="API_KEY")
    err = error_of(client.create_usage_plan_key, usagePlanId=one["id"], keyId=first["id"], keyType="API_KEY")
    assert err["Code"] == "ConflictException"
    client.create_usage_plan_key(usagePlanId=two["id"], keyId=first["id"], keyType="API_KEY")  # no shared stage
    client.delete_api_key(apiKey=first["id"])
    assert client.get_usage_plan_keys(usagePlanId=one["id"])["items"] == []


def test_managing_keys_is_authorized_on_their_paths(server: LocaliamServer) -> None:
    reader = make_user(
        server.client("iam"),
        server,
        "key-reader",
        inline=policy(allow("apigateway:GET", "arn:aws:apigateway:us-east-1::/apikeys")),
    ).client("apigateway")
    assert reader.get_api_keys()["items"] == []
    err = error_of(reader.create_api_key, name="k")
    assert err["Code"] == "AccessDeniedException"
    assert "apigateway:POST on resource: arn:aws:apigateway:us-east-1::/apikeys" in err["Message"]


def test_the_key_can_come_from_a_lambda_authorizer_and_reaches_the_function(server: LocaliamServer) -> None:
    lam = server.client("lambda")
    role = lambda_role(server.client("iam"), "keys-role")
    echo = create(lam, "echo-key", role, ECHO_KEY)["FunctionArn"]
    authorizer_fn = create(lam, "key-authorizer", role, KEY_AUTHORIZER)["FunctionArn"]
    api = Api(server)
    client = api.client
    client.update_rest_api(
        restApiId=api.id, patchOperations=[{"op": "replace", "path": "/apiKeySource", "value": "AUTHORIZER"}]
    )
    authorizer = client.create_authorizer(
        restApiId=api.id,
        name="keys",
        type="TOKEN",
        identitySource="method.request.header.Authorization",
        authorizerUri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{authorizer_fn}/invocations",
        authorizerResultTtlInSeconds=0,
    )
    items = api.resource("items")
    api.lambda_method(items, echo, authorization="CUSTOM", authorizerId=authorizer["id"], apiKeyRequired=True)
    for function in ("echo-key", "key-authorizer"):
        api.allow_lambda(function)
    api.deploy()
    key = client.create_api_key(name="from-authorizer", enabled=True, value="authorizer-named-key-0001")
    plan = client.create_usage_plan(name="p", apiStages=[{"apiId": api.id, "stage": "prod"}])
    client.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")

    status, _headers, body = call(api.url("/items"), headers={"Authorization": key["value"]})
    assert (status, body) == (200, {"apiKey": key["value"], "apiKeyId": key["id"]})
    # The header is not where this API takes its keys from.
    status, _headers, body = call(api.url("/items"), headers={"Authorization": "unknown", "x-api-key": key["value"]})
    assert (status, body) == FORBIDDEN


def test_a_plan_throttles_and_counts_each_key(server: LocaliamServer) -> None:
    api = Api(server)
    api.mock_method(api.resource("metered"), '{"ok": true}', apiKeyRequired=True)
    api.deploy()
    client = api.client
    stages = [{"apiId": api.id, "stage": "prod"}]
    quota_key = client.create_api_key(name="quota", enabled=True)
    burst_key = client.create_api_key(name="burst", enabled=True)
    quota_plan = client.create_usage_plan(name="two-a-day", apiStages=stages, quota={"limit": 2, "period": "DAY"})
    burst_plan = client.create_usage_plan(
        name="one-at-once", apiStages=stages, throttle={"burstLimit": 1, "rateLimit": 0.001}
    )
    client.create_usage_plan_key(usagePlanId=quota_plan["id"], keyId=quota_key["id"], keyType="API_KEY")
    client.create_usage_plan_key(usagePlanId=burst_plan["id"], keyId=burst_key["id"], keyType="API_KEY")
    url = api.url("/metered")

    assert [_answer(url, quota_key["value"])[0] for _ in range(2)] == [200, 200]
    status, headers, body = call(url, headers={"x-api-key": quota_key["value"]})
    assert (status, body, headers["x-amzn-errortype"]) == (429, {"message": "Limit Exceeded"}, "LimitExceededException")

    assert _answer(url, burst_key["value"])[0] == 200
    status, headers, body = call(url, headers={"x-api-key": burst_key["value"]})
    assert (status, body) == (429, {"message": "Too Many Requests"})
    assert headers["x-amzn-errortype"] == "TooManyRequestsException"
    # A raised quota is seen by the next call.
    client.update_usage_plan(
        usagePlanId=quota_plan["id"], patchOperations=[{"op": "replace", "path": "/quota/limit", "value": "3"}]
    )
    assert client.get_usage_plan(usagePlanId=quota_plan["id"])["quota"]["limit"] == 3
    assert _answer(url, quota_key["value"])[0] == 200
    assert _answer(url, quota_key["value"])[0] == 429
