"""CORS rules (``cors``, "How does Amazon S3 evaluate the CORS configuration on a bucket?";
``API_CORSRule``): the first rule whose origin, method and headers all match, one ``*`` per
origin or header, and what a configuration may hold."""

from __future__ import annotations

from typing import Any

import pytest

from localiam.errors import AwsError
from localiam.services.s3.cors import check_cors_rules, cors_headers, matching_rule

RULES: list[dict[str, Any]] = [
    {"AllowedOrigins": ["http://*.example.com"], "AllowedMethods": ["PUT"], "AllowedHeaders": ["x-amz-*"]},
    {"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "HEAD"], "MaxAgeSeconds": 60},
]


def test_the_first_rule_that_matches_everything_answers() -> None:
    assert matching_rule(RULES, "http://www.example.com", "PUT", ["X-Amz-Date"]) is RULES[0]
    assert matching_rule(RULES, "http://www.example.com", "PUT", ["authorization"]) is None
    assert matching_rule(RULES, "https://www.example.com", "PUT", []) is None  # the scheme is part of it
    assert matching_rule(RULES, "https://anyone.test", "GET", []) is RULES[1]
    assert matching_rule(RULES, "https://anyone.test", "DELETE", []) is None


def test_answer_headers() -> None:
    specific = cors_headers(RULES[0], "http://www.example.com", "PUT", ["X-Amz-Date"])
    assert specific["Access-Control-Allow-Origin"] == "http://www.example.com"
    assert specific["Access-Control-Allow-Credentials"] == "true"
    assert specific["Access-Control-Allow-Headers"] == "x-amz-date"
    anyone = cors_headers(RULES[1], "https://anyone.test", "GET", [])
    assert anyone["Access-Control-Allow-Origin"] == "*" and "Access-Control-Allow-Credentials" not in anyone
    assert anyone["Access-Control-Max-Age"] == "60"


@pytest.mark.parametrize(
    ("rules", "code"),
    [
        ([], "MalformedXML"),
        ([{"AllowedOrigins": ["*"], "AllowedMethods": []}], "MalformedXML"),
        ([{"AllowedOrigins": ["*"], "AllowedMethods": ["OPTIONS"]}], "InvalidRequest"),
        ([{"AllowedOrigins": ["http://*.*.com"], "AllowedMethods": ["GET"]}], "InvalidRequest"),
        ([{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "AllowedHeaders": ["*a*"]}], "InvalidRequest"),
        ([{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}] * 101, "MalformedXML"),
    ],
)
def test_what_a_configuration_may_not_hold(rules: list[dict[str, Any]], code: str) -> None:
    with pytest.raises(AwsError) as info:
        check_cors_rules(rules)
    assert info.value.code == code
