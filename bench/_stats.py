"""Small helpers shared by the benchmarks: percentiles, machine facts, table printing."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SIMULATE_PKG = BENCH.parent / "tests/differential/node_modules/@cloud-copilot/iam-simulate/package.json"


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted sequence (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * q // 100))  # ceil(n*q/100), at least 1
    return sorted_values[int(rank) - 1]


def summary_ns(samples_ns: Sequence[int]) -> dict[str, float]:
    s = sorted(samples_ns)
    total = sum(s)
    return {
        "n": len(s),
        "median_us": percentile(s, 50) / 1000,
        "p90_us": percentile(s, 90) / 1000,
        "p99_us": percentile(s, 99) / 1000,
        "mean_us": total / len(s) / 1000 if s else float("nan"),
    }


def machine() -> dict[str, str]:
    model = ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        node = "not found"
    try:
        sim = json.loads(SIMULATE_PKG.read_text())["version"]
    except (OSError, ValueError, KeyError):
        sim = "not installed"
    return {
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d"),
        "nproc": str(os.cpu_count()),
        "cpu": model or platform.processor() or "unknown",
        "python": platform.python_version(),
        "node": node,
        "iam_simulate": sim,
    }


def print_machine(m: dict[str, str]) -> None:
    print(
        f"machine: {m['nproc']} CPUs ({m['cpu']}), Python {m['python']}, node {m['node']}, "
        f"iam-simulate {m['iam_simulate']}, {m['date']}"
    )


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for j, row in enumerate(cells):
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))))
        if j == 0:
            print("  ".join("-" * w for w in widths))


def _fmt(value: object) -> str:
    if isinstance(value, float):
        if value != value:  # nan
            return "-"
        if value >= 1000:
            return f"{value:,.0f}"
        if value >= 100:
            return f"{value:.0f}"
        if value >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
