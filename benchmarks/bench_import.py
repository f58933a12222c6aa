"""Time ``gistquiz import`` of a 10,000-note .apkg, and the load of the deck it writes.

The package is generated with genanki (the way a shared deck is made): a mix of
Basic, Basic (and reversed card), Basic (type in the answer) and Cloze notes
with the HTML Anki's editor writes (``<div>``, ``<br>``, ``<b>``, ``&nbsp;``,
lists), in two subdecks. Target (issue 6): the import in at most 2 s.

    python benchmarks/bench_import.py [--notes 10000] [--runs 5] [--history]

Wall-clock time depends on what else the (shared) machine runs, so the CPU
time of the import and the load average are printed too. ``--history`` also
times ``--with-history`` with 5 answers per card in the package's review log
(replayed through the FSRS scheduler): no target, for information.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
import zipfile
from pathlib import Path


def make_package(path: Path, n_notes: int, history: bool, seed: int = 0) -> None:
    import genanki

    rng = random.Random(seed)
    words = [
        "gradient",
        "descent",
        "learning",
        "rate",
        "batch",
        "norm",
        "convolution",
        "pooling",
        "dropout",
        "softmax",
        "entropy",
    ]
    decks = [genanki.Deck(1_900_000_001, "Deep learning::Basics"), genanki.Deck(1_900_000_002, "Deep learning::CNN")]
    models = [
        genanki.BASIC_MODEL,
        genanki.BASIC_AND_REVERSED_CARD_MODEL,
        genanki.BASIC_TYPE_IN_THE_ANSWER_MODEL,
        genanki.CLOZE_MODEL,
    ]
    for i in range(n_notes):
        w = rng.sample(words, 6)
        model = models[i % 4]
        if model is genanki.CLOZE_MODEL:
            fields = [
                f"<div>The {{{{c1::{w[0]}}}}} of a {w[1]} and {{{{c2::{w[2]}::hint}}}} ({i})</div>",
                "<i>extra</i>",
            ]
        else:
            front = f"<div>What is <b>{w[0]}</b> in {w[1]}&nbsp;#{i}?</div>"
            back = f"{w[2]} {w[3]}<br><ul><li>{w[4]}</li><li>{w[5]}</li></ul>" if i % 3 else w[2]
            fields = [front, back]
        decks[i % 2].add_note(genanki.Note(model=model, fields=fields, tags=[w[0], "bench"]))
    genanki.Package(decks).write_to_file(str(path), timestamp=1.7e9)
    if history:
        _add_revlog(path, rng)


def _add_revlog(path: Path, rng: random.Random) -> None:
    with zipfile.ZipFile(path) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "c.db"
        db_path.write_bytes(members["collection.anki2"])
        db = sqlite3.connect(db_path)
        db.execute("UPDATE col SET conf=?", (json.dumps({"schedVer": 2}),))
        t0 = 1_700_000_000_000
        rows, used = [], set()
        for (cid,) in db.execute("SELECT id FROM cards").fetchall():
            t = t0 + rng.randrange(10**8)
            for step in range(5):
                t += (step + 1) * 86_400_000
                while t in used:  # revlog ids (epoch ms) are unique
                    t += 1
                used.add(t)
                rows.append((t, cid, rng.choice([1, 3, 3, 3, 4]), 1, 7000, 1))
        db.executemany("INSERT INTO revlog VALUES (?,?,-1,?,?,0,2500,?,?)", rows)
        db.commit()
        db.close()
        members["collection.anki2"] = db_path.read_bytes()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--history", action="store_true")
    args = parser.parse_args()

    from gistquiz.deck import read_deck
    from gistquiz.interop.importer import import_file
    from gistquiz.scheduler import Scheduler
    from gistquiz.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        pkg = root / "bench.apkg"
        t = time.perf_counter()
        make_package(pkg, args.notes, args.history)
        print(
            f"generated {pkg.stat().st_size / 2**20:.1f} MiB package with {args.notes} notes in "
            f"{time.perf_counter() - t:.1f} s"
        )
        import_times, cpu_times, load_times, history_times = [], [], [], []
        cards = 0
        for run in range(args.runs):
            out = root / f"decks{run}"
            t, c = time.perf_counter(), time.process_time()
            result = import_file(pkg, out)
            import_times.append(time.perf_counter() - t)
            cpu_times.append(time.process_time() - c)
            cards = result.plan.cards
            for d in result.plan.decks:
                t = time.perf_counter()
                deck = read_deck(d.path)
                load_times.append(time.perf_counter() - t)
                assert not deck.errors, deck.errors[:3]
            shutil.rmtree(out)
            if args.history:
                store = Store(root / f"h{run}.sqlite3")
                t = time.perf_counter()
                res = import_file(pkg, out, store=store, scheduler=Scheduler(), with_history=True)
                history_times.append(time.perf_counter() - t)
                store.close()
                history_reviews = res.history_reviews
                shutil.rmtree(out)
        n_decks = len(result.plan.decks)
        print(
            f"import: {args.notes} notes -> {cards} cards in {n_decks} deck files; "
            f"median {statistics.median(import_times):.2f} s over {args.runs} runs "
            f"(min {min(import_times):.2f}, max {max(import_times):.2f}); target <= 2 s"
        )
        print(
            f"CPU time of the import: median {statistics.median(cpu_times):.2f} s "
            f"(load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )
        per_deck = statistics.median(load_times)
        print(f"load of a written deck (read_deck, {cards // n_decks} cards): median {per_deck * 1000:.0f} ms")
        if history_times:
            print(
                f"import --with-history ({history_reviews} answers replayed): median "
                f"{statistics.median(history_times):.2f} s"
            )


if __name__ == "__main__":
    main()
