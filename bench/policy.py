"""Statement-matching benchmark for the policy layer (``localiam.policy.match``).

    .venv/bin/python bench/policy.py

On the realistic policy set of ``bench/workload.py`` (fixed seed; 45 customer-managed
policies of 20 statements, a boundary per account, SCPs, bucket/queue/function policies), each
request is matched against every statement of every policy that bears on it (identity,
boundary, SCP chain, resource policy): about 170 statements per request, with no action index,
so this measures the matcher itself. Rows:

- ``applies``: the fast path (action, resource, principal, conditions; short-circuits);
- ``applies_besides_action``: what the engine calls after its per-action index, on the
  statements whose Action element matches;
- ``match``: the explain path (every element and condition evaluated and recorded).

Timing: ``time.perf_counter_ns`` around each request's batch of statements after a warm-up
pass; the per-statement figure of a batch is its time divided by its statement count (so the
timer's own ~0.1 µs is spread over the batch). Throughput is statements matched per second
over all batches. Also reported: parse + compile throughput of the whole policy set.

This is a benchmark, not a test: it prints figures and never asserts on them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _stats
import workload

from localiam.engine import compile_policy
from localiam.engine.context import build_context
from localiam.policy import PolicyType, RequestFacts, Statement, applies, match, parse_policy
from localiam.policy.match import action_matches, applies_besides_action


def _batches(world: workload.World) -> list[tuple[RequestFacts, tuple[Statement, ...]]]:
    out = []
    for case in world.cases:
        inputs, request = case.inputs, case.request
        assert inputs is not None and request is not None
        policies = [p for level in inputs.scps.levels for p in level] if inputs.scps else []
        if inputs.resource is not None:
            policies.append(inputs.resource)
        policies += inputs.identity
        if inputs.boundary is not None:
            policies.append(inputs.boundary)
        statements = tuple(s for p in policies for s in p.policy.statements)
        context = build_context(
            request.principal.context,
            request.resource_facts,
            request.context,
            region=request.region,
            secure_transport=request.secure_transport,
        )
        facts = RequestFacts(request.action, request.resource, context, request.principal.facts)
        out.append((facts, statements))
    return out


def _run(batches, fn, repeat: int) -> tuple[list[float], int, int, int]:
    clock = time.perf_counter_ns
    per_statement: list[float] = []
    total_ns = 0
    total_statements = 0
    hits = 0
    for _ in range(repeat):
        for facts, statements in batches:
            if not statements:
                continue
            t0 = clock()
            for s in statements:
                fn(s, facts)
            elapsed = clock() - t0
            per_statement.append(elapsed / len(statements))
            total_ns += elapsed
            total_statements += len(statements)
    for facts, statements in batches:  # untimed: how many statements applied
        for s in statements:
            result = fn(s, facts)
            hits += result if isinstance(result, bool) else result.applies
    return per_statement, total_ns, total_statements, hits


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=workload.SEED)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3, help="timed passes (applies rows)")
    args = ap.parse_args(argv)

    _stats.print_machine(_stats.machine())
    world = workload.build_world(args.seed)
    workload.compile_world(world)
    workload.build_cases(world, args.requests)
    workload.prepare_engine(world)

    # Parse + compile throughput of the whole policy set (what a cache miss costs).
    docs = (
        [(d, PolicyType.IDENTITY) for d in world.documents.values()]
        + [(d, PolicyType.BOUNDARY) for d in world.boundaries.values()]
        + [(d, PolicyType.SCP) for d in world.scps.values()]
        + [(d, PolicyType.RESOURCE) for d in world.resource_docs.values()]
    )
    n_statements = sum(len(d["Statement"]) for d, _ in docs)
    start = time.perf_counter_ns()
    for _ in range(5):
        for doc, policy_type in docs:
            compile_policy("p", parse_policy(doc).value, policy_type)  # type: ignore[arg-type]
    compile_ns = (time.perf_counter_ns() - start) / 5

    batches = _batches(world)
    indexed = [
        (facts, tuple(s for s in statements if action_matches(s, facts.action))) for facts, statements in batches
    ]
    per_request = sum(len(s) for _, s in batches) / len(batches)
    per_request_indexed = sum(len(s) for _, s in indexed) / len(indexed)
    print(
        f"policy set: {len(docs)} policies, {n_statements} statements; {len(batches):,} requests, "
        f"{per_request:.0f} statements each ({per_request_indexed:.1f} after the action index)"
    )

    for fn, b in ((applies, batches), (applies_besides_action, indexed), (match, batches)):
        _run(b, fn, 1)  # warm-up pass (fills the glob / substitution caches)

    rows = []
    for label, fn, b, repeat in (
        ("applies (all statements)", applies, batches, args.repeat),
        ("applies_besides_action (action-indexed)", applies_besides_action, indexed, args.repeat),
        ("match, explain (all statements)", match, batches, 1),
    ):
        per, total_ns, count, hits = _run(b, fn, repeat)
        s = sorted(per)
        rows.append(
            [
                label,
                count,
                _stats.percentile(s, 50),
                _stats.percentile(s, 90),
                _stats.percentile(s, 99),
                total_ns / count,
                count / (total_ns / 1e9),
                f"{100 * hits / (count / repeat):.1f}%",
            ]
        )
    print()
    _stats.print_table(
        ["statement matching", "matches", "median ns", "p90 ns", "p99 ns", "mean ns", "matches/s", "applied"],
        rows,
    )
    print(
        f"\nparse + compile: {compile_ns / 1e6:.1f} ms for the whole set, "
        f"{n_statements / (compile_ns / 1e9):,.0f} statements/s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
