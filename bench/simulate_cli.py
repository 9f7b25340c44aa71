"""``localiam simulate FILE --output json`` as a user runs it, on the workload of issue 17
(``scenario_workload.py``), next to ``@cloud-copilot/iam-simulate`` on the same requests in
the same run.

    .venv/bin/python bench/simulate_cli.py                      # ~1-2 min, a third of it iam-simulate
    .venv/bin/python bench/simulate_cli.py --before /tmp/main   # also another checkout's src/, same run
    .venv/bin/python bench/simulate_cli.py --no-simulate

1. **The command line.** Two scenario files from one seed: ``--small`` requests (default 1,000)
   and ``--large`` (default 5,000; its first requests are the small file's). Each is run as a
   new process (``python -c 'from localiam.cli import main; main()' simulate FILE --output
   json``, output written to a file), ``--repeat`` times, small and large alternating (and
   alternating with ``--before``'s code when given). The marginal cost of a request is
   (large - small) / (large requests - small requests) for each repetition, in wall-clock time
   and in the process's CPU time (user + system: what the run costs, without the time it
   waits for a CPU on a shared machine); the medians of those are reported. Start-up, loading
   the file and compiling its policies cancel out.
2. **In process.** The large file loaded once and every request resolved
   (``state/resolve.py``) and decided (``engine.authorize``): the first resolution of each
   request (a principal or resource seen before reuses what was resolved for it), a second
   one (all cached), a decision with a **cold plan** (every plan and group emptied before
   each timed call, so every plan is assembled from the policies' compiled pieces: "new
   principal and resource, policies seen before"), the same with the organization's groups
   made already (a new principal of an account seen before), and a fully cached decision
   (after a warm pass).
3. **iam-simulate** (``simulate.mjs``) on the same requests: per-call time in node, start-up
   excluded. Every decision of the command line's JSON is compared with iam-simulate's.

A benchmark, not a test: it prints figures and never asserts on them.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import scenario_workload as sw  # noqa: E402
from _stats import machine, print_machine  # noqa: E402

CLI = "import sys; from localiam.cli import main; sys.argv[0] = 'localiam'; main()"


def run_cli(src: Path, scenario: Path, out: Path) -> tuple[float, float]:
    """Wall-clock seconds and CPU seconds (user + system) of one ``localiam simulate``."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with out.open("wb") as sink:
        proc = subprocess.run(
            [sys.executable, "-c", CLI, "simulate", str(scenario), "--output", "json"], stdout=sink, env=env
        )
    elapsed = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"localiam simulate ({src}) exited {proc.returncode}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def iam_simulate(sims: list[dict[str, Any]]) -> dict[str, Any]:
    proc = subprocess.run(
        ["node", str(HERE / "simulate.mjs")],
        input=json.dumps({"warmup": 1, "repeat": 1, "simulations": sims}).encode(),
        capture_output=True,
        check=True,
    )
    return json.loads(proc.stdout)


def in_process(path: Path, repeat: int) -> dict[str, float]:
    """Medians in µs of resolving and deciding the requests of ``path`` in this process."""
    from localiam.engine import authorize
    from localiam.engine.plan import PLANS
    from localiam.policy import PolicyType
    from localiam.state.resolve import Resolver
    from localiam.state.scenario import load_scenario

    scenario = load_scenario(path)
    resolver = Resolver.for_scenario(scenario)
    specs = scenario.requests
    first: list[int] = []
    resolved = []
    clock = time.perf_counter_ns
    for spec in specs:
        t0 = clock()
        r = resolver.resolve(spec)
        first.append(clock() - t0)
        resolved.append(r)
    again: list[int] = []
    for spec in specs:
        t0 = clock()
        resolver.resolve(spec)
        again.append(clock() - t0)
    for r in resolved:  # every policy's pieces for every action compiled: "policies seen before"
        authorize(r.inputs, r.request)
    gc.freeze()  # as the command does once the file is loaded
    cold: list[int] = []
    for _ in range(repeat):
        for r in resolved:
            PLANS.clear()
            t0 = clock()
            authorize(r.inputs, r.request)
            cold.append(clock() - t0)
    cold_org: list[int] = []
    for _ in range(repeat):
        for r in resolved:
            PLANS.clear()
            # The organization's groups made already: a new principal of a known account.
            action, key = r.request.action, r.request.action.lower()
            PLANS.organization(r.inputs.scps, PolicyType.SCP, action, key)
            PLANS.organization(r.inputs.rcps, PolicyType.RCP, action, key)
            t0 = clock()
            authorize(r.inputs, r.request)
            cold_org.append(clock() - t0)
    for r in resolved:
        authorize(r.inputs, r.request)
    cached: list[int] = []
    for _ in range(repeat):
        for r in resolved:
            t0 = clock()
            authorize(r.inputs, r.request)
            cached.append(clock() - t0)
    gc.unfreeze()
    return {
        "resolve_first_us": statistics.median(first) / 1000,
        "resolve_cached_us": statistics.median(again) / 1000,
        "decide_cold_plan_us": statistics.median(cold) / 1000,
        "decide_cold_plan_org_known_us": statistics.median(cold_org) / 1000,
        "decide_cached_us": statistics.median(cached) / 1000,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=sw.SEED)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5, help="command-line runs of each file (default 5)")
    parser.add_argument("--before", type=Path, help="another checkout (its src/ is run the same way)")
    parser.add_argument("--no-simulate", action="store_true", help="skip iam-simulate")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="localiam-simulate-cli-"))
    world = sw.generate(args.seed, requests=args.large)
    sw.write_scenario(world, work / "large.json")
    small = sw.generate(args.seed, requests=args.small)
    sw.write_scenario(small, work / "small.json")
    n_extra = args.large - args.small
    variants = [("this checkout", ROOT / "src")]
    if args.before is not None:
        variants.insert(0, ("before", args.before.resolve() / "src"))

    print_machine(machine())
    print(
        f"seed {args.seed}: {len(world.users)} users, {len(world.buckets)} buckets; "
        f"{args.small} and {args.large} requests"
    )
    times: dict[str, dict[str, list[tuple[float, float]]]] = {
        label: {"small": [], "large": []} for label, _ in variants
    }
    for _ in range(args.repeat):
        for label, src in variants:
            times[label]["small"].append(run_cli(src, work / "small.json", work / f"out-{label}-small.json"))
            times[label]["large"].append(run_cli(src, work / "large.json", work / f"out-{label}-large.json"))
    figures: dict[str, Any] = {"seed": args.seed, "small": args.small, "large": args.large, "cli": {}}
    print(f"\nlocaliam simulate FILE --output json, {args.repeat} runs of each file (medians)")
    print(f"{'code':<16}{'small wall s':>13}{'large wall s':>13}{'marginal wall µs':>18}{'marginal CPU µs':>17}")
    for label, _ in variants:
        t = times[label]
        pairs = list(zip(t["small"], t["large"], strict=True))
        wall = statistics.median((lg[0] - sm[0]) / n_extra * 1e6 for sm, lg in pairs)
        cpu = statistics.median((lg[1] - sm[1]) / n_extra * 1e6 for sm, lg in pairs)
        small_s = statistics.median(x[0] for x in t["small"])
        large_s = statistics.median(x[0] for x in t["large"])
        figures["cli"][label] = {
            "small_s": small_s,
            "large_s": large_s,
            "marginal_us": wall,
            "marginal_cpu_us": cpu,
            "runs": t,
        }
        print(f"{label:<16}{small_s:>13.3f}{large_s:>13.3f}{wall:>18.1f}{cpu:>17.1f}")

    gc.collect()
    figures["in_process"] = in_process(work / "large.json", 3)
    print("\nin process (medians, µs):", ", ".join(f"{k} {v:.2f}" for k, v in figures["in_process"].items()))

    if not args.no_simulate:
        from localiam.state.scenario import load_scenario

        org = load_scenario(work / "large.json").world.organization
        assert org is not None
        paths = {a: org.org_path(a) or "" for a in world.accounts}
        sim = iam_simulate(sw.simulations(world, paths))
        ns = sim["timings_ns"]
        median_us = statistics.median(ns) / 1000
        mean_us = statistics.fmean(ns) / 1000
        ours = json.loads((work / "out-this checkout-large.json").read_text())["results"]
        agree = sum(1 for r, d in zip(ours, sim["decisions"], strict=True) if r["decision"] == d)
        disagreements = [
            (i, r["decision"], d)
            for i, (r, d) in enumerate(zip(ours, sim["decisions"], strict=True))
            if r["decision"] != d
        ]
        marginal = figures["cli"]["this checkout"]["marginal_us"]
        figures["iam_simulate"] = {
            "version": sim["iam_simulate_version"],
            "median_us": median_us,
            "mean_us": mean_us,
            "agree": agree,
            "of": len(ours),
        }
        print(
            f"\niam-simulate {sim['iam_simulate_version']} (node {sim['node']}), runSimulation in node: "
            f"median {median_us:,.0f} µs, mean {mean_us:,.0f} µs"
        )
        cpu = figures["cli"]["this checkout"]["marginal_cpu_us"]
        print(
            f"iam-simulate mean / localiam marginal: {mean_us / marginal:,.0f}x (wall), {mean_us / cpu:,.0f}x (CPU); "
            f"median / marginal: {median_us / marginal:,.0f}x (wall), {median_us / cpu:,.0f}x (CPU)"
        )
        print(f"decisions agreeing: {agree}/{len(ours)}")
        for i, mine, theirs in disagreements[:20]:
            print(f"  request {i}: localiam {mine}, iam-simulate {theirs}")
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
