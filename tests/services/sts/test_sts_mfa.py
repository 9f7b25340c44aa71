"""MFA codes in ``GetSessionToken`` and ``AssumeRole``, against virtual MFA devices made and
enabled with IAM's own operations. Codes are computed with ``totp_code`` (an RFC 6238
implementation of the harness, independent of the server's verifier), at steps of the world's
clock, which is also the clock the operations check codes against.

Pages: STS API Reference ``API_GetSessionToken`` ("An incorrect MFA code causes the API to return
an access denied error"), ``API_AssumeRole`` (SerialNumber, TokenCode); IAM User Guide
``id_credentials_mfa_configure-api-require``, ``reference_policies_condition-keys``
(aws:MultiFactorAuthPresent, aws:MultiFactorAuthAge); RFC 6238 sections 4 and 5.2. AWS's
messages, observed: "MultiFactorAuthentication failed with invalid MFA one time pass code."
and "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA
serial number is valid and associated with this user."
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sts_harness import World, allow, totp_code, trust

from localiam.errors import AccessDenied, AwsError, ValidationError
from localiam.services.iam import SERVICE as IAM
from localiam.services.sts import SERVICE as STS

A = "111111111111"
T0 = 1_800_000_015.0
"""15 seconds into step 60,000,000."""
STEP = int(T0 // 30)
INVALID = "MultiFactorAuthentication failed with invalid MFA one time pass code."
UNABLE = (
    "MultiFactorAuthentication failed, unable to validate MFA code.  "
    "Please verify your MFA serial number is valid and associated with this user."
)
MFA_ONLY = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


@dataclass
class Device:
    serial: str
    seed: str

    def code(self, step: int) -> str:
        return totp_code(self.seed, step)


@pytest.fixture
def root(world: World) -> str:
    world.clock = T0
    return world.account(A).access_key_id


def device_for(world: World, root: str, user: str, name: str | None = None) -> Device:
    """A virtual device created and enabled for ``user`` with two consecutive codes (the steps
    before the world's current one, so that the current step's code is still unused)."""
    made = world.call(IAM, "CreateVirtualMFADevice", {"VirtualMFADeviceName": name or user}, root)["VirtualMFADevice"]
    device = Device(made["SerialNumber"], made["Base32StringSeed"].decode())
    step = int(world.now() // 30)
    codes = {"AuthenticationCode1": device.code(step - 2), "AuthenticationCode2": device.code(step - 1)}
    world.call(IAM, "EnableMFADevice", {"UserName": user, "SerialNumber": device.serial, **codes}, root)
    return device


def session(world: World, key: str, **params: object) -> str:
    return str(world.call(STS, "GetSessionToken", params, key)["Credentials"]["AccessKeyId"])


def denied(world: World, key: str, operation: str = "GetSessionToken", **params: object) -> AccessDenied:
    with pytest.raises(AccessDenied) as info:
        world.call(STS, operation, params, key)
    return info.value


# ----------------------------------------------------------------------------- GetSessionToken
def test_a_valid_code_makes_an_mfa_session(world: World, root: str) -> None:
    user = world.user(A, "u", inline=[allow("ec2:StopInstances", Condition=MFA_ONLY)])
    device = device_for(world, root, "u")
    plain = session(world, user)
    assert not world.decide(plain, "ec2:StopInstances", "*").allowed
    proven = session(world, user, SerialNumber=device.serial, TokenCode=device.code(STEP))
    assert world.decide(proven, "ec2:StopInstances", "*").allowed


def test_the_session_carries_mfa_age_and_without_mfa_no_age(world: World, root: str) -> None:
    """KEYS (aws:MultiFactorAuthAge): present only when MFA was used. (Real time here: the
    engine reads the wall clock for a request's age.)"""
    world.clock = None
    recent = {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}
    user = world.user(A, "u", inline=[allow("ec2:StopInstances", Condition=recent)])
    device = device_for(world, root, "u")
    proven = session(world, user, SerialNumber=device.serial, TokenCode=device.code(int(world.now() // 30)))
    assert world.decide(proven, "ec2:StopInstances", "*").allowed
    assert not world.decide(session(world, user), "ec2:StopInstances", "*").allowed
    absent = {"Null": {"aws:MultiFactorAuthAge": "true"}, "Bool": {"aws:MultiFactorAuthPresent": "false"}}
    probe = world.user(A, "probe", inline=[allow("ec2:StartInstances", Condition=absent)])
    assert world.decide(session(world, probe), "ec2:StartInstances", "*").allowed


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_the_current_step_and_one_either_side_are_accepted(world: World, root: str, offset: int) -> None:
    """RFC 6238 section 5.2: at most one time step of network delay."""
    user = world.user(A, "u")
    device = device_for(world, root, "u")
    world.clock = T0 + 60  # two steps on: the enabling codes are out of the way
    session(world, user, SerialNumber=device.serial, TokenCode=device.code(STEP + 2 + offset))


@pytest.mark.parametrize("offset", [-2, 2, 40])
def test_codes_outside_the_window_are_refused(world: World, root: str, offset: int) -> None:
    user = world.user(A, "u")
    device = device_for(world, root, "u")
    world.clock = T0 + 90
    err = denied(world, user, SerialNumber=device.serial, TokenCode=device.code(STEP + 3 + offset))
    assert err.message == INVALID and err.status == 403 and err.code == "AccessDenied"


def test_a_wrong_code_is_refused_without_repeating_it(world: World, root: str) -> None:
    user = world.user(A, "u")
    device = device_for(world, root, "u")
    wrong = "000000" if device.code(STEP) != "000000" else "111111"
    err = denied(world, user, SerialNumber=device.serial, TokenCode=wrong)
    assert err.message == INVALID and wrong not in str(err)


def test_a_code_is_accepted_once(world: World, root: str) -> None:
    """RFC 6238 section 5.2: the verifier "MUST NOT accept the second attempt of the OTP after
    the successful validation has been issued for the first OTP"; nor an older step's code."""
    user = world.user(A, "u")
    device = device_for(world, root, "u")
    session(world, user, SerialNumber=device.serial, TokenCode=device.code(STEP))
    assert denied(world, user, SerialNumber=device.serial, TokenCode=device.code(STEP)).message == INVALID
    world.clock = T0 + 30
    session(world, user, SerialNumber=device.serial, TokenCode=device.code(STEP + 1))
    # The previous step is inside the window, but older than one already used.
    assert denied(world, user, SerialNumber=device.serial, TokenCode=device.code(STEP)).message == INVALID


def test_the_codes_that_enabled_the_device_are_used(world: World, root: str) -> None:
    user = world.user(A, "u")
    device = device_for(world, root, "u")
    assert denied(world, user, SerialNumber=device.serial, TokenCode=device.code(STEP - 1)).message == INVALID


def test_an_unknown_serial_number_or_another_users_device(world: World, root: str) -> None:
    user = world.user(A, "u")
    world.user(A, "other")
    theirs = device_for(world, root, "other")
    mine = device_for(world, root, "u")
    unknown = f"arn:aws:iam::{A}:mfa/nobody"
    assert denied(world, user, SerialNumber=unknown, TokenCode=mine.code(STEP)).message == UNABLE
    assert denied(world, user, SerialNumber=theirs.serial, TokenCode=theirs.code(STEP)).message == UNABLE
    # The refusals used nothing up: the user's own code still works.
    session(world, user, SerialNumber=mine.serial, TokenCode=mine.code(STEP))


def test_an_unassigned_or_deactivated_device_proves_nothing(world: World, root: str) -> None:
    user = world.user(A, "u")
    made = world.call(IAM, "CreateVirtualMFADevice", {"VirtualMFADeviceName": "spare"}, root)["VirtualMFADevice"]
    spare = Device(made["SerialNumber"], made["Base32StringSeed"].decode())
    assert denied(world, user, SerialNumber=spare.serial, TokenCode=spare.code(STEP)).message == UNABLE
    device = device_for(world, root, "u")
    world.call(IAM, "DeactivateMFADevice", {"UserName": "u", "SerialNumber": device.serial}, root)
    assert denied(world, user, SerialNumber=device.serial, TokenCode=device.code(STEP)).message == UNABLE


def test_a_code_needs_a_serial_number_and_a_serial_number_alone_proves_nothing(world: World, root: str) -> None:
    mfa_false = {"Bool": {"aws:MultiFactorAuthPresent": "false"}}
    user = world.user(A, "u", inline=[allow("ec2:StartInstances", Condition=mfa_false)])
    device = device_for(world, root, "u")
    assert denied(world, user, TokenCode=device.code(STEP)).message == UNABLE
    plain = session(world, user, SerialNumber=device.serial)
    assert world.decide(plain, "ec2:StartInstances", "*").allowed


def test_the_root_user_has_no_device_here(world: World, root: str) -> None:
    world.user(A, "u")
    device = device_for(world, root, "u")
    assert denied(world, root, SerialNumber=device.serial, TokenCode=device.code(STEP)).message == UNABLE


def test_malformed_parameters_are_validation_errors_that_do_not_repeat_the_code(world: World, root: str) -> None:
    user = world.user(A, "u")
    device = device_for(world, root, "u")
    with pytest.raises(ValidationError) as short:
        world.call(STS, "GetSessionToken", {"SerialNumber": device.serial, "TokenCode": "12345"}, user)
    assert short.value.message == (
        "1 validation error detected: Value at 'tokenCode' failed to satisfy constraint: "
        "Member must have length greater than or equal to 6"
    )
    with pytest.raises(ValidationError) as letters:
        world.call(STS, "GetSessionToken", {"SerialNumber": device.serial, "TokenCode": "12345a"}, user)
    assert "12345a" not in letters.value.message and "tokenCode" in letters.value.message
    with pytest.raises(AwsError) as serial:
        world.call(STS, "GetSessionToken", {"SerialNumber": "abc", "TokenCode": device.code(STEP)}, user)
    assert serial.value.message.endswith("Member must have length greater than or equal to 9")


# ----------------------------------------------------------------------------- AssumeRole
@pytest.fixture
def mfa_role(world: World) -> str:
    """A role any principal of the account may assume with MFA; its sessions may stop
    instances when they are MFA-authenticated."""
    return world.role(
        A,
        "Admin",
        trust(f"arn:aws:iam::{A}:root", Condition=MFA_ONLY),
        inline=[allow(["ec2:StopInstances", "sts:AssumeRole"], Condition=MFA_ONLY)],
    )


def assume(world: World, key: str, role: str, **params: object) -> str:
    result = world.call(STS, "AssumeRole", {"RoleArn": role, "RoleSessionName": "s1", **params}, key)
    return str(result["Credentials"]["AccessKeyId"])


def test_a_trust_policy_requiring_mfa(world: World, root: str, mfa_role: str) -> None:
    """``id_credentials_mfa_configure-api-require`` (cross-account delegation): the trust
    policy's ``"Bool": {"aws:MultiFactorAuthPresent": "true"}`` denies AssumeRole without MFA
    and allows it with a valid code; the role session is MFA-authenticated."""
    user = world.user(A, "u", inline=[allow("sts:AssumeRole")])
    device = device_for(world, root, "u")
    err = denied(world, user, "AssumeRole", RoleArn=mfa_role, RoleSessionName="s1")
    assert "is not authorized to perform: sts:AssumeRole" in err.message
    role_session = assume(world, user, mfa_role, SerialNumber=device.serial, TokenCode=device.code(STEP))
    assert world.decide(role_session, "ec2:StopInstances", "*").allowed
    again = denied(
        world,
        user,
        "AssumeRole",
        RoleArn=mfa_role,
        RoleSessionName="s2",
        SerialNumber=device.serial,
        TokenCode=device.code(STEP),
    )
    assert again.message == INVALID


def test_a_wrong_code_for_assume_role(world: World, root: str, mfa_role: str) -> None:
    user = world.user(A, "u", inline=[allow("sts:AssumeRole")])
    device = device_for(world, root, "u")
    wrong = "000000" if device.code(STEP) != "000000" else "111111"
    err = denied(
        world, user, "AssumeRole", RoleArn=mfa_role, RoleSessionName="s1", SerialNumber=device.serial, TokenCode=wrong
    )
    assert err.message == INVALID


def test_a_refused_assume_role_leaves_the_code_unused(world: World, root: str) -> None:
    """The code is checked before the trust policy; when the trust policy then refuses, the
    whole request is undone and the code still works."""
    closed = world.role(A, "Closed", trust(f"arn:aws:iam::{A}:user/someone-else", Condition=MFA_ONLY))
    user = world.user(A, "u", inline=[allow("sts:AssumeRole")])
    device = device_for(world, root, "u")
    code = device.code(STEP)
    err = denied(
        world, user, "AssumeRole", RoleArn=closed, RoleSessionName="s1", SerialNumber=device.serial, TokenCode=code
    )
    assert "is not authorized to perform: sts:AssumeRole" in err.message
    session(world, user, SerialNumber=device.serial, TokenCode=code)


def test_an_mfa_session_assumes_a_role_requiring_mfa(world: World, root: str, mfa_role: str) -> None:
    user = world.user(A, "u", inline=[allow("sts:AssumeRole")])
    device = device_for(world, root, "u")
    proven = session(world, user, SerialNumber=device.serial, TokenCode=device.code(STEP))
    role_session = assume(world, proven, mfa_role)
    # ... and the role session is MFA-authenticated in turn (it may chain into the role again).
    assume(world, role_session, mfa_role)
    plain = session(world, user)
    assert "is not authorized" in denied(world, plain, "AssumeRole", RoleArn=mfa_role, RoleSessionName="s1").message


def test_a_role_session_cannot_pass_mfa(world: World, root: str) -> None:
    open_role = world.role(A, "Open", trust(f"arn:aws:iam::{A}:root"), inline=[allow("sts:AssumeRole")])
    user = world.user(A, "u", inline=[allow("sts:AssumeRole")])
    device = device_for(world, root, "u")
    role_session = assume(world, user, open_role)
    err = denied(
        world,
        role_session,
        "AssumeRole",
        RoleArn=open_role,
        RoleSessionName="s2",
        SerialNumber=device.serial,
        TokenCode=device.code(STEP),
    )
    assert err.message == UNABLE
