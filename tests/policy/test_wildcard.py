"""IAM wildcards: ``*`` any run (including none), ``?`` exactly one character, nothing else special.

Actions compare case-insensitively (``reference_policies_elements_action``: "action names are
not case sensitive"), resources case-sensitively (``reference_policies_elements_resource``).
"""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from localiam.policy.wildcard import Template, compile_glob, glob_match


def reference_match(pattern: str, value: str, ignore_case: bool) -> bool:
    """Textbook memoised matcher: the specification glob_match is held to."""

    def same(a: str, b: str) -> bool:
        return a == b or (ignore_case and a.casefold() == b.casefold())

    @cache
    def at(i: int, j: int) -> bool:
        if i == len(pattern):
            return j == len(value)
        ch = pattern[i]
        if ch == "*":
            return at(i + 1, j) or (j < len(value) and at(i, j + 1))
        if j == len(value):
            return False
        if ch == "?" or same(ch, value[j]):
            return at(i + 1, j + 1)
        return False

    return at(0, 0)


# --- actions and resources -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("s3:GetObject", "s3:getobject", True),
        ("S3:GETOBJECT", "s3:GetObject", True),
        ("s3:Get*", "s3:GETOBJECTACL", True),
        ("s3:get*", "s3:PutObject", False),
        ("iam:*AccessKey*", "iam:CreateAccessKey", True),
        ("iam:*accesskey*", "IAM:LISTACCESSKEYS", True),
        ("ec2:Describe?nstances", "ec2:describeinstances", True),
        ("*", "anything:AtAll", True),
    ],
)
def test_actions_compare_case_insensitively(pattern: str, action: str, expected: bool) -> None:
    assert glob_match(pattern, action, ignore_case=True) is expected


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        ("arn:aws:iam::123456789012:user/Bob", "arn:aws:iam::123456789012:user/Bob", True),
        ("arn:aws:iam::123456789012:user/Bob", "arn:aws:iam::123456789012:user/bob", False),
        ("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/key", False),
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/Key", True),
    ],
)
def test_resources_compare_case_sensitively(pattern: str, resource: str, expected: bool) -> None:
    assert glob_match(pattern, resource) is expected


@pytest.mark.parametrize(
    ("pattern", "literal_match", "would_match_if_special"),
    [
        ("a[bc]d", "a[bc]d", "abd"),
        ("a.c", "a.c", "abc"),
        ("a+", "a+", "aa"),
        ("a\\d", "a\\d", "a1"),
        ("(x|y)", "(x|y)", "x"),
        ("^a$", "^a$", "a"),
        ("a{2}", "a{2}", "aa"),
    ],
)
def test_regex_and_fnmatch_metacharacters_are_literal(
    pattern: str, literal_match: str, would_match_if_special: str
) -> None:
    assert glob_match(pattern, literal_match)
    assert not glob_match(pattern, would_match_if_special)
    assert glob_match(pattern, literal_match.upper(), ignore_case=True)


def test_question_mark_is_exactly_one_character() -> None:
    assert glob_match("a?c", "abc")
    assert glob_match("a?c", "a:c")
    assert glob_match("a?c", "a/c")
    assert glob_match("a?c", "a\nc")
    assert not glob_match("a?c", "ac")
    assert not glob_match("a?c", "abbc")
    assert glob_match("???", "xyz")
    assert not glob_match("???", "xy")


def test_star_matches_the_empty_string_and_anything() -> None:
    assert glob_match("a*", "a")
    assert glob_match("*a", "a")
    assert glob_match("a*b", "ab")
    assert glob_match("a*b", "a:/x/:b")
    assert glob_match("*", "")
    assert glob_match("**", "")
    assert glob_match("a**b", "ab")
    assert glob_match("a\n*", "a\n\nz")


def test_empty_pattern_matches_only_the_empty_string() -> None:
    assert glob_match("", "")
    assert not glob_match("", "x")
    assert glob_match("", "", ignore_case=True)
    assert not glob_match("", "x", ignore_case=True)


def test_whole_value_must_match() -> None:
    assert not glob_match("abc", "abcd")
    assert not glob_match("bcd", "abcd")
    assert not glob_match("a*c", "abcd")
    assert not glob_match("*b", "abc")


def test_pathological_pattern_is_answered_correctly() -> None:
    pattern = "*a" * 12 + "*b"
    assert not glob_match(pattern, "a" * 80)
    assert glob_match(pattern, "a" * 80 + "b")
    assert not glob_match(pattern, "a" * 80, ignore_case=True)


def test_middle_segments_take_the_leftmost_occurrence_safely() -> None:
    # A middle segment can overlap the last one; committing to its leftmost match must not
    # starve the tail.
    assert glob_match("*ab*b", "abb")
    assert not glob_match("*ab*b", "ab")
    assert glob_match("*aba*a", "ababa")
    assert glob_match("x*?y*y", "x_yy")
    assert not glob_match("x*?y*y", "xyy")


def test_case_folding_is_per_character_with_or_without_wildcards() -> None:
    # "ß" folds to "ss" under str.casefold, but one pattern character matches one value
    # character; a pattern must not change meaning just because it has no wildcard.
    assert not glob_match("ß", "SS", ignore_case=True)
    assert not glob_match("ß*", "SS", ignore_case=True)
    assert glob_match("\u212a", "k", ignore_case=True)  # KELVIN SIGN folds to k
    assert glob_match("\u212a*", "k", ignore_case=True)


def test_compile_glob_is_cached_and_returns_a_callable() -> None:
    assert compile_glob("s3:Get*", True) is compile_glob("s3:Get*", True)
    assert compile_glob("s3:Get*", True)("S3:GETOBJECT")


# --- property: glob_match agrees with the reference -------------------------------------------

# Small alphabets with wildcards, regex metacharacters, a colon and case variants, including
# "ß" (casefolds to two letters) and KELVIN SIGN (casefolds to "k").
_ALPHABET = [*"aAbB.[*?:", "ß", "s", "S", "\u212a", "k"]
_PATTERN_ALPHABET = st.sampled_from(_ALPHABET)
_VALUE_ALPHABET = st.sampled_from(_ALPHABET)


@settings(max_examples=600, deadline=None)
@example(pattern="ß", value="ss", ignore_case=True)
@example(pattern="straße", value="STRASSE", ignore_case=True)
@given(
    pattern=st.text(_PATTERN_ALPHABET, max_size=8),
    value=st.text(_VALUE_ALPHABET, max_size=10),
    ignore_case=st.booleans(),
)
def test_glob_match_agrees_with_reference(pattern: str, value: str, ignore_case: bool) -> None:
    assert glob_match(pattern, value, ignore_case) is reference_match(pattern, value, ignore_case)


@settings(max_examples=300, deadline=None)
@given(value=st.text(_VALUE_ALPHABET, max_size=12), ignore_case=st.booleans())
def test_a_value_without_wildcards_matches_itself(value: str, ignore_case: bool) -> None:
    # Every character matches itself ('*' matches '*', '?' matches '?').
    assert glob_match(value, value, ignore_case)


@settings(max_examples=300, deadline=None)
@given(
    pattern=st.text(_PATTERN_ALPHABET, max_size=8),
    value=st.text(_VALUE_ALPHABET, max_size=10),
)
def test_case_insensitive_is_at_least_as_permissive(pattern: str, value: str) -> None:
    if glob_match(pattern, value):
        assert glob_match(pattern, value, ignore_case=True)


# --- property: a Resource pattern's literal hints are necessary for a match -------------------

_ARN_PIECES = st.lists(st.sampled_from([*"ab:/*?", "arn:aws:s3:::", "x"]), max_size=8).map("".join)


@settings(max_examples=600, deadline=None)
@given(pattern=_ARN_PIECES, data=st.data())
def test_literal_hints_hold_for_every_match(pattern: str, data: st.DataObject) -> None:
    """The engine turns resources away by ``Template.literal_hints`` before running a
    pattern's matcher: every value the matcher accepts must pass that test. Values are the
    pattern with its wildcards filled in (so that many match) or arbitrary."""
    filled = "".join(
        data.draw(_ARN_PIECES) if c == "*" else data.draw(st.sampled_from("ab/x")) if c == "?" else c for c in pattern
    )
    value = data.draw(st.sampled_from([filled, data.draw(_ARN_PIECES)]))
    template = Template(pattern)
    matcher = template.resource_matcher({})
    if matcher is not None and matcher(value):
        prefix, inner = template.literal_hints()
        assert value.startswith(prefix)
        assert inner in value
