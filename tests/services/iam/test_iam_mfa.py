"""Virtual MFA devices: ``CreateVirtualMFADevice``, ``EnableMFADevice``, ``ResyncMFADevice``,
``DeactivateMFADevice``, ``DeleteVirtualMFADevice``, ``ListMFADevices``,
``ListVirtualMFADevices``, ``GetMFADevice``, ``TagMFADevice``/``UntagMFADevice``/
``ListMFADeviceTags``, and ``DeleteUser`` with a device.

Pages: IAM API Reference ``API_CreateVirtualMFADevice`` ... ``API_VirtualMFADevice``,
``API_MFADevice``; IAM User Guide ``reference_iam-quotas`` ("MFA devices in use per user: 8").
Codes come from ``reference_code`` (RFC 6238 written here, not the server's verifier) at the
steps of the wall clock, which these operations read: a pair ending in the current step stays
inside the one-step window however the clock moves during the call.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from iam_helpers import allow

from localiam.state import iam_store, schema

ACCOUNT_DEVICE = "arn:aws:iam::{account}:mfa{path}{name}"


def reference_code(seed: str, step: int) -> str:
    mac = hmac.new(base64.b32decode(seed), step.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return str((int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF) % 10**6).zfill(6)


def now_step() -> int:
    return int(time.time() // 30)


def pair(seed: str, step: int | None = None) -> dict[str, str]:
    """Two consecutive codes ending at ``step`` (default: now)."""
    last = now_step() if step is None else step
    return {"AuthenticationCode1": reference_code(seed, last - 1), "AuthenticationCode2": reference_code(seed, last)}


def create(iam: Any, name: str, **extra: Any) -> tuple[str, str]:
    made = iam("CreateVirtualMFADevice", VirtualMFADeviceName=name, **extra)["VirtualMFADevice"]
    return made["SerialNumber"], made["Base32StringSeed"].decode("ascii")


def enabled(iam: Any, user: str, name: str) -> tuple[str, str]:
    serial, seed = create(iam, name)
    iam("EnableMFADevice", UserName=user, SerialNumber=serial, **pair(seed))
    return serial, seed


# ----------------------------------------------------------------------------- create
def test_create_returns_the_serial_number_the_seed_and_a_qr_code(iam: Any) -> None:
    made = iam("CreateVirtualMFADevice", VirtualMFADeviceName="alice-phone", Path="/team/")["VirtualMFADevice"]
    assert made["SerialNumber"] == f"arn:aws:iam::{iam.account_id}:mfa/team/alice-phone"
    seed = made["Base32StringSeed"].decode("ascii")
    assert len(base64.b32decode(seed)) == 20
    assert made["QRCodePNG"][:8] == b"\x89PNG\r\n\x1a\n" and made["QRCodePNG"][12:16] == b"IHDR"
    assert "Tags" not in made
    default = iam("CreateVirtualMFADevice", VirtualMFADeviceName="bob")["VirtualMFADevice"]
    assert default["SerialNumber"] == f"arn:aws:iam::{iam.account_id}:mfa/bob"
    assert default["Base32StringSeed"] != made["Base32StringSeed"]


def test_the_seed_is_stored_and_returned_only_once(iam: Any, store: Any) -> None:
    serial, seed = create(iam, "d")
    with store.read() as tx:
        row = iam_store.one(tx, schema.mfa_devices, serial_key=serial.lower())
    assert row is not None and row["seed"] == seed
    listed = iam("ListVirtualMFADevices")["VirtualMFADevices"]
    assert listed == [{"SerialNumber": serial}]


def test_create_errors(iam: Any) -> None:
    create(iam, "mfa1")
    for name in ("mfa1", "MFA1"):
        err = iam.error("CreateVirtualMFADevice", VirtualMFADeviceName=name)
        assert (err.code, err.status, err.message) == (
            "EntityAlreadyExists",
            409,
            "MFADevice entity at the same path and name already exists.",
        )
    create(iam, "mfa1", Path="/other/")  # another path, another device
    err = iam.error("CreateVirtualMFADevice", VirtualMFADeviceName="a b")
    assert err.code == "ValidationError" and "at 'virtualMFADeviceName'" in err.message
    err = iam.error("CreateVirtualMFADevice", VirtualMFADeviceName="x", Path="nope")
    assert err.code == "ValidationError" and "at 'path'" in err.message


def test_create_with_tags(iam: Any) -> None:
    made = iam("CreateVirtualMFADevice", VirtualMFADeviceName="t", Tags=[{"Key": "team", "Value": "blue"}])
    serial = made["VirtualMFADevice"]["SerialNumber"]
    assert made["VirtualMFADevice"]["Tags"] == [{"Key": "team", "Value": "blue"}]
    iam("TagMFADevice", SerialNumber=serial, Tags=[{"Key": "env", "Value": "prod"}])
    assert iam("ListMFADeviceTags", SerialNumber=serial)["Tags"] == [
        {"Key": "env", "Value": "prod"},
        {"Key": "team", "Value": "blue"},
    ]
    iam("UntagMFADevice", SerialNumber=serial, TagKeys=["team"])
    assert iam("ListMFADeviceTags", SerialNumber=serial)["Tags"] == [{"Key": "env", "Value": "prod"}]
    missing = f"arn:aws:iam::{iam.account_id}:mfa/none"
    err = iam.error("ListMFADeviceTags", SerialNumber=missing)
    assert (err.code, err.message) == ("NoSuchEntity", f"VirtualMFADevice with serial number {missing} does not exist.")


# ----------------------------------------------------------------------------- enable
def test_enable_and_list(iam: Any) -> None:
    iam("CreateUser", UserName="alice")
    serial, _seed = enabled(iam, "alice", "alice")
    devices = iam("ListMFADevices", UserName="alice")["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in devices] == [("alice", serial)]
    got = iam("GetMFADevice", UserName="alice", SerialNumber=serial)
    assert (got["UserName"], got["SerialNumber"]) == ("alice", serial) and got["EnableDate"] == devices[0]["EnableDate"]
    virtual = iam("ListVirtualMFADevices")["VirtualMFADevices"]
    assert virtual[0]["SerialNumber"] == serial and virtual[0]["User"]["UserName"] == "alice"
    assert virtual[0]["EnableDate"] == devices[0]["EnableDate"]


def test_enable_needs_two_consecutive_valid_codes(iam: Any) -> None:
    """``InvalidAuthenticationCode`` (403): "Authentication code for device is not valid."; the
    codes are not repeated."""
    iam("CreateUser", UserName="u")
    serial, seed = create(iam, "d")
    s = now_step()
    wrong = {"AuthenticationCode1": "000000", "AuthenticationCode2": "999999"}
    not_consecutive = {
        "AuthenticationCode1": reference_code(seed, s - 2),
        "AuthenticationCode2": reference_code(seed, s),
    }
    reversed_pair = {"AuthenticationCode1": reference_code(seed, s), "AuthenticationCode2": reference_code(seed, s - 1)}
    stale = pair(seed, s - 5)
    for codes in (wrong, not_consecutive, reversed_pair, stale):
        err = iam.error("EnableMFADevice", UserName="u", SerialNumber=serial, **codes)
        assert (err.code, err.status, err.message) == (
            "InvalidAuthenticationCode",
            403,
            "Authentication code for device is not valid.",
        )
        assert codes["AuthenticationCode1"] not in str(err) and codes["AuthenticationCode2"] not in str(err)
    assert iam("ListMFADevices", UserName="u")["MFADevices"] == []
    iam("EnableMFADevice", UserName="u", SerialNumber=serial, **pair(seed))


def test_enable_errors(iam: Any) -> None:
    iam("CreateUser", UserName="u")
    iam("CreateUser", UserName="v")
    serial, seed = enabled(iam, "u", "d")
    for user in ("u", "v"):
        err = iam.error("EnableMFADevice", UserName=user, SerialNumber=serial, **pair(seed))
        assert (err.code, err.status, err.message) == ("EntityAlreadyExists", 409, "MFA Device is already in use.")
    missing = f"arn:aws:iam::{iam.account_id}:mfa/none"
    err = iam.error("EnableMFADevice", UserName="u", SerialNumber=missing, **pair(seed))
    assert (err.code, err.status, err.message) == (
        "NoSuchEntity",
        404,
        f"VirtualMFADevice with serial number {missing} does not exist.",
    )
    other, other_seed = create(iam, "e")
    err = iam.error("EnableMFADevice", UserName="ghost", SerialNumber=other, **pair(other_seed))
    assert (err.code, err.message) == ("NoSuchEntity", "The user with name ghost cannot be found.")


def test_malformed_codes_are_validation_errors_without_their_value(iam: Any) -> None:
    iam("CreateUser", UserName="u")
    serial, _seed = create(iam, "d")
    err = iam.error(
        "EnableMFADevice", UserName="u", SerialNumber=serial, AuthenticationCode1="12a4", AuthenticationCode2="1234567"
    )
    assert err.code == "ValidationError" and err.message.startswith("3 validation errors detected: ")
    assert "Value at 'authenticationCode1' failed to satisfy constraint: Member must have length greater" in err.message
    assert "Value at 'authenticationCode2' failed to satisfy constraint: Member must have length less" in err.message
    assert "12a4" not in err.message and "1234567" not in err.message


def test_at_most_eight_devices_per_user(iam: Any) -> None:
    iam("CreateUser", UserName="u")
    for i in range(8):
        enabled(iam, "u", f"d{i}")
    serial, seed = create(iam, "ninth")
    err = iam.error("EnableMFADevice", UserName="u", SerialNumber=serial, **pair(seed))
    assert (err.code, err.status, err.message) == ("LimitExceeded", 409, "Cannot exceed quota for MFADevicesPerUser: 8")
    assert len(iam("ListMFADevices", UserName="u")["MFADevices"]) == 8


# ----------------------------------------------------------------------------- resync
def test_resync_accepts_a_drifted_pair_once(iam: Any) -> None:
    iam("CreateUser", UserName="u")
    serial, seed = enabled(iam, "u", "d")
    drifted = pair(seed, now_step() + 8)
    iam("ResyncMFADevice", UserName="u", SerialNumber=serial, **drifted)
    err = iam.error("ResyncMFADevice", UserName="u", SerialNumber=serial, **drifted)
    assert err.code == "InvalidAuthenticationCode"
    far = pair(seed, now_step() + 40)
    assert iam.error("ResyncMFADevice", UserName="u", SerialNumber=serial, **far).code == "InvalidAuthenticationCode"


def test_resync_needs_the_users_device(iam: Any) -> None:
    iam("CreateUser", UserName="u")
    iam("CreateUser", UserName="v")
    serial, seed = enabled(iam, "u", "d")
    err = iam.error("ResyncMFADevice", UserName="v", SerialNumber=serial, **pair(seed))
    assert (err.code, err.status, err.message) == ("NoSuchEntity", 404, "MFA Device invalid for user.")


# ----------------------------------------------------------------------------- deactivate, delete
def test_deactivate_and_delete(iam: Any) -> None:
    iam("CreateUser", UserName="u")
    iam("CreateUser", UserName="v")
    serial, _seed = enabled(iam, "u", "d")
    err = iam.error("DeleteVirtualMFADevice", SerialNumber=serial)
    assert (err.code, err.status, err.message) == (
        "DeleteConflict",
        409,
        "MFA VirtualDevice in use. Must deactivate first.",
    )
    err = iam.error("DeactivateMFADevice", UserName="v", SerialNumber=serial)
    assert (err.code, err.message) == ("NoSuchEntity", "MFA Device invalid for user.")
    iam("DeactivateMFADevice", UserName="u", SerialNumber=serial)
    assert iam("ListMFADevices", UserName="u")["MFADevices"] == []
    assert iam("ListVirtualMFADevices", AssignmentStatus="Unassigned")["VirtualMFADevices"] == [
        {"SerialNumber": serial}
    ]
    err = iam.error("GetMFADevice", UserName="u", SerialNumber=serial)
    assert err.code == "NoSuchEntity"
    iam("DeleteVirtualMFADevice", SerialNumber=serial)
    assert iam("ListVirtualMFADevices")["VirtualMFADevices"] == []
    err = iam.error("DeleteVirtualMFADevice", SerialNumber=serial)
    assert (err.code, err.message) == ("NoSuchEntity", f"VirtualMFADevice with serial number {serial} does not exist.")


def test_delete_user_with_an_mfa_device(iam: Any) -> None:
    """``DeleteConflict`` "Cannot delete entity, must delete MFA device first." (AWS's answer, as
    tools that clean accounts report it, e.g. rebuy-de/aws-nuke#281)."""
    iam("CreateUser", UserName="u")
    serial, _seed = enabled(iam, "u", "d")
    err = iam.error("DeleteUser", UserName="u")
    assert (err.code, err.status, err.message) == (
        "DeleteConflict",
        409,
        "Cannot delete entity, must delete MFA device first.",
    )
    iam("DeactivateMFADevice", UserName="u", SerialNumber=serial)
    iam("DeleteUser", UserName="u")


def test_a_renamed_user_keeps_its_device(iam: Any) -> None:
    iam("CreateUser", UserName="u")
    serial, _seed = enabled(iam, "u", "d")
    iam("UpdateUser", UserName="u", NewUserName="w")
    assert [d["SerialNumber"] for d in iam("ListMFADevices", UserName="w")["MFADevices"]] == [serial]


# ----------------------------------------------------------------------------- listing
def test_list_virtual_devices_by_assignment_status_one_page_at_a_time(iam: Any) -> None:
    iam("CreateUser", UserName="u")
    a, _ = enabled(iam, "u", "a")
    b, _ = create(iam, "b")
    c, _ = enabled(iam, "u", "c")
    d, _ = create(iam, "d")

    def serials(**params: Any) -> list[str]:
        return [v["SerialNumber"] for v in iam("ListVirtualMFADevices", **params)["VirtualMFADevices"]]

    assert serials() == serials(AssignmentStatus="Any") == [a, b, c, d]
    assert serials(AssignmentStatus="Assigned") == [a, c]
    assert serials(AssignmentStatus="Unassigned") == [b, d]
    first = iam("ListVirtualMFADevices", MaxItems=3)
    assert first["IsTruncated"] is True and len(first["VirtualMFADevices"]) == 3
    rest = iam("ListVirtualMFADevices", MaxItems=3, Marker=first["Marker"])
    assert rest["IsTruncated"] is False and [v["SerialNumber"] for v in rest["VirtualMFADevices"]] == [d]
    err = iam.error("ListVirtualMFADevices", AssignmentStatus="Some")
    assert err.code == "ValidationError" and "[Assigned, Unassigned, Any]" in err.message
    page = iam("ListMFADevices", UserName="u", MaxItems=1)
    assert page["IsTruncated"] is True
    assert iam("ListMFADevices", UserName="u", Marker=page["Marker"])["MFADevices"][0]["SerialNumber"] == c


def test_list_mfa_devices_of_the_caller(iam: Any, as_user: Any) -> None:
    """``API_ListMFADevices``: without ``UserName``, "IAM determines the user name implicitly
    based on the Amazon Web Services access key ID signing the request"."""
    alice = as_user("alice", allow("iam:ListMFADevices", f"arn:aws:iam::{iam.account_id}:user/alice"))
    serial, _seed = enabled(iam, "alice", "alice")
    assert [d["SerialNumber"] for d in alice("ListMFADevices")["MFADevices"]] == [serial]
    err = alice.error("ListMFADevices", UserName="bob")
    assert err.code == "AccessDenied"
    assert iam("ListMFADevices")["MFADevices"] == []  # the root user


def test_authorization_on_the_device_arn(iam: Any, as_user: Any) -> None:
    """The Service Authorization Reference: ``iam:CreateVirtualMFADevice`` and
    ``iam:DeleteVirtualMFADevice`` on the ``mfa`` resource, ``iam:EnableMFADevice`` on the user."""
    acct = iam.account_id
    alice = as_user(
        "alice",
        allow(["iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice"], f"arn:aws:iam::{acct}:mfa/alice-*"),
        allow("iam:EnableMFADevice", f"arn:aws:iam::{acct}:user/alice"),
    )
    made = alice("CreateVirtualMFADevice", VirtualMFADeviceName="alice-phone")["VirtualMFADevice"]
    err = alice.error("CreateVirtualMFADevice", VirtualMFADeviceName="bob-phone")
    assert err.code == "AccessDenied" and f"arn:aws:iam::{acct}:mfa/bob-phone" in err.message
    seed = made["Base32StringSeed"].decode()
    alice("EnableMFADevice", UserName="alice", SerialNumber=made["SerialNumber"], **pair(seed))
    iam("CreateUser", UserName="bob")
    other, other_seed = create(iam, "alice-spare")
    err = alice.error("EnableMFADevice", UserName="bob", SerialNumber=other, **pair(other_seed))
    assert err.code == "AccessDenied"
    # Allowed on the device's ARN, the deletion reaches the device, which is in use.
    assert alice.error("DeleteVirtualMFADevice", SerialNumber=made["SerialNumber"]).code == "DeleteConflict"
    bobs, _ = create(iam, "bob-phone")
    assert alice.error("DeleteVirtualMFADevice", SerialNumber=bobs).code == "AccessDenied"
    alice("DeleteVirtualMFADevice", SerialNumber=other)  # unassigned, and named alice-*
