"""A synthetic learner whose memory follows known FSRS-6 parameters, studying through the app's own path.

Each day the learner opens a :class:`~gistquiz.session.Session` (the app's scheduler, with whatever
parameters are in force) and answers every card it offers. Whether a card is recalled is drawn from
the *true* retrievability: the card's true memory state, kept by a second scheduler under the true
parameters and the same study-day clock, at the moment of the answer. So the log the optimizer reads
is made exactly as a real learner's is, and the truth it should recover is known.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gistquiz.scheduler import CardState, Rating, Scheduler
from gistquiz.session import Session
from gistquiz.settings import Settings
from gistquiz.store import Store
from gistquiz.workspace import Workspace

T0 = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)

# A learner whose memory is weaker than FSRS-6's defaults assume: lower initial stabilities (w0-w3),
# slower growth after a success (w8) and a steeper forgetting curve (w20, the decay); the rest are the
# defaults. The defaults over-predict this learner's recall.
WEAK_MEMORY = (
    0.05, 0.2, 0.5, 1.5, 6.4, 0.83, 3.0, 0.001, 0.9, 0.17, 0.8, 1.9, 0.06, 0.26, 1.65, 0.6, 1.87, 0.54, 0.09, 0.07, 0.5,
)  # fmt: skip


class Clock:
    def __init__(self, t: datetime):
        self.t = t

    def __call__(self) -> datetime:
        return self.t

    def advance(self, **kw: float) -> None:
        self.t += timedelta(**kw)


@dataclass
class Learner:
    true_parameters: Sequence[float]
    seed: int = 0
    pass_ratings: tuple[float, float, float] = (0.15, 0.75, 0.10)
    """P(Hard), P(Good), P(Easy) given recall."""
    truth: dict[str, CardState] = field(default_factory=dict)
    true_recall: dict[tuple[str, datetime], float] = field(default_factory=dict)
    """(card key, time) -> the true probability of recall at that answer (cards not new)."""

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.true_scheduler = Scheduler(Settings(fuzz=False), {None: self.true_parameters})

    def answer(self, key: str, deck: str, now: datetime) -> Rating:
        true = self.truth.get(key) or CardState(key, deck)
        r = self.true_scheduler.retrievability(true, now)
        if r is None:  # a new card: the first answer is drawn like Anki's typical first ratings
            rating = Rating(self.rng.choices([1, 2, 3, 4], [0.25, 0.1, 0.55, 0.1])[0])
        else:
            recalled = self.rng.random() < r
            self.true_recall[(key, now)] = r
            rating = Rating.AGAIN if not recalled else Rating(self.rng.choices([2, 3, 4], self.pass_ratings)[0])
        self.truth[key] = self.true_scheduler.review(true, rating, now)
        return rating


def study(store: Store, scheduler: Scheduler, learner: Learner, cards, days: int, start: datetime = T0) -> Clock:
    """``days`` daily sessions through :class:`Session`, answering everything it shows; returns the clock."""
    clock = Clock(start)
    for day in range(days):
        clock.t = start + timedelta(days=day, minutes=learner.rng.randint(-180, 180))
        s = Session(cards, store, scheduler, clock=clock)
        while (card := s.next()) is not None:
            if s.state(card).due is not None and s.state(card).due > clock.t:
                clock.t = s.state(card).due  # a learning step due later today: wait for it
            s.answer(card, learner.answer(card.key, card.deck, clock.t), duration_ms=learner.rng.randint(3000, 15000))
            clock.advance(seconds=learner.rng.randint(4, 20))
    return clock


@contextmanager
def utc_zone() -> Iterator[None]:
    """Local time is UTC inside: study days start at 04:00 UTC, whatever the machine's zone."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TZ")
        else:
            os.environ["TZ"] = old
        time.tzset()


def make_home(
    root: Path,
    true_parameters,
    cards: int,
    days: int,
    new_per_day: int,
    seed: int = 0,
    start: datetime = T0,
    decks: int = 1,
):
    """A data folder with ``decks`` decks of ``cards`` cards (one: ``d.md``; more: ``d0.md``, ``d1.md`` ...),
    studied for ``days`` by a learner with ``true_parameters``; returns the learner."""
    (root / "decks").mkdir(parents=True)
    text = "# D\n\n" + "".join(f"## Question {i}\n\nAnswer {i}\n\n" for i in range(cards))
    for name in ["d"] if decks == 1 else [f"d{i}" for i in range(decks)]:
        (root / "decks" / f"{name}.md").write_text(text.replace("Question", f"Question {name}"))
    (root / "settings.toml").write_text(f"bundled_decks = false\nnew_per_day = {new_per_day}\n")
    ws = Workspace.open(root)
    ws.store.db.execute("PRAGMA synchronous=OFF")  # durability is not under test here: 5x faster answers
    learner = Learner(true_parameters, seed=seed)
    study(ws.store, ws.scheduler, learner, [c for d in ws.library.decks for c in d.cards], days, start=start)
    ws.close()
    return learner
