"""Benchmark the study loop's core: load a big deck, open the store, build today's queue, answer cards.

    python benchmarks/bench_core.py [--repeat 5]
    python benchmarks/bench_core.py --answer-path   # the answer's CPU work against a bare INSERT + COMMIT
    python benchmarks/bench_core.py --open          # reopening a big collection against a bare SQLite read

Bounds from the foundation issue (floors, not aims): 10,000 cards parsed, store
opened and queue built in <= 0.3 s; 100,000 in <= 3 s; one answer scheduled and
committed in <= 5 ms median; ``gistquiz --help`` in <= 0.3 s with no NumPy,
scikit-learn or nltk import. Prints medians; exits 1 if a bound is missed.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from gistquiz import store as store_module
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


def spread(values: list[float]) -> tuple[float, float, int]:
    """Median, interquartile range and count."""
    q = statistics.quantiles(values, n=4, method="inclusive")
    return statistics.median(values), q[2] - q[0], len(values)


def answer_path_ratios(folder: Path, rounds: int = 200, batch: int = 10) -> dict[str, list[float]]:
    """Microseconds per operation, ``batch`` operations per sample, contenders interleaved per round.

    - ``anchor``: a bare ``BEGIN IMMEDIATE; INSERT`` of one row ``; COMMIT`` (the store's own
      transaction shape), WAL with ``synchronous=OFF``, in its own database file;
    - ``answer``: ``Store.answer`` with ``Scheduler.review`` (what ``Session.answer`` calls: read
      the state, schedule, upsert it, append the log row, commit), ``synchronous=OFF``;
    - ``fsrs``: py-fsrs's ``Scheduler.review_card`` alone on the same kind of card: the floor
      that no change to gistquiz's code can go under;
    - ``schedule``: gistquiz's ``Scheduler.review`` alone (py-fsrs plus the conversion of states);
    - ``store SQL``: the answer's five statements (BEGIN, read the state, upsert it, insert the log
      row with its three indexes and AUTOINCREMENT, COMMIT) with values computed beforehand: the
      schema's own cost, the other part of the floor;
    - ``Session.answer, 10,000 queued``: the whole answer as the app calls it (``Session.next`` then
      ``Session.answer``) in a session of a 10,000-card deck with every card queued, ``synchronous=OFF``:
      the store's answer plus taking the card and its siblings out of the queue;
    - ``answer, fsync``: ``Store.answer`` as shipped (``synchronous=FULL``): the disk's cost, reported.
    """
    import sqlite3
    from datetime import UTC, datetime, timedelta

    import fsrs

    from gistquiz.scheduler import CardState

    bare = sqlite3.connect(folder / "bare.sqlite3", isolation_level=None)
    bare.execute("PRAGMA journal_mode=WAL")
    bare.execute("PRAGMA synchronous=OFF")
    bare.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, key TEXT, rating INTEGER, at TEXT)")
    fast, durable = Store(folder / "fast.sqlite3"), Store(folder / "durable.sqlite3")
    fast.db.execute("PRAGMA synchronous=OFF")
    sql = Store(folder / "sql.sqlite3")
    sql.db.execute("PRAGMA synchronous=OFF")
    scheduler, py_fsrs = Scheduler(), fsrs.Scheduler(enable_fuzzing=False)
    start, minute = datetime(2026, 1, 1, tzinfo=UTC), timedelta(minutes=1)
    clock = {"i": 0}

    def tick() -> tuple[str, Rating, datetime]:
        i = clock["i"] = clock["i"] + 1
        return f"card{i % 500}", Rating(1 + i % 4), start + timedelta(minutes=i)

    def anchor() -> None:
        key, rating, now = tick()
        bare.execute("BEGIN IMMEDIATE")
        bare.execute("INSERT INTO t (key, rating, at) VALUES (?,?,?)", (key, int(rating), now.isoformat()))
        bare.execute("COMMIT")

    def answer_in(store: Store) -> Callable[[], None]:
        def answer() -> None:
            key, rating, now = tick()
            store.answer(key, "gen", rating, now, lambda st: scheduler.review(st, rating, now))

        return answer

    example = fast.answer("example", "gen", Rating.GOOD, start, lambda st: scheduler.review(st, Rating.GOOD, start))

    make_deck(folder / "big.md", 10_000)
    cards = read_deck(folder / "big.md", known_demos=set()).cards
    session_store = Store(folder / "session.sqlite3")
    session_store.db.execute("PRAGMA synchronous=OFF")
    session = Session(
        cards, session_store, Scheduler(Settings(new_per_day=len(cards))), clock=lambda: start + clock["i"] * minute
    )

    def session_answer() -> None:
        _, rating, _ = tick()
        card = session.next()
        assert card is not None
        session.answer(card, rating)

    def store_sql() -> None:
        key, _, _ = tick()
        with sql.transaction() as db:
            store_module._read_state(db, key)
            store_module._write_state(db, example.after._replace(key=key), "")
            db.execute(store_module._INSERT_REVIEW, store_module._review_values(example._replace(card_key=key)))

    def schedule() -> None:
        key, rating, now = tick()
        scheduler.review(CardState(key, "gen"), rating, now)

    def fsrs_alone() -> None:
        key, rating, now = tick()
        py_fsrs.review_card(fsrs.Card(card_id=0, due=now), fsrs.Rating(int(rating)), now)

    contenders = {
        "anchor": anchor,
        "answer": answer_in(fast),
        "fsrs": fsrs_alone,
        "schedule": schedule,
        "store SQL": store_sql,
        "Session.answer, 10,000 queued": session_answer,
        "answer, fsync": answer_in(durable),
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(10):  # warm up: caches, the first pages of each file
        for fn in contenders.values():
            fn()
    for _ in range(rounds):
        for name, fn in contenders.items():
            t0 = time.perf_counter()
            for _ in range(batch):
                fn()
            times[name].append((time.perf_counter() - t0) / batch * 1e6)
    bare.close()
    sql.close()
    session_store.close()
    fast.close()
    durable.close()
    return times


def print_answer_path(times: dict[str, list[float]]) -> None:
    anchor = times["anchor"]
    print(f"{'answer path, us per operation':<40} {'median':>8} {'IQR':>7} {'n':>4} {'/ anchor':>9} {'IQR':>6}")
    for name, values in times.items():
        ratios = [v / a for v, a in zip(values, anchor, strict=True)]
        (m, iqr, n), (r, r_iqr, _) = spread(values), spread(ratios)
        print(f"{name:<40} {m:8.1f} {iqr:7.1f} {n:4d} {r:8.2f}x {r_iqr:6.2f}")
    floor = [(f + q) / a for f, q, a in zip(times["fsrs"], times["store SQL"], anchor, strict=True)]
    print(
        f"floor: py-fsrs's review_card + the store's SQL alone = {statistics.median(floor):.2f}x the anchor "
        "(median of per-round ratios): no change to the answer's Python code can go under it"
    )


def make_collection(home: Path, n: int) -> None:
    """A data folder with one ``n``-card deck (no bundled decks) and a stored state for every card.

    The states are what a collection in use holds: mostly review cards due over the next two months (a few
    overdue), some learning and relearning, some suspended, some new again (an undone first answer),
    and 100 of today's answers in the log.
    """
    from datetime import UTC, datetime, timedelta

    from gistquiz.scheduler import CardState, State
    from gistquiz.workspace import Workspace

    (home / "decks").mkdir(parents=True)
    (home / "settings.toml").write_text("bundled_decks = false\n")
    make_deck(home / "decks" / "gen.md", n)
    ws = Workspace.open(home)
    cards = list(ws.library.cards())
    assert len(cards) == n and not ws.library.errors
    now = datetime.now(UTC)
    kinds = [State.NEW, State.LEARNING, State.RELEARNING] + [State.REVIEW] * 17

    def state(i: int, key: str) -> CardState:
        kind = kinds[i % len(kinds)]
        if kind == State.NEW:
            return CardState(key, "gen")
        due = now + timedelta(days=(i * 7919) % 66 - 5, minutes=i % 60)
        last = now - timedelta(days=1 + i % 30)
        return CardState(key, "gen", kind, 0, 3.5 + i % 50, 5.0, due, last, 1 + i % 9, i % 3, suspended=i % 20 == 7)

    ws.store.replace_states((state(i, c.key), c.fingerprint) for i, c in enumerate(cards))
    ws.close()
    ws = Workspace.open(home)
    session = Session(cards[:100], ws.store, ws.scheduler)
    for i, card in enumerate(cards[:100]):
        session.answer(card, Rating(1 + i % 4))
    ws.close()


def open_collection(home: Path) -> int:
    """What ``gistquiz review`` does before its first card: open the workspace, load the decks, re-link
    edited cards, build today's queue and pick the first card; returns the number of cards."""
    from gistquiz.workspace import Workspace

    ws = Workspace.open(home)
    cards = list(ws.library.cards())
    ws.sync()
    session = Session(cards, ws.store, ws.scheduler)
    assert session.next() is not None
    ws.close()
    return len(cards)


def bare_read(db: Path) -> int:
    """The anchor: every stored card row into tuples, with nothing else (sqlite3 as shipped with Python)."""
    import sqlite3

    con = sqlite3.connect(db)
    rows = con.execute(f"SELECT {store_module.CARD_COLUMNS} FROM cards").fetchall()
    con.close()
    return len(rows)


_TIMED_IN_A_NEW_PROCESS = """
import resource, sys, time
sys.path.insert(0, {here!r})
import bench_core
from pathlib import Path
import gistquiz.session, gistquiz.workspace, sqlite3
fn, arg, warm = getattr(bench_core, sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
fn(warm)
r0, c0 = resource.getrusage(resource.RUSAGE_SELF), time.process_time()
fn(arg)
c1, r1 = time.process_time(), resource.getrusage(resource.RUSAGE_SELF)
print(c1 - c0, r1.ru_stime - r0.ru_stime, r1.ru_minflt - r0.ru_minflt)
"""


def timed_in_a_new_process(fn: Callable[[Path], int], arg: Path, warm: Path) -> tuple[float, float, int]:
    """(CPU s, the kernel's part of it, page faults) of ``fn(arg)`` run once in a new interpreter, as a
    learner's ``gistquiz`` opens its collection once. Interpreter start and imports are not counted:
    ``fn(warm)`` on a 10-card collection runs first (the modules an open imports lazily, 15-18 ms, would
    otherwise be counted in every open and hide part of the growth)."""
    code = _TIMED_IN_A_NEW_PROCESS.format(here=str(Path(__file__).parent))
    argv = [sys.executable, "-c", code, fn.__name__, str(arg), str(warm)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True)
    cpu, kernel, faults = out.stdout.split()
    return float(cpu), float(kernel), int(float(faults))


def bare_join(db: Path) -> int:
    """The floor of joining a deck's cards with their stored rows by key, and nothing else: the keys as one
    list (as the deck's cards come), the stored rows into a dict by key, a dict of the cards by key (as a
    session holds them), and one lookup per card. Its growth from 10,000 to 100,000 cards is what memory
    alone adds to any code that joins the two (each step is linear in the number of its operations)."""
    import sqlite3

    con = sqlite3.connect(db)
    keys = [key for (key,) in con.execute("SELECT key FROM cards ORDER BY rowid")]
    stored = dict(con.execute("SELECT key, state FROM cards"))
    con.close()
    by_key = {key: key for key in keys}
    missing = object()
    get = stored.get
    return sum(1 for key in by_key if get(key, missing) is not missing)


def open_ratios(folder: Path, sizes: tuple[int, ...], rounds: int, fresh_rounds: int = 9) -> None:
    """Reopening an unchanged collection (``open_collection``) against ``bare_read`` of its rows, A B A B.

    Each run is timed twice: CPU time (``process_time``: what the code costs, steady on a shared machine)
    and wall time (what a learner waits, disk reads included, but inflated by other processes' load).

    Then both again, with ``bare_join`` (the floor of the growth) between them, each run in a new process
    (``timed_in_a_new_process``), as a learner opens the collection: the repeated opens in one process
    reuse the memory the last open freed when it is small (2 page faults an open at 10,000 cards) but not
    when it is big (16,000 at 100,000), which a single open never gets at either size; so growth is
    judged on the new processes' runs.
    """
    from gistquiz import locations

    medians: dict[tuple[str, int], float] = {}
    kernels: dict[tuple[str, int], float] = {}
    fresh: dict[tuple[str, int], list[tuple[float, float, int]]] = {}
    warm_home = folder / "home10"
    make_collection(warm_home, 10)
    warm = {"anchor": locations.database_path(warm_home), "join": locations.database_path(warm_home), "ours": warm_home}
    for n in sizes:
        home = folder / f"home{n}"
        make_collection(home, n)
        db = locations.database_path(home)
        t0 = time.perf_counter()
        assert open_collection(home) == n == bare_read(db)  # the first open parses and fills the cache
        cold = time.perf_counter() - t0
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(max(5, rounds * 10_000 // n)):
            for name, fn, arg in (("anchor", bare_read, db), ("ours", open_collection, home)):
                w0, c0, r0 = time.perf_counter(), time.process_time(), resource.getrusage(resource.RUSAGE_SELF)
                fn(arg)
                c1, w1, r1 = time.process_time(), time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
                times.setdefault((name, "cpu"), []).append(c1 - c0)
                times.setdefault((name, "wall"), []).append(w1 - w0)
                times.setdefault((name, "sys"), []).append(r1.ru_stime - r0.ru_stime)
                times.setdefault((name, "faults"), []).append(r1.ru_minflt - r0.ru_minflt)
        print(f"{n:,} cards, unchanged deck files, {len(times['anchor', 'cpu'])} interleaved rounds")
        print(f"  {'ms: median IQR':<58} {'CPU time':>15} {'wall time':>15}")
        rows = (
            ("anchor", f"anchor: SELECT of the {n:,} stored card rows into tuples"),
            ("ours", "ours: Workspace.open .. first card of the built queue"),
        )
        for name, label in rows:
            cells = [spread(times[name, clock]) for clock in ("cpu", "wall")]
            print(f"  {label:<58}" + "".join(f" {m * 1e3:8.1f} {iqr * 1e3:6.1f}" for m, iqr, _ in cells))
        ratios = [
            spread([o / a for o, a in zip(times["ours", clock], times["anchor", clock], strict=True)])
            for clock in ("cpu", "wall")
        ]
        print(f"  {'ratio ours / anchor, per round':<58}" + "".join(f" {m:7.2f}x {iqr:6.2f}" for m, iqr, _ in ratios))
        print(f"  the first open (parses the deck, writes the cache): {cold * 1e3:.0f} ms wall")
        for name in ("anchor", "ours"):
            medians[name, n] = statistics.median(times[name, "cpu"])
            kernels[name, n] = statistics.median(times[name, "sys"])
            # The kernel's part of the CPU time: pages the allocator gave back to the system and takes again.
            kernel, faults = statistics.median(times[name, "sys"]) * 1e3, statistics.median(times[name, "faults"])
            print(f"  {name}: of its CPU time, the kernel's {kernel:.1f} ms ({faults:,.0f} page faults)")
        for _ in range(fresh_rounds):
            for name, fn, arg in (("anchor", bare_read, db), ("join", bare_join, db), ("ours", open_collection, home)):
                fresh.setdefault((name, n), []).append(timed_in_a_new_process(fn, arg, warm[name]))
        print(f"  each run in a new process, {fresh_rounds} interleaved rounds (CPU ms, median IQR):")
        for name in ("anchor", "join", "ours"):
            (m, iqr, _), runs = spread([r[0] for r in fresh[name, n]]), fresh[name, n]
            kernel, faults = statistics.median(r[1] for r in runs) * 1e3, statistics.median(r[2] for r in runs)
            cells = f"{m * 1e3:8.1f} {iqr * 1e3:6.1f}"
            print(f"    {name:<8} {cells}   the kernel's {kernel:.1f} ms ({faults:,.0f} page faults)")
        per_round = [o[0] / a[0] for o, a in zip(fresh["ours", n], fresh["anchor", n], strict=True)]
        m, iqr, _ = spread(per_round)
        print(f"    ratio ours / anchor, per round {m:.2f}x {iqr:.2f}")
    if len(sizes) == 2:
        a, b = sizes
        for name in ("anchor", "ours"):
            growth = medians[name, b] / medians[name, a]
            user = (medians[name, b] - kernels[name, b]) / (medians[name, a] - kernels[name, a])
            line = f"{name}, CPU time, repeated in one process: t({b:,}) / t({a:,}) = {growth:.1f}"
            print(f"{line}, without the kernel's {user:.1f} (linear: {b // a})")
        for name in ("anchor", "join", "ours"):
            cpu = [statistics.median(r[0] for r in fresh[name, size]) for size in sizes]
            user = [statistics.median(r[0] - r[1] for r in fresh[name, size]) for size in sizes]
            line = f"{name}, CPU time, one open per new process: t({b:,}) / t({a:,}) = {cpu[1] / cpu[0]:.1f}"
            print(f"{line}, without the kernel's {user[1] / user[0]:.1f} (linear: {b // a})")


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
    parser.add_argument("--answer-path", action="store_true", help="only the answer path against a bare INSERT")
    parser.add_argument("--open", action="store_true", help="only reopening a collection against a bare read")
    parser.add_argument("--rounds", type=int, default=15, help="--open: interleaved rounds at 10,000 cards")
    args = parser.parse_args(argv)
    if args.open:
        with tempfile.TemporaryDirectory() as tmp:
            open_ratios(Path(tmp), (10_000, 100_000), args.rounds)
        return 0
    if args.answer_path:
        with tempfile.TemporaryDirectory() as tmp:
            print_answer_path(answer_path_ratios(Path(tmp)))
        return 0
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
