"""Finding cards: every word of a query in a card's text, every ``tag:NAME`` among its tags, and every
``is:STATE`` in its state (``is:new``, ``is:learning``, ``is:review``, ``is:due``, ``is:suspended``,
``is:buried``, ``is:leech``, as in Anki's search).

A word matches any part of the card's normalised text (front, back and cloze text), so ``conv``
finds "convolution"; a tag matches a whole tag, ignoring case. An empty query finds every card.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from gistquiz.deck import Card, normalize
from gistquiz.status import ALIASES, FILTERS, Status


@dataclass(frozen=True)
class Query:
    words: tuple[str, ...]
    """Normalised words, each to be found in the card's text."""
    tags: tuple[str, ...]
    """Lower-case tag names, each to be among the card's tags."""
    states: tuple[str, ...] = ()
    """``is:`` filters (names from :data:`gistquiz.status.FILTERS`), each to hold for the card."""
    unknown: tuple[str, ...] = ()
    """``is:`` tokens naming no state: the search says so rather than finding nothing."""

    @property
    def problem(self) -> str | None:
        """One line naming the unknown ``is:`` filters and the known ones, if any was unknown."""
        if not self.unknown:
            return None
        return f"unknown {', '.join(self.unknown)} (is: {', '.join(FILTERS)})"


def parse(query: str) -> Query:
    """``tag:NAME`` tokens become tags and ``is:STATE`` states (a bare ``tag:`` or ``is:`` is a word); the
    rest, normalised, words."""
    words: list[str] = []
    tags: list[str] = []
    states: list[str] = []
    unknown: list[str] = []
    for token in query.split():
        low = token.lower()
        if low.startswith("tag:") and len(token) > 4:
            tags.append(low[4:])
        elif low.startswith("is:") and len(token) > 3:
            name = ALIASES.get(low[3:], low[3:])
            (states if name in FILTERS else unknown).append(name if name in FILTERS else token)
        else:
            words += normalize(token).split()
    return Query(tuple(words), tuple(tags), tuple(states), tuple(unknown))


def index(cards: Iterable[Card]) -> list[tuple[Card, str]]:
    """Each card with its searchable text, normalised once rather than on every keypress."""
    return [(c, normalize(f"{c.front} {c.back} {c.cloze_text}")) for c in cards]


def search(
    indexed: list[tuple[Card, str]], query: str | Query, status_of: Callable[[Card], Status] | None = None
) -> list[Card]:
    """The cards, in index order, whose text holds every word of ``query``, that carry every tag, and whose
    status (from ``status_of``; without it, ``is:`` filters find nothing) passes every ``is:`` filter."""
    q = parse(query) if isinstance(query, str) else query
    out = []
    for card, text in indexed:
        if not (all(w in text for w in q.words) and all(t in (x.lower() for x in card.tags) for t in q.tags)):
            continue
        if q.states and (status_of is None or not all(status_of(card).matches(n) for n in q.states)):
            continue
        out.append(card)
    return out
