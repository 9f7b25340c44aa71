"""Text output: a readable tree of each decision (rich, imported only here)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from rich.console import Console
from rich.tree import Tree

from localiam.engine import Outcome

if TYPE_CHECKING:
    from localiam.cli.simulate import Result

_STYLE = {Outcome.ALLOW: "green", Outcome.EXPLICIT_DENY: "red", Outcome.IMPLICIT_DENY: "yellow"}


def render_results(results: list[Result], explain: bool) -> None:
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 100_000)
    for r in results:
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
                branch = tree.add(f"{ev.policy_type.value} policy {ev.policy}")
                for m in ev.matches:
                    s = m.statement
                    applies = "[bold]applies[/]" if m.applies else "does not apply"
                    node = branch.add(f"{s.effect.value} {s.label}: {applies}")
                    node.add(
                        f"action {'✓' if m.action else '✗'}  resource {'✓' if m.resource else '✗'}  "
                        f"principal {'✓' if m.principal else '✗'}"
                    )
                    for c in m.conditions:
                        got = "missing" if c.missing else ", ".join(c.context_values or ())
                        node.add(f"{c.operator} {c.key} {list(c.policy_values)} vs {got}: {'✓' if c.result else '✗'}")
        console.print(tree)
    failed = sum(1 for r in results if not r.passed)
    console.print(f"{len(results) - failed} passed, {failed} failed")
