"""``localiam simulate SCENARIO...``: decide every request of the scenario files offline.

Exit 0 when every ``expect`` holds, 1 when one fails, 2 on invalid input (a message naming
the file and the location; never a traceback).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from localiam.engine import ContextError, Decision, Outcome, authorize
from localiam.state.resolve import ResolveError, Resolver
from localiam.state.scenario import RequestSpec, ScenarioError, load_scenario


@dataclass
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


def run_file(path: Path, explain: bool) -> list[Result]:
    """Every request of one file; raises ScenarioError with the file and locations."""
    scenario = load_scenario(path)
    resolver = Resolver.for_scenario(scenario)
    results = []
    problems = []
    resolved = []
    for spec in scenario.requests:
        try:
            resolved.append((spec, resolver.resolve(spec)))
        except ResolveError as exc:
            problems.append((spec.location + (f"/{exc.field}" if exc.field else ""), str(exc)))
        except ContextError as exc:
            problems.append((spec.location + "/context", str(exc)))
    if problems:
        raise ScenarioError(str(path), problems)
    for spec, r in resolved:
        results.append(Result(str(path), spec, authorize(r.inputs, r.request, explain=explain)))
    return results


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--explain", is_flag=True, help="Show how every statement of every policy matched.")
def simulate(files: tuple[Path, ...], output: str, explain: bool) -> None:
    """Decide the requests of scenario files as AWS would, and check their expectations."""
    results: list[Result] = []
    invalid = False
    for path in files:
        try:
            results.extend(run_file(path, explain))
        except ScenarioError as exc:
            invalid = True
            click.echo(f"error: invalid scenario\n{exc}", err=True)
    failed = sum(1 for r in results if not r.passed)
    if output == "json":
        payload = {
            "results": [r.as_dict(explain) for r in results],
            "passed": len(results) - failed,
            "failed": failed,
        }
        click.echo(json.dumps(payload, indent=2))
    else:
        from localiam.cli.render import render_results

        render_results(results, explain)
    if invalid:
        sys.exit(2)
    sys.exit(1 if failed else 0)
