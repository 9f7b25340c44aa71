"""Fixtures for the IAM operations: a root client of a fresh account, and IAM users with
their own access keys and policies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from iam_helpers import policy

from localiam.services.base import Service
from localiam.services.iam import SERVICE


@pytest.fixture
def iam(client_for: Callable[[Service], Any]) -> Any:
    return client_for(SERVICE)


@pytest.fixture
def as_user(iam: Any) -> Callable[..., Any]:
    """``as_user("alice", allow("iam:CreateUser"), boundary=ARN)``: a new user with an inline
    policy of those statements, signing with its own access key."""

    def make(name: str, *statements: dict[str, Any], boundary: str | None = None) -> Any:
        iam("CreateUser", UserName=name)
        if statements:
            iam("PutUserPolicy", UserName=name, PolicyName="granted", PolicyDocument=policy(*statements))
        if boundary:
            iam("PutUserPermissionsBoundary", UserName=name, PermissionsBoundary=boundary)
        key = iam("CreateAccessKey", UserName=name)["AccessKey"]["AccessKeyId"]
        return iam.with_key(key)

    return make
