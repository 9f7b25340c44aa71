"""aws-chunked bodies, chunk signatures and checksums, checked as they stream.

Oracles: the published example of S3's ``sigv4-streaming`` and ``sigv4-streaming-trailers`` pages
(its request, seed signature, chunk signatures, trailer signature and CRC32C), botocore's own
aws-chunked encoder (``AwsChunkedWrapper``) for unsigned bodies with a trailing checksum, the
CRC-32C test vectors of RFC 3720 (B.4) and the CRC catalogue's check value, and a reference
encoder in this file for random signed round trips. Every body is also fed split at arbitrary
points.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import io
import zlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.httpchecksum import (  # type: ignore[import-untyped]
    AwsChunkedWrapper,
    Crc32Checksum,
    Sha1Checksum,
    Sha256Checksum,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from localiam.errors import AwsError
from localiam.wire.chunked import (
    SIGNED_PAYLOAD,
    SIGNED_PAYLOAD_TRAILER,
    UNSIGNED_PAYLOAD_TRAILER,
    AwsChunkedDecoder,
    BodyError,
    ChunkSigning,
    Crc32c,
    PlainBodyVerifier,
    crc32c,
)
from localiam.wire.http import HttpRequest
from localiam.wire.sigv4 import AuthResult, SigningKey, SigV4Error, verify_request

# -- the AWS documentation's example ----------------------------------------------------------

DOC_KEY = SigningKey("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
DOC_PAYLOAD = b"a" * 66560
DOC_SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
DOC_CHUNKS = (
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
)
DOC_TRAILER_SEED = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
DOC_TRAILER_CHUNKS = (
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
)
DOC_TRAILER_SIGNATURE = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
DOC_CRC32C = "sOO8/Q=="
DOC_REQUEST = HttpRequest(
    "PUT",
    "/examplebucket/chunkObject.txt",
    "",
    (
        ("Host", "s3.amazonaws.com"),
        ("x-amz-date", "20130524T000000Z"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        (
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
            f"x-amz-decoded-content-length;x-amz-storage-class,Signature={DOC_SEED}",
        ),
        ("x-amz-content-sha256", SIGNED_PAYLOAD),
        ("Content-Encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"),
        ("Content-Length", "66824"),
    ),
    b"",
)


def doc_auth() -> AuthResult:
    return verify_request(
        DOC_REQUEST,
        {DOC_KEY.access_key_id: DOC_KEY}.get,
        now=datetime(2013, 5, 24, tzinfo=UTC),
        s3=True,
        streaming=True,
    )


def doc_signing(seed: str = DOC_SEED) -> ChunkSigning:
    signing = ChunkSigning.from_auth(doc_auth())
    return ChunkSigning(signing.access_key_id, signing.signing_key, signing.timestamp, signing.scope, seed)


def signed_chunk(data: bytes, signature: str) -> bytes:
    return b"%x;chunk-signature=%s\r\n%s\r\n" % (len(data), signature.encode(), data)


def doc_body(*, trailer: bool = False) -> bytes:
    signatures = DOC_TRAILER_CHUNKS if trailer else DOC_CHUNKS
    body = signed_chunk(DOC_PAYLOAD[:65536], signatures[0]) + signed_chunk(DOC_PAYLOAD[65536:], signatures[1])
    body += b"0;chunk-signature=%s\r\n" % signatures[2].encode()
    if trailer:
        body += b"x-amz-checksum-crc32c:%s\r\nx-amz-trailer-signature:%s\r\n" % (
            DOC_CRC32C.encode(),
            DOC_TRAILER_SIGNATURE.encode(),
        )
    return body + b"\r\n"


# -- a reference encoder (independent of the decoder) -------------------------------------------


def reference_signed_body(
    payload: bytes, sizes: list[int], signing_key: bytes, seed: str, *, trailers: list[tuple[str, str]] | None = None
) -> bytes:
    """Encode ``payload`` in chunks of ``sizes`` (then the rest), signing as sigv4-streaming says."""
    scope = "20130524/us-east-1/s3/aws4_request"
    empty = hashlib.sha256(b"").hexdigest()
    previous, out, offset = seed, bytearray(), 0
    pieces = []
    for size in sizes:
        if payload[offset : offset + size]:
            pieces.append(payload[offset : offset + size])
        offset += size
    if offset < len(payload):
        pieces.append(payload[offset:])
    for piece in [*pieces, b""]:
        text = "\n".join(
            ["AWS4-HMAC-SHA256-PAYLOAD", "20130524T000000Z", scope, previous, empty, hashlib.sha256(piece).hexdigest()]
        )
        previous = hmac.new(signing_key, text.encode(), hashlib.sha256).hexdigest()
        out += b"%x;chunk-signature=%s\r\n" % (len(piece), previous.encode())
        if piece:
            out += piece + b"\r\n"
    if trailers is not None:
        canonical = "".join(f"{name}:{value}\n" for name, value in trailers)
        text = "\n".join(
            [
                "AWS4-HMAC-SHA256-TRAILER",
                "20130524T000000Z",
                scope,
                previous,
                hashlib.sha256(canonical.encode()).hexdigest(),
            ]
        )
        for name, value in trailers:
            out += f"{name}:{value}\r\n".encode()
        out += (
            b"x-amz-trailer-signature:%s\r\n"
            % hmac.new(signing_key, text.encode(), hashlib.sha256).hexdigest().encode()
        )
    return bytes(out + b"\r\n")


def split(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(cut, len(body)) for cut in cuts})
    return [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True) if b > a]


def decode(decoder: AwsChunkedDecoder, pieces: list[bytes]) -> bytes:
    return b"".join(decoder.decode(pieces))


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


cuts = st.lists(st.integers(min_value=0, max_value=70000), max_size=12)


# -- CRC32C -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", 0),
        (b"123456789", 0xE3069283),  # the CRC catalogue's check value for CRC-32/ISCSI
        (bytes(32), 0x8A9136AA),  # RFC 3720, B.4
        (b"\xff" * 32, 0x62A8AB43),
        (bytes(range(32)), 0x46DD794E),
        (bytes(range(31, -1, -1)), 0x113FDB5C),
    ],
)
def test_crc32c_published_vectors(data: bytes, expected: int) -> None:
    assert crc32c(data) == expected


def test_crc32c_of_the_aws_example() -> None:
    hasher = Crc32c()
    hasher.update(DOC_PAYLOAD)
    assert b64(hasher.digest()) == DOC_CRC32C


def bitwise_crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 * (crc & 1))
    return crc ^ 0xFFFFFFFF


@given(st.binary(max_size=100), st.integers(min_value=0, max_value=100))
def test_crc32c_matches_the_bitwise_definition_and_continues(data: bytes, cut: int) -> None:
    assert crc32c(data) == bitwise_crc32c(data)
    assert crc32c(data[cut:], crc32c(data[:cut])) == crc32c(data)


# -- the documented signed examples -------------------------------------------------------------


def test_doc_request_seed_signature_verifies() -> None:
    auth = doc_auth()
    assert auth.signature == DOC_SEED and auth.streaming


@settings(max_examples=40, deadline=None)
@given(cuts)
def test_doc_signed_example_decodes_split_anywhere(points: list[int]) -> None:
    decoder = AwsChunkedDecoder.for_request(DOC_REQUEST, doc_auth())
    assert decode(decoder, split(doc_body(), points)) == DOC_PAYLOAD
    assert decoder.done and decoder.trailers == {}


@settings(max_examples=40, deadline=None)
@given(cuts)
def test_doc_trailer_example_decodes_split_anywhere(points: list[int]) -> None:
    decoder = AwsChunkedDecoder(
        SIGNED_PAYLOAD_TRAILER,
        decoded_length=66560,
        trailer="x-amz-checksum-crc32c",
        signing=doc_signing(DOC_TRAILER_SEED),
    )
    assert decode(decoder, split(doc_body(trailer=True), points)) == DOC_PAYLOAD
    assert decoder.trailers == {"x-amz-checksum-crc32c": DOC_CRC32C}
    assert decoder.checksums == {"crc32c": DOC_CRC32C}


def test_reference_encoder_reproduces_the_doc_signatures() -> None:
    signing = doc_signing()
    assert reference_signed_body(DOC_PAYLOAD, [65536], signing.signing_key, DOC_SEED) == doc_body()
    assert reference_signed_body(
        DOC_PAYLOAD, [65536], signing.signing_key, DOC_TRAILER_SEED, trailers=[("x-amz-checksum-crc32c", DOC_CRC32C)]
    ) == doc_body(trailer=True)


def expect(error: type[AwsError], code: str, action: Callable[[], Any]) -> AwsError:
    with pytest.raises(error) as caught:
        action()
    assert caught.value.code == code
    return caught.value


def test_corrupted_chunk_data_fails_its_signature() -> None:
    body = doc_body().replace(b"\r\naaaa", b"\r\nbaaa", 1)
    decoder = AwsChunkedDecoder.for_request(DOC_REQUEST, doc_auth())
    error = expect(SigV4Error, "SignatureDoesNotMatch", lambda: decode(decoder, [body]))
    assert error.status == 403
    assert error.message.startswith("The request signature we calculated does not match")
    details = dict(error.details)  # type: ignore[attr-defined]
    assert details["AWSAccessKeyId"] == DOC_KEY.access_key_id
    assert details["SignatureProvided"] == DOC_CHUNKS[0]
    assert details["StringToSign"].startswith(
        f"AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n{DOC_SEED}\n"
    )


@pytest.mark.parametrize("index", [0, 1, 2])
def test_corrupted_chunk_signature(index: int) -> None:
    body = doc_body().replace(DOC_CHUNKS[index].encode(), b"0" * 64)
    decoder = AwsChunkedDecoder.for_request(DOC_REQUEST, doc_auth())
    expect(SigV4Error, "SignatureDoesNotMatch", lambda: decode(decoder, [body]))


def test_chunks_replayed_from_another_chain_fail() -> None:
    decoder = AwsChunkedDecoder(SIGNED_PAYLOAD, decoded_length=66560, signing=doc_signing(DOC_TRAILER_SEED))
    expect(SigV4Error, "SignatureDoesNotMatch", lambda: decode(decoder, [doc_body()]))


def test_corrupted_trailer_signature_and_checksum() -> None:
    for old, new in [
        (DOC_TRAILER_SIGNATURE.encode(), b"0" * 64),
        (b"sOO8/Q==", b"AAAAAA=="),  # the trailer signature covers the checksum
        (b"x-amz-trailer-signature:" + DOC_TRAILER_SIGNATURE.encode() + b"\r\n", b""),
    ]:
        decoder = AwsChunkedDecoder(
            SIGNED_PAYLOAD_TRAILER,
            decoded_length=66560,
            trailer="x-amz-checksum-crc32c",
            signing=doc_signing(DOC_TRAILER_SEED),
        )
        expect(
            SigV4Error,
            "SignatureDoesNotMatch",
            lambda d=decoder, o=old, n=new: decode(d, [doc_body(trailer=True).replace(o, n)]),
        )


def test_signed_trailer_with_a_wrong_checksum_is_bad_digest() -> None:
    signing = doc_signing()
    body = reference_signed_body(
        DOC_PAYLOAD, [65536], signing.signing_key, DOC_SEED, trailers=[("x-amz-checksum-crc32c", "AAAAAA==")]
    )
    decoder = AwsChunkedDecoder(
        SIGNED_PAYLOAD_TRAILER, decoded_length=66560, trailer="x-amz-checksum-crc32c", signing=signing
    )
    error = expect(BodyError, "BadDigest", lambda: decode(decoder, [body]))
    assert error.message == "The CRC32C you specified did not match the calculated checksum."


def test_corrupted_chunk_size() -> None:
    for old, new in [(b"400;", b"401;"), (b"400;", b"3ff;"), (b"10000;", b"1000g;"), (b"400;", b"400 ")]:
        decoder = AwsChunkedDecoder.for_request(DOC_REQUEST, doc_auth())
        with pytest.raises((SigV4Error, BodyError)):
            decode(decoder, [doc_body().replace(old, new, 1)])


def test_short_chunk_that_is_not_the_last() -> None:
    signing = doc_signing()
    body = reference_signed_body(b"x" * 20000, [8191, 8192], signing.signing_key, DOC_SEED)
    decoder = AwsChunkedDecoder(SIGNED_PAYLOAD, decoded_length=20000, signing=signing)
    error = expect(BodyError, "InvalidChunkSizeError", lambda: decode(decoder, [body]))
    assert error.message == "Only the last chunk is allowed to have a size less than 8192 bytes"
    assert error.details == (("Chunk", "2"), ("BadChunkSize", "8191"))  # type: ignore[attr-defined]
    ok = reference_signed_body(b"x" * 20000, [8192, 8192], signing.signing_key, DOC_SEED)  # last is 3616
    assert decode(AwsChunkedDecoder(SIGNED_PAYLOAD, decoded_length=20000, signing=signing), [ok]) == b"x" * 20000


@pytest.mark.parametrize("declared", [66559, 66561, 0])
def test_decoded_content_length_checked(declared: int) -> None:
    decoder = AwsChunkedDecoder(SIGNED_PAYLOAD, decoded_length=declared, signing=doc_signing())
    handed_out = bytearray()
    with pytest.raises(BodyError) as caught:
        for piece in decoder.decode([doc_body()]):
            handed_out += piece
    assert caught.value.code == "IncompleteBody"
    assert caught.value.message == "You did not provide the number of bytes specified by the Content-Length HTTP header"
    assert caught.value.details == (("NumberBytesExpected", str(declared)), ("NumberBytesProvided", "66560"))
    assert len(handed_out) <= declared  # nothing beyond the declared length is handed out


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=len(doc_body()) - 1))
def test_truncated_body(length: int) -> None:
    decoder = AwsChunkedDecoder.for_request(DOC_REQUEST, doc_auth())
    error = expect(BodyError, "IncompleteBody", lambda: decode(decoder, [doc_body()[:length]]))
    assert error.message == "The request body terminated unexpectedly"


def test_bytes_after_the_end() -> None:
    decoder = AwsChunkedDecoder.for_request(DOC_REQUEST, doc_auth())
    expect(BodyError, "IncompleteBody", lambda: decode(decoder, [doc_body() + b"x"]))


@settings(max_examples=40, deadline=None)
@given(
    payload=st.binary(max_size=40000),
    sizes=st.lists(st.integers(min_value=8192, max_value=20000), max_size=4),
    points=cuts,
    with_trailer=st.booleans(),
)
def test_random_signed_round_trips(payload: bytes, sizes: list[int], points: list[int], with_trailer: bool) -> None:
    signing = doc_signing()
    checksum = b64(hashlib.sha256(payload).digest())
    trailers = [("x-amz-checksum-sha256", checksum)] if with_trailer else None
    body = reference_signed_body(payload, sizes, signing.signing_key, DOC_SEED, trailers=trailers)
    decoder = AwsChunkedDecoder(
        SIGNED_PAYLOAD_TRAILER if with_trailer else SIGNED_PAYLOAD,
        decoded_length=len(payload),
        trailer="x-amz-checksum-sha256" if with_trailer else None,
        signing=signing,
    )
    assert decode(decoder, split(body, points)) == payload
    if with_trailer:
        assert decoder.checksums == {"sha256": checksum}


# -- unsigned bodies with a trailing checksum: botocore's encoder --------------------------------


class Crc32cChecksum:
    """botocore's checksum interface over our CRC32C (botocore needs awscrt for its own)."""

    def __init__(self) -> None:
        self._hasher = Crc32c()

    def update(self, chunk: bytes) -> None:
        self._hasher.update(chunk)

    def b64digest(self) -> str:
        return b64(self._hasher.digest())


BOTOCORE_CHECKSUMS: dict[str, Any] = {
    "crc32": Crc32Checksum,
    "sha1": Sha1Checksum,
    "sha256": Sha256Checksum,
    "crc32c": Crc32cChecksum,
}


def botocore_body(payload: bytes, algorithm: str | None, chunk_size: int) -> bytes:
    checksum_cls = BOTOCORE_CHECKSUMS[algorithm] if algorithm else None
    name = f"x-amz-checksum-{algorithm}" if algorithm else "x-amz-checksum"
    return bytes(AwsChunkedWrapper(io.BytesIO(payload), checksum_cls, name, chunk_size=chunk_size).read())


def unsigned_request(payload: bytes, algorithm: str | None, *extra: tuple[str, str]) -> HttpRequest:
    headers = [("x-amz-content-sha256", UNSIGNED_PAYLOAD_TRAILER), ("x-amz-decoded-content-length", str(len(payload)))]
    if algorithm:
        headers.append(("x-amz-trailer", f"x-amz-checksum-{algorithm}"))
    return HttpRequest("PUT", "/b/k", "", (*headers, *extra), b"")


@settings(max_examples=60, deadline=None)
@given(
    payload=st.binary(max_size=30000),
    algorithm=st.sampled_from([None, "crc32", "crc32c", "sha1", "sha256"]),
    chunk_size=st.integers(min_value=1, max_value=9000),
    points=cuts,
)
def test_botocore_unsigned_trailer_bodies_decode(
    payload: bytes, algorithm: str | None, chunk_size: int, points: list[int]
) -> None:
    body = botocore_body(payload, algorithm, chunk_size)
    decoder = AwsChunkedDecoder.for_request(unsigned_request(payload, algorithm), None)
    assert decode(decoder, split(body, points)) == payload
    if algorithm:
        assert decoder.checksums[algorithm] == decoder.trailers[f"x-amz-checksum-{algorithm}"]


@pytest.mark.parametrize("algorithm", ["crc32", "crc32c", "sha1", "sha256"])
def test_unsigned_trailer_with_a_wrong_checksum(algorithm: str) -> None:
    payload = b"hello world" * 100
    body = botocore_body(payload, algorithm, 64)
    head, _, value = body.rstrip(b"\r\n").rpartition(b":")
    wrong = b64(bytes(len(base64.b64decode(value))))
    decoder = AwsChunkedDecoder.for_request(unsigned_request(payload, algorithm), None)
    error = expect(BodyError, "BadDigest", lambda: decode(decoder, [head + b":" + wrong.encode() + b"\r\n\r\n"]))
    assert error.message == f"The {algorithm.upper()} you specified did not match the calculated checksum."
    decoder = AwsChunkedDecoder.for_request(unsigned_request(payload, algorithm), None)
    error = expect(BodyError, "InvalidRequest", lambda: decode(decoder, [head + b":not base64\r\n\r\n"]))
    assert error.message == f"Value for x-amz-checksum-{algorithm} trailing header is invalid."


def test_corrupted_unsigned_data_is_caught_by_the_checksum() -> None:
    payload = b"0123456789" * 50
    body = botocore_body(payload, "crc32", 100).replace(b"56789", b"56780", 1)
    decoder = AwsChunkedDecoder.for_request(unsigned_request(payload, "crc32"), None)
    expect(BodyError, "BadDigest", lambda: decode(decoder, [body]))


def test_declared_trailer_missing() -> None:
    payload = b"abc"
    decoder = AwsChunkedDecoder.for_request(unsigned_request(payload, "crc32"), None)
    expect(BodyError, "IncompleteBody", lambda: decode(decoder, [botocore_body(payload, None, 10)]))


def test_content_md5_and_checksum_headers_on_a_chunked_body() -> None:
    payload = b"payload" * 999
    md5 = b64(hashlib.md5(payload).digest())
    crc = b64(zlib.crc32(payload).to_bytes(4, "big"))
    body = botocore_body(payload, None, 1000)
    good = unsigned_request(payload, None, ("Content-MD5", md5), ("x-amz-checksum-crc32", crc))
    assert decode(AwsChunkedDecoder.for_request(good, None), [body]) == payload
    bad = unsigned_request(payload, None, ("Content-MD5", b64(bytes(16))))
    error = expect(BodyError, "BadDigest", lambda: decode(AwsChunkedDecoder.for_request(bad, None), [body]))
    assert error.message == "The Content-MD5 you specified did not match what we received."


def test_unsupported_modes_and_trailers() -> None:
    error = expect(
        SigV4Error,
        "NotImplemented",
        lambda: AwsChunkedDecoder("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", decoded_length=0),
    )
    assert error.status == 501
    expect(
        BodyError,
        "InvalidRequest",
        lambda: AwsChunkedDecoder(UNSIGNED_PAYLOAD_TRAILER, decoded_length=0, trailer="x-amz-checksum-md5"),
    )
    expect(
        BodyError,
        "InvalidRequest",
        lambda: AwsChunkedDecoder(
            SIGNED_PAYLOAD, decoded_length=0, trailer="x-amz-checksum-crc32", signing=doc_signing()
        ),
    )
    missing = HttpRequest("PUT", "/b/k", "", (("x-amz-content-sha256", UNSIGNED_PAYLOAD_TRAILER),), b"")
    error = expect(BodyError, "MissingContentLength", lambda: AwsChunkedDecoder.for_request(missing, None))
    assert error.status == 411


def test_async_decoding() -> None:
    async def source() -> AsyncIterator[bytes]:
        body = doc_body()
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    async def run() -> bytes:
        decoder = AwsChunkedDecoder.for_request(DOC_REQUEST, doc_auth())
        return b"".join([piece async for piece in decoder.adecode(source())])

    assert asyncio.run(run()) == DOC_PAYLOAD


# -- plain bodies ---------------------------------------------------------------------------------


def plain(body: bytes, *headers: tuple[str, str], points: list[int] | None = None) -> dict[str, str]:
    verifier = PlainBodyVerifier.for_request(HttpRequest("PUT", "/b/k", "", headers, b""))
    for piece in split(body, points or []):
        verifier.feed(piece)
    return verifier.finish()


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=5000), cuts)
def test_plain_body_digests_verify_split_anywhere(body: bytes, points: list[int]) -> None:
    checksums = plain(
        body,
        ("Content-Length", str(len(body))),
        ("Content-MD5", b64(hashlib.md5(body).digest())),
        ("x-amz-checksum-crc32c", b64(crc32c(body).to_bytes(4, "big"))),
        ("x-amz-checksum-sha1", b64(hashlib.sha1(body).digest())),
        points=points,
    )
    assert checksums == {"crc32c": b64(crc32c(body).to_bytes(4, "big")), "sha1": b64(hashlib.sha1(body).digest())}


def test_plain_body_content_md5_mismatch_and_invalid() -> None:
    sent = b64(hashlib.md5(b"other").digest())
    error = expect(BodyError, "BadDigest", lambda: plain(b"body", ("Content-MD5", sent)))
    assert error.message == "The Content-MD5 you specified did not match what we received."
    assert error.details == (("ExpectedDigest", sent), ("CalculatedDigest", b64(hashlib.md5(b"body").digest())))  # type: ignore[attr-defined]
    for invalid in ["", "not base64!", b64(b"short")]:
        error = expect(BodyError, "InvalidDigest", lambda v=invalid: plain(b"body", ("Content-MD5", v)))
        assert error.message == "The Content-MD5 you specified was invalid."


def test_plain_body_checksum_header_mismatch_and_invalid() -> None:
    error = expect(BodyError, "BadDigest", lambda: plain(b"body", ("x-amz-checksum-sha256", b64(bytes(32)))))
    assert error.message == "The SHA256 you specified did not match the calculated checksum."
    error = expect(BodyError, "InvalidRequest", lambda: plain(b"body", ("x-amz-checksum-crc32", "AAAA")))
    assert error.message == "Value for x-amz-checksum-crc32 header is invalid."


def test_plain_body_length() -> None:
    error = expect(BodyError, "IncompleteBody", lambda: plain(b"body", ("Content-Length", "10")))
    assert error.details == (("NumberBytesExpected", "10"), ("NumberBytesProvided", "4"))  # type: ignore[attr-defined]


def test_plain_body_signed_payload_hash() -> None:
    body = b"signed body"
    auth = doc_auth()
    for payload_hash, ok in [(hashlib.sha256(body).hexdigest(), True), (hashlib.sha256(b"x").hexdigest(), False)]:
        signed = AuthResult(**{**{f: getattr(auth, f) for f in AuthResult.__slots__}, "payload_hash": payload_hash})  # type: ignore[arg-type]
        verifier = PlainBodyVerifier.for_request(HttpRequest("PUT", "/b/k", "", (), b""), signed)
        verifier.feed(body)
        if ok:
            verifier.finish()
            continue
        error = expect(SigV4Error, "XAmzContentSHA256Mismatch", verifier.finish)
        assert dict(error.details)["S3ComputedContentSHA256"] == hashlib.sha256(body).hexdigest()  # type: ignore[attr-defined]
