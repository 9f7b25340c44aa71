"""Access keys and login profiles. Wording observed from AWS: "Cannot exceed quota for
AccessKeysPerUser: 2" (LimitExceeded; inactive keys count too)."""

from __future__ import annotations

from iam_helpers import allow

from localiam.services.iam.keys import check_password
from localiam.state import iam_store, schema
from localiam.state.access_keys import account_id_from_access_key


def test_access_key_lifecycle(iam):
    iam("CreateUser", UserName="u")
    key = iam("CreateAccessKey", UserName="u")["AccessKey"]
    assert key["UserName"] == "u" and key["Status"] == "Active"
    assert key["AccessKeyId"].startswith("AKIA") and len(key["SecretAccessKey"]) == 40
    assert account_id_from_access_key(key["AccessKeyId"]) == iam.account_id
    second = iam("CreateAccessKey", UserName="u")["AccessKey"]["AccessKeyId"]
    iam("UpdateAccessKey", UserName="u", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    listed = iam("ListAccessKeys", UserName="u")["AccessKeyMetadata"]
    assert {(k["AccessKeyId"], k["Status"]) for k in listed} == {(key["AccessKeyId"], "Inactive"), (second, "Active")}
    err = iam.error("CreateAccessKey", UserName="u")
    assert (err.code, err.status, err.message) == ("LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2")
    iam("DeleteAccessKey", UserName="u", AccessKeyId=key["AccessKeyId"])
    assert [k["AccessKeyId"] for k in iam("ListAccessKeys", UserName="u")["AccessKeyMetadata"]] == [second]


def test_access_key_errors(iam):
    iam("CreateUser", UserName="u")
    iam("CreateUser", UserName="v")
    key = iam("CreateAccessKey", UserName="u")["AccessKey"]["AccessKeyId"]
    err = iam.error("DeleteAccessKey", UserName="v", AccessKeyId=key)
    assert (err.code, err.status, err.message) == (
        "NoSuchEntity",
        404,
        f"The Access Key with id {key} cannot be found.",
    )
    err = iam.error("UpdateAccessKey", UserName="u", AccessKeyId=key, Status="Paused")
    assert err.code == "ValidationError" and "[Active, Inactive, Expired]" in err.message
    assert iam.error("CreateAccessKey", UserName="ghost").message == "The user with name ghost cannot be found."


def test_keys_of_the_caller(iam, as_user):
    u = as_user(
        "u", allow(["iam:CreateAccessKey", "iam:ListAccessKeys", "iam:UpdateAccessKey", "iam:GetAccessKeyLastUsed"])
    )
    listed = u("ListAccessKeys")["AccessKeyMetadata"]
    assert len(listed) == 1 and listed[0]["UserName"] == "u"
    created = u("CreateAccessKey")["AccessKey"]
    assert created["UserName"] == "u"
    last = u("GetAccessKeyLastUsed", AccessKeyId=created["AccessKeyId"])
    assert last == {"UserName": "u", "AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"}}
    root_keys = iam.raw("ListAccessKeys")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in root_keys] == [iam.key_id] and "UserName" not in root_keys[0]


def test_get_access_key_last_used_records(iam):
    iam("CreateUser", UserName="u")
    key = iam("CreateAccessKey", UserName="u")["AccessKey"]["AccessKeyId"]
    with iam.store.write() as tx:
        iam_store.change(
            tx,
            schema.access_keys,
            {"access_key_id": key},
            last_used_at=1700000000.0,
            last_used_service="s3",
            last_used_region="eu-west-1",
        )
    last = iam("GetAccessKeyLastUsed", AccessKeyId=key)["AccessKeyLastUsed"]
    assert (last["ServiceName"], last["Region"], last["LastUsedDate"].year) == ("s3", "eu-west-1", 2023)
    assert iam.error("GetAccessKeyLastUsed", AccessKeyId="AKIAAAAAAAAAAAAAAAAA").code == "NoSuchEntity"


def test_login_profile_lifecycle(iam):
    iam("CreateUser", UserName="u")
    profile = iam("CreateLoginProfile", UserName="u", Password="Correct-Horse-1", PasswordResetRequired=True)[
        "LoginProfile"
    ]
    assert profile["UserName"] == "u" and profile["PasswordResetRequired"] is True
    with iam.store.read() as tx:
        stored = iam_store.one(tx, schema.login_profiles, account_id=iam.account_id, user_key="u")["password_hash"]
    assert "Correct-Horse-1" not in stored and stored.startswith("pbkdf2_sha256$")
    assert check_password("Correct-Horse-1", stored) and not check_password("wrong", stored)
    err = iam.error("CreateLoginProfile", UserName="u", Password="x")
    assert (err.code, err.status, err.message) == (
        "EntityAlreadyExists",
        409,
        "Login Profile for user u already exists.",
    )
    iam("UpdateLoginProfile", UserName="u", Password="Another-Pass-2", PasswordResetRequired=False)
    assert iam("GetLoginProfile", UserName="u")["LoginProfile"]["PasswordResetRequired"] is False
    with iam.store.read() as tx:
        again = iam_store.one(tx, schema.login_profiles, account_id=iam.account_id, user_key="u")["password_hash"]
    assert check_password("Another-Pass-2", again)
    iam("DeleteLoginProfile", UserName="u")
    err = iam.error("GetLoginProfile", UserName="u")
    assert (err.code, err.status, err.message) == ("NoSuchEntity", 404, "Login Profile for User u cannot be found.")
    assert iam.error("DeleteLoginProfile", UserName="u").code == "NoSuchEntity"
    assert iam.error("UpdateLoginProfile", UserName="u", Password="p").code == "NoSuchEntity"
