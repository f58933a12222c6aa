"""What the home screen and ``gistquiz decks`` show: per deck, how many cards are new, learning and due."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from gistquiz.deck import Deck, Kind

if TYPE_CHECKING:
    from gistquiz.scheduler import Scheduler
    from gistquiz.store import Store


class DeckCounts(NamedTuple):
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


class Today(NamedTuple):
    reviews: int
    seconds: float


def deck_counts(decks: list[Deck], store: Store, scheduler: Scheduler, now: datetime) -> list[DeckCounts]:
    from gistquiz.session import build_queue

    # The queue's part of the day's states (not every card's whole state) and the keys of the cards answered
    # at least once: the same counts, without a CardState per card of the collection.
    start = scheduler.day_start(now)
    states = store.queue_states((start, start + timedelta(days=1)))
    reviewed = store.reviewed_keys()
    key_sets = [{c.key for c in deck.cards} for deck in decks]
    exercise_sets = [{c.key for c in deck.cards if c.kind is Kind.EXERCISE} for deck in decks]
    # One query for all decks: each deck's other cards, then its exercises (a new-card limit of their own).
    done = store.today_counts_each(
        scheduler.day_start(now), [k - e for k, e in zip(key_sets, exercise_sets, strict=True)] + exercise_sets
    )
    out = []
    for i, (deck, keys) in enumerate(zip(decks, key_sets, strict=True)):
        (new_done, review_done), exercise_new_done = done[i], done[len(decks) + i][0]
        q = build_queue(deck.cards, states, now, scheduler, new_done, review_done, exercise_new_done)
        seen = len(keys & reviewed)
        out.append(DeckCounts(deck, len(keys) - seen, len(q.learning), len(q.review), len(deck.cards), len(q.new)))
    return out


def today(store: Store, scheduler: Scheduler, now: datetime) -> Today:
    n, ms = store.answer_totals(scheduler.day_start(now))
    return Today(n, ms / 1000)
