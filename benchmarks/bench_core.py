"""Benchmark the study loop's core: load a big deck, open the store, build today's queue, answer cards.

    python benchmarks/bench_core.py [--repeat 5]

Bounds from the foundation issue (floors, not aims): 10,000 cards parsed, store
opened and queue built in <= 0.3 s; 100,000 in <= 3 s; one answer scheduled and
committed in <= 5 ms median; ``gistquiz --help`` in <= 0.3 s with no NumPy,
scikit-learn or nltk import. Prints medians; exits 1 if a bound is missed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gistquiz.deck import read_deck
from gistquiz.scheduler import Rating, Scheduler
from gistquiz.session import Session
from gistquiz.settings import Settings
from gistquiz.store import Store


def make_deck(path: Path, n: int) -> None:
    """A deck of ``n`` cards: mostly basic, every tenth a two-deletion cloze note, tags on all."""
    parts = ["# Generated\n\nA benchmark deck.\n"]
    i = 0
    while i < n:
        if i % 10 == 9 and i + 1 < n:
            parts.append(f"\n## Cloze {i}\ntags: gen\n\nThe {{{{c1::answer {i}}}}} and {{{{c2::other {i}}}}}.\n")
            i += 2
        else:
            parts.append(f"\n## Question number {i}?\ntags: gen\n\nAnswer number {i}, with a few more words.\n")
            i += 1
    path.write_text("".join(parts))


def load_and_queue(deck_path: Path, db: Path) -> tuple[float, int]:
    start = time.perf_counter()
    deck = read_deck(deck_path, known_demos=set())
    with Store(db) as store:
        session = Session(deck.cards, store, Scheduler())
        card = session.next()
    elapsed = time.perf_counter() - start
    assert card is not None and not deck.errors
    return elapsed, len(deck.cards)


def load_in_fresh_process(deck_path: Path, db: Path) -> float:
    """``load_and_queue`` in a new interpreter, as when gistquiz starts (imports not counted).

    On this kind of VM the same parse varies by up to 2x from one process to the next (memory
    placement, page faults), so each repeat is a new process and the median is reported.
    """
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import bench_core; "
        f"from pathlib import Path; print(bench_core.load_and_queue(Path({str(deck_path)!r}), Path({str(db)!r}))[0])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


def answer_times(deck_path: Path, db: Path, n: int) -> list[float]:
    deck = read_deck(deck_path, known_demos=set())
    times = []
    with Store(db) as store:
        session = Session(deck.cards, store, Scheduler(Settings(new_per_day=n)))
        for i in range(n):
            card = session.next()
            assert card is not None
            start = time.perf_counter()
            session.answer(card, Rating(1 + i % 4))
            times.append(time.perf_counter() - start)
    return times


def help_time() -> tuple[float, list[str]]:
    code = (
        "import sys, time; t = time.perf_counter()\n"
        "from gistquiz.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('HEAVY', sorted(m for m in sys.modules if m.split('.')[0] in {'numpy','sklearn','nltk','textual'}))"
    )
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    elapsed = time.perf_counter() - start
    heavy = json.loads(out.rsplit("HEAVY ", 1)[1].replace("'", '"'))
    return elapsed, heavy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = []
        for n, bound in ((10_000, 0.3), (100_000, 3.0)):
            deck = folder / f"gen{n}.md"
            make_deck(deck, n)
            Store(folder / f"db{n}.sqlite3").close()  # an existing (empty) review database, as after a first run
            runs = [load_in_fresh_process(deck, folder / f"db{n}.sqlite3") for _ in range(args.repeat)]
            median = statistics.median(runs)
            failed |= median > bound
            rows.append((f"{n:,} cards: parse + open store + build queue", median, bound, "s"))
            rows.append((f"  range over {args.repeat} processes: {min(runs):.3f} .. {max(runs):.3f} s", None, None, ""))
        # a store with history: answer 300 cards, then time a reload with 300 states in it
        deck = folder / "gen10000.md"
        times = answer_times(deck, folder / "answers.sqlite3", 300)
        ms = statistics.median(times) * 1000
        failed |= ms > 5
        rows.append(("answer one card (schedule + commit, fsync), median of 300", ms, 5.0, "ms"))
        p95 = sorted(times)[int(0.95 * len(times))] * 1000
        rows.append(("  same, 95th percentile", p95, None, "ms"))
        runs = [load_in_fresh_process(deck, folder / "answers.sqlite3") for _ in range(args.repeat)]
        rows.append(("10,000 cards with 300 reviewed: load + queue", statistics.median(runs), 0.3, "s"))
        helps = [help_time() for _ in range(args.repeat)]
        median = statistics.median(h[0] for h in helps)
        failed |= median > 0.3 or any(h[1] for h in helps)
        rows.append((f"gistquiz --help (imports heavy modules: {helps[0][1] or 'none'})", median, 0.3, "s"))
    print(f"{'measure':<62} {'median':>9} {'bound':>7}")
    for name, value, bound, unit in rows:
        shown = "" if value is None else f"{value:>7.3f}{unit:<2}"
        print(f"{name:<62} {shown:>9} {'' if bound is None else f'{bound:g}{unit}':>7}")
    print("FAILED: a bound was missed" if failed else "all bounds met")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
