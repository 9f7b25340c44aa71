"""The AWS CLI's ``aws s3`` and ``aws s3api`` commands against the S3 endpoint.

- ``aws s3 cp`` switches to a multipart upload above ``multipart_threshold`` (8 MB by default)
  in parts of ``multipart_chunksize`` (8 MB by default) (AWS CLI Command Reference, topic
  ``s3-config``), and downloads such an object in ranged GETs after a HeadObject.
- ``aws s3 ls`` prints the caller's buckets, or the objects and ``PRE`` common prefixes under a
  prefix (AWS CLI Command Reference, ``s3/ls``).
- A bucket policy naming an IAM user of the bucket owner's account is enough for that user, who
  has no identity-based policy at all (IAM User Guide, ``reference_policies_evaluation-logic``:
  "If either the identity-based policy or the resource-based policy within the same account
  allows the request and the other doesn't, the request is still allowed").
- Block Public Access is on for new buckets and ``BlockPublicPolicy`` refuses a public bucket
  policy (Amazon S3 User Guide, ``access-control-block-public-access``).

The CLI runs in a subprocess with a temporary ``AWS_CONFIG_FILE``,
``AWS_SHARED_CREDENTIALS_FILE`` and ``HOME`` (as in ``test_aws_cli``), ``endpoint_url`` in the
config file, and ``TZ=UTC`` so the times ``aws s3 ls`` prints (in local time) are predictable.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import AwsCli, make_user

from localiam.testing import LocaliamServer

MIB = 1024 * 1024
CHUNK = 8 * MIB  # the CLI's default multipart_threshold and multipart_chunksize
SERVICE_ERROR = (254, 255)  # a service error from ``aws s3api``: 254 in CLI v2, 255 in v1


class Cli(AwsCli):
    """:class:`AwsCli` with the management account's root keys in profile ``owner``."""

    def __init__(self, server: LocaliamServer, directory: Path) -> None:
        super().__init__(server, directory, profile="owner")

    def __call__(self, *args: str, profile: str = "owner") -> subprocess.CompletedProcess[str]:
        return self.run([*args, "--profile", profile, "--output", "json"])

    def json(self, *args: str, profile: str = "owner") -> Any:
        done = self(*args, profile=profile)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


@pytest.fixture
def cli(server: LocaliamServer, tmp_path: Path) -> Cli:
    return Cli(server, tmp_path)


@pytest.fixture
def s3(server: LocaliamServer) -> Any:
    """boto3 as the management account's root user, for setting the scene."""
    return server.client("s3")


def multipart_etag(data: bytes, part_size: int) -> str:
    """S3's ETag of a multipart upload: the MD5 of the parts' binary MD5s, ``-`` and the
    number of parts (Amazon S3 User Guide, ``checking-object-integrity``)."""
    parts = [data[i : i + part_size] for i in range(0, len(data), part_size)]
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


def ls_time(value: str) -> str:
    """A timestamp of ``aws s3api`` JSON output as ``aws s3 ls`` prints it (``TZ=UTC``)."""
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def test_cp_of_20_mb_is_a_multipart_upload_and_downloads_byte_identical(cli, tmp_path):
    """AWS CLI topic ``s3-config``: ``multipart_threshold`` "Default value: 8MB" and
    ``multipart_chunksize`` "Default value: 8MB", so 20 MB goes up in three parts
    (8 + 8 + 4 MB) and its ETag is the multipart form ``"<md5 of part md5s>-3"`` (Amazon S3 User
    Guide, ``checking-object-integrity``); ``aws s3 cp`` down gets the same bytes back."""
    data = os.urandom(20 * MIB)
    source = tmp_path / "big.bin"
    source.write_bytes(data)

    done = cli("s3", "mb", "s3://cli-transfers")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "make_bucket: cli-transfers\n"

    done = cli("s3", "cp", "big.bin", "s3://cli-transfers/data/big.bin", "--no-progress")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "upload: ./big.bin to s3://cli-transfers/data/big.bin\n"

    expected_etag = multipart_etag(data, CHUNK)
    assert expected_etag.endswith('-3"')
    listed = cli.json("s3api", "list-objects-v2", "--bucket", "cli-transfers")
    assert [(o["Key"], o["Size"], o["ETag"]) for o in listed["Contents"]] == [("data/big.bin", 20 * MIB, expected_etag)]
    head = cli.json("s3api", "head-object", "--bucket", "cli-transfers", "--key", "data/big.bin")
    assert head["ETag"] == expected_etag
    assert head["ContentLength"] == 20 * MIB

    done = cli("s3", "cp", "s3://cli-transfers/data/big.bin", "back.bin", "--no-progress")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "download: s3://cli-transfers/data/big.bin to ./back.bin\n"
    back = (tmp_path / "back.bin").read_bytes()
    assert len(back) == len(data)
    assert hashlib.sha256(back).hexdigest() == hashlib.sha256(data).hexdigest()


def test_ls_prints_the_callers_buckets_and_a_prefix_as_the_cli_does(server, cli, s3):
    """AWS CLI Command Reference ``s3/ls``: without a path it lists "all S3 buckets" of the
    caller (``API_ListBuckets``: "all buckets owned by the authenticated sender of the
    request"), one ``<date> <time> <name>`` line each; with ``s3://bucket/prefix/`` it lists
    the common prefixes as ``PRE name/`` and the objects as ``<date> <time> <size> <name>``
    (``--recursive`` not given: the listing uses ``/`` as delimiter)."""
    for name in ("alpha-reports", "beta-logs"):
        s3.create_bucket(Bucket=name)
    # A bucket of another account is not the caller's.
    other = server.create_account()
    server.client("s3", other.access_key_id, other.secret_access_key).create_bucket(Bucket="gamma-elsewhere")
    objects = {
        "docs/a.txt": b"hello",
        "docs/readme.md": b"x" * 1234,
        "docs/sub/c.txt": b"c",
        "docs/sub/deeper/d.txt": b"d",
        "docs/tmp/e.txt": b"e",
        "docsother.txt": b"not under docs/",
        "top.txt": b"top",
    }
    for key, body in objects.items():
        s3.put_object(Bucket="alpha-reports", Key=key, Body=body)

    listed = cli.json("s3api", "list-objects-v2", "--bucket", "alpha-reports", "--prefix", "docs/", "--delimiter", "/")
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["docs/sub/", "docs/tmp/"]
    times = {o["Key"]: ls_time(o["LastModified"]) for o in listed["Contents"]}
    assert sorted(times) == ["docs/a.txt", "docs/readme.md"]
    done = cli("s3", "ls", "s3://alpha-reports/docs/")
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "                           PRE sub/\n"
        "                           PRE tmp/\n"
        f"{times['docs/a.txt']}          5 a.txt\n"
        f"{times['docs/readme.md']}       1234 readme.md\n"
    )

    # Without the trailing slash the prefix itself is a common prefix next to the key it starts.
    done = cli("s3", "ls", "s3://alpha-reports/docs")
    assert done.returncode == 0, done.stderr
    (other,) = cli.json("s3api", "list-objects-v2", "--bucket", "alpha-reports", "--prefix", "docso")["Contents"]
    other_time = ls_time(other["LastModified"])
    assert done.stdout == f"                           PRE docs/\n{other_time}         15 docsother.txt\n"

    # The caller's buckets only, each as "<date> <time> <name>" (the date S3 sends as an XML
    # timestamp, ISO 8601, e.g. "2006-02-03T16:45:09.000Z" in ``API_ListBuckets``'s example).
    done = cli("s3", "ls")
    assert done.returncode == 0, done.stderr
    buckets = cli.json("s3api", "list-buckets")["Buckets"]
    assert [b["Name"] for b in buckets] == ["alpha-reports", "beta-logs"]
    assert done.stdout == "".join(f"{ls_time(b['CreationDate'])} {b['Name']}\n" for b in buckets)


def test_bucket_policy_naming_a_user_of_the_account_lets_it_download(server, iam, cli, s3, tmp_path):
    """IAM User Guide ``reference_policies_evaluation-logic`` (requests within a single
    account): a bucket policy naming the user's ARN allows the user, who has no identity-based
    policy. ``aws s3api put-bucket-policy --policy file://...`` stores it and
    ``get-bucket-policy`` returns it (AWS CLI Command Reference, ``s3api/put-bucket-policy``,
    ``s3api/get-bucket-policy``). Before it, ``aws s3 cp`` fails on its HeadObject, which has
    no body to carry an error code ("An error occurred (403) when calling the HeadObject
    operation: Forbidden"), and ``aws s3api get-object`` shows S3's AccessDenied with the
    enhanced message for a same-account request (Amazon S3 User Guide,
    ``troubleshoot-403-errors``)."""
    acct = server.account_id
    reader = make_user(iam, server, "reader")
    cli.add_profile("reader", reader)
    s3.create_bucket(Bucket="shared-reports")
    s3.put_object(Bucket="shared-reports", Key="q1/report.csv", Body=b"region,total\neu,42\n")
    target = tmp_path / "report.csv"

    done = cli("s3", "cp", "s3://shared-reports/q1/report.csv", "report.csv", profile="reader")
    assert done.returncode == 1  # "at least one or more s3 transfers failed"
    assert done.stderr == "fatal error: An error occurred (403) when calling the HeadObject operation: Forbidden\n"
    assert not target.exists()
    done = cli(
        "s3api", "get-object", "--bucket", "shared-reports", "--key", "q1/report.csv", "report.csv", profile="reader"
    )
    assert done.returncode in SERVICE_ERROR
    assert (
        "An error occurred (AccessDenied) when calling the GetObject operation: "
        f"User: arn:aws:iam::{acct}:user/reader is not authorized to perform: s3:GetObject on resource: "
        '"arn:aws:s3:::shared-reports/q1/report.csv" because no identity-based policy allows the s3:GetObject action'
    ) in done.stderr

    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReaderGetsReports",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{acct}:user/reader"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::shared-reports/*",
            }
        ],
    }
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(json.dumps(document, indent=2))
    done = cli("s3api", "put-bucket-policy", "--bucket", "shared-reports", "--policy", f"file://{policy_file}")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    stored = cli.json("s3api", "get-bucket-policy", "--bucket", "shared-reports")
    assert json.loads(stored["Policy"]) == document

    done = cli("s3", "cp", "s3://shared-reports/q1/report.csv", "report.csv", "--no-progress", profile="reader")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "download: s3://shared-reports/q1/report.csv to ./report.csv\n"
    assert target.read_bytes() == b"region,total\neu,42\n"
    # The policy grants s3:GetObject only: listing the bucket is still an implicit deny.
    done = cli("s3", "ls", "s3://shared-reports/", profile="reader")
    assert done.returncode in SERVICE_ERROR
    assert (
        "An error occurred (AccessDenied) when calling the ListObjectsV2 operation: "
        f"User: arn:aws:iam::{acct}:user/reader is not authorized to perform: s3:ListBucket on resource: "
        '"arn:aws:s3:::shared-reports" because no identity-based policy allows the s3:ListBucket action'
    ) in done.stderr


def test_public_bucket_policy_is_refused_until_block_public_access_is_removed(server, cli, s3, tmp_path):
    """Amazon S3 User Guide ``access-control-block-public-access`` and ``create-bucket-overview``:
    new buckets have all four Block Public Access settings on; ``BlockPublicPolicy`` makes S3
    "reject calls to PUT Bucket policy if the specified bucket policy allows public access"
    (``API_PublicAccessBlockConfiguration``) with AccessDenied, and a policy granting
    ``Principal: "*"`` with no fixing condition is public. After
    ``aws s3api delete-public-access-block`` the policy is accepted and
    ``get-bucket-policy-status`` reports ``IsPublic: true`` (``API_GetBucketPolicyStatus``);
    anyone may then read the bucket's objects, unsigned requests included."""
    acct = server.account_id
    s3.create_bucket(Bucket="open-data")
    s3.put_object(Bucket="open-data", Key="index.html", Body=b"<h1>hello</h1>")

    block = cli.json("s3api", "get-public-access-block", "--bucket", "open-data")
    assert block == {
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        }
    }

    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::open-data/*",
            }
        ],
    }
    policy_file = tmp_path / "public.json"
    policy_file.write_text(json.dumps(document))
    done = cli("s3api", "put-bucket-policy", "--bucket", "open-data", "--policy", f"file://{policy_file}")
    assert done.returncode in SERVICE_ERROR
    assert "An error occurred (AccessDenied) when calling the PutBucketPolicy operation: " in done.stderr
    assert "BlockPublicPolicy" in done.stderr
    assert f"arn:aws:iam::{acct}:root" in done.stderr
    # Nothing was stored.
    done = cli("s3api", "get-bucket-policy", "--bucket", "open-data")
    assert done.returncode in SERVICE_ERROR
    assert "An error occurred (NoSuchBucketPolicy) when calling the GetBucketPolicy operation" in done.stderr

    done = cli("s3api", "delete-public-access-block", "--bucket", "open-data")
    assert done.returncode == 0, done.stderr
    done = cli("s3api", "put-bucket-policy", "--bucket", "open-data", "--policy", f"file://{policy_file}")
    assert done.returncode == 0, done.stderr
    assert cli.json("s3api", "get-bucket-policy-status", "--bucket", "open-data") == {
        "PolicyStatus": {"IsPublic": True}
    }
    # The public policy now lets an anonymous caller read.
    done = cli("s3", "cp", "s3://open-data/index.html", "-", "--no-sign-request")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "<h1>hello</h1>"
