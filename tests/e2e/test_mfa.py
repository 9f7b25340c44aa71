"""MFA end to end with boto3 and the AWS CLI: a user creates and enables a virtual MFA device
from ``Base32StringSeed`` as an authenticator app would, and gets MFA-authenticated sessions
with ``GetSessionToken`` and ``AssumeRole``.

Pages: IAM User Guide ``id_credentials_mfa_enable_cliapi`` (create the device, enable it with
two consecutive codes), ``id_credentials_mfa_configure-api-require`` (the MFA-protected API
flow and trust policies requiring MFA), ``reference_policies_examples_aws_my-sec-creds-self-manage``
(users managing their own device); STS ``API_GetSessionToken``, ``API_AssumeRole``. AWS's
answers observed: "MultiFactorAuthentication failed with invalid MFA one time pass code." and
"MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial
number is valid and associated with this user."

Codes come from ``totp_code``, RFC 6238 written here (not the server's verifier). The
server's clock is put 2 seconds into a 30-second step first (``Clock``), so a code computed for
"now" is the server's current step, and the next step is ``clock.advance(30)`` away.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import struct
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import AwsCli, Clock, Keys, allow, error_of, make_user, policy, trust

INVALID = "MultiFactorAuthentication failed with invalid MFA one time pass code."
UNABLE = (
    "MultiFactorAuthentication failed, unable to validate MFA code.  "
    "Please verify your MFA serial number is valid and associated with this user."
)
MFA_ONLY = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def totp_code(seed: str, step: int) -> str:
    """RFC 6238 / RFC 4226 section 5.3, six digits."""
    mac = hmac.new(base64.b32decode(seed), step.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return str((int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF) % 10**6).zfill(6)


class Steps:
    """The server's 30-second steps, with its clock moved 2 seconds into one."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        now = time.time() + clock.offset
        clock.advance((int(now // 30) + 1) * 30 + 2 - now)

    @property
    def now(self) -> int:
        return int((time.time() + self.clock.offset) // 30)

    def next(self) -> None:
        """On to 2 seconds into the next step."""
        now = time.time() + self.clock.offset
        self.clock.advance((int(now // 30) + 1) * 30 + 2 - now)


@pytest.fixture
def steps(clock: Clock) -> Steps:
    return Steps(clock)


SELF_MANAGE = [
    # reference_policies_examples_aws_my-sec-creds-self-manage (AllowManageOwnVirtualMFADevice,
    # AllowManageOwnUserMFA), and an action allowed only with MFA.
    allow(["iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice"], "arn:aws:iam::*:mfa/${aws:username}"),
    allow(
        ["iam:EnableMFADevice", "iam:DeactivateMFADevice", "iam:ListMFADevices", "iam:ResyncMFADevice"],
        "arn:aws:iam::*:user/${aws:username}",
    ),
    allow("iam:ListUsers", Condition=MFA_ONLY),
]


def enable_own_device(user: Keys, name: str, steps: Steps) -> tuple[str, str]:
    """The user makes and enables a device named ``name``; (serial number, seed)."""
    iam = user.client("iam")
    made = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
    seed = made["Base32StringSeed"].decode("ascii")
    iam.enable_mfa_device(
        UserName=name,
        SerialNumber=made["SerialNumber"],
        AuthenticationCode1=totp_code(seed, steps.now - 1),
        AuthenticationCode2=totp_code(seed, steps.now),
    )
    return made["SerialNumber"], seed


def test_the_mfa_protected_api_flow(server: Any, iam: Any, steps: Steps) -> None:
    alice = make_user(iam, server, "alice", inline=policy(*SELF_MANAGE))
    serial, seed = enable_own_device(alice, "alice", steps)
    assert serial == f"arn:aws:iam::{server.account_id}:mfa/alice"
    # Long-term keys and a session without MFA cannot list users.
    assert error_of(alice.client("iam").list_users)["Code"] == "AccessDenied"
    plain = Keys.of_session(server, alice.client("sts").get_session_token())
    assert error_of(plain.client("iam").list_users)["Code"] == "AccessDenied"
    # The enabling codes are spent; the next step's code makes an MFA session.
    err = error_of(alice.client("sts").get_session_token, SerialNumber=serial, TokenCode=totp_code(seed, steps.now))
    assert (err["Code"], err["status"], err["Message"]) == ("AccessDenied", 403, INVALID)
    steps.next()
    answer = alice.client("sts").get_session_token(SerialNumber=serial, TokenCode=totp_code(seed, steps.now))
    proven = Keys.of_session(server, answer)
    assert "alice" in [u["UserName"] for u in proven.client("iam").list_users()["Users"]]
    assert proven.client("sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{server.account_id}:user/alice"


def test_refused_codes(server: Any, iam: Any, steps: Steps) -> None:
    alice = make_user(iam, server, "alice", inline=policy(*SELF_MANAGE))
    bob = make_user(iam, server, "bob", inline=policy(*SELF_MANAGE))
    serial, seed = enable_own_device(alice, "alice", steps)
    bobs_serial, bobs_seed = enable_own_device(bob, "bob", steps)
    steps.next()
    sts = alice.client("sts")
    code = totp_code(seed, steps.now)
    wrong = "000000" if code != "000000" else "111111"
    cases = [
        ({"SerialNumber": serial, "TokenCode": wrong}, INVALID),
        ({"SerialNumber": serial, "TokenCode": totp_code(seed, steps.now - 2)}, INVALID),
        ({"SerialNumber": serial, "TokenCode": totp_code(seed, steps.now + 3)}, INVALID),
        ({"SerialNumber": f"arn:aws:iam::{server.account_id}:mfa/nobody", "TokenCode": code}, UNABLE),
        ({"SerialNumber": bobs_serial, "TokenCode": totp_code(bobs_seed, steps.now)}, UNABLE),
        ({"TokenCode": code}, UNABLE),
    ]
    for params, message in cases:
        err = error_of(sts.get_session_token, **params)
        assert (err["Code"], err["status"], err["Message"]) == ("AccessDenied", 403, message), params
    sts.get_session_token(SerialNumber=serial, TokenCode=code)
    err = error_of(sts.get_session_token, SerialNumber=serial, TokenCode=code)
    assert (err["Code"], err["Message"]) == ("AccessDenied", INVALID)  # used once already


def test_one_step_either_side(server: Any, iam: Any, steps: Steps) -> None:
    alice = make_user(iam, server, "alice", inline=policy(*SELF_MANAGE))
    serial, seed = enable_own_device(alice, "alice", steps)
    steps.next()
    steps.next()
    sts = alice.client("sts")
    sts.get_session_token(SerialNumber=serial, TokenCode=totp_code(seed, steps.now - 1))  # a slow client
    sts.get_session_token(SerialNumber=serial, TokenCode=totp_code(seed, steps.now + 1))  # a fast device
    # The step in between is older than one already used.
    assert (
        error_of(sts.get_session_token, SerialNumber=serial, TokenCode=totp_code(seed, steps.now))["Message"] == INVALID
    )


def test_a_trust_policy_requiring_mfa(server: Any, iam: Any, steps: Steps) -> None:
    acct = server.account_id
    alice = make_user(iam, server, "alice", inline=policy(*SELF_MANAGE, allow("sts:AssumeRole")))
    serial, seed = enable_own_device(alice, "alice", steps)
    steps.next()
    role = iam.create_role(
        RoleName="Admin", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{acct}:root"}, Condition=MFA_ONLY)
    )["Role"]["Arn"]
    sts = alice.client("sts")
    err = error_of(sts.assume_role, RoleArn=role, RoleSessionName="s1")
    assert err["Code"] == "AccessDenied"
    assert err["Message"].startswith(
        f"User: arn:aws:iam::{acct}:user/alice is not authorized to perform: sts:AssumeRole"
    )
    wrong = "000000" if totp_code(seed, steps.now) != "000000" else "111111"
    err = error_of(sts.assume_role, RoleArn=role, RoleSessionName="s1", SerialNumber=serial, TokenCode=wrong)
    assert (err["Code"], err["Message"]) == ("AccessDenied", INVALID)
    answer = sts.assume_role(
        RoleArn=role, RoleSessionName="s1", SerialNumber=serial, TokenCode=totp_code(seed, steps.now)
    )
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{acct}:assumed-role/Admin/s1"
    # A session made with MFA may assume the role without passing a code again.
    steps.next()
    proven = Keys.of_session(server, sts.get_session_token(SerialNumber=serial, TokenCode=totp_code(seed, steps.now)))
    proven.client("sts").assume_role(RoleArn=role, RoleSessionName="again")


def test_device_management(server: Any, iam: Any, steps: Steps) -> None:
    iam.create_user(UserName="carol")
    made = iam.create_virtual_mfa_device(VirtualMFADeviceName="carol-phone", Path="/staff/")["VirtualMFADevice"]
    serial, seed = made["SerialNumber"], made["Base32StringSeed"].decode()
    assert serial == f"arn:aws:iam::{server.account_id}:mfa/staff/carol-phone"
    assert iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"] == [
        {"SerialNumber": serial}
    ]
    iam.enable_mfa_device(
        UserName="carol",
        SerialNumber=serial,
        AuthenticationCode1=totp_code(seed, steps.now - 1),
        AuthenticationCode2=totp_code(seed, steps.now),
    )
    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert [(d["SerialNumber"], d["User"]["UserName"]) for d in assigned] == [(serial, "carol")]
    listed = iam.list_mfa_devices(UserName="carol")["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in listed] == [("carol", serial)]
    assert iam.get_mfa_device(UserName="carol", SerialNumber=serial)["EnableDate"] == listed[0]["EnableDate"]
    # The device's clock runs four minutes fast: a resync records it, and its codes then work.
    ahead = steps.now + 8
    iam.resync_mfa_device(
        UserName="carol",
        SerialNumber=serial,
        AuthenticationCode1=totp_code(seed, ahead - 1),
        AuthenticationCode2=totp_code(seed, ahead),
    )
    key = iam.create_access_key(UserName="carol")["AccessKey"]
    carol = Keys(server, key["AccessKeyId"], key["SecretAccessKey"])
    steps.next()
    carol.client("sts").get_session_token(SerialNumber=serial, TokenCode=totp_code(seed, steps.now + 8))
    err = error_of(iam.delete_virtual_mfa_device, SerialNumber=serial)
    assert (err["Code"], err["status"], err["Message"]) == (
        "DeleteConflict",
        409,
        "MFA VirtualDevice in use. Must deactivate first.",
    )
    iam.delete_access_key(UserName="carol", AccessKeyId=key["AccessKeyId"])
    err = error_of(iam.delete_user, UserName="carol")
    assert (err["Code"], err["Message"]) == ("DeleteConflict", "Cannot delete entity, must delete MFA device first.")
    iam.deactivate_mfa_device(UserName="carol", SerialNumber=serial)
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    iam.delete_user(UserName="carol")
    err = error_of(iam.get_mfa_device, UserName="alice", SerialNumber=serial)
    assert err["Code"] == "NoSuchEntity"


def test_qr_code_png(server: Any, iam: Any) -> None:
    """A PNG (``API_VirtualMFADevice``: "A QR code PNG image"): signature, then an IHDR chunk of
    a square image, with a correct CRC."""
    png = iam.create_virtual_mfa_device(VirtualMFADeviceName="qr")["VirtualMFADevice"]["QRCodePNG"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", png[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height, depth, colour = struct.unpack(">IIBB", png[16:26])
    assert width == height >= 21 and depth in (1, 2, 4, 8) and colour in (0, 3)
    assert struct.unpack(">I", png[29:33])[0] == zlib.crc32(png[12:29])


def test_no_seed_or_code_reaches_the_logs(
    server: Any, iam: Any, steps: Steps, caplog: pytest.LogCaptureFixture
) -> None:
    """Everything the server logs (its own loggers and uvicorn's, at DEBUG) over a device's
    life, wrong and reused codes included, holds neither the seed nor a code. (boto3's own
    DEBUG log, on the client side, prints request and response bodies: it is left out.)"""
    server_loggers = ("localiam", "uvicorn")
    for name in server_loggers:
        caplog.set_level(logging.DEBUG, logger=name)
    alice = make_user(iam, server, "alice", inline=policy(*SELF_MANAGE))
    serial, seed = enable_own_device(alice, "alice", steps)
    steps.next()
    code = totp_code(seed, steps.now)
    error_of(alice.client("sts").get_session_token, SerialNumber=serial, TokenCode=totp_code(seed, steps.now - 3))
    alice.client("sts").get_session_token(SerialNumber=serial, TokenCode=code)
    error_of(alice.client("sts").get_session_token, SerialNumber=serial, TokenCode=code)
    error_of(alice.client("iam").create_virtual_mfa_device, VirtualMFADeviceName="alice")
    records = [r for r in caplog.records if r.name.startswith(server_loggers)]
    assert any(r.name == "localiam.decisions" for r in records)  # the server's logs are captured
    text = "\n".join(r.getMessage() + str(r.exc_info or "") for r in records)
    assert seed not in text and seed.lower() not in text and code not in text


def test_the_aws_cli_writes_the_qr_code_and_the_seed(server: Any, iam: Any, steps: Steps, tmp_path: Path) -> None:
    """``aws iam create-virtual-mfa-device --outfile F --bootstrap-method QRCodePNG|Base32StringSeed``
    (AWS CLI reference: "--outfile: The path and file name where the bootstrap information will
    be stored"), then ``enable-mfa-device`` and ``sts get-session-token`` with the device's codes."""
    cli = AwsCli(server, tmp_path)
    done = cli.run(
        [
            "iam",
            "create-virtual-mfa-device",
            "--virtual-mfa-device-name",
            "cli-qr",
            "--outfile",
            "qr.png",
            "--bootstrap-method",
            "QRCodePNG",
        ]
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "qr.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    done = cli.run(
        [
            "iam",
            "create-virtual-mfa-device",
            "--virtual-mfa-device-name",
            "cli-seed",
            "--outfile",
            "seed.txt",
            "--bootstrap-method",
            "Base32StringSeed",
        ]
    )
    assert done.returncode == 0, done.stderr
    seed = (tmp_path / "seed.txt").read_text().strip()
    assert len(base64.b32decode(seed)) == 20 and seed not in done.stdout
    serial = f"arn:aws:iam::{server.account_id}:mfa/cli-seed"
    alice = make_user(iam, server, "alice")
    cli.add_profile("alice", alice)
    done = cli.run(
        [
            "iam",
            "enable-mfa-device",
            "--user-name",
            "alice",
            "--serial-number",
            serial,
            "--authentication-code1",
            totp_code(seed, steps.now - 1),
            "--authentication-code2",
            totp_code(seed, steps.now),
        ]
    )
    assert done.returncode == 0, done.stderr
    steps.next()
    done = cli.run(
        [
            "sts",
            "get-session-token",
            "--serial-number",
            serial,
            "--token-code",
            totp_code(seed, steps.now),
            "--profile",
            "alice",
        ]
    )
    assert done.returncode == 0, done.stderr
    done = cli.run(
        [
            "sts",
            "get-session-token",
            "--serial-number",
            serial,
            "--token-code",
            totp_code(seed, steps.now),
            "--profile",
            "alice",
        ]
    )
    assert done.returncode != 0
    assert f"An error occurred (AccessDenied) when calling the GetSessionToken operation: {INVALID}" in done.stderr
