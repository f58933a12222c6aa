"""A review session: today's queue of cards, and every action on a card: answer, suspend, unsuspend, bury,
unbury and undo.

The order follows Anki: learning cards whose step is due, then review cards due
today, then new cards up to the day's limit; learning cards due in the next
20 minutes are shown early when nothing else is left. Siblings of a card
answered today (the other side of a reversed card, the other deletions of a
cloze note) wait until tomorrow.

Both the line-based review (``gistquiz review --plain``) and the app drive
this class; it never touches the screen. Each action is one row of the store's log; :meth:`Session.undo`
takes back the newest action this session made, whatever it was, one at a time, as Anki's undo does.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from gistquiz.deck import Card, Kind, gc_paused
from gistquiz.scheduler import CardState, Rating, Scheduler, State, utcnow
from gistquiz.store import NOT_TODAY, AnsweredElsewhere, QueueState, ReviewEntry, Store

if TYPE_CHECKING:
    from gistquiz.grading import Grade  # a quiz's result: only its rating is read here

LEARN_AHEAD = timedelta(minutes=20)
LEECH_NOTICE = "Leech: this card lapsed many times and is now suspended. Consider rewriting it."


class Counts(NamedTuple):
    new: int
    learning: int
    review: int

    @property
    def total(self) -> int:
        return self.new + self.learning + self.review


class Undone(NamedTuple):
    """What an undo took back: the log row, and the card to show again (``None`` if no longer in the session)."""

    entry: ReviewEntry
    card: Card | None

    @property
    def message(self) -> str:
        """Names the action undone, as Anki does: "Undid the answer (Good).", "Undid the suspend."."""
        if self.entry.action == "answer":
            return f"Undid the answer ({Rating(self.entry.rating).label})."
        return f"Undid the {self.entry.action}."


def note_key(key: str) -> str:
    """The key shared by sibling cards of one note."""
    return key.split("/", 1)[0]


class Queue(NamedTuple):
    """A day's queue for some cards: those in learning by due time, the reviews due, the new ones allowed today."""

    learning: list[tuple[datetime, str]]
    """(due, key), sorted by due."""
    review: list[str]
    new: list[str]


def build_queue(
    cards: Iterable[Card],
    states: Mapping[str, CardState | QueueState | None],
    now: datetime,
    scheduler: Scheduler,
    new_done: int = 0,
    review_done: int = 0,
    exercise_new_done: int = 0,
) -> Queue:
    """Today's queue: pure, from the cards and their stored states (whole, or the queue's part of them; ``None``
    for a card stored but not in today's queue, as :meth:`Store.queue_states` says for a day).

    New exercise cards have a limit of their own (``exercise_new_per_day``; ``exercise_new_done`` of them
    were introduced today), and do not use up ``new_per_day``.
    """
    settings = scheduler.settings
    day_start = scheduler.day_start(now)
    day_end = day_start + timedelta(days=1)
    learning: list[tuple[datetime, str]] = []
    review: list[tuple[datetime, str]] = []
    new: list[str] = []
    seen_today: set[str] = set()
    new_candidates: list[str] = []
    exercises: set[str] = set()
    # Names looked up once, not per card: this loop runs over every card of the collection at each open.
    get, exercise, new_state, learning_states = states.get, Kind.EXERCISE, State.NEW, (State.LEARNING, State.RELEARNING)
    no_state = object()
    for card in cards:
        key = card.key
        if card.kind is exercise:
            exercises.add(key)
        s = get(key, no_state)
        if s is no_state:
            new_candidates.append(key)
            continue
        if s is NOT_TODAY:  # most cards of a collection in use: nothing more to look at
            continue
        # Within today only: an answer given while the clock was ahead (then set back) is not today's.
        last = s.last_review
        if last is not None and day_start <= last < day_end:
            seen_today.add(note_key(key))
        hidden = _hidden(s, now, day_end)
        if s.state == new_state:
            if not hidden:
                new_candidates.append(key)
            continue
        due = s.due
        if hidden or due is None or due >= day_end:
            continue
        if s.state in learning_states:
            learning.append((due, key))
        else:
            review.append((due, key))
    left = {False: max(0, settings.new_per_day - new_done)}
    left[True] = max(0, settings.exercise_new_per_day - exercise_new_done)
    for key in new_candidates:
        is_exercise = key in exercises
        if left[is_exercise] > 0 and note_key(key) not in seen_today:
            new.append(key)
            seen_today.add(note_key(key))
            left[is_exercise] -= 1
    review_left = max(0, settings.reviews_per_day - review_done)
    learning.sort()
    # The earliest due first; of a backlog of 10,000 only the day's limit (200) is shown: no need to sort it all.
    return Queue(learning, [k for _, k in heapq.nsmallest(review_left, review)], new)


def _hidden(s: CardState, now: datetime, day_end: datetime) -> bool:
    # A bury lasts until the next study day; a later date can only come from a clock that was ahead.
    return s.suspended or (s.buried_until is not None and now < s.buried_until <= day_end)


class Session:
    """Review the given cards. ``clock`` is injected so that tests control time."""

    def __init__(
        self,
        cards: Iterable[Card],
        store: Store,
        scheduler: Scheduler,
        clock: Callable[[], datetime] = utcnow,
        *,
        queue: bool = True,
    ):
        """``queue=False`` builds no queue: a session that only acts on cards (Browse: suspend, bury, undo)."""
        self._set(cards)
        self.store = store
        self.scheduler = scheduler
        self.clock = clock
        self.current: Card | None = None
        self.done: list[int] = []
        """Ids of the log rows this session wrote, oldest first: what :meth:`undo` takes back."""
        self.queue = Queue([], [], [])
        if queue:
            self.refresh()

    def set_cards(self, cards: Iterable[Card]) -> None:
        """Review these cards from now on (after an edit): the queue is rebuilt, the undo history kept."""
        self._set(cards)
        self.refresh()

    def _set(self, cards: Iterable[Card]) -> None:
        # The GC paused: its passes, each 700 new objects, went over every card again (a pass of the
        # middle generation here took 17 ms at 100,000 cards, bench_core.py --open with gc.callbacks).
        with gc_paused():
            self._group(cards)

    def _group(self, cards: Iterable[Card]) -> None:
        self.cards = {c.key: c for c in cards}
        # A note with several cards has at least one key with a "/" ("n/rev" beside "n", "n/c1" beside "n/c2"):
        # only those keys are split and grouped, not every card's (a list per card grew faster than the cards).
        notes: dict[str, list[str]] = {}
        for key in [k for k in self.cards if "/" in k]:
            notes.setdefault(note_key(key), []).append(key)
        for note, keys in notes.items():
            if note in self.cards:
                keys.insert(0, note)
        self._siblings = {note: keys for note, keys in notes.items() if len(keys) > 1}
        """Note -> its cards' keys, for the notes with several cards (reversed, cloze): whose siblings to drop."""

    def refresh(self) -> None:
        """Rebuild the queue from the store (after an edit, or when the day changes)."""
        now = self.clock()
        day_start = self.scheduler.day_start(now)
        states = self.store.queue_states((day_start, day_start + timedelta(days=1)))
        exercise = Kind.EXERCISE
        exercises = {k for k, c in self.cards.items() if c.kind is exercise}
        new_done, review_done = self.store.today_counts(day_start, keys=set(self.cards) - exercises)
        exercise_new_done = self.store.today_counts(day_start, keys=exercises)[0] if exercises else 0
        with gc_paused():  # a tuple per learning or review card due today: see _set
            self.queue = build_queue(
                self.cards.values(), states, now, self.scheduler, new_done, review_done, exercise_new_done
            )
        self.current = None

    def cram(self) -> None:
        """Study every card of the session now, due or not (a card opened from search, a leech)."""
        self.queue = Queue([], [], list(self.cards))
        self.current = None

    def counts(self) -> Counts:
        return Counts(len(self.queue.new), len(self.queue.learning), len(self.queue.review))

    def next(self) -> Card | None:
        """The card to show now, or ``None`` when nothing is due (see :meth:`next_due`)."""
        now = self.clock()
        q = self.queue
        key = None
        if q.learning and q.learning[0][0] <= now:
            key = q.learning[0][1]
        elif q.review:
            key = q.review[0]
        elif q.new:
            key = q.new[0]
        elif q.learning and q.learning[0][0] <= now + LEARN_AHEAD:
            key = q.learning[0][1]
        self.current = self.cards[key] if key else None
        return self.current

    def next_due(self) -> datetime | None:
        """When the next learning card comes due today, if any."""
        return self.queue.learning[0][0] if self.queue.learning else None

    def state(self, card: Card) -> CardState:
        return self.store.state(card.key) or CardState(card.key, card.deck)

    def preview(self, card: Card) -> dict[Rating, timedelta]:
        return self.scheduler.preview(self.state(card), self.clock())

    def answer(
        self, card: Card, rating: Rating, duration_ms: int | None = None, shown: CardState | None = None
    ) -> ReviewEntry:
        """Schedule and commit the answer; returns once it is on disk.

        ``shown`` is the card's state as the screen showed it (:meth:`state`): the answer is recorded only
        if it is still the stored one. Otherwise the card leaves this session's queue and
        :class:`~gistquiz.errors.AnsweredElsewhere` is raised (two tabs on one card answer it once).

        An exercise's row is logged with source "exercise": writing code takes minutes, not seconds, and
        is not recall, so FSRS fitting (``fsrs_items``) and the minutes-per-day simulation leave it out.
        """
        source = "exercise" if card.kind is Kind.EXERCISE else "review"
        return self._answer(card, rating, duration_ms, source=source, shown=shown)

    def answer_quiz(self, card: Card, result: Grade) -> ReviewEntry | None:
        """Record a quiz answer as a review (:attr:`Grade.rating`) if the settings say quiz answers count.

        With ``quiz_updates_schedule`` off (the default) the schedule is left alone and nothing is
        recorded: returns ``None``.
        """
        if not self.scheduler.settings.quiz_updates_schedule:
            return None
        return self._answer(card, result.rating, None, source="quiz")

    def _answer(
        self, card: Card, rating: Rating, duration_ms: int | None, source: str, shown: CardState | None = None
    ) -> ReviewEntry:
        now = self.clock()
        try:
            entry = self.store.answer(
                card.key,
                card.deck,
                rating,
                now,
                lambda s: self.scheduler.review(s, rating, now),
                duration_ms=duration_ms,
                fingerprint=card.fingerprint,
                source=source,
                shown=shown,
            )
        except AnsweredElsewhere:
            self._remove(card.key)
            raise
        self.done.append(entry.id)
        self._remove(card.key)
        if card.kind in (Kind.REVERSED, Kind.CLOZE):  # only these notes make sibling cards
            self._drop_siblings(card.key)
        after = entry.after
        learning = after.state in (State.LEARNING, State.RELEARNING) and not after.suspended
        if learning and after.due is not None and after.due < self.scheduler.next_day_start(now):
            bisect.insort(self.queue.learning, (after.due, card.key))
        self.current = None
        return entry

    def undo(self) -> Undone | None:
        """Take back the newest action of this session that still stands; the card comes back to be shown.

        Returns ``None`` when there is nothing left to undo. An action undone meanwhile by another window
        is skipped, so each press takes back exactly one action.
        """
        while self.done:
            entry = self.store.undo(self.done.pop(), self.clock())
            if entry is not None:
                break
        else:
            return None
        key = entry.card_key
        card = self.cards.get(key)
        self._remove(key)
        state, now = self.store.state(key), self.clock()
        if card is not None and state is not None and not _hidden(state, now, self.scheduler.next_day_start(now)):
            if state.state == State.NEW:
                self.queue.new.insert(0, key)
            elif state.state == State.REVIEW:
                self.queue.review.insert(0, key)
            else:
                bisect.insort(self.queue.learning, (now, key))
        self.current = card
        return Undone(entry, card)

    def suspend(self, card: Card) -> ReviewEntry | None:
        """Suspend the card until it is unsuspended; ``None`` if it already was."""
        return self._flag(card, "suspend")

    def unsuspend(self, card: Card) -> ReviewEntry | None:
        """Let a suspended card (a leech too) be scheduled again; it stays the card shown."""
        return self._flag(card, "unsuspend", keep_shown=True)

    def bury(self, card: Card) -> ReviewEntry | None:
        """Hide the card until the next study day."""
        return self._flag(card, "bury", until=self.scheduler.next_day_start(self.clock()))

    def unbury(self, card: Card) -> ReviewEntry | None:
        return self._flag(card, "unbury", keep_shown=True)

    def _flag(
        self, card: Card, action: str, until: datetime | None = None, keep_shown: bool = False
    ) -> ReviewEntry | None:
        entry = self.store.flag(card.key, card.deck, action, self.clock(), until, fingerprint=card.fingerprint)
        if entry is None:
            return None
        self.done.append(entry.id)
        if not keep_shown:
            self._remove(card.key)
        return entry

    def _remove(self, key: str) -> None:
        """Take ``key`` out of the queue. A key is in at most one list, and the card answered is almost always
        the head of its list: no list is rebuilt or scanned on an answer (with 10,000 cards queued the old
        rebuild cost more than the answer's SQL; ``bench_core.py --answer-path``, row ``Session.answer``)."""
        if self.current is not None and self.current.key == key:
            self.current = None
        q = self.queue
        if q.learning and q.learning[0][1] == key:  # the card shown is the head of one list (see next())
            del q.learning[0]
            return
        if _discard(q.review, key) or _discard(q.new, key):
            return
        for i, (_, k) in enumerate(q.learning):  # undo, bury or suspend of a card not shown
            if k == key:
                del q.learning[i]
                return

    def _drop_siblings(self, key: str) -> None:
        """Siblings of an answered card wait until tomorrow: only notes with several cards are looked at."""
        q = self.queue
        for sibling in self._siblings.get(note_key(key), ()):
            if sibling != key and not _discard(q.review, sibling):
                _discard(q.new, sibling)


def _discard(items: list[str], key: str) -> bool:
    """Remove ``key`` from ``items`` if it is there: the head in O(1) (the card just shown), else one scan in C."""
    if items and items[0] == key:
        del items[0]
        return True
    if key in items:
        items.remove(key)
        return True
    return False


def leech_notice(entry: ReviewEntry) -> str | None:
    """What to tell the learner when this answer made the card a leech (the scheduler suspends it then)."""
    return LEECH_NOTICE if entry.after.leech and not entry.before.leech else None
