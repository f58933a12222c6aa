"""Training items for the FSRS optimizer, built from the review log.

An item is one card's answers up to and including one answer to predict, each answer a
``(rating, delta_t)`` pair, ``delta_t`` being the study days since the answer before (0 for the
first). This is the form fsrs-rs fits and evaluates (``FSRSItem``), and the one Anki builds from its
own log (``rslib/src/scheduler/fsrs/params.rs``), whose rules are followed here:

- Only answers count: the log's ``review`` rows and the history imported from Anki (``import``).
  Undone answers and undo rows, quiz and exercise rows, and anything not rated 1-4 are left out
  (an Anki "set due date" or "reschedule" never reaches the log: the importer skips it).
- A re-linked card (its text was edited) keeps its history: answers under old keys count as the
  current key's.
- A card's history starts at its last answer given while it was new (a reset starts over), and a
  card never answered while new is left out, since its first memory state is unknown.
- One item per answer after the first whose ``delta_t`` is at least one day: same-day answers are
  in the history of the next item but are not predicted themselves (FSRS predicts recall across days).

``delta_t`` comes from :func:`gistquiz.scheduler.study_days_between`, the function the scheduler
uses for the elapsed days, so fitted parameters are used on the clock they were fitted on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from gistquiz.scheduler import State, study_days_between

if TYPE_CHECKING:
    from gistquiz.store import ReviewEntry, Store

ANSWER_SOURCES = frozenset({"review", "import"})
"""Log sources whose rows are the learner's own recall answers."""


@dataclass(frozen=True)
class Answer:
    """One answer that counts, under the card's current key."""

    key: str
    deck: str
    rating: int
    at: datetime


@dataclass(frozen=True)
class TrainingItem:
    key: str
    deck: str
    at: datetime
    """When the predicted (last) answer was given: the time split is on this."""
    reviews: tuple[tuple[int, int], ...]
    """(rating, delta_t in study days), oldest first; the last one is predicted."""


def answers(entries: Iterable[ReviewEntry], links: Mapping[str, str]) -> dict[str, list[Answer]]:
    """The answers that count, by current key, each card's in time order, its history from its last start as new."""
    by_card: dict[str, list[ReviewEntry]] = defaultdict(list)
    for e in entries:  # the store leaves undone answers out; undo rows have rating 0
        if e.source in ANSWER_SOURCES and 1 <= e.rating <= 4:
            by_card[links.get(e.card_key, e.card_key)].append(e)
    out = {}
    for key, rows in by_card.items():
        rows.sort(key=lambda e: (e.reviewed_at, e.id))
        starts = [i for i, e in enumerate(rows) if e.state_before == State.NEW]
        if not starts:
            continue  # never answered as new: its first memory state is unknown (Anki skips these too)
        out[key] = [Answer(key, e.deck, e.rating, e.reviewed_at) for e in rows[starts[-1] :]]
    return out


def items_for_card(history: Sequence[Answer], day_starts_at: int) -> list[TrainingItem]:
    """One item per answer after the first with at least one study day since the answer before it."""
    deltas = [0] + [study_days_between(a.at, b.at, day_starts_at) for a, b in zip(history, history[1:], strict=False)]
    pairs = tuple((a.rating, d) for a, d in zip(history, deltas, strict=True))
    return [
        TrainingItem(history[i].key, history[i].deck, history[i].at, pairs[: i + 1])
        for i in range(1, len(history))
        if deltas[i] > 0
    ]


def build_items(
    entries: Iterable[ReviewEntry], links: Mapping[str, str], day_starts_at: int, decks: Iterable[str] | None = None
) -> list[TrainingItem]:
    """Every training item of the log (of ``decks``: a card's deck is the one of its latest answer), by time."""
    wanted = set(decks) if decks is not None else None
    items = []
    for history in answers(entries, links).values():
        if wanted is None or history[-1].deck in wanted:
            items += items_for_card(history, day_starts_at)
    items.sort(key=lambda it: (it.at, it.key))
    return items


def items_from_store(store: Store, day_starts_at: int, decks: Iterable[str] | None = None) -> list[TrainingItem]:
    return build_items(store.reviews(), store.links(), day_starts_at, decks)
