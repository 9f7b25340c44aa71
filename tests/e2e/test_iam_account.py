"""The account as IAM sees it, with boto3: the password policy and its enforcement on
console passwords (IAM User Guide ``id_credentials_passwords_account-policy``), account
aliases, ``GetAccountSummary``, the credential report (``id_credentials_getting-report``:
the CSV's columns), renames with ``UpdateGroup``, and the fidelity of policy errors."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest
from e2e_helpers import allow, error_of, make_user, policy, wait_past

VIOLATION = ("PasswordPolicyViolation", "Password does not conform to the account password policy.")


def test_password_policy_round_trip_and_defaults(server, iam):
    acct = server.account_id
    err = error_of(iam.get_account_password_policy)
    assert (err["Code"], err["status"], err["Message"]) == (
        "NoSuchEntity",
        404,
        f"The Password Policy with domain name {acct} cannot be found.",
    )
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireNumbers=True, MaxPasswordAge=90)
    got = iam.get_account_password_policy()["PasswordPolicy"]
    assert got == {
        "MinimumPasswordLength": 12,
        "RequireSymbols": False,
        "RequireNumbers": True,
        "RequireUppercaseCharacters": False,
        "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": False,
        "ExpirePasswords": True,
        "MaxPasswordAge": 90,
    }
    iam.update_account_password_policy()
    assert (
        iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 6
    )  # "the default value of 6" (API_UpdateAccountPasswordPolicy)
    err = error_of(iam.update_account_password_policy, MinimumPasswordLength=129)
    assert err["Code"] == "ValidationError"
    iam.delete_account_password_policy()
    assert error_of(iam.delete_account_password_policy)["Code"] == "NoSuchEntity"


def test_password_policy_is_enforced_on_login_profiles_and_change_password(server, iam):
    iam.update_account_password_policy(
        MinimumPasswordLength=10, RequireSymbols=True, RequireUppercaseCharacters=True, AllowUsersToChangePassword=True
    )
    iam.create_user(UserName="bob")
    err = error_of(iam.create_login_profile, UserName="bob", Password="short")
    assert (err["Code"], err["Message"]) == VIOLATION
    assert error_of(iam.create_login_profile, UserName="bob", Password="longenough!")["Code"] == VIOLATION[0]
    iam.create_login_profile(UserName="bob", Password="Longenough!")
    assert error_of(iam.update_login_profile, UserName="bob", Password="Nosymbolshere")["Code"] == VIOLATION[0]

    key = iam.create_access_key(UserName="bob")["AccessKey"]
    bob = server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    # AllowUsersToChangePassword: no policy of bob's allows iam:ChangePassword, yet he may.
    err = error_of(bob.change_password, OldPassword="wrong-one", NewPassword="Another-one1")
    assert err["Code"] == "InvalidInput"
    assert error_of(bob.change_password, OldPassword="Longenough!", NewPassword="weak")["Code"] == VIOLATION[0]
    bob.change_password(OldPassword="Longenough!", NewPassword="Another-one1")
    bob.change_password(OldPassword="Another-one1", NewPassword="Third-one-1")
    assert bob.get_account_password_policy()["PasswordPolicy"]["AllowUsersToChangePassword"] is True

    iam.update_account_password_policy(MinimumPasswordLength=10)
    err = error_of(bob.change_password, OldPassword="Third-one-1", NewPassword="Fourth-one-1")
    assert err["Code"] == "AccessDenied" and "iam:ChangePassword" in err["Message"]
    assert error_of(bob.get_account_password_policy)["Code"] == "AccessDenied"
    err = error_of(iam.change_password, OldPassword="a", NewPassword="b")
    assert err["Code"] == "InvalidUserType"


def test_account_alias_and_summary(server, iam):
    assert iam.list_account_aliases()["AccountAliases"] == []
    iam.create_account_alias(AccountAlias="my-company")
    assert iam.list_account_aliases()["AccountAliases"] == ["my-company"]
    err = error_of(iam.create_account_alias, AccountAlias="Bad--Alias")
    assert err["Code"] == "ValidationError"
    err = error_of(iam.delete_account_alias, AccountAlias="other")
    assert (err["Code"], err["Message"]) == ("NoSuchEntity", "The account alias other cannot be found.")
    iam.delete_account_alias(AccountAlias="my-company")
    assert iam.list_account_aliases()["AccountAliases"] == []

    iam.create_user(UserName="u1")
    iam.create_instance_profile(InstanceProfileName="p")
    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["Users"] == 1 and summary["InstanceProfiles"] == 1
    assert summary["UsersQuota"] == 5000 and summary["AccessKeysPerUserQuota"] == 2
    assert summary["AccountAccessKeysPresent"] == 1  # the root keys localiam issued
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 2


def test_account_level_actions_are_authorized_on_no_resource(server, iam):
    alice = make_user(iam, server, "alice").client("iam")
    err = error_of(alice.get_account_summary)
    assert err["Message"] == (
        f"User: arn:aws:iam::{server.account_id}:user/alice is not authorized to perform: iam:GetAccountSummary "
        "on resource: * because no identity-based policy allows the iam:GetAccountSummary action"
    )


def test_credential_report_has_awss_columns(server, iam):
    err = error_of(iam.get_credential_report)
    assert (err["Code"], err["status"]) == ("ReportNotPresent", 410)
    iam.create_user(UserName="carol")
    iam.create_login_profile(UserName="carol", Password="Pa55word!xyz")
    iam.create_access_key(UserName="carol")
    assert iam.generate_credential_report()["State"] == "STARTED"
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    report = iam.get_credential_report()
    assert report["ReportFormat"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(report["Content"].decode())))
    assert list(rows[0]) == [
        "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
        "password_next_rotation", "mfa_active", "access_key_1_active", "access_key_1_last_rotated",
        "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
        "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
        "access_key_2_last_used_region", "access_key_2_last_used_service", "cert_1_active", "cert_1_last_rotated",
        "cert_2_active", "cert_2_last_rotated",
    ]  # fmt: skip
    assert rows[0]["user"] == "<root_account>" and rows[0]["password_enabled"] == "not_supported"
    carol = rows[1]
    assert carol["arn"] == f"arn:aws:iam::{server.account_id}:user/carol"
    assert (carol["password_enabled"], carol["access_key_1_active"], carol["access_key_2_active"]) == (
        "true",
        "true",
        "false",
    )
    assert carol["access_key_2_last_rotated"] == "N/A"
    assert carol["user_creation_time"].endswith("+00:00")


def test_update_group_renames_everywhere_the_name_appears(server, iam):
    acct = server.account_id
    iam.create_group(GroupName="devs")
    iam.put_group_policy(GroupName="devs", PolicyName="p", PolicyDocument=policy(allow("iam:ListUsers")))
    iam.attach_group_policy(GroupName="devs", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    alice = make_user(iam, server, "alice", groups=("devs",))
    iam.update_group(GroupName="devs", NewGroupName="builders", NewPath="/eng/")
    group = iam.get_group(GroupName="builders")
    assert group["Group"]["Arn"] == f"arn:aws:iam::{acct}:group/eng/builders"
    assert [u["UserName"] for u in group["Users"]] == ["alice"]
    assert iam.list_group_policies(GroupName="builders")["PolicyNames"] == ["p"]
    assert len(iam.list_attached_group_policies(GroupName="builders")["AttachedPolicies"]) == 1
    assert error_of(iam.get_group, GroupName="devs")["Code"] == "NoSuchEntity"
    # The member keeps the group's permissions under its new name.
    alice.client("iam").list_users()
    iam.create_group(GroupName="other")
    err = error_of(iam.update_group, GroupName="other", NewGroupName="BUILDERS")
    assert (err["Code"], err["Message"]) == ("EntityAlreadyExists", "Group with name BUILDERS already exists.")


def test_remove_user_from_group_for_a_non_member(server, iam):
    iam.create_group(GroupName="g")
    iam.create_user(UserName="u")
    err = error_of(iam.remove_user_from_group, GroupName="g", UserName="u")
    assert (err["Code"], err["status"]) == ("NoSuchEntity", 404)


@pytest.mark.parametrize("action", ["s3:GetObject", ["sts:AssumeRole", "ec2:RunInstances"]])
def test_a_trust_policy_may_only_name_sts_actions(server, iam, action):
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": action}],
        }
    )
    err = error_of(iam.create_role, RoleName="r", AssumeRolePolicyDocument=document)
    assert (err["Code"], err["Message"]) == (
        "MalformedPolicyDocument",
        "AssumeRole policy may only specify STS AssumeRole actions.",
    )


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ('{"Version": "2012-10-17", "Statement": [', "Syntax errors in policy."),
        (policy({"Effect": "Permit", "Action": "s3:*", "Resource": "*"}), "Syntax errors in policy."),
        (json.dumps({"Version": "2012-10-17", "Statement": [{"Action": "s3:*", "Resource": "*"}]}),
         "Syntax errors in policy."),
        (json.dumps({"Version": "2013-01-01", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
         "The policy failed legacy parsing"),
    ],
)  # fmt: skip
def test_iam_policy_errors_use_iams_wording(server, iam, document, message):
    """IAM answers "Syntax errors in policy." where S3 answers "Invalid effect: Permit" or
    "Missing required field Effect" (``API_CreatePolicy``, ``MalformedPolicyDocument``)."""
    err = error_of(iam.create_policy, PolicyName="p", PolicyDocument=document)
    assert (err["Code"], err["Message"]) == ("MalformedPolicyDocument", message)


def test_get_policy_tags_when_there_are_none(server, iam):
    arn = iam.create_policy(PolicyName="p", PolicyDocument=policy(allow("s3:ListAllMyBuckets")))["Policy"]["Arn"]
    got = iam.get_policy(PolicyArn=arn)["Policy"]
    assert got["Tags"] == []


def test_tag_limit_messages_end_with_a_period(server, iam):
    """50 tags per resource (``reference_iam-quotas``): "The number of tags has reached the
    maximum limit of 50." with its final period."""
    iam.create_user(UserName="u", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    err = error_of(iam.tag_user, UserName="u", Tags=[{"Key": "one-more", "Value": "v"}])
    assert (err["Code"], err["Message"]) == ("LimitExceeded", "The number of tags has reached the maximum limit of 50.")


def test_password_reuse_prevention(server, iam):
    """``PasswordReusePrevention``: "the number of previous passwords that IAM users are
    prevented from reusing" (``API_UpdateAccountPasswordPolicy``)."""
    iam.update_account_password_policy(PasswordReusePrevention=2, AllowUsersToChangePassword=True)
    iam.create_user(UserName="dee")
    iam.create_login_profile(UserName="dee", Password="first-password")
    key = iam.create_access_key(UserName="dee")["AccessKey"]
    dee = server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    err = error_of(dee.change_password, OldPassword="first-password", NewPassword="first-password")
    assert (err["Code"], err["Message"]) == VIOLATION
    dee.change_password(OldPassword="first-password", NewPassword="second-password")
    assert error_of(iam.update_login_profile, UserName="dee", Password="first-password")["Code"] == VIOLATION[0]
    iam.update_login_profile(UserName="dee", Password="third-password")
    iam.update_login_profile(UserName="dee", Password="first-password")  # three passwords ago

    wait_past(time.time())  # the change is a second later than the user's creation
    iam.update_login_profile(UserName="dee", Password="fourth-password")
    iam.generate_credential_report()
    rows = list(csv.DictReader(io.StringIO(iam.get_credential_report()["Content"].decode())))
    dee_row = next(r for r in rows if r["user"] == "dee")
    assert dee_row["password_last_changed"] > dee_row["user_creation_time"]
