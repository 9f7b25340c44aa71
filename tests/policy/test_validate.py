"""``validate_policy`` reports every problem of a document in one run: a problem in one statement
or element never hides the problems of the others (STYLE rule 4).

The six problems a user met one run at a time (a Principal in an identity policy, a duplicate
Sid, ``s3:GetObjekt``, ``"Effect": "Permit"``, ``StringEqualz``, Resource with NotResource) are
checked spread over six statements and packed into one; then, as a property, documents built
from independent problem injectors, each breaking its own statement or element of an otherwise
valid policy, report every injected problem at its location and nothing else.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from localiam.policy import PolicyType, Severity, parse_policy, read_policy, validate_policy

BUCKET = "arn:aws:s3:::amzn-s3-demo-bucket"
ACCOUNT_ROOT = "arn:aws:iam::111122223333:root"


def clean(sid: str) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{BUCKET}/*"}


def found(document: Any, policy_type: PolicyType = PolicyType.IDENTITY) -> list[tuple[str, str, str]]:
    return [(f.code, f.severity.value, f.location) for f in validate_policy(document, policy_type).findings]


SIX_STATEMENTS = {
    "Version": "2012-10-17",
    "Statement": [
        {**clean("A"), "Principal": {"AWS": ACCOUNT_ROOT}},
        clean("A"),
        {**clean("C"), "Action": "s3:GetObjekt"},
        {**clean("D"), "Effect": "Permit"},
        {**clean("E"), "Condition": {"StringEqualz": {"aws:username": "alice"}}},
        {**clean("F"), "NotResource": f"{BUCKET}/private/*"},
    ],
}

ONE_STATEMENT = {
    "Version": "2012-10-17",
    "Statement": [
        clean("A"),
        {
            "Sid": "A",
            "Effect": "Permit",
            "Principal": {"AWS": ACCOUNT_ROOT},
            "Action": "s3:GetObjekt",
            "Resource": f"{BUCKET}/*",
            "NotResource": f"{BUCKET}/private/*",
            "Condition": {"StringEqualz": {"aws:username": "alice"}},
        },
    ],
}


def test_six_problems_in_six_statements_are_all_reported() -> None:
    assert sorted(found(SIX_STATEMENTS)) == sorted(
        [
            ("PRINCIPAL_NOT_ALLOWED", "error", "/Statement/0/Principal"),
            ("DUPLICATE_SID", "error", "/Statement/1/Sid"),
            ("UNKNOWN_ACTION", "warning", "/Statement/2/Action"),
            ("INVALID_EFFECT", "error", "/Statement/3/Effect"),
            ("UNKNOWN_CONDITION_OPERATOR", "error", "/Statement/4/Condition/StringEqualz/aws:username"),
            ("RESOURCE_AND_NOT_RESOURCE", "error", "/Statement/5"),
        ]
    )


def test_six_problems_in_one_statement_are_all_reported() -> None:
    assert sorted(found(ONE_STATEMENT)) == sorted(
        [
            ("PRINCIPAL_NOT_ALLOWED", "error", "/Statement/1/Principal"),
            ("DUPLICATE_SID", "error", "/Statement/1/Sid"),
            ("UNKNOWN_ACTION", "warning", "/Statement/1/Action"),
            ("INVALID_EFFECT", "error", "/Statement/1/Effect"),
            ("UNKNOWN_CONDITION_OPERATOR", "error", "/Statement/1/Condition/StringEqualz/aws:username"),
            ("RESOURCE_AND_NOT_RESOURCE", "error", "/Statement/1"),
        ]
    )


def test_the_parsers_errors_still_come_first_and_keep_their_wording() -> None:
    """IAM's write APIs answer with the first error: the parser's, in document order, before
    any rule of the policy's type, as before the type rules ran on documents with errors."""
    result = validate_policy(SIX_STATEMENTS, with_lint=False)
    assert result.value is None
    assert [f.code for f in result.errors] == [
        "INVALID_EFFECT",
        "UNKNOWN_CONDITION_OPERATOR",
        "RESOURCE_AND_NOT_RESOURCE",
        "DUPLICATE_SID",
        "PRINCIPAL_NOT_ALLOWED",
    ]
    assert result.errors[0].message == "Invalid effect: Permit"
    assert parse_policy(SIX_STATEMENTS).errors == result.errors[:4]


def test_a_statement_with_an_error_keeps_the_elements_that_could_be_read() -> None:
    read = read_policy(ONE_STATEMENT)
    assert read.value is not None and read.errors
    statement = read.value.statements[1]
    assert statement.statement is None  # never reaches the engine
    assert statement.effect is None and statement.resources is None
    assert statement.actions is not None and statement.actions.patterns == ("s3:GetObjekt",)
    assert statement.principal is not None and statement.principal.aws == (ACCOUNT_ROOT,)
    assert statement.elements == {"Sid", "Effect", "Principal", "Action", "Resource", "NotResource", "Condition"}
    assert read.value.statements[0].statement is not None
    assert read.value.complete() is None


def test_an_element_present_but_unreadable_is_not_reported_missing() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "bucket"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "NotResource": "*"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Principal": {"AWS": "bob"}, "Resource": "*"},
        ],
    }
    codes = [code for code, _, _ in found(document, PolicyType.RESOURCE)]
    assert "MISSING_RESOURCE" not in codes
    assert codes.count("MISSING_PRINCIPAL") == 2  # statements 0 and 1 have none; 2 has a bad one
    assert ("INVALID_PRINCIPAL", "error", "/Statement/2/Principal/AWS") in found(document, PolicyType.RESOURCE)


def test_both_action_and_not_action_still_have_their_entries_checked() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": "GetObject", "NotAction": "s3:a:b", "Resource": "*"},
    }
    assert found(document) == [
        ("ACTION_AND_NOT_ACTION", "error", "/Statement"),
        ("ACTION_WITHOUT_VENDOR", "error", "/Statement/Action"),
        ("ACTION_TOO_MANY_COLONS", "error", "/Statement/NotAction"),
    ]


def test_entries_the_parser_rejected_are_not_linted_again() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": ["s3:GetObjekt", "s3:a:b", "s3:"], "Resource": "*"},
    }
    assert found(document) == [
        ("ACTION_TOO_MANY_COLONS", "error", "/Statement/Action/1"),
        ("INVALID_ACTION", "error", "/Statement/Action/2"),
        ("UNKNOWN_ACTION", "warning", "/Statement/Action/0"),
    ]


def test_a_trust_policy_with_an_error_still_gets_the_audience_lint() -> None:
    provider = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
    document = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Principal": {"Federated": provider},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEqualz": {"token.actions.githubusercontent.com:sub": "repo:o/r:*"}},
        },
    }
    assert [code for code, _, _ in found(document, PolicyType.TRUST)] == [
        "UNKNOWN_CONDITION_OPERATOR",
        "FEDERATED_TRUST_WITHOUT_AUDIENCE",
    ]


# --- property: independent problem injectors ---------------------------------------------------


@dataclass(frozen=True)
class Injector:
    """One known problem: what it does to a clean statement, the elements it touches (two
    injectors share a statement only when they touch different elements), and the finding it
    must produce, as (code, severity, location below the statement)."""

    name: str
    elements: frozenset[str]
    inject: Callable[[dict[str, Any]], None]
    code: str
    severity: str
    at: str


def _set(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda statement: statement.update(fields)


def _drop(field: str) -> Callable[[dict[str, Any]], None]:
    return lambda statement: statement.pop(field)


BASE_SID = "Base"

INJECTORS = [
    Injector(
        "principal",
        frozenset({"Principal"}),
        _set(Principal={"AWS": ACCOUNT_ROOT}),
        "PRINCIPAL_NOT_ALLOWED",
        "error",
        "/Principal",
    ),
    Injector("duplicate sid", frozenset({"Sid"}), _set(Sid=BASE_SID), "DUPLICATE_SID", "error", "/Sid"),
    Injector("sid type", frozenset({"Sid"}), _set(Sid=7), "INVALID_SID", "error", "/Sid"),
    Injector(
        "misspelt action", frozenset({"Action"}), _set(Action="s3:GetObjekt"), "UNKNOWN_ACTION", "warning", "/Action"
    ),
    Injector(
        "action without vendor",
        frozenset({"Action"}),
        _set(Action=["s3:GetObject", "GetObject"]),
        "ACTION_WITHOUT_VENDOR",
        "error",
        "/Action/1",
    ),
    Injector("no action", frozenset({"Action"}), _drop("Action"), "MISSING_ACTION", "error", ""),
    Injector("invalid effect", frozenset({"Effect"}), _set(Effect="Permit"), "INVALID_EFFECT", "error", "/Effect"),
    Injector("no effect", frozenset({"Effect"}), _drop("Effect"), "MISSING_EFFECT", "error", ""),
    Injector(
        "unknown operator",
        frozenset({"Condition"}),
        _set(Condition={"StringEqualz": {"aws:username": "alice"}}),
        "UNKNOWN_CONDITION_OPERATOR",
        "error",
        "/Condition/StringEqualz/aws:username",
    ),
    Injector(
        "condition key without vendor",
        frozenset({"Condition"}),
        _set(Condition={"StringEquals": {"username": "alice"}}),
        "CONDITION_KEY_WITHOUT_VENDOR",
        "error",
        "/Condition/StringEquals/username",
    ),
    Injector(
        "resource and not resource",
        frozenset({"Resource", "NotResource"}),
        _set(NotResource=f"{BUCKET}/private/*"),
        "RESOURCE_AND_NOT_RESOURCE",
        "error",
        "",
    ),
    Injector(
        "resource not an arn",
        frozenset({"Resource"}),
        _set(Resource=[f"{BUCKET}/*", "amzn-s3-demo-bucket"]),
        "INVALID_RESOURCE",
        "error",
        "/Resource/1",
    ),
    Injector(
        "unknown field", frozenset({"Actions"}), _set(Actions="s3:GetObject"), "UNKNOWN_FIELD", "error", "/Actions"
    ),
]


@st.composite
def injected_policies(draw: st.DrawFn) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """A clean first statement (Sid ``Base``), then statements each given one or more injected
    problems touching different elements, some clean statements in between."""
    chosen = draw(st.lists(st.sampled_from(INJECTORS), min_size=1, max_size=8))
    slots: list[list[Injector]] = []
    for injector in chosen:
        open_slots = [i for i, slot in enumerate(slots) if not any(injector.elements & o.elements for o in slot)]
        share = draw(st.booleans()) and open_slots
        if share:
            slots[draw(st.sampled_from(open_slots))].append(injector)
        else:
            slots.append([injector])
    statements: list[dict[str, Any]] = [clean(BASE_SID)]
    expected: list[tuple[str, str, str]] = []
    for n, slot in enumerate(slots):
        if draw(st.booleans()):
            statements.append(clean(f"Clean{n}"))
        statement = clean(f"Injected{n}")
        for injector in slot:
            injector.inject(statement)
        where = f"/Statement/{len(statements)}"
        expected.extend((i.code, i.severity, where + i.at) for i in slot)
        statements.append(statement)
    return {"Version": "2012-10-17", "Statement": statements}, expected


@settings(max_examples=300, deadline=None)
@given(injected_policies())
def test_every_injected_problem_is_reported_at_its_location(case: tuple[dict[str, Any], list[Any]]) -> None:
    document, expected = case
    reported = found(json.dumps(document))
    assert Counter(reported) == Counter(expected), json.dumps(document, indent=1)
    result = validate_policy(document)
    assert result.value is None if any(sev == "error" for _, sev, _ in expected) else result.value is not None
    assert all(f.severity in (Severity.ERROR, Severity.WARNING) for f in result.findings)
