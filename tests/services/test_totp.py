"""The TOTP verifier of virtual MFA devices (:mod:`localiam.services.totp`).

Checked against RFC 6238 Appendix B (the SHA-1 rows: seed ``12345678901234567890``, eight
digits, 30-second steps from T0 = 0) and against ``reference_code``, a few lines of RFC 4226
section 5.3 written here independently of the server's verifier. The QR code PNG is read back
with ``zlib`` and the PNG specification alone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import urllib.parse
import zlib

import pytest

from localiam.services import totp

RFC_SEED = base64.b32encode(b"12345678901234567890").decode()
RFC_6238_SHA1 = [
    (59, 0x1, "94287082"),
    (1111111109, 0x23523EC, "07081804"),
    (1111111111, 0x23523ED, "14050471"),
    (1234567890, 0x273EF07, "89005924"),
    (2000000000, 0x3F940AA, "69279037"),
    (20000000000, 0x27BC86AA, "65353130"),
]
"""RFC 6238 Appendix B, "Test Vectors": Time (sec), T (hex), TOTP, Mode SHA1."""


def reference_code(seed: str, step: int, digits: int = 6) -> str:
    mac = hmac.new(base64.b32decode(seed), step.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


@pytest.mark.parametrize(("moment", "step", "code"), RFC_6238_SHA1)
def test_rfc_6238_appendix_b(moment: int, step: int, code: str) -> None:
    assert totp.step_at(moment) == step
    assert reference_code(RFC_SEED, step, 8) == code  # the reference agrees with the RFC
    assert totp.code_at(RFC_SEED, step, digits=8) == code
    assert totp.matching_step(RFC_SEED, code, moment, digits=8, window=0) == step


@pytest.mark.parametrize(("moment", "step", "code"), RFC_6238_SHA1[1:])
def test_rfc_codes_match_one_step_either_side_and_no_further(moment: int, step: int, code: str) -> None:
    """RFC 6238 section 5.2: at most one step of delay; the step the code belongs to is
    returned, whichever side of the verifier's clock it is on."""
    for shift, expected in ((-60, None), (-30, step), (0, step), (30, step), (60, None)):
        assert totp.matching_step(RFC_SEED, code, moment + shift, digits=8) == expected


def test_six_digit_codes_are_the_low_digits() -> None:
    """RFC 4226 section 5.3: ``Snum mod 10^Digit``; AWS's devices show six digits."""
    for _moment, step, code in RFC_6238_SHA1:
        assert totp.code_at(RFC_SEED, step) == code[-6:] == reference_code(RFC_SEED, step)


def test_drift_moves_the_window() -> None:
    seed = totp.new_seed()
    now = 1_800_000_015.0
    here = totp.step_at(now)
    far = reference_code(seed, here + 7)
    assert totp.matching_step(seed, far, now) is None
    assert totp.matching_step(seed, far, now, drift=7) == here + 7
    assert totp.matching_step(seed, far, now, drift=6) == here + 7


def test_malformed_codes_never_match() -> None:
    seed = totp.new_seed()
    now = 1_800_000_015.0
    code = reference_code(seed, totp.step_at(now))
    for bad in ("", code[:5], code + "0", "12345a", " " + code[1:]):
        assert totp.matching_step(seed, bad, now) is None


def test_consecutive_codes() -> None:
    """``API_EnableMFADevice``: "An authentication code emitted by the device" and "A subsequent
    authentication code emitted by the device"; the later one's step is returned."""
    seed = totp.new_seed()
    now = 1_800_000_015.0
    s = totp.step_at(now)
    assert totp.consecutive_step(seed, reference_code(seed, s - 1), reference_code(seed, s), now) == s
    assert totp.consecutive_step(seed, reference_code(seed, s - 2), reference_code(seed, s - 1), now) == s - 1
    assert totp.consecutive_step(seed, reference_code(seed, s), reference_code(seed, s + 1), now) == s + 1
    # Not consecutive, reversed, the same code twice, or too old.
    assert totp.consecutive_step(seed, reference_code(seed, s - 2), reference_code(seed, s), now) is None
    assert totp.consecutive_step(seed, reference_code(seed, s), reference_code(seed, s - 1), now) is None
    assert totp.consecutive_step(seed, reference_code(seed, s), reference_code(seed, s), now) is None
    assert totp.consecutive_step(seed, reference_code(seed, s - 3), reference_code(seed, s - 2), now) is None
    old = (reference_code(seed, s - 9), reference_code(seed, s - 8))
    assert totp.consecutive_step(seed, *old, now, window=10) == s - 8


def test_seeds_are_160_random_bits_in_base32() -> None:
    """RFC 4226 R6: "We RECOMMEND a shared secret length of 160 bits"; ``Base32StringSeed`` is
    "The base32 seed defined as specified in RFC3548"."""
    seeds = {totp.new_seed() for _ in range(50)}
    assert len(seeds) == 50
    for seed in seeds:
        assert len(seed) == 32 and len(base64.b32decode(seed)) == 20


def test_otpauth_uri() -> None:
    """``API_VirtualMFADevice`` (QRCodePNG): ``otpauth://totp/$virtualMFADeviceName@$AccountName
    ?secret=$Base32String``, here behind the issuer prefix and with the issuer parameter."""
    uri = totp.otpauth_uri("JBSWY3DPEHPK3PXP", "alice+phone", "123456789012")
    parsed = urllib.parse.urlsplit(uri)
    assert (parsed.scheme, parsed.netloc) == ("otpauth", "totp")
    assert urllib.parse.unquote(parsed.path) == "/Amazon Web Services:alice+phone@123456789012"
    assert urllib.parse.parse_qs(parsed.query) == {"secret": ["JBSWY3DPEHPK3PXP"], "issuer": ["Amazon Web Services"]}


def _png_rows(png: bytes) -> tuple[int, list[list[int]]]:
    """(width, rows of 0/1 pixels) of a 1-bit greyscale PNG (PNG specification: chunks,
    IHDR, zlib-compressed IDAT, per-row filters 0-4)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    i, ihdr, data = 8, b"", b""
    while i < len(png):
        (length,) = struct.unpack(">I", png[i : i + 4])
        kind, body = png[i + 4 : i + 8], png[i + 8 : i + 8 + length]
        assert zlib.crc32(kind + body) == struct.unpack(">I", png[i + 8 + length : i + 12 + length])[0]
        if kind == b"IHDR":
            ihdr = body
        elif kind == b"IDAT":
            data += body
        i += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", ihdr[:10])
    assert (depth, colour) == (1, 0), "1-bit greyscale"
    raw = zlib.decompress(data)
    stride = (width + 7) // 8
    rows, previous = [], bytes(stride)
    for r in range(height):
        kind, line = raw[r * (stride + 1)], bytearray(raw[r * (stride + 1) + 1 : (r + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - 1] if x else 0
            up, corner = previous[x], previous[x - 1] if x else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[x] = (line[x] + pred) & 0xFF
        previous = bytes(line)
        rows.append([(line[x // 8] >> (7 - x % 8)) & 1 for x in range(width)])
    assert len(rows) == height == width
    return width, rows


def test_qr_code_png_is_a_qr_code() -> None:
    """A valid PNG (signature, IHDR, CRCs) whose pixels are a QR code: a square of 17 + 4v
    modules (v = version 1..40) inside a four-module quiet zone, with the three finder patterns
    (ISO/IEC 18004: a dark 7x7 ring, a light ring, a dark 3x3 centre) in its corners."""
    uri = totp.otpauth_uri(totp.new_seed(), "device", "123456789012")
    width, rows = _png_rows(totp.qr_png(uri))
    scale, border = 4, 4
    modules = width // scale - 2 * border
    assert width % scale == 0 and (modules - 17) % 4 == 0 and 1 <= (modules - 17) // 4 <= 40

    def dark(r: int, c: int) -> bool:
        return rows[(r + border) * scale + 1][(c + border) * scale + 1] == 0

    assert all(rows[0]) and all(row[0] for row in rows)  # the quiet zone is light
    for top, left in ((0, 0), (0, modules - 7), (modules - 7, 0)):
        for r in range(7):
            for c in range(7):
                ring = max(abs(r - 3), abs(c - 3))
                assert dark(top + r, left + c) == (ring != 2), (top, left, r, c)
