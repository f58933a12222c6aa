"""Fit FSRS to the learner's own history, show the evidence, and apply the fit: ``gistquiz optimize``.

The fit is fsrs-rs's (``fsrs-rs-python``: Anki's own Rust FSRS core). Its bundled evaluation with time
splits fits internally and gives no figure for the parameters in use, so the split is made here:

1. the training items (:mod:`gistquiz.fsrs_items`) are ordered by the time of the answer each
   predicts; the earliest 75 % are fitted on, the latest 25 % are held out;
2. the parameters in use (the defaults until a fit is applied) and the fitted ones are both
   evaluated on the held-out answers (log loss, RMSE over bins), the fitted ones checked against
   py-fsrs's bounds (fsrs-rs checks none);
3. only if the fit predicts the held-out answers better (a lower log loss by more than two standard
   errors of the paired per-answer difference, so that noise does not replace good parameters) are
   the parameters refitted on the whole history, and those are what is applied.

Too little history is refused: :data:`MIN_ITEMS` items. fsrs-rs itself returns the defaults for fewer
than 8 items and fits only the four initial stabilities for fewer than 64; Anki asks for 400 before it
optimizes. With the latest quarter held out, 400 items leave 300 to fit on (well past fsrs-rs's 64) and
100 held-out answers, about the fewest on which a difference in log loss of a few hundredths is more
than noise (the standard error of a mean log loss of ~0.4 over 100 answers is ~0.03).

Applying logs an event (:mod:`gistquiz.fsrs_params`) and writes the changed card states in one
transaction; :func:`gistquiz.rebuild.apply_event` says what each mode does to a card.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from importlib import metadata
from typing import TYPE_CHECKING, Any

from gistquiz.fsrs_items import ITEM_ORDER, TrainingItem
from gistquiz.fsrs_params import ParameterEvent, Vector, bounds_problem

if TYPE_CHECKING:
    from gistquiz.scheduler import CardState, Scheduler
    from gistquiz.store import Store

MIN_ITEMS = 400
HELD_OUT = 0.25
PHASES = ("fitting on the earlier 75%", "judging both on the latest 25%", "refitting on all of the history")
"""What :func:`fit` reports through its ``progress`` callback, in order (the refit only when the fit wins)."""
Progress = Callable[[str], None]


class NotEnoughHistory(Exception):
    def __init__(self, have: int, need: int, scope: str):
        self.have, self.need, self.scope = have, need, scope
        super().__init__(
            f"{scope}: {have} reviews to learn from, {need} needed to fit and check FSRS parameters"
            f" (reviews a day or more after the card's previous one; Anki asks for {need} too)"
        )


@dataclass(frozen=True)
class Evaluation:
    log_loss: float
    rmse_bins: float


@dataclass(frozen=True)
class Fit:
    deck: str | None
    """The deck fitted on its own, or None for every deck."""
    items: int
    cards: int
    fitted_on: int
    held_out: int
    baseline_name: str
    """'defaults', or 'current' when fitted parameters are in force already."""
    baseline: Evaluation
    fitted: Evaluation
    split_parameters: Vector
    """Fitted on the earlier part only: what the held-out evaluation is of."""
    parameters: Vector | None
    """Refitted on the whole history when the fit was better; None when the baseline stays."""
    note: str = ""

    @property
    def better(self) -> bool:
        return self.parameters is not None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["better"] = self.better
        return d


def library_version() -> str:
    return f"fsrs-rs-python {metadata.version('fsrs-rs-python')}"


def _rs_items(items: Sequence[TrainingItem], last: int | None = None) -> list:
    """fsrs-rs's items (``last=-1``: without their predicted answer). (Sharing one ``FSRSReview`` per answer
    among a card's prefixes was tried: 23 ms of CPU against 18 for the benchmark's 9,698 items, as fsrs-rs
    copies each one in either way.)"""
    import fsrs_rs_python as rs

    return [rs.FSRSItem([rs.FSRSReview(r, d) for r, d in it.reviews[:last]]) for it in items]


def compute_parameters(rs_items: list, num_relearning_steps: int) -> Vector:
    """fsrs-rs's fit (seeded by its training config, so the same items give the same vector)."""
    import fsrs_rs_python as rs

    vector = rs.FSRS(rs.DEFAULT_PARAMETERS).compute_parameters(rs_items, num_relearning_steps=num_relearning_steps)
    return tuple(float(w) for w in vector)


def evaluate(vector: Sequence[float], rs_items: list) -> Evaluation:
    import fsrs_rs_python as rs

    e = rs.FSRS(list(vector)).evaluate(rs_items)
    return Evaluation(float(e.log_loss), float(e.rmse_bins))


def item_log_losses(vector: Sequence[float], items: Sequence[TrainingItem], histories: list | None = None):
    """Each item's log loss under ``vector``: shape (n,). Per item it equals fsrs-rs's ``evaluate`` of that item
    alone (checked to 1e-6); fsrs-rs's mean over many items weights them, this is unweighted. ``histories``:
    ``_rs_items(items, -1)`` when the caller has them already."""
    import fsrs_rs_python as rs
    import numpy as np

    model = rs.FSRS(list(vector))
    before = model.memory_state_batch(_rs_items(items, -1) if histories is None else histories)
    s = np.array([m.stability for m in before])  # (n,)
    t = np.array([it.reviews[-1][1] for it in items], dtype=float)  # (n,) days since the answer before
    recalled = np.array([it.reviews[-1][0] > 1 for it in items])  # (n,)
    decay = -vector[20]
    factor = 0.9 ** (1 / decay) - 1
    p = np.clip((1 + factor * t / s) ** decay, 1e-4, 1 - 1e-4)  # (n,) predicted recall
    return -np.where(recalled, np.log(p), np.log(1 - p))


def significantly_better(fitted: Sequence[float], baseline: Sequence[float], items: Sequence[TrainingItem]) -> bool:
    """Whether ``fitted`` has a lower log loss on ``items`` by more than two standard errors of the paired
    per-item difference: a gain smaller than that is within what another sample of answers would undo."""
    histories = _rs_items(items, -1)
    d = item_log_losses(fitted, items, histories) - item_log_losses(baseline, items, histories)  # (n,)
    return len(d) > 1 and d.mean() < -2 * d.std(ddof=1) / math.sqrt(len(d))


def time_split(items: Sequence[TrainingItem], held_out: float = HELD_OUT) -> int:
    """Index of the first held-out item of ``items`` (ordered by time)."""
    return len(items) - max(1, math.ceil(len(items) * held_out))


def fit(
    items: Sequence[TrainingItem],
    baseline: Sequence[float],
    baseline_name: str,
    num_relearning_steps: int,
    deck: str | None = None,
    progress: Progress | None = None,
) -> Fit:
    """Fit on the earlier items, judge both on the later ones, and refit on all when the fit wins.
    ``progress`` is called with each of :data:`PHASES` as it starts (the app shows them)."""
    scope = f"deck '{deck}'" if deck else "all decks"
    say = progress or (lambda phase: None)
    min_items = MIN_ITEMS
    if len(items) < min_items:
        raise NotEnoughHistory(len(items), min_items, scope)
    items = sorted(items, key=ITEM_ORDER)
    cut = time_split(items)
    early, late = _rs_items(items[:cut]), _rs_items(items[cut:])
    say(PHASES[0])
    split = compute_parameters(early, num_relearning_steps)
    say(PHASES[1])
    before = evaluate(baseline, late)
    problem = bounds_problem(split)
    after = evaluate(split, late) if problem is None else Evaluation(math.inf, math.inf)
    parameters, note = None, ""
    if problem is not None:
        note = f"the fit is outside py-fsrs's bounds ({problem}): {baseline_name} kept"
    elif significantly_better(split, baseline, items[cut:]):
        say(PHASES[2])
        parameters = compute_parameters(early + late, num_relearning_steps)
        if problem := bounds_problem(parameters):
            parameters, note = None, f"the refit is outside py-fsrs's bounds ({problem}): {baseline_name} kept"
    else:
        note = f"the fit does not predict the held-out reviews better by more than chance: {baseline_name} kept"
    return Fit(
        deck,
        len(items),
        len({it.key for it in items}),
        cut,
        len(items) - cut,
        baseline_name,
        before,
        after,
        split,
        parameters,
        note,
    )


def fit_scopes(
    items: Sequence[TrainingItem],
    scheduler: Scheduler,
    decks: Sequence[str],
    num_relearning_steps: int,
    progress: Callable[[str | None, str], None] | None = None,
) -> tuple[list[Fit], list[str]]:
    """The fits ``gistquiz optimize`` makes, and one line per scope refused for too little history.

    Named ``decks`` are each fitted on their own. With none named, all decks are fitted together, then
    (when more than one deck has history) each deck with :data:`MIN_ITEMS` items of its own is fitted
    too, as Anki's presets are, and kept only if it beats what would otherwise schedule it: its own
    current parameters, else the new fit for all decks (the one fitted on the earlier part, so that the
    deck's held-out answers were not trained on), else the current ones for all decks or the defaults.
    ``progress(deck, phase)`` is called as each fit starts each of :data:`PHASES`.
    """

    def said(deck: str | None) -> Progress | None:
        return None if progress is None else lambda phase: progress(deck, phase)

    fits: list[Fit] = []
    refused: list[str] = []
    if not decks:
        try:
            fits.append(
                fit(items, scheduler.parameters_for(""), _name(scheduler, None), num_relearning_steps, None, said(None))
            )
        except NotEnoughHistory as err:
            return [], [str(err)]
        per_deck = Counter(it.deck for it in items)
        decks = sorted(d for d, n in per_deck.items() if n >= MIN_ITEMS) if len(per_deck) > 1 else []
    new_global = fits[0].split_parameters if fits and fits[0].better else None
    for deck in decks:
        own = [it for it in items if it.deck == deck]
        if deck not in scheduler.parameters and new_global is not None:
            baseline, name = new_global, "all-decks fit"
        else:
            baseline, name = scheduler.parameters_for(deck), _name(scheduler, deck)
        try:
            fits.append(fit(own, baseline, name, num_relearning_steps, deck, said(deck)))
        except NotEnoughHistory as err:
            refused.append(f"{err}; it uses the parameters for all decks")
    return fits, refused


def _name(scheduler: Scheduler, deck: str | None) -> str:
    """What a scope's fit is compared with: its fitted parameters, the ones for all decks, or the defaults."""
    if deck in scheduler.parameters:
        return "current"
    return "all-decks" if None in scheduler.parameters else "defaults"


# --------------------------------------------------------------------------- applying


@dataclass
class Plan:
    """What applying some fits would do: the events, and the card states under each mode."""

    events: list[ParameterEvent]
    states: dict[str, list[CardState]] = field(default_factory=dict)
    """Mode -> the card states that change."""
    due_today: dict[str, int] = field(default_factory=dict)
    """'before' and each mode -> cards due by the end of today."""
    recall_today: dict[str, float | None] = field(default_factory=dict)
    """'before' and 'after' -> the mean predicted recall now of the cards answered and not suspended (both
    modes recompute the same memory states, so they predict the same recall)."""


def due_today(states: dict[str, CardState], scheduler: Scheduler, now: datetime) -> int:
    """Cards (not new, not suspended) due before the next study day starts."""
    end = scheduler.next_day_start(now)
    return sum(1 for s in states.values() if s.due is not None and s.reps and not s.suspended and s.due < end)


def mean_recall(states: dict[str, CardState], scheduler: Scheduler, now: datetime) -> float | None:
    """The mean of FSRS's predicted recall at ``now`` over the cards answered and not suspended."""
    r = [x for s in states.values() if not s.suspended and (x := scheduler.retrievability(s, now)) is not None]
    return sum(r) / len(r) if r else None


def plan(store: Store, scheduler: Scheduler, fits: Sequence[Fit], now: datetime) -> Plan:
    from gistquiz.rebuild import apply_event, history_by_card

    library = library_version()
    history = history_by_card(store)
    # After every answer in the log, even one stamped later than this clock says (a clock set back), so
    # that a replay crosses the event after all the answers it was computed from, as applying does here.
    newest = max((e.reviewed_at for entries in history.values() for e in entries), default=now)
    now = max(now, newest + timedelta(microseconds=1))
    events = [
        ParameterEvent(
            0,
            now,
            f.deck,
            "future",
            f.parameters,
            f.items,
            library,
            {
                "log_loss_before": f.baseline.log_loss,
                "log_loss_after": f.fitted.log_loss,
                "rmse_bins_before": f.baseline.rmse_bins,
                "rmse_bins_after": f.fitted.rmse_bins,
            },
        )
        for f in fits
        if f.parameters is not None
    ]
    merged = dict(scheduler.parameters)
    for ev in events:
        merged[ev.deck] = ev.parameters
    after = scheduler.with_parameters(merged)
    current = store.states()
    out = Plan(events, due_today={"before": due_today(current, scheduler, now)})
    for mode in ("future", "reschedule"):
        new = dict(current)
        changed = []
        for key, state in current.items():
            s = apply_event(state, history.get(key, []), mode, scheduler, after)
            if s != state:
                new[key] = s
                changed.append(s)
        out.states[mode] = changed
        out.due_today[mode] = due_today(new, scheduler, now)
        if mode == "future":
            out.recall_today = {"before": mean_recall(current, scheduler, now), "after": mean_recall(new, after, now)}
    return out


def apply(store: Store, p: Plan, mode: str) -> list[int]:
    """Log the plan's events under ``mode`` and write its states for that mode, atomically; returns the ids."""
    rows = [(ev.applied_at, ev.deck, mode, ev.body()) for ev in p.events]
    return store.record_parameters(rows, p.states[mode])
