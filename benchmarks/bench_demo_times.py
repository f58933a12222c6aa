"""Time every demo at its default settings as a ratio to ``python -c "import numpy"`` run in between.

    python benchmarks/bench_demo_times.py [--repeat 5] [--only NAME ...] [--compare DIR] [--headlines] [--no-compile]

The demos are found the way the app finds them (``gistquiz.registry``: every
``demos/*.py`` with a top-level ``PARAMS`` and ``def run(``). Each run is a
fresh ``python demos/NAME.py --jsonl`` (the app's wire format) with one BLAS
thread, and the anchor, ``python -c "import numpy"`` in the same environment,
runs right before it: anchor, demo, anchor, demo... (with ``--compare DIR``:
anchor, the other folder's demo, this folder's demo). Every time is divided by
the median anchor of its own demo's runs, so a busy machine slows both sides.

Three times per run, from the moment the process is started:

- ``first``: the first JSON line the demo streams (a progress event; the app
  shows it at once);
- ``result``: the ``{"type": "result"}`` line (the harness streams no earlier
  result event, so this is when the headline appears);
- ``exit``: the process has ended (interpreter shutdown included).

The demos' own modules (``layers``, ``harness``, ...) are compiled to bytecode
first, as a wheel install has them and as Python itself keeps them after a
demo's first run; ``--no-compile`` leaves that to the environment.

Each column prints the median ratio, its IQR (25th-75th percentile) and n.
Exit status 1 if a demo fails, or if ``--budget`` is given and a median
``result`` ratio exceeds it.
"""

from __future__ import annotations

import argparse
import compileall
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
ANCHOR = [sys.executable, "-c", "import numpy"]


@dataclass
class Samples:
    """Seconds from process start to the first event, the result event and the exit, one entry per run."""

    first: list[float] = field(default_factory=list)
    result: list[float] = field(default_factory=list)
    exit: list[float] = field(default_factory=list)
    headline: str = ""
    metrics: dict = field(default_factory=dict)
    error: str = ""


def demo_paths(only: list[str], folder: Path = DEMOS) -> dict[str, Path]:
    sys.path.insert(0, str(ROOT))
    from gistquiz.registry import all_demos

    found = {d.name: d.path for d in all_demos(folder)}
    unknown = sorted(set(only) - set(found))
    if unknown:
        raise SystemExit(f"unknown demo {unknown[0]!r} (known: {', '.join(found)})")
    return {name: path for name, path in found.items() if not only or name in only}


def time_anchor(env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(ANCHOR, env=env, check=True)
    return time.perf_counter() - start


def time_demo(path: Path, env: dict[str, str], into: Samples, timeout: float) -> None:
    """One ``--jsonl`` run, timestamping its first line and its result line as they arrive."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, str(path), "--jsonl"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=path.parent,
    )
    first = result = None
    assert child.stdout is not None
    for line in child.stdout:
        now = time.perf_counter() - start
        first = now if first is None else first
        event = json.loads(line)
        if event.get("type") == "result":
            result = now
            into.headline, into.metrics = event["result"]["headline"], event["result"]["metrics"]
        elif event.get("type") == "error":
            into.error = event.get("message", "error")
    try:
        code = child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        into.error = f"timed out after {timeout:g} s"
        return
    exited = time.perf_counter() - start
    stderr = child.stderr.read() if child.stderr else ""
    if code != 0 or result is None:
        into.error = into.error or (stderr.strip().splitlines() or [f"exit code {code}"])[-1]
        return
    into.first.append(first)
    into.result.append(result)
    into.exit.append(exited)


def quartiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def ratio_text(seconds: list[float], anchor: float) -> str:
    """``median [q1-q3]`` of ``seconds / anchor``."""
    if not seconds:
        return "-"
    q1, q2, q3 = quartiles([s / anchor for s in seconds])
    return f"{q2:5.1f}x [{q1:.1f}-{q3:.1f}]"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per demo, each after its anchor (default 5)")
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="time only this demo (repeatable)")
    parser.add_argument("--compare", type=Path, metavar="DIR", help="another demos folder, timed interleaved")
    parser.add_argument("--budget", type=float, help="exit 1 if a median result ratio exceeds this")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a run is killed (default 120)")
    parser.add_argument("--headlines", action="store_true", help="also print each demo's headline sentence")
    parser.add_argument(
        "--no-compile",
        action="store_true",
        help="leave the demos' bytecode as it is (with PYTHONDONTWRITEBYTECODE=1 in the environment, every run then"
        " compiles the modules a demo imports, about 20 ms)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    env = {**os.environ, **ONE_THREAD}
    paths = demo_paths(args.only)
    others = demo_paths([], args.compare.resolve()) if args.compare else {}
    if not args.no_compile:  # the demos' modules as an install has them: bytecode compiled once, then read
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for folder in {DEMOS, *(p.parent for p in others.values())}:
            compileall.compile_dir(folder, quiet=1, maxlevels=0)
    rows: list[tuple[str, str, list[float], Samples]] = []
    for name, path in paths.items():
        print(f"timing {name} ...", file=sys.stderr, flush=True)
        anchors: list[float] = []
        ours, theirs = Samples(), Samples()
        for _ in range(args.repeat):
            anchors.append(time_anchor(env))
            if name in others:
                time_demo(others[name], env, theirs, args.timeout)
            time_demo(path, env, ours, args.timeout)
        if name in others:
            rows.append((name, str(args.compare), anchors, theirs))
        rows.append((name, "this tree" if others else "", anchors, ours))

    width = max(len(name) for name, *_ in rows)
    label = max((len(tag) for _, tag, *_ in rows), default=0)
    print(f"{'demo':<{width}}  {'':<{label}}  {'anchor s':>8}  {'first event':>16}  {'result':>16}  {'exit':>16}  n")
    failed = False
    for name, tag, anchors, s in rows:
        anchor = statistics.median(anchors)
        if s.error:
            failed = True
            print(f"{name:<{width}}  {tag:<{label}}  {anchor:8.3f}  FAIL: {s.error}")
            continue
        over = args.budget is not None and statistics.median(s.result) / anchor > args.budget
        failed |= over
        print(
            f"{name:<{width}}  {tag:<{label}}  {anchor:8.3f}  {ratio_text(s.first, anchor):>16}  "
            f"{ratio_text(s.result, anchor):>16}  {ratio_text(s.exit, anchor):>16}  {len(s.result)}"
            + ("  over budget" if over else "")
        )
    print(
        f'\nratios to `python -c "import numpy"` run before each demo run (median [IQR]); one BLAS thread; '
        f"{sys.executable}"
    )
    if args.headlines:
        print()
        for name, tag, _, s in rows:
            if s.headline:
                print(f"{name}{' (' + tag + ')' if tag else ''}: {s.headline}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
