"""``localiam simulate SCENARIO...``: decide every request of the scenario files offline.

Exit 0 when every ``expect`` holds, 1 when one fails, 2 on invalid input (a message naming
the file and the location; never a traceback).
"""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import click

from localiam.engine import Decision, Outcome, StatementRef, authorize
from localiam.state.resolve import ResolveError, Resolver
from localiam.state.scenario import RequestSpec, ScenarioError, load_scenario


@dataclass(slots=True)
class Result:
    file: str
    spec: RequestSpec
    decision: Decision

    @property
    def passed(self) -> bool:
        return expectation_holds(self.spec.expect, self.decision.outcome)

    def as_dict(self, explain: bool) -> dict[str, Any]:
        d = self.decision
        explanation: dict[str, Any] = {
            "determining_statements": [r.as_dict() for r in d.determining],
            "denied_by": d.denied_by.value if d.denied_by else None,
            "policy_types": {t.value: v.value for t, v in d.verdicts.items()},
        }
        if explain:
            explanation["missing_context_keys"] = list(d.missing_context_keys)
            explanation["evaluations"] = [e.as_dict() for e in d.evaluations]
        return {
            "file": self.file,
            "name": self.spec.name,
            "decision": d.outcome.value,
            "expected": self.spec.expect,
            "passed": self.passed,
            "message": d.message,
            "explanation": explanation,
        }


def expectation_holds(expect: str | None, outcome: Outcome) -> bool:
    if expect is None:
        return True
    if expect == "allow":
        return outcome is Outcome.ALLOW
    if expect == "deny":
        return outcome is not Outcome.ALLOW
    if expect == "explicit-deny":
        return outcome is Outcome.EXPLICIT_DENY
    return outcome is Outcome.IMPLICIT_DENY


def _decided(path: Path, explain: bool) -> Iterator[Result]:
    """Every request of one file, decided one at a time; raises ScenarioError with the file
    and locations before the first when any request names something the world lacks.

    Every request is checked first, so that every problem is found before anything is
    printed (this fills the resolver's caches of principals and resources); then each is
    resolved and decided in turn, so that no more than one request's inputs and decision are
    held at a time, however long the file."""
    # Loading makes the objects that live until the last decision (the world, its compiled
    # policies, the requests): the cyclic garbage collector is kept off while they are made and
    # then kept away from them, or its full collections would walk them again and again, at a
    # cost that grows with the file.
    collecting = gc.isenabled()
    gc.disable()
    try:
        scenario = load_scenario(path)
        resolver = Resolver.for_scenario(scenario)
        problems = []
        for spec in scenario.requests:
            try:
                resolver.check(spec)
            except ResolveError as exc:
                problems.append((spec.location + (f"/{exc.field}" if exc.field else ""), str(exc)))
    finally:
        if collecting:
            gc.enable()
    if problems:
        raise ScenarioError(str(path), problems)
    name = str(path)
    gc.freeze()
    try:
        for spec in scenario.requests:
            r = resolver.resolve(spec)
            yield Result(name, spec, authorize(r.inputs, r.request, explain=explain))
    finally:
        gc.unfreeze()


def run_file(path: Path, explain: bool) -> list[Result]:
    """Every request of one file; raises ScenarioError with the file and locations."""
    return list(_decided(path, explain))


def _decisions(files: tuple[Path, ...], explain: bool, counts: list[int], invalid: list[bool]) -> Iterator[Result]:
    """The results of every file in turn; ``counts`` gets [passed, failed], ``invalid`` a
    ``True`` for each file that is not a valid scenario (its message goes to stderr)."""
    for path in files:
        try:
            for result in _decided(path, explain):
                counts[0 if result.passed else 1] += 1
                yield result
        except ScenarioError as exc:
            invalid.append(True)
            click.echo(f"error: invalid scenario\n{exc}", err=True)


_text: Callable[[str], str] = json.encoder.encode_basestring_ascii
"""A string as ``json.dumps`` writes it (with ``ensure_ascii``)."""

_KEPT = 4096
"""How many distinct explanations (and statements) the JSON writer keeps formatted."""


class _JsonResults:
    """``{"results": [...], "passed": N, "failed": M}`` written result by result, the same
    text as ``json.dumps`` of the whole document with ``indent=2``.

    Without explain mode a result is written from pieces formatted once: the lines from
    ``"decision"`` to ``"message"`` for each outcome and expectation, and the ``explanation``
    for each distinct one (the same for every decision with the same determining statements,
    denying policy type and verdicts), itself made of each statement's text, formatted once.
    What is left for each result is its name and its message. Results are written to ``out``
    a few hundred at a time (a write per result costs about a microsecond more)."""

    def __init__(self, out: TextIO, explain: bool) -> None:
        self.out = out
        self.explain = explain
        self.count = 0
        self._pending: list[str] = []
        self._file = ""
        self._head = ""
        self._middles: dict[tuple[Outcome, str | None], str] = {}
        self._explanations: dict[object, str] = {}
        self._statements: dict[StatementRef, str] = {}

    def write(self, result: Result) -> None:
        if self.explain:
            text = "    " + json.dumps(result.as_dict(True), indent=2).replace("\n", "\n    ")
            self._pending.append(("\n" if self.count == 0 else ",\n") + text)
        else:
            self._pending.append(self._render(result))
        self.count += 1
        if len(self._pending) >= 256:
            self.out.write("".join(self._pending))
            self._pending.clear()

    def _render(self, result: Result) -> str:
        if result.file is not self._file:
            self._file = result.file
            self._head = f'    {{\n      "file": {_text(result.file)},\n      "name": '
        d = result.decision
        spec = result.spec
        middle = self._middles.get((d.outcome, spec.expect))
        if middle is None:
            middle = self._middles[(d.outcome, spec.expect)] = _middle(d.outcome, spec.expect, result.passed)
        key = (d.determining, d.denied_by, tuple(d.verdicts.items()))
        explanation = self._explanations.get(key)
        if explanation is None:
            if len(self._explanations) >= _KEPT:
                self._explanations.clear()
            explanation = self._explanations[key] = self._explanation(d)
        return f"{',' if self.count else ''}\n{self._head}{_text(spec.name)}{middle}{_text(d.message)}{explanation}"

    def _explanation(self, d: Decision) -> str:
        """``,\n      "explanation": {...}\n    }``: the rest of a result after its message, as
        ``json.dumps(..., indent=2)`` indents it there."""
        if d.determining:
            statements = ",\n          ".join(self._statement(ref) for ref in d.determining)
            statements = f"[\n          {statements}\n        ]"
        else:
            statements = "[]"
        denied_by = "null" if d.denied_by is None else _text(d.denied_by.value)
        if d.verdicts:
            verdicts = ",\n          ".join(f"{_text(t.value)}: {_text(v.value)}" for t, v in d.verdicts.items())
            verdicts = f"{{\n          {verdicts}\n        }}"
        else:
            verdicts = "{}"
        return (
            f',\n      "explanation": {{\n        "determining_statements": {statements},\n'
            f'        "denied_by": {denied_by},\n        "policy_types": {verdicts}\n      }}\n    }}'
        )

    def _statement(self, ref: StatementRef) -> str:
        text = self._statements.get(ref)
        if text is None:
            if len(self._statements) >= _KEPT:
                self._statements.clear()
            fields = ",\n            ".join(f"{_text(k)}: {_scalar(v)}" for k, v in ref.as_dict().items())
            text = self._statements[ref] = f"{{\n            {fields}\n          }}"
        return text

    def finish(self, passed: int, failed: int) -> None:
        head = "\n  ]" if self.count else "]"
        self._pending.append(f'{head},\n  "passed": {passed},\n  "failed": {failed}\n}}\n')
        self.out.write("".join(self._pending))
        self._pending.clear()


def _scalar(value: object) -> str:
    """A string, number, boolean or null as ``json.dumps`` writes it (its pure-Python encoder,
    which ``indent`` selects, costs more than the rest of a statement's text)."""
    return _text(value) if isinstance(value, str) else json.dumps(value)


def _middle(outcome: Outcome, expect: str | None, passed: bool) -> str:
    """A result's lines from the end of its name to the start of its message."""
    return (
        f',\n      "decision": {_text(outcome.value)},\n'
        f'      "expected": {"null" if expect is None else _text(expect)},\n'
        f'      "passed": {"true" if passed else "false"},\n      "message": '
    )


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--explain", is_flag=True, help="Show how every statement of every policy matched.")
def simulate(files: tuple[Path, ...], output: str, explain: bool) -> None:
    """Decide the requests of scenario files as AWS would, and check their expectations."""
    counts = [0, 0]
    invalid: list[bool] = []
    results = _decisions(files, explain, counts, invalid)
    if output == "json":
        # Streamed: a file of many requests never has all its decisions in memory.
        out = sys.stdout
        writer = _JsonResults(out, explain)
        out.write('{\n  "results": [')
        for result in results:
            writer.write(result)
        writer.finish(counts[0], counts[1])
        out.flush()
    else:
        from localiam.cli.render import render_results

        render_results(results, explain)
    if invalid:
        sys.exit(2)
    sys.exit(1 if counts[1] else 0)
