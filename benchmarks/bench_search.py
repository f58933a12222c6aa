"""Benchmark Browse's search on a 10,000-card deck (a third of the cards answered): a words-only query
against the same query with an ``is:due`` filter, with each card's status judged once beforehand (what
Browse does when it opens) and judged on every search (what it would cost per keypress otherwise).

    python benchmarks/bench_search.py [--repeat 15] [--cards 10000]

Interleaved in one process (A B A B), so the ratio is measured under the same load; prints the median,
IQR and n of each and of the per-pair ratio. No bound: the keypress budget (50 ms) is bench_app's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_core import make_deck  # noqa: E402

from gistquiz import search  # noqa: E402
from gistquiz.deck import read_deck  # noqa: E402
from gistquiz.scheduler import Rating, Scheduler  # noqa: E402
from gistquiz.session import Session  # noqa: E402
from gistquiz.status import status  # noqa: E402
from gistquiz.store import Store  # noqa: E402


def summary(xs: list[float]) -> str:
    q1, med, q3 = statistics.quantiles(xs, n=4)
    return f"median {med:.3g} IQR {q1:.3g}-{q3:.3g} n {len(xs)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--cards", type=int, default=10_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_deck(folder / "gen.md", args.cards)
        cards = read_deck(folder / "gen.md", known_demos=set()).cards
        now = datetime(2026, 3, 2, 12, tzinfo=UTC)
        scheduler = Scheduler()
        with Store(folder / "db.sqlite3") as store:
            session = Session(cards, store, scheduler, clock=lambda: now, queue=False)
            for card in cards[::3]:
                session.answer(card, Rating.GOOD)
            states = store.states()
        day_end = scheduler.next_day_start(now)
        indexed = search.index(cards)

        def judged_now(card):
            return status(states.get(card.key), now, day_end)

        times: dict[str, list[float]] = {
            "words": [],
            "judge all": [],
            "is:due, judged once": [],
            "is:due, per card": [],
        }
        for _ in range(args.repeat):
            t = time.perf_counter()
            search.search(indexed, "number")
            times["words"].append(time.perf_counter() - t)
            t = time.perf_counter()
            statuses = {c.key: judged_now(c) for c in cards}
            times["judge all"].append(time.perf_counter() - t)
            t = time.perf_counter()
            found = search.search(indexed, "number is:due", lambda c, s=statuses: s[c.key])
            times["is:due, judged once"].append(time.perf_counter() - t)
            t = time.perf_counter()
            search.search(indexed, "number is:due", judged_now)
            times["is:due, per card"].append(time.perf_counter() - t)
    print(f"{args.cards} cards, {len(found)} due among those matching 'number'")
    for name, xs in times.items():
        ratios = [x / w for x, w in zip(xs, times["words"], strict=True)]
        print(f"{name:<20} ms: {summary([x * 1000 for x in xs])};  / words: {summary(ratios)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
