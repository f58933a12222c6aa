"""Scheduling with FSRS-6, through the ``fsrs`` package (py-fsrs), and the shape of a card's state.

py-fsrs does the memory model (stability, difficulty, retrievability, learning
steps). This module adds what a study app needs around it: a "new" state, the
lapse count and leeches, suspend and bury, the user's local day, and a fuzz
that is seeded by the card and its review count. py-fsrs draws its fuzz from
the global random generator; seeding it here makes replaying the review log
(``gistquiz rebuild``) reproduce the stored state exactly.

One clock: elapsed time is counted in *study days* (the user's day starts at
``day_starts_at``, as in Anki), not in py-fsrs's whole 24-hour periods of the
raw timestamps. Two answers four hours apart on either side of the day start
are one day apart, here and in the items the optimizer fits on
(:mod:`gistquiz.fsrs_items`), so that fitted parameters mean the same thing
when they schedule. py-fsrs is given a ``last_review`` moved to exactly that
many days before the answer (its only use of ``last_review`` is the elapsed
day count); the stored ``last_review`` stays the real time.

The FSRS parameters are py-fsrs's defaults until the learner fits their own
(``gistquiz optimize``): a :class:`Scheduler` is made with the parameters in
force, and a deck with parameters of its own is scheduled with them.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from gistquiz.settings import Settings

if TYPE_CHECKING:
    import fsrs


class Rating(IntEnum):
    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4

    @property
    def label(self) -> str:
        """The button's name, as in Anki: Again, Hard, Good, Easy."""
        return self.name.capitalize()

    @property
    def key(self) -> str:
        """The key that gives this rating, as in Anki: 1 to 4."""
        return str(self.value)


class State(IntEnum):
    NEW = 0
    LEARNING = 1
    REVIEW = 2
    RELEARNING = 3


class CardState(NamedTuple):
    """Everything the store keeps about one card."""

    key: str
    deck: str
    state: State = State.NEW
    step: int | None = None
    stability: float | None = None
    difficulty: float | None = None
    due: datetime | None = None
    last_review: datetime | None = None
    reps: int = 0
    lapses: int = 0
    suspended: bool = False
    buried_until: datetime | None = None
    leech: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "deck": self.deck,
            "state": int(self.state),
            "step": self.step,
            "stability": self.stability,
            "difficulty": self.difficulty,
            "due": _iso(self.due),
            "last_review": _iso(self.last_review),
            "reps": self.reps,
            "lapses": self.lapses,
            "suspended": self.suspended,
            "buried_until": _iso(self.buried_until),
            "leech": self.leech,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CardState:
        return cls(
            key=d["key"],
            deck=d["deck"],
            state=State(d["state"]),
            step=d["step"],
            stability=d["stability"],
            difficulty=d["difficulty"],
            due=_dt(d["due"]),
            last_review=_dt(d["last_review"]),
            reps=d["reps"],
            lapses=d["lapses"],
            suspended=bool(d["suspended"]),
            buried_until=_dt(d["buried_until"]),
            leech=bool(d["leech"]),
        )


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t else None


def _dt(s: str | None) -> datetime | None:
    return datetime.fromisoformat(s) if s else None


def utcnow() -> datetime:
    return datetime.now(UTC)


def study_day_number(t: datetime, day_starts_at: int) -> int:
    """The study day a moment belongs to, as a day number (local time, the day starting at ``day_starts_at``)."""
    return (t.astimezone() - timedelta(hours=day_starts_at)).date().toordinal()


def study_days_between(earlier: datetime, later: datetime, day_starts_at: int) -> int:
    """Study days from ``earlier`` to ``later`` (0 on the same study day): FSRS's elapsed days, the one clock."""
    return max(0, study_day_number(later, day_starts_at) - study_day_number(earlier, day_starts_at))


Parameters = Mapping[str | None, Sequence[float]]
"""FSRS parameter vectors by deck key; ``None`` holds the ones for every deck without its own."""


class Scheduler:
    """FSRS-6 with the user's settings and parameters. Pure: every method returns new values."""

    def __init__(self, settings: Settings | None = None, parameters: Parameters | None = None):
        self.settings = settings or Settings()
        self.parameters: dict[str | None, tuple[float, ...]] = {k: tuple(v) for k, v in (parameters or {}).items()}
        self._by_vector: dict[tuple[float, ...] | None, fsrs.Scheduler] = {}

    @property
    def _fsrs(self) -> fsrs.Scheduler:
        """py-fsrs's scheduler under the global parameters. Each one is made when first used, and py-fsrs is
        imported then: the deck table (day starts and due dates, no scheduling) does not wait on it."""
        return self._scheduler_for(self.parameters.get(None))

    def with_parameters(self, parameters: Parameters | None) -> Scheduler:
        """The same settings under other parameters (``rebuild`` replays each answer under those in force)."""
        return Scheduler(self.settings, parameters)

    def parameters_for(self, deck: str) -> tuple[float, ...]:
        """The vector that schedules ``deck``: its own, else the global one, else py-fsrs's defaults."""
        vector = self.parameters.get(deck) or self.parameters.get(None)
        if vector:
            return tuple(vector)
        from fsrs.scheduler import DEFAULT_PARAMETERS

        return tuple(DEFAULT_PARAMETERS)

    def _scheduler_for(self, vector: tuple[float, ...] | None) -> fsrs.Scheduler:
        if vector not in self._by_vector:
            import fsrs

            s = self.settings
            self._by_vector[vector] = fsrs.Scheduler(
                **({"parameters": vector} if vector else {}),
                desired_retention=s.desired_retention,
                learning_steps=s.steps("learning_steps"),
                relearning_steps=s.steps("relearning_steps"),
                maximum_interval=s.maximum_interval,
                enable_fuzzing=False,  # applied below, seeded per card
            )
        return self._by_vector[vector]

    def _fsrs_for(self, deck: str) -> fsrs.Scheduler:
        return self._scheduler_for(self.parameters.get(deck) or self.parameters.get(None))

    def review(self, card: CardState, rating: Rating, now: datetime) -> CardState:
        """The card's state after answering it with ``rating`` at ``now`` (UTC)."""
        if now.tzinfo is None or now.utcoffset() != timedelta(0):
            raise ValueError("review times must be timezone-aware UTC")
        import fsrs  # imported once, at the first review (see _fsrs); then a lookup in sys.modules

        now = now.astimezone(UTC)
        before = self._to_fsrs(card, now)
        after, _ = self._fsrs_for(card.deck).review_card(before, fsrs.Rating(int(rating)), now)
        due = after.due
        if self.settings.fuzz and after.state == fsrs.State.Review:
            # Seeded by the review itself, so a replay of the log (even under a re-linked key) agrees.
            due = now + self._fuzz(due - now, seed=f"{now.isoformat()}:{card.reps}")
        lapses = card.lapses + (card.state == State.REVIEW and rating == Rating.AGAIN)
        leech = card.leech or (lapses >= self.settings.leech_threshold and lapses > card.lapses)
        # Built directly: dataclasses.replace looks every field up by name, about 5 us an answer (cProfile of
        # ``bench_core.py --answer-path``).
        return CardState(
            card.key,
            card.deck,
            State(int(after.state)),
            after.step,
            after.stability,
            after.difficulty,
            due,
            now,
            card.reps + 1,
            lapses,
            card.suspended or (leech and not card.leech),
            None,
            leech,
        )

    def preview(self, card: CardState, now: datetime) -> dict[Rating, timedelta]:
        """The interval each rating would give, for labels like ``Good 3d``."""
        return {r: self.review(card, r, now).due - now for r in Rating}

    def retrievability(self, card: CardState, now: datetime) -> float | None:
        """FSRS's estimate of the probability of recalling the card at ``now``."""
        if card.state == State.NEW or card.stability is None:
            return None
        return self._fsrs_for(card.deck).get_card_retrievability(self._to_fsrs(card, now), now)

    def _to_fsrs(self, card: CardState, now: datetime) -> fsrs.Card:
        import fsrs

        if card.state == State.NEW:
            return fsrs.Card(card_id=0, due=now)
        # The study-day clock: py-fsrs sees exactly the study days elapsed (module docstring). A last review
        # after `now` (the clock was ahead, then set back) counts as just now (study_days_between is never
        # negative): FSRS never sees a negative elapsed time.
        last = card.last_review
        if last is not None:
            last = now - timedelta(days=study_days_between(last, now, self.settings.day_starts_at))
        return fsrs.Card(
            card_id=0,
            state=fsrs.State(int(card.state)),
            step=card.step,
            stability=card.stability,
            difficulty=card.difficulty,
            due=card.due,
            last_review=last,
        )

    def _fuzz(self, interval: timedelta, seed: str) -> timedelta:
        """py-fsrs's fuzz range (the same ``FUZZ_RANGES``), drawn from a generator seeded by ``seed``."""
        days = interval.days
        if days < 2.5:
            return interval
        from fsrs.scheduler import FUZZ_RANGES

        delta = 1.0
        for r in FUZZ_RANGES:
            delta += r["factor"] * max(min(float(days), r["end"]) - r["start"], 0.0)
        high = min(round(days + delta), self.settings.maximum_interval)
        low = min(max(2, round(days - delta)), high)
        fuzzed = random.Random(seed).random() * (high - low + 1) + low
        return timedelta(days=min(round(fuzzed), self.settings.maximum_interval))

    # ----------------------------------------------------------------- days

    def day_start(self, now: datetime) -> datetime:
        """Start (UTC) of the user's current study day: local midnight shifted to ``day_starts_at``."""
        local = now.astimezone()
        start = local.replace(hour=self.settings.day_starts_at, minute=0, second=0, microsecond=0)
        if local < start:
            start -= timedelta(days=1)
        return start.astimezone(UTC)

    def next_day_start(self, now: datetime) -> datetime:
        return self.day_start(now) + timedelta(days=1)

    def study_day(self, t: datetime) -> str:
        """The study day (ISO date) a moment belongs to."""
        return (t.astimezone() - timedelta(hours=self.settings.day_starts_at)).date().isoformat()


def format_interval(delta: timedelta) -> str:
    """Anki-style short interval: ``<1m``, ``10m``, ``3h``, ``4d``, ``2.1mo``, ``1.5y``."""
    s = delta.total_seconds()
    if s < 60:
        return "<1m"
    if s < 3600:
        return f"{math.floor(s / 60 + 0.5)}m"
    if s < 86400:
        return f"{math.floor(s / 3600 + 0.5)}h"
    days = s / 86400
    if days < 30:
        return f"{math.floor(days + 0.5)}d"
    if days < 365:
        return f"{days / 30:.1f}mo"
    return f"{days / 365:.1f}y"
