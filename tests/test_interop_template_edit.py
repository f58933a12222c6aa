"""An edit of a card made from a custom Anki note type, written back into the fields it changed.

The reference is the edit itself: the card is rendered from the note with one field changed (as an edit in
gistquiz would change it), and the solver must find that field, its new text, and leave every other field
exactly as it came.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gistquiz.deck import parse_deck
from gistquiz.deck_writer import Note, render
from gistquiz.interop import originals
from gistquiz.interop.anki_model import NoteType, SourceNote
from gistquiz.interop.convert import field_converter, from_template
from gistquiz.interop.html_md import html_to_markdown, missing_media
from gistquiz.interop.template_edit import edited_fields

VOCABULARY = NoteType(
    "Vocabulary",
    ("Term", "Meaning", "Example", "Hint", "Source"),
    templates=(
        (
            "{{Term}}{{hint:Hint}}",
            "{{FrontSide}}<hr id=answer>{{Meaning}}{{#Example}}<br><i>e.g.</i> {{Example}}{{/Example}}"
            "{{^Example}}<br>(no example){{/Example}}",
        ),
    ),
    id=1,
)
CONV = field_converter(True, braces=True, media=missing_media)


def card_of(fields: tuple[str, ...]):
    note, _ = from_template(SourceNote(None, VOCABULARY, fields, (), "", ords=frozenset({0})), CONV)
    (card,) = parse_deck(render("V", "", [Note(note.front, note.back, note.type)]), "v.md").cards
    return card


_WORD = st.sampled_from(["logit", "score", "raw", "z", "=", "Wx", "+", "b", "<b>bold</b>", "&lt;sub&gt;", "a,", "x2"])
_TEXT = st.lists(_WORD, min_size=1, max_size=5).map(" ".join)


@settings(deadline=None, max_examples=60)
@given(
    st.tuples(_TEXT, _TEXT, _TEXT | st.just(""), _TEXT | st.just(""), _TEXT),
    st.sampled_from([0, 1, 2, 3]),
    _TEXT,
)
def test_an_edit_of_one_shown_field_is_written_into_that_field_only(fields, which, new):
    before = card_of(fields)
    edited = tuple(new if i == which else f for i, f in enumerate(fields))
    after = card_of(edited)
    if originals.digest(after) == originals.digest(before):
        return  # the edit changed nothing the card shows
    got = edited_fields(VOCABULARY, fields, originals.digest(before), after, missing_media)
    assert got is not None
    assert [g for i, g in enumerate(got) if i != which] == [f for i, f in enumerate(fields) if i != which]
    assert html_to_markdown(got[which]) == html_to_markdown(new)
    assert originals.digest(card_of(got)) == originals.digest(after)


def test_an_emptied_example_is_an_empty_field_and_a_rewritten_label_is_not_placed():
    fields = ("logit", "a raw score", "z = Wx + b", "", "cs231n")
    before = card_of(fields)
    emptied = card_of(("logit", "a raw score", "", "", "cs231n"))  # the back now says "(no example)"
    assert edited_fields(VOCABULARY, fields, originals.digest(before), emptied, missing_media) == (
        "logit",
        "a raw score",
        "",
        "",
        "cs231n",
    )
    relabelled = parse_deck(render("V", "", [Note("logit", "a raw score\\\n*for example* z = Wx + b")]), "v.md").cards[
        0
    ]
    assert edited_fields(VOCABULARY, fields, originals.digest(before), relabelled, missing_media) is None
