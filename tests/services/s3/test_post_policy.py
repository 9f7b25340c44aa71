"""The POST policy of a browser upload (``sigv4-HTTPPOSTConstructPolicy``): expiration, the
three condition forms, ``content-length-range``, fields the policy must name, and what is not a
policy at all."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from localiam.errors import AccessDenied, AwsError
from localiam.services.s3.post_policy import check_policy, parse_policy

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _policy(conditions: list[Any], expiration: str = "2026-01-01T13:00:00.000Z") -> str:
    return base64.b64encode(json.dumps({"expiration": expiration, "conditions": conditions}).encode()).decode()


def _check(conditions: list[Any], fields: dict[str, str], size: int = 10, **kwargs: Any) -> None:
    check_policy(_policy(conditions, **kwargs), fields, bucket="b", file_size=size, now=NOW)


def test_the_documented_conditions_hold() -> None:
    conditions = [
        {"bucket": "b"},
        ["starts-with", "$key", "user/alice/"],
        {"acl": "public-read"},
        ["eq", "$Content-Type", "image/jpeg"],
        ["starts-with", "$x-amz-meta-tag", ""],
        ["content-length-range", 1, 1048576],
    ]
    fields = {
        "key": "user/alice/photo.jpg",
        "acl": "public-read",
        "content-type": "image/jpeg",
        "x-amz-meta-tag": "anything",
        "x-amz-signature": "not named",
        "policy": "not named",
        "x-ignore-extra": "not named",
    }
    _check(conditions, fields)


@pytest.mark.parametrize(
    ("conditions", "fields", "message"),
    [
        ([{"bucket": "other"}], {}, 'Policy Condition failed: ["eq", "$bucket", "other"]'),
        ([["starts-with", "$key", "u/"]], {"key": "x"}, 'Policy Condition failed: ["starts-with", "$key", "u/"]'),
        ([["eq", "$acl", "private"]], {}, 'Policy Condition failed: ["eq", "$acl", "private"]'),
        ([], {"key": "k"}, "Extra input fields: key"),
    ],
)
def test_a_failed_condition_or_an_extra_field_is_access_denied(
    conditions: list[Any], fields: dict[str, str], message: str
) -> None:
    with pytest.raises(AccessDenied) as info:
        _check(conditions, fields)
    assert info.value.message == f"Invalid according to Policy: {message}"


def test_expiration_and_sizes() -> None:
    with pytest.raises(AccessDenied, match="Policy expired"):
        _check([], {}, expiration="2026-01-01T11:59:59Z")
    for size, code in ((0, "EntityTooSmall"), (11, "EntityTooLarge")):
        with pytest.raises(AwsError) as info:
            _check([["content-length-range", 1, 10]], {}, size=size)
        assert (info.value.code, info.value.status) == (code, 400)


@pytest.mark.parametrize(
    "text",
    [
        "not base64!",
        base64.b64encode(b"[1]").decode(),
        base64.b64encode(b'{"conditions": []}').decode(),
        base64.b64encode(b'{"expiration": "2026-01-01T13:00:00Z"}').decode(),
        _policy([["in", "$key", "x"]]),
    ],
)
def test_what_is_not_a_policy(text: str) -> None:
    with pytest.raises(AwsError) as info:
        parse_policy(text)
    assert info.value.code == "InvalidPolicyDocument"
