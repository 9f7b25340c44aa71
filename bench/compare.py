"""The engine at two revisions, side by side in one process: which one decides faster.

    .venv/bin/python bench/compare.py REV              # REV (a commit, tag, branch) vs the work tree
    .venv/bin/python bench/compare.py REV --explain    # explain mode
    .venv/bin/python bench/compare.py REV OTHER        # two revisions

This VM's speed drifts by a factor of two from one minute to the next, so absolute figures
taken a few minutes apart (``engine.py``) cannot tell a 10% change from the drift. Here each
revision's ``src/localiam`` and ``bench/workload.py`` are copied to a temporary directory
under a package name of their own (``git archive``; the work tree as it is on disk), both are
imported into this process, each builds and warms up the same workload (``workload.py``, fixed
seed), and then timed passes over the 2,000 requests alternate between them: A, B, A, B...
Each pass gives a median; the ratio B/A is taken pass pair by pass pair, and its median is
printed. Explain mode forgets kept explanations before every pass (as ``engine.py`` does).

A benchmark, not a test: it prints figures and never asserts on them.
"""

from __future__ import annotations

import argparse
import importlib
import io
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _export(rev: str | None, name: str, into: Path) -> None:
    """``src/localiam`` and ``bench/workload.py`` at ``rev`` (``None``: the work tree) as
    package ``li_<name>`` and module ``wl_<name>`` in ``into``."""
    target = into / f"li_{name}"
    if rev is None:
        shutil.copytree(ROOT / "src/localiam", target)
        shutil.copy(ROOT / "bench/workload.py", into / f"wl_{name}.py")
    else:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "src/localiam", "bench/workload.py"],
            capture_output=True,
            check=True,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(into / "_src", filter="data")
        shutil.move(into / "_src/src/localiam", target)
        shutil.move(into / "_src/bench/workload.py", into / f"wl_{name}.py")
    word = re.compile(r"\blocaliam\b")
    for path in [*target.rglob("*.py"), into / f"wl_{name}.py"]:
        text = path.read_text()
        path.write_text(word.sub(f"li_{name}", text))


def _load(name: str, into: Path) -> tuple[Any, list[tuple[Any, Any]], list[Any]]:
    sys.path.insert(0, str(into))
    wl = importlib.import_module(f"wl_{name}")
    engine = importlib.import_module(f"li_{name}.engine")
    world = wl.build_world()
    wl.compile_world(world)
    cases = wl.build_cases(world, 2000)
    wl.prepare_engine(world)
    pairs = [(c.inputs, c.request) for c in cases]
    for inputs, request in pairs:
        engine.authorize(inputs, request)
        engine.authorize(inputs, request, explain=True)
    policies: dict[int, Any] = {}
    for inputs, _ in pairs:
        scps = inputs.scps.flat if inputs.scps is not None else ()
        for p in (*inputs.identity, inputs.boundary, inputs.resource, *scps):
            if p is not None:
                policies[id(p)] = p
    return engine.authorize, pairs, list(policies.values())


def _pass(authorize: Any, pairs: list[tuple[Any, Any]], policies: list[Any], explain: bool) -> float:
    if explain:
        for p in policies:
            forget = getattr(p, "forget_explanations", None)  # revisions before it kept nothing
            if forget is not None:
                forget()
    clock = time.perf_counter_ns
    samples = []
    for inputs, request in pairs:
        t0 = clock()
        authorize(inputs, request, explain=explain)
        samples.append(clock() - t0)
    return statistics.median(samples) / 1000


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a", metavar="REV", help="the revision to compare against")
    ap.add_argument("b", metavar="OTHER", nargs="?", help="the other revision (default: the work tree)")
    ap.add_argument("--explain", action="store_true", help="time explain mode")
    ap.add_argument("--pairs", type=int, default=12, help="timed pass pairs (default 12)")
    args = ap.parse_args(argv)
    label_b = args.b or "work tree"
    with tempfile.TemporaryDirectory() as tmp:
        into = Path(tmp)
        _export(args.a, "a", into)
        _export(args.b, "b", into)
        runs = {name: _load(name, into) for name in ("a", "b")}
        medians: dict[str, list[float]] = {"a": [], "b": []}
        for _ in range(args.pairs):
            for name in ("a", "b"):
                medians[name].append(_pass(*runs[name], args.explain))
    ratios = [b / a for a, b in zip(medians["a"], medians["b"], strict=True)]
    mode = "explain on" if args.explain else "explain off"
    print(f"authorize, {mode}: median µs of each pass over 2,000 requests, passes alternating")
    print(f"  A {args.a:>12}: " + " ".join(f"{m:6.1f}" for m in medians["a"]))
    print(f"  B {label_b:>12}: " + " ".join(f"{m:6.1f}" for m in medians["b"]))
    print(
        f"B/A: median {statistics.median(ratios):.3f} (pass pairs from {min(ratios):.3f} to {max(ratios):.3f}); "
        f"fastest pass A {min(medians['a']):.1f} µs, B {min(medians['b']):.1f} µs"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
