"""Export for Anki: deck -> .apkg (genanki) -> import gives the same cards; stable GUIDs; text format; history CSV."""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import genanki
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gistquiz.deck import Kind, parse_deck, read_deck
from gistquiz.deck_writer import Note, render
from gistquiz.interop.anki_export import write_apkg, write_tsv
from gistquiz.interop.anki_text import read_text
from gistquiz.interop.importer import import_file
from gistquiz.scheduler import Rating, Scheduler
from gistquiz.store import Store

ROOT = Path(__file__).resolve().parents[1]

DECK = """\
# Tiny deck

A deck to export.

## What is 2 + 2?
id: two
tags: maths, easy

**4**, written *four*.

## Capital of France?
type: typed

Paris | paris city
The capital since 987.

## Learning rate
id: lr
type: reversed

The step size of gradient descent: `w ← w − η·∇L`.

## Which is a prime?
tags: maths

- [ ] 4
- [x] 7
- [ ] 9

Seven has no divisors but 1 and itself.

## The parts of a CNN
A CNN stacks {{c1::convolution}} and {{c2::max-pooling::downsampling}} layers.

## What does this print?

```python
print(np.zeros((2, 3)).T.shape)
```
?
`(3, 2)`, because:
- `.T` reverses the axes
- the shape was `(2, 3)`
"""


def write_deck(folder: Path, text: str = DECK, name: str = "tiny.md") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def content(card) -> tuple:
    return (
        card.kind,
        card.front,
        card.back if card.kind is not Kind.TYPED else (card.answers, card.explanation),
        card.tags,
        card.options,
        card.cloze_text,
        card.cloze_index,
        card.key.rpartition("/")[2] if "/" in card.key else "",
    )


def package_notes(path: Path) -> list[tuple[str, str, list[str], int]]:
    """(guid, note type name, fields, number of cards) of each note in a package, read with sqlite3 directly."""
    with zipfile.ZipFile(path) as z:
        data = z.read("collection.anki2")
    db_path = path.with_suffix(".check.db")
    db_path.write_bytes(data)
    db = sqlite3.connect(db_path)
    import json

    models = json.loads(db.execute("SELECT models FROM col").fetchone()[0])
    rows = [
        (
            guid,
            models[str(mid)]["name"],
            flds.split("\x1f"),
            db.execute("SELECT COUNT(*) FROM cards WHERE nid=?", (nid,)).fetchone()[0],
        )
        for nid, guid, mid, flds in db.execute("SELECT id, guid, mid, flds FROM notes ORDER BY id")
    ]
    db.close()
    db_path.unlink()
    return rows


def test_deck_to_apkg_to_import_gives_back_the_same_cards(tmp_path):
    deck = read_deck(write_deck(tmp_path / "src"))
    assert deck.errors == []
    write_apkg([deck], tmp_path / "tiny.apkg")
    result = import_file(tmp_path / "tiny.apkg", tmp_path / "decks", output=tmp_path / "decks" / "tiny.md")
    back = read_deck(result.plan.decks[0].path)
    assert back.errors == [] and back.title == "Tiny deck"
    assert [content(c) for c in back.cards] == [content(c) for c in deck.cards]
    assert [c.key for c in back.cards if c.note_id in ("two", "lr")] == ["tiny:two", "tiny:lr", "tiny:lr/rev"]


def test_each_kind_has_its_note_type_and_anki_makes_the_right_cards(tmp_path):
    write_apkg([read_deck(write_deck(tmp_path))], tmp_path / "t.apkg")
    notes = package_notes(tmp_path / "t.apkg")
    assert [(name, n_cards) for _, name, _, n_cards in notes] == [
        ("gistquiz basic", 1),
        ("gistquiz typed", 1),
        ("gistquiz reversed", 2),
        ("gistquiz multiple choice", 1),
        ("gistquiz cloze", 2),
        ("gistquiz basic", 1),
    ]
    two, typed, _, choice, cloze, code = (fields for _, _, fields, _ in notes)
    assert two == ["What is 2 + 2?", "<b>4</b>, written <i>four</i>.", "two"]
    assert typed[1:4] == ["Paris", "paris city", "The capital since 987."]
    # Anki has no multiple choice: the front lists the options, the back the right one.
    assert choice[1:3] == ["<ul><li>4</li><li>7</li><li>9</li></ul>", "<ul><li>7</li></ul>"]
    assert cloze[0] == "A CNN stacks {{c1::convolution}} and {{c2::max-pooling::downsampling}} layers."
    assert code[0].startswith('What does this print?<br><br><pre><code class="language-python">')


def test_same_deck_exported_twice_gives_the_same_guids(tmp_path):
    deck = read_deck(write_deck(tmp_path))
    write_apkg([deck], tmp_path / "a.apkg")
    write_apkg([deck], tmp_path / "b.apkg")
    guids = [g for g, *_ in package_notes(tmp_path / "a.apkg")]
    assert guids == [g for g, *_ in package_notes(tmp_path / "b.apkg")]
    assert len(set(guids)) == len(guids) == 6


def test_an_edited_card_keeps_its_guid_when_its_identity_is_kept(tmp_path):
    before = read_deck(write_deck(tmp_path / "a"))
    edited_text = (
        DECK.replace("**4**, written *four*.", "Four.")  # has an id: any edit keeps it
        .replace("What is 2 + 2?", "What is two plus two?")
        .replace("Capital of France?", "capital of france")  # no id: case and punctuation keep it
        .replace("Which is a prime?", "Which number is prime?")  # no id, reworded: a new card
    )
    after = read_deck(write_deck(tmp_path / "b", edited_text))
    write_apkg([before], tmp_path / "before.apkg")
    write_apkg([after], tmp_path / "after.apkg")
    old = [g for g, *_ in package_notes(tmp_path / "before.apkg")]
    new = [g for g, *_ in package_notes(tmp_path / "after.apkg")]
    assert new[0] == old[0]  # id: two
    assert new[1] == old[1]  # typed, same words
    assert new[2] == old[2]  # id: lr
    assert new[3] != old[3]  # reworded without an id


def test_a_card_imported_from_anki_goes_back_with_its_anki_guid(tmp_path):
    d = genanki.Deck(2059400110, "From Anki")
    d.add_note(genanki.Note(model=genanki.BASIC_MODEL, fields=["q", "a"], guid="Ab#c%12"))
    genanki.Package(d).write_to_file(str(tmp_path / "in.apkg"))
    result = import_file(tmp_path / "in.apkg", tmp_path / "decks")
    write_apkg([read_deck(result.plan.decks[0].path)], tmp_path / "out.apkg")
    assert [g for g, *_ in package_notes(tmp_path / "out.apkg")] == ["Ab#c%12"]


def test_tsv_export_has_anki_headers_and_reads_back(tmp_path):
    out = io.StringIO()
    write_tsv([read_deck(write_deck(tmp_path))], out)
    text = out.getvalue()
    assert text.startswith(
        "#separator:tab\n#html:true\n#guid column:1\n#notetype column:2\n#deck column:3\n#tags column:6\n"
    )
    notes = read_text(text.encode(), "t.txt", "x")
    # Anki's stock note types, which every (English) collection has: see test_interop_anki_backend.
    assert [n.notetype.name for n in notes][:3] == ["Basic", "Basic (type in the answer)", "Basic (and reversed card)"]
    assert notes[0].tags == ("maths", "easy") and notes[0].deck == "Tiny deck"


def test_history_csv_has_the_columns_fsrs_tools_read(tmp_path, gistquiz_home):
    folder = tmp_path / "mydecks"
    write_deck(folder)
    store = Store(gistquiz_home / "gistquiz.sqlite3")
    scheduler = Scheduler()
    t = datetime(2024, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)
    for i, rating in enumerate([Rating.GOOD, Rating.AGAIN]):
        when = t + timedelta(days=i)
        store.answer("tiny:two", "tiny", rating, when, lambda s, r=rating, w=when: scheduler.review(s, r, w), 4200)
    store.close()
    out = gq("export", "--decks", str(folder), "--history", str(tmp_path / "h.csv"), home=gistquiz_home)
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader((tmp_path / "h.csv").open()))
    assert rows == [
        {
            "card_id": "tiny:two",
            "review_time": str(int(t.timestamp() * 1000)),
            "review_rating": "3",
            "review_state": "0",
            "review_duration": "4200",
            "review_datetime": "2024-03-01T12:00:00.250Z",
        },
        {
            "card_id": "tiny:two",
            "review_time": str(int((t + timedelta(days=1)).timestamp() * 1000)),
            "review_rating": "1",
            "review_state": "1",  # Good on a new card left it in its learning steps
            "review_duration": "4200",
            "review_datetime": "2024-03-02T12:00:00.250Z",
        },
    ]


def gq(*args: str, home: Path, cwd: Path | None = None):
    env = dict(os.environ, GISTQUIZ_HOME=str(home))
    return subprocess.run(
        [sys.executable, "-m", "gistquiz", *args], capture_output=True, text=True, env=env, cwd=cwd or ROOT, timeout=120
    )


def test_export_command_writes_a_package_and_refuses_to_overwrite(tmp_path, gistquiz_home):
    folder = tmp_path / "mydecks"
    write_deck(folder)
    target = tmp_path / "out.apkg"
    first = gq("export", "tiny", "--decks", str(folder), "-o", str(target), home=gistquiz_home)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"wrote {target}: 6 notes from 1 deck"
    again = gq("export", "tiny", "--decks", str(folder), "-o", str(target), home=gistquiz_home)
    assert (again.returncode, again.stderr) == (2, f"gistquiz: {target} exists: use --force to replace it\n")
    tsv = gq("export", "tiny", "--decks", str(folder), "--format", "tsv", home=gistquiz_home)
    assert tsv.stdout.startswith("#separator:tab\n")
    nothing = gq("export", home=gistquiz_home)
    assert nothing.returncode == 2 and nothing.stderr.startswith("gistquiz: name a deck to export")
    unknown = gq("export", "nope", "--decks", str(folder), home=gistquiz_home)
    assert unknown.returncode == 2 and "no deck named 'nope'" in unknown.stderr


# --------------------------------------------------------------------------- property: any deck survives the trip

_WORDS = st.lists(
    st.sampled_from(["alpha", "beta", "γάμμα", "x<y", "a&b", "**bold**", "*it*", "`code`", "2"]), min_size=1, max_size=5
).map(" ".join)
_LINES = st.lists(_WORDS, min_size=1, max_size=3).map("\n".join)


@st.composite
def _note(draw) -> Note:
    kind = draw(st.sampled_from(["basic", "reversed", "typed", "choice", "cloze"]))
    front = draw(_WORDS)
    tags = tuple(draw(st.lists(st.sampled_from(["t1", "t2", "a::b"]), unique=True, max_size=2)))
    note_id = draw(st.one_of(st.none(), st.sampled_from(["n-1", "n.2", "n_3"])))
    if kind == "choice":
        options = [(w, i == 0) for i, w in enumerate(draw(st.lists(_WORDS, min_size=2, max_size=4, unique=True)))]
        return Note(front, draw(st.one_of(st.just(""), _WORDS)), id=note_id, tags=tags, options=options)
    if kind == "cloze":
        body = f"{draw(_WORDS)} {{{{c1::{draw(_WORDS)}}}}} and {{{{c2::{draw(_WORDS)}::hint}}}}"
        return Note(front, body, id=note_id, tags=tags)
    if kind == "typed":
        return Note(front, f"{draw(_WORDS)} | {draw(_WORDS)}\n{draw(_LINES)}", type="typed", id=note_id, tags=tags)
    return Note(front, draw(_LINES), type=kind, id=note_id, tags=tags)


@settings(deadline=None, max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_note(), min_size=1, max_size=6))
def test_any_deck_survives_export_and_import(tmp_path, notes):
    ids = [n.id for n in notes if n.id]
    if len(ids) != len(set(ids)):
        notes = [n for i, n in enumerate(notes) if not n.id or n.id not in [m.id for m in notes[:i]]]
    deck = parse_deck(render("Prop", "", notes), str(tmp_path / "prop.md"))
    if deck.errors:  # e.g. two notes with the same words: not what this property is about
        return
    write_apkg([deck], tmp_path / "p.apkg")
    result = import_file(tmp_path / "p.apkg", tmp_path / "d", output=tmp_path / "d" / "prop.md", force=True)
    back = read_deck(result.plan.decks[0].path)
    assert [content(c) for c in back.cards] == [content(c) for c in deck.cards]
