"""What each desired retention costs: ``gistquiz simulate``, through fsrs-rs's simulator.

For each desired retention, fsrs-rs simulates the learner's decks (all their cards, started from new)
day by day with the learner's FSRS parameters (the ones for all decks in force), their daily limits
(new cards, reviews), steps, maximum interval and leech threshold. It reports reviews and minutes per
day and the cards remembered at the end (the sum of every card's probability of recall that day).

What an answer costs and how the learner rates come from their own log where it holds enough:

- seconds per answer: the median measured duration for each (learning/review/relearning, rating) with at
  least :data:`MIN_TIMED` timed answers; other cells keep fsrs-rs's defaults (from Anki users' logs);
- first ratings of new cards, and Hard/Good/Easy among passed reviews: the learner's shares when there
  are at least :data:`MIN_RATED` such answers, else fsrs-rs's defaults.

"Knowledge per minute" is the cards remembered at the end divided by all the minutes spent; the best
retention is the one that maximizes it within the retentions tried, and when that is the first or last
one tried the table says so: the real optimum may lie beyond the range. The simulation is seeded, so the
same inputs give the same table.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from gistquiz.scheduler import State

if TYPE_CHECKING:
    from gistquiz.fsrs_items import LogAnswer
    from gistquiz.scheduler import Scheduler
    from gistquiz.settings import Settings
    from gistquiz.store import Store

DEFAULT_RETENTIONS = (0.70, 0.75, 0.80, 0.85, 0.88, 0.90, 0.92, 0.94, 0.95, 0.97)
SEED = 42
LOWEST = 0.7
MIN_TIMED = 10
MIN_RATED = 50
NO_TIME_LIMIT = 24 * 3600.0  # gistquiz has no daily time cap; fsrs-rs's default is 30 minutes


@dataclass(frozen=True)
class Workload:
    """What the simulator needs from the log: answer costs and rating shares, and where each came from."""

    costs: tuple[tuple[float, ...], ...]
    """Seconds per answer: rows learning, review, relearning; columns Again, Hard, Good, Easy."""
    first_rating_prob: tuple[float, ...]
    review_rating_prob: tuple[float, ...]
    measured_costs: int
    """Cells of ``costs`` measured from the learner's own answers (of 12)."""
    measured_ratings: bool


@dataclass(frozen=True)
class Row:
    retention: float
    reviews_per_day: float
    minutes_per_day: float
    remembered: float
    per_minute: float
    """Cards remembered at the end per minute spent over the whole period."""


@dataclass
class Table:
    rows: list[Row]
    days: int
    cards: int
    current: float
    best: float
    edge_note: str
    workload: Workload
    parameters: str
    """'defaults' or 'fitted'."""
    fsrs_seconds: float = field(default=0.0, compare=False)
    """Time spent inside fsrs-rs's simulate (for the benchmark's ratio)."""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("fsrs_seconds")
        return d


_COST_ROW = {State.NEW: 0, State.LEARNING: 0, State.REVIEW: 1, State.RELEARNING: 2}
"""fsrs-rs's ``state_rating_costs`` row of each state before an answer (learning, review, relearning)."""


def workload(entries: Iterable[LogAnswer], defaults) -> Workload:
    """The learner's costs and rating shares from their answers, fsrs-rs's ``defaults`` config where too few."""
    reviews = ((e.state_before, e.rating, e.duration_ms) for e in entries if e.source == "review")
    return workload_of(reviews, defaults)


def workload_of(reviews: Iterable[tuple[int, int, int | None]], defaults) -> Workload:
    """:func:`workload` from (state before, rating, duration_ms) of review answers (``Store.workload_rows``)."""
    times: dict[tuple[int, int], list[float]] = defaultdict(list)
    first: Counter[int] = Counter()
    passed: Counter[int] = Counter()
    for state_before, rating, duration_ms in reviews:
        if not 1 <= rating <= 4:
            continue
        row = _COST_ROW.get(state_before)
        if row is not None and duration_ms:
            times[(row, rating)].append(duration_ms / 1000)
        if state_before == State.NEW:
            first[rating] += 1
        elif state_before == State.REVIEW and rating > 1:
            passed[rating] += 1
    costs = [list(r) for r in defaults.state_rating_costs]
    measured = 0
    for (row, rating), seconds in times.items():
        if len(seconds) >= MIN_TIMED:
            costs[row][rating - 1] = statistics.median(seconds)
            measured += 1
    enough = sum(first.values()) >= MIN_RATED and sum(passed.values()) >= MIN_RATED
    first_p = _shares(first, (1, 2, 3, 4)) if enough else tuple(defaults.first_rating_prob)
    review_p = _shares(passed, (2, 3, 4)) if enough else tuple(defaults.review_rating_prob)
    return Workload(tuple(map(tuple, costs)), first_p, review_p, measured, enough)


def _shares(counts: Counter[int], keys: Sequence[int]) -> tuple[float, ...]:
    total = sum(counts[k] for k in keys)
    return tuple(counts[k] / total for k in keys)


def config(settings: Settings, cards: int, days: int, work: Workload):
    import fsrs_rs_python as rs

    d = rs.default_simulator_config()
    return rs.SimulatorConfig(
        deck_size=cards,
        learn_span=days,
        max_cost_perday=NO_TIME_LIMIT,
        max_ivl=float(settings.maximum_interval),
        first_rating_prob=list(work.first_rating_prob),
        review_rating_prob=list(work.review_rating_prob),
        learn_limit=settings.new_per_day,
        review_limit=settings.reviews_per_day,
        new_cards_ignore_review_limit=True,
        learning_step_transitions=d.learning_step_transitions,
        relearning_step_transitions=d.relearning_step_transitions,
        state_rating_costs=[list(r) for r in work.costs],
        learning_step_count=len(settings.learning_steps),
        relearning_step_count=len(settings.relearning_steps),
        suspend_after_lapses=settings.leech_threshold,
    )


def simulate(
    parameters: Sequence[float],
    settings: Settings,
    cards: int,
    work: Workload,
    retentions: Sequence[float] = DEFAULT_RETENTIONS,
    days: int = 365,
    fitted: bool = False,
) -> Table:
    """One seeded simulation per retention (the current one added when missing), and the best per minute."""
    import fsrs_rs_python as rs

    current = settings.desired_retention
    tried = sorted(set(retentions) | {current})
    cfg = config(settings, cards, days, work)
    rows, spent = [], 0.0
    for r in tried:
        t0 = time.perf_counter()
        result = rs.simulate(list(parameters), r, cfg, SEED)
        spent += time.perf_counter() - t0
        reviews = sum(result.review_cnt_per_day) + sum(result.learn_cnt_per_day)
        minutes = sum(result.cost_per_day) / 60
        remembered = float(result.memorized_cnt_per_day[-1]) if days else 0.0
        rows.append(Row(r, reviews / days, minutes / days, remembered, remembered / minutes if minutes else 0.0))
    best = max(rows, key=lambda row: row.per_minute).retention
    edge_note = ""
    if len(tried) > 1 and best in (tried[0], tried[-1]):
        side = "lowest" if best == tried[0] else "highest"
        edge_note = f"the best is the {side} retention tried: the optimum may lie beyond {tried[0]:.2f}-{tried[-1]:.2f}"
        if best <= LOWEST:
            edge_note += f" ({LOWEST} is the lowest desired retention gistquiz accepts)"
    return Table(rows, days, cards, current, best, edge_note, work, "fitted" if fitted else "defaults", spent)


def for_store(store: Store | None, scheduler: Scheduler, cards: int, retentions: Sequence[float], days: int) -> Table:
    """The table for a learner: their answer times and ratings from ``store``'s log (fsrs-rs's defaults without
    one), the parameters for all decks in force, their settings (``gistquiz simulate`` and the stats screen)."""
    import fsrs_rs_python as rs

    work = workload_of(store.workload_rows() if store is not None else [], rs.default_simulator_config())
    fitted = None in scheduler.parameters
    return simulate(scheduler.parameters_for(""), scheduler.settings, cards, work, retentions, days, fitted=fitted)
