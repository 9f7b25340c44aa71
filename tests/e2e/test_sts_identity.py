"""``sts:GetCallerIdentity`` for the root user, an IAM user and a role session
(``API_GetCallerIdentity``; the values of ``reference_policies_variables``, "Values for
principal keys"), and ``sts:GetAccessKeyInfo`` (``API_GetAccessKeyInfo``)."""

from __future__ import annotations

from e2e_helpers import Keys, allow, deny, error_of, make_user, policy, trust


def _identity(sts):
    answer = sts.get_caller_identity()
    return {k: answer[k] for k in ("UserId", "Account", "Arn")}


def test_caller_identity_of_root_user_and_role_session(server, iam):
    acct = server.account_id
    assert _identity(server.client("sts")) == {"UserId": acct, "Account": acct, "Arn": f"arn:aws:iam::{acct}:root"}

    alice = make_user(iam, server, "alice", path="/devs/")
    user_id = iam.get_user(UserName="alice")["User"]["UserId"]
    assert user_id.startswith("AIDA")
    assert _identity(alice.client("sts")) == {
        "UserId": user_id,
        "Account": acct,
        "Arn": f"arn:aws:iam::{acct}:user/devs/alice",
    }

    role = iam.create_role(
        RoleName="Worker",
        Path="/apps/",
        AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{acct}:user/devs/alice"}),
    )["Role"]
    session = Keys.of_session(server, alice.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="job-42"))
    # The session ARN leaves out the role's path; the id is ROLE-ID:SESSION-NAME.
    assert _identity(session.client("sts")) == {
        "UserId": f"{role['RoleId']}:job-42",
        "Account": acct,
        "Arn": f"arn:aws:sts::{acct}:assumed-role/Worker/job-42",
    }


def test_caller_identity_needs_no_permission_and_ignores_denies(server, iam):
    """ "No permissions are required to perform this operation. If an administrator attaches a
    policy to your identity that explicitly denies access to the sts:GetCallerIdentity action,
    you can still perform this operation.\""""
    denied = make_user(iam, server, "denied", inline=policy(deny("*")))
    assert _identity(denied.client("sts"))["Arn"].endswith(":user/denied")


def test_get_access_key_info_names_the_keys_account(server, iam):
    """The account is decoded from the key id itself, for any key, whether or not it exists."""
    other = server.create_account()
    alice = make_user(iam, server, "alice", inline=policy(allow("sts:GetAccessKeyInfo")))
    sts = alice.client("sts")
    assert sts.get_access_key_info(AccessKeyId=other.access_key_id)["Account"] == other.account_id
    assert sts.get_access_key_info(AccessKeyId=alice.access_key_id)["Account"] == server.account_id
    session = alice.client("sts").get_session_token()
    assert sts.get_access_key_info(AccessKeyId=session["Credentials"]["AccessKeyId"])["Account"] == server.account_id
    # A key localiam never issued: the published decoding of a real AWS key id.
    assert sts.get_access_key_info(AccessKeyId="ASIAY34FZKBOKMUTVV7A")["Account"] == "609629065308"


def test_get_access_key_info_needs_permission(server, iam):
    bob = make_user(iam, server, "bob").client("sts")
    err = error_of(bob.get_access_key_info, AccessKeyId=server.root.access_key_id)
    assert (err["Code"], err["status"]) == ("AccessDenied", 403)
    assert err["Message"].startswith(
        f"User: arn:aws:iam::{server.account_id}:user/bob is not authorized to perform: sts:GetAccessKeyInfo"
    )
