"""Bucket settings with boto3 against a real server: ownership controls, tagging, lifecycle,
CORS and default encryption, each stored and returned as the Amazon S3 API Reference shows, and
AWS's not-found errors once deleted. Each test's docstring names the page it follows.
"""

from __future__ import annotations

from typing import Any

import pytest
from e2e_helpers import error_of, root_keys

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
