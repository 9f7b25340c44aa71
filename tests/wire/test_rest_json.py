"""rest-json (Lambda) against botocore: botocore's serializer builds the requests our parser reads,
botocore's parser reads the responses and the Lambda error documents our serializer writes; plus
Lambda's routing rule."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wire_oracle import ENDPOINT, INPUT_CHARS, botocore_parse, botocore_request, values

from localiam.errors import AwsError, client_error
from localiam.wire.http import HttpRequest
from localiam.wire.models import error_shapes, service_model
from localiam.wire.rest import split_header_list
from localiam.wire.rest_json import RestJsonProtocol, path_prefixes
from localiam.wire.routing import PROTOCOLS, Router, RoutingError

OPERATIONS = [
    "CreateFunction", "GetFunction", "GetFunctionConfiguration", "ListFunctions", "DeleteFunction",
    "UpdateFunctionCode", "UpdateFunctionConfiguration", "PublishVersion", "ListVersionsByFunction",
    "CreateAlias", "GetAlias", "UpdateAlias", "DeleteAlias", "ListAliases", "Invoke", "InvokeAsync",
    "AddPermission", "RemovePermission", "GetPolicy", "TagResource", "UntagResource", "ListTags",
    "CreateFunctionUrlConfig", "GetFunctionUrlConfig", "DeleteFunctionUrlConfig",
]  # fmt: skip
HYPOTHESIS = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
LAMBDA = RestJsonProtocol("lambda")
MODEL = service_model("lambda")
# Text a header can carry as botocore sends it.
HEADER_CHARS = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
ARN = "arn:aws:lambda:us-east-1:123456789012:function:my-function"
ROLE = "arn:aws:iam::123456789012:role/lambda-role"
CREDENTIALS = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")

CONFIGURATION = {
    "FunctionName": "my-function",
    "FunctionArn": ARN,
    "Runtime": "python3.12",
    "Role": ROLE,
    "Handler": "app.handler",
    "CodeSize": 5_000_000_000,
    "Description": "héllo ☃",
    "Timeout": 30,
    "MemorySize": 256,
    "LastModified": "2024-05-01T12:00:00.000+0000",
    "CodeSha256": "abc=",
    "Version": "$LATEST",
    "Environment": {"Variables": {"A": "1", "B": ""}},
    "TracingConfig": {"Mode": "PassThrough"},
    "RevisionId": "r-1",
    "Layers": [{"Arn": "arn:aws:lambda:us-east-1:123456789012:layer:l:1", "CodeSize": 10}],
    "State": "Active",
    "LastUpdateStatus": "Successful",
    "PackageType": "Zip",
    "Architectures": ["x86_64"],
    "EphemeralStorage": {"Size": 512},
    "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
    "LoggingConfig": {"LogFormat": "Text", "LogGroup": "/aws/lambda/my-function"},
}
ALIAS = {
    "AliasArn": ARN + ":live",
    "Name": "live",
    "FunctionVersion": "1",
    "Description": "",
    "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.25}},
    "RevisionId": "r-2",
}
URL_CONFIG = {
    "FunctionUrl": "https://abc.lambda-url.us-east-1.on.aws/",
    "FunctionArn": ARN,
    "AuthType": "AWS_IAM",
    "Cors": {"AllowOrigins": ["*"], "AllowMethods": ["GET"], "MaxAge": 60, "AllowCredentials": False},
    "CreationTime": "2024-05-01T12:00:00.000Z",
    "InvokeMode": "BUFFERED",
}

# operation -> (input, result, status of the response)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any], int]] = {
    "CreateFunction": (
        {
            "FunctionName": "my-function",
            "Runtime": "python3.12",
            "Role": ROLE,
            "Handler": "app.handler",
            "Code": {"ZipFile": b"PK\x03\x04\x00\xff"},
            "Timeout": 30,
            "MemorySize": 256,
            "Publish": True,
            "Environment": {"Variables": {"MODE": "1"}},
            "Tags": {"team": "x"},
            "Architectures": ["arm64"],
        },
        CONFIGURATION,
        201,
    ),
    "GetFunction": (
        {"FunctionName": ARN, "Qualifier": "live"},
        {
            "Configuration": CONFIGURATION,
            "Code": {"RepositoryType": "S3", "Location": "https://example.com/code.zip?X-Amz-Signature=1"},
            "Tags": {"team": "x"},
            "Concurrency": {"ReservedConcurrentExecutions": 5},
        },
        200,
    ),
    "GetFunctionConfiguration": ({"FunctionName": "my-function", "Qualifier": "$LATEST"}, CONFIGURATION, 200),
    "ListFunctions": (
        {"FunctionVersion": "ALL", "Marker": "m 1/+", "MaxItems": 50, "MasterRegion": "us-east-1"},
        {"Functions": [CONFIGURATION], "NextMarker": "next"},
        200,
    ),
    "DeleteFunction": ({"FunctionName": ARN + ":3", "Qualifier": "3"}, {}, 204),
    "UpdateFunctionCode": (
        {"FunctionName": "my-function", "ZipFile": b"\x00\x01zip", "Publish": False, "DryRun": True},
        CONFIGURATION,
        200,
    ),
    "UpdateFunctionConfiguration": (
        {"FunctionName": "my-function", "Timeout": 900, "Environment": {"Variables": {}}, "Layers": []},
        CONFIGURATION,
        200,
    ),
    "PublishVersion": ({"FunctionName": "my-function", "Description": "v1", "RevisionId": "r-1"}, CONFIGURATION, 201),
    "ListVersionsByFunction": (
        {"FunctionName": "my-function", "Marker": "a", "MaxItems": 1},
        {"Versions": [CONFIGURATION, {**CONFIGURATION, "Version": "1"}]},
        200,
    ),
    "CreateAlias": (
        {
            "FunctionName": "my-function",
            "Name": "live",
            "FunctionVersion": "1",
            "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.25}},
        },
        ALIAS,
        201,
    ),
    "GetAlias": ({"FunctionName": ARN, "Name": "live"}, ALIAS, 200),
    "UpdateAlias": ({"FunctionName": "my-function", "Name": "live", "FunctionVersion": "2"}, ALIAS, 200),
    "DeleteAlias": ({"FunctionName": "my-function", "Name": "live"}, {}, 204),
    "ListAliases": ({"FunctionName": "my-function", "FunctionVersion": "1", "MaxItems": 10}, {"Aliases": [ALIAS]}, 200),
    "Invoke": (
        {
            "FunctionName": ARN,
            "Qualifier": "live",
            "InvocationType": "RequestResponse",
            "LogType": "Tail",
            "ClientContext": "eyJjdXN0b20iOnt9fQ==",
            "Payload": b'{"key": "value"}',
        },
        {
            "StatusCode": 200,
            "FunctionError": "Unhandled",
            "LogResult": "U1RBUlQ=",
            "ExecutedVersion": "1",
            "Payload": b'{"errorMessage":"boom"}',
        },
        200,
    ),
    "InvokeAsync": ({"FunctionName": "my-function", "InvokeArgs": b'{"a": 1}'}, {"Status": 202}, 202),
    "AddPermission": (
        {
            "FunctionName": "my-function",
            "StatementId": "s3-invoke",
            "Action": "lambda:InvokeFunction",
            "Principal": "s3.amazonaws.com",
            "SourceArn": "arn:aws:s3:::bucket",
            "SourceAccount": "123456789012",
            "Qualifier": "live",
        },
        {"Statement": json.dumps({"Sid": "s3-invoke", "Effect": "Allow"})},
        201,
    ),
    "RemovePermission": (
        {"FunctionName": "my-function", "StatementId": "s3-invoke", "Qualifier": "1", "RevisionId": "r"},
        {},
        204,
    ),
    "GetPolicy": (
        {"FunctionName": "my-function", "Qualifier": "1"},
        {"Policy": json.dumps({"Version": "2012-10-17", "Statement": []}), "RevisionId": "r-3"},
        200,
    ),
    "TagResource": ({"Resource": ARN, "Tags": {"a": "1", "b": "two words"}}, {}, 204),
    "UntagResource": ({"Resource": ARN, "TagKeys": ["a", "team name"]}, {}, 204),
    "ListTags": ({"Resource": ARN}, {"Tags": {"a": "1"}}, 200),
    "CreateFunctionUrlConfig": (
        {"FunctionName": "my-function", "Qualifier": "live", "AuthType": "NONE", "Cors": {"AllowOrigins": ["*"]}},
        URL_CONFIG,
        201,
    ),
    "GetFunctionUrlConfig": (
        {"FunctionName": "my-function"},
        {**URL_CONFIG, "LastModifiedTime": "2024-05-02T12:00:00.000Z"},
        200,
    ),
    "DeleteFunctionUrlConfig": ({"FunctionName": "my-function", "Qualifier": "live"}, {}, 204),
}


def test_every_operation_has_a_case() -> None:
    assert set(CASES) == set(OPERATIONS)


# --- representative round trips ----------------------------------------------------------------


@pytest.mark.parametrize("operation", OPERATIONS)
def test_parse_reads_what_botocore_sends(operation: str) -> None:
    params, _, _ = CASES[operation]
    request = botocore_request("lambda", operation, params)
    parsed = LAMBDA.parse(request)
    assert (parsed.service, parsed.operation) == ("lambda", operation)
    assert parsed.params == params


@pytest.mark.parametrize("operation", OPERATIONS)
def test_botocore_reads_what_serialize_writes(operation: str) -> None:
    _, result, status = CASES[operation]
    response = LAMBDA.serialize(operation, result, "req-1")
    assert response.status == status
    headers = {k.lower(): v for k, v in response.headers}
    assert headers["x-amzn-requestid"] == "req-1"
    if status == 204:
        assert response.body == b""
    parsed = _botocore_result(operation, response)
    expected = dict(result)
    _fill_status(operation, expected, response.status)
    assert parsed == expected


def _botocore_result(operation: str, response: Any) -> dict[str, Any]:
    """What botocore reads from ``response``, a blob payload compared as the bytes sent (botocore
    hands a client the raw stream) and ``ResponseMetadata`` checked and dropped."""
    shape = MODEL.operation_model(operation).output_shape
    payload = shape.serialization.get("payload") if shape is not None else None
    body = response.body
    if payload is not None:
        response = dataclasses.replace(response, body=b"")
    parsed = botocore_parse("lambda", operation, response)
    metadata = parsed.pop("ResponseMetadata")
    assert metadata["HTTPStatusCode"] == response.status
    if payload is not None:
        parsed.pop(payload, None)
        if body:
            parsed[payload] = body
    return parsed


def _fill_status(operation: str, result: dict[str, Any], status: int) -> None:
    """botocore fills a ``statusCode`` member from the response's status."""
    shape = MODEL.operation_model(operation).output_shape
    if shape is None:
        return
    for name, member in shape.members.items():
        if member.serialization.get("location") == "statusCode":
            result[name] = status


# --- drawn round trips --------------------------------------------------------------------------


def _input_strategy(operation: str) -> st.SearchStrategy[dict[str, Any]]:
    shape = MODEL.operation_model(operation).input_shape
    strategies = {}
    for name, member in shape.members.items():
        chars = HEADER_CHARS if member.serialization.get("location") == "header" else INPUT_CHARS
        strategies[name] = values(member, constrained=True, chars=chars, depth=1, present=True)
        if name in shape.required_members and member.type_name == "list":
            strategies[name] = strategies[name].filter(bool)  # an empty query list is no list
    required = {n: s for n, s in strategies.items() if n in shape.required_members}
    optional = {n: s for n, s in strategies.items() if n not in shape.required_members}
    return st.fixed_dictionaries(required, optional=optional)


def _sent(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` as the wire carries them: empty query lists are not sent; a blob payload is
    always there."""
    shape = MODEL.operation_model(operation).input_shape
    out = dict(params)
    for name, member in shape.members.items():
        if member.serialization.get("location") in ("querystring", "header") and out.get(name) == []:
            del out[name]
    payload = shape.serialization.get("payload")
    if payload is not None and shape.members[payload].type_name == "blob":
        out.setdefault(payload, b"")
    return out


@pytest.mark.parametrize("operation", OPERATIONS)
@HYPOTHESIS
@given(data=st.data())
def test_parse_reads_drawn_input(operation: str, data: st.DataObject) -> None:
    params = data.draw(_input_strategy(operation), label="params")
    parsed = LAMBDA.parse(botocore_request("lambda", operation, params))
    assert parsed.operation == operation
    assert parsed.params == _sent(operation, params)


def _output_strategy(operation: str) -> st.SearchStrategy[dict[str, Any]]:
    shape = MODEL.operation_model(operation).output_shape
    if shape is None:
        return st.just({})
    strategies = {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        if location == "statusCode":
            strategies[name] = st.sampled_from([200, 201, 202])
        elif location == "header":
            strategies[name] = st.text(HEADER_CHARS, min_size=1, max_size=20)
        else:
            strategies[name] = values(member, constrained=False, chars=INPUT_CHARS, depth=1)
    return st.fixed_dictionaries({}, optional=strategies)


@pytest.mark.parametrize("operation", OPERATIONS)
@HYPOTHESIS
@given(data=st.data())
def test_botocore_reads_drawn_output(operation: str, data: st.DataObject) -> None:
    result = data.draw(_output_strategy(operation), label="result")
    response = LAMBDA.serialize(operation, result, "req-2")
    parsed = _botocore_result(operation, response)
    expected = dict(result)
    _fill_status(operation, expected, response.status)
    if expected.get("Payload") == b"":
        del expected["Payload"]  # an empty body is no payload
    assert parsed == expected


# --- statuses, payloads and headers -------------------------------------------------------------


def test_invoke_statuses_and_payload() -> None:
    event = LAMBDA.serialize("Invoke", {"StatusCode": 202}, "rid")
    assert (event.status, event.body) == (202, b"")
    dry = LAMBDA.serialize("Invoke", {"StatusCode": 204, "Payload": b"ignored"}, "rid")
    assert (dry.status, dry.body) == (204, b"")
    sync = LAMBDA.serialize("Invoke", {"Payload": b'{"ok":true}', "ExecutedVersion": "$LATEST"}, "rid")
    headers = dict(sync.headers)
    assert sync.status == 200
    assert sync.body == b'{"ok":true}'
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Amz-Executed-Version"] == "$LATEST"
    streamed = LAMBDA.serialize("Invoke", {"Payload": iter([b"{", b"}"])}, "rid")
    assert streamed.body == b"" and streamed.stream is not None and b"".join(streamed.stream) == b"{}"


def test_statuses_from_the_model() -> None:
    assert LAMBDA.serialize("CreateFunction", CONFIGURATION, "rid").status == 201
    assert LAMBDA.serialize("DeleteFunction", {}, "rid").status == 204
    assert LAMBDA.serialize("DeleteFunction", {"StatusCode": 202}, "rid").status == 202
    tag = LAMBDA.serialize("TagResource", {}, "rid")
    assert (tag.status, tag.body, dict(tag.headers)) == (204, b"", {"x-amzn-RequestId": "rid"})
    empty = LAMBDA.serialize("ListTags", {}, "rid")
    assert (empty.status, empty.body) == (200, b"{}")


def test_body_json_and_timestamps() -> None:
    response = LAMBDA.serialize("GetFunctionConfiguration", {"FunctionName": "f", "Description": "☃"}, "rid")
    assert json.loads(response.body) == {"FunctionName": "f", "Description": "☃"}
    assert dict(response.headers)["Content-Type"] == "application/json"
    # Event source mappings' LastModified is a timestamp in the model: epoch seconds on the wire.
    when = dt.datetime(2024, 5, 1, 12, 0, 0, 500000, tzinfo=dt.UTC)
    esm = LAMBDA.serialize("GetEventSourceMapping", {"UUID": "u", "LastModified": when}, "rid")
    assert json.loads(esm.body) == {"UUID": "u", "LastModified": when.timestamp()}
    assert botocore_parse("lambda", "GetEventSourceMapping", esm)["LastModified"] == when


def test_arn_in_the_uri_and_trailing_slash() -> None:
    request = botocore_request("lambda", "GetFunction", {"FunctionName": ARN})
    assert (
        request.raw_path
        == "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Amy-function"
    )
    parsed = LAMBDA.parse(HttpRequest("GET", "/2015-03-31/functions/my-function/", "", (), b""))
    assert (parsed.operation, parsed.params) == ("GetFunction", {"FunctionName": "my-function"})
    parsed = LAMBDA.parse(HttpRequest("GET", "/2015-03-31/functions/", "", (), b""))
    assert parsed.operation == "ListFunctions"
    listing = LAMBDA.parse(HttpRequest("GET", "/2019-09-30/functions/f/provisioned-concurrency", "List=ALL", (), b""))
    assert listing.operation == "ListProvisionedConcurrencyConfigs"
    one = LAMBDA.parse(HttpRequest("GET", "/2019-09-30/functions/f/provisioned-concurrency", "Qualifier=1", (), b""))
    assert one.operation == "GetProvisionedConcurrencyConfig"


def test_invoke_async_is_routed() -> None:
    request = HttpRequest("POST", "/2014-11-13/functions/f/invoke-async/", "", (), b'{"a":1}')
    parsed = LAMBDA.parse(request)
    assert (parsed.operation, parsed.params) == ("InvokeAsync", {"FunctionName": "f", "InvokeArgs": b'{"a":1}'})


def test_invoke_payload_is_raw() -> None:
    body = b"\xff not json"
    parsed = LAMBDA.parse(HttpRequest("POST", "/2015-03-31/functions/f/invocations", "", (), body))
    assert parsed.params == {"FunctionName": "f", "Payload": body}


def test_header_lists() -> None:
    assert split_header_list('a, b,"c,d", "e\\"f" ,,g') == ["a", "b", "c,d", 'e"f', "g"]
    assert split_header_list("") == []


# --- bad requests -------------------------------------------------------------------------------


def _error(request: HttpRequest) -> AwsError:
    with pytest.raises(AwsError) as caught:
        LAMBDA.parse(request)
    return caught.value


@pytest.mark.parametrize("body", [b"{", b"not json", b"\xff\xfe", b"[1]", b'"text"'])
def test_bad_json_is_invalid_request_content(body: bytes) -> None:
    error = _error(HttpRequest("POST", "/2015-03-31/functions", "", (("Content-Type", "application/json"),), body))
    assert (error.code, error.status) == ("InvalidRequestContentException", 400)
    assert error.message.startswith("Could not parse request body into json: ")


def test_wrongly_typed_json_is_invalid_request_content() -> None:
    body = json.dumps({"FunctionName": "f", "Role": ROLE, "Code": {"ZipFile": "!!"}, "Timeout": 3}).encode()
    error = _error(HttpRequest("POST", "/2015-03-31/functions", "", (), body))
    assert error.code == "InvalidRequestContentException"
    assert "code.zipFile" in error.message
    body = json.dumps({"FunctionName": "f", "Role": ROLE, "Code": {}, "Timeout": "3"}).encode()
    assert _error(HttpRequest("POST", "/2015-03-31/functions", "", (), body)).code == "InvalidRequestContentException"


def test_bad_query_value_and_constraints() -> None:
    error = _error(HttpRequest("GET", "/2015-03-31/functions", "MaxItems=lots", (), b""))
    assert (error.code, error.status) == ("InvalidParameterValueException", 400)
    long_name = "f" * 300
    error = _error(HttpRequest("GET", f"/2015-03-31/functions/{long_name}", "", (), b""))
    assert (error.code, error.status) == ("ValidationException", 400)
    assert error.message == (
        f"1 validation error detected: Value '{long_name}' at 'functionName' failed to satisfy constraint: "
        "Member must have length less than or equal to 256"
    )
    body = json.dumps({"FunctionName": "f", "Code": {}}).encode()
    error = _error(HttpRequest("POST", "/2015-03-31/functions", "", (), body))
    assert error.message == (
        "1 validation error detected: Value null at 'role' failed to satisfy constraint: Member must not be null"
    )


def test_unknown_path_or_method() -> None:
    for method, path in [("GET", "/2015-03-31/nothing"), ("PATCH", "/2015-03-31/functions/f")]:
        error = _error(HttpRequest(method, path, "", (), b""))
        assert (error.code, error.status) == ("UnknownOperationException", 404)


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "body"),
    [
        (
            client_error("ResourceNotFoundException", f"Function not found: {ARN}", 404),
            {"Type": "User", "Message": f"Function not found: {ARN}"},
        ),
        (
            client_error("ResourceConflictException", "The operation cannot be performed at this time.", 409),
            {"Type": "User", "message": "The operation cannot be performed at this time."},
        ),
        (
            client_error("InvalidParameterValueException", "The role defined for the function cannot be assumed."),
            {"Type": "User", "message": "The role defined for the function cannot be assumed."},
        ),
        (
            AwsError("Internal error", code="ServiceException", status=500),
            {"Type": "Service", "Message": "Internal error"},
        ),
        (
            client_error("ValidationException", "1 validation error detected: ..."),
            {"Type": "User", "message": "1 validation error detected: ..."},
        ),
        (
            AwsError(
                "Rate exceeded",
                code="TooManyRequestsException",
                status=429,
                fields={"Reason": "CallerRateLimitExceeded", "retryAfterSeconds": "2"},
            ),
            {"Type": "User", "message": "Rate exceeded", "Reason": "CallerRateLimitExceeded"},
        ),
    ],
)
def test_errors_as_botocore_reads_them(error: AwsError, body: dict[str, str]) -> None:
    response = LAMBDA.serialize_error(error, "req-9")
    assert response.status == error.status
    assert json.loads(response.body) == body
    headers = dict(response.headers)
    assert headers["X-Amzn-ErrorType"] == error.code
    assert headers["Content-Type"] == "application/json"
    parsed = botocore_parse("lambda", "GetFunction", response)
    assert parsed["Error"] == {"Code": error.code, "Message": error.message}
    assert parsed["ResponseMetadata"]["RequestId"] == "req-9"
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == error.status
    shape = error_shapes("lambda").get(error.code)
    if shape is not None:
        # What a botocore client adds to the error from the modeled exception's shape.
        modeled = botocore_parse("lambda", "GetFunction", response, shape)
        expected = {k: v for k, v in body.items()}
        if error.code == "TooManyRequestsException":
            assert headers["Retry-After"] == "2"
            expected["retryAfterSeconds"] = "2"
        assert modeled == expected


# --- routing ------------------------------------------------------------------------------------


def _signed(request: HttpRequest, service: str, auth: type[SigV4Auth] = SigV4Auth) -> HttpRequest:
    url = ENDPOINT + request.raw_path + (f"?{request.raw_query}" if request.raw_query else "")
    aws = AWSRequest(method=request.method, url=url, headers=dict(request.headers), data=request.body)
    auth(CREDENTIALS, service, "us-east-1").add_auth(aws)
    path, _, query = aws.url.removeprefix(ENDPOINT).partition("?")
    return HttpRequest(request.method, path, query, (("Host", "localhost:4599"), *aws.headers.items()), request.body)


ROUTER = Router(("iam", "sts", "organizations", "s3", "lambda"))


def test_registration() -> None:
    assert "rest-json" in PROTOCOLS
    assert isinstance(ROUTER.protocols["lambda"], RestJsonProtocol)
    assert Router(["lambda"]).route(botocore_request("lambda", "ListFunctions", {})).service == "lambda"
    prefixes = path_prefixes("lambda")
    assert {"/2015-03-31/", "/2016-08-19/", "/2017-03-31/", "/2018-10-31/", "/2021-10-31/"} <= set(prefixes)
    assert "/2014-11-13/" in prefixes  # InvokeAsync


@pytest.mark.parametrize("operation", ["ListFunctions", "GetFunction", "Invoke", "TagResource", "CreateFunction"])
def test_signed_lambda_requests_route_to_lambda(operation: str) -> None:
    params, _, _ = CASES[operation]
    request = _signed(botocore_request("lambda", operation, params), "lambda")
    route = ROUTER.route(request)
    assert route.service == "lambda"
    assert route.protocol.parse(request).params == params


def test_unsigned_lambda_requests_route_by_path() -> None:
    request = HttpRequest("GET", "/2015-03-31/functions/f", "", (("Host", "localhost:4599"),), b"")
    assert ROUTER.route(request).service == "lambda"
    # Without Lambda registered the same request is an anonymous S3 read.
    assert Router(("iam", "sts", "s3")).route(request).service == "s3"


def test_signed_scope_wins_over_the_path() -> None:
    request = _signed(HttpRequest("GET", "/2015-03-31/functions/f", "", (), b""), "iam")
    with pytest.raises(RoutingError) as refused:
        ROUTER.route(request)  # signed for IAM, which has no such request: not Lambda's
    assert refused.value.code == "MissingAction"
    elsewhere = _signed(HttpRequest("GET", "/nothing/here", "", (), b""), "lambda")
    route = ROUTER.route(elsewhere)
    assert route.service == "lambda"
    with pytest.raises(AwsError) as caught:
        route.protocol.parse(elsewhere)
    assert caught.value.code == "UnknownOperationException"


def test_other_services_keep_their_routes() -> None:
    iam = _signed(botocore_request("iam", "ListUsers", {}), "iam")
    assert ROUTER.route(iam).service == "iam"
    sts = botocore_request(
        "sts",
        "AssumeRoleWithWebIdentity",
        {"RoleArn": "arn:aws:iam::123456789012:role/web", "RoleSessionName": "sess", "WebIdentityToken": "t" * 8},
    )
    assert ROUTER.route(sts).service == "sts"
    orgs = _signed(botocore_request("organizations", "DescribeOrganization", {}), "organizations")
    assert ROUTER.route(orgs).service == "organizations"
    s3 = _signed(HttpRequest("GET", "/bucket/key", "", (), b""), "s3", S3SigV4Auth)
    assert ROUTER.route(s3).service == "s3"
    anonymous = HttpRequest("GET", "/bucket/key", "", (("Host", "localhost:4599"),), b"")
    assert ROUTER.route(anonymous).service == "s3"
    resolvers = ROUTER.resolvers
    assert resolvers.index(ROUTER._by_action) == len(resolvers) - 2  # then S3's anonymous one
