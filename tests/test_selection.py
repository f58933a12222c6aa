"""A selection says "all decks" outright; its cards are read from the library when the view opens."""

from __future__ import annotations

from gistquiz.deck import parse_deck
from gistquiz.library import Library
from gistquiz.selection import Selection

ONE = "# One\n\n## Q1\nid: q1\n\nA1\n"
TWO = "# Two\n\n## Q2\nid: q2\n\nA2\n"


def test_all_decks_reads_the_library_as_it_is_when_resolved():
    library = Library([parse_deck(ONE, "one.md")], {})
    every = Selection.every_deck()
    assert every.all_decks and every.cards == () and not every.empty
    assert [c.key for c in every.resolve(library)] == ["one:q1"]
    library.decks.append(parse_deck(TWO, "two.md"))  # a reload found another deck
    assert [c.key for c in every.resolve(library)] == ["one:q1", "two:q2"]


def test_a_deck_is_its_own_cards_whatever_the_library_holds():
    one, two = parse_deck(ONE, "one.md"), parse_deck(TWO, "two.md")
    picked = Selection(one.title, tuple(one.cards))
    assert not picked.all_decks and not picked.empty
    assert picked.resolve(Library([one, two], {})) == one.cards
    assert Selection("Broken", ()).empty  # a deck whose every note has a problem: nothing to review
