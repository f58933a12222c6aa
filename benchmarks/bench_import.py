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

    python benchmarks/bench_import.py --compare main [--notes 10000] [--runs 5]

builds the package with Anki's own backend (the ``anki`` extra) and times the import and the export back to
.apkg by git REF and by this tree, each run in its own process, interleaved (A B A B): median, IQR and the
per-pair ratio. Issue 23's bound: the ratio at most 1.15.
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


def make_real_anki_package(path: Path, n_notes: int, seed: int = 0) -> None:
    """A package built and exported by Anki's own backend (``pip install -e '.[anki]'``): Basic, reversed,
    typed, Cloze (with Back Extra) and a custom 3-field note type, Anki's latest format (collection.anki21b)."""
    from anki.collection import Collection, DeckIdLimit, ExportAnkiPackageOptions

    rng = random.Random(seed)
    words = ["gradient", "descent", "learning", "rate", "batch", "norm", "convolution", "pooling", "softmax"]
    with tempfile.TemporaryDirectory() as tmp:
        col = Collection(str(Path(tmp) / "collection.anki2"))
        mm = col.models
        vocab = mm.new("Vocabulary")
        for f in ("Term", "Meaning", "Example"):
            mm.add_field(vocab, mm.new_field(f))
        t = mm.new_template("Card 1")
        t["qfmt"], t["afmt"] = (
            "{{Term}}",
            "{{FrontSide}}<hr id=answer>{{Meaning}}{{#Example}}<br>{{Example}}{{/Example}}",
        )
        mm.add_template(vocab, t)
        mm.add(vocab)
        kinds = ["Basic", "Basic (and reversed card)", "Basic (type in the answer)", "Cloze", "Vocabulary"]
        types = {k: mm.by_name(k) for k in kinds}
        decks = [col.decks.id("Deep learning::Basics"), col.decks.id("Deep learning::CNN")]
        for i in range(n_notes):
            w = rng.sample(words, 6)
            kind = kinds[i % len(kinds)]
            note = col.new_note(types[kind])
            if kind == "Cloze":
                note["Text"] = f"<div>The {{{{c1::{w[0]}}}}} of a {w[1]} and {{{{c2::{w[2]}::hint}}}} ({i})</div>"
                note["Back Extra"] = "<i>extra</i>"
            elif kind == "Vocabulary":
                note["Term"], note["Meaning"], note["Example"] = f"{w[0]} {i}", w[1], f"<b>{w[2]}</b> {w[3]}"
            else:
                note.fields[0] = f"<div>What is <b>{w[0]}</b> in {w[1]}&nbsp;#{i}?</div>"
                note.fields[1] = f"{w[2]} {w[3]}<br><ul><li>{w[4]}</li><li>{w[5]}</li></ul>" if i % 3 else w[2]
            note.tags = [w[0], "bench"]
            col.add_note(note, decks[i % 2])
        options = ExportAnkiPackageOptions(
            with_scheduling=False, with_deck_configs=False, with_media=True, legacy=False
        )
        col.export_anki_package(out_path=str(path), options=options, limit=DeckIdLimit(col.decks.id("Deep learning")))
        col.close()


# The export is timed as `gistquiz export` runs it: with the review store where the tree's write_apkg takes
# one (recording each note's modification time), the second export of the same decks (the store already
# knows them, the case of every export after the first).
_ONE_RUN = """
import inspect, json, sys, tempfile, time
from pathlib import Path
from gistquiz.deck import read_deck
from gistquiz.interop.anki_export import write_apkg
from gistquiz.interop.importer import import_file
from gistquiz.store import Store
with tempfile.TemporaryDirectory() as tmp:
    t = time.perf_counter()
    result = import_file(Path(sys.argv[1]), Path(tmp) / "decks")
    t_import = time.perf_counter() - t
    decks = [read_deck(d.path) for d in result.plan.decks]
    kw = {"store": Store(Path(tmp) / "gq.sqlite3")} if "store" in inspect.signature(write_apkg).parameters else {}
    write_apkg(decks, Path(tmp) / "first.apkg", **kw)
    t = time.perf_counter()
    write_apkg(decks, Path(tmp) / "out.apkg", **kw)
    t_export = time.perf_counter() - t
print(json.dumps({"import": t_import, "export": t_export, "cards": result.plan.cards}))
"""


def compare(ref: str, n_notes: int, runs: int) -> None:
    """Import and export of one real-Anki package by ``ref`` (e.g. main) and by this tree, interleaved A B A B."""
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        pkg = root / "real.apkg"
        make_real_anki_package(pkg, n_notes)
        base = root / "base"
        base.mkdir()
        archive = subprocess.run(["git", "-C", str(repo), "archive", ref, "gistquiz"], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive.stdout, check=True)
        times: dict[str, dict[str, list[float]]] = {
            ref: {"import": [], "export": []},
            "this tree": {"import": [], "export": []},
        }
        cards = {}
        for _ in range(runs):
            for label, where in ((ref, base), ("this tree", repo)):
                env = dict(os.environ, PYTHONPATH=str(where))
                out = subprocess.run(
                    [sys.executable, "-c", _ONE_RUN, str(pkg)], env=env, capture_output=True, text=True
                )
                if out.returncode:
                    raise SystemExit(f"{label} failed: {out.stderr.strip().splitlines()[-1]}")
                got = json.loads(out.stdout)
                cards[label] = got["cards"]
                for what in ("import", "export"):
                    times[label][what].append(got[what])
    print(f"{n_notes}-note package exported by Anki's backend; {runs} interleaved runs; cards: {cards}")
    for what in ("import", "export"):
        ratios = [b / a for a, b in zip(times[ref][what], times["this tree"][what], strict=True)]
        q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
        print(
            f"{what}: {ref} median {statistics.median(times[ref][what]):.2f} s, this tree median "
            f"{statistics.median(times['this tree'][what]):.2f} s; ratio this/{ref} "
            f"median {statistics.median(ratios):.2f} (IQR {q[0]:.2f}-{q[2]:.2f}, n={len(ratios)})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--history", action="store_true")
    parser.add_argument(
        "--compare", metavar="REF", help="time import and export of a real-Anki package against git REF (e.g. main)"
    )
    args = parser.parse_args()
    if args.compare:
        compare(args.compare, args.notes, args.runs)
        return

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
