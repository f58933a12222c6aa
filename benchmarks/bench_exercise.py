"""Grade an exercise: cold, and with the worker pre-started when the card was shown, × ``python -c "import numpy"``.

    python benchmarks/bench_exercise.py [--repeat 9] [--settle 2.0] [--card N]

The target (issue 20): the verdict within 2x a bare ``python -c "import numpy"`` measured in the same run.
Three timings, interleaved (A B C A B C ...) so that all see the same machine:

- ``numpy``: wall time of ``python -c "import numpy"`` (the anchor);
- ``cold``: ``exercise.grade()`` with nothing waiting (harness and sandbox start and import NumPy);
- ``prestarted``: ``grade()`` taking the worker that ``Pool.prestart()`` started ``--settle`` seconds before,
  as the app does when an exercise card is shown and the learner then writes their code.

The exercise is a bundled one (``decks/gist-dl-exercises.md``, the ``--card``-th exercise, graded with its
own solution, which passes). Prints median, IQR and n per timing and the ratios to the anchor.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from gistquiz import exercise
from gistquiz.deck import read_deck
from gistquiz.locations import bundled_decks_dir


def numpy_import_seconds() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import numpy"], check=True)
    return time.perf_counter() - start


def grade_seconds(ex: exercise.Exercise, pool: exercise.Pool) -> float:
    start = time.perf_counter()
    verdict = exercise.grade(ex, ex.solution, pool=pool)
    took = time.perf_counter() - start
    if not verdict.passed:
        raise SystemExit(f"the solution did not pass: {verdict.summary}")
    return took


def summary(times: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(times, n=4) if len(times) > 1 else [times[0]] * 3
    return statistics.median(times), q[2] - q[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--settle", type=float, default=2.0, help="seconds between prestart and grading")
    parser.add_argument("--card", type=int, default=0, help="which bundled exercise (0: softmax cross-entropy)")
    args = parser.parse_args()
    deck = read_deck(bundled_decks_dir() / "gist-dl-exercises.md", known_demos=set())
    card = [c for c in deck.cards if c.exercise is not None][args.card]
    ex = card.exercise
    print(f"exercise: {card.front.splitlines()[0]} ({len(ex.test_names)} tests)")

    times: dict[str, list[float]] = {"numpy": [], "cold": [], "prestarted": []}
    cold_pool = exercise.Pool()  # never prestarted: every grade starts its worker
    for _ in range(args.repeat):
        times["numpy"].append(numpy_import_seconds())
        times["cold"].append(grade_seconds(ex, cold_pool))
        warm = exercise.Pool()
        warm.prestart()  # the card is shown...
        time.sleep(args.settle)  # ...the learner writes their code
        times["prestarted"].append(grade_seconds(ex, warm))
        warm.close()

    anchor, _ = summary(times["numpy"])
    print(f"{'':<12}{'median':>10}{'IQR':>10}{'n':>4}{'x numpy':>10}")
    for name, ts in times.items():
        med, iqr = summary(ts)
        print(f"{name:<12}{med * 1000:>8.0f}ms{iqr * 1000:>8.0f}ms{len(ts):>4}{med / anchor:>10.2f}")
    ratios = [p / n for p, n in zip(times["prestarted"], times["numpy"], strict=True)]
    med, iqr = summary(ratios)
    print(f"prestarted / numpy, pairwise: median {med:.2f} (IQR {iqr:.2f}, n {len(ratios)}); target < 2")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
