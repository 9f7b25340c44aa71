"""The seed's third way of federation, a custom identity broker, with boto3: the broker signs
people in itself and hands each one credentials from ``GetFederationToken`` with a session
policy scoped to them. What they may do is the intersection of the broker's permissions and
that policy (``id_credentials_temp_control-access_getfederationtoken``; IAM User Guide
``id_roles_common-scenarios_federated-users``, "Custom identity broker")."""

from __future__ import annotations

import json
from typing import Any

from e2e_helpers import Keys, allow, error_of, make_user, policy

from localiam.testing import LocaliamServer


def test_a_broker_hands_out_credentials_that_are_the_intersection(server: LocaliamServer, iam: Any) -> None:
    s3 = server.client("s3")
    s3.create_bucket(Bucket="reports")
    s3.put_object(Bucket="reports", Key="carol/q1.csv", Body=b"1,2,3")
    s3.put_object(Bucket="reports", Key="dave/q1.csv", Body=b"4,5,6")
    broker_policy = policy(
        allow("sts:GetFederationToken"),
        allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::reports/*"),
    )
    broker = make_user(iam, server, "broker", inline=broker_policy)
    # The broker signed carol in; her policy: her own prefix, and deleting the bucket (which the
    # broker itself may not do, so neither may she).
    carol_policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                allow("s3:GetObject", "arn:aws:s3:::reports/carol/*"),
                allow("s3:DeleteBucket", "arn:aws:s3:::reports"),
            ],
        }
    )
    answer = broker.client("sts").get_federation_token(Name="carol", Policy=carol_policy, DurationSeconds=900)
    assert answer["FederatedUser"]["Arn"] == f"arn:aws:sts::{server.account_id}:federated-user/carol"
    carol = Keys.of_session(server, answer)
    assert carol.client("sts").get_caller_identity()["Arn"].endswith(":federated-user/carol")
    carol_s3 = carol.client("s3")
    assert carol_s3.get_object(Bucket="reports", Key="carol/q1.csv")["Body"].read() == b"1,2,3"
    assert error_of(carol_s3.get_object, Bucket="reports", Key="dave/q1.csv")["Code"] == "AccessDenied"
    assert error_of(carol_s3.put_object, Bucket="reports", Key="carol/x", Body=b"x")["Code"] == "AccessDenied"
    assert error_of(carol_s3.delete_bucket, Bucket="reports")["Code"] == "AccessDenied"
    # A user without sts:GetFederationToken is no broker.
    plain = make_user(iam, server, "plain")
    err = error_of(plain.client("sts").get_federation_token, Name="eve", Policy=carol_policy)
    assert err["Code"] == "AccessDenied"
    assert "sts:GetFederationToken" in err["Message"]
