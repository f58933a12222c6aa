"""Anki packages (.apkg/.colpkg): note types, decks, media, the latest zstd format, hostile files, review history.

Every package here is built by the test itself: with genanki (legacy ``collection.anki2``), or by hand
(``collection.anki21b``: schema 18, zstd), so no binary fixture is checked in.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import genanki
import pytest
import zstandard
from timing import best_of_interleaved

from gistquiz.deck import Kind, parse_deck, read_deck
from gistquiz.errors import UserError
from gistquiz.interop import zipsafe
from gistquiz.interop.anki_model import SourceNote, guid_to_id
from gistquiz.interop.importer import import_file
from gistquiz.rebuild import rebuild, replay
from gistquiz.scheduler import Rating, Scheduler, State
from gistquiz.store import Store

ROOT = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------- building packages

VOCAB = genanki.Model(
    1607392319,
    "Vocab (3 cards)",
    fields=[{"name": "Word"}, {"name": "Meaning"}, {"name": "Example"}],
    templates=[
        {"name": "a", "qfmt": "{{Word}}", "afmt": "{{Meaning}}"},
        {"name": "b", "qfmt": "{{Meaning}}", "afmt": "{{Word}}"},
        {"name": "c", "qfmt": "{{Example}}", "afmt": "{{Word}}"},
    ],
)
GERMAN_REVERSED = genanki.Model(
    1607392320,
    "Einfach (beide Richtungen)",
    fields=[{"name": "Vorderseite"}, {"name": "Rückseite"}],
    templates=[
        {"name": "Karte 1", "qfmt": "{{Vorderseite}}", "afmt": "{{FrontSide}}<hr id=answer>{{Rückseite}}"},
        {"name": "Karte 2", "qfmt": "{{Rückseite}}", "afmt": "{{FrontSide}}<hr id=answer>{{Vorderseite}}"},
    ],
)
GERMAN_TYPED = genanki.Model(
    1607392321,
    "Einfach (Antwort eintippen)",
    fields=[{"name": "Vorderseite"}, {"name": "Rückseite"}],
    templates=[{"name": "Karte 1", "qfmt": "{{Vorderseite}}\n{{type:Rückseite}}", "afmt": "{{type:Rückseite}}"}],
)


def build(path: Path, decks: dict[str, list[genanki.Note]], media: list[Path] | None = None) -> Path:
    packaged = []
    for name, notes in decks.items():
        d = genanki.Deck(int(hashlib.sha1(name.encode()).hexdigest()[:8], 16), name)
        for n in notes:
            d.add_note(n)
        packaged.append(d)
    genanki.Package(packaged, media_files=[str(m) for m in media or []]).write_to_file(str(path), timestamp=1.7e9)
    return path


def note(model, *fields, tags=(), guid=None) -> genanki.Note:
    return genanki.Note(model=model, fields=list(fields), tags=list(tags), guid=guid)


def rewrite(path: Path, members: dict[str, bytes | None], collection=None) -> Path:
    """Replace (or, with ``None``, drop) members of a package; ``collection(db)`` edits collection.anki2."""
    with zipfile.ZipFile(path) as z:
        old = {i.filename: z.read(i) for i in z.infolist()}
    if collection is not None:
        tmp = path.with_suffix(".db")
        tmp.write_bytes(old["collection.anki2"])
        db = sqlite3.connect(tmp)
        collection(db)
        db.commit()
        db.close()
        old["collection.anki2"] = tmp.read_bytes()
        tmp.unlink()
    old.update(members)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in old.items():
            if data is not None:
                z.writestr(name, data)
    return path


def assert_nothing_written(home: Path, decks: Path) -> None:
    assert not decks.exists() or list(decks.rglob("*")) == []
    leftovers = [p for p in home.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


@pytest.fixture
def basic_pkg(tmp_path):
    return build(
        tmp_path / "basic.apkg",
        {"Spanish::Verbs": [note(genanki.BASIC_MODEL, "<b>hablar</b>", "to speak", tags=["verbs"], guid="g1")]},
    )


# --------------------------------------------------------------------------- note types, decks, tags


def test_stock_note_types_become_card_kinds_and_subdecks_become_files(tmp_path):
    pkg = build(
        tmp_path / "mixed.apkg",
        {
            "Spanish": [
                note(genanki.BASIC_AND_REVERSED_CARD_MODEL, "el perro", "the dog", tags=["nouns"], guid="r1"),
                note(genanki.BASIC_OPTIONAL_REVERSED_CARD_MODEL, "la casa", "the house", "", guid="o1"),
                note(genanki.BASIC_OPTIONAL_REVERSED_CARD_MODEL, "el gato", "the cat", "y", guid="o2"),
                note(genanki.BASIC_TYPE_IN_THE_ANSWER_MODEL, "cat?", "gato", guid="t1"),
                note(genanki.CLOZE_MODEL, "{{c1::Madrid}} is the capital of {{c2::Spain}}", "geo", guid="c1"),
                note(VOCAB, "libro", "book", "Leo un libro", guid="v1"),
            ],
            "Spanish::Verbs": [note(genanki.BASIC_MODEL, "<b>hablar</b>", "to speak", tags=["verbs", "ar"], guid="b1")],
        },
    )
    result = import_file(pkg, tmp_path / "decks")
    assert sorted(d.path.name for d in result.plan.decks) == ["spanish--verbs.md", "spanish.md"]
    assert result.messages == [
        "1 note of note type 'Vocab (3 cards)' imported as basic cards, as their first card template shows them",
        "1 note of note type 'Vocab (3 cards)': its other 2 card template(s) were not kept",
    ]
    spanish = read_deck(tmp_path / "decks" / "spanish.md")
    assert spanish.errors == [] and spanish.title == "Spanish"
    by_id: dict[str, list] = {}
    for c in spanish.cards:
        by_id.setdefault(c.note_id, []).append(c)
    assert [c.kind for c in by_id[guid_to_id("r1")]] == [Kind.REVERSED, Kind.REVERSED]
    assert by_id[guid_to_id("r1")][0].tags == ("nouns",)
    assert [c.kind for c in by_id[guid_to_id("o1")]] == [Kind.BASIC]
    assert [c.kind for c in by_id[guid_to_id("o2")]] == [Kind.REVERSED, Kind.REVERSED]
    (typed,) = by_id[guid_to_id("t1")]
    assert (typed.kind, typed.answers) == (Kind.TYPED, ("gato",))
    cloze = by_id[guid_to_id("c1")]
    assert [(c.kind, c.cloze_index) for c in cloze] == [(Kind.CLOZE, 1), (Kind.CLOZE, 2)]
    assert cloze[0].cloze_text == "{{c1::Madrid}} is the capital of {{c2::Spain}}\n\n---\n\ngeo"
    (vocab,) = by_id[guid_to_id("v1")]
    assert (vocab.kind, vocab.front, vocab.back) == (Kind.BASIC, "libro", "book")
    (verb,) = read_deck(tmp_path / "decks" / "spanish--verbs.md").cards
    assert (verb.front, verb.back, verb.tags) == ("**hablar**", "to speak", ("verbs", "ar"))


def test_note_types_in_another_language_are_recognised_by_their_templates(tmp_path):
    pkg = build(
        tmp_path / "de.apkg",
        {"Deutsch": [note(GERMAN_REVERSED, "Hund", "dog", guid="d1"), note(GERMAN_TYPED, "Katze?", "cat", guid="d2")]},
    )
    import_file(pkg, tmp_path / "decks")
    kinds = [c.kind for c in read_deck(tmp_path / "decks" / "deutsch.md").cards]
    assert kinds == [Kind.REVERSED, Kind.REVERSED, Kind.TYPED]


def test_output_file_for_one_deck_and_refusal_for_several(tmp_path, basic_pkg):
    import_file(basic_pkg, tmp_path / "decks", output=tmp_path / "mine.md")
    assert read_deck(tmp_path / "mine.md").cards[0].key == f"mine:{guid_to_id('g1')}"
    two = build(
        tmp_path / "two.apkg", {"A": [note(genanki.BASIC_MODEL, "a", "b")], "B": [note(genanki.BASIC_MODEL, "c", "d")]}
    )
    with pytest.raises(UserError, match=r"holds 2 decks \(A, B\): give -o a folder"):
        import_file(two, tmp_path / "decks", output=tmp_path / "both.md")


def test_reimport_keeps_card_keys_and_needs_force(tmp_path, basic_pkg):
    first = import_file(basic_pkg, tmp_path / "decks")
    keys = [c.key for c in read_deck(first.plan.decks[0].path).cards]
    with pytest.raises(UserError, match="exists: use --force"):
        import_file(basic_pkg, tmp_path / "decks")
    import_file(basic_pkg, tmp_path / "decks", force=True)
    assert [c.key for c in read_deck(first.plan.decks[0].path).cards] == keys == [f"spanish--verbs:{guid_to_id('g1')}"]


def test_cloze_without_deletions_and_empty_backs_are_skipped_and_reported(tmp_path):
    pkg = build(
        tmp_path / "s.apkg",
        {"S": [note(genanki.BASIC_MODEL, "front", "", guid="e1"), note(genanki.BASIC_MODEL, "ok", "fine", guid="e2")]},
    )
    result = import_file(pkg, tmp_path / "decks")
    assert result.messages == ["skipped 1 note: note 'front' (GUID e1) (an empty front or back)"]
    assert len(read_deck(tmp_path / "decks" / "s.md").cards) == 1


# --------------------------------------------------------------------------- media


def test_media_is_copied_beside_the_deck_and_linked(tmp_path):
    pic = tmp_path / "cat photo.png"
    pic.write_bytes(b"\x89PNG fake")
    pkg = build(
        tmp_path / "m.apkg",
        {"Pets": [note(genanki.BASIC_MODEL, 'What is this? <img src="cat photo.png">', 'a cat <img src="gone.jpg">')]},
        media=[pic],
    )
    import_file(pkg, tmp_path / "decks")
    (card,) = read_deck(tmp_path / "decks" / "pets.md").cards
    assert card.front == "What is this?\n\n![cat photo.png](<pets.media/cat photo.png>)"
    assert card.back == "a cat\\\n(missing media: gone.jpg)"
    assert (tmp_path / "decks" / "pets.media" / "cat photo.png").read_bytes() == b"\x89PNG fake"


def test_windows_device_names_in_media_are_renamed(tmp_path):
    pkg = build(tmp_path / "dev.apkg", {"D": [note(genanki.BASIC_MODEL, '<img src="CON.png">', "x")]})
    rewrite(pkg, {"media": json.dumps({"0": "CON.png"}).encode(), "0": b"img"})
    import_file(pkg, tmp_path / "decks")
    assert [p.name for p in (tmp_path / "decks" / "d.media").iterdir()] == ["_CON.png"]
    assert "d.media/_CON.png" in read_deck(tmp_path / "decks" / "d.md").cards[0].front


@pytest.mark.parametrize("name", ["../../evil.png", "/etc/evil.png", "C:\\evil.png", "sub/../../evil.png", "a\\b.png"])
def test_media_name_with_path_traversal_rejects_the_package(tmp_path, basic_pkg, name):
    rewrite(basic_pkg, {"media": json.dumps({"0": name}).encode(), "0": b"x"})
    with pytest.raises(UserError, match="unsafe media file name") as err:
        import_file(basic_pkg, tmp_path / "decks")
    assert "\n" not in str(err.value)
    assert_nothing_written(tmp_path, tmp_path / "decks")
    assert not (tmp_path / "evil.png").exists()


def test_zip_member_with_path_traversal_rejects_the_package(tmp_path, basic_pkg):
    rewrite(basic_pkg, {"../outside.txt": b"x"})
    with pytest.raises(UserError, match=r"unsafe file name '../outside.txt' \(path traversal\)"):
        import_file(basic_pkg, tmp_path / "decks")
    assert_nothing_written(tmp_path, tmp_path / "decks")


# --------------------------------------------------------------------------- hostile and broken packages


def test_zip_bomb_is_refused_by_its_compression_ratio(tmp_path, basic_pkg):
    rewrite(basic_pkg, {"collection.anki2": bytes(64 * 2**20)})
    with pytest.raises(UserError, match=r"expands \d+x \(limit 100x\): refusing a possible zip bomb"):
        import_file(basic_pkg, tmp_path / "decks")
    assert_nothing_written(tmp_path, tmp_path / "decks")


def test_zstd_bomb_inside_the_latest_format_is_refused(tmp_path):
    pkg = build_anki21b(tmp_path / "latest.apkg")
    rewrite(pkg, {"collection.anki21b": zstandard.ZstdCompressor().compress(bytes(64 * 2**20))})
    with pytest.raises(UserError, match="'collection.anki21b' expands too much: refusing a possible zip bomb"):
        import_file(pkg, tmp_path / "decks")
    assert_nothing_written(tmp_path, tmp_path / "decks")


def test_collection_package_colpkg_is_read_like_a_deck_package(tmp_path, basic_pkg):
    colpkg = tmp_path / "collection.colpkg"
    shutil.copy(basic_pkg, colpkg)
    result = import_file(colpkg, tmp_path / "decks")
    assert [d.path.name for d in result.plan.decks] == ["spanish--verbs.md"]


def test_package_larger_than_the_total_limit_is_refused(tmp_path, basic_pkg, monkeypatch):
    monkeypatch.setattr(zipsafe, "MAX_TOTAL_BYTES", 4096)
    with pytest.raises(UserError, match="unpacks to more than"):
        import_file(basic_pkg, tmp_path / "decks")
    assert_nothing_written(tmp_path, tmp_path / "decks")


def test_corrupt_zip_is_one_line(tmp_path, basic_pkg):
    data = basic_pkg.read_bytes()
    truncated = tmp_path / "truncated.apkg"
    truncated.write_bytes(data[: len(data) // 2])
    garbage = tmp_path / "garbage.apkg"
    garbage.write_bytes(os.urandom(2000))
    for bad in (truncated, garbage):
        with pytest.raises(UserError, match=r"not a valid Anki package \(corrupt zip") as err:
            import_file(bad, tmp_path / "decks")
        assert "\n" not in str(err.value)
    assert_nothing_written(tmp_path, tmp_path / "decks")


def test_damaged_member_data_is_reported_as_corrupt(tmp_path, basic_pkg):
    data = bytearray(basic_pkg.read_bytes())
    with zipfile.ZipFile(basic_pkg) as z:
        info = z.getinfo("collection.anki2")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 100, start + 140):
        data[i] ^= 0xFF
    basic_pkg.write_bytes(bytes(data))
    with pytest.raises(UserError, match=r"not a valid Anki package \(corrupt zip"):
        import_file(basic_pkg, tmp_path / "decks")
    assert_nothing_written(tmp_path, tmp_path / "decks")


def test_sqlite_file_that_is_not_a_collection_is_refused(tmp_path, basic_pkg):
    db_path = tmp_path / "other.db"
    db = sqlite3.connect(db_path)
    db.execute("CREATE TABLE songs (title TEXT)")
    db.commit()
    db.close()
    rewrite(basic_pkg, {"collection.anki2": db_path.read_bytes()})
    with pytest.raises(UserError, match=r"not an Anki collection \(no cards, col, notes table\)"):
        import_file(basic_pkg, tmp_path / "decks")
    rewrite(basic_pkg, {"collection.anki2": b"hello, not a database at all"})
    with pytest.raises(UserError, match=r"not an Anki collection \(the database inside is not SQLite\)"):
        import_file(basic_pkg, tmp_path / "decks")
    rewrite(basic_pkg, {"collection.anki2": None})
    with pytest.raises(UserError, match="no Anki collection inside"):
        import_file(basic_pkg, tmp_path / "decks")
    assert_nothing_written(tmp_path, tmp_path / "decks")


def test_empty_collection_is_refused(tmp_path):
    pkg = build(tmp_path / "empty.apkg", {"Nothing": []})
    with pytest.raises(UserError, match="the collection holds no notes: nothing to import"):
        import_file(pkg, tmp_path / "decks")
    assert_nothing_written(tmp_path, tmp_path / "decks")


def test_note_with_missing_fields_is_refused_and_nothing_is_written(tmp_path):
    pkg = build(
        tmp_path / "f.apkg",
        {
            "F": [
                note(genanki.BASIC_MODEL, "fine", "ok", guid="n1"),
                note(genanki.BASIC_MODEL, "broken", "x", guid="n2"),
            ]
        },
    )
    rewrite(pkg, {}, collection=lambda db: db.execute("UPDATE notes SET flds='only one' WHERE guid='n2'"))
    with pytest.raises(UserError, match=r"note \d+ has 1 field, but its note type 'Basic \(genanki\)' has 2"):
        import_file(pkg, tmp_path / "decks")
    assert_nothing_written(tmp_path, tmp_path / "decks")


# --------------------------------------------------------------------------- the latest format: collection.anki21b


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _pb(*fields: tuple[int, int | str | bytes]) -> bytes:
    out = b""
    for number, value in fields:
        if isinstance(value, int):
            out += _varint(number << 3) + _varint(value)
        else:
            data = value.encode() if isinstance(value, str) else value
            out += _varint(number << 3 | 2) + _varint(len(data)) + data
    return out


SCHEMA_18 = """
CREATE TABLE col (id integer PRIMARY KEY, crt integer, mod integer, scm integer, ver integer, dty integer,
    usn integer, ls integer, conf text, models text, decks text, dconf text, tags text);
CREATE TABLE notes (id integer PRIMARY KEY, guid text, mid integer, mod integer, usn integer, tags text, flds text,
    sfld integer, csum integer, flags integer, data text);
CREATE TABLE cards (id integer PRIMARY KEY, nid integer, did integer, ord integer, mod integer, usn integer,
    type integer, queue integer, due integer, ivl integer, factor integer, reps integer, lapses integer,
    left integer, odue integer, odid integer, flags integer, data text);
CREATE TABLE revlog (id integer PRIMARY KEY, cid integer, usn integer, ease integer, ivl integer, lastIvl integer,
    factor integer, time integer, type integer);
CREATE TABLE notetypes (id integer PRIMARY KEY, name text, mtime_secs integer, usn integer, config blob);
CREATE TABLE fields (ntid integer, ord integer, name text, config blob, PRIMARY KEY (ntid, ord)) WITHOUT ROWID;
CREATE TABLE templates (ntid integer, ord integer, name text, mtime_secs integer, usn integer, config blob,
    PRIMARY KEY (ntid, ord)) WITHOUT ROWID;
CREATE TABLE decks (id integer PRIMARY KEY, name text, mtime_secs integer, usn integer, common blob, kind blob);
CREATE TABLE config (KEY text PRIMARY KEY, usn integer, mtime_secs integer, val blob) WITHOUT ROWID;
"""


def build_anki21b(path: Path, schema: str = SCHEMA_18, edit=None, media_size: int = 4) -> Path:
    """A package in Anki 2.1.50+'s default export format, made by hand: schema 18, zstd, protobuf configs."""
    db_path = path.with_suffix(".db")
    db = sqlite3.connect(db_path)
    db.executescript(schema)
    db.execute("INSERT INTO col VALUES (1,0,0,0,18,0,0,0,'','','','','')")
    db.execute("INSERT INTO notetypes VALUES (11, 'Basic', 0, 0, ?)", (_pb((3, ".card {}")),))
    db.execute("INSERT INTO notetypes VALUES (12, 'Lückentext', 0, 0, ?)", (_pb((1, 1), (3, ".card {}")),))
    for ntid, ord_, name in [(11, 0, "Front"), (11, 1, "Back"), (12, 0, "Text"), (12, 1, "Back Extra")]:
        db.execute("INSERT INTO fields VALUES (?,?,?,?)", (ntid, ord_, name, b""))
    db.execute("INSERT INTO templates VALUES (11,0,'Card 1',0,0,?)", (_pb((1, "{{Front}}"), (2, "{{Back}}")),))
    db.execute(
        "INSERT INTO templates VALUES (12,0,'Cloze',0,0,?)", (_pb((1, "{{cloze:Text}}"), (2, "{{cloze:Text}}")),)
    )
    db.execute("INSERT INTO decks VALUES (1, 'Default', 0, 0, x'', x'')")
    db.execute("INSERT INTO decks VALUES (77, 'Biology' || char(31) || 'Cells', 0, 0, x'', x'')")
    db.execute("INSERT INTO config VALUES ('schedVer', 0, 0, CAST('2' AS BLOB))")
    notes = [
        (1, "nb1", 11, 'mito <i>chondria</i>\x1fpowerhouse<img src="cell.png">', " bio "),
        (2, "nb2", 12, "{{c1::ATP}} is made by {{c2::mitochondria}}\x1f", ""),
    ]
    for nid, guid, mid, flds, tags in notes:
        db.execute("INSERT INTO notes VALUES (?,?,?,0,0,?,?,'',0,0,'')", (nid, guid, mid, tags, flds))
    for cid, nid, ord_ in [(101, 1, 0), (201, 2, 0), (202, 2, 1)]:
        db.execute("INSERT INTO cards VALUES (?,?,77,?,0,0,0,0,0,0,0,0,0,0,0,0,0,'')", (cid, nid, ord_))
    if edit is not None:
        edit(db)
    db.commit()
    db.close()
    collection = zstandard.ZstdCompressor().compress(db_path.read_bytes())
    db_path.unlink()
    media = zstandard.ZstdCompressor().compress(_pb((1, _pb((1, "cell.png"), (2, media_size)))))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("collection.anki21b", collection)
        z.writestr("collection.anki2", b"not read: Anki puts a stub here for older versions")
        z.writestr("media", media)
        z.writestr("0", zstandard.ZstdCompressor().compress(b"CELL"))
        z.writestr("meta", _pb((1, 3)))
    return path


def test_latest_format_anki21b_is_read_with_zstandard(tmp_path):
    pkg = build_anki21b(tmp_path / "latest.apkg")
    result = import_file(pkg, tmp_path / "decks")
    assert [d.path.name for d in result.plan.decks] == ["biology--cells.md"]
    deck = read_deck(tmp_path / "decks" / "biology--cells.md")
    assert deck.title == "Biology::Cells"
    basic, c1, c2 = deck.cards
    assert (basic.front, basic.back, basic.tags) == (
        "mito *chondria*",
        "powerhouse\\\n![cell.png](biology--cells.media/cell.png)",
        ("bio",),
    )
    assert (c1.kind, c1.cloze_index, c2.cloze_index) == (Kind.CLOZE, 1, 2)
    assert c1.front == "[...] is made by [...]"
    assert (tmp_path / "decks" / "biology--cells.media" / "cell.png").read_bytes() == b"CELL"


def test_anki21b_that_is_not_zstd_is_refused(tmp_path):
    pkg = build_anki21b(tmp_path / "latest.apkg")
    rewrite(pkg, {"collection.anki21b": b"plain bytes"})
    with pytest.raises(UserError, match="'collection.anki21b' is not zstd data"):
        import_file(pkg, tmp_path / "decks")
    assert_nothing_written(tmp_path, tmp_path / "decks")


# --------------------------------------------------------------------------- review history

DAY = 86_400_000
T0 = 1_700_000_000_123
NOW = datetime(2024, 1, 1, tzinfo=UTC)


def history_pkg(tmp_path: Path, sched: int = 2, extra=None) -> Path:
    """Three notes (basic, reversed, cloze with two deletions) and an Anki review log for them."""
    pkg = build(
        tmp_path / "hist.apkg",
        {
            "Hist": [
                note(genanki.BASIC_MODEL, "basic q", "basic a", guid="hb"),
                note(genanki.BASIC_AND_REVERSED_CARD_MODEL, "rev q", "rev a", guid="hr"),
                note(genanki.CLOZE_MODEL, "{{c1::one}} {{c2::two}}", "", guid="hc"),
            ]
        },
    )

    def edit(db):
        db.execute("UPDATE col SET conf=?", (json.dumps({"schedVer": sched}),))
        cid = {
            (guid, ord_): c
            for c, guid, ord_ in db.execute(
                "SELECT cards.id, notes.guid, cards.ord FROM cards JOIN notes ON nid=notes.id"
            )
        }
        rows = [  # (time, card, ease, ivl, type)
            (T0, ("hb", 0), 3, 0, 0),
            (T0 + 600_000, ("hb", 0), 3, 1, 0),
            (T0 + 2 * DAY, ("hb", 0), 1, 0, 1),
            (T0 + 2 * DAY + 600_000, ("hb", 0), 3, 1, 2),
            (T0 + 5 * DAY, ("hb", 0), 4, 9, 1),
            (T0 + 5 * DAY + 1, ("hb", 0), 0, 20, 4),  # a due date set by hand: not an answer
            (T0 + 1000, ("hr", 1), 2, 0, 0),
            (T0 + 3 * DAY, ("hr", 1), 3, 3, 1),
            (T0 + 2000, ("hc", 1), 4, 4, 0),
        ]
        for t, card, ease, ivl, kind in rows + (extra or []):
            db.execute("INSERT INTO revlog VALUES (?,?,-1,?,?,0,2500,?,?)", (t, cid[card], ease, ivl, 8000, kind))
        db.execute("UPDATE cards SET queue=-1 WHERE id=?", (cid[("hr", 1)],))

    return rewrite(pkg, {}, collection=edit)


def test_history_import_continues_fsrs_state_and_rebuild_reproduces_it(tmp_path, gistquiz_home):
    pkg = history_pkg(tmp_path)
    store = Store(gistquiz_home / "gq.sqlite3")
    scheduler = Scheduler()
    result = import_file(pkg, tmp_path / "decks", store=store, scheduler=scheduler, with_history=True)
    assert (result.history_cards, result.history_reviews) == (3, 8)
    log = store.reviews()
    assert {e.source for e in log} == {"import"}
    basic = [e for e in log if e.card_key == f"hist:{guid_to_id('hb')}"]
    assert [e.rating for e in basic] == [3, 3, 1, 3, 4]
    assert basic[0].reviewed_at.isoformat() == "2023-11-14T22:13:20.123000+00:00"
    assert basic[0].duration_ms == 8000
    keys = {e.card_key for e in log}
    assert keys == {f"hist:{guid_to_id('hb')}", f"hist:{guid_to_id('hr')}/rev", f"hist:{guid_to_id('hc')}/c2"}
    states = store.states()
    assert states[f"hist:{guid_to_id('hb')}"].state == State.REVIEW
    assert states[f"hist:{guid_to_id('hb')}"].lapses == 1
    assert states[f"hist:{guid_to_id('hr')}/rev"].suspended
    # The independent check: gistquiz's own replay of the stored log gives the stored states exactly.
    assert replay(store, scheduler) == {k: s for k, s in states.items()}
    assert rebuild(store, scheduler, dry_run=True).changed == []


def test_v1_scheduler_learning_buttons_are_again_good_easy(tmp_path, gistquiz_home):
    pkg = history_pkg(tmp_path, sched=1)
    store = Store(gistquiz_home / "gq.sqlite3")
    import_file(pkg, tmp_path / "decks", store=store, scheduler=Scheduler(), with_history=True)
    by_key = {}
    for e in store.reviews():
        by_key.setdefault(e.card_key.rpartition(":")[2], []).append(e.rating)
    # learning eases 2 and 3 were Good and Easy; review eases keep their meaning
    assert by_key[guid_to_id("hb")] == [Rating.EASY, Rating.EASY, Rating.AGAIN, Rating.EASY, Rating.EASY]
    assert by_key[guid_to_id("hr") + "/rev"] == [Rating.GOOD, Rating.GOOD]


def test_a_reset_in_anki_starts_the_history_over(tmp_path, gistquiz_home):
    pkg = history_pkg(tmp_path, extra=[(T0 + 6 * DAY, ("hb", 0), 0, 0, 4), (T0 + 7 * DAY, ("hb", 0), 3, 0, 0)])
    store = Store(gistquiz_home / "gq.sqlite3")
    import_file(pkg, tmp_path / "decks", store=store, scheduler=Scheduler(), with_history=True)
    basic = [e for e in store.reviews() if e.card_key == f"hist:{guid_to_id('hb')}"]
    assert [e.rating for e in basic] == [3]
    assert store.state(f"hist:{guid_to_id('hb')}").reps == 1


def test_history_is_imported_once_and_gistquiz_history_wins(tmp_path, gistquiz_home):
    pkg = history_pkg(tmp_path)
    store = Store(gistquiz_home / "gq.sqlite3")
    scheduler = Scheduler()
    key = f"hist:{guid_to_id('hc')}/c2"
    own = store.answer(key, "hist", Rating.GOOD, NOW, lambda s: scheduler.review(s, Rating.GOOD, NOW))
    result = import_file(pkg, tmp_path / "decks", store=store, scheduler=scheduler, with_history=True)
    assert (result.history_cards, result.history_kept) == (2, 1)
    assert [e.id for e in store.reviews() if e.card_key == key] == [own.id]
    again = import_file(pkg, tmp_path / "decks", store=store, scheduler=scheduler, with_history=True, force=True)
    assert (again.history_cards, again.history_kept) == (0, 3)
    assert store.review_count() == 7 + 1  # the other cards' 7 imported answers and the card's own one


def test_history_cli_then_rebuild_changes_nothing(tmp_path):
    pkg = history_pkg(tmp_path)
    env = dict(os.environ, GISTQUIZ_HOME=str(tmp_path / "home"))

    def gq(*args):
        return subprocess.run(
            [sys.executable, "-m", "gistquiz", *args], capture_output=True, text=True, env=env, cwd=ROOT
        )

    out = gq("import", str(pkg), "--with-history")
    assert out.returncode == 0, out.stderr
    assert "history: 8 answers of 3 cards imported" in out.stdout
    assert "history: skipped 1 log entry (manual changes, cards not imported)" in out.stdout
    check = gq("check", str(tmp_path / "home" / "decks"))
    assert check.returncode == 0 and "0 problems" in check.stdout
    rebuilt = gq("rebuild", "--dry-run")
    assert rebuilt.stdout.strip() == "replayed 8 reviews of 3 cards; would change 0"
    bad = tmp_path / "bad.apkg"
    shutil.copy(pkg, bad)
    rewrite(bad, {"../x": b""})
    out = gq("import", str(bad), "--force")
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("gistquiz: ")


# --------------------------------------------------------------------------- hostile packages (issue 22)


def gq_cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, GISTQUIZ_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "gistquiz", *args], capture_output=True, text=True, env=env, cwd=ROOT)


def assert_refused(out: subprocess.CompletedProcess, home: Path, message: str) -> None:
    """One line, exit 2, and nothing written: no deck, no database."""
    assert out.returncode == 2, out.stderr
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("gistquiz: "), out.stderr
    assert message in out.stderr
    written = [p for p in home.rglob("*") if p.is_file()] if home.exists() else []
    assert written == []


@pytest.mark.parametrize("revlog_id", [2**62, -(2**62)])
def test_revlog_id_that_is_not_a_time_is_one_line_and_nothing_is_written(tmp_path, revlog_id):
    pkg = history_pkg(tmp_path, extra=[(revlog_id, ("hb", 0), 3, 1, 1)])
    out = gq_cli(tmp_path / "home", "import", str(pkg), "--with-history")
    assert_refused(out, tmp_path / "home", f"entry id {revlog_id} is not a time")


def test_encrypted_zip_entry_is_one_line(tmp_path, basic_pkg):
    # zipfile cannot write an encrypted entry: set the flag in each central directory record instead.
    data = bytearray(basic_pkg.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    count, _, offset = struct.unpack("<HII", data[end + 10 : end + 20])
    for _ in range(count):
        assert data[offset : offset + 4] == b"PK\x01\x02"
        data[offset + 8] |= 0x1  # general purpose flag, bit 0: encrypted
        n, m, k = struct.unpack("<HHH", data[offset + 28 : offset + 34])
        offset += 46 + n + m + k
    basic_pkg.write_bytes(data)
    out = gq_cli(tmp_path / "home", "import", str(basic_pkg))
    assert_refused(out, tmp_path / "home", "'collection.anki2' is encrypted")


@pytest.mark.parametrize("deck_id", ["NULL", "'seventy-seven'"])
def test_anki21b_deck_id_null_or_text_is_one_line(tmp_path, deck_id):
    loose = SCHEMA_18.replace("decks (id integer PRIMARY KEY,", "decks (id,")

    def edit(db):
        db.execute(f"UPDATE decks SET id={deck_id} WHERE id=77")

    pkg = build_anki21b(tmp_path / "latest.apkg", schema=loose, edit=edit)
    out = gq_cli(tmp_path / "home", "import", str(pkg))
    assert_refused(out, tmp_path / "home", "is not a number")


def _media_pkg(tmp_path: Path, sizes: list[int]) -> Path:
    files = []
    tmp_path.mkdir()
    for i, size in enumerate(sizes):
        f = tmp_path / f"m{i}.bin"
        f.write_bytes(os.urandom(size))  # random bytes: no compression ratio to trip over
        files.append(f)
    fields = "".join(f"[sound:{f.name}]" for f in files)
    return build(tmp_path / "media.apkg", {"M": [note(genanki.BASIC_MODEL, "q", "a" + fields, guid="m")]}, files)


def test_media_over_the_limits_is_refused_naming_the_flag_that_raises_them(tmp_path, monkeypatch):
    from gistquiz.interop import apkg

    monkeypatch.setattr(apkg, "MEDIA_LIMIT_MIB", 2)
    monkeypatch.setattr(apkg, "MEDIA_FILE_LIMIT_MIB", 1)
    one_big = _media_pkg(tmp_path / "a", [3 * 2**19])  # 1.5 MiB: over the per-file limit
    with pytest.raises(UserError, match=r"'m0.bin' unpacks to 2 MiB, over the 1 MiB limit .* --max-media 2"):
        import_file(one_big, tmp_path / "decks")
    many = _media_pkg(tmp_path / "b", [2**20 - 10] * 3)  # each under the per-file limit, 3 MiB in all
    with pytest.raises(UserError, match=r"its media unpack to 3 MiB, over the 2 MiB limit; .* --max-media 3"):
        import_file(many, tmp_path / "decks")
    assert_nothing_written(tmp_path, tmp_path / "decks")
    result = import_file(many, tmp_path / "decks", media_limit_mib=3)
    assert result.media_files == 3


def test_media_bytes_must_match_the_size_the_package_declares(tmp_path):
    for declared, what in [(3, "larger than the package says"), (10, "shorter than the package says")]:
        pkg = build_anki21b(tmp_path / f"latest{declared}.apkg", media_size=declared)
        with pytest.raises(UserError, match=what):
            import_file(pkg, tmp_path / "decks")
        assert_nothing_written(tmp_path, tmp_path / "decks")


def test_free_disk_space_is_checked_before_writing(tmp_path, basic_pkg, monkeypatch):
    from gistquiz.interop import importer

    monkeypatch.setattr(importer.shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**9, 10**9, 2**20))
    with pytest.raises(UserError, match=r"not enough free disk space for this import \(1 MiB needed, 1 MiB free\)"):
        import_file(basic_pkg, tmp_path / "decks")
    assert_nothing_written(tmp_path, tmp_path / "decks")


def test_control_characters_in_fields_tags_and_deck_names_are_stripped(tmp_path):
    pkg = build(
        tmp_path / "ctl.apkg",
        {
            "Ev\x1bil": [
                note(genanki.BASIC_MODEL, "ring\x07 \x1b[31mred\x1b[0m", "nul\x00 back\x08space", tags=["t\x1b"])
            ]
        },
    )
    result = import_file(pkg, tmp_path / "decks")
    text = result.plan.decks[0].path.read_text()
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
    (card,) = read_deck(result.plan.decks[0].path).cards
    assert (card.front, card.back, card.tags) == ("ring [31mred[0m", "nul backspace", ("t",))
    assert read_deck(result.plan.decks[0].path).title == "Evil"


def test_importing_notes_with_code_blocks_grows_linearly(tmp_path):
    from gistquiz.interop.anki_model import NoteType
    from gistquiz.interop.convert import plan

    basic = NoteType("Basic", ("Front", "Back"), templates=(("{{Front}}", "{{Back}}"),))
    code = "<pre><code class='language-py'>for i in range(3):\n    print(i)\n</code></pre>"

    def notes(n: int) -> list[SourceNote]:
        return [
            SourceNote(f"g{i}", basic, (f"snippet {i}?", f"{code}<br>then <b>{i}</b>"), (), "Code") for i in range(n)
        ]

    # The conversion is timed by the HTML tests; here the deck the import writes and reads back (the part that
    # grew quadratically with the number of code blocks) is timed alone, so its growth is not hidden.
    path = {"Code": tmp_path / "code.md"}
    small, large = (plan(notes(n), path, {}, "x.apkg").decks[0].text for n in (1000, 4000))
    t_small, t_large = best_of_interleaved(5, lambda text: parse_deck(text, "code.md"), small, large)
    assert t_large / t_small < 8, (t_small, t_large)
