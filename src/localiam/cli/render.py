"""Text output: a readable tree of each decision (rich, imported only here)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.console import Console
from rich.tree import Tree

from localiam.engine import Outcome

if TYPE_CHECKING:
    from localiam.cli.simulate import Result
    from localiam.policy.match import StatementMatch

_STYLE = {Outcome.ALLOW: "green", Outcome.EXPLICIT_DENY: "red", Outcome.IMPLICIT_DENY: "yellow"}


def render_results(results: Iterable[Result], explain: bool) -> None:
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 100_000)
    passed = failed = 0
    for r in results:
        if r.passed:
            passed += 1
        else:
            failed += 1
        d = r.decision
        mark = "[green]PASS[/]" if r.passed else "[red]FAIL[/]"
        if r.spec.expect is None:
            mark = "[dim]----[/]"
        tree = Tree(f"{mark} {r.spec.name}: [{_STYLE[d.outcome]}]{d.outcome.value}[/]")
        if r.spec.expect is not None:
            tree.add(f"expected: {r.spec.expect}")
        tree.add(f"{r.spec.action} on {r.spec.resource}")
        if d.message:
            tree.add(f"message: {d.message}")
        if d.verdicts:
            branch = tree.add("policy types")
            for policy_type, verdict in d.verdicts.items():
                branch.add(f"{policy_type.value}: {verdict.value}")
        if d.determining:
            branch = tree.add("determining statements")
            for ref in d.determining:
                branch.add(str(ref))
        elif d.denied_by is not None:
            tree.add(f"no statement of type {d.denied_by.value} allows the request")
        if explain:
            if d.missing_context_keys:
                tree.add("missing context keys: " + ", ".join(d.missing_context_keys))
            for ev in d.evaluations:
                branch = tree.add(ev.policy_label)
                for m in ev.matches:
                    s = m.statement
                    applies = "[bold]applies[/]" if m.applies else "does not apply"
                    node = branch.add(f"{s.effect.value} {s.label}: {applies}")
                    node.add(elements_line(m))
                    for c in m.conditions:
                        got = "missing" if c.missing else ", ".join(c.context_values or ())
                        node.add(f"{c.operator} {c.key} {list(c.policy_values)} vs {got}: {_mark(c.result)}")
        console.print(tree)
    console.print(f"{passed} passed, {failed} failed")


def _mark(result: bool | None) -> str:
    """✓ matched, ✗ did not; "not checked" when the engine did not look (the statement's
    Action element did not match the request, so nothing else decides)."""
    return "not checked" if result is None else "✓" if result else "✗"


def elements_line(m: StatementMatch) -> str:
    """How each element the statement has matched, by its name as written
    (``Principal ✓  Action ✓  Condition ✗``); elements the statement does not have are not
    shown: an identity statement has no principal to match."""
    s = m.statement
    outcomes: dict[str, bool | None] = {
        "Principal": m.principal,
        "NotPrincipal": m.principal,
        "Action": m.action,
        "NotAction": m.action,
        "Resource": m.resource,
        "NotResource": m.resource,
        "Condition": all(c.result for c in m.conditions) if m.conditions else None,
    }
    return "  ".join(f"{element} {_mark(outcomes[element])}" for element in s.matched_elements)
