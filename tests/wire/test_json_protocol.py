"""awsJson 1.1 (Organizations) against botocore: botocore's serializer builds the requests our
parser reads, botocore's parser reads the responses and errors our serializer writes."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wire_oracle import botocore_parse, botocore_request, input_values, output_values

from localiam.errors import AccessDenied, AwsError, client_error
from localiam.wire.http import HttpRequest
from localiam.wire.json_protocol import JsonProtocol
from localiam.wire.models import service_model
from localiam.wire.protocol import ModeledError

OPERATIONS = list(service_model("organizations").operation_names)
HYPOTHESIS = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
ORGS = JsonProtocol("organizations")


def call(operation: str, body: object, target: str | None = None) -> HttpRequest:
    headers = (
        ("Content-Type", "application/x-amz-json-1.1"),
        ("X-Amz-Target", f"AWSOrganizationsV20161128.{operation}" if target is None else target),
    )
    return HttpRequest("POST", "/", "", headers, json.dumps(body).encode())


def parse_error(request: HttpRequest) -> AwsError:
    with pytest.raises(AwsError) as caught:
        ORGS.parse(request)
    return caught.value


# --- round trips --------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", OPERATIONS)
@HYPOTHESIS
@given(data=st.data())
def test_parse_reads_what_botocore_sends(operation: str, data: st.DataObject) -> None:
    params = data.draw(input_values("organizations", operation), label="params")
    parsed = ORGS.parse(botocore_request("organizations", operation, params))
    assert (parsed.service, parsed.operation) == ("organizations", operation)
    assert parsed.params == params


@pytest.mark.parametrize("operation", OPERATIONS)
@HYPOTHESIS
@given(data=st.data())
def test_botocore_reads_what_serialize_writes(operation: str, data: st.DataObject) -> None:
    result = data.draw(output_values("organizations", operation), label="result")
    response = ORGS.serialize(operation, result, "req-1")
    parsed = botocore_parse("organizations", operation, response)
    metadata = parsed.pop("ResponseMetadata")
    assert metadata["RequestId"] == "req-1"
    assert metadata["HTTPStatusCode"] == 200
    assert parsed == result


def test_response_shape() -> None:
    joined = dt.datetime(2021, 9, 8, 17, 22, 8, 678000, tzinfo=dt.UTC)
    account = {"Id": "111111111111", "Name": "Log Archive", "JoinedTimestamp": joined, "Status": "ACTIVE"}
    response = ORGS.serialize("DescribeAccount", {"Account": account}, "rid")
    assert response.status == 200
    assert dict(response.headers) == {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "rid"}
    assert json.loads(response.body) == {
        "Account": {"Id": "111111111111", "Name": "Log Archive", "Status": "ACTIVE", "JoinedTimestamp": 1631121728.678}
    }
    assert json.loads(ORGS.serialize("DeleteOrganization", {}, "rid").body) == {}


# --- errors -------------------------------------------------------------------------------------


def test_modeled_error_uses_the_models_member_names() -> None:
    """Organizations' error shapes spell the member ``Message``; extra members sit beside it."""
    error = ModeledError(
        "ConstraintViolationException",
        "You have exceeded the allowed number of accounts.",
        fields={"Reason": "ACCOUNT_NUMBER_LIMIT_EXCEEDED"},
    )
    response = ORGS.serialize_error(error, "rid-3")
    assert response.status == 400
    assert json.loads(response.body) == {
        "__type": "ConstraintViolationException",
        "Message": "You have exceeded the allowed number of accounts.",
        "Reason": "ACCOUNT_NUMBER_LIMIT_EXCEEDED",
    }
    parsed = botocore_parse("organizations", "CreateAccount", response)
    assert parsed["Error"] == {"Code": "ConstraintViolationException", "Message": error.message}
    assert parsed["ResponseMetadata"]["RequestId"] == "rid-3"
    shape = service_model("organizations").shape_for("ConstraintViolationException")
    modeled = botocore_parse("organizations", "CreateAccount", response, shape)
    assert modeled == {"Message": error.message, "Reason": "ACCOUNT_NUMBER_LIMIT_EXCEEDED"}


@pytest.mark.parametrize(
    "error",
    [
        client_error("AWSOrganizationsNotInUseException", "Your account is not a member of an organization."),
        AccessDenied("You don't have permissions to access this resource."),
        AwsError("An unexpected error occurred."),
        client_error("ValidationException", "1 validation error detected: ..."),
    ],
)
def test_error_body_is_read_by_botocore(error: AwsError) -> None:
    response = ORGS.serialize_error(error, "rid-4")
    parsed = botocore_parse("organizations", "DescribeOrganization", response)
    assert parsed["Error"] == {"Code": error.code, "Message": error.message}
    assert parsed["ResponseMetadata"]["RequestId"] == "rid-4"
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == error.status == response.status


def test_message_member_spelling() -> None:
    modeled = json.loads(ORGS.serialize_error(client_error("AccessDeniedException", "no", 403), "r").body)
    unmodeled = json.loads(ORGS.serialize_error(client_error("ThrottlingException", "slow"), "r").body)
    assert modeled == {"__type": "AccessDeniedException", "Message": "no"}
    assert unmodeled == {"__type": "ThrottlingException", "message": "slow"}


# --- request errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["AWSOrganizationsV20161128.Frobnicate", "DynamoDB_20120810.ListTables", "ListRoots", ""]
)
def test_unknown_target(target: str) -> None:
    error = parse_error(call("ListRoots", {}, target=target))
    assert (error.code, error.status, error.message) == ("UnknownOperationException", 400, "")
    assert json.loads(ORGS.serialize_error(error, "r").body) == {"__type": "UnknownOperationException"}


@pytest.mark.parametrize(
    ("body", "reason", "message"),
    [
        ({"AccountId": "12345"}, "INVALID_PATTERN", "You provided a value that does not match the required pattern."),
        ({}, "INPUT_REQUIRED", "You must include a value for all required parameters."),
    ],
)
def test_invalid_input_is_organizations_own_error(body: dict[str, str], reason: str, message: str) -> None:
    error = parse_error(call("DescribeAccount", body))
    assert (error.code, error.status, error.message) == ("InvalidInputException", 400, message)
    assert json.loads(ORGS.serialize_error(error, "r").body) == {
        "__type": "InvalidInputException",
        "Message": message,
        "Reason": reason,
    }


def test_list_and_enum_violations() -> None:
    error = parse_error(call("ListPolicies", {"Filter": "NOT_A_POLICY_TYPE"}))
    assert error.message == "You specified an invalid value."
    error = parse_error(call("ListAccounts", {"MaxResults": 0}))
    assert error.message == "You provided a numeric parameter that has a smaller value than allowed."


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", json.dumps({"AccountId": 123456789012}).encode()])
def test_malformed_bodies(body: bytes) -> None:
    request = HttpRequest("POST", "/", "", call("DescribeAccount", {}).headers, body)
    error = parse_error(request)
    assert (error.code, error.status) == ("SerializationException", 400)


def test_types_and_unknown_members() -> None:
    parsed = ORGS.parse(call("ListAccounts", {"MaxResults": 5, "NextToken": "t", "Bogus": [1]}))
    assert parsed.params == {"MaxResults": 5, "NextToken": "t"}
    assert ORGS.parse(HttpRequest("POST", "/", "", call("DescribeOrganization", {}).headers, b"")).params == {}
