"""Replay the review log through the scheduler: ``gistquiz rebuild``.

After a change of desired retention or steps, or an upgrade of the FSRS
library, every card's state is recomputed from its log: its answers, suspends and burys. With nothing
changed, the replay reproduces the stored state exactly (fuzz is seeded by the
review, not drawn at random).

Each answer is replayed under the FSRS parameters in force when it was given
(:mod:`gistquiz.fsrs_params`), and where the replay crosses a parameter event it
does what applying that event did (:func:`apply_event`), so a rebuild after
``gistquiz optimize`` reproduces the states that applying wrote.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from gistquiz import fsrs_params
from gistquiz.fsrs_params import ParameterEvent, Timeline
from gistquiz.scheduler import CardState, Rating, Scheduler
from gistquiz.store import ReviewEntry, Store, flagged


@dataclass(frozen=True)
class RebuildResult:
    cards: int
    reviews: int
    changed: list[str]


class SchedulerAt:
    """The scheduler under the parameters in force at a moment, one per distinct set (they are cached)."""

    def __init__(self, scheduler: Scheduler, timeline: Timeline):
        self.scheduler, self.timeline = scheduler, timeline
        self._made: dict[tuple, Scheduler] = {}

    def __call__(self, t: datetime | None) -> Scheduler:
        if not self.timeline.events:
            return self.scheduler
        params = self.timeline.at(t)
        key = tuple(sorted(params.items(), key=lambda kv: (kv[0] is not None, kv[0] or "")))
        if key not in self._made:
            self._made[key] = self.scheduler.with_parameters(params)
        return self._made[key]


def replay_answers(state: CardState, entries: Sequence[ReviewEntry], scheduler: Scheduler) -> CardState:
    """``state`` after answering ``entries`` in order under one scheduler."""
    for e in entries:
        state = scheduler.review(state, Rating(e.rating), e.reviewed_at)
    return state


def apply_event(
    state: CardState, history: Sequence[ReviewEntry], mode: str, before: Scheduler, after: Scheduler
) -> CardState:
    """A card's state once a parameter event is applied in ``mode``: its history replayed under the new parameters.

    ``future`` keeps the due date (only the memory state changes, Anki's default); ``reschedule`` takes
    the replay's due date too. A card whose parameters the event does not change is left as it is.
    """
    if not history or before.parameters_for(state.deck) == after.parameters_for(state.deck):
        return state
    redone = replay_answers(CardState(state.key, state.deck), history, after)
    redone = redone._replace(suspended=state.suspended, buried_until=state.buried_until, leech=state.leech)
    return redone if mode == "reschedule" else redone._replace(due=state.due)


def replay_card(key: str, entries: Sequence[ReviewEntry], at: SchedulerAt) -> CardState:
    """One card's state from its log: each answer under the parameters in force then, events applied as
    crossed, and its suspends, unsuspends, burys and unburys in their place among the answers (an answer
    clears a bury; a lapse after an unsuspend can make the card a leech again)."""
    state = CardState(key, entries[-1].deck)
    answers: list[ReviewEntry] = []
    previous: datetime | None = None
    for e in entries:
        if e.action != "answer":
            if e.after_json:  # a flag row ``repair`` kept without its states changes nothing it cannot know
                state = flagged(state, e.action, e.after.buried_until)
            continue
        for ev in at.timeline.events_between(previous, e.reviewed_at):
            state = apply_event(state, answers, ev.mode, at(_just_before(ev)), at(ev.applied_at))
        state = at(e.reviewed_at).review(state, Rating(e.rating), e.reviewed_at)
        answers.append(e)
        previous = e.reviewed_at
    for ev in at.timeline.events_between(previous, None):
        state = apply_event(state, answers, ev.mode, at(_just_before(ev)), at(ev.applied_at))
    return state


def _just_before(ev: ParameterEvent) -> datetime:
    return ev.applied_at - timedelta(microseconds=1)


def history_by_card(store: Store, with_flags: bool = False) -> dict[str, list[ReviewEntry]]:
    """Every answer that counts (and with ``with_flags`` every suspend, unsuspend, bury and unbury that
    stands), by the card's current key (re-linked history included), in log order."""
    links = store.links()
    by_card: dict[str, list[ReviewEntry]] = defaultdict(list)
    for entry in store.reviews(with_flags=with_flags):
        by_card[links.get(entry.card_key, entry.card_key)].append(entry)
    return by_card


def replay(store: Store, scheduler: Scheduler, timeline: Timeline | None = None) -> dict[str, CardState]:
    """Every logged card's state as the log, the parameter events and the scheduler make it, by current key."""
    if timeline is None:
        timeline, _ = fsrs_params.load(store)
    at = SchedulerAt(scheduler, timeline)
    return {key: replay_card(key, entries, at) for key, entries in history_by_card(store, with_flags=True).items()}


def rebuild(store: Store, scheduler: Scheduler, dry_run: bool = False, backup_first: bool = False) -> RebuildResult:
    """Replay the log and write the card states that differ. ``backup_first`` checks the database and backs it
    up before anything is written (``gistquiz rebuild``; :mod:`gistquiz.repair` has taken its own)."""
    if backup_first and not dry_run:
        from gistquiz import backup

        backup.before(store, "rebuild")
    states = replay(store, scheduler)
    current = store.states()
    changed = sorted(k for k, s in states.items() if current.get(k) != s)
    if not dry_run and changed:
        store.replace_states((states[k], None) for k in changed)
    return RebuildResult(len(states), sum(s.reps for s in states.values()), changed)


def fill_states(entries: dict[int, ReviewEntry], links: dict[str, str], scheduler: Scheduler) -> int:
    """Give the log rows kept without their states (``before_json`` empty: ``gistquiz repair`` found them
    damaged) the states the scheduler replays for them, card by card in log order (undone answers left out,
    as :func:`replay` does). ``entries`` is changed in place; returns how many were filled."""
    undone = {e.undoes for e in entries.values() if e.rating == 0}
    running: dict[str, CardState] = {}
    filled = 0
    for rid in sorted(entries):
        e = entries[rid]
        if e.rating == 0 or rid in undone:
            continue
        key = links.get(e.card_key, e.card_key)
        before = running.get(key) or CardState(key, e.deck)
        after = scheduler.review(before, Rating(e.rating), e.reviewed_at)
        running[key] = after
        if not e.before_json:
            states = json.dumps(before.to_dict()), json.dumps(after.to_dict())
            entries[rid] = e._replace(
                state_before=before.state, state_after=after.state, before_json=states[0], after_json=states[1]
            )
            filled += 1
    return filled
