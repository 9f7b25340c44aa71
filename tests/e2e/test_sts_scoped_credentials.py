"""STS ``GetScopedCredentials`` with boto3 (STS API Reference ``API_GetScopedCredentials``): a
scoped-down copy of the caller's temporary credentials that keeps its identity and holds only
the intersection of the session's permissions and the scope-down policy."""

from __future__ import annotations

import json
from typing import Any

import pytest
from e2e_helpers import Keys, allow, error_of, make_user, policy, trust

from localiam.testing import LocaliamServer


@pytest.fixture
def session(server: LocaliamServer, iam: Any) -> tuple[Keys, str]:
    """A role session that may read and write the bucket ``data``."""
    server.client("s3").create_bucket(Bucket="data")
    caller = make_user(iam, server, "worker", inline=policy(allow("sts:AssumeRole")))
    role = iam.create_role(
        RoleName="writer", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{server.account_id}:user/worker"})
    )["Role"]["Arn"]
    iam.put_role_policy(
        RoleName="writer",
        PolicyName="rw",
        PolicyDocument=policy(allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::data/*")),
    )
    answer = caller.client("sts").assume_role(RoleArn=role, RoleSessionName="job-7", DurationSeconds=3600)
    return Keys.of_session(server, answer), role


def scoped(keys: Keys, **params: Any) -> tuple[Keys, dict[str, Any]]:
    answer = keys.client("sts").get_scoped_credentials(**params)
    return Keys.of_session(keys.server, answer), answer


def test_scoped_credentials_keep_the_identity_and_lose_permissions(
    server: LocaliamServer, session: tuple[Keys, str]
) -> None:
    keys, _role = session
    reports_only = policy(allow("s3:GetObject", "arn:aws:s3:::data/reports/*"))
    narrow, answer = scoped(keys, Policy=reports_only, ScopedSessionDescription="nightly report")
    assert answer["ScopedPoliciesCount"] == 1
    assert narrow.client("sts").get_caller_identity()["Arn"] == keys.client("sts").get_caller_identity()["Arn"]
    keys.client("s3").put_object(Bucket="data", Key="reports/a.csv", Body=b"a")
    assert narrow.client("s3").get_object(Bucket="data", Key="reports/a.csv")["Body"].read() == b"a"
    err = error_of(narrow.client("s3").put_object, Bucket="data", Key="reports/b.csv", Body=b"b")
    assert err["Code"] == "AccessDenied"
    assert "because no session policy allows the s3:PutObject action" in err["Message"]
    assert error_of(narrow.client("s3").get_object, Bucket="data", Key="other.csv")["Code"] == "AccessDenied"
    # The scope-down policy cannot add: IAM is not in the role's policy.
    wider, _ = scoped(keys, Policy=policy(allow("*")))
    assert error_of(wider.client("iam").list_users)["Code"] == "AccessDenied"
    # Scoping again narrows again: both scope-down policies must allow.
    narrower, answer = scoped(narrow, Policy=policy(allow("s3:GetObject", "arn:aws:s3:::data/other/*")))
    assert answer["ScopedPoliciesCount"] == 2
    assert error_of(narrower.client("s3").get_object, Bucket="data", Key="reports/a.csv")["Code"] == "AccessDenied"


def test_a_resource_policy_grant_is_scoped_down_too(server: LocaliamServer, session: tuple[Keys, str]) -> None:
    keys, _role = session
    session_arn = keys.client("sts").get_caller_identity()["Arn"]
    server.client("s3").create_bucket(Bucket="inbox")
    server.client("s3").put_bucket_policy(
        Bucket="inbox",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": session_arn},
                        "Action": "s3:PutObject",
                        "Resource": "arn:aws:s3:::inbox/*",
                    }
                ],
            }
        ),
    )
    keys.client("s3").put_object(Bucket="inbox", Key="x", Body=b"x")  # the bucket policy names the session
    narrow, _ = scoped(keys, Policy=policy(allow("s3:GetObject", "arn:aws:s3:::data/*")))
    assert error_of(narrow.client("s3").put_object, Bucket="inbox", Key="y", Body=b"y")["Code"] == "AccessDenied"


def test_duration_token_size_and_refusals(server: LocaliamServer, iam: Any, session: tuple[Keys, str]) -> None:
    keys, _role = session
    short, answer = scoped(keys, DurationSeconds=60, MinimumSessionTokenSize=2048)
    assert answer["SessionTokenSize"] >= 2048 and len(answer["Credentials"]["SessionToken"]) >= 2048
    keys.client("s3").put_object(Bucket="data", Key="kept.txt", Body=b"k")
    assert short.client("s3").get_object(Bucket="data", Key="kept.txt")["Body"].read() == b"k"  # same permissions
    issued = answer["Credentials"]["Expiration"].timestamp()
    assert abs(issued - (server.pipeline.clock() + 60)) < 5
    _long, answer = scoped(keys, DurationSeconds=129600)  # never past the calling session's end
    assert answer["Credentials"]["Expiration"].timestamp() <= server.pipeline.clock() + 3600 + 5
    err = error_of(keys.client("sts").get_scoped_credentials)
    assert (err["Code"], err["Message"]) == (
        "ValidationError",
        "At least one of Policy or DurationSeconds must be specified.",
    )
    user = make_user(iam, server, "plain")
    err = error_of(user.client("sts").get_scoped_credentials, DurationSeconds=60)
    assert err["Code"] == "AccessDenied"
