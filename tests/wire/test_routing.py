"""Routing: which service and protocol a request is for, signed or not."""

from __future__ import annotations

import json

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from wire_oracle import ENDPOINT, botocore_parse, botocore_request

from localiam.wire.http import HttpRequest
from localiam.wire.json_protocol import JsonProtocol
from localiam.wire.models import operation
from localiam.wire.query import QueryProtocol
from localiam.wire.routing import PROTOCOLS, Route, Router, RoutingError, credential_scope_service

ROUTER = Router()
CREDENTIALS = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


def signed(request: HttpRequest, scope_service: str, *, presign: bool = False) -> HttpRequest:
    """``request`` signed by botocore's own signer for ``scope_service`` in us-east-1."""
    url = ENDPOINT + request.raw_path + (f"?{request.raw_query}" if request.raw_query else "")
    aws = AWSRequest(method=request.method, url=url, headers=dict(request.headers), data=request.body)
    signer = (
        SigV4QueryAuth(CREDENTIALS, scope_service, "us-east-1")
        if presign
        else SigV4Auth(CREDENTIALS, scope_service, "us-east-1")
    )
    signer.add_auth(aws)
    path, _, query = aws.url.removeprefix(ENDPOINT).partition("?")
    return HttpRequest(request.method, path, query, tuple(aws.headers.items()), request.body)


def route_of(request: HttpRequest) -> Route:
    route = ROUTER.route(request)
    assert route.protocol.service == route.service
    return route


@pytest.mark.parametrize(
    ("service", "operation_name", "params"),
    [
        ("iam", "ListUsers", {}),
        ("iam", "CreateUser", {"UserName": "bob"}),
        ("sts", "GetCallerIdentity", {}),
        ("sts", "AssumeRole", {"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "sess"}),
        ("organizations", "DescribeOrganization", {}),
        ("organizations", "ListAccounts", {"MaxResults": 5}),
    ],
)
def test_signed_requests_go_to_their_service(service: str, operation_name: str, params: dict[str, object]) -> None:
    request = signed(botocore_request(service, operation_name, params), service)
    assert credential_scope_service(request) == service
    route = route_of(request)
    assert route.service == service
    parsed = route.protocol.parse(request)
    assert (parsed.service, parsed.operation, parsed.params) == (service, operation_name, params)


def test_presigned_query_uses_the_credential_in_the_url() -> None:
    unsigned = HttpRequest("GET", "/", "Action=GetCallerIdentity&Version=2011-06-15", (), b"")
    request = signed(unsigned, "sts", presign=True)
    assert "X-Amz-Credential=" in request.raw_query
    assert request.header("authorization") is None
    assert route_of(request).service == "sts"


@pytest.mark.parametrize(
    ("operation_name", "params"),
    [
        (
            "AssumeRoleWithWebIdentity",
            {"RoleArn": "arn:aws:iam::123456789012:role/web", "RoleSessionName": "sess", "WebIdentityToken": "x" * 8},
        ),
        (
            "AssumeRoleWithSAML",
            {
                "RoleArn": "arn:aws:iam::123456789012:role/saml",
                "PrincipalArn": "arn:aws:iam::123456789012:saml-provider/idp",
                "SAMLAssertion": "PHNhbWw+" * 2,
            },
        ),
    ],
)
def test_unsigned_operations_route_by_action_and_version(operation_name: str, params: dict[str, object]) -> None:
    op = operation("sts", operation_name)
    assert op is not None and op.unsigned
    request = botocore_request("sts", operation_name, params)
    assert request.header("authorization") is None
    route = route_of(request)
    assert route.service == "sts"
    assert route.protocol.parse(request).params == params


def test_signed_operations_are_not_unsigned() -> None:
    for service, name in [("sts", "AssumeRole"), ("sts", "GetCallerIdentity"), ("iam", "CreateUser")]:
        op = operation(service, name)
        assert op is not None and not op.unsigned


def test_operation_view() -> None:
    op = operation("sts", "AssumeRoleWithWebIdentity")
    assert op is not None
    assert (op.protocol, op.http_method, op.http_path) == ("query", "POST", "/")
    assert (op.endpoint_prefix, op.signing_name, op.api_version) == ("sts", "sts", "2011-06-15")
    assert op.input_shape.name == "AssumeRoleWithWebIdentityRequest"
    orgs = operation("organizations", "CreateOrganization")
    assert orgs is not None and orgs.protocol == "json" and orgs.signing_name == "organizations"
    assert operation("iam", "NoSuchOperation") is None


def test_unsigned_request_for_a_signed_operation_still_routes() -> None:
    """Routing is not authentication: the server rejects it for want of a signature."""
    assert route_of(botocore_request("iam", "ListRoles", {})).service == "iam"
    assert route_of(HttpRequest("GET", "/", "Action=GetCallerIdentity&Version=2011-06-15", (), b"")).service == "sts"


def test_scope_wins_over_action() -> None:
    """A request signed for STS is STS's to answer, whatever its Action."""
    request = signed(botocore_request("iam", "ListUsers", {}), "sts")
    route = route_of(request)
    assert route.service == "sts"
    with pytest.raises(Exception) as caught:
        route.protocol.parse(request)
    assert getattr(caught.value, "code", None) == "InvalidAction"


def test_unknown_action_goes_to_the_service_of_its_version() -> None:
    request = HttpRequest("GET", "/", "Action=Frobnicate&Version=2011-06-15", (), b"")
    assert route_of(request).service == "sts"


def test_protocols_are_the_models() -> None:
    assert isinstance(ROUTER.protocols["iam"], QueryProtocol)
    assert isinstance(ROUTER.protocols["sts"], QueryProtocol)
    assert isinstance(ROUTER.protocols["organizations"], JsonProtocol)
    assert set(PROTOCOLS) == {"query", "json", "rest-xml", "rest-json"}
    assert Router(["lambda"]).protocols["lambda"].name == "rest-json"
    with pytest.raises(ValueError, match="ec2"):
        Router(["ec2"])  # the ec2 protocol: not registered


def test_s3_routes_by_addressing_and_s3_control_by_path() -> None:
    """S3 requests (rest-xml) reach ``s3``; ``/v20180820/`` reaches S3 Control, which signs as
    ``s3`` too; an anonymous ``GET /bucket/key`` is S3."""
    router = Router(["iam", "sts", "s3", "s3control"])
    anonymous = HttpRequest("GET", "/bucket/key", "", (("Host", "localhost"),), b"")
    assert router.route(anonymous).service == "s3"
    control = HttpRequest(
        "GET", "/v20180820/configuration/publicAccessBlock", "", (("x-amz-account-id", "111111111111"),), b""
    )
    assert router.route(control).service == "s3control"
    query = HttpRequest("POST", "/", "", (("Content-Type", "application/x-www-form-urlencoded"),), b"Action=GetUser")
    assert router.route(query).service == "iam"


def test_resolvers_are_the_extension_point() -> None:
    router = Router()
    marker = Route("iam", router.protocols["iam"])
    router.resolvers.insert(0, lambda request: marker if request.raw_path.startswith("/2015-03-31/") else None)
    assert router.route(HttpRequest("GET", "/2015-03-31/functions", "", (), b"")) is marker
    assert router.route(botocore_request("sts", "GetCallerIdentity", {})).service == "sts"


def test_a_target_of_another_service_is_answered_in_its_json() -> None:
    """DynamoDB's target: not served, said so in DynamoDB's JSON (tests/wire/test_unserved.py)."""
    request = HttpRequest("POST", "/", "", (("X-Amz-Target", "DynamoDB_20120810.ListTables"),), b"{}")
    with pytest.raises(RoutingError) as caught:
        ROUTER.route(request)
    error = caught.value
    response = error.protocol.serialize_error(error, "rid")
    assert response.status == 501
    assert json.loads(response.body) == {
        "__type": "NotImplemented",
        "message": "localiam does not implement dynamodb:ListTables (served services: iam, organizations, sts)",
    }


def test_request_without_action_or_target_is_missing_action() -> None:
    with pytest.raises(RoutingError) as caught:
        ROUTER.route(HttpRequest("POST", "/", "", (("Content-Type", "application/x-www-form-urlencoded"),), b""))
    error = caught.value
    response = error.protocol.serialize_error(error, "rid")
    parsed = botocore_parse("iam", "GetUser", response)
    assert parsed["Error"]["Code"] == "MissingAction"
    assert parsed["ResponseMetadata"]["RequestId"] == "rid"


def test_credential_scope_parsing() -> None:
    header = (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/iam/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=abc"
    )
    assert credential_scope_service(HttpRequest("POST", "/", "", (("Authorization", header),), b"")) == "iam"
    assert credential_scope_service(HttpRequest("POST", "/", "", (("Authorization", "Bearer x"),), b"")) is None
    presigned = HttpRequest("GET", "/", "X-Amz-Credential=A%2F2024%2Fr%2Fsts%2Faws4_request", (), b"")
    assert credential_scope_service(presigned) == "sts"
