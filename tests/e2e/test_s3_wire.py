"""S3 on the wire, end to end: requests signed by botocore's own signers and sent raw, for
what boto3 does not send over plain HTTP.

- ``aws-chunked`` bodies with ``STREAMING-UNSIGNED-PAYLOAD-TRAILER`` and a CRC32 trailer, as
  the SDKs send them over HTTPS (S3 API Reference ``sigv4-streaming-trailers``; checksums:
  User Guide ``checking-object-integrity``): stored decoded; a wrong trailer checksum is
  ``BadDigest`` and leaves no object.
- Virtual-hosted-style addressing (``VirtualHosting``): the bucket in the Host header.
- A HEAD error carries no body (``ErrorResponses``), and every response carries
  ``x-amz-request-id`` and ``x-amz-id-2``.
"""

from __future__ import annotations

import base64
import http.client
import socket
import time
import zlib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from localiam.testing import LocaliamServer, run_server

BUCKET = "wire-bucket"


@pytest.fixture
def bucket(server: LocaliamServer) -> str:
    server.client("s3").create_bucket(Bucket=BUCKET)
    return BUCKET


def _send(
    server: LocaliamServer, request: AWSRequest, host: str | None = None, body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(server.endpoint)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    url = urlsplit(request.url)
    path = url.path + (f"?{url.query}" if url.query else "")
    headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
    if host is not None:
        headers["Host"] = host
    connection.request(request.method, path, body=request.body if body is None else body, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def _signed(
    server: LocaliamServer,
    method: str,
    url: str,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    trailer: bool = False,
) -> AWSRequest:
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    if trailer:
        request.context["checksum"] = {"request_algorithm": {"in": "trailer", "algorithm": "crc32"}}
    credentials = Credentials(server.root.access_key_id, server.root.secret_access_key)
    S3SigV4Auth(credentials, "s3", "us-east-1").add_auth(request)
    return request


def _chunked(payload: bytes, checksum: str, chunk: int = 8192) -> bytes:
    out = b""
    for i in range(0, len(payload), chunk):
        piece = payload[i : i + chunk]
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    out += b"0\r\n" + f"x-amz-checksum-crc32:{checksum}\r\n\r\n".encode()
    return out


def _crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def _trailer_headers(payload: bytes) -> dict[str, str]:
    return {
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(payload)),
        "x-amz-trailer": "x-amz-checksum-crc32",
    }


def test_aws_chunked_unsigned_trailer_is_stored_decoded(server: LocaliamServer, bucket: str) -> None:
    payload = bytes(range(256)) * 100  # 25,600 bytes: four chunks
    url = f"{server.endpoint}/{bucket}/chunked.bin"
    request = _signed(
        server, "PUT", url, body=_chunked(payload, _crc32(payload)), headers=_trailer_headers(payload), trailer=True
    )
    assert request.headers["X-Amz-Content-SHA256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    status, headers, _ = _send(server, request)
    assert status == 200
    assert headers["x-amz-checksum-crc32"] == _crc32(payload)
    got = server.client("s3").get_object(Bucket=bucket, Key="chunked.bin")
    assert got["Body"].read() == payload
    assert got["ContentLength"] == len(payload)
    assert "ContentEncoding" not in got  # aws-chunked is not stored as the object's encoding


def test_aws_chunked_wrong_trailer_checksum_is_bad_digest_and_stores_nothing(
    server: LocaliamServer, bucket: str
) -> None:
    payload = b"x" * 10000
    url = f"{server.endpoint}/{bucket}/bad.bin"
    request = _signed(
        server, "PUT", url, body=_chunked(payload, _crc32(b"other")), headers=_trailer_headers(payload), trailer=True
    )
    status, _, body = _send(server, request)
    assert status == 400 and b"<Code>BadDigest</Code>" in body
    listed = server.client("s3").list_objects_v2(Bucket=bucket)
    assert listed["KeyCount"] == 0


def test_virtual_hosted_style_request(server: LocaliamServer, bucket: str) -> None:
    server.client("s3").put_object(Bucket=bucket, Key="dir/file.txt", Body=b"virtual")
    host = f"{bucket}.s3.amazonaws.com"
    request = _signed(server, "GET", f"http://{host}/dir/file.txt")
    status, headers, body = _send(server, request, host=host)
    assert (status, body) == (200, b"virtual")
    assert headers["etag"].strip('"')


def test_head_error_has_no_body_and_every_answer_has_request_ids(server: LocaliamServer, bucket: str) -> None:
    request = _signed(server, "HEAD", f"{server.endpoint}/{bucket}/missing")
    status, headers, body = _send(server, request)
    assert (status, body) == (404, b"")
    assert headers["x-amz-request-id"] and headers["x-amz-id-2"]
    request = _signed(server, "GET", f"{server.endpoint}/{bucket}/missing")
    status, headers, body = _send(server, request)
    assert status == 404 and b"<Code>NoSuchKey</Code>" in body and b"<Key>missing</Key>" in body
    assert headers["x-amz-request-id"].encode() in body


def test_hex_payload_hash_is_checked_as_the_body_streams(server: LocaliamServer, bucket: str) -> None:
    """``x-amz-content-sha256`` with a hex digest must match the body received
    (``sig-v4-header-based-auth``): ``XAmzContentSHA256Mismatch``, nothing stored."""
    url = f"{server.endpoint}/{bucket}/hashed"
    request = _signed(server, "PUT", url, body=b"signed body")
    status, _, body = _send(server, request, body=b"other body!")  # same length, other bytes
    assert status == 400 and b"XAmzContentSHA256Mismatch" in body
    assert server.client("s3").list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_dropped_upload_leaves_no_object_and_no_file(tmp_path: Path) -> None:
    """A client that goes away mid-body: the upload is abandoned - no object, no temporary or
    orphan file under the data dir (issue 5: "A dropped or failed upload leaves no object and
    no garbage")."""
    with run_server(bodies_dir=tmp_path) as server:
        server.client("s3").create_bucket(Bucket=BUCKET)
        body = b"z" * 1_000_000
        request = _signed(server, "PUT", f"{server.endpoint}/{BUCKET}/dropped", body=body)
        parts = urlsplit(server.endpoint)
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80)) as sock:
            head = f"PUT /{BUCKET}/dropped HTTP/1.1\r\n" + "".join(
                f"{k}: {v.decode() if isinstance(v, bytes) else v}\r\n" for k, v in request.headers.items()
            )
            sock.sendall(head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:300_000])
            time.sleep(0.2)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(p.is_file() for p in (tmp_path / "objects").rglob("*")):
            time.sleep(0.05)
        assert [p for p in (tmp_path / "objects").rglob("*") if p.is_file()] == []
        assert server.client("s3").list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0
        # The server is still serving, and a whole upload works.
        server.client("s3").put_object(Bucket=BUCKET, Key="whole", Body=body)
        files = [p for p in (tmp_path / "objects").rglob("*") if p.is_file()]
        assert len(files) == 1 and files[0].read_bytes() == body
