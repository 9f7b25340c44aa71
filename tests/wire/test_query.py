"""The query protocol (IAM, STS) against botocore: botocore's serializer builds the requests our
parser reads, botocore's parser reads the responses and errors our serializer writes."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wire_oracle import botocore_parse, botocore_request, input_values, output_values, without_empty

from localiam.errors import AccessDenied, AwsError, ValidationError, client_error
from localiam.wire.http import HttpRequest
from localiam.wire.models import service_model
from localiam.wire.query import QueryProtocol

SERVICES = ("iam", "sts")
OPERATIONS = [(s, op) for s in SERVICES for op in service_model(s).operation_names]
HYPOTHESIS = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
FORM = (("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),)


def form(body: str) -> HttpRequest:
    return HttpRequest("POST", "/", "", FORM, body.encode())


def parse_error(service: str, body: str) -> AwsError:
    with pytest.raises(AwsError) as caught:
        QueryProtocol(service).parse(form(body))
    return caught.value


# --- round trips --------------------------------------------------------------------------------


@pytest.mark.parametrize(("service", "operation"), OPERATIONS, ids=lambda v: str(v))
@HYPOTHESIS
@given(data=st.data())
def test_parse_reads_what_botocore_sends(service: str, operation: str, data: st.DataObject) -> None:
    params = data.draw(input_values(service, operation), label="params")
    parsed = QueryProtocol(service).parse(botocore_request(service, operation, params))
    assert (parsed.service, parsed.operation) == (service, operation)
    assert parsed.params == without_empty(params)


@pytest.mark.parametrize(("service", "operation"), OPERATIONS, ids=lambda v: str(v))
@HYPOTHESIS
@given(data=st.data())
def test_botocore_reads_what_serialize_writes(service: str, operation: str, data: st.DataObject) -> None:
    result = data.draw(output_values(service, operation), label="result")
    response = QueryProtocol(service).serialize(operation, result, "req-1")
    parsed = botocore_parse(service, operation, response)
    metadata = parsed.pop("ResponseMetadata")
    assert metadata["RequestId"] == "req-1"
    assert metadata["HTTPStatusCode"] == 200
    assert dict(response.headers)["x-amzn-RequestId"] == "req-1"
    assert parsed == result


def test_response_envelope_is_awss() -> None:
    created = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)
    user = {"Path": "/", "UserName": "bob", "UserId": "AIDA0", "Arn": "arn:aws:iam::1:user/bob", "CreateDate": created}
    response = QueryProtocol("iam").serialize("GetUser", {"User": user}, "rid")
    assert response.status == 200
    assert response.body == (
        b'<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetUserResult><User>'
        b"<Path>/</Path><UserName>bob</UserName><UserId>AIDA0</UserId><Arn>arn:aws:iam::1:user/bob</Arn>"
        b"<CreateDate>2024-05-06T07:08:09.123Z</CreateDate></User></GetUserResult>"
        b"<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></GetUserResponse>"
    )


def test_operation_without_output_still_carries_request_id() -> None:
    response = QueryProtocol("iam").serialize("DeleteUser", {}, "rid")
    assert response.body == (
        b'<DeleteUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        b"<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></DeleteUserResponse>"
    )


def test_text_is_escaped_and_booleans_are_words() -> None:
    result = {"IsTruncated": True, "Users": [], "Marker": "a<b>&\"c'\r\n"}
    response = QueryProtocol("iam").serialize("ListUsers", result, "rid")
    assert b"<IsTruncated>true</IsTruncated>" in response.body
    assert b"<Users />" in response.body
    assert botocore_parse("iam", "ListUsers", response)["Marker"] == "a<b>&\"c'\r\n"


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (client_error("NoSuchEntity", "The user with name bob cannot be found.", 404), "Sender"),
        (AccessDenied("User: arn:aws:iam::1:user/x is not authorized to perform: iam:GetUser"), "Sender"),
        (AwsError("We encountered an internal error. Please try again."), "Receiver"),
        (client_error("EntityAlreadyExists", "User with name bob already exists. <&>", 409), "Sender"),
    ],
)
def test_error_body_is_read_by_botocore(service: str, error: AwsError, kind: str) -> None:
    response = QueryProtocol(service).serialize_error(error, "rid-9")
    parsed = botocore_parse(service, "GetCallerIdentity" if service == "sts" else "GetUser", response)
    assert parsed["Error"] == {"Type": kind, "Code": error.code, "Message": error.message}
    assert parsed["ResponseMetadata"]["RequestId"] == "rid-9"
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == error.status == response.status


def test_error_body_is_awss() -> None:
    response = QueryProtocol("sts").serialize_error(AccessDenied("no"), "rid")
    assert response.body == (
        b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
        b"<Code>AccessDenied</Code><Message>no</Message></Error><RequestId>rid</RequestId></ErrorResponse>"
    )
    assert dict(response.headers) == {"Content-Type": "text/xml", "x-amzn-RequestId": "rid"}


# --- validation wording ---------------------------------------------------------------------------


def test_missing_required_member() -> None:
    error = parse_error("iam", "Action=CreateUser&Version=2010-05-08")
    assert isinstance(error, ValidationError)
    assert (error.code, error.status) == ("ValidationError", 400)
    assert error.message == (
        "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null"
    )


def test_range_and_length_and_several_errors() -> None:
    body = (
        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr"
        "&RoleSessionName=" + "s" * 65 + "&DurationSeconds=600"
    )
    assert parse_error("sts", body).message == (
        "2 validation errors detected: "
        "Value '" + "s" * 65 + "' at 'roleSessionName' failed to satisfy constraint: "
        "Member must have length less than or equal to 64; "
        "Value '600' at 'durationSeconds' failed to satisfy constraint: "
        "Member must have value greater than or equal to 900"
    )


def test_empty_name_fails_length_then_pattern() -> None:
    assert parse_error("iam", "Action=GetUser&UserName=").message == (
        "2 validation errors detected: "
        "Value '' at 'userName' failed to satisfy constraint: Member must have length greater than or equal to 1; "
        "Value '' at 'userName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    )


def test_enum() -> None:
    assert parse_error("iam", "Action=ListPolicies&Scope=Mine").message == (
        "1 validation error detected: Value 'Mine' at 'scope' failed to satisfy constraint: "
        "Member must satisfy enum value set: [All, AWS, Local]"
    )


def test_nested_list_member_path() -> None:
    body = (
        "Action=CreateUser&UserName=bob&Tags.member.1.Key=ok&Tags.member.1.Value=v"
        "&Tags.member.2.Key=&Tags.member.2.Value=v"
    )
    assert parse_error("iam", body).message.startswith(
        "2 validation errors detected: Value '' at 'tags.2.member.key' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; "
    )


def test_sensitive_values_are_not_echoed() -> None:
    error = parse_error("iam", "Action=ChangePassword&OldPassword=" + "p" * 129 + "&NewPassword=x")
    assert error.message == (
        "1 validation error detected: Value at 'oldPassword' failed to satisfy constraint: "
        "Member must have length less than or equal to 128"
    )


def test_java_patterns() -> None:
    """``\\w`` is ASCII as in Java; ``\\p{L}`` is any letter."""
    assert "regular expression pattern" in parse_error("iam", "Action=GetUser&UserName=b%C3%A9").message
    parsed = QueryProtocol("iam").parse(
        form("Action=TagUser&UserName=bob&Tags.member.1.Key=%C3%BC+x&Tags.member.1.Value=v")
    )
    assert parsed.params == {"UserName": "bob", "Tags": [{"Key": "ü x", "Value": "v"}]}
    error = parse_error("iam", "Action=TagUser&UserName=bob&Tags.member.1.Key=%07&Tags.member.1.Value=v")
    assert "Value '\x07' at 'tags.1.member.key'" in error.message


# --- decoding -----------------------------------------------------------------------------------


def test_types_unknown_fields_and_get() -> None:
    query = "Action=ListUsers&Version=2010-05-08&MaxItems=5&Marker=m&Bogus=1&Foo.Bar.1=x"
    parsed = QueryProtocol("iam").parse(HttpRequest("GET", "/", query, (), b""))
    assert parsed.params == {"MaxItems": 5, "Marker": "m"}


def test_maps_and_timestamps() -> None:
    body = (
        "Action=SimulateCustomPolicy&PolicyInputList.member.1=%7B%7D&ActionNames.member.1=s3%3AGetObject"
        "&ContextEntries.member.1.ContextKeyName=aws%3ACurrentTime&ContextEntries.member.1.ContextKeyType=date"
        "&ContextEntries.member.1.ContextKeyValues.member.1=2024-01-01T00%3A00%3A00Z"
    )
    parsed = QueryProtocol("iam").parse(form(body))
    assert parsed.params["ContextEntries"][0]["ContextKeyValues"] == ["2024-01-01T00:00:00Z"]
    stamp = QueryProtocol("sts").parse(form("Action=GetAccessKeyInfo&AccessKeyId=AKIAIOSFODNN7EXAMPLE"))
    assert stamp.params == {"AccessKeyId": "AKIAIOSFODNN7EXAMPLE"}


def test_wrong_type_is_invalid_parameter_value() -> None:
    error = parse_error("iam", "Action=ListUsers&MaxItems=many")
    assert (error.code, error.status) == ("InvalidParameterValue", 400)


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ("Version=2010-05-08", "MissingAction", "The request is missing an action or a required parameter."),
        (
            "Action=Frobnicate&Version=2010-05-08",
            "InvalidAction",
            "Could not find operation Frobnicate for version 2010-05-08",
        ),
        (
            "Action=ListUsers&Version=2011-06-15",
            "InvalidAction",
            "Could not find operation ListUsers for version 2011-06-15",
        ),
    ],
)
def test_unknown_actions(body: str, code: str, message: str) -> None:
    error = parse_error("iam", body)
    assert (error.code, error.message, error.status) == (code, message, 400)


def test_lengths_count_utf16_units_as_java_does() -> None:
    letter = "\U0001d400"  # MATHEMATICAL BOLD CAPITAL A: a letter outside the BMP, two UTF-16 units
    body = "Action=TagUser&UserName=bob&Tags.member.1.Key=k&Tags.member.1.Value="
    ok = QueryProtocol("iam").parse(form(body + letter * 128))
    assert ok.params["Tags"][0]["Value"] == letter * 128
    error = parse_error("iam", body + letter * 129)
    assert "Member must have length less than or equal to 256" in error.message
