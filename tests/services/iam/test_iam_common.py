"""Shared pieces: validation messages, ids, URL-encoding, pagination markers, and statement
positions as the simulator reports them."""

from __future__ import annotations

import json
import re

import pytest

from localiam.errors import AwsError
from localiam.services.iam.common import NAME, PATH, Rule, encode_document, new_id, paginate, validate
from localiam.services.iam.positions import position, statement_positions, statement_spans


def test_new_id_shape():
    for prefix in ("AIDA", "AGPA", "AROA", "ANPA"):
        value = new_id(prefix)
        assert re.fullmatch(prefix + "[A-Z2-7]{17}", value)


def test_encode_document_is_rfc3986():
    doc = '{"Version": "2012-10-17", "Statement": {"Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}}'
    encoded = encode_document(doc)
    assert encoded.startswith("%7B%22Version%22%3A%20%222012-10-17%22")
    assert "%2A" in encoded and " " not in encoded and "/" not in encoded


def test_validation_messages():
    with pytest.raises(AwsError) as info:
        validate(
            {"UserName": None, "Path": "/ok/"}, Rule("UserName", True, NAME, 1, 64), Rule("Path", False, PATH, 1, 512)
        )
    assert (
        info.value.message
        == "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null"
    )
    validate({"Path": "/a/b/"}, Rule("Path", False, PATH, 1, 512))


def test_paginate_markers():
    items = [f"k{i}" for i in range(5)]
    page, more = paginate(items, {"MaxItems": 2}, key=str)
    assert page == ["k0", "k1"] and more["IsTruncated"] is True
    page, more = paginate(items, {"MaxItems": 2, "Marker": more["Marker"]}, key=str)
    assert page == ["k2", "k3"]
    page, more = paginate(items, {"MaxItems": 2, "Marker": more["Marker"]}, key=str)
    assert page == ["k4"] and more == {"IsTruncated": False}
    page, _ = paginate(items, {"MaxItems": 3})
    with pytest.raises(AwsError) as info:
        paginate(items, {"Marker": "!!!not-base64"})
    assert info.value.code == "InvalidInput"


def test_statement_spans_skip_strings_and_nesting():
    doc = json.dumps(
        {
            "Id": 'has } and { and " quotes',
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "A",
                    "Effect": "Allow",
                    "Action": "s3:*",
                    "Resource": "*",
                    "Condition": {"Bool": {"aws:x": "true"}},
                },
                {"Sid": "B{", "Effect": "Deny", "Action": ["a:b"], "Resource": "*"},
            ],
        }
    )
    spans = statement_spans(doc)
    assert [json.loads(doc[a : b + 1])["Sid"] for a, b in spans] == ["A", "B{"]
    assert statement_spans("not json") == [] and statement_spans('{"Statement": 3}') == []
    assert statement_positions(doc, 5) is None


def test_positions_count_lines():
    text = '{\n    "Statement": {\n        "Effect": "Allow"\n    }\n}'
    start, end = statement_positions(text, 0)
    assert start == {"Line": 2, "Column": 19} and end == {"Line": 4, "Column": 6}
    assert position("abc", 0) == {"Line": 1, "Column": 2}
