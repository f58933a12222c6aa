"""Replay the review log through the scheduler: ``gistquiz rebuild``.

After a change of desired retention or steps, or an upgrade of the FSRS
library, every card's state is recomputed from its answers. With nothing
changed, the replay reproduces the stored state exactly (fuzz is seeded by the
review, not drawn at random).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from gistquiz.scheduler import CardState, Rating, Scheduler
from gistquiz.store import Store


@dataclass(frozen=True)
class RebuildResult:
    cards: int
    reviews: int
    changed: list[str]


def replay(store: Store, scheduler: Scheduler) -> dict[str, CardState]:
    """Every reviewed card's state as the log and the scheduler make it, by current key."""
    links = store.links()
    by_card: dict[str, list] = defaultdict(list)
    for entry in store.reviews():
        by_card[links.get(entry.card_key, entry.card_key)].append(entry)
    current = store.states()
    states = {}
    for key, entries in by_card.items():
        state = CardState(key, entries[-1].deck)
        for e in entries:
            state = scheduler.review(state, Rating(e.rating), e.reviewed_at)
        now = current.get(key)
        if now is not None:  # suspend and bury are not in the log: keep them
            caused_by_leech = state.leech and not now.leech
            state = replace(state, suspended=now.suspended or caused_by_leech, buried_until=now.buried_until)
        states[key] = state
    return states


def rebuild(store: Store, scheduler: Scheduler, dry_run: bool = False) -> RebuildResult:
    states = replay(store, scheduler)
    current = store.states()
    changed = sorted(k for k, s in states.items() if current.get(k) != s)
    if not dry_run and changed:
        store.replace_states((states[k], None) for k in changed)
    return RebuildResult(len(states), sum(s.reps for s in states.values()), changed)
