"""Request limits on a running server, as an attacker (or a confused client) meets them: raw HTTP
for what no SDK sends, boto3 where a client would.

What each test holds the server to (``localiam.wire.limits`` cites the AWS pages):

- a body over its ceiling is refused on its declared length before it is sent, or as soon as it
  grows past the ceiling, and is never read whole: the answer comes while the client still
  holds most of it, and memory stays flat when several arrive at once;
- the answers are AWS's: S3 ``EntityTooLarge``/``MaxMessageLengthExceeded``/
  ``RequestHeaderSectionTooLarge``/``MalformedXML``, Lambda ``RequestEntityTooLargeException``
  (413) in Lambda's words, the query and JSON protocols' own error shapes;
- JSON nested 50,000 deep is a 400 in the protocol's shape, never a 500 with a RecursionError;
- an over-long URL or header gets an AWS-shaped error, never uvicorn's plain text;
- two ``Authorization`` headers are refused;
- ``/_localiam/health`` is the health endpoint only on the endpoint's own host names;
- an inactive or unknown access key is S3's ``InvalidAccessKeyId`` on S3.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import socket
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from e2e_helpers import error_of, make_user

from localiam.testing import LocaliamServer, run_server
from localiam.wire import limits

MIB = 1024 * 1024
PROMPT = 5.0  # seconds: a generous guard, not a measurement
FORM = "application/x-www-form-urlencoded"


# --- raw HTTP -----------------------------------------------------------------------------------


def _port(server: LocaliamServer) -> int:
    return int(urlsplit(server.endpoint).port or 0)


def _connect(server: LocaliamServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", _port(server)), timeout=30)


def _head(method: str, target: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    return "\r\n".join(lines).encode("latin-1")


def _answer(sock: socket.socket, method: str = "POST") -> tuple[int, dict[str, str], bytes]:
    response = http.client.HTTPResponse(sock, method=method)
    response.begin()
    body = response.read()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def _exchange(server: LocaliamServer, data: bytes, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    with _connect(server) as sock:
        sock.sendall(data)
        return _answer(sock, method)


def _query_error(body: bytes) -> dict[str, str]:
    """``Type``, ``Code`` and ``Message`` of a query-protocol ``ErrorResponse``."""
    root = ET.fromstring(body)
    assert root.tag.endswith("ErrorResponse"), body
    error = next(child for child in root if child.tag.endswith("Error"))
    return {child.tag.rpartition("}")[2]: child.text or "" for child in error}


def _s3_error(body: bytes) -> dict[str, str]:
    root = ET.fromstring(body)
    assert root.tag == "Error", body
    return {child.tag: child.text or "" for child in root}


def _host(server: LocaliamServer) -> str:
    return f"127.0.0.1:{_port(server)}"


def _rss() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


# --- bodies -------------------------------------------------------------------------------------


def test_a_declared_100_mb_form_is_refused_before_it_is_sent(server: LocaliamServer) -> None:
    """The 100 MB unsigned form of the issue: 413 in the query protocol's error shape as soon as
    the headers are in, with only 16 KiB of the body sent, and the connection closed after it.
    Unsigned, a form can only call STS's unsigned operations, so STS's 1 MiB ceiling holds."""
    head = _head("POST", "/", {"Host": _host(server), "Content-Type": FORM, "Content-Length": str(100 * MIB)})
    started = time.monotonic()
    with _connect(server) as sock:
        sock.sendall(head + b"Action=ListUsers&" + b"a" * 16_000)
        status, headers, body = _answer(sock)
    assert time.monotonic() - started < PROMPT
    assert status == 413
    assert headers["connection"] == "close"
    assert _query_error(body) == {
        "Type": "Sender",
        "Code": "RequestEntityTooLarge",
        "Message": "The request body must be at most 1048576 bytes; this one is 104857600 bytes.",
    }


def _stream_chunked(server: LocaliamServer, total: int, sent: list[int]) -> None:
    """A chunked form to STS of up to ``total`` bytes, sent until the server stops taking it."""
    piece = b"a" * 65536
    frame = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    head = _head(
        "POST", "/", {"Host": _host(server), "Content-Type": FORM, "Transfer-Encoding": "chunked"}
    ) + b"%x\r\nAction=GetCallerIdentity&x=\r\n" % len(b"Action=GetCallerIdentity&x=")
    count = 0
    try:
        with _connect(server) as sock:
            sock.settimeout(10)
            sock.sendall(head)
            while count < total:
                sock.sendall(frame)
                count += len(piece)
    except OSError:
        pass  # refused and closed: what the test wants
    sent.append(count)


def test_several_streamed_bodies_are_cut_at_the_ceiling_and_memory_stays_flat(server: LocaliamServer) -> None:
    """Four chunked bodies of 64 MiB at once (no Content-Length to refuse up front): each is
    read up to STS's 1 MiB and no further, so the clients cannot send them whole and the server
    (in this process) does not grow by what they carry."""
    before = _rss()
    sent: list[int] = []
    threads = [threading.Thread(target=_stream_chunked, args=(server, 64 * MIB, sent)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    grown = _rss() - before
    assert len(sent) == 4
    assert all(count < 32 * MIB for count in sent), sent  # socket buffers hold a few MiB at most
    assert grown < 48 * MIB, f"RSS grew by {grown / MIB:.0f} MiB"


def test_a_streamed_body_over_the_ceiling_gets_its_answer(server: LocaliamServer) -> None:
    """A chunked body one byte over STS's ceiling (its last chunk never sent): 413 without
    waiting for the rest."""
    payload = b"Action=GetCallerIdentity&x=" + b"a" * (limits.SERVICE_BODY_LIMITS["sts"] - 26)
    head = _head("POST", "/", {"Host": _host(server), "Content-Type": FORM, "Transfer-Encoding": "chunked"})
    with _connect(server) as sock:
        sock.sendall(head + f"{len(payload):x}\r\n".encode() + payload + b"\r\n")
        status, headers, body = _answer(sock)
    assert status == 413
    assert headers["connection"] == "close"
    error = _query_error(body)
    assert (error["Code"], error["Message"]) == (
        "RequestEntityTooLarge",
        "The request body must be at most 1048576 bytes.",
    )


def test_an_s3_put_over_5_gib_is_entity_too_large(server: LocaliamServer) -> None:
    server.client("s3").create_bucket(Bucket="big")
    head = _head("PUT", "/big/huge.bin", {"Host": _host(server), "Content-Length": str(6 * 1024**3)})
    started = time.monotonic()
    status, headers, body = _exchange(server, head + b"x" * 1024, "PUT")
    assert time.monotonic() - started < PROMPT
    assert status == 400
    assert headers["connection"] == "close"
    error = _s3_error(body)
    assert error["Code"] == "EntityTooLarge"
    assert error["Message"] == "Your proposed upload exceeds the maximum allowed size"
    assert (error["ProposedSize"], error["MaxSizeAllowed"]) == (str(6 * 1024**3), "5368709120")


def test_an_aws_chunked_put_is_measured_by_its_decoded_length(server: LocaliamServer) -> None:
    server.client("s3").create_bucket(Bucket="big")
    head = _head(
        "PUT",
        "/big/huge.bin",
        {
            "Host": _host(server),
            "Content-Encoding": "aws-chunked",
            "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            "x-amz-decoded-content-length": str(5 * 1024**3 + 1),
            "Content-Length": str(5 * 1024**3 + 100),
        },
    )
    status, _, body = _exchange(server, head, "PUT")
    assert status == 400
    assert _s3_error(body)["ProposedSize"] == str(5 * 1024**3 + 1)


def test_an_s3_put_streamed_past_its_ceiling_stores_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The 5 GiB ceiling of a PUT without a declared length, enforced as the body streams to
    disk (here lowered to 1 MiB; the test sends 1.25 MiB, as the body is read a quarter MiB at a
    time, and never its last chunk): ``EntityTooLarge``, no object, no file left behind."""
    monkeypatch.setattr(limits, "S3_OBJECT_LIMIT", MIB)
    with run_server(bodies_dir=tmp_path) as server:
        s3 = server.client("s3", config=Config(signature_version="s3v4"))
        s3.create_bucket(Bucket="ceiling")
        url = urlsplit(s3.generate_presigned_url("put_object", Params={"Bucket": "ceiling", "Key": "k"}))
        head = _head("PUT", f"{url.path}?{url.query}", {"Host": url.netloc, "Transfer-Encoding": "chunked"})
        payload = b"z" * (MIB + MIB // 4)
        with _connect(server) as sock:
            sock.sendall(head + f"{len(payload):x}\r\n".encode() + payload + b"\r\n")
            status, headers, body = _answer(sock, "PUT")
        assert status == 400, body
        assert headers["connection"] == "close"
        assert _s3_error(body)["Code"] == "EntityTooLarge"
        assert _s3_error(body)["MaxSizeAllowed"] == str(MIB)
        assert error_of(s3.head_object, Bucket="ceiling", Key="k")["status"] == 404
        assert [p for p in (tmp_path / "objects").rglob("*") if p.is_file()] == []
        # Under the ceiling the same PUT stores the object.
        with _connect(server) as sock:
            sock.sendall(head + f"{MIB:x}\r\n".encode() + payload[:MIB] + b"\r\n0\r\n\r\n")
            status, _, _ = _answer(sock, "PUT")
        assert status == 200
        assert s3.head_object(Bucket="ceiling", Key="k")["ContentLength"] == MIB


def test_other_s3_bodies_are_limited_to_documents(server: LocaliamServer) -> None:
    server.client("s3").create_bucket(Bucket="docs")
    head = _head("PUT", "/docs?policy", {"Host": _host(server), "Content-Length": str(5 * MIB)})
    status, _, body = _exchange(server, head + b"{", "PUT")
    assert status == 400
    error = _s3_error(body)
    assert (error["Code"], error["Message"]) == ("MaxMessageLengthExceeded", "Your request was too big.")


@pytest.mark.parametrize(
    ("path", "headers", "size", "message"),
    [
        (
            "/2015-03-31/functions/f/invocations",
            {},
            7 * MIB,
            "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
        ),
        (
            "/2015-03-31/functions/f/invocations",
            {"X-Amz-Invocation-Type": "Event"},
            2 * MIB,
            "2097152 byte payload is too large for the Event invocation type (limit 1048576 bytes)",
        ),
        (
            "/2015-03-31/functions",
            {"Content-Type": "application/json"},
            80 * MIB,
            "Request must be smaller than 70167211 bytes for the CreateFunction operation",
        ),
    ],
)
def test_lambda_refuses_large_requests_in_its_own_words(
    server: LocaliamServer, path: str, headers: dict[str, str], size: int, message: str
) -> None:
    head = _head("POST", path, {"Host": _host(server), "Content-Length": str(size), **headers})
    status, answer_headers, body = _exchange(server, head + b"{}", "POST")
    assert status == 413
    assert answer_headers["x-amzn-errortype"] == "RequestEntityTooLargeException"
    assert json.loads(body) == {"Type": "User", "message": message}


def test_update_function_code_ceiling(server: LocaliamServer) -> None:
    head = _head("PUT", "/2015-03-31/functions/f/code", {"Host": _host(server), "Content-Length": "69905068"})
    status, _, body = _exchange(server, head, "PUT")
    assert status == 413
    assert json.loads(body)["message"] == (
        "Request must be smaller than 69905067 bytes for the UpdateFunctionCode operation"
    )


# --- nesting ------------------------------------------------------------------------------------


def test_deep_json_to_organizations_is_a_serialization_exception(
    server: LocaliamServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    body = b"[" * 50_000
    head = _head(
        "POST",
        "/",
        {
            "Host": _host(server),
            "X-Amz-Target": "AWSOrganizationsV20161128.ListRoots",
            "Content-Type": "application/x-amz-json-1.1",
            "Content-Length": str(len(body)),
        },
    )
    status, _, answer = _exchange(server, head + body, "POST")
    assert status == 400
    document = json.loads(answer)
    assert document["__type"] == "SerializationException"
    assert "nests deeper than 100 levels" in document["message"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "the server logged an internal error"


def test_deep_json_to_lambda_is_invalid_request_content(
    server: LocaliamServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    body = b"[" * 50_000
    head = _head(
        "POST",
        "/2015-03-31/functions",
        {"Host": _host(server), "Content-Type": "application/json", "Content-Length": str(len(body))},
    )
    status, headers, answer = _exchange(server, head + body, "POST")
    assert status == 400
    assert headers["x-amzn-errortype"] == "InvalidRequestContentException"
    assert json.loads(answer)["message"].startswith("Could not parse request body into json:")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_deep_invoke_payload_is_invalid_request_content(server: LocaliamServer) -> None:
    from test_lambda import create, lambda_role

    iam, lam = server.client("iam"), server.client("lambda")
    create(lam, "deep", lambda_role(iam, "deep-role"), "def handler(e, c):\n    return e\n")
    error = error_of(lam.invoke, FunctionName="deep", InvocationType="DryRun", Payload=b"[" * 50_000)
    assert (error["Code"], error["status"]) == ("InvalidRequestContentException", 400)
    assert error["Message"].startswith("Could not parse request body into json: Could not parse payload into json")
    assert lam.invoke(FunctionName="deep", InvocationType="DryRun", Payload=b"[[1]]")["StatusCode"] == 204


def test_a_deep_authorization_message_is_invalid(server: LocaliamServer) -> None:
    encoded = base64.b64encode(b"[" * 7_000).decode()
    error = error_of(server.client("sts").decode_authorization_message, EncodedMessage=encoded)
    assert (error["Code"], error["status"]) == ("InvalidAuthorizationMessageException", 400)


def test_deep_xml_to_s3_is_malformed_xml(server: LocaliamServer) -> None:
    server.client("s3").create_bucket(Bucket="tags")
    body = b"<Tagging>" + b"<TagSet>" * 200_000 + b"</TagSet>" * 200_000 + b"</Tagging>"
    head = _head("PUT", "/tags/key?tagging", {"Host": _host(server), "Content-Length": str(len(body))})
    status, _, answer = _exchange(server, head + body, "PUT")
    assert status == 400
    assert _s3_error(answer)["Code"] == "MalformedXML"


# --- request line and headers -------------------------------------------------------------------


@pytest.mark.parametrize("length", [40_000, 70_000, 200_000])
def test_a_long_query_string_is_refused_in_iams_shape(server: LocaliamServer, length: int) -> None:
    """Past httptools' own 65,535-byte URL ceiling too: the transport keeps the start of the URL
    and tells the application its length."""
    target = "/?Action=ListUsers&Version=2010-05-08&x=" + "a" * (length - 40)
    status, _, body = _exchange(server, _head("GET", target, {"Host": _host(server)}))
    assert status == 400
    error = _query_error(body)
    assert error["Code"] == "ValidationError"
    assert (
        error["Message"] == f"The request's path and query string are {len(target)} bytes; at most 32768 are accepted."
    )


def test_s3_refuses_a_header_section_over_8_kib(server: LocaliamServer) -> None:
    s3 = server.client("s3")
    s3.create_bucket(Bucket="meta")
    s3.put_object(Bucket="meta", Key="k", Body=b"x", Metadata={"a": "b" * 1500})  # well inside 8 KiB
    head = _head("GET", "/meta/k", {"Host": _host(server), "x-amz-meta-pad": "p" * 8200})
    status, _, body = _exchange(server, head)
    assert status == 400
    error = _s3_error(body)
    assert error["Code"] == "RequestHeaderSectionTooLarge"
    assert error["MaxSizeAllowed"] == "8192"


def test_organizations_refuses_oversized_headers_in_json(server: LocaliamServer) -> None:
    head = _head(
        "POST",
        "/",
        {
            "Host": _host(server),
            "X-Amz-Target": "AWSOrganizationsV20161128.ListRoots",
            "Content-Type": "application/x-amz-json-1.1",
            "X-Pad": "p" * 20_000,
            "Content-Length": "2",
        },
    )
    status, _, body = _exchange(server, head + b"{}", "POST")
    assert status == 400
    document = json.loads(body)
    assert document["__type"] == "ValidationException"
    assert "at most 16384 are accepted" in document["message"]


def test_iam_refuses_too_many_headers(server: LocaliamServer) -> None:
    headers = {"Host": _host(server), **{f"X-H{i}": "v" for i in range(120)}}
    status, _, body = _exchange(server, _head("GET", "/?Action=ListUsers&Version=2010-05-08", headers))
    assert status == 400
    assert _query_error(body)["Message"] == "The request has 121 header fields; at most 100 are accepted."


def test_an_endless_header_is_cut_by_the_transport(server: LocaliamServer) -> None:
    """A header still growing past 64 KiB is refused before the application sees it, in S3's
    error shape (no service can be told from an unfinished header), and the connection closed."""
    with _connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: " + _host(server).encode() + b"\r\nX-Big: ")
        try:
            for _ in range(64):
                sock.sendall(b"a" * 16384)
        except OSError:
            pass
        status, headers, body = _answer(sock, "GET")
    assert status == 400
    assert headers["connection"] == "close"
    assert _s3_error(body)["Code"] == "RequestHeaderSectionTooLarge"


def test_bytes_that_are_not_http_get_an_aws_shaped_answer(server: LocaliamServer) -> None:
    status, headers, body = _exchange(server, b"GET / HTTP/1.1\r\nHost: x\r\nX-A: \x01\x7f\r\n\r\n")
    assert status == 400
    assert headers["content-type"] == "application/xml"
    assert _s3_error(body)["Code"] == "InvalidRequest"


def _signed(server: LocaliamServer, service: str, method: str, url: str, body: bytes = b"") -> dict[str, str]:
    request = AWSRequest(method=method, url=url, data=body, headers={"Content-Type": FORM} if body else {})
    credentials = Credentials(server.root.access_key_id, server.root.secret_access_key)
    (S3SigV4Auth if service == "s3" else SigV4Auth)(credentials, service, "us-east-1").add_auth(request)
    return {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}


def _with_two_authorizations(headers: dict[str, str]) -> bytes:
    auth = headers.pop("Authorization")
    return (
        "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode()
        + (f"Authorization: {auth}\r\nAuthorization: {auth}\r\n").encode()
    )


def test_two_authorization_headers_are_refused_by_iam(server: LocaliamServer) -> None:
    body = b"Action=ListUsers&Version=2010-05-08"
    headers = _signed(server, "iam", "POST", server.endpoint + "/", body)
    headers["Content-Length"] = str(len(body))
    data = b"POST / HTTP/1.1\r\nHost: " + _host(server).encode() + b"\r\n"
    data += _with_two_authorizations({k: v for k, v in headers.items() if k.lower() != "host"}) + b"\r\n" + body
    status, _, answer = _exchange(server, data, "POST")
    assert status == 400
    error = _query_error(answer)
    assert (error["Code"], error["Message"]) == (
        "IncompleteSignature",
        "The request has 2 Authorization headers; sign it with exactly one.",
    )


def test_two_authorization_headers_are_refused_by_s3(server: LocaliamServer) -> None:
    server.client("s3").create_bucket(Bucket="auth")
    headers = _signed(server, "s3", "GET", server.endpoint + "/auth")
    data = b"GET /auth HTTP/1.1\r\nHost: " + _host(server).encode() + b"\r\n"
    data += _with_two_authorizations({k: v for k, v in headers.items() if k.lower() != "host"}) + b"\r\n"
    status, _, answer = _exchange(server, data)
    assert status == 400
    error = _s3_error(answer)
    assert (error["Code"], error["ArgumentName"]) == ("InvalidArgument", "Authorization")


# --- the health endpoint and virtual-hosted buckets ---------------------------------------------


@pytest.mark.parametrize("host", ["mybucket.localhost", "mybucket.s3.amazonaws.com"])
def test_localiam_paths_on_a_bucket_host_are_objects(server: LocaliamServer, host: str) -> None:
    s3 = server.client("s3")
    s3.create_bucket(Bucket="mybucket")
    s3.put_object(Bucket="mybucket", Key="_localiam/health", Body=b"an object, not the health check")
    port = _port(server)
    headers = _signed(server, "s3", "GET", f"http://{host}:{port}/_localiam/health")
    status, _, body = _exchange(server, _head("GET", "/_localiam/health", {**headers, "Host": f"{host}:{port}"}))
    assert (status, body) == (200, b"an object, not the health check")
    # Unsigned, the same path on the bucket's host is S3's answer (the object is private).
    status, _, body = _exchange(server, _head("GET", "/_localiam/health", {"Host": f"{host}:{port}"}))
    assert status == 403
    assert _s3_error(body)["Code"] == "AccessDenied"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_health_answers_on_the_endpoints_own_names(server: LocaliamServer, host: str) -> None:
    status, _, body = _exchange(server, _head("GET", "/_localiam/health", {"Host": f"{host}:{_port(server)}"}))
    assert status == 200
    assert json.loads(body)["status"] == "ok"


# --- access keys on S3 --------------------------------------------------------------------------


def test_an_inactive_key_is_invalid_access_key_id_on_s3(server: LocaliamServer, iam: Any) -> None:
    keys = make_user(iam, server, "dormant")
    iam.update_access_key(UserName="dormant", AccessKeyId=keys.access_key_id, Status="Inactive")
    error = error_of(keys.client("s3").list_buckets)
    assert (error["Code"], error["status"]) == ("InvalidAccessKeyId", 403)
    assert error["Message"] == "The AWS Access Key Id you provided does not exist in our records."
    # IAM and STS keep their own code for the same key (CommonErrors).
    assert error_of(keys.client("sts").get_caller_identity)["Code"] == "InvalidClientTokenId"


def test_an_unknown_key_is_invalid_access_key_id_on_s3(server: LocaliamServer) -> None:
    s3 = server.client("s3", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    error = error_of(s3.list_buckets)
    assert (error["Code"], error["status"]) == ("InvalidAccessKeyId", 403)


def test_a_removed_users_key_is_invalid_access_key_id_on_s3(server: LocaliamServer, iam: Any) -> None:
    keys = make_user(iam, server, "leaver")
    iam.delete_access_key(UserName="leaver", AccessKeyId=keys.access_key_id)
    assert error_of(keys.client("s3").list_buckets)["Code"] == "InvalidAccessKeyId"
