"""One page of an S3 key listing (``ListObjects``, ``ListObjectsV2``, ``ListMultipartUploads``):
the S3 User Guide's ``photos/`` example, roll-up, markers and continuation, laziness over the
key stream, and the request checks (``max-keys``, ``encoding-type``, continuation tokens)."""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Iterator, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from localiam.errors import AwsError
from localiam.services.s3.listing import (
    Page,
    check_encoding_type,
    check_max_keys,
    check_max_uploads,
    decode_token,
    encode_token,
    list_page,
    url_encode_key,
)

# S3 User Guide, "Organizing objects using prefixes": the example bucket.
PHOTOS = [
    "sample.jpg",
    "photos/2006/January/sample.jpg",
    "photos/2006/February/sample2.jpg",
    "photos/2006/February/sample3.jpg",
    "photos/2006/February/sample4.jpg",
]


def stream(keys: Sequence[str]) -> list[tuple[str, str]]:
    """``(key, item)`` pairs in S3's order; the item is the key upper-cased, to tell them apart."""
    return [(key, key.upper()) for key in sorted(keys)]


def strict(keys: Sequence[str], readable: int) -> Iterator[tuple[str, str]]:
    """A stream that fails the test when more than ``readable`` items are read from it."""
    for index, pair in enumerate(stream(keys)):
        if index >= readable:
            pytest.fail(f"read item {index} ({pair[0]!r}); only {readable} may be read")
        yield pair


def keys_of(page: Page[str]) -> list[str]:
    return [key for key, _ in page.contents]


# --------------------------------------------------------------------------- documented examples
def test_photos_root_level_with_slash_delimiter():
    # "To list only the root level objects in the bucket, you send a GET request on the bucket
    # with the slash (/) delimiter character": sample.jpg, and photos/ as a common prefix.
    page = list_page(stream(PHOTOS), delimiter="/")
    assert keys_of(page) == ["sample.jpg"]
    assert page.contents[0] == ("sample.jpg", "SAMPLE.JPG")
    assert page.common_prefixes == ("photos/",)
    assert not page.truncated and page.next_marker is None
    assert page.key_count == 2


def test_photos_one_level_down():
    page = list_page(stream(PHOTOS), prefix="photos/2006/", delimiter="/")
    assert page.contents == ()
    assert page.common_prefixes == ("photos/2006/February/", "photos/2006/January/")
    assert page.last == "photos/2006/January/"


def test_photos_without_delimiter_lists_every_key_in_order():
    assert keys_of(list_page(stream(PHOTOS))) == sorted(PHOTOS)
    assert keys_of(list_page(stream(PHOTOS), prefix="photos/")) == sorted(PHOTOS[1:])
    assert keys_of(list_page(stream(PHOTOS), prefix="photos/2006/February/", delimiter="/")) == sorted(PHOTOS[2:])


def test_common_prefix_reference_example():
    # API_CommonPrefix: prefix notes/ and delimiter / as in notes/summer/july -> notes/summer/.
    page = list_page(stream(["notes/summer/july", "notes/todo"]), prefix="notes/", delimiter="/")
    assert page.common_prefixes == ("notes/summer/",)
    assert keys_of(page) == ["notes/todo"]


def test_delimiter_is_looked_for_after_the_prefix_only():
    keys = ["a/b/c", "a/b/d/e", "a/b", "a/b/"]
    page = list_page(stream(keys), prefix="a/b/", delimiter="/")
    assert keys_of(page) == ["a/b/", "a/b/c"]  # the prefix itself is a key, not a common prefix
    assert page.common_prefixes == ("a/b/d/",)


def test_multi_character_delimiter_and_keys_ending_in_it():
    keys = ["2024--01--a", "2024--01--b", "2024--02", "2024-x", "2024--"]
    page = list_page(stream(keys), delimiter="--")
    assert page.common_prefixes == ("2024--",)
    assert keys_of(page) == ["2024-x"]


def test_empty_delimiter_groups_nothing():
    assert list_page(stream(PHOTOS), delimiter="").common_prefixes == ()
    assert keys_of(list_page(stream(PHOTOS), delimiter="")) == sorted(PHOTOS)


def test_keys_are_in_utf8_binary_order():
    # Code point order is UTF-8 byte order, beyond the BMP too (U+FFFD before U+1F600).
    keys = ["z", "\U0001f600", "é", "\ufffd", "a"]
    assert sorted(keys, key=lambda k: k.encode()) == sorted(keys)
    assert keys_of(list_page(stream(keys))) == ["a", "z", "é", "\ufffd", "\U0001f600"]


# --------------------------------------------------------------------------- max-keys and markers
def test_rolled_up_keys_count_once_toward_max_keys():
    keys = [f"a/{i}" for i in range(5)] + ["b"]
    page = list_page(stream(keys), delimiter="/", max_keys=2)
    assert page.common_prefixes == ("a/",) and keys_of(page) == ["b"]
    assert not page.truncated and page.next_marker is None


def test_next_marker_only_with_a_delimiter():
    keys = ["a/1", "a/2", "b", "c"]
    with_delimiter = list_page(stream(keys), delimiter="/", max_keys=2)
    assert with_delimiter.truncated and with_delimiter.next_marker == "b" == with_delimiter.last
    without = list_page(stream(keys), max_keys=2)
    assert without.truncated and without.next_marker is None and without.last == "a/2"


def test_next_marker_may_be_a_common_prefix_and_resuming_from_it_skips_the_group():
    keys = ["a", "b/1", "b/2", "b/3", "c"]
    first = list_page(stream(keys), delimiter="/", max_keys=2)
    assert keys_of(first) == ["a"] and first.common_prefixes == ("b/",)
    assert first.truncated and first.next_marker == "b/"
    second = list_page(stream(keys), delimiter="/", after=first.next_marker, max_keys=2)
    assert keys_of(second) == ["c"] and second.common_prefixes == ()
    assert not second.truncated and second.last == "c"


def test_a_common_prefix_not_after_the_marker_is_left_out():
    # API_ListMultipartUploads: "CommonPrefixes is filtered out from results if it is not
    # lexicographically greater than the key-marker."
    keys = ["a/1", "a/2", "b/1"]
    page = list_page(stream(keys), delimiter="/", after="a/1")
    assert page.common_prefixes == ("b/",)


def test_start_after_skips_keys_up_to_and_including_it():
    keys = ["a", "b", "c", "d"]
    assert keys_of(list_page(stream(keys), after="b")) == ["c", "d"]
    assert keys_of(list_page(stream(keys), after="bb")) == ["c", "d"]
    assert keys_of(list_page(stream(keys), after="")) == keys
    assert list_page(stream(keys), after="d").contents == ()


def test_max_keys_zero_is_an_empty_untruncated_page_and_reads_nothing():
    page = list_page(strict(PHOTOS, readable=0), max_keys=0)
    assert page == Page((), (), False, None, None)
    assert page.key_count == 0


def test_empty_listing():
    assert list_page([]) == Page((), (), False, None, None)
    assert list_page(stream(PHOTOS), prefix="videos/") == Page((), (), False, None, None)


def test_several_entries_of_one_key_and_include_after():
    # ListMultipartUploads: one key may have several uploads, each listed.
    uploads = [("k", "u1"), ("k", "u2"), ("k", "u3"), ("m", "u4")]
    page = list_page(uploads, max_keys=2)
    assert page.contents == (("k", "u1"), ("k", "u2")) and page.truncated and page.last == "k"
    # With an upload-id-marker the caller passes the key-marker's later uploads and keeps them.
    rest = list_page([("k", "u3"), ("m", "u4")], after="k", include_after=True)
    assert rest.contents == (("k", "u3"), ("m", "u4"))
    assert list_page([("k", "u3"), ("m", "u4")], after="k").contents == (("m", "u4"),)


def test_bad_arguments_are_programming_errors():
    with pytest.raises(ValueError, match="max_keys"):
        list_page(stream(PHOTOS), max_keys=-1)
    with pytest.raises(ValueError, match="out of order"):
        list_page([("b", 1), ("a", 2)])


# --------------------------------------------------------------------------- laziness
def test_reads_one_item_past_a_full_page():
    keys = [f"k{i:02}" for i in range(50)]
    page = list_page(strict(keys, readable=4), max_keys=3)
    assert keys_of(page) == ["k00", "k01", "k02"] and page.truncated


def test_a_page_that_ends_with_the_stream_is_not_truncated():
    page = list_page(strict(["a", "b", "c"], readable=3), max_keys=3)
    assert not page.truncated and page.last == "c"


def test_stops_at_the_first_key_past_the_prefix():
    keys = ["a/1", "a/2", "b/1", "b/2", "c"]
    page = list_page(strict(keys, readable=3), prefix="a/")
    assert keys_of(page) == ["a/1", "a/2"] and not page.truncated


def test_reads_through_the_last_common_prefix_only_until_the_next_entry():
    keys = ["a/1", "a/2", "a/3", "b", "c"]
    page = list_page(strict(keys, readable=4), delimiter="/", max_keys=1)
    assert page.common_prefixes == ("a/",) and page.truncated and page.next_marker == "a/"


# --------------------------------------------------------------------------- against a reference
def reference(keys: Sequence[str], prefix: str, delimiter: str | None, after: str | None) -> list[str]:
    """Every key and common prefix of the whole listing, in order, by the plain reading of the
    S3 pages: sort, filter by prefix and marker, roll up, drop rolled-up groups not after the
    marker."""
    entries: list[str] = []
    for key in sorted(set(keys)):
        if not key.startswith(prefix) or (after is not None and key <= after):
            continue
        at = key.find(delimiter, len(prefix)) if delimiter else -1
        entry = key if at < 0 else key[: at + len(delimiter or "")]
        if at >= 0 and ((after is not None and entry <= after) or entry in entries):
            continue
        entries.append(entry)
    return entries


def entries_of(page: Page[str]) -> list[str]:
    """The page's keys and common prefixes in listing order."""
    return sorted(keys_of(page) + list(page.common_prefixes))


KEYS = st.lists(st.text(alphabet="ab/-é", max_size=6), max_size=25, unique=True)
PREFIXES = st.text(alphabet="ab/", max_size=2)
DELIMITERS = st.sampled_from([None, "", "/", "-", "b/", "é"])


@settings(max_examples=400, deadline=None)
@given(KEYS, PREFIXES, DELIMITERS, st.integers(min_value=1, max_value=5), st.booleans())
def test_paging_with_last_gives_every_entry_exactly_once(keys, prefix, delimiter, max_keys, prefiltered):
    expected = reference(keys, prefix, delimiter, None)
    chunks = [expected[i : i + max_keys] for i in range(0, len(expected), max_keys)] or [[]]
    after: str | None = None
    for number, chunk in enumerate(chunks):
        items = stream(keys)
        if prefiltered and after is not None:
            items = [(key, item) for key, item in items if key > after]  # what a database cursor gives
        page = list_page(items, prefix=prefix, delimiter=delimiter, after=after, max_keys=max_keys)
        assert entries_of(page) == chunk
        more = number < len(chunks) - 1
        assert page.truncated == more
        assert page.last == (chunk[-1] if chunk else None)
        assert page.next_marker == (page.last if more and delimiter else None)
        assert page.key_count == len(chunk)
        assert all(item == key.upper() for key, item in page.contents)
        if not more:
            break
        after = decode_token(encode_token(page.last or ""))


@settings(max_examples=400, deadline=None)
@given(KEYS, PREFIXES, DELIMITERS, st.one_of(st.none(), st.text(alphabet="ab/-é", max_size=4)))
def test_one_page_from_any_start_matches_the_reference(keys, prefix, delimiter, after):
    page = list_page(stream(keys), prefix=prefix, delimiter=delimiter, after=after)
    assert entries_of(page) == reference(keys, prefix, delimiter, after)
    assert not page.truncated


@settings(max_examples=400, deadline=None)
@given(KEYS, PREFIXES, DELIMITERS, st.integers(min_value=1, max_value=4))
def test_reading_stops_as_soon_as_the_page_is_decided(keys, prefix, delimiter, max_keys):
    items = stream(keys)
    read: list[str] = []

    def counting() -> Iterator[tuple[str, str]]:
        for pair in items:
            read.append(pair[0])
            yield pair

    page = list_page(counting(), prefix=prefix, delimiter=delimiter, max_keys=max_keys)
    if len(read) == len(items):
        return
    stopped_at = read[-1]
    if page.truncated:
        # The key that proved the page truncated starts the next page's first entry.
        following = reference(keys, prefix, delimiter, page.last)
        assert following and stopped_at.startswith(following[0])
    else:
        assert stopped_at > prefix and not stopped_at.startswith(prefix)


# --------------------------------------------------------------------------- continuation tokens
@given(st.text())
def test_tokens_round_trip(last):
    token = encode_token(last)
    assert token and token.isascii()
    assert decode_token(token) == last


def test_token_is_not_the_key():
    assert "photos" not in encode_token("photos/2006/")


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "!!!!",
        "photos/2006/",
        base64.b64encode(b"photos/").decode(),  # base64, but not one of ours
        base64.b64encode(b"\x01\xff\xfe").decode(),  # ours, but not UTF-8
        base64.b64encode(b"\x01a").decode().rstrip("="),  # padding dropped
        encode_token("a") + "\n",
        "é",
    ],
)
def test_a_token_we_did_not_make_is_refused_as_s3_refuses_it(token):
    with pytest.raises(AwsError) as info:
        decode_token(token)
    error = info.value
    assert (error.code, error.status, error.sender_fault) == ("InvalidArgument", 400, True)
    assert error.message == "The continuation token provided is incorrect"
    assert error.fields == {"ArgumentName": "continuation-token", "ArgumentValue": token}


# --------------------------------------------------------------------------- max-keys
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, 1000),
        ("", 1000),
        ("0", 0),
        (0, 0),
        ("7", 7),
        (7, 7),
        ("1000", 1000),
        ("1001", 1000),
        (5000, 1000),
        ("2147483647", 1000),
        ("007", 7),
    ],
)
def test_max_keys_accepted_and_capped(value, expected):
    assert check_max_keys(value) == expected
    assert check_max_uploads(value) == expected


NOT_AN_INTEGER = "Provided max-keys not an integer or within integer range"
NEGATIVE = "Argument maxKeys must be an integer between 0 and 2147483647"


@pytest.mark.parametrize(
    ("value", "message", "name"),
    [
        ("abc", NOT_AN_INTEGER, "max-keys"),
        ("1.5", NOT_AN_INTEGER, "max-keys"),
        (" 5", NOT_AN_INTEGER, "max-keys"),
        ("+5", NOT_AN_INTEGER, "max-keys"),
        ("2147483648", NOT_AN_INTEGER, "max-keys"),
        ("-2147483649", NOT_AN_INTEGER, "max-keys"),
        ("9" * 30, NOT_AN_INTEGER, "max-keys"),
        (2**31, NOT_AN_INTEGER, "max-keys"),
        (True, NOT_AN_INTEGER, "max-keys"),
        ("-1", NEGATIVE, "maxKeys"),
        (-1, NEGATIVE, "maxKeys"),
        ("-2147483648", NEGATIVE, "maxKeys"),
    ],
)
def test_max_keys_refused_as_s3_refuses_it(value, message, name):
    with pytest.raises(AwsError) as info:
        check_max_keys(value)
    error = info.value
    assert (error.code, error.status, error.message) == ("InvalidArgument", 400, message)
    assert error.fields == {"ArgumentName": name, "ArgumentValue": str(value)}


def test_max_uploads_messages_name_max_uploads():
    with pytest.raises(AwsError) as info:
        check_max_uploads("x")
    assert info.value.message == "Provided max-uploads not an integer or within integer range"
    assert info.value.fields == {"ArgumentName": "max-uploads", "ArgumentValue": "x"}
    with pytest.raises(AwsError) as info:
        check_max_uploads("-3")
    assert info.value.message == "Argument max-uploads must be an integer between 0 and 2147483647"
    assert info.value.fields == {"ArgumentName": "max-uploads", "ArgumentValue": "-3"}


# --------------------------------------------------------------------------- encoding-type
def test_encoding_type_url_or_nothing():
    assert check_encoding_type(None) is None
    assert check_encoding_type("url") == "url"
    assert check_encoding_type("URL") == "URL"


@pytest.mark.parametrize("value", ["", "gzip", "urls", "jkldfsf"])
def test_other_encoding_types_are_refused(value):
    with pytest.raises(AwsError) as info:
        check_encoding_type(value)
    error = info.value
    assert (error.code, error.status) == ("InvalidArgument", 400)
    assert error.message == "Invalid Encoding Method specified in Request"
    assert error.fields == {"ArgumentName": "encoding-type", "ArgumentValue": value}


@pytest.mark.parametrize(
    ("key", "encoded"),
    [
        ("test_file(3).png", "test_file%283%29.png"),  # the EncodingType reference's example
        ("a b.txt", "a+b.txt"),
        ("a+b.txt", "a%2Bb.txt"),
        ("100%.csv", "100%25.csv"),
        ("한글/x.txt", "%ED%95%9C%EA%B8%80/x.txt"),
        ("run books/x y%z!*'()~-_.,;:@=", "run+books/x+y%25z%21*%27%28%29%7E-_.%2C%3B%3A%40%3D"),
        ("photos/2006/January/sample.jpg", "photos/2006/January/sample.jpg"),
        ("\x00\x01\n\x7f", "%00%01%0A%7F"),
        ("", ""),
    ],
)
def test_url_encoding_of_keys(key, encoded):
    assert url_encode_key(key) == encoded


@given(st.text())
def test_url_encoding_decodes_back_as_botocore_decodes_it(key):
    encoded = url_encode_key(key)
    assert urllib.parse.unquote_plus(encoded) == key
    assert encoded.isascii() and " " not in encoded and all(ord(c) > 0x20 for c in encoded)
