"""DynamoDB's type system (``HowItWorks.NamingRulesDataTypes``): numbers as 38-digit decimals,
key order of N, S and B, sets, sizes."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from localiam.errors import AwsError
from localiam.services.dynamodb.values import (
    MAX_ITEM_SIZE,
    canonical_number,
    check_item_size,
    encode_key,
    equal,
    item_from_json,
    item_to_json,
    normalise,
    number_text,
    to_decimal,
)


def message(value: object) -> str:
    with pytest.raises(AwsError) as caught:
        normalise(value)
    assert caught.value.code == "ValidationException"
    return caught.value.message


def test_numbers_are_normalised_decimals() -> None:
    assert normalise({"N": "1.50"}) == {"N": "1.5"}
    assert normalise({"N": "1e2"}) == {"N": "100"}
    assert normalise({"N": "-0.000"}) == {"N": "0"}
    assert normalise({"N": "12345678901234567890123456789012345678"}) == {"N": "12345678901234567890123456789012345678"}
    assert message({"N": "123456789012345678901234567890123456789"}) == (
        "Attempting to store more than 38 significant digits in a Number"
    )
    assert message({"N": "1e126"}).startswith("Number overflow.")
    assert message({"N": "1e-131"}).startswith("Number underflow.")
    assert message({"N": "abc"}) == "A value provided cannot be converted into a number"
    assert message({"N": "NaN"}) == "A value provided cannot be converted into a number"


def test_sets() -> None:
    assert message({"SS": []}) == "One or more parameter values were invalid: An string set  may not be empty"
    assert message({"NS": ["1", "1.0"]}) == (
        "One or more parameter values were invalid: Input collection [1, 1.0] contains duplicates."
    )
    assert equal({"NS": ["1", "2"]}, {"NS": ["2.0", "1"]})
    assert not equal({"N": "1"}, {"S": "1"})


def test_item_size_limit() -> None:
    big = {"pk": {"S": "k"}, "data": {"S": "x" * (MAX_ITEM_SIZE - 7)}}
    assert check_item_size(big) == MAX_ITEM_SIZE
    big["data"] = {"S": "x" * (MAX_ITEM_SIZE - 6)}
    with pytest.raises(AwsError, match="Item size has exceeded the maximum allowed size"):
        check_item_size(big)


numbers = st.decimals(min_value=Decimal("-1e20"), max_value=Decimal("1e20"), allow_nan=False, places=6)


@given(st.lists(numbers, min_size=2, max_size=20))
def test_number_keys_sort_numerically(values: list[Decimal]) -> None:
    encoded = sorted(values, key=lambda d: encode_key(normalise({"N": str(d)})))
    assert [Decimal(str(d)) for d in encoded] == sorted(values)


def test_number_key_order_examples() -> None:
    ordered = ["-1000", "-10", "-9.99", "-1.5", "-1.25", "-1", "-0.5", "0", "0.001", "0.12", "0.123", "1", "2", "10",
               "1e20"]  # fmt: skip
    shuffled = ordered[:]
    random.Random(1).shuffle(shuffled)
    assert sorted(shuffled, key=lambda n: encode_key(normalise({"N": n}))) == ordered


@given(st.lists(st.text(min_size=1, max_size=5), min_size=2, max_size=10))
def test_string_keys_sort_by_utf8_bytes(values: list[str]) -> None:
    assert sorted(values, key=lambda s: encode_key({"S": s})) == sorted(values, key=lambda s: s.encode())


def test_storage_round_trip() -> None:
    item = normalise({"M": {"b": {"B": b"\x00\xff"}, "bs": {"BS": [b"a", b"b"]}, "l": {"L": [{"NULL": True}]}}})
    stored = {"x": item}
    assert item_from_json(item_to_json(stored)) == stored


@given(
    st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False, places=None).map(str),
        st.integers(min_value=-(10**45), max_value=10**45).map(str),
        st.from_regex(r"-?[0-9]{1,20}(\.[0-9]{0,20})?", fullmatch=True),
        st.sampled_from(["0", "-0", "0.0", "00", "1.", ".5", "10", "1e3", "-0.50", "5000.99", "+1", " 1"]),
    )
)
def test_a_number_already_written_as_dynamodb_writes_it_is_taken_as_it_is(text: str) -> None:
    """``canonical_number`` takes a shortcut for numbers already in DynamoDB's form: it must
    say what ``number_text(to_decimal(...))`` says, or refuse what it refuses."""
    try:
        expected: str | None = number_text(to_decimal(text))
    except AwsError:
        expected = None
    if expected is None:
        with pytest.raises(AwsError):
            canonical_number(text)
    else:
        assert canonical_number(text) == expected
