"""Time every demo at its default settings, each in a fresh process with one BLAS thread.

    python benchmarks/bench_demo_times.py [--repeat 3] [--limit 10] [--only NAME ...] [--headlines]

The demos are found the way the app finds them (``gistquiz.registry``: every
``demos/*.py`` with a top-level ``PARAMS`` and ``def run(``). Each one runs as
``python demos/NAME.py --json`` with ``OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=MKL_NUM_THREADS=1``;
the table shows the wall time of the whole process (interpreter start and
imports included, what a user waits for), the demo's own ``elapsed_s`` (run
and report), and the first headline metrics. With ``--repeat N`` the times
are the median of N runs.

Exit status 1 if a demo fails or its median wall time exceeds ``--limit``
seconds (10 s: the issue's budget for one core). Timings on a shared machine
vary by tens of percent.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMOS = ROOT / "demos"
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass
class Timing:
    demo: str
    wall_s: list[float] = field(default_factory=list)
    run_s: list[float] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    headline: str = ""
    error: str = ""


def demo_paths(only: list[str]) -> dict[str, Path]:
    sys.path.insert(0, str(ROOT))
    from gistquiz.registry import all_demos

    found = {d.name: d.path for d in all_demos(DEMOS)}
    unknown = sorted(set(only) - set(found))
    if unknown:
        raise SystemExit(f"unknown demo {unknown[0]!r} (known: {', '.join(found)})")
    return {name: path for name, path in found.items() if not only or name in only}


def time_demo(name: str, path: Path, repeat: int, timeout: float) -> Timing:
    timing = Timing(name)
    env = {**os.environ, **ONE_THREAD}
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            out = subprocess.run(
                [sys.executable, str(path), "--json"], capture_output=True, text=True, env=env, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            timing.error = f"timed out after {timeout:g} s"
            return timing
        timing.wall_s.append(time.perf_counter() - start)
        if out.returncode != 0:
            lines = out.stderr.strip().splitlines() or [f"exit code {out.returncode}"]
            timing.error = lines[-1]
            return timing
        result = json.loads(out.stdout)
        timing.run_s.append(result["elapsed_s"])
        timing.metrics, timing.headline = result["metrics"], result["headline"]
    return timing


def metric_text(metrics: dict, count: int = 3) -> str:
    parts = []
    for key, value in list(metrics.items())[:count]:
        parts.append(f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}")
    return "  ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per demo; times are medians (default 1)")
    parser.add_argument("--limit", type=float, default=10.0, help="seconds a demo may take (default 10)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a run is killed (default 120)")
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="time only this demo (repeatable)")
    parser.add_argument("--headlines", action="store_true", help="also print each demo's headline sentence")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    timings = []
    for name, path in demo_paths(args.only).items():
        print(f"timing {name} ...", file=sys.stderr, flush=True)
        timings.append(time_demo(name, path, args.repeat, args.timeout))

    width = max(len(t.demo) for t in timings)
    print(f"{'demo':<{width}}  {'wall s':>7}  {'run s':>6}  status  headline metrics")
    failed = False
    for t in timings:
        wall = statistics.median(t.wall_s) if t.wall_s else float("nan")
        run = statistics.median(t.run_s) if t.run_s else float("nan")
        if t.error:
            status, detail = "FAIL", t.error
        elif wall > args.limit:
            status, detail = "SLOW", metric_text(t.metrics)
        else:
            status, detail = "ok", metric_text(t.metrics)
        failed |= status != "ok"
        print(f"{t.demo:<{width}}  {wall:7.2f}  {run:6.2f}  {status:<6}  {detail}")
    if args.headlines:
        print()
        for t in timings:
            if t.headline:
                print(f"{t.demo}: {t.headline}")
    runs = f"median of {args.repeat} runs" if args.repeat > 1 else "1 run"
    print(f"\n{runs} per demo, one BLAS thread, limit {args.limit:g} s; wall includes interpreter start and imports")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
