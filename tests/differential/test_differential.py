"""Differential test: localiam against @cloud-copilot/iam-simulate (issue 3, "Fidelity").

1,000 seeded cases from ``generate.py`` go through both engines (iam-simulate in one ``node``
process). Every disagreement must be explained by an entry of ``known_disagreements.json``:
the entry's rule applies to the case and iam-simulate, re-run on the case adjusted to AWS's
documented behaviour, then agrees with localiam (``harness.classify``). Anything else fails
the test with the case JSON and both answers. ``bench/differential.py`` runs 20,000.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import generate
import harness
import pytest
from known import RULES

pytestmark = pytest.mark.differential

SEED = 20_260_101
CASES = 1_000
ANSWERS = Path(__file__).resolve().parents[1] / "engine" / "test_aws_answers.py"

_skip_reason = harness.node_available()
needs_node = pytest.mark.skipif(_skip_reason is not None, reason=_skip_reason or "")


@pytest.fixture(scope="module")
def report() -> harness.Report:
    return harness.compare(generate.generate(SEED, CASES))


@needs_node
def test_every_disagreement_is_explained(report: harness.Report) -> None:
    problems = []
    for case, result in report.runner_errors:
        problems.append(f"iam-simulate rejected a generated case ({result['error']}):\n{json.dumps(case)}")
    for case, result in report.out_of_overlap:
        keys = result["detail"]["ignored_context_keys"]
        problems.append(f"iam-simulate ignored context keys {keys}:\n{json.dumps(case)}")
    for i, d in enumerate(report.unknown):
        shown = harness.shrink(d, rounds=15) if i == 0 else d
        label = "shrunk to" if shown is not d else "case"
        problems.append(f"unexplained: localiam {d.ours}, iam-simulate {d.theirs}; {label}:\n{shown.report()}")
    assert not problems, (
        f"{len(problems)} problem(s) in {report.total} cases\n"
        + harness.summary(report)
        + ("\n\n" + "\n\n".join(problems[:5]))
    )


@needs_node
def test_the_cases_agree_mostly_and_cover_the_overlap(report: harness.Report) -> None:
    # A generator that drifted out of the overlap shows up as a collapse in agreement.
    assert report.agreements >= 0.85 * report.total, harness.summary(report)
    assert all(report.outcomes[o] >= 0.15 * report.total for o in harness.outcome_names()), report.outcomes
    seen = harness.coverage(generate.generate(SEED, CASES))
    families = ("String", "Numeric", "Date", "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "Arn", "Null")
    for family in families:
        assert any(k.startswith(f"operator:{family}") for k in seen), family
    for feature in (
        "IfExists",
        "qualifier:ForAllValues",
        "qualifier:ForAnyValue",
        "policy-variables",
        "element:NotAction",
        "element:NotResource",
        "element:NotPrincipal",
        "input:permissions_boundary",
        "input:session_policy",
        "input:scps",
        "input:rcps",
        "input:resource_policy",
        "cross-account",
        "principal:root",
        "principal:session",
        "principal:federated",
        "principal:anonymous",
        "principal:service",
    ):
        assert seen[feature] > 0, feature


def test_the_generator_is_deterministic() -> None:
    assert generate.generate_one(SEED, 7) == generate.generate_one(SEED, 7)
    assert generate.generate(3, 5) == [generate.generate_one(3, i) for i in range(5)]


def test_both_engines_get_the_same_context() -> None:
    """Every key localiam derives is passed to the runner (iam-simulate derives none)."""
    for spec in generate.generate(SEED, 50):
        derived = generate.full_context(spec)
        given = {k.lower() for k in generate.runner_case(spec)["context"]}
        assert set(derived) == given


def test_known_disagreements_are_documented_and_pinned() -> None:
    entries = harness.load_known()
    assert sorted(e["id"] for e in entries) == sorted(RULES)
    pinned = set(re.findall(r"^def (test_\w+)", ANSWERS.read_text(), re.MULTILINE))
    for entry in entries:
        for field in ("summary", "applies", "adjustment", "verdict", "aws_page", "aws_sentence", "unit_test"):
            assert entry.get(field), (entry["id"], field)
        assert entry["aws_page"].startswith("https://docs.aws.amazon.com/") or entry["aws_page"].startswith(
            "https://repost.aws/"
        ), entry["id"]
        assert entry["verdict"] in ("iam-simulate is wrong", "AWS's docs imply localiam's answer"), entry["id"]
        test = entry["unit_test"].rsplit("::", 1)[-1]
        assert test in pinned, (entry["id"], test)
