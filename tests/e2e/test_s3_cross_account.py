"""The seed's three ways of sharing an S3 bucket across accounts (``docs/tutorial.md``, section 5),
with boto3 against a real server, answering as AWS does.

Sources (Amazon S3 User Guide): ``example-walkthroughs-managing-access-example2`` (bucket
policy + the other account's identity policy), ``example-walkthroughs-managing-access-example3``
(objects owned by the writer; ``bucket-owner-full-control``), ``about-object-ownership``
(ObjectWriter, BucketOwnerPreferred, BucketOwnerEnforced), ``acl-overview`` (ACL grants to a
canonical user id), ``access-control-auth-workflow-object-operation`` (object owner must grant),
``troubleshoot-403-errors`` (enhanced messages only within an account or organization), and the
IAM User Guide's ``reference_policies_evaluation-logic-cross-account`` (both sides must allow).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.config import Config
from e2e_helpers import Keys, allow, deny, error_of, make_user, policy, root_keys, trust

from localiam.testing import LocaliamServer

BUCKET = "account-a-shared"
OBJECT_ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:PutObjectAcl"]


class Accounts:
    """Account A (the management account, owns the bucket) and a standalone account B with a
    user ``writer`` allowed the seed's object actions on A's bucket."""

    def __init__(self, server: LocaliamServer) -> None:
        self.server = server
        self.a = root_keys(server)
        self.a_id = server.account_id
        b = server.create_account(name="account-b")
        self.b_id = b.account_id
        self.b = Keys(server, b.access_key_id, b.secret_access_key)
        self.b_iam = self.b.client("iam")
        identity = policy(allow(OBJECT_ACTIONS, f"arn:aws:s3:::{BUCKET}/*"))
        self.writer = make_user(self.b_iam, server, "writer", inline=identity)
        self.writer_arn = f"arn:aws:iam::{self.b_id}:user/writer"
        self.s3_a = self.a.client("s3")
        self.s3_w = self.writer.client("s3")

    def canonical(self, account_id: str) -> str:
        keys = self.a if account_id == self.a_id else self.b
        return str(keys.client("s3").list_buckets()["Owner"]["ID"])

    def bucket(self, ownership: str = "ObjectWriter") -> None:
        self.s3_a.create_bucket(Bucket=BUCKET, ObjectOwnership=ownership)


@pytest.fixture
def accounts(server: LocaliamServer) -> Accounts:
    return Accounts(server)


def _owner(client: Any, key: str) -> str:
    """The object's owner, read by the owner's root user (the root has full access to what its
    account owns, ``id_root-user``)."""
    return str(client.get_object_acl(Bucket=BUCKET, Key=key)["Owner"]["ID"])


def _strip_account_host(request: Any, **_: Any) -> None:
    scheme, _, rest = request.url.partition("://")
    host, _, path = rest.partition("/")
    request.url = f"{scheme}://{host.split('.', 1)[1]}/{path}"


def _bucket_policy(*statements: dict[str, Any]) -> str:
    return policy(*statements)


# ------------------------------------------------------------------------- way 1: bucket policy


def test_way1_bucket_policy_and_identity_policy_writer_owns_its_objects(accounts: Accounts) -> None:
    """B's user, allowed by A's bucket policy and by its own identity policy, writes an object
    that B owns (ObjectWriter): A cannot read it - "the bucket owner cannot read them until an
    ACL grants it" - while the writer can."""
    accounts.bucket("ObjectWriter")
    accounts.s3_a.put_bucket_policy(
        Bucket=BUCKET,
        Policy=_bucket_policy(
            allow(OBJECT_ACTIONS, f"arn:aws:s3:::{BUCKET}/*", Principal={"AWS": accounts.writer_arn})
        ),
    )
    accounts.s3_w.put_object(Bucket=BUCKET, Key="report.csv", Body=b"a,b\n")
    assert _owner(accounts.b.client("s3"), "report.csv") == accounts.canonical(accounts.b_id)
    assert accounts.s3_w.get_object(Bucket=BUCKET, Key="report.csv")["Body"].read() == b"a,b\n"
    err = error_of(accounts.s3_a.get_object, Bucket=BUCKET, Key="report.csv")
    assert (err["Code"], err["status"]) == ("AccessDenied", 403)
    # The object ACL is the object owner's to change: granting A full control lets A read.
    accounts.s3_w.put_object_acl(Bucket=BUCKET, Key="report.csv", ACL="bucket-owner-full-control")
    assert accounts.s3_a.get_object(Bucket=BUCKET, Key="report.csv")["Body"].read() == b"a,b\n"


def test_way1_cross_account_needs_both_sides(accounts: Accounts) -> None:
    """Across accounts the identity policy and the bucket policy must both allow: without the
    bucket policy B's user is denied, and a user of B with no identity policy is denied even
    when the bucket policy names all of B. Outside A's organization the message is plain."""
    accounts.bucket("ObjectWriter")
    err = error_of(accounts.s3_w.put_object, Bucket=BUCKET, Key="k", Body=b"x")
    assert (err["Code"], err["Message"], err["status"]) == ("AccessDenied", "Access Denied", 403)
    accounts.s3_a.put_bucket_policy(
        Bucket=BUCKET,
        Policy=_bucket_policy(
            allow(OBJECT_ACTIONS, f"arn:aws:s3:::{BUCKET}/*", Principal={"AWS": f"arn:aws:iam::{accounts.b_id}:root"})
        ),
    )
    accounts.s3_w.put_object(Bucket=BUCKET, Key="k", Body=b"x")
    idle = make_user(accounts.b_iam, accounts.server, "idle")
    err = error_of(idle.client("s3").put_object, Bucket=BUCKET, Key="k2", Body=b"x")
    assert (err["Code"], err["Message"]) == ("AccessDenied", "Access Denied")


def test_way1_bucket_policy_requiring_bucket_owner_full_control(accounts: Accounts) -> None:
    """The walkthrough's condition: a PutObject without ``x-amz-acl: bucket-owner-full-control``
    is refused; with it, the bucket owner can read the object (``s3:x-amz-acl`` condition key).
    A PutObject that sets an ACL also needs ``s3:PutObjectAcl`` (``API_PutObject``,
    Permissions)."""
    accounts.bucket("ObjectWriter")
    accounts.s3_a.put_bucket_policy(
        Bucket=BUCKET,
        Policy=_bucket_policy(
            allow(
                ["s3:PutObject", "s3:PutObjectAcl"],
                f"arn:aws:s3:::{BUCKET}/*",
                Principal={"AWS": accounts.writer_arn},
                Condition={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
            )
        ),
    )
    err = error_of(accounts.s3_w.put_object, Bucket=BUCKET, Key="bare", Body=b"x")
    assert (err["Code"], err["status"]) == ("AccessDenied", 403)
    accounts.s3_w.put_object(Bucket=BUCKET, Key="granted", Body=b"y", ACL="bucket-owner-full-control")
    assert accounts.s3_a.get_object(Bucket=BUCKET, Key="granted")["Body"].read() == b"y"
    acl = accounts.s3_a.get_object_acl(Bucket=BUCKET, Key="granted")
    grants = {(g["Grantee"].get("ID"), g["Permission"]) for g in acl["Grants"]}
    assert (accounts.canonical(accounts.a_id), "FULL_CONTROL") in grants


def test_way1_deny_without_bucket_owner_full_control_names_the_bucket_policy(accounts: Accounts) -> None:
    """The usual form: an explicit Deny with ``StringNotEquals`` on ``s3:x-amz-acl``; for
    A's own user, in A's account, the enhanced message names the quoted resource and the
    bucket policy's explicit deny."""
    accounts.bucket("ObjectWriter")
    iam_a = accounts.a.client("iam")
    local = make_user(iam_a, accounts.server, "local", inline=policy(allow(["s3:PutObject", "s3:PutObjectAcl"], "*")))
    accounts.s3_a.put_bucket_policy(
        Bucket=BUCKET,
        Policy=_bucket_policy(
            deny(
                "s3:PutObject",
                f"arn:aws:s3:::{BUCKET}/*",
                Principal="*",
                Condition={"StringNotEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
            )
        ),
    )
    err = error_of(local.client("s3").put_object, Bucket=BUCKET, Key="x", Body=b"x")
    arn = f"arn:aws:iam::{accounts.a_id}:user/local"
    assert err["Message"] == (
        f'User: {arn} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::{BUCKET}/x" '
        "with an explicit deny in a resource-based policy"
    )
    local.client("s3").put_object(Bucket=BUCKET, Key="x", Body=b"x", ACL="bucket-owner-full-control")


def test_way1_bucket_owner_enforced_makes_the_bucket_owner_the_owner(accounts: Accounts) -> None:
    """BucketOwnerEnforced (the default of new buckets): A owns every object, ACLs are disabled
    (an ACL other than bucket-owner-full-control is ``AccessControlListNotSupported``), and A
    reads what B's user wrote."""
    accounts.bucket("BucketOwnerEnforced")
    accounts.s3_a.put_bucket_policy(
        Bucket=BUCKET,
        Policy=_bucket_policy(
            allow(OBJECT_ACTIONS, f"arn:aws:s3:::{BUCKET}/*", Principal={"AWS": accounts.writer_arn})
        ),
    )
    accounts.s3_w.put_object(Bucket=BUCKET, Key="k", Body=b"data")
    assert _owner(accounts.s3_a, "k") == accounts.canonical(accounts.a_id)
    assert accounts.s3_a.get_object(Bucket=BUCKET, Key="k")["Body"].read() == b"data"
    err = error_of(accounts.s3_w.put_object, Bucket=BUCKET, Key="k2", Body=b"x", ACL="public-read")
    assert (err["Code"], err["status"]) == ("AccessControlListNotSupported", 400)
    accounts.s3_w.put_object(Bucket=BUCKET, Key="k3", Body=b"x", ACL="bucket-owner-full-control")


def test_way1_bucket_owner_preferred(accounts: Accounts) -> None:
    """BucketOwnerPreferred: the bucket owner owns objects written with
    ``bucket-owner-full-control``; others stay the writer's."""
    accounts.bucket("BucketOwnerPreferred")
    accounts.s3_a.put_bucket_policy(
        Bucket=BUCKET,
        Policy=_bucket_policy(
            allow(OBJECT_ACTIONS, f"arn:aws:s3:::{BUCKET}/*", Principal={"AWS": accounts.writer_arn})
        ),
    )
    accounts.s3_w.put_object(Bucket=BUCKET, Key="mine", Body=b"1")
    accounts.s3_w.put_object(Bucket=BUCKET, Key="theirs", Body=b"2", ACL="bucket-owner-full-control")
    assert _owner(accounts.b.client("s3"), "mine") == accounts.canonical(accounts.b_id)
    assert _owner(accounts.s3_a, "theirs") == accounts.canonical(accounts.a_id)


# ------------------------------------------------------------------------- way 2: ACLs


def test_way2_bucket_acl_write_grant_and_object_acls(accounts: Accounts) -> None:
    """A's bucket ACL grants WRITE to B's canonical user id; B's identity policy allows the
    PUT; the object belongs to B; A reads it only once B's object ACL grants A READ."""
    accounts.bucket("ObjectWriter")
    a_id, b_id = accounts.canonical(accounts.a_id), accounts.canonical(accounts.b_id)
    accounts.s3_a.put_bucket_acl(Bucket=BUCKET, GrantFullControl=f'id="{a_id}"', GrantWrite=f'id="{b_id}"')
    acl = accounts.s3_a.get_bucket_acl(Bucket=BUCKET)
    assert {(g["Grantee"]["ID"], g["Permission"]) for g in acl["Grants"]} == {(a_id, "FULL_CONTROL"), (b_id, "WRITE")}
    accounts.s3_w.put_object(Bucket=BUCKET, Key="via-acl", Body=b"acl")
    assert _owner(accounts.b.client("s3"), "via-acl") == b_id
    assert error_of(accounts.s3_a.get_object, Bucket=BUCKET, Key="via-acl")["Code"] == "AccessDenied"
    accounts.s3_w.put_object_acl(
        Bucket=BUCKET, Key="via-acl", GrantFullControl=f'id="{b_id}"', GrantRead=f'id="{a_id}"'
    )
    assert accounts.s3_a.get_object(Bucket=BUCKET, Key="via-acl")["Body"].read() == b"acl"
    # The ACL grant reaches B's account, whose users still need their identity policy.
    idle = make_user(accounts.b_iam, accounts.server, "idle")
    assert error_of(idle.client("s3").put_object, Bucket=BUCKET, Key="no", Body=b"x")["Code"] == "AccessDenied"


def test_way2_acls_are_refused_while_bucket_owner_enforced(accounts: Accounts) -> None:
    """``object-ownership-error-responses``: setting an ACL on a bucket with ACLs disabled is
    ``AccessControlListNotSupported``."""
    accounts.bucket("BucketOwnerEnforced")
    b_id = accounts.canonical(accounts.b_id)
    err = error_of(accounts.s3_a.put_bucket_acl, Bucket=BUCKET, GrantWrite=f'id="{b_id}"')
    assert (err["Code"], err["status"]) == ("AccessControlListNotSupported", 400)


# ------------------------------------------------------------------------- way 3: a role in A


def test_way3_role_in_a_used_by_b_writes_objects_owned_by_a(accounts: Accounts) -> None:
    """B's user assumes A's role (trust policy names it; its own policy allows sts:AssumeRole);
    the role's policy is the seed's three statements; objects written through the role are
    A's; ListBuckets through the role lists A's buckets only, B's user sees B's."""
    accounts.bucket("ObjectWriter")
    iam_a = accounts.a.client("iam")
    role_arn = iam_a.create_role(RoleName="AccountARole", AssumeRolePolicyDocument=trust({"AWS": accounts.writer_arn}))[
        "Role"
    ]["Arn"]
    iam_a.put_role_policy(
        RoleName="AccountARole",
        PolicyName="s3",
        PolicyDocument=policy(
            allow("s3:ListAllMyBuckets", "arn:aws:s3:::*"),
            allow(["s3:ListBucket", "s3:GetBucketLocation"], f"arn:aws:s3:::{BUCKET}"),
            allow(["s3:GetObject", "s3:PutObject"], f"arn:aws:s3:::{BUCKET}/*"),
        ),
    )
    accounts.b_iam.put_user_policy(
        UserName="writer", PolicyName="assume", PolicyDocument=policy(allow("sts:AssumeRole", role_arn))
    )
    answer = accounts.writer.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="b-writer")
    role = Keys.of_session(accounts.server, answer).client("s3")
    role.put_object(Bucket=BUCKET, Key="through-role", Body=b"r")
    assert _owner(accounts.s3_a, "through-role") == accounts.canonical(accounts.a_id)
    assert accounts.s3_a.get_object(Bucket=BUCKET, Key="through-role")["Body"].read() == b"r"
    assert [b["Name"] for b in role.list_buckets()["Buckets"]] == [BUCKET]
    assert role.get_bucket_location(Bucket=BUCKET)["LocationConstraint"] is None
    assert [o["Key"] for o in role.list_objects_v2(Bucket=BUCKET)["Contents"]] == ["through-role"]
    accounts.b.client("s3").create_bucket(Bucket="account-b-own")
    accounts.b_iam.put_user_policy(
        UserName="writer", PolicyName="list", PolicyDocument=policy(allow("s3:ListAllMyBuckets", "*"))
    )
    assert [b["Name"] for b in accounts.s3_w.list_buckets()["Buckets"]] == ["account-b-own"]


# ------------------------------------------------------------------------- requests of every kind


def test_same_account_user_without_identity_policy_gets_the_enhanced_message(accounts: Accounts) -> None:
    """``troubleshoot-403-errors``: within the bucket owner's account the message names the
    caller, the action, the quoted resource and why."""
    accounts.bucket()
    local = make_user(accounts.a.client("iam"), accounts.server, "nobody")
    err = error_of(local.client("s3").list_objects_v2, Bucket=BUCKET)
    assert err["Message"] == (
        f"User: arn:aws:iam::{accounts.a_id}:user/nobody is not authorized to perform: s3:ListBucket on "
        f'resource: "arn:aws:s3:::{BUCKET}" because no identity-based policy allows the s3:ListBucket action'
    )


def test_missing_key_is_404_only_for_callers_who_may_list(accounts: Accounts) -> None:
    """``API_GetObject``: without ``s3:ListBucket`` a missing key is 403, with it 404 NoSuchKey."""
    accounts.bucket()
    iam_a = accounts.a.client("iam")
    reader = make_user(
        iam_a, accounts.server, "reader", inline=policy(allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/*"))
    )
    assert error_of(reader.client("s3").get_object, Bucket=BUCKET, Key="none")["Code"] == "AccessDenied"
    iam_a.put_user_policy(UserName="reader", PolicyName="list", PolicyDocument=policy(allow("s3:ListBucket", "*")))
    err = error_of(reader.client("s3").get_object, Bucket=BUCKET, Key="none")
    assert (err["Code"], err["status"]) == ("NoSuchKey", 404)


def test_presigned_urls_sigv2_and_sigv4_carry_the_signers_permissions(accounts: Accounts) -> None:
    """A presigned URL acts as its signer: boto3's default on a custom endpoint (SigV2 query
    auth) and SigV4 both work for a user allowed s3:GetObject, and stop working when the
    user's policy is removed."""
    accounts.bucket()
    accounts.s3_a.put_object(Bucket=BUCKET, Key="shared.txt", Body=b"presigned")
    iam_a = accounts.a.client("iam")
    user = make_user(iam_a, accounts.server, "sharer", inline=policy(allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/*")))
    params = {"Bucket": BUCKET, "Key": "shared.txt"}
    v2 = user.client("s3").generate_presigned_url("get_object", Params=params)
    assert "Signature=" in v2 and "AWSAccessKeyId=" in v2
    v4_client = accounts.server.client(
        "s3", user.access_key_id, user.secret_access_key, config=Config(signature_version="s3v4")
    )
    v4 = v4_client.generate_presigned_url("get_object", Params=params)
    assert "X-Amz-Signature=" in v4
    for url in (v2, v4):
        with urllib.request.urlopen(url) as response:
            assert response.read() == b"presigned"
    iam_a.delete_user_policy(UserName="sharer", PolicyName="sharer-inline")
    for url in (v2, v4):
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(url)
        assert info.value.code == 403


def test_anonymous_access_needs_a_public_policy_and_block_public_access_off(accounts: Accounts) -> None:
    """New buckets block public access: a public bucket policy is refused
    (``access-control-block-public-access``); once the block is removed, the policy is
    accepted, GetBucketPolicyStatus says public, and an anonymous GET succeeds."""
    accounts.bucket()
    accounts.s3_a.put_object(Bucket=BUCKET, Key="public.txt", Body=b"hi")
    url = f"{accounts.server.endpoint}/{BUCKET}/public.txt"
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url)
    assert info.value.code == 403 and b"<Code>AccessDenied</Code>" in info.value.read()
    public = _bucket_policy(allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/*", Principal="*"))
    err = error_of(accounts.s3_a.put_bucket_policy, Bucket=BUCKET, Policy=public)
    assert err["Code"] == "AccessDenied" and "BlockPublicPolicy" in err["Message"]
    accounts.s3_a.delete_public_access_block(Bucket=BUCKET)
    accounts.s3_a.put_bucket_policy(Bucket=BUCKET, Policy=public)
    assert accounts.s3_a.get_bucket_policy_status(Bucket=BUCKET)["PolicyStatus"]["IsPublic"] is True
    with urllib.request.urlopen(url) as response:
        assert response.read() == b"hi"


def test_restrict_public_buckets_cuts_off_other_accounts(accounts: Accounts) -> None:
    """``RestrictPublicBuckets``: with a public policy, only the bucket owner's account (and AWS
    services) keep access through it; B's user, allowed by the same public statement, is denied."""
    accounts.bucket()
    accounts.s3_a.delete_public_access_block(Bucket=BUCKET)
    accounts.s3_a.put_bucket_policy(
        Bucket=BUCKET, Policy=_bucket_policy(allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/*", Principal="*"))
    )
    accounts.s3_a.put_object(Bucket=BUCKET, Key="k", Body=b"v")
    assert accounts.s3_w.get_object(Bucket=BUCKET, Key="k")["Body"].read() == b"v"
    accounts.s3_a.put_public_access_block(Bucket=BUCKET, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
    assert error_of(accounts.s3_w.get_object, Bucket=BUCKET, Key="k")["Code"] == "AccessDenied"


def test_account_level_block_public_access_applies_to_every_bucket(accounts: Accounts) -> None:
    """S3 Control's PutPublicAccessBlock for the account: the most restrictive of account and
    bucket settings applies, so a bucket without its own block still refuses a public policy."""
    accounts.bucket()
    accounts.s3_a.delete_public_access_block(Bucket=BUCKET)
    control = accounts.a.client("s3control")
    # botocore's endpoint rules put the account id in front of the host
    # (``{AccountId}.127.0.0.1``), which does not resolve: send to the endpoint as given.
    control.meta.events.register("before-sign.s3-control.*", _strip_account_host)
    control.put_public_access_block(AccountId=accounts.a_id, PublicAccessBlockConfiguration={"BlockPublicPolicy": True})
    got = control.get_public_access_block(AccountId=accounts.a_id)["PublicAccessBlockConfiguration"]
    assert got["BlockPublicPolicy"] is True and got["BlockPublicAcls"] is False
    public = _bucket_policy(allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/*", Principal="*"))
    assert error_of(accounts.s3_a.put_bucket_policy, Bucket=BUCKET, Policy=public)["Code"] == "AccessDenied"
    control.delete_public_access_block(AccountId=accounts.a_id)
    accounts.s3_a.put_bucket_policy(Bucket=BUCKET, Policy=public)


def test_expected_bucket_owner(accounts: Accounts) -> None:
    """``bucket-owner-condition``: a request naming another expected owner is refused with 403."""
    accounts.bucket()
    accounts.s3_a.head_bucket(Bucket=BUCKET, ExpectedBucketOwner=accounts.a_id)
    err = error_of(accounts.s3_a.list_objects_v2, Bucket=BUCKET, ExpectedBucketOwner=accounts.b_id)
    assert (err["Code"], err["status"]) == ("AccessDenied", 403)


def test_same_organization_gets_the_enhanced_message_across_accounts(accounts: Accounts) -> None:
    """``troubleshoot-403-errors``: the enhanced message is for requests "within the same AWS
    account, or the same organization in AWS Organizations": a member account's user, allowed
    by its own policy but not by the management account's bucket, reads why."""
    accounts.bucket()
    orgs = accounts.a.client("organizations")
    member = orgs.create_account(Email="member@example.com", AccountName="member")["CreateAccountStatus"]["AccountId"]
    member_iam = root_keys(accounts.server, member).client("iam")
    reader = make_user(
        member_iam, accounts.server, "reader", inline=policy(allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/*"))
    )
    accounts.s3_a.put_object(Bucket=BUCKET, Key="k", Body=b"v")
    err = error_of(reader.client("s3").get_object, Bucket=BUCKET, Key="k")
    assert err["Message"] == (
        f"User: arn:aws:iam::{member}:user/reader is not authorized to perform: s3:GetObject on resource: "
        f'"arn:aws:s3:::{BUCKET}/k" because no resource-based policy allows the s3:GetObject action'
    )
