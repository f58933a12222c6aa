"""Finding cards: every word of a query in a card's text, and every ``tag:NAME`` among its tags.

A word matches any part of the card's normalised text (front, back and cloze text), so ``conv``
finds "convolution"; a tag matches a whole tag, ignoring case. An empty query finds every card.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gistquiz.deck import Card, normalize


@dataclass(frozen=True)
class Query:
    words: tuple[str, ...]
    """Normalised words, each to be found in the card's text."""
    tags: tuple[str, ...]
    """Lower-case tag names, each to be among the card's tags."""


def parse(query: str) -> Query:
    """``tag:NAME`` tokens become tags (a bare ``tag:`` is a word); the rest, normalised, words."""
    words: list[str] = []
    tags: list[str] = []
    for token in query.split():
        if token.lower().startswith("tag:") and len(token) > 4:
            tags.append(token[4:].lower())
        else:
            words += normalize(token).split()
    return Query(tuple(words), tuple(tags))


def index(cards: Iterable[Card]) -> list[tuple[Card, str]]:
    """Each card with its searchable text, normalised once rather than on every keypress."""
    return [(c, normalize(f"{c.front} {c.back} {c.cloze_text}")) for c in cards]


def search(indexed: list[tuple[Card, str]], query: str) -> list[Card]:
    """The cards, in index order, whose text holds every word of ``query`` and that carry every tag."""
    q = parse(query)
    out = []
    for card, text in indexed:
        if all(w in text for w in q.words) and all(t in (x.lower() for x in card.tags) for t in q.tags):
            out.append(card)
    return out
