"""Requests for services localiam does not serve: which service they are for (credential scope,
X-Amz-Target, Host), and a 501 ``NotImplemented`` that botocore's parser for that service reads."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from wire_oracle import ENDPOINT, botocore_parse, botocore_request

from localiam.errors import Unserved
from localiam.wire.http import HttpRequest
from localiam.wire.json_protocol import JsonProtocol
from localiam.wire.query import QueryProtocol
from localiam.wire.rest_json import RestJsonProtocol
from localiam.wire.rest_xml import RestXmlProtocol
from localiam.wire.routing import Route, Router, RoutingError
from localiam.wire.unserved import service_of_host, service_of_scope, unserved_operation

SERVICES = ["iam", "sts", "organizations", "s3", "s3control", "lambda"]
ROUTER = Router(SERVICES)
SERVED = "(served services: " + ", ".join(sorted(SERVICES)) + ")"
"""The services this router serves, as the message lists them."""
CREDENTIALS = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


def signed(request: HttpRequest, scope: str) -> HttpRequest:
    url = ENDPOINT + request.raw_path + (f"?{request.raw_query}" if request.raw_query else "")
    aws = AWSRequest(method=request.method, url=url, headers=dict(request.headers), data=request.body)
    SigV4Auth(CREDENTIALS, scope, "us-east-1").add_auth(aws)
    path, _, query = aws.url.removeprefix(ENDPOINT).partition("?")
    return HttpRequest(request.method, path, query, tuple(aws.headers.items()), request.body)


def refusal(request: HttpRequest, router: Router = ROUTER) -> RoutingError:
    with pytest.raises(RoutingError) as caught:
        router.route(request)
    return caught.value


def with_host(request: HttpRequest, host: str) -> HttpRequest:
    headers = (*((k, v) for k, v in request.headers if k.lower() != "host"), ("Host", host))
    return HttpRequest(request.method, request.raw_path, request.raw_query, headers, request.body)


@pytest.mark.parametrize(
    ("service", "operation", "params", "scope", "protocol"),
    [
        ("sqs", "ListQueues", {}, "sqs", "json"),
        ("kinesis", "ListStreams", {}, "kinesis", "json"),
        ("secretsmanager", "ListSecrets", {}, "secretsmanager", "json"),
        ("apigateway", "GetRestApis", {}, "apigateway", "rest-json"),
        ("sns", "ListTopics", {}, "sns", "query"),
        ("ec2", "DescribeInstances", {}, "ec2", "ec2"),
        ("route53", "ListHostedZones", {}, "route53", "rest-xml"),
        ("dynamodbstreams", "ListStreams", {}, "dynamodb", "json"),  # signs as dynamodb
    ],
)
def test_each_protocol_answers_in_its_own_shape(
    service: str, operation: str, params: dict[str, Any], scope: str, protocol: str
) -> None:
    error = refusal(signed(botocore_request(service, operation, params), scope))
    assert error.protocol.name == protocol
    assert (error.code, error.status) == ("NotImplemented", 501)
    response = error.protocol.serialize_error(error, "rid")
    parsed = botocore_parse(service, operation, response)
    assert parsed["Error"]["Code"] == "NotImplemented"
    assert parsed["Error"]["Message"] == f"localiam does not implement {service}:{operation} {SERVED}"
    assert parsed["ResponseMetadata"]["RequestId"] == "rid"
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 501


def test_json_and_rest_json_name_the_code_in_a_header() -> None:
    for service, operation in [("kinesis", "ListStreams"), ("apigateway", "GetRestApis")]:
        error = refusal(signed(botocore_request(service, operation, {}), service))
        headers = {k.lower(): v for k, v in error.protocol.serialize_error(error, "rid").headers}
        assert headers["x-amzn-errortype"] == "NotImplemented"
    organizations = JsonProtocol("organizations").serialize_error(Unserved("m"), "rid")
    assert dict(organizations.headers)["x-amzn-ErrorType"] == "NotImplemented"


def test_query_says_the_sender_and_ec2_has_its_own_document() -> None:
    sns = refusal(signed(botocore_request("sns", "ListTopics", {}), "sns"))
    assert b"<Type>Sender</Type><Code>NotImplemented</Code>" in sns.protocol.serialize_error(sns, "r").body
    ec2 = refusal(signed(botocore_request("ec2", "DescribeInstances", {}), "ec2"))
    body = ec2.protocol.serialize_error(ec2, "r").body
    assert body.startswith(b"<Response><Errors><Error><Code>NotImplemented</Code>")
    assert body.endswith(b"<RequestID>r</RequestID></Response>")


def test_unsigned_the_target_tells_the_service() -> None:
    request = botocore_request(
        "cognito-identity", "GetId", {"IdentityPoolId": "us-east-1:11111111-2222-3333-4444-555555555555"}
    )
    assert request.header("authorization") is None
    error = refusal(request)
    assert error.message == f"localiam does not implement cognito-identity:GetId {SERVED}"
    assert error.protocol.name == "json"


@pytest.mark.parametrize(
    ("host", "service"),
    [
        ("sqs.us-east-1.localhost", "sqs"),
        ("sqs.amazonaws.com", "sqs"),
        ("sns.eu-west-1.amazonaws.com", "sns"),
        ("monitoring.us-east-1.amazonaws.com", "cloudwatch"),
        ("dynamodb.us-gov-west-1.localhost", "dynamodb"),
        # Not an AWS service host of that form: left to the usual routing.
        ("localhost", None),
        ("127.0.0.1", None),
        ("sqs.localhost", None),  # without a region, a bucket "sqs"
        ("mybucket.localhost", None),
        ("mybucket.s3.amazonaws.com", None),
        ("my.bucket.s3.us-east-1.amazonaws.com", None),
        ("s3-us-west-2.amazonaws.com", None),
        ("nosuchservice.us-east-1.localhost", None),
    ],
)
def test_host_names(host: str, service: str | None) -> None:
    assert service_of_host(host) == service


def test_unsigned_the_host_tells_the_service() -> None:
    request = HttpRequest("GET", "/", "Action=ListTopics", (("Host", "sns.us-east-1.localhost:4599"),), b"")
    error = refusal(request)
    assert error.protocol.service == "sns" and error.protocol.name == "query"
    assert error.message == f"localiam does not implement sns:ListTopics {SERVED}"


@pytest.mark.parametrize(
    "request_",
    [
        HttpRequest("GET", "/bucket/key", "", (("Host", "localhost:4599"),), b""),
        HttpRequest("GET", "/key", "", (("Host", "bucket.localhost:4599"),), b""),
        HttpRequest("GET", "/key", "", (("Host", "my.bucket.localhost:4599"),), b""),
        HttpRequest("GET", "/key", "", (("Host", "bucket.s3.amazonaws.com"),), b""),
        HttpRequest("GET", "/bucket/key", "", (("Host", "s3-us-west-2.amazonaws.com"),), b""),
        HttpRequest("PUT", "/bucket", "", (("Host", "localhost:4599"), ("x-amz-acl", "private")), b""),
    ],
)
def test_s3_requests_stay_s3s(request_: HttpRequest) -> None:
    assert ROUTER.route(request_).service == "s3"


def test_a_request_signed_for_s3_is_s3s_whatever_its_host() -> None:
    request = signed(with_host(HttpRequest("GET", "/key", "", (), b""), "sqs.us-east-1.localhost"), "s3")
    assert ROUTER.route(request).service == "s3"


def test_served_services_route_as_before() -> None:
    assert ROUTER.route(signed(botocore_request("iam", "ListUsers", {}), "iam")).service == "iam"
    assert ROUTER.route(signed(botocore_request("lambda", "ListFunctions", {}), "lambda")).service == "lambda"
    orgs = botocore_request("organizations", "DescribeOrganization", {})
    assert ROUTER.route(signed(orgs, "organizations")).service == "organizations"
    control = HttpRequest("GET", "/v20180820/configuration/publicAccessBlock", "", (), b"")
    assert ROUTER.route(signed(control, "s3")).service == "s3control"


def test_a_router_without_s3_does_not_serve_it() -> None:
    error = refusal(signed(botocore_request("s3", "ListBuckets", {}), "s3"), Router(["iam", "sts"]))
    assert error.message == "localiam does not implement s3:ListBuckets (served services: iam, sts)"
    assert error.protocol.name == "rest-xml"


def test_names_botocore_does_not_know() -> None:
    scoped = signed(HttpRequest("POST", "/", "", (("Content-Type", "application/json"),), b"{}"), "frobnicator")
    error = refusal(scoped)
    assert error.message == f"localiam does not implement frobnicator {SERVED}"
    response = error.protocol.serialize_error(error, "rid")
    assert response.status == 501
    assert dict(response.headers)["x-amzn-ErrorType"] == "NotImplemented"
    assert json.loads(response.body) == {"__type": "NotImplemented", "message": error.message}
    form = HttpRequest("POST", "/", "", (("Content-Type", "application/x-www-form-urlencoded"),), b"Action=Frob")
    error = refusal(signed(form, "frobnicator"))
    assert error.message == f"localiam does not implement frobnicator:Frob {SERVED}"
    assert b"<ErrorResponse><Error><Type>Sender</Type>" in error.protocol.serialize_error(error, "r").body
    target = HttpRequest("POST", "/", "", (("X-Amz-Target", "NoSuchService_20200101.Frob"),), b"{}")
    error = refusal(target)
    assert error.message == f"localiam does not implement NoSuchService_20200101:Frob {SERVED}"


def test_the_scope_names_the_service_among_those_that_sign_alike() -> None:
    assert service_of_scope("dynamodb") == "dynamodb"
    assert service_of_scope("dynamodb", "DynamoDBStreams_20120810.ListStreams") == "dynamodbstreams"
    assert service_of_scope("monitoring") == "cloudwatch"
    assert service_of_scope("nosuchservice") is None


def test_route_head_gives_the_unserved_protocol() -> None:
    """A request refused before its body is read (over a limit) is refused in its own protocol."""
    request = signed(botocore_request("sns", "ListTopics", {}), "sns")
    head = HttpRequest(request.method, request.raw_path, request.raw_query, request.headers, b"")
    route = ROUTER.route_head(head)
    assert isinstance(route, Route) and (route.service, route.protocol.name) == ("sns", "query")


@pytest.mark.parametrize(
    ("protocol", "service", "operation", "params"),
    [
        (QueryProtocol("iam"), "iam", "CreateAccountAlias", {"AccountAlias": "my-alias"}),
        (JsonProtocol("organizations"), "organizations", "ListHandshakesForAccount", {}),
        (
            RestJsonProtocol("lambda"),
            "lambda",
            "PutFunctionConcurrency",
            {"FunctionName": "f", "ReservedConcurrentExecutions": 1},
        ),
        (RestXmlProtocol("s3"), "s3", "GetBucketWebsite", {"Bucket": "b"}),
    ],
)
def test_the_operation_a_request_names(protocol: Any, service: str, operation: str, params: dict[str, Any]) -> None:
    """Read before the input is decoded, so that a served service's operation that localiam does
    not implement is refused whatever its input (tests/e2e/test_unserved.py)."""
    request = botocore_request(service, operation, params)
    assert protocol.requested_operation(request) == operation
    error = unserved_operation(service, operation)
    assert (error.code, error.status, error.message) == (
        "NotImplemented",
        501,
        f"localiam does not implement {service}:{operation} yet",
    )


def test_requests_naming_no_operation_of_the_model() -> None:
    assert QueryProtocol("iam").requested_operation(botocore_request("sts", "GetCallerIdentity", {})) is None
    other = HttpRequest("POST", "/", "", (("X-Amz-Target", "AWSOrganizationsV20161128.Frob"),), b"{}")
    assert JsonProtocol("organizations").requested_operation(other) is None
    assert RestJsonProtocol("lambda").requested_operation(HttpRequest("GET", "/nothing", "", (), b"")) is None
