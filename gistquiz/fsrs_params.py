"""The learner's FSRS parameters over time: the logged events ``gistquiz optimize`` writes, and which are in force when.

An event is one row the store keeps (``Store.parameter_events``): when it was applied, the deck it is
for (``None``: every deck without parameters of its own), how it was applied (``future``: memory states
recomputed, due dates kept, Anki's default; ``reschedule``: due dates recomputed too) and a JSON body
with the vector, the review count it was fitted on, the fsrs-rs version, and the held-out evaluation.

Events are read defensively: a body that is corrupt, from a newer gistquiz, of the wrong length or
outside py-fsrs's bounds is skipped with one line saying which and why; the parameters before it stay
in force and nothing is deleted, so the app still opens and a newer gistquiz can read it again.

:func:`load` is what ``rebuild`` (and ``repair``) replay with: :meth:`Timeline.at` gives the
parameters in force at any moment, :meth:`Timeline.events_between` the events a replay crosses.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gistquiz.store import Store

FORMAT = 1
"""The version of the event body this gistquiz writes; a body with a larger one is from a newer gistquiz."""
MODES = ("future", "reschedule")
Vector = tuple[float, ...]


@dataclass(frozen=True)
class ParameterEvent:
    id: int
    applied_at: datetime
    deck: str | None
    mode: str
    parameters: Vector
    review_count: int
    library: str
    evaluation: dict[str, float] = field(default_factory=dict)
    """Held-out log loss and RMSE(bins) before and after: ``log_loss_before`` ... ``rmse_bins_after``."""

    def body(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "parameters": list(self.parameters),
                "review_count": self.review_count,
                "library": self.library,
                "evaluation": self.evaluation,
            }
        )


def bounds_problem(vector: Sequence[float]) -> str | None:
    """What is wrong with ``vector`` as FSRS-6 parameters by py-fsrs's bounds (fsrs-rs checks none), or None."""
    from fsrs.scheduler import DEFAULT_PARAMETERS, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

    if len(vector) != len(DEFAULT_PARAMETERS):
        return f"{len(vector)} parameters, FSRS-6 has {len(DEFAULT_PARAMETERS)}"
    for i, (w, low, high) in enumerate(zip(vector, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS, strict=True)):
        if not (isinstance(w, int | float) and math.isfinite(w) and low <= w <= high):
            return f"w{i} = {w} is outside [{low}, {high}]"
    return None


def parse_event(row: tuple[int, str, str | None, str, str]) -> ParameterEvent:
    """An event from its stored row (id, applied_at, deck, mode, body); ValueError saying what is wrong."""
    event_id, applied_at, deck, mode, body = row
    try:
        data = json.loads(body)
    except ValueError:
        raise ValueError("its body is not valid JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("format"), int):
        raise ValueError("its body has no format number")
    if data["format"] > FORMAT:
        raise ValueError(f"it is from a newer gistquiz (format {data['format']}, this one reads {FORMAT})")
    vector = data.get("parameters")
    if not isinstance(vector, list) or not all(isinstance(w, int | float) for w in vector):
        raise ValueError("its parameters are not a list of numbers")
    if problem := bounds_problem(vector):
        raise ValueError(problem)
    if mode not in MODES:
        raise ValueError(f"unknown mode '{mode}'")
    try:
        when = datetime.fromisoformat(applied_at)
    except ValueError:
        raise ValueError(f"bad time '{applied_at}'") from None
    evaluation = data.get("evaluation") if isinstance(data.get("evaluation"), dict) else {}
    return ParameterEvent(
        event_id,
        when,
        deck,
        mode,
        tuple(float(w) for w in vector),
        int(data.get("review_count", 0)),
        str(data.get("library", "")),
        {k: float(v) for k, v in evaluation.items() if isinstance(v, int | float)},
    )


@dataclass(frozen=True)
class Timeline:
    """The parameter events in force, oldest first."""

    events: tuple[ParameterEvent, ...] = ()

    def at(self, t: datetime | None = None) -> dict[str | None, Vector]:
        """Vectors by deck (``None``: the global one) in force at ``t`` (default: after every event)."""
        out: dict[str | None, Vector] = {}
        for ev in self.events:
            if t is None or ev.applied_at <= t:
                out[ev.deck] = ev.parameters
        return out

    def events_between(self, after: datetime | None, until: datetime | None) -> list[ParameterEvent]:
        """Events with ``after < applied_at <= until`` (either end open when None)."""
        return [
            ev
            for ev in self.events
            if (after is None or ev.applied_at > after) and (until is None or ev.applied_at <= until)
        ]

    def latest(self, deck: str | None) -> ParameterEvent | None:
        """The newest event for ``deck`` exactly (``None``: the global one)."""
        return next((ev for ev in reversed(self.events) if ev.deck == deck), None)


def timeline(rows: Iterable[tuple[int, str, str | None, str, str]]) -> tuple[Timeline, list[str]]:
    """The good events of ``rows`` as a timeline, and one line per event skipped."""
    events, problems = [], []
    for row in rows:
        try:
            events.append(parse_event(row))
        except ValueError as err:
            scope = f"deck '{row[2]}'" if row[2] else "all decks"
            problems.append(f"stored FSRS parameters #{row[0]} ({scope}) ignored: {err}; the ones before it are used")
    events.sort(key=lambda ev: (ev.applied_at, ev.id))
    return Timeline(tuple(events)), problems


def in_use(tl: Timeline, deck: str | None = None) -> dict[str, Any]:
    """What schedules ``deck`` (None: all decks), for the stats: 'defaults', or the event that fitted the vector."""
    ev = (tl.latest(deck) if deck else None) or tl.latest(None)
    if ev is None:
        return {"source": "defaults"}
    return {
        "source": "fitted",
        "deck": ev.deck,
        "applied_at": ev.applied_at.isoformat(),
        "reviews": ev.review_count,
        "library": ev.library,
        "parameters": list(ev.parameters),
        **ev.evaluation,
    }


def describe(info: dict[str, Any], how: str = "run 'gistquiz optimize'") -> str:
    """One line for :func:`in_use`'s answer: 'FSRS defaults' or 'fitted on N reviews on DATE (log loss a -> b)';
    ``how`` says how to fit (the app names its key)."""
    if info["source"] == "defaults":
        return f"FSRS-6 defaults ({how} to fit your own)"
    line = f"fitted on {info['reviews']} reviews on {info['applied_at'][:10]}"
    if "log_loss_before" in info and "log_loss_after" in info:
        line += f" (held-out log loss {info['log_loss_before']:.3f} -> {info['log_loss_after']:.3f})"
    return line + (f" for deck '{info['deck']}'" if info.get("deck") else "")


def load(store: Store) -> tuple[Timeline, list[str]]:
    """The store's parameter timeline and the problems of the events skipped: what a replay runs under."""
    return timeline(store.parameter_events())
