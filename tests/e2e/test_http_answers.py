"""Answers on the wire (``localiam.server.transport``): what an answer writes in one turn of the
event loop goes out in one send, so each answer must still arrive whole and in order, on a
connection kept alive for pipelined requests (RFC 9112 section 9.3.2: answers in the order of
the requests) and on one the server closes after answering (``Connection: close``)."""

from __future__ import annotations

import socket
from typing import BinaryIO
from urllib.parse import urlsplit

from localiam.testing import LocaliamServer


def _connect(server: LocaliamServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", int(urlsplit(server.endpoint).port or 0)), timeout=30)


def _request(target: str, *, close: bool = False) -> bytes:
    lines = [f"GET {target} HTTP/1.1", "Host: 127.0.0.1"]
    if close:
        lines.append("Connection: close")
    return ("\r\n".join([*lines, "", ""])).encode()


def _answer(stream: BinaryIO) -> tuple[int, dict[str, str], bytes]:
    """One answer read from ``stream`` (one reader for the connection: answers that arrive in
    one segment stay in its buffer for the next call)."""
    status = int(stream.readline().split()[1])
    headers: dict[str, str] = {}
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, stream.read(int(headers["content-length"]))


def test_pipelined_requests_get_whole_answers_in_order(server: LocaliamServer) -> None:
    targets = ["/_localiam/health", "/no-such-bucket-a", "/_localiam/health", "/no-such-bucket-b"]
    with _connect(server) as sock:
        sock.sendall(b"".join(_request(t) for t in targets))  # all in one write, before any answer
        with sock.makefile("rb") as stream:
            answers = [_answer(stream) for _ in targets]
    assert [status for status, _, _ in answers] == [200, 404, 200, 404]
    for (_, headers, body), target in zip(answers, targets, strict=True):
        assert int(headers["content-length"]) == len(body)
        if target.startswith("/no-such"):
            assert f"<BucketName>{target[1:]}</BucketName>".encode() in body  # each its own answer
        else:
            assert body.startswith(b'{"status": "ok"')


def test_an_answer_before_the_server_closes_arrives_whole(server: LocaliamServer) -> None:
    with _connect(server) as sock:
        sock.sendall(_request("/no-such-bucket", close=True))
        with sock.makefile("rb") as stream:
            status, headers, body = _answer(stream)
            assert status == 404
            assert len(body) == int(headers["content-length"]) > 0
            assert stream.read() == b""  # then the connection is closed
