"""Time-based one-time passwords for virtual MFA devices, shared by IAM (``EnableMFADevice``,
``ResyncMFADevice``) and STS (``GetSessionToken``, ``AssumeRole``).

RFC 6238 with its defaults, as AWS's virtual devices use them (IAM User Guide
``id_credentials_mfa_enable_virtual``: "a mobile app that is compliant with RFC 6238, a
standards-based TOTP (time-based one-time password) algorithm. These apps generate a six-digit
authentication code"): HMAC-SHA-1, 30-second steps counted from the Unix epoch, six digits.
The seed is 160 random bits (RFC 4226 section 4, R6: "We RECOMMEND a shared secret length of
160 bits"), written in base32 (RFC 3548) as ``Base32StringSeed`` carries it.

A code is accepted for the current step and one step either side (RFC 6238 section 5.2: "We
RECOMMEND that at most one time step is allowed as the network delay"), around the step the
device's clock is known to be at (``drift``, measured by ``ResyncMFADevice``). Which step a code
matched is returned, so that the caller can refuse a code of a step already used (section 5.2:
the verifier "MUST NOT accept the second attempt of the OTP after the successful validation has
been issued for the first OTP"). Codes are compared in constant time.

Nothing here logs or raises with a seed or a code in it.
"""

from __future__ import annotations

import base64
import hmac
import io
import secrets
import urllib.parse

import pyotp
import segno

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1
"""Steps accepted either side of the expected one."""
SEED_BYTES = 20
ISSUER = "Amazon Web Services"


def new_seed() -> str:
    """A fresh random seed, base32 (32 characters for 160 bits; no padding is needed)."""
    return base64.b32encode(secrets.token_bytes(SEED_BYTES)).decode("ascii")


def step_at(moment: float) -> int:
    """The RFC 6238 time step ``T = floor((time - T0) / X)`` with ``T0 = 0`` and ``X = 30``."""
    return int(moment // STEP_SECONDS)


def code_at(seed: str, step: int, *, digits: int = DIGITS) -> str:
    """The code a device with ``seed`` shows during ``step``."""
    return pyotp.TOTP(seed, digits=digits, interval=STEP_SECONDS).generate_otp(step)


def matching_step(
    seed: str, code: str, moment: float, *, drift: int = 0, window: int = WINDOW, digits: int = DIGITS
) -> int | None:
    """The step within ``window`` of ``moment`` (shifted by ``drift``) whose code is ``code``;
    ``None`` when there is none. Every candidate is compared, so the time taken does not tell
    which one matched."""
    if len(code) != digits or not code.isdigit():
        return None
    center = step_at(moment) + drift
    found = None
    for step in range(center - window, center + window + 1):
        if hmac.compare_digest(code_at(seed, step, digits=digits), code) and found is None:
            found = step
    return found


def consecutive_step(
    seed: str, first: str, second: str, moment: float, *, drift: int = 0, window: int = WINDOW
) -> int | None:
    """The step of ``second`` when ``first`` and ``second`` are the codes of two consecutive
    steps and ``second``'s step is within ``window`` of ``moment`` (shifted by ``drift``): what
    ``EnableMFADevice`` and ``ResyncMFADevice`` ask for ("two consecutive authentication codes")."""
    if not (len(first) == len(second) == DIGITS and first.isdigit() and second.isdigit()):
        return None
    center = step_at(moment) + drift
    found = None
    for step in range(center - window, center + window + 1):
        earlier = hmac.compare_digest(code_at(seed, step - 1), first)
        later = hmac.compare_digest(code_at(seed, step), second)
        if earlier and later and found is None:
            found = step
    return found


def otpauth_uri(seed: str, device_name: str, account_name: str) -> str:
    """The Key URI an authenticator app scans: ``API_VirtualMFADevice`` (QRCodePNG) gives
    ``otpauth://totp/$virtualMFADeviceName@$AccountName?secret=$Base32String``; the label is
    prefixed by the issuer, and the issuer repeated as a parameter, as the Key URI Format has
    apps show who issued the key (``Amazon Web Services``)."""
    label = urllib.parse.quote(f"{ISSUER}:{device_name}@{account_name}", safe="@:")
    query = urllib.parse.urlencode({"secret": seed, "issuer": ISSUER}, quote_via=urllib.parse.quote)
    return f"otpauth://totp/{label}?{query}"


def qr_png(uri: str) -> bytes:
    """A PNG image of the QR code of ``uri`` (error correction M, four-module quiet zone)."""
    out = io.BytesIO()
    segno.make_qr(uri, error="m").save(out, kind="png", scale=4, border=4)
    return out.getvalue()
