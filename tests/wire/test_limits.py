"""The request limits of ``localiam.wire.limits``, and what the parsers make of documents nested
past them.

Sources: S3 API Reference ``ErrorResponses`` (``RequestHeaderSectionTooLarge``, ``EntityTooLarge``,
``MaxMessageLengthExceeded``, ``MalformedXML``), User Guide ``upload-objects`` (5 GB in one PUT);
Lambda ``gettingstarted-limits`` and ``API_Invoke`` (6 MB synchronous, 1 MB asynchronous) and the
wording Lambda answers with, cited in the module.
"""

from __future__ import annotations

import pytest

from localiam.errors import AwsError
from localiam.wire import limits
from localiam.wire.http import HttpRequest
from localiam.wire.json_protocol import JsonProtocol
from localiam.wire.rest_json import RestJsonProtocol
from localiam.wire.rest_xml import RestXmlProtocol
from localiam.wire.routing import Router

SIGNED = "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20240101/us-east-1/{}/aws4_request, SignedHeaders=host, Signature=0"


def request(
    method: str = "GET",
    path: str = "/",
    query: str = "",
    headers: tuple[tuple[str, str], ...] = (("Host", "localhost:4599"),),
    body: bytes = b"",
) -> HttpRequest:
    return HttpRequest(method=method, raw_path=path, raw_query=query, headers=headers, body=body)


def refused(error: AwsError | None) -> AwsError:
    assert error is not None, "the request was not refused"
    return error


# --- request line and headers -------------------------------------------------------------------


def test_s3_counts_request_line_and_headers_together_up_to_8_kib() -> None:
    # 8192 bytes in all: "GET " + URL + " HTTP/1.1\r\n" + "name: value\r\n" per header.
    fixed = len("GET ") + len("/b/k") + len(" HTTP/1.1\r\n") + len("Host: localhost:4599\r\n") + len("X-Pad: \r\n")
    just_fits = request(path="/b/k", headers=(("Host", "localhost:4599"), ("X-Pad", "a" * (8192 - fixed))))
    assert limits.check_head(just_fits, "s3", "rest-xml") is None
    over = request(path="/b/k", headers=(("Host", "localhost:4599"), ("X-Pad", "a" * (8193 - fixed))))
    error = refused(limits.check_head(over, "s3", "rest-xml"))
    assert (error.code, error.status) == ("RequestHeaderSectionTooLarge", 400)
    assert error.message == (
        "The request header and query parameters used to make the request exceed the maximum allowed size."
    )
    assert error.fields == {"MaxSizeAllowed": "8192"}
    # The query string counts too ("header and query parameters").
    error = refused(limits.check_head(request(path="/b/k", query="x=" + "a" * 8200), "s3", "rest-xml"))
    assert error.code == "RequestHeaderSectionTooLarge"


@pytest.mark.parametrize(
    ("protocol", "code"),
    [("query", "ValidationError"), ("json", "ValidationException"), ("rest-json", "ValidationException")],
)
def test_other_services_refuse_a_long_url_in_their_own_shape(protocol: str, code: str) -> None:
    ok = request(query="Action=ListUsers&x=" + "a" * (limits.URL_LIMIT - 40))
    assert limits.check_head(ok, "iam", protocol) is None
    long = request(query="Action=ListUsers&x=" + "a" * limits.URL_LIMIT)
    error = refused(limits.check_head(long, "iam", protocol))
    assert (error.code, error.status) == (code, 400)
    assert error.message == (
        f"The request's path and query string are {len(long.raw_query) + 2} bytes; at most 32768 are accepted."
    )


def test_the_transport_tells_the_length_of_a_url_it_cut_short() -> None:
    cut = request(query="a" * 10)
    error = refused(limits.check_head(cut, "sts", "query", url_length=100_000))
    assert "100000 bytes" in error.message


def test_header_bytes_and_header_count_are_bounded_outside_s3() -> None:
    big = request(headers=(("Host", "h"), ("X-Big", "a" * limits.HEADER_SECTION_LIMIT)))
    error = refused(limits.check_head(big, "organizations", "json"))
    assert (error.code, error.status) == ("ValidationException", 400)
    assert "headers are" in error.message and "at most 16384" in error.message
    many = request(headers=tuple((f"X-H{i}", "v") for i in range(limits.HEADER_COUNT_LIMIT + 1)))
    error = refused(limits.check_head(many, "iam", "query"))
    assert error.message == "The request has 101 header fields; at most 100 are accepted."
    enough = request(headers=tuple((f"X-H{i}", "v") for i in range(limits.HEADER_COUNT_LIMIT)))
    assert limits.check_head(enough, "iam", "query") is None


@pytest.mark.parametrize(
    ("service", "protocol", "code"),
    [
        ("iam", "query", "IncompleteSignature"),
        ("organizations", "json", "IncompleteSignature"),
        ("lambda", "rest-json", "IncompleteSignature"),
        ("s3", "rest-xml", "InvalidArgument"),
    ],
)
def test_two_authorization_headers_are_refused(service: str, protocol: str, code: str) -> None:
    one = (("Host", "h"), ("Authorization", SIGNED.format(service)))
    assert limits.check_head(request(headers=one), service, protocol) is None
    two = (*one, ("authorization", SIGNED.format(service)))
    error = refused(limits.check_head(request(headers=two), service, protocol))
    assert (error.code, error.status) == (code, 400)
    assert error.message == "The request has 2 Authorization headers; sign it with exactly one."
    if protocol == "rest-xml":
        assert error.fields == {"ArgumentName": "Authorization"}


# --- bodies -------------------------------------------------------------------------------------


def test_s3_objects_may_be_5_gib_in_one_put() -> None:
    put = request("PUT", "/b/k", headers=(("Host", "h"), ("Content-Length", str(5 * 1024**3))))
    limit = limits.body_limit("s3", "rest-xml", "PutObject", put)
    assert limit.limit == 5368709120
    assert limits.check_declared_size(put, limit) is None
    over = request("PUT", "/b/k", headers=(("Host", "h"), ("Content-Length", "5368709121")))
    error = refused(limits.check_declared_size(over, limit))
    assert (error.code, error.status) == ("EntityTooLarge", 400)
    assert error.message == "Your proposed upload exceeds the maximum allowed size"
    assert error.fields == {"ProposedSize": "5368709121", "MaxSizeAllowed": "5368709120"}
    assert limits.body_limit("s3", "rest-xml", "UploadPart", put).limit == 5368709120


def test_an_aws_chunked_upload_is_measured_by_its_decoded_length() -> None:
    headers = (
        ("Host", "h"),
        ("Content-Encoding", "aws-chunked"),
        ("Content-Length", "5368800000"),  # the payload plus the chunk framing
        ("x-amz-decoded-content-length", "5368709120"),
    )
    put = request("PUT", "/b/k", headers=headers)
    assert limits.declared_size(put) == 5368709120
    assert limits.check_declared_size(put, limits.body_limit("s3", "rest-xml", "PutObject", put)) is None


def test_other_s3_bodies_are_documents_of_at_most_4_mib() -> None:
    policy = request("PUT", "/b", "policy", (("Host", "h"), ("Content-Length", str(4 * 1024 * 1024 + 1))))
    limit = limits.body_limit("s3", "rest-xml", "PutBucketPolicy", policy)
    error = refused(limits.check_declared_size(policy, limit))
    assert (error.code, error.status, error.message) == ("MaxMessageLengthExceeded", 400, "Your request was too big.")


def test_lambda_limits_and_wording() -> None:
    def refusal(operation: str, size: int, *headers: tuple[str, str]) -> AwsError:
        sent = request("POST", "/", headers=(("Content-Length", str(size)), *headers))
        return refused(limits.check_declared_size(sent, limits.body_limit("lambda", "rest-json", operation, sent)))

    error = refusal("Invoke", 6291457)
    assert (error.code, error.status) == ("RequestEntityTooLargeException", 413)
    assert error.message == "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    error = refusal("Invoke", 2_000_000, ("X-Amz-Invocation-Type", "Event"))
    assert error.message == "2000000 byte payload is too large for the Event invocation type (limit 1048576 bytes)"
    error = refusal("UpdateFunctionCode", 69905068)
    assert error.message == "Request must be smaller than 69905067 bytes for the UpdateFunctionCode operation"
    error = refusal("CreateFunction", 70167212)
    assert error.message == "Request must be smaller than 70167211 bytes for the CreateFunction operation"
    sync = request("POST", "/", headers=(("Content-Length", "2000000"),))
    assert limits.check_declared_size(sync, limits.body_limit("lambda", "rest-json", "Invoke", sync)) is None


@pytest.mark.parametrize(
    ("service", "protocol", "limit", "code"),
    [
        ("iam", "query", 16 * 1024 * 1024, "RequestEntityTooLarge"),
        ("sts", "query", 1024 * 1024, "RequestEntityTooLarge"),
        ("organizations", "json", 1024 * 1024, "RequestEntityTooLargeException"),
    ],
)
def test_control_plane_bodies(service: str, protocol: str, limit: int, code: str) -> None:
    sent = request("POST", "/", headers=(("Content-Length", str(limit + 1)),))
    body_limit = limits.body_limit(service, protocol, None, sent)
    assert body_limit.limit == limit
    error = refused(limits.check_declared_size(sent, body_limit))
    assert (error.code, error.status) == (code, 413)
    assert error.message == f"The request body must be at most {limit} bytes; this one is {limit + 1} bytes."


def test_a_body_without_a_declared_length_is_measured_as_it_is_read() -> None:
    chunked = request("POST", "/", headers=(("Transfer-Encoding", "chunked"),))
    assert limits.declared_size(chunked) is None
    assert limits.check_declared_size(chunked, limits.body_limit("sts", "query", None, chunked)) is None


def test_a_form_of_too_many_fields_is_refused_before_it_is_split() -> None:
    form = (("Content-Type", "application/x-www-form-urlencoded"),)
    ok = request("POST", headers=form, body=b"&".join([b"a=1"] * limits.FORM_FIELD_LIMIT))
    assert limits.check_form(ok) is None
    over = request("POST", headers=form, body=b"&".join([b"a=1"] * (limits.FORM_FIELD_LIMIT + 1)))
    error = refused(limits.check_form(over))
    assert (error.code, error.status) == ("ValidationError", 400)
    assert error.message == "The request has 10001 form fields; at most 10000 are accepted."
    json_body = request("POST", headers=(("Content-Type", "application/json"),), body=b"&" * 20_000)
    assert limits.check_form(json_body) is None


# --- nesting ------------------------------------------------------------------------------------


def test_json_nested_past_the_limit_is_refused_not_a_recursion_error() -> None:
    assert limits.load_json("[" * 100 + "]" * 100) is not None
    for depth in (101, 5_000, 50_000):
        with pytest.raises(limits.TooDeep, match="nests deeper than 100 levels"):
            limits.load_json("[" * depth + "]" * depth)
    with pytest.raises(limits.TooDeep):
        limits.load_json('{"a":' * 101 + "1" + "}" * 101)


def test_xml_nested_or_sprawling_past_the_limits_is_refused() -> None:
    assert limits.parse_xml(b"<a>" * 100 + b"</a>" * 100).tag == "a"
    with pytest.raises(limits.TooDeep):
        limits.parse_xml(b"<a>" * 101 + b"</a>" * 101)
    with pytest.raises(limits.TooDeep):
        limits.parse_xml(b"<a>" * 200_000 + b"</a>" * 200_000)
    with pytest.raises(limits.TooDeep, match="more than 100000 elements"):
        limits.parse_xml(b"<D>" + b"<a/>" * 100_000 + b"</D>")


def test_the_json_protocol_answers_deep_json_with_a_serialization_exception() -> None:
    body = b"[" * 50_000
    sent = request(
        "POST",
        headers=(
            ("X-Amz-Target", "AWSOrganizationsV20161128.ListRoots"),
            ("Content-Type", "application/x-amz-json-1.1"),
        ),
        body=body,
    )
    with pytest.raises(AwsError) as info:
        JsonProtocol("organizations").parse(sent)
    assert (info.value.code, info.value.status) == ("SerializationException", 400)
    assert "nests deeper than 100 levels" in info.value.message


def test_lambda_answers_deep_json_with_invalid_request_content() -> None:
    sent = request("POST", "/2015-03-31/functions", headers=(("Content-Type", "application/json"),), body=b"[" * 50_000)
    with pytest.raises(AwsError) as info:
        RestJsonProtocol("lambda").parse(sent)
    assert (info.value.code, info.value.status) == ("InvalidRequestContentException", 400)
    assert info.value.message.startswith("Could not parse request body into json: ")


def test_s3_answers_deep_xml_with_malformed_xml() -> None:
    body = b"<Tagging>" + b"<TagSet>" * 5_000 + b"</TagSet>" * 5_000 + b"</Tagging>"
    with pytest.raises(AwsError) as info:
        RestXmlProtocol("s3").parse(request("PUT", "/bucket", "tagging", body=body))
    assert (info.value.code, info.value.status) == ("MalformedXML", 400)


# --- which protocol answers a request whose body is unread ---------------------------------------


def test_a_posted_form_is_routed_to_the_query_protocol_on_its_headers_alone() -> None:
    router = Router(("iam", "sts", "organizations", "s3", "lambda"))
    form = ("Content-Type", "application/x-www-form-urlencoded")
    # Unsigned, only STS's AssumeRoleWithWebIdentity and AssumeRoleWithSAML can answer a form.
    assert router.route_head(request("POST", headers=(form,))).service == "sts"
    signed_iam = request("POST", headers=(form, ("Authorization", SIGNED.format("iam"))))
    assert router.route_head(signed_iam).service == "iam"
    put = request("PUT", "/bucket/key", headers=(("Host", "localhost"), ("x-amz-content-sha256", "UNSIGNED-PAYLOAD")))
    assert router.route_head(put).service == "s3"
    assert router.protocols["s3"].operation_of(put) == "PutObject"
    invoke = request("POST", "/2015-03-31/functions/f/invocations")
    assert router.route_head(invoke).service == "lambda"
    assert router.protocols["lambda"].operation_of(invoke) == "Invoke"
