"""Full-decision benchmark: localiam's engine vs @cloud-copilot/iam-simulate, same requests.

    .venv/bin/python bench/engine.py                  # 2,000 requests, both engines
    .venv/bin/python bench/engine.py --no-simulate    # ours only
    .venv/bin/python bench/engine.py --profile        # also cProfile the explain-off path

The workload (``bench/workload.py``, fixed seed): an organization of 3 accounts, 60 users in
1-3 groups each, 5 managed policies of 20 statements per group, conditions, permissions
boundaries on about a third of the users, SCPs root -> OU -> account, bucket/queue/function
policies, about half same-account and half cross-account requests.

Ours: every policy is parsed and compiled once up front (a server caches them); each request's
``PolicyInputs``/``Request`` are built once, then ``authorize`` is timed call by call with
``time.perf_counter_ns`` after a warm-up pass. A second row also times building the request
(``normalise_context`` + ``Request`` + ``PolicyInputs``) with the decision. Throughput comes from
an untimed loop over the same requests.

iam-simulate runs in a separate ``node`` process (``bench/simulate.mjs``): after a warm-up
pass, each ``runSimulation`` call is timed with ``process.hrtime.bigint()`` inside node, so
process start-up, module loading and JSON transfer are excluded.

This is a benchmark, not a test: it prints figures and never asserts on them.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import json
import pstats
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _stats
import workload

from localiam.engine import PolicyInputs, Request, ResourceFacts, authorize, normalise_context


def _forget_explanations(cases: list[workload.Case]) -> None:
    """Explain mode keeps each policy's evaluation for requests with the same Resource answers
    and condition values. Replaying the same requests would find every one kept, which a
    server meeting new requests would not: forget them before each explain-mode pass (what one
    pass's requests share with each other is still shared, as it would be in a server)."""
    seen: set[int] = set()
    for c in cases:
        inputs = c.inputs
        assert inputs is not None
        scps = inputs.scps.flat if inputs.scps is not None else ()
        for policy in (*inputs.identity, inputs.boundary, inputs.resource, *scps):
            if policy is not None and id(policy) not in seen:
                seen.add(id(policy))
                policy.forget_explanations()


def _time_decisions(cases: list[workload.Case], repeat: int, explain: bool) -> list[int]:
    clock = time.perf_counter_ns
    samples: list[int] = []
    append = samples.append
    pairs = [(c.inputs, c.request) for c in cases]
    for _ in range(repeat):
        if explain:
            _forget_explanations(cases)
        for inputs, request in pairs:
            t0 = clock()
            authorize(inputs, request, explain=explain)  # type: ignore[arg-type]
            append(clock() - t0)
    return samples


def _time_build_and_decide(world: workload.World, cases: list[workload.Case], repeat: int) -> list[int]:
    """What a server does per request once policies are cached: normalise the caller's context,
    build the Request and PolicyInputs, decide."""
    clock = time.perf_counter_ns
    samples: list[int] = []
    prepared = []
    for c in cases:
        assert c.inputs is not None
        facts = ResourceFacts(c.resource_account, workload.ORG_ID, (workload.org_path(c.resource_account),))
        prepared.append((c, c.inputs.identity, c.inputs.boundary, c.inputs.scps, c.inputs.resource, facts))
    for _ in range(repeat):
        for c, identity, boundary, scps, resource, facts in prepared:
            t0 = clock()
            inputs = PolicyInputs(identity=identity, boundary=boundary, scps=scps, resource=resource)
            request = Request(
                c.user.principal,  # type: ignore[arg-type]
                c.action,
                c.resource,
                facts,
                normalise_context(c.extra),
                c.region,
                c.secure_transport,
            )
            authorize(inputs, request)
            samples.append(clock() - t0)
    return samples


def _throughput(cases: list[workload.Case], explain: bool, min_seconds: float = 1.0) -> float:
    pairs = [(c.inputs, c.request) for c in cases]
    done = 0
    start = time.perf_counter()
    while True:
        if explain:
            _forget_explanations(cases)
        for inputs, request in pairs:
            authorize(inputs, request, explain=explain)  # type: ignore[arg-type]
        done += len(pairs)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return done / elapsed


def _run_simulate(sims: list[dict], warmup: int, repeat: int) -> tuple[dict, float]:
    script = Path(__file__).resolve().parent / "simulate.mjs"
    payload = json.dumps({"warmup": warmup, "repeat": repeat, "simulations": sims})
    start = time.perf_counter()
    proc = subprocess.run(["node", str(script)], input=payload, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"bench/simulate.mjs failed ({proc.returncode}):\n{proc.stderr}")
    return json.loads(proc.stdout), wall


def _profile(cases: list[workload.Case], top: int) -> None:
    pairs = [(c.inputs, c.request) for c in cases]
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(5):
        for inputs, request in pairs:
            authorize(inputs, request)  # type: ignore[arg-type]
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = []
    for (filename, line, name), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        short = filename.split("/src/")[-1] if "/src/" in filename else Path(filename).name
        rows.append((tottime, cumtime, ncalls, f"{short}:{line}({name})"))
    rows.sort(reverse=True)
    print(f"\ncProfile, explain off, {5 * len(pairs):,} decisions (self time; cProfile inflates small calls)")
    _stats.print_table(
        ["function", "self %", "cum %", "calls/decision"],
        [(r[3], 100 * r[0] / total, 100 * r[1] / total, r[2] / (5 * len(pairs))) for r in rows[:top]],
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=workload.SEED)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5, help="timed passes over the requests (ours)")
    ap.add_argument("--sim-warmup", type=int, default=1, help="untimed iam-simulate passes")
    ap.add_argument("--sim-repeat", type=int, default=1, help="timed iam-simulate passes")
    ap.add_argument("--no-simulate", action="store_true", help="skip iam-simulate")
    ap.add_argument("--profile", action="store_true", help="cProfile the explain-off path")
    ap.add_argument("--top", type=int, default=15, help="profile rows to print")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args(argv)

    machine = _stats.machine()
    _stats.print_machine(machine)

    t0 = time.perf_counter()
    world = workload.build_world(args.seed)
    workload.compile_world(world)
    compile_s = time.perf_counter() - t0
    cases = workload.build_cases(world, args.requests)
    workload.prepare_engine(world)
    boundaries = sum(u.boundary for u in world.users)
    print(
        f"workload: seed {args.seed}, {len(workload.ACCOUNTS)} accounts, {len(world.users)} users "
        f"({boundaries} with a boundary), {len(world.documents)} managed policies / "
        f"{world.statement_count()} statements, {len(world.resource_docs)} resource policies, "
        f"{len(cases):,} requests ({sum(c.same_account for c in cases):,} same-account); "
        f"parse+compile of every policy {compile_s * 1000:.0f} ms"
    )
    per_user = [len(u.policy_names) for u in world.users]
    print(
        f"identity policies per user: min {min(per_user)}, "
        f"mean {sum(per_user) / len(per_user):.1f}, max {max(per_user)}"
    )

    # Warm up (fills each compiled policy's per-action index, as a running server would).
    decisions = [authorize(c.inputs, c.request) for c in cases]  # type: ignore[arg-type]
    for c in cases:
        authorize(c.inputs, c.request, explain=True)  # type: ignore[arg-type]

    off = _stats.summary_ns(_time_decisions(cases, args.repeat, explain=False))
    on = _stats.summary_ns(_time_decisions(cases, max(1, args.repeat // 5), explain=True))
    build = _stats.summary_ns(_time_build_and_decide(world, cases, args.repeat))
    off_tp = _throughput(cases, explain=False)
    on_tp = _throughput(cases, explain=True)

    sim_summary = None
    sim = None
    sim_wall = 0.0
    if not args.no_simulate:
        sims = [workload.simulation(world, c) for c in cases]
        sim, sim_wall = _run_simulate(sims, args.sim_warmup, args.sim_repeat)
        sim_summary = _stats.summary_ns(sim["timings_ns"])

    rows = [
        [
            "localiam authorize, explain off",
            off["n"],
            off["median_us"],
            off["p90_us"],
            off["p99_us"],
            off["mean_us"],
            off_tp,
        ],
        ["localiam authorize, explain on", on["n"], on["median_us"], on["p90_us"], on["p99_us"], on["mean_us"], on_tp],
        [
            "localiam build request + authorize (off)",
            build["n"],
            build["median_us"],
            build["p90_us"],
            build["p99_us"],
            build["mean_us"],
            1e6 / build["mean_us"],
        ],
    ]
    if sim_summary is not None:
        rows.append(
            [
                "iam-simulate runSimulation (in node)",
                sim_summary["n"],
                sim_summary["median_us"],
                sim_summary["p90_us"],
                sim_summary["p99_us"],
                sim_summary["mean_us"],
                1e6 / sim_summary["mean_us"],
            ]
        )
    print()
    _stats.print_table(["per decision", "samples", "median µs", "p90 µs", "p99 µs", "mean µs", "decisions/s"], rows)
    if sim_summary is not None:
        print(
            f"\nmedian ratio iam-simulate / localiam: explain off {sim_summary['median_us'] / off['median_us']:.0f}x, "
            f"explain on {sim_summary['median_us'] / on['median_us']:.1f}x "
            f"(node process wall time incl. start-up and {args.sim_warmup} warm-up pass(es): {sim_wall:.1f} s)"
        )

    # Outcome mix, and agreement with iam-simulate.
    mix = collections.Counter()
    by_type = collections.Counter()
    for c, d in zip(cases, decisions, strict=True):
        mix[(d.outcome.value, "same" if c.same_account else "cross")] += 1
        by_type[(d.outcome.value, d.denied_by.value if d.denied_by else "-")] += 1
    print()
    outcomes = ["Allow", "ExplicitDeny", "ImplicitDeny"]
    _stats.print_table(
        ["outcome", "same-account", "cross-account", "total", "share"],
        [
            [
                o,
                mix[(o, "same")],
                mix[(o, "cross")],
                mix[(o, "same")] + mix[(o, "cross")],
                f"{100 * (mix[(o, 'same')] + mix[(o, 'cross')]) / len(cases):.1f}%",
            ]
            for o in outcomes
        ],
    )
    print("denied by: " + ", ".join(f"{o} {t} {n}" for (o, t), n in sorted(by_type.items()) if o != "Allow"))
    if sim is not None:
        agree = sum(d.outcome.value == s for d, s in zip(decisions, sim["decisions"], strict=True))
        print(
            f"agreement with iam-simulate: {agree:,}/{len(cases):,} decisions; {len(sim['errors'])} iam-simulate errors"
        )
        shown = 0
        for c, d, s in zip(cases, decisions, sim["decisions"], strict=True):
            if d.outcome.value != s and shown < 5:
                shown += 1
                print(f"  differs: {c.user.arn} {c.action} {c.resource}: localiam {d.outcome.value}, iam-simulate {s}")

    if args.profile:
        _profile(cases, args.top)

    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "machine": machine,
                    "seed": args.seed,
                    "requests": len(cases),
                    "explain_off": off,
                    "explain_on": on,
                    "build_and_decide": build,
                    "throughput_off": off_tp,
                    "throughput_on": on_tp,
                    "iam_simulate": sim_summary,
                    "outcomes": {f"{k[0]}/{k[1]}": v for k, v in mix.items()},
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
