"""Run generated cases through localiam and iam-simulate, compare, and explain disagreements.

A disagreement is *explained* by an entry of ``known_disagreements.json`` when, and only when,
that entry's rule (in :data:`RULES`, keyed by the entry's id) both

1. ``applies`` to the case: the feature the entry is about is present (a structural test of
   the case), and
2. ``adjust`` turns the runner's CASE JSON into the input under which iam-simulate's own logic
   yields AWS's documented answer (e.g. the root user gets the full access AWS gives it), and
   iam-simulate, run again on the adjusted case, then gives localiam's answer.

So every explanation is checked by the oracle itself: an entry cannot hide an unrelated bug,
because the adjusted case must agree. The rules live in :mod:`known`; each disagreement is
attributed to the smallest set of rules that explains it (one rule, a pair, a triple, then
all that apply).

Anything else is unexplained: a bug in localiam to fix, or a new class to decide from AWS's
docs and record. :func:`shrink` reduces such a case to a minimal one for the report.
"""

from __future__ import annotations

import copy
import itertools
import json
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import generate as gen
from known import RULES, adjusted, statements

from localiam.engine import Outcome, authorize
from localiam.policy import parse_policy

Json = dict[str, Any]
HERE = Path(__file__).resolve().parent
RUNNER = HERE / "runner.mjs"
KNOWN_FILE = HERE / "known_disagreements.json"


def node_available() -> str | None:
    """Why the differential test cannot run here, or ``None`` when it can."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (HERE / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
        return "tests/differential/node_modules is missing (run `cd tests/differential && npm ci`)"
    return None


def run_runner(cases: list[Json]) -> list[Json]:
    """All cases through iam-simulate in one node process."""
    if not cases:
        return []
    proc = subprocess.run(
        ["node", str(RUNNER)],
        input=json.dumps({"cases": cases}),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"runner.mjs exited {proc.returncode}: {proc.stderr[-2000:]}")
    results: list[Json] = json.loads(proc.stdout)["results"]
    return results


def decide_ours(spec: Json) -> str:
    inputs, request = gen.engine_inputs(spec)
    return authorize(inputs, request).outcome.value


# --------------------------------------------------------------------------- known classes


def load_known() -> list[Json]:
    """The checked-in entries; their ids must be exactly the rules of :mod:`known`."""
    entries: list[Json] = json.loads(KNOWN_FILE.read_text())["entries"]
    ids = [e["id"] for e in entries]
    if sorted(ids) != sorted(RULES):
        raise AssertionError(f"known_disagreements.json ids {sorted(ids)} != rules in known.py {sorted(RULES)}")
    return entries


# --------------------------------------------------------------------------- comparing


@dataclass
class Disagreement:
    spec: Json
    case: Json
    ours: str
    theirs: str
    detail: Json | None
    explained_by: tuple[str, ...] = ()

    def report(self) -> str:
        return json.dumps(
            {"localiam": self.ours, "iam-simulate": self.theirs, "case": self.case, "spec": self.spec}, indent=1
        )


@dataclass
class Report:
    total: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    agreements: int = 0
    runner_errors: list[tuple[Json, Json]] = field(default_factory=list)
    out_of_overlap: list[tuple[Json, Json]] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)
    ours_seconds: float = 0.0
    """Parsing and compiling every policy of every case, then ``authorize``."""
    ours_authorize_seconds: float = 0.0
    """``authorize`` alone."""
    theirs_seconds: float = 0.0

    @property
    def known(self) -> list[Disagreement]:
        return [d for d in self.disagreements if d.explained_by]

    @property
    def unknown(self) -> list[Disagreement]:
        return [d for d in self.disagreements if not d.explained_by]

    def by_class(self) -> Counter[str]:
        return Counter("+".join(d.explained_by) or "UNEXPLAINED" for d in self.disagreements)


def compare(specs: list[Json]) -> Report:
    report = Report(total=len(specs))
    started = time.perf_counter()
    built = [gen.engine_inputs(s) for s in specs]
    middle = time.perf_counter()
    ours = [authorize(inputs, request).outcome.value for inputs, request in built]
    report.ours_seconds = time.perf_counter() - started
    report.ours_authorize_seconds = time.perf_counter() - middle
    cases = [gen.runner_case(s) for s in specs]
    started = time.perf_counter()
    theirs = run_runner(cases)
    report.theirs_seconds = time.perf_counter() - started
    for spec, case, mine, result in zip(specs, cases, ours, theirs, strict=True):
        report.outcomes[mine] += 1
        if result["decision"] == "Error":
            report.runner_errors.append((case, result))
            continue
        if result["detail"].get("ignored_context_keys"):
            report.out_of_overlap.append((case, result))
            continue
        if mine == result["decision"]:
            report.agreements += 1
        else:
            report.disagreements.append(Disagreement(spec, case, mine, result["decision"], result["detail"]))
    classify(report.disagreements)
    return report


def classify(disagreements: list[Disagreement]) -> None:
    """Explain each disagreement by the known rules that apply to it, trying the smallest sets
    first; iam-simulate must agree with localiam on the adjusted case."""
    if not disagreements:
        return
    load_known()
    attempts: list[tuple[int, tuple[str, ...], Json]] = []
    for i, d in enumerate(disagreements):
        applicable = tuple(rule_id for rule_id, rule in RULES.items() if rule.applies(d.spec))
        sizes = [*range(1, min(len(applicable), 3) + 1)]
        if len(applicable) > 3:
            sizes.append(len(applicable))
        for size in sizes:
            for rule_ids in itertools.combinations(applicable, size):
                attempts.append((i, rule_ids, adjusted(d.case, rule_ids)))
    results = run_runner([case for _, _, case in attempts])
    # The smallest set of rules that explains each disagreement (attempts are in size order).
    for (i, rule_ids, _), result in zip(attempts, results, strict=True):
        d = disagreements[i]
        if not d.explained_by and result["decision"] == d.ours:
            d.explained_by = rule_ids


# --------------------------------------------------------------------------- shrinking


def _variants(spec: Json) -> Iterable[Json | None]:
    """Smaller versions of ``spec``: one policy, statement, condition or context key fewer."""

    def edited(fn: Callable[[Json], None]) -> Json | None:
        s = copy.deepcopy(spec)
        try:
            fn(s)
        except _Skip:
            return None
        return s

    for i in range(len(spec["identity_policies"])):
        yield edited(lambda s, i=i: s["identity_policies"].pop(i))
    for field_name in ("permissions_boundary", "session_policy", "scps", "rcps"):
        if spec[field_name] is not None:
            yield edited(lambda s, f=field_name: s.__setitem__(f, None))
    if spec["resource_policy"] is not None and not spec["resource_must_allow"]:
        yield edited(lambda s: s.__setitem__("resource_policy", None))
    for path, document in _documents(spec):
        stmts = statements(document)
        for j in range(len(stmts)):
            if len(stmts) > 1:
                yield edited(lambda s, p=path, j=j: _document_at(s, p)["Statement"].pop(j))
            for op, keys in stmts[j].get("Condition", {}).items():
                for key in keys:
                    yield edited(
                        lambda s, p=path, j=j, op=op, key=key: _drop_condition(
                            _document_at(s, p)["Statement"][j], op, key
                        )
                    )
            for element in ("Action", "Resource", "NotAction", "NotResource", "Principal"):
                value = stmts[j].get(element)
                if isinstance(value, list) and len(value) > 1:
                    for k in range(len(value)):
                        yield edited(
                            lambda s, p=path, j=j, e=element, k=k: _document_at(s, p)["Statement"][j][e].pop(k)
                        )
    for key in spec["context"]:
        yield edited(lambda s, key=key: s["context"].pop(key))
    for path in _org_policy_paths(spec):
        yield edited(lambda s, p=path: _remove_org_policy(s, p))


def _documents(spec: Json) -> list[tuple[tuple[Any, ...], Json]]:
    out: list[tuple[tuple[Any, ...], Json]] = []
    for i, p in enumerate(spec["identity_policies"]):
        out.append((("identity_policies", i, "document"), p["document"]))
    if spec["permissions_boundary"]:
        out.append((("permissions_boundary", "document"), spec["permissions_boundary"]["document"]))
    if spec["session_policy"]:
        out.append((("session_policy",), spec["session_policy"]))
    if spec["resource_policy"]:
        out.append((("resource_policy",), spec["resource_policy"]))
    for which in ("scps", "rcps"):
        if spec[which]:
            for li, level in enumerate(spec[which]["levels"]):
                for pi, p in enumerate(level):
                    out.append(((which, "levels", li, pi, "document"), p["document"]))
    return out


def _document_at(spec: Json, path: tuple[Any, ...]) -> Json:
    node: Any = spec
    for part in path:
        node = node[part]
    if node in (gen.FULL_AWS_ACCESS, gen.RCP_FULL_AWS_ACCESS):
        raise _Skip
    return node  # type: ignore[no-any-return]


def _drop_condition(stmt: Json, op: str, key: str) -> None:
    del stmt["Condition"][op][key]
    if not stmt["Condition"][op]:
        del stmt["Condition"][op]
    if not stmt["Condition"]:
        del stmt["Condition"]


def _org_policy_paths(spec: Json) -> list[tuple[str, int, int]]:
    return [
        (which, li, pi)
        for which in ("scps", "rcps")
        if spec[which]
        for li, level in enumerate(spec[which]["levels"])
        for pi in range(len(level))
    ]


def _remove_org_policy(spec: Json, path: tuple[str, int, int]) -> None:
    which, li, pi = path
    spec[which]["levels"][li].pop(pi)


class _Skip(Exception):
    pass


def _valid(spec: Json) -> bool:
    for _, document in _documents(spec):
        result = parse_policy(document)
        if result.value is None or any(f.severity.value == "error" for f in result.findings):
            return False
    return True


def shrink(d: Disagreement, rounds: int = 40) -> Disagreement:
    """A smaller case with the same disagreement (the same pair of answers, still unexplained),
    found by removing one piece at a time; each round runs the candidates in one node call."""
    spec = d.spec
    for _ in range(rounds):
        candidates = []
        for variant in _variants(spec):
            if variant is not None and _valid(variant):
                candidates.append(variant)
        if not candidates:
            break
        results = run_runner([gen.runner_case(c) for c in candidates])
        found = None
        for candidate, result in zip(candidates, results, strict=True):
            if result["decision"] != d.theirs or decide_ours(candidate) != d.ours:
                continue
            probe = Disagreement(candidate, gen.runner_case(candidate), d.ours, d.theirs, result["detail"])
            classify([probe])
            if not probe.explained_by:
                found = probe
                break
        if found is None:
            break
        spec = found.spec
        d = found
    return d


def coverage(specs: list[Json]) -> Counter[str]:
    """What the cases exercise: principal kinds, services, policy types, elements, operators
    (base, qualifier, IfExists), variables; for the bench's report and the test's floor."""
    seen: Counter[str] = Counter()
    for spec in specs:
        seen[f"principal:{spec['principal']['kind']}"] += 1
        seen[f"service:{spec['action'].split(':')[0]}"] += 1
        same = spec["principal"]["account"] == spec["resource"]["account"]
        seen["same-account" if same else "cross-account"] += 1
        for field_name in ("permissions_boundary", "session_policy", "scps", "rcps", "resource_policy"):
            if spec[field_name]:
                seen[f"input:{field_name}"] += 1
        if spec["identity_policies"]:
            seen["input:identity_policies"] += 1
        for doc in _all_documents(spec):
            for stmt in statements(doc):
                seen[f"effect:{stmt['Effect']}"] += 1
                for element in ("NotAction", "NotResource", "NotPrincipal", "Principal"):
                    if element in stmt:
                        seen[f"element:{element}"] += 1
                if "${" in json.dumps(stmt):
                    seen["policy-variables"] += 1
                for operator in stmt.get("Condition", {}):
                    qualifier, _, base = operator.rpartition(":")
                    if qualifier:
                        seen[f"qualifier:{qualifier}"] += 1
                    if base.endswith("IfExists"):
                        seen["IfExists"] += 1
                        base = base.removesuffix("IfExists")
                    seen[f"operator:{base}"] += 1
    return seen


def _all_documents(spec: Json) -> Iterable[Json]:
    return [document for _, document in _documents(spec)]


def outcome_names() -> tuple[str, ...]:
    return tuple(o.value for o in Outcome)


def summary(report: Report) -> str:
    lines = [
        f"cases: {report.total}",
        "localiam outcomes: " + ", ".join(f"{k} {report.outcomes[k]}" for k in outcome_names()),
        f"agreements: {report.agreements}",
        f"disagreements: {len(report.disagreements)} (known {len(report.known)}, unknown {len(report.unknown)})",
    ]
    for name, n in sorted(report.by_class().items()):
        lines.append(f"  {name}: {n}")
    if report.runner_errors:
        lines.append(f"runner errors (generator left the overlap): {len(report.runner_errors)}")
    if report.out_of_overlap:
        lines.append(f"cases with context keys iam-simulate ignored: {len(report.out_of_overlap)}")
    return "\n".join(lines)


__all__ = [
    "RULES",
    "Disagreement",
    "Report",
    "classify",
    "compare",
    "coverage",
    "load_known",
    "node_available",
    "run_runner",
    "shrink",
    "summary",
]
