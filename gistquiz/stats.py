"""Numbers about a user's learning, for ``gistquiz stats`` and the app's stats screen.

True retention follows Anki's definition: of the answers given to cards in the
review state, the share that passed (Hard, Good or Easy). With FSRS it should
track the desired retention.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from gistquiz import fsrs_params
from gistquiz.deck import Card
from gistquiz.scheduler import CardState, Scheduler, State
from gistquiz.store import Store


@dataclass(frozen=True)
class Leech:
    key: str
    deck: str
    line: int
    front: str
    lapses: int


@dataclass
class Stats:
    total: int
    by_state: dict[str, int]
    """new, learning, review, relearning, suspended, buried (a suspended card counts only there)."""
    due_today: int
    reviews_per_day: dict[str, int]
    """Study day (ISO date) -> answers."""
    retention_by_month: dict[str, tuple[int, int]]
    """Month (YYYY-MM) -> (passed, total) answers to review-state cards."""
    forecast: list[int]
    """Cards due on each of the next days, today first (overdue counted today)."""
    leeches: list[Leech] = field(default_factory=list)
    desired_retention: float = 0.9
    reviews_total: int = 0
    retrievability: dict[str, float] = field(default_factory=dict)
    """Card key -> FSRS's predicted probability of recalling it now (cards answered and not suspended)."""
    parameters: dict[str, Any] = field(default_factory=lambda: {"source": "defaults"})
    """The FSRS parameters in use (:func:`gistquiz.fsrs_params.in_use`)."""

    @property
    def predicted_retention(self) -> float | None:
        """The mean predicted recall today, to set beside the measured (true) retention."""
        r = self.retrievability
        return sum(r.values()) / len(r) if r else None

    @property
    def true_retention(self) -> float | None:
        passed = sum(p for p, _ in self.retention_by_month.values())
        total = sum(t for _, t in self.retention_by_month.values())
        return passed / total if total else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_state": self.by_state,
            "due_today": self.due_today,
            "reviews_total": self.reviews_total,
            "reviews_per_day": self.reviews_per_day,
            "true_retention": self.true_retention,
            "desired_retention": self.desired_retention,
            "retention_by_month": {
                m: {"passed": p, "total": t, "retention": p / t if t else None}
                for m, (p, t) in self.retention_by_month.items()
            },
            "forecast": self.forecast,
            "leeches": [vars(x) for x in self.leeches],
            "predicted_retention": self.predicted_retention,
            "retrievability": self.retrievability,
            "parameters": self.parameters,
        }


def compute(cards: Iterable[Card], store: Store, scheduler: Scheduler, now: datetime, forecast_days: int = 14) -> Stats:
    cards = list(cards)
    keys = {c.key for c in cards}
    states = {k: s for k, s in store.states().items() if k in keys}
    by_state: Counter[str] = Counter({n: 0 for n in ("new", "learning", "review", "relearning", "suspended", "buried")})
    day_start = scheduler.day_start(now)
    forecast = [0] * forecast_days
    leeches = []
    recall = {}
    for card in cards:
        s = states.get(card.key)
        if s is None:
            by_state["new"] += 1
            continue
        by_state[_state_name(s, now)] += 1
        if not s.suspended and (r := scheduler.retrievability(s, now)) is not None:
            recall[card.key] = r
        if s.leech:
            leeches.append(Leech(card.key, card.deck, card.line, card.front, s.lapses))
        if s.state != State.NEW and not s.suspended and s.due is not None:
            day = max(0, (s.due - day_start) // timedelta(days=1))
            if day < forecast_days:
                forecast[day] += 1
    per_day: Counter[str] = Counter()
    retention: dict[str, list[int]] = {}
    links = store.links()
    reviews = [e for e in store.reviews() if links.get(e.card_key, e.card_key) in keys]
    for e in reviews:
        per_day[scheduler.study_day(e.reviewed_at)] += 1
        if e.state_before == State.REVIEW:
            month = e.reviewed_at.astimezone().strftime("%Y-%m")
            bucket = retention.setdefault(month, [0, 0])
            bucket[0] += e.rating > 1
            bucket[1] += 1
    new_left = max(0, scheduler.settings.new_per_day - store.today_counts(day_start, keys)[0])
    due_today = forecast[0] + min(by_state["new"], new_left) if forecast_days else 0
    return Stats(
        total=len(cards),
        by_state=dict(by_state),
        due_today=due_today,
        reviews_per_day=dict(sorted(per_day.items())),
        retention_by_month={m: (p, t) for m, (p, t) in sorted(retention.items())},
        forecast=forecast,
        leeches=sorted(leeches, key=lambda x: -x.lapses),
        desired_retention=scheduler.settings.desired_retention,
        reviews_total=len(reviews),
        retrievability=recall,
        parameters=fsrs_params.in_use(fsrs_params.load(store)[0], _one_deck(cards)),
    )


def _one_deck(cards: list[Card]) -> str | None:
    decks = {c.deck for c in cards}
    return decks.pop() if len(decks) == 1 else None


def _state_name(s: CardState, now: datetime) -> str:
    if s.suspended:
        return "suspended"
    if s.buried_until is not None and s.buried_until > now:
        return "buried"
    return s.state.name.lower()
