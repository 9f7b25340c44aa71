"""rest-xml (S3) against botocore: botocore's serializer builds the requests our parser reads
(path-style and virtual-hosted-style), botocore's parser reads the responses and S3 error
documents our serializer writes; plus S3 addressing and the S3 routing rule."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from botocore.auth import HmacV1QueryAuth, S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest, create_request_object, prepare_request_dict
from botocore.credentials import Credentials
from botocore.handlers import parse_get_bucket_location
from botocore.serialize import create_serializer
from botocore.utils import switch_to_virtual_host_style
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wire_oracle import botocore_parse, values

from localiam.errors import AccessDenied, AwsError, client_error
from localiam.wire import routing
from localiam.wire.http import HttpRequest
from localiam.wire.models import service_model
from localiam.wire.rest_xml import S3_NAMESPACE, RestXmlProtocol, host_id
from localiam.wire.s3_addressing import S3Addressing, is_s3_request, s3_anonymous_resolver, s3_resolver

OPERATIONS = [
    "CreateBucket", "DeleteBucket", "HeadBucket", "ListBuckets", "GetBucketLocation",
    "PutObject", "GetObject", "HeadObject", "DeleteObject", "CopyObject", "DeleteObjects",
    "ListObjects", "ListObjectsV2", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload",
    "AbortMultipartUpload", "ListMultipartUploads", "ListParts",
    "PutObjectTagging", "GetObjectTagging", "DeleteObjectTagging",
    "PutBucketPolicy", "GetBucketPolicy", "DeleteBucketPolicy", "GetBucketPolicyStatus",
    "GetBucketAcl", "PutBucketAcl", "GetObjectAcl", "PutObjectAcl",
    "GetBucketOwnershipControls", "PutBucketOwnershipControls", "DeleteBucketOwnershipControls",
    "GetPublicAccessBlock", "PutPublicAccessBlock", "DeletePublicAccessBlock",
]  # fmt: skip
HYPOTHESIS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
S3 = RestXmlProtocol("s3")
MODEL = service_model("s3")
# Text that can travel in a header, a query string, a path and XML alike.
CHARS = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
DNS_BUCKETS = st.from_regex(r"[a-z0-9][a-z0-9-]{1,20}[a-z0-9]", fullmatch=True)
META_KEYS = st.text("abcdefghij0123456789-", min_size=1, max_size=8)
CREDENTIALS = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


def seconds(value: Any) -> Any:
    """``value`` with its times to the second, as HTTP dates carry them."""
    if isinstance(value, dict):
        return {k: seconds(v) for k, v in value.items()}
    if isinstance(value, list):
        return [seconds(v) for v in value]
    return value.replace(microsecond=0) if isinstance(value, dt.datetime) else value


def normalized(value: Any) -> Any:
    """``value`` minus what the wire cannot carry: sub-second times in HTTP dates, and empty
    lists, maps, structures and strings that no wire tells from absent (flattened lists, empty
    payloads)."""
    if isinstance(value, dict):
        out = {k: normalized(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in ({}, [], None)}
    if isinstance(value, list):
        return [normalized(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0)
    return value


def draw_input(data: st.DataObject, operation: str, bucket: st.SearchStrategy[str]) -> dict[str, Any]:
    shape = MODEL.operation_model(operation).input_shape
    params: dict[str, Any] = data.draw(values(shape, constrained=True, chars=CHARS), label="params")
    params = seconds(params)
    if "Bucket" in shape.members:
        params["Bucket"] = data.draw(bucket, label="bucket")
    if "Metadata" in shape.members:
        params["Metadata"] = data.draw(st.dictionaries(META_KEYS, st.text(CHARS, max_size=8)), label="meta")
    payload = shape.serialization.get("payload")
    if payload and shape.members[payload].type_name == "blob":
        params.setdefault(payload, b"")
    if payload and params.get(payload) == "":
        params[payload] = "{}"  # an empty string payload is no payload
    params.pop("ContentLength", None)  # the HTTP layer sets Content-Length from the body
    return params


def parsed_params(request: HttpRequest, operation: str) -> dict[str, Any]:
    parsed = S3.parse(request)
    assert (parsed.service, parsed.operation) == ("s3", operation)
    params = dict(parsed.params)
    params.pop("ContentLength", None)
    return normalized(params)  # type: ignore[no-any-return]


def botocore_request(operation: str, params: dict[str, Any], endpoint: str, virtual: bool = False) -> AWSRequest:
    op = MODEL.operation_model(operation)
    request_dict = create_serializer("rest-xml").serialize_to_request(params, op)
    prepare_request_dict(request_dict, endpoint)
    request = create_request_object(request_dict)
    if virtual:
        switch_to_virtual_host_style(request, "s3v4")
    return request


def http_request(request: AWSRequest) -> HttpRequest:
    prepared = request.prepare()
    scheme_host, _, rest = prepared.url.partition("://")[2].partition("/")
    path, _, query = ("/" + rest).partition("?")
    body = prepared.body or b""
    body = body.encode() if isinstance(body, str) else body
    headers = (("Host", scheme_host), *prepared.headers.items())
    return HttpRequest(prepared.method, path, query, headers, body)


# --- round trips --------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", OPERATIONS)
@HYPOTHESIS
@given(data=st.data())
def test_parse_reads_what_botocore_sends_path_style(operation: str, data: st.DataObject) -> None:
    params = draw_input(data, operation, st.text(CHARS, min_size=1, max_size=20).filter(lambda b: b not in (".", "..")))
    request = http_request(botocore_request(operation, params, "http://localhost:4599"))
    assert parsed_params(request, operation) == normalized(params)


@pytest.mark.parametrize("endpoint", ["http://localhost:4599", "https://s3.us-east-1.amazonaws.com"])
@pytest.mark.parametrize("operation", [op for op in OPERATIONS if op not in ("ListBuckets", "GetBucketLocation")])
@settings(HYPOTHESIS, max_examples=5)
@given(data=st.data())
def test_parse_reads_what_botocore_sends_virtual_hosted(operation: str, endpoint: str, data: st.DataObject) -> None:
    params = draw_input(data, operation, DNS_BUCKETS)
    request = http_request(botocore_request(operation, params, endpoint, virtual=True))
    assert (request.header("host") or "").startswith(params["Bucket"] + ".")
    assert parsed_params(request, operation) == normalized(params)


@pytest.mark.parametrize("operation", OPERATIONS)
@HYPOTHESIS
@given(data=st.data())
def test_botocore_reads_what_serialize_writes(operation: str, data: st.DataObject) -> None:
    shape = MODEL.operation_model(operation).output_shape
    result: dict[str, Any] = {}
    payload, kind = None, None
    if shape is not None:
        result = normalized(data.draw(values(shape, constrained=False, chars=CHARS), label="result"))
        if "Metadata" in shape.members:
            result["Metadata"] = data.draw(st.dictionaries(META_KEYS, st.text(CHARS, max_size=8)), label="meta")
        payload = shape.serialization.get("payload")
        kind = shape.members[payload].type_name if payload else None
        if kind == "string":
            result.setdefault(payload, "")  # botocore reads an absent raw payload as an empty one
        if result.get("LocationConstraint") == "":
            del result["LocationConstraint"]  # S3's empty element is us-east-1, read as None
    response = S3.serialize(operation, result, "req-1")
    if kind == "blob":
        # A streaming body goes out as it is (botocore hands it to the caller as a stream).
        assert response.body == result.pop(payload, b"")
        response = dataclasses.replace(response, body=b"")
    parsed = botocore_parse("s3", operation, response)
    if kind == "blob":
        parsed.pop(payload)
    if operation == "GetBucketLocation":
        parse_get_bucket_location(parsed, _HttpResponse(response.body))
    metadata = parsed.pop("ResponseMetadata")
    assert metadata["RequestId"] == "req-1"
    assert metadata["HostId"] == host_id("req-1")
    assert normalized(parsed) == normalized(result)
    if MODEL.operation_model(operation).http["method"] == "HEAD" or response.status == 204:
        assert response.body == b""


class _HttpResponse:
    def __init__(self, content: bytes) -> None:
        self.content = content
        self.raw = content


# --- details ------------------------------------------------------------------------------------


def test_keys_and_disambiguation() -> None:
    def parse(method: str, path: str, query: str = "", *headers: tuple[str, str]) -> tuple[str, dict[str, Any]]:
        parsed = S3.parse(HttpRequest(method, path, query, headers, b""))
        return parsed.operation, parsed.params

    assert parse("GET", "/b/a%20b/%2Fc+d/") == ("GetObject", {"Bucket": "b", "Key": "a b//c+d/"})
    assert parse("GET", "/b/") == ("ListObjects", {"Bucket": "b"})
    assert parse("GET", "/b", "list-type=2&max-keys=5&fetch-owner=true")[1] == {
        "Bucket": "b",
        "MaxKeys": 5,
        "FetchOwner": True,
    }
    assert parse("GET", "/b", "list-type=3")[0] == "ListObjects"
    assert parse("GET", "/b/k", "uploadId=u")[0] == "ListParts"
    assert parse("DELETE", "/b/k", "uploadId=u")[0] == "AbortMultipartUpload"
    assert parse("PUT", "/b/k", "partNumber=2&uploadId=u")[0] == "UploadPart"
    assert parse("PUT", "/b/k", "partNumber=2&uploadId=u", ("x-amz-copy-source", "s/k"))[0] == "UploadPartCopy"
    assert parse("GET", "/b", "lifecycle")[0] == "GetBucketLifecycleConfiguration"
    assert parse("GET", "/")[0] == "ListBuckets"
    assert parse("GET", "/b/k", "x-id=GetObject")[0] == "GetObject"
    assert parse("HEAD", "/b/k", "", ("If-Modified-Since", "not a date"))[1] == {"Bucket": "b", "Key": "k"}
    _, params = parse("PUT", "/b/k", "", ("x-amz-meta-Colour", "red"), ("X-Amz-Meta-n", ""))
    assert params == {"Bucket": "b", "Key": "k", "Metadata": {"Colour": "red", "n": ""}, "Body": b""}


def test_wrong_method_and_bad_values() -> None:
    with pytest.raises(AwsError) as caught:
        S3.parse(HttpRequest("POST", "/b/k", "", (), b""))
    assert (caught.value.code, caught.value.status) == ("MethodNotAllowed", 405)
    assert caught.value.fields == {"Method": "POST", "ResourceType": "OBJECT"}
    with pytest.raises(AwsError) as caught:
        S3.parse(HttpRequest("GET", "/b", "max-keys=lots", (), b""))
    assert caught.value.code == "InvalidArgument"
    assert caught.value.fields == {"ArgumentName": "max-keys", "ArgumentValue": "lots"}


@pytest.mark.parametrize(
    "body",
    [
        b"<Tagging><TagSet>",
        b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x "y">]><Tagging><TagSet/></Tagging>',
        b"<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet><Version>x</Version></Tagging>",
    ],
)
def test_bad_xml_is_malformed(body: bytes) -> None:
    request = HttpRequest("PUT", "/b/k", "tagging", (), body)
    if b"Version" in body:  # unknown elements are ignored
        assert S3.parse(request).params["Tagging"] == {"TagSet": [{"Key": "k", "Value": "v"}]}
        return
    with pytest.raises(AwsError) as caught:
        S3.parse(request)
    assert (caught.value.code, caught.value.status) == ("MalformedXML", 400)


def test_acl_grantee_attribute_and_namespace() -> None:
    grant = {"Grantee": {"Type": "CanonicalUser", "ID": "abc"}, "Permission": "FULL_CONTROL"}
    response = S3.serialize("GetBucketAcl", {"Owner": {"ID": "abc"}, "Grants": [grant]}, "rid")
    assert f'<AccessControlPolicy xmlns="{S3_NAMESPACE}">'.encode() in response.body
    assert b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"' in response.body
    params = {"Bucket": "b", "AccessControlPolicy": {"Owner": {"ID": "abc"}, "Grants": [grant]}}
    parsed = S3.parse(http_request(botocore_request("PutBucketAcl", params, "http://localhost:4599")))
    assert parsed.params == params
    assert (
        MODEL.operation_model("CreateBucket")
        .input_shape.members["CreateBucketConfiguration"]
        .serialization["xmlNamespace"]["uri"]
        == S3_NAMESPACE
    )


def test_get_object_streams_body_and_headers() -> None:
    modified = dt.datetime(2024, 5, 1, 12, 0, 1, tzinfo=dt.UTC)
    result = {"Body": b"\x00hello", "ETag": '"abc"', "LastModified": modified, "VersionId": "v1", "ContentLength": 6}
    response = S3.serialize("GetObject", result, "rid")
    assert response.body == b"\x00hello"
    headers = dict(response.headers)
    assert headers["ETag"] == '"abc"'
    assert headers["Last-Modified"] == "Wed, 01 May 2024 12:00:01 GMT"
    assert headers["x-amz-version-id"] == "v1"
    head = S3.serialize("HeadObject", {k: v for k, v in result.items() if k != "Body"}, "rid")
    assert head.body == b""
    assert S3.serialize("DeleteObject", {}, "rid").status == 204


@pytest.mark.parametrize(
    ("error", "extra"),
    [
        (client_error("NoSuchKey", "The specified key does not exist.", 404), {"Key": "a/b.txt"}),
        (AccessDenied("Access Denied"), {}),
        (AwsError("The specified bucket does not exist", code="NoSuchBucket", status=404), {"BucketName": "b"}),
    ],
)
def test_errors_as_botocore_reads_them(error: AwsError, extra: dict[str, str]) -> None:
    error.fields.update(extra)
    response = S3.serialize_error(error, "req-9")
    assert response.status == error.status
    assert response.body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>')
    headers = dict(response.headers)
    assert headers["x-amz-request-id"] == "req-9"
    assert headers["x-amz-id-2"] == host_id("req-9")
    parsed = botocore_parse("s3", "GetObject", response)
    assert parsed["Error"] == {"Code": error.code, "Message": error.message, **extra}
    assert parsed["ResponseMetadata"]["RequestId"] == "req-9"
    assert parsed["ResponseMetadata"]["HostId"] == host_id("req-9")
    head = S3.serialize_error(error, "req-9", method="HEAD")
    assert head.body == b""
    assert botocore_parse("s3", "HeadObject", head)["Error"]["Code"] == str(error.status)


# --- addressing and routing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "path", "bucket", "key", "virtual"),
    [
        ("localhost:4599", "/b/k/x", "b", "k/x", False),
        ("127.0.0.1:4599", "/b", "b", None, False),
        ("s3.amazonaws.com", "/", None, None, False),
        ("b.s3.amazonaws.com", "/k%20x", "b", "k x", True),
        ("my.bucket.s3.amazonaws.com", "/", "my.bucket", None, True),
        ("b.s3.us-east-1.amazonaws.com", "/k", "b", "k", True),
        ("b.s3-us-west-2.amazonaws.com", "/k", "b", "k", True),
        ("b.s3.dualstack.eu-west-1.amazonaws.com", "/k", "b", "k", True),
        ("s3.us-east-1.amazonaws.com", "/b/k", "b", "k", False),
        ("B.localhost:4599", "/k", "b", "k", True),
        ("b.s3.localhost", "/k", "b", "k", True),
        ("s3.localhost:4599", "/b/k", "b", "k", False),
    ],
)
def test_addressing(host: str, path: str, bucket: str | None, key: str | None, virtual: bool) -> None:
    address = S3Addressing().resolve(HttpRequest("GET", path, "", (("Host", host),), b""))
    assert (address.bucket, address.key, address.virtual_hosted) == (bucket, key, virtual)


def test_configurable_suffixes() -> None:
    addressing = S3Addressing(["storage.example.test"])
    request = HttpRequest("GET", "/k", "", (("Host", "b.storage.example.test"),), b"")
    assert (addressing.resolve(request).bucket, addressing.resolve(request).key) == ("b", "k")
    assert S3Addressing().resolve(request).bucket == "k"
    parsed = RestXmlProtocol("s3", addressing).parse(request)
    assert parsed.params == {"Bucket": "b", "Key": "k"}


def signed(request: AWSRequest, auth: Any) -> HttpRequest:
    request.context["timestamp"] = "20240101T000000Z"
    auth.add_auth(request)
    return http_request(request)


def test_routing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(routing.PROTOCOLS, "rest-xml", RestXmlProtocol)
    router = routing.Router(("iam", "sts", "s3"))
    router.resolvers.insert(0, s3_resolver(router))
    router.resolvers.append(s3_anonymous_resolver(router))
    endpoint = "http://localhost:4599"

    def s3(operation: str, **params: Any) -> AWSRequest:
        return botocore_request(operation, params, endpoint)

    cases = {
        "sigv4": signed(s3("ListBuckets"), S3SigV4Auth(CREDENTIALS, "s3", "us-east-1")),
        "presigned v4": signed(s3("GetObject", Bucket="b", Key="k"), S3SigV4QueryAuth(CREDENTIALS, "s3", "us-east-1")),
        "presigned v2": signed(s3("GetObject", Bucket="b", Key="k"), HmacV1QueryAuth(CREDENTIALS)),
        "virtual host": http_request(botocore_request("GetObject", {"Bucket": "bkt", "Key": "k"}, endpoint, True)),
        "anonymous": HttpRequest("GET", "/public/k.txt", "", (("Host", "localhost:4599"),), b""),
    }
    for name, request in cases.items():
        assert router.route(request).service == "s3", name
        assert S3.parse(request).operation in ("ListBuckets", "GetObject")
    iam = AWSRequest("POST", endpoint + "/", data={"Action": "ListUsers", "Version": "2010-05-08"})
    assert router.route(signed(iam, SigV4Auth(CREDENTIALS, "iam", "us-east-1"))).service == "iam"
    body = b"Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=a&RoleSessionName=s&WebIdentityToken=t"
    form = (("Host", "localhost:4599"), ("Content-Type", "application/x-www-form-urlencoded"))
    assert router.route(HttpRequest("POST", "/", "", form, body)).service == "sts"
    control = HttpRequest("GET", "/v20180820/configuration/publicAccessBlock", "", (), b"")
    assert not is_s3_request(control)
    assert is_s3_request(HttpRequest("PUT", "/b/k", "", (("x-amz-acl", "private"),), b""))
    assert not is_s3_request(HttpRequest("GET", "/b/k", "", (), b""))
