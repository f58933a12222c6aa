"""What the home screen and ``gistquiz decks`` show: per deck, how many cards are new, learning and due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from gistquiz.deck import Deck

if TYPE_CHECKING:
    from gistquiz.scheduler import Scheduler
    from gistquiz.store import Store


@dataclass(frozen=True)
class DeckCounts:
    deck: Deck
    new: int
    """Never-reviewed cards (all of them, not today's share)."""
    learning: int
    """Learning and relearning cards due today."""
    due: int
    """Review cards due today."""
    total: int
    today_new: int
    """New cards today's limit still lets in."""


@dataclass(frozen=True)
class Today:
    reviews: int
    seconds: float


def deck_counts(decks: list[Deck], store: Store, scheduler: Scheduler, now: datetime) -> list[DeckCounts]:
    from gistquiz.session import build_queue

    states = store.states()
    key_sets = [{c.key for c in deck.cards} for deck in decks]
    done = store.today_counts_each(scheduler.day_start(now), key_sets)  # one query for all decks
    out = []
    for deck, keys, (new_done, review_done) in zip(decks, key_sets, done, strict=True):
        q = build_queue(deck.cards, states, now, scheduler, new_done, review_done)
        seen = sum(1 for k in keys if k in states and states[k].reps > 0)
        out.append(DeckCounts(deck, len(keys) - seen, len(q.learning), len(q.review), len(deck.cards), len(q.new)))
    return out


def today(store: Store, scheduler: Scheduler, now: datetime) -> Today:
    n, ms = store.answer_totals(scheduler.day_start(now))
    return Today(n, ms / 1000)
