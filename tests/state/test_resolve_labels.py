"""How :mod:`localiam.state.resolve` names policies for explanations: a resource-based policy
after the resource it is on, in its service's words; a managed policy by its kind and ARN."""

from __future__ import annotations

import pytest

from localiam.policy.model import PolicyType
from localiam.state.resolve import managed_label, resource_policy_label


@pytest.mark.parametrize(
    ("arn", "label"),
    [
        ("arn:aws:s3:::amzn-s3-demo-bucket", "bucket policy of amzn-s3-demo-bucket"),
        ("arn:aws:s3:::amzn-s3-demo-bucket/*", "bucket policy of amzn-s3-demo-bucket"),
        ("arn:aws:s3:::amzn-s3-demo-bucket/reports/2024.csv", "bucket policy of amzn-s3-demo-bucket"),
        ("arn:aws:s3:::demo-*", "bucket policy of arn:aws:s3:::demo-*"),
        ("arn:aws:lambda:us-east-1:111111111111:function:helloworld", "function policy of helloworld"),
        ("arn:aws:lambda:us-east-1:111111111111:function:helloworld:prod", "function policy of helloworld:prod"),
        ("arn:aws:iam::111111111111:role/Reader", "trust policy of Reader"),
        ("arn:aws:iam::111111111111:role/team/Reader", "trust policy of Reader"),
        (
            "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "key policy of 1234abcd-12ab-34cd-56ef-1234567890ab",
        ),
        ("arn:aws:sqs:us-east-1:111111111111:queue", "resource policy of arn:aws:sqs:us-east-1:111111111111:queue"),
        ("not-an-arn", "resource policy of not-an-arn"),
    ],
)
def test_resource_policies_are_named_after_their_resource(arn: str, label: str) -> None:
    assert resource_policy_label(arn) == label


def test_managed_policies_are_named_by_their_use_and_arn() -> None:
    arn = "arn:aws:iam::111111111111:policy/Read"
    assert managed_label(arn, PolicyType.IDENTITY) == f"managed policy {arn}"
    assert managed_label(arn, PolicyType.BOUNDARY) == f"permissions boundary {arn}"
    assert managed_label(arn, PolicyType.SESSION) == f"managed session policy {arn}"
