"""DynamoDB's expressions: the grammar, placeholders, AWS's ValidationException wording, and
evaluation (``Expressions.OperatorsAndFunctions``, ``Expressions.UpdateExpressions``)."""

from __future__ import annotations

from typing import Any

import pytest

from localiam.errors import AwsError
from localiam.services.dynamodb.expressions.evaluate import (
    apply_update,
    check_types,
    check_update_paths,
    condition,
    project,
)
from localiam.services.dynamodb.expressions.parse import (
    Substitutions,
    parse_condition,
    parse_projection,
    parse_update,
)

ITEM: dict[str, Any] = {
    "pk": {"S": "user#1"},
    "n": {"N": "10"},
    "tags": {"SS": ["a", "b"]},
    "nums": {"NS": ["1", "2"]},
    "doc": {"M": {"songs": {"L": [{"S": "x"}, {"N": "2"}, {"M": {"deep": {"BOOL": True}}}]}, "nick": {"S": "Ann"}}},
    "bin": {"B": b"\x01\x02"},
}


def holds(text: str, values: dict[str, Any] | None = None, names: dict[str, str] | None = None) -> bool:
    subs = Substitutions(names, values)
    cond = parse_condition(text, subs)
    check_types(cond)
    subs.check_all_used()
    return condition(ITEM, cond)


def refused(call: Any, *args: Any) -> str:
    with pytest.raises(AwsError) as caught:
        call(*args)
    assert caught.value.code == "ValidationException"
    return caught.value.message


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("n = :v", {":v": {"N": "10.0"}}, True),
        ("n <> :v", {":v": {"N": "10"}}, False),
        ("absent <> :v", {":v": {"N": "10"}}, True),
        ("n < :v", {":v": {"N": "9"}}, False),
        ("n BETWEEN :a AND :b", {":a": {"N": "1"}, ":b": {"N": "10"}}, True),
        ("n IN (:a, :b)", {":a": {"N": "1"}, ":b": {"N": "10"}}, True),
        ("n < :v", {":v": {"S": "20"}}, False),  # different types never compare
        ("attribute_exists(doc.songs[2].deep) AND attribute_not_exists(doc.nope)", None, True),
        ("attribute_type(tags, :t)", {":t": {"S": "SS"}}, True),
        ("begins_with(pk, :p)", {":p": {"S": "user#"}}, True),
        ("begins_with(bin, :p)", {":p": {"B": b"\x01"}}, True),
        ("contains(tags, :v) AND contains(doc.nick, :s)", {":v": {"S": "a"}, ":s": {"S": "nn"}}, True),
        ("contains(nums, :v)", {":v": {"N": "2.0"}}, True),
        ("size(tags) = :two AND size(doc.songs) > :two", {":two": {"N": "2"}}, True),
        ("NOT (n = :v) or n = :v", {":v": {"N": "10"}}, True),
        ("(n = :v OR n = :w) and not pk = :w", {":v": {"N": "1"}, ":w": {"N": "10"}}, True),
    ],
)
def test_conditions(text: str, values: dict[str, Any] | None, expected: bool) -> None:
    assert holds(text, values) is expected


def test_names_substitute_and_reserved_words_refuse() -> None:
    assert holds("#name = :v", {":v": {"S": "Ann"}}, {"#name": "doc"}) is False
    assert holds("#d.#n = :v", {":v": {"S": "Ann"}}, {"#d": "doc", "#n": "nick"}) is True
    assert refused(holds, "name = :v", {":v": {"S": "x"}}) == (
        "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name"
    )


def test_placeholders_must_be_defined_and_used() -> None:
    assert refused(holds, "n = :nope", {":v": {"N": "1"}}) == (
        "Invalid ConditionExpression: An expression attribute value used in expression is not defined; "
        "attribute value: :nope"
    )
    assert refused(holds, "#x = :v", {":v": {"N": "1"}}) == (
        "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; "
        "attribute name: #x"
    )
    assert refused(holds, "n = :v", {":v": {"N": "1"}, ":w": {"N": "2"}}) == (
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}"
    )
    assert refused(holds, "n = :v", {":v": {"N": "1"}}, {"#unused": "x"}) == (
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}"
    )


def test_syntax_and_type_errors() -> None:
    assert refused(holds, "n = = :v", {":v": {"N": "1"}}) == (
        'Invalid ConditionExpression: Syntax error; token: "=", near: "= ="'
    )
    assert refused(holds, "frob(n)") == "Invalid ConditionExpression: Invalid function name; function: frob"
    assert refused(holds, "begins_with(n)") == (
        "Invalid ConditionExpression: Incorrect number of operands for operator or function; "
        "operator or function: begins_with, number of operands: 1"
    )
    assert refused(holds, "n < :v", {":v": {"BOOL": True}}) == (
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator: <, operand type: BOOL"
    )
    assert refused(holds, "") == "Invalid ConditionExpression: The expression can not be empty;"


def update(text: str, values: dict[str, Any] | None = None, item: dict[str, Any] | None = None) -> dict[str, Any]:
    subs = Substitutions(None, values)
    parsed = parse_update(text, subs)
    check_update_paths(parsed)
    subs.check_all_used()
    return apply_update(item if item is not None else ITEM, parsed)


def test_update_actions() -> None:
    out = update(
        "SET n = n + :one, newer = if_not_exists(newer, :zero), doc.songs = list_append(doc.songs, :more), "
        "doc.nick = :name REMOVE bin, doc.gone ADD tags :c, visits :one DELETE nums :two",
        {
            ":one": {"N": "1"},
            ":zero": {"N": "0"},
            ":more": {"L": [{"S": "end"}]},
            ":name": {"S": "Bo"},
            ":c": {"SS": ["c"]},
            ":two": {"NS": ["2"]},
        },
    )
    assert out["n"] == {"N": "11"}
    assert out["newer"] == {"N": "0"}
    assert [v for v in out["doc"]["M"]["songs"]["L"]] == [
        {"S": "x"},
        {"N": "2"},
        {"M": {"deep": {"BOOL": True}}},
        {"S": "end"},
    ]
    assert out["doc"]["M"]["nick"] == {"S": "Bo"}
    assert "bin" not in out
    assert sorted(out["tags"]["SS"]) == ["a", "b", "c"]
    assert out["visits"] == {"N": "1"}
    assert out["nums"] == {"NS": ["1"]}
    assert ITEM["n"] == {"N": "10"}  # the input is left alone


def test_decimal_arithmetic_is_exact() -> None:
    out = update("SET n = n + :v", {":v": {"N": "0.1"}}, {"n": {"N": "0.2"}})
    assert out["n"] == {"N": "0.3"}
    out = update("SET n = n - :v", {":v": {"N": "1E+30"}}, {"n": {"N": "1"}})
    assert out["n"] == {"N": "-999999999999999999999999999999"}


def test_update_errors() -> None:
    assert refused(update, "SET a = :v SET b = :v", {":v": {"N": "1"}}) == (
        'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;'
    )
    assert refused(update, "SET doc = :v REMOVE doc.nick", {":v": {"N": "1"}}) == (
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of "
        "these paths; path one: [doc], path two: [doc, nick]"
    )
    assert refused(update, "SET pk = pk + :v", {":v": {"N": "1"}}) == (
        "An operand in the update expression has an incorrect data type"
    )
    assert refused(update, "SET nothere.x = :v", {":v": {"N": "1"}}) == (
        "The document path provided in the update expression is invalid for update"
    )
    assert refused(update, "ADD pk :v", {":v": {"S": "x"}}).startswith(
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD"
    )


def test_projection() -> None:
    paths = parse_projection("pk, doc.songs[2].deep, doc.#n", Substitutions({"#n": "nick"}, None))
    assert project(ITEM, paths) == {
        "pk": {"S": "user#1"},
        "doc": {"M": {"songs": {"L": [{"M": {"deep": {"BOOL": True}}}]}, "nick": {"S": "Ann"}}},
    }
