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
    day_start = scheduler.day_start(now)
    out = []
    for deck in decks:
        keys = {c.key for c in deck.cards}
        new_done, review_done = store.today_counts(day_start, keys) if keys else (0, 0)
        q = build_queue(deck.cards, states, now, scheduler, new_done, review_done)
        seen = sum(1 for k in keys if k in states and states[k].reps > 0)
        out.append(DeckCounts(deck, len(keys) - seen, len(q.learning), len(q.review), len(deck.cards), len(q.new)))
    return out


def today(store: Store, scheduler: Scheduler, now: datetime) -> Today:
    start = scheduler.day_start(now).isoformat()
    n, ms = store.db.execute(
        "SELECT COUNT(*), COALESCE(SUM(duration_ms), 0) FROM reviews r WHERE reviewed_at >= ? AND rating > 0"
        " AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes = r.id)",
        (start,),
    ).fetchone()
    return Today(n, ms / 1000)
