"""Bucket settings with boto3 against a real server: ownership controls, tagging, lifecycle,
CORS and default encryption, each stored and returned as the Amazon S3 API Reference shows, and
AWS's not-found errors once deleted. Each test's docstring names the page it follows.
"""

from __future__ import annotations

from typing import Any

import pytest
from e2e_helpers import allow, error_of, make_user, policy, root_keys, trust

from localiam.testing import LocaliamServer

BUCKET = "settings-bucket"


@pytest.fixture
def s3(server: LocaliamServer) -> Any:
    client = root_keys(server).client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def test_deleted_ownership_controls_are_gone(s3: Any) -> None:
    """``API_GetBucketOwnershipControls``: a bucket has no OwnershipControls after "You've
    manually deleted the bucket ownership control value using the DeleteBucketOwnershipControls
    API operation"; the answer is 404 ``OwnershipControlsNotFoundError``. Objects are then
    owned as under ``ObjectWriter``; putting controls back brings them back."""
    rules = s3.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    s3.delete_bucket_ownership_controls(Bucket=BUCKET)
    err = error_of(s3.get_bucket_ownership_controls, Bucket=BUCKET)
    assert (err["Code"], err["status"]) == ("OwnershipControlsNotFoundError", 404)
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"x", ACL="private")
    s3.put_bucket_ownership_controls(
        Bucket=BUCKET, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    )
    rules = s3.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerPreferred"}]


def test_bucket_tagging(s3: Any) -> None:
    """``API_PutBucketTagging`` / ``API_GetBucketTagging`` / ``API_DeleteBucketTagging``: a
    bucket without tags answers 404 ``NoSuchTagSet``; a put replaces the whole set; a key
    given twice is ``InvalidTag``; the reserved ``aws:`` prefix is refused."""
    err = error_of(s3.get_bucket_tagging, Bucket=BUCKET)
    assert (err["Code"], err["status"]) == ("NoSuchTagSet", 404)
    tags = [{"Key": "team", "Value": "data"}, {"Key": "env", "Value": ""}]
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": tags})
    assert s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"] == tags
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [{"Key": "only", "Value": "1"}]})
    assert s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"] == [{"Key": "only", "Value": "1"}]
    twice = [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]
    assert error_of(s3.put_bucket_tagging, Bucket=BUCKET, Tagging={"TagSet": twice})["Code"] == "InvalidTag"
    reserved = [{"Key": "aws:owner", "Value": "x"}]
    assert error_of(s3.put_bucket_tagging, Bucket=BUCKET, Tagging={"TagSet": reserved})["Code"] == "InvalidTag"
    s3.delete_bucket_tagging(Bucket=BUCKET)
    assert error_of(s3.get_bucket_tagging, Bucket=BUCKET)["Code"] == "NoSuchTagSet"


def test_bucket_lifecycle_configuration(s3: Any) -> None:
    """``API_PutBucketLifecycleConfiguration`` / ``API_GetBucketLifecycleConfiguration`` /
    ``API_DeleteBucketLifecycle``: the rules are stored and returned as put (dates included);
    none is 404 ``NoSuchLifecycleConfiguration``; IDs must be unique (``InvalidArgument``)
    and a rule needs an action (``API_LifecycleRule``)."""
    err = error_of(s3.get_bucket_lifecycle_configuration, Bucket=BUCKET)
    assert (err["Code"], err["status"]) == ("NoSuchLifecycleConfiguration", 404)
    rules = [
        {"ID": "logs", "Filter": {"Prefix": "logs/"}, "Status": "Enabled", "Expiration": {"Days": 30}},
        {
            "ID": "old",
            "Filter": {"Tag": {"Key": "tier", "Value": "cold"}},
            "Status": "Disabled",
            "Transitions": [{"Days": 90, "StorageClass": "GLACIER"}],
            "NoncurrentVersionExpiration": {"NoncurrentDays": 7},
        },
        {
            "ID": "uploads",
            "Filter": {},
            "Status": "Enabled",
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2},
        },
    ]
    s3.put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration={"Rules": rules})
    got = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)
    assert got["Rules"] == rules
    assert got["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    same_id = [dict(rules[0]), dict(rules[0])]
    err = error_of(s3.put_bucket_lifecycle_configuration, Bucket=BUCKET, LifecycleConfiguration={"Rules": same_id})
    assert err["Code"] == "InvalidArgument"
    no_action = [{"ID": "x", "Filter": {}, "Status": "Enabled"}]
    err = error_of(s3.put_bucket_lifecycle_configuration, Bucket=BUCKET, LifecycleConfiguration={"Rules": no_action})
    assert err["Code"] == "InvalidRequest"
    s3.delete_bucket_lifecycle(Bucket=BUCKET)
    assert error_of(s3.get_bucket_lifecycle_configuration, Bucket=BUCKET)["Code"] == "NoSuchLifecycleConfiguration"


def test_bucket_cors_configuration(s3: Any) -> None:
    """``API_PutBucketCors`` / ``API_GetBucketCors`` / ``API_DeleteBucketCors``: stored and
    returned; none is 404 ``NoSuchCORSConfiguration``; a method S3 does not know is
    ``InvalidRequest`` (``API_CORSRule``: GET, PUT, HEAD, POST, DELETE)."""
    err = error_of(s3.get_bucket_cors, Bucket=BUCKET)
    assert (err["Code"], err["status"]) == ("NoSuchCORSConfiguration", 404)
    rules = [
        {
            "ID": "web",
            "AllowedOrigins": ["https://app.example.com"],
            "AllowedMethods": ["GET", "PUT"],
            "AllowedHeaders": ["*"],
            "ExposeHeaders": ["ETag"],
            "MaxAgeSeconds": 600,
        }
    ]
    s3.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRules": rules})
    assert s3.get_bucket_cors(Bucket=BUCKET)["CORSRules"] == rules
    bad = [{"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}]
    err = error_of(s3.put_bucket_cors, Bucket=BUCKET, CORSConfiguration={"CORSRules": bad})
    assert err["Code"] == "InvalidRequest" and "PATCH" in err["Message"]
    s3.delete_bucket_cors(Bucket=BUCKET)
    assert error_of(s3.get_bucket_cors, Bucket=BUCKET)["Code"] == "NoSuchCORSConfiguration"


def test_bucket_default_encryption(s3: Any) -> None:
    """``default-bucket-encryption``: every bucket has default encryption, SSE-S3 unless
    configured; ``API_PutBucketEncryption`` stores SSE-KMS with its key and bucket key;
    ``API_DeleteBucketEncryption`` "resets the default encryption for the bucket as
    server-side encryption with Amazon S3 managed keys (SSE-S3)" - so, as on AWS today, a
    general purpose bucket never answers ``ServerSideEncryptionConfigurationNotFoundError``.
    A KMS key with ``AES256`` is ``InvalidArgument`` (``API_ServerSideEncryptionByDefault``)."""
    default = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert default == [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]
    kms = {
        "Rules": [
            {
                "ApplyServerSideEncryptionByDefault": {
                    "SSEAlgorithm": "aws:kms",
                    "KMSMasterKeyID": "arn:aws:kms:us-east-1:123456789012:key/abcd",
                },
                "BucketKeyEnabled": True,
            }
        ]
    }
    s3.put_bucket_encryption(Bucket=BUCKET, ServerSideEncryptionConfiguration=kms)
    assert s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"] == kms
    wrong = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": "k"}}]}
    err = error_of(s3.put_bucket_encryption, Bucket=BUCKET, ServerSideEncryptionConfiguration=wrong)
    assert err["Code"] == "InvalidArgument"
    s3.delete_bucket_encryption(Bucket=BUCKET)
    rules = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


def test_configuration_operations_are_authorized_as_their_actions(server: LocaliamServer, iam: Any, s3: Any) -> None:
    """Service Authorization Reference (``list_amazons3``): tagging is ``s3:PutBucketTagging`` /
    ``s3:GetBucketTagging`` (DeleteBucketTagging too is ``s3:PutBucketTagging``), lifecycle
    ``s3:PutLifecycleConfiguration``, CORS ``s3:PutBucketCORS``, encryption
    ``s3:PutEncryptionConfiguration``."""
    arn = f"arn:aws:s3:::{BUCKET}"
    user = make_user(
        iam, server, "tagger", inline=policy(allow(["s3:GetBucketTagging", "s3:PutBucketTagging"], arn))
    ).client("s3")
    user.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    user.delete_bucket_tagging(Bucket=BUCKET)
    for call, kwargs, action in (
        (user.get_bucket_cors, {}, "s3:GetBucketCORS"),
        (user.delete_bucket_lifecycle, {}, "s3:PutLifecycleConfiguration"),
        (user.delete_bucket_encryption, {}, "s3:PutEncryptionConfiguration"),
        (user.put_bucket_versioning, {"VersioningConfiguration": {"Status": "Enabled"}}, "s3:PutBucketVersioning"),
    ):
        err = error_of(call, Bucket=BUCKET, **kwargs)
        assert err["Code"] == "AccessDenied" and action in err["Message"], err


def test_objects_are_encrypted_by_the_request_or_the_bucket_default(s3: Any) -> None:
    """``default-bucket-encryption``: an object put without encryption headers is encrypted by
    the bucket's default (SSE-S3 unless configured) and PutObject, HeadObject and GetObject say
    so in ``x-amz-server-side-encryption``; a request's own ``ServerSideEncryption`` wins
    (``API_PutObject``)."""
    assert s3.put_object(Bucket=BUCKET, Key="plain", Body=b"x")["ServerSideEncryption"] == "AES256"
    assert s3.head_object(Bucket=BUCKET, Key="plain")["ServerSideEncryption"] == "AES256"
    key_arn = "arn:aws:kms:us-east-1:123456789012:key/abcd"
    default = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}
    s3.put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": True}]
        },
    )
    put = s3.put_object(Bucket=BUCKET, Key="kms", Body=b"x")
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"], put["BucketKeyEnabled"]) == ("aws:kms", key_arn, True)
    got = s3.get_object(Bucket=BUCKET, Key="kms")
    assert (got["ServerSideEncryption"], got["SSEKMSKeyId"]) == ("aws:kms", key_arn)
    own = s3.put_object(Bucket=BUCKET, Key="own", Body=b"x", ServerSideEncryption="AES256")
    assert own["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in own


def test_the_settings_terraform_reads_back(server: LocaliamServer, iam: Any, s3: Any) -> None:
    """What ``aws_s3_bucket`` refreshes after creating a bucket, each as the API Reference
    shows it: ``API_GetBucketWebsite`` (404 ``NoSuchWebsiteConfiguration``),
    ``API_GetBucketLogging`` (empty when off), ``API_GetBucketRequestPayment`` (``BucketOwner``),
    ``API_GetBucketAccelerateConfiguration`` (no status), ``API_GetBucketReplication`` (404
    ``ReplicationConfigurationNotFoundError``; versioning must be enabled first),
    ``API_GetBucketNotificationConfiguration`` (empty) and ``API_GetObjectLockConfiguration``
    (404 ``ObjectLockConfigurationNotFoundError``); each put is returned."""
    assert error_of(s3.get_bucket_website, Bucket=BUCKET)["Code"] == "NoSuchWebsiteConfiguration"
    website = {"IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"}}
    s3.put_bucket_website(Bucket=BUCKET, WebsiteConfiguration=website)
    got = s3.get_bucket_website(Bucket=BUCKET)
    assert (got["IndexDocument"], got["ErrorDocument"]) == (website["IndexDocument"], website["ErrorDocument"])
    s3.delete_bucket_website(Bucket=BUCKET)
    assert error_of(s3.get_bucket_website, Bucket=BUCKET)["status"] == 404

    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=BUCKET)
    s3.create_bucket(Bucket="settings-logs")
    enabled = {"TargetBucket": "settings-logs", "TargetPrefix": "access/"}
    s3.put_bucket_logging(Bucket=BUCKET, BucketLoggingStatus={"LoggingEnabled": enabled})
    assert s3.get_bucket_logging(Bucket=BUCKET)["LoggingEnabled"] == enabled
    missing = {"LoggingEnabled": {"TargetBucket": "no-such-logs", "TargetPrefix": ""}}
    err = error_of(s3.put_bucket_logging, Bucket=BUCKET, BucketLoggingStatus=missing)
    assert err["Code"] == "InvalidTargetBucketForLogging"

    assert s3.get_bucket_request_payment(Bucket=BUCKET)["Payer"] == "BucketOwner"
    s3.put_bucket_request_payment(Bucket=BUCKET, RequestPaymentConfiguration={"Payer": "Requester"})
    assert s3.get_bucket_request_payment(Bucket=BUCKET)["Payer"] == "Requester"

    assert "Status" not in s3.get_bucket_accelerate_configuration(Bucket=BUCKET)
    s3.put_bucket_accelerate_configuration(Bucket=BUCKET, AccelerateConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_accelerate_configuration(Bucket=BUCKET)["Status"] == "Enabled"

    err = error_of(s3.get_bucket_replication, Bucket=BUCKET)
    assert (err["Code"], err["status"]) == ("ReplicationConfigurationNotFoundError", 404)
    role = iam.create_role(RoleName="replication", AssumeRolePolicyDocument=trust({"Service": "s3.amazonaws.com"}))
    replication = {
        "Role": role["Role"]["Arn"],
        "Rules": [
            {
                "ID": "all",
                "Priority": 1,
                "Status": "Enabled",
                "Filter": {},
                "Destination": {"Bucket": "arn:aws:s3:::settings-logs"},
                "DeleteMarkerReplication": {"Status": "Disabled"},
            }
        ],
    }
    err = error_of(s3.put_bucket_replication, Bucket=BUCKET, ReplicationConfiguration=replication)
    assert (err["Code"], err["status"]) == ("InvalidRequest", 400)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_replication(Bucket=BUCKET, ReplicationConfiguration=replication)
    assert s3.get_bucket_replication(Bucket=BUCKET)["ReplicationConfiguration"] == replication
    s3.delete_bucket_replication(Bucket=BUCKET)
    assert error_of(s3.get_bucket_replication, Bucket=BUCKET)["status"] == 404

    answer = s3.get_bucket_notification_configuration(Bucket=BUCKET)
    assert not any(k.endswith("Configurations") for k in answer)
    events = {"EventBridgeConfiguration": {}}
    s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration=events)
    err = error_of(s3.get_object_lock_configuration, Bucket=BUCKET)
    assert (err["Code"], err["status"]) == ("ObjectLockConfigurationNotFoundError", 404)


def test_replication_needs_iam_pass_role_for_its_role(server: LocaliamServer, iam: Any, s3: Any) -> None:
    """``setting-repl-config-perm-overview``: whoever puts a replication configuration must be
    allowed ``iam:PassRole`` on its role, besides ``s3:PutReplicationConfiguration``."""
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    role = iam.create_role(RoleName="repl", AssumeRolePolicyDocument=trust({"Service": "s3.amazonaws.com"}))
    arn = role["Role"]["Arn"]
    config = {
        "Role": arn,
        "Rules": [
            {
                "Status": "Enabled",
                "Priority": 1,
                "Filter": {},
                "Destination": {"Bucket": "arn:aws:s3:::x-dst"},
                "DeleteMarkerReplication": {"Status": "Disabled"},
            }
        ],
    }
    statement = allow("s3:PutReplicationConfiguration", f"arn:aws:s3:::{BUCKET}")
    user = make_user(iam, server, "replicator", inline=policy(statement)).client("s3")
    err = error_of(user.put_bucket_replication, Bucket=BUCKET, ReplicationConfiguration=config)
    assert err["Code"] == "AccessDenied" and "iam:PassRole" in err["Message"]
    iam.put_user_policy(
        UserName="replicator", PolicyName="pass", PolicyDocument=policy(statement, allow("iam:PassRole", arn))
    )
    user.put_bucket_replication(Bucket=BUCKET, ReplicationConfiguration=config)
