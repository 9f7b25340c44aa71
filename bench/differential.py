"""Differential run: localiam against @cloud-copilot/iam-simulate on generated cases.

    .venv/bin/python bench/differential.py              # 20,000 cases, seed 1
    .venv/bin/python bench/differential.py 42 -n 5000   # seed 42, 5,000 cases
    .venv/bin/python bench/differential.py --shrink 3   # also shrink 3 unexplained cases

Cases come from ``tests/differential/generate.py`` (seeded worlds and requests in the feature
overlap of both engines); ``tests/differential/harness.py`` runs them, compares the three
outcomes and explains each disagreement by an entry of
``tests/differential/known_disagreements.json`` (checked by re-running iam-simulate on the
adjusted case). Prints the outcome counts, agreements, known and unknown disagreements by
class, the generator's coverage, and each engine's throughput. localiam's figure is building
its inputs (parsing and compiling every policy of the case) plus ``authorize``; iam-simulate's
is the wall time of one node process over all cases, start-up included. Exit status 1 when a
disagreement is unexplained or a case left the overlap.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "differential"))

import generate  # noqa: E402
import harness  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seed", nargs="?", type=int, default=1)
    parser.add_argument("-n", "--cases", type=int, default=20_000)
    parser.add_argument("--shrink", type=int, default=1, help="shrink and print this many unexplained cases")
    parser.add_argument("--coverage", action="store_true", help="print every coverage counter")
    args = parser.parse_args(argv)

    why = harness.node_available()
    if why is not None:
        print(f"cannot run: {why}", file=sys.stderr)
        return 2

    started = time.perf_counter()
    specs = generate.generate(args.seed, args.cases)
    generated = time.perf_counter() - started
    report = harness.compare(specs)

    print(f"seed {args.seed}: {args.cases} cases generated in {generated:.1f} s")
    print(harness.summary(report))
    ours = report.total / report.ours_seconds if report.ours_seconds else float("inf")
    theirs = report.total / report.theirs_seconds if report.theirs_seconds else float("inf")
    decide = report.total / report.ours_authorize_seconds if report.ours_authorize_seconds else float("inf")
    print(f"localiam:     {report.ours_seconds:6.2f} s  {ours:9.0f} cases/s (parse + compile every policy + authorize)")
    print(f"              {report.ours_authorize_seconds:6.2f} s  {decide:9.0f} cases/s (authorize alone)")
    print(f"iam-simulate: {report.theirs_seconds:6.2f} s  {theirs:9.0f} cases/s (one node process, start-up included)")

    seen = harness.coverage(specs)
    if args.coverage:
        for name, count in sorted(seen.items()):
            print(f"  {name}: {count}")
    else:
        operators = sorted(k.split(":", 1)[1] for k in seen if k.startswith("operator:"))
        print(
            f"coverage: {len(operators)} condition operators, "
            + ", ".join(
                f"{k} {seen[k]}"
                for k in ("IfExists", "qualifier:ForAllValues", "qualifier:ForAnyValue", "policy-variables")
            )
        )

    for d in report.unknown[: args.shrink]:
        small = harness.shrink(d)
        print("\nunexplained disagreement (shrunk):")
        print(small.report())
    for case, result in report.runner_errors[:3]:
        print("\nrunner error:", result["error"], json.dumps(case)[:2000])
    return 1 if report.unknown or report.runner_errors or report.out_of_overlap else 0


if __name__ == "__main__":
    raise SystemExit(main())
