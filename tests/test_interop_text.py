"""Anki's plain-text format: reading exports into deck files, writing them back, and every malformed header or row."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gistquiz.deck import Kind, read_deck
from gistquiz.interop.anki_export import write_tsv
from gistquiz.interop.anki_model import guid_to_id
from gistquiz.interop.anki_text import TextFormatError, TextRow, read_text, write_text
from gistquiz.interop.importer import import_file

ANKI_EXPORT = (
    "#separator:tab\n"
    "#html:true\n"
    "#guid column:1\n"
    "#notetype column:2\n"
    "#deck column:3\n"
    "#tags column:6\n"
    "a1B2c3\tBasic\tSpanish::Verbs\t<b>hablar</b>\tto speak<br>(regular)\tverbs ar-verbs\n"
    '"q""uote"\tBasic (and reversed card)\tSpanish\tel perro\tthe dog\tnouns\n'
    '"#k1"\tCloze\tSpanish\t"El {{c1::perro}}, ladra;\tmucho"\t<i>Extra</i>\t\n'
    "x9\tBasic (type in the answer)\tSpanish\t¿Cómo se dice <i>cat</i>?\tgato\t\n"
    "z5\tBasic (optional reversed card)\tSpanish\tla casa\tthe house\t\n"
)


def write(tmp_path: Path, text: str, name: str = "export.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def cards_by_id(path: Path) -> dict[str, list]:
    deck = read_deck(path)
    assert deck.errors == []
    out: dict[str, list] = {}
    for c in deck.cards:
        out.setdefault(c.note_id, []).append(c)
    return out


def test_anki_export_becomes_one_deck_file_per_deck(tmp_path):
    src = write(tmp_path, ANKI_EXPORT)
    result = import_file(src, tmp_path / "decks")
    paths = sorted(d.path.name for d in result.plan.decks)
    assert paths == ["spanish--verbs.md", "spanish.md"]
    verbs = cards_by_id(tmp_path / "decks" / "spanish--verbs.md")
    (hablar,) = verbs[guid_to_id("a1B2c3")]
    assert (hablar.front, hablar.back, hablar.kind, hablar.tags) == (
        "**hablar**",
        "to speak\\\n(regular)",
        Kind.BASIC,
        ("verbs", "ar-verbs"),
    )
    assert read_deck(tmp_path / "decks" / "spanish--verbs.md").title == "Spanish::Verbs"


def test_note_types_map_to_card_kinds(tmp_path):
    import_file(write(tmp_path, ANKI_EXPORT), tmp_path / "decks")
    notes = cards_by_id(tmp_path / "decks" / "spanish.md")
    rev = notes[guid_to_id('q"uote')]
    assert [c.kind for c in rev] == [Kind.REVERSED, Kind.REVERSED]
    assert [c.key for c in rev] == ["spanish:anki-q_22uote", "spanish:anki-q_22uote/rev"]
    (cloze,) = notes[guid_to_id("#k1")]
    assert cloze.kind is Kind.CLOZE
    assert cloze.cloze_text == "El {{c1::perro}}, ladra; mucho\n\n---\n\n*Extra*"
    assert cloze.front == "El [...], ladra; mucho"
    (typed,) = notes[guid_to_id("x9")]
    assert (typed.kind, typed.front, typed.answers) == (Kind.TYPED, "¿Cómo se dice *cat*?", ("gato",))
    # "Basic (optional reversed card)" with an empty "Add Reverse" field: only the first card.
    (house,) = notes[guid_to_id("z5")]
    assert house.kind is Kind.BASIC


@pytest.mark.parametrize(
    ("header", "sep"),
    [("#separator:comma\n", ","), ("#separator:Semicolon\n", ";"), ("#separator:pipe\n", "|"), ("", "\t")],
)
def test_separators_and_quoted_fields_with_separators_and_newlines(tmp_path, header, sep):
    text = header + f'front one{sep}"back, with; a | and a\nnew line"\nfront two{sep}plain\n'
    src = write(tmp_path, text, "words.csv")
    import_file(src, tmp_path / "decks")
    deck = read_deck(tmp_path / "decks" / "words.md")
    assert [(c.front, c.back) for c in deck.cards] == [
        ("front one", "back, with; a | and a\\\nnew line"),
        ("front two", "plain"),
    ]


def test_without_a_separator_header_the_first_row_decides(tmp_path):
    src = write(tmp_path, "a;b\nc;d\n", "semi.csv")
    import_file(src, tmp_path / "decks")
    assert [(c.front, c.back) for c in read_deck(tmp_path / "decks" / "semi.md").cards] == [("a", "b"), ("c", "d")]


def test_plain_text_fields_are_not_read_as_html(tmp_path):
    src = write(tmp_path, "#html:false\n#separator:tab\nis 1 <b> 2?\tno\\\n", "plain.txt")
    import_file(src, tmp_path / "decks")
    (card,) = read_deck(tmp_path / "decks" / "plain.md").cards
    assert (card.front, card.back) == ("is 1 <b> 2?", "no\\")


def test_header_deck_notetype_and_tags_apply_to_every_row(tmp_path):
    text = "#separator:tab\n#deck:Bio::Cells\n#notetype:Basic (and reversed card)\n#tags:bio cell\nATP\tenergy\n"
    import_file(write(tmp_path, text), tmp_path / "decks")
    (card, rev) = read_deck(tmp_path / "decks" / "bio--cells.md").cards
    assert (card.kind, card.tags, rev.front) == (Kind.REVERSED, ("bio", "cell"), "energy")


def test_rows_without_guid_get_ids_from_their_first_field_and_repeats_are_skipped(tmp_path):
    src = write(tmp_path, "#separator:tab\nsame\tone\nsame\ttwo\nother\tthree\n", "g.txt")
    first = import_file(src, tmp_path / "decks")
    assert any("repeated note" in m and "line 3" in m for m in first.messages)
    ids = [c.note_id for c in read_deck(tmp_path / "decks" / "g.md").cards]
    again = import_file(src, tmp_path / "decks", force=True)
    assert [c.note_id for c in read_deck(again.plan.decks[0].path).cards] == ids
    assert all(i.startswith("note-") for i in ids)


def test_notes_gistquiz_cannot_read_are_left_out_and_reported(tmp_path):
    text = (
        "#separator:tab\n#html:true\n"
        "{{c1::one}} first\t\n"
        "{{c1::a {{c2::nested}} b}}\t\n"  # Anki 2.1.56+ nests clozes; gistquiz does not
        "only a comment?\t&lt;!-- hidden --&gt;\n"  # reads back as an empty answer
        "{{c1::three}}\t\n"
    )
    result = import_file(write(tmp_path, text, "n.txt"), tmp_path / "decks")
    assert result.messages == [
        "skipped 1 note: line 4 (nested clozes are not supported (or '{{c1::a' at column 1 is not closed: "
        "end it with '}}'))",
        "skipped 1 note gistquiz cannot read: 'only a comment?' "
        "(card 'only a comment?' has no answer: write it under the heading)",
    ]
    assert [c.cloze_text for c in read_deck(tmp_path / "decks" / "n.md").cards] == [
        "{{c1::one}} first",
        "{{c1::three}}",
    ]


def test_unknown_note_type_is_basic_from_its_first_two_fields_and_said_so(tmp_path):
    text = "#separator:tab\n#notetype column:1\nVocab (3 cards)\tword\tmeaning\texample\n"
    result = import_file(write(tmp_path, text, "v.txt"), tmp_path / "decks")
    assert result.messages == [
        "1 note of note type 'Vocab (3 cards)' imported as basic cards from their first two fields"
    ]
    (card,) = read_deck(tmp_path / "decks" / "v.md").cards
    assert (card.front, card.back) == ("word", "meaning")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("#separator:wave\na\tb\n", "export.txt:1: unknown separator 'wave'"),
        ("#html:maybe\na\tb\n", "export.txt:1: #html must be true or false"),
        ("#tags column:zero\na\tb\n", "export.txt:1: #tags column must be a column number"),
        ("#separator:tab\n#tags column:3\na\tb\tt\nc\td\n", "export.txt:4: this row has 2 columns"),
        ("#separator:tab\nonly a front\n", "export.txt:2: a 'Basic' note needs 2 fields, this row has 1"),
        ("#separator:tab\n\n", "export.txt:2: no notes in the file"),
    ],
)
def test_malformed_text_exports_give_one_line_with_the_line_number(tmp_path, text, message):
    src = write(tmp_path, text)
    with pytest.raises(TextFormatError) as err:
        import_file(src, tmp_path / "decks")
    assert str(err.value).startswith(f"{tmp_path}/{message}")
    assert "\n" not in str(err.value)
    assert not (tmp_path / "decks").exists()


def test_non_utf8_text_is_refused_with_its_line(tmp_path):
    src = tmp_path / "latin1.txt"
    src.write_bytes("a\tb\ncaf\xe9\tx\n".encode("latin-1"))
    with pytest.raises(TextFormatError, match=r"latin1.txt:2: not UTF-8"):
        import_file(src, tmp_path / "decks")


def test_history_of_a_text_export_imports_the_notes_and_says_there_is_none(tmp_path):
    plain = import_file(write(tmp_path, ANKI_EXPORT), tmp_path / "plain")
    result = import_file(write(tmp_path, ANKI_EXPORT), tmp_path / "decks", with_history=True)
    assert [d.cards for d in result.plan.decks] == [d.cards for d in plain.plan.decks]
    assert result.history_cards == 0
    assert any(m.startswith("a text export holds no review history: the notes are imported") for m in result.messages)


def test_anki_text_export_to_deck_to_text_export_is_stable(tmp_path):
    src = write(tmp_path, ANKI_EXPORT)
    first = import_file(src, tmp_path / "d1")
    decks1 = [read_deck(d.path) for d in first.plan.decks]
    t1 = io.StringIO()
    write_tsv(decks1, t1)
    again = write(tmp_path, t1.getvalue())
    second = import_file(again, tmp_path / "d2")
    decks2 = [read_deck(d.path) for d in second.plan.decks]
    t2 = io.StringIO()
    write_tsv(decks2, t2)
    assert t2.getvalue() == t1.getvalue()
    for a, b in zip(decks1, decks2, strict=True):
        assert [(c.key, c.front, c.back, c.kind, c.tags) for c in a.cards] == [
            (c.key, c.front, c.back, c.kind, c.tags) for c in b.cards
        ]


_FIELD = st.text(alphabet=st.characters(blacklist_characters="\r\x00", blacklist_categories=("Cs",)), max_size=12)
_ROW = st.builds(
    TextRow,
    guid=st.text(alphabet='ab#"\t;x9', min_size=1, max_size=6).filter(lambda g: g.strip() == g),
    notetype=st.sampled_from(["Basic", "Cloze", "My type"]),
    deck=st.sampled_from(["Default", "A::B", "Ünï"]),
    fields=st.lists(_FIELD, min_size=2, max_size=4).map(tuple),
    tags=st.lists(st.text(alphabet="abc:_-é", min_size=1, max_size=5), max_size=3).map(tuple),
)


@settings(deadline=None, max_examples=150)
@given(st.lists(_ROW, min_size=1, max_size=5))
def test_written_text_reads_back_field_for_field(rows):
    out = io.StringIO()
    write_text(rows, out)
    notes = read_text(out.getvalue().encode(), "t.txt", "Default")
    width = max(len(r.fields) for r in rows)
    assert [(n.guid, n.notetype.name, n.deck, n.fields, n.tags) for n in notes] == [
        (r.guid, r.notetype, r.deck, r.fields + ("",) * (width - len(r.fields)), r.tags) for r in rows
    ]
