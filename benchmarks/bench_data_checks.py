"""What the data folder's checks cost, as ratios to reading the review log (what ``gistquiz stats`` does).

    python benchmarks/bench_data_checks.py [--reviews 30000] [--repeat 7]

The anchor is ``Store.reviews()``, every log row read and parsed. Timed against it, interleaved (anchor,
check, anchor, check, ...): the open of an existing database (header, schema version and tables: meant
not to grow with the database), ``Store.check`` (quick_check plus every row parsed, JSON states too: run
daily and before big writes), ``backup.before`` (that check, plus the copy and the copy's quick_check),
and ``gistquiz repair`` on an intact database (check, backup, replay). Also the open on a database 4x
larger, as a ratio to the open at this size: about 1 when the open's cost does not grow.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gistquiz import backup  # noqa: E402
from gistquiz.repair import repair  # noqa: E402
from gistquiz.scheduler import Rating, Scheduler  # noqa: E402
from gistquiz.settings import Settings  # noqa: E402
from gistquiz.store import Store  # noqa: E402


def make_database(path: Path, reviews: int) -> None:
    """``reviews`` answers to 500 cards: 500 answered for real, then copied with later ids and times."""
    sched, t0 = Scheduler(Settings()), datetime(2026, 1, 1, tzinfo=UTC)
    with Store(path) as store:
        store.db.execute("PRAGMA synchronous=OFF")  # building the fixture only
        for i in range(min(reviews, 500)):
            rating, when = Rating(1 + i % 4), t0 + timedelta(hours=i)
            store.answer(f"d:k{i}", "d", rating, when, lambda s, r=rating, w=when: sched.review(s, r, w))
    db = sqlite3.connect(path)
    while (n := db.execute("SELECT count(*) FROM reviews").fetchone()[0]) < reviews:
        db.execute(
            "INSERT INTO reviews (card_key, deck, rating, reviewed_at, duration_ms, state_before, state_after,"
            " before_json, after_json, undoes, source) SELECT card_key, deck, rating, reviewed_at, duration_ms,"
            " state_before, state_after, before_json, after_json, undoes, source FROM reviews ORDER BY id LIMIT ?",
            (reviews - n,),
        )
        db.commit()
    db.close()


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def ratios(anchor: Callable[[], object], subject: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        a = timed(anchor)
        out.append(timed(subject) / a)
    return out


def summary(name: str, values: list[float]) -> str:
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    return f"{name:<34} median {q[1]:7.3f}x  IQR {q[0]:.3f}-{q[2]:.3f}  n={len(values)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reviews", type=int, default=30000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small, big = Path(tmp) / "small" / "gistquiz.sqlite3", Path(tmp) / "big" / "gistquiz.sqlite3"
        for path, n in ((small, args.reviews), (big, 4 * args.reviews)):
            path.parent.mkdir()
            make_database(path, n)
        store = Store(small)
        sched = Scheduler(Settings())

        def read_log() -> None:
            store.reviews()

        def take_backup() -> None:
            backup.before(store, "bench")
            shutil.rmtree(small.parent / "backups")

        print(f"{args.reviews} reviews, {small.stat().st_size / 2**20:.1f} MiB; anchor: Store.reviews()")
        print(summary("open (header, version, tables)", ratios(read_log, lambda: Store(small).close(), args.repeat)))
        print(summary("Store.check", ratios(read_log, store.check, args.repeat)))
        print(summary("backup.before", ratios(read_log, take_backup, args.repeat)))
        store.close()

        def repair_intact() -> None:
            repair(small, sched)
            shutil.rmtree(small.parent / "backups")

        def read_log_fresh() -> None:
            with Store(small) as fresh:
                fresh.reviews()

        print(summary("repair (intact database)", ratios(read_log_fresh, repair_intact, 3)))
        grow = ratios(lambda: Store(small).close(), lambda: Store(big).close(), args.repeat)
        print(summary("open at 4x the size / open", grow))


if __name__ == "__main__":
    main()
