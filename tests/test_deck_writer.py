"""Writing cards as a deck file and reading them back gives the same cards."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gistquiz.deck import Kind, parse_deck
from gistquiz.deck_writer import Note, render

text = st.text(alphabet=st.sampled_from(list("abc XY?#-[]{}:\n*`")), min_size=1, max_size=40)


def read(deck_text: str):
    deck = parse_deck(deck_text, "out.md", known_demos={"bleu"})
    assert deck.errors == [], (deck.errors, deck_text)
    return deck


def test_every_kind_round_trips():
    notes = [
        Note("What is BLEU?", "A translation metric.", id="bleu-what", tags=("bleu", "nlp"), demo="bleu"),
        Note("Learning rate", "The step size of gradient descent.", type="reversed"),
        Note("Metric for MT?", "BLEU | BLEU score\nit counts n-grams", type="typed"),
        Note("Parts", "The {{c1::conv}} and {{c2::pool::downsampling}} layers."),
        Note("Which has no weights?", "Pooling picks values.", options=[("Dense", False), ("Max-pool", True)]),
        Note("What does this print?\n\n```python\nprint(1)\n```", "`1`", comment="source: notes.txt line 3"),
    ]
    deck = read(render("My deck", "Made by a test.", notes))
    assert deck.title == "My deck" and deck.description == "Made by a test."
    kinds = [c.kind for c in deck.cards]
    assert kinds == [
        Kind.BASIC,
        Kind.REVERSED,
        Kind.REVERSED,
        Kind.TYPED,
        Kind.CLOZE,
        Kind.CLOZE,
        Kind.CHOICE,
        Kind.BASIC,
    ]
    assert (
        deck.cards[0].key == "out:bleu-what" and deck.cards[0].tags == ("bleu", "nlp") and deck.cards[0].demo == "bleu"
    )
    assert deck.cards[3].answers == ("BLEU", "BLEU score")
    assert [o.correct for o in deck.cards[6].options] == [False, True]
    assert deck.cards[7].front.startswith("What does this print?\n") and deck.cards[7].back == "`1`"


@settings(max_examples=300, deadline=None)
@given(text.filter(lambda s: s.strip() and "\n" not in s.strip()), text.filter(str.strip))
def test_awkward_text_stays_one_basic_card(front, back):
    deck = read(render("T", "", [Note(front, back)]))
    assert len(deck.cards) == 1
    card = deck.cards[0]
    assert card.kind is Kind.BASIC
    assert card.front == " ".join(front.split())


def test_code_blocks_are_written_as_they_are():
    code = "```python\n# a comment, not a heading\n## nor this\n?\nx = 1\n```"
    deck = read(render("T", "", [Note("Read this code", f"It sets x.\n\n{code}")]))
    (card,) = deck.cards
    assert code in card.back and "\\#" not in card.back


def test_a_multi_line_front_round_trips():
    front = "What does this print?\n\n```python\nprint(1)\n```"
    deck = read(render("T", "", [Note(front, "`1`")]))
    assert deck.cards[0].front == front
