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

``delta_t`` is a difference of :func:`gistquiz.scheduler.study_day_number`, the function the
scheduler counts elapsed days with, so fitted parameters are used on the clock they were fitted on.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from operator import attrgetter
from typing import TYPE_CHECKING, NamedTuple

from gistquiz.scheduler import State

if TYPE_CHECKING:
    from gistquiz.store import Store

ANSWER_SOURCES = frozenset({"review", "import"})
"""Log sources whose rows are the learner's own recall answers."""


class LogAnswer(NamedTuple):
    """The fields of a log row that fitting and simulating read (``Store.answer_rows``)."""

    id: int
    card_key: str
    deck: str
    rating: int
    reviewed_at: datetime
    duration_ms: int | None
    state_before: int
    source: str


class Answer(NamedTuple):
    """One answer that counts, under the card's current key, with its study day. (Named tuples, not dataclasses,
    for this and :class:`TrainingItem`: a log has tens of thousands, and one is made in 0.43 us against 1.44 us
    for a frozen dataclass, ``timeit`` on this VM.)"""

    key: str
    deck: str
    rating: int
    at: datetime
    day: int


class TrainingItem(NamedTuple):
    key: str
    deck: str
    at: datetime
    """When the predicted (last) answer was given: the time split is on this."""
    reviews: tuple[tuple[int, int], ...]
    """(rating, delta_t in study days), oldest first; the last one is predicted."""


def log_answers(store: Store) -> list[LogAnswer]:
    return [
        LogAnswer(i, k, d, r, datetime.fromisoformat(t), ms, s, src)
        for i, k, d, r, t, ms, s, src in store.answer_rows()
    ]


def study_day_counter(day_starts_at: int) -> Callable[[datetime], int]:
    """:func:`gistquiz.scheduler.study_day_number` for many moments: integer arithmetic on the POSIX timestamp and
    the C library's UTC offset at that moment (``localtime``, daylight saving included). For the 12,000 answers of
    ``benchmarks/bench_optimize.py`` 13 ms of CPU against 61 ms for the ``astimezone`` calls with a cache per
    UTC day that it replaces (most answers of a log spanning years fall on a day not seen yet)."""
    shift = day_starts_at * 3600

    def day(t: datetime) -> int:
        seconds = math.floor(t.timestamp())
        return (seconds + time.localtime(seconds).tm_gmtoff - shift) // 86400 + EPOCH_DAY

    return day


EPOCH_DAY = datetime(1970, 1, 1).toordinal()


def answers(entries: Iterable[LogAnswer], links: Mapping[str, str], day_starts_at: int) -> dict[str, list[Answer]]:
    """The answers that count, by current key, each card's in time order, its history from its last start as new."""
    by_card: dict[str, list[LogAnswer]] = defaultdict(list)
    for e in entries:  # the store leaves undone answers out; undo rows have rating 0
        if e.source in ANSWER_SOURCES and 1 <= e.rating <= 4:
            by_card[links.get(e.card_key, e.card_key)].append(e)
    day = study_day_counter(day_starts_at)
    out = {}
    new = int(State.NEW)
    for key, rows in by_card.items():
        rows.sort(key=BY_TIME)
        start = next((i for i in range(len(rows) - 1, -1, -1) if rows[i].state_before == new), None)
        if start is None:
            continue  # never answered as new: its first memory state is unknown (Anki skips these too)
        out[key] = [Answer(key, e.deck, e.rating, e.reviewed_at, day(e.reviewed_at)) for e in rows[start:]]
    return out


BY_TIME = attrgetter("reviewed_at", "id")
ITEM_ORDER = attrgetter("at", "key")
"""The order of training items: by the time of the answer each predicts (C-level keys: 2x a lambda's speed)."""


def items_for_card(history: Sequence[Answer]) -> list[TrainingItem]:
    """One item per answer after the first with at least one study day since the answer before it."""
    deltas = [0] + [max(0, b.day - a.day) for a, b in zip(history, history[1:], strict=False)]
    pairs = tuple((a.rating, d) for a, d in zip(history, deltas, strict=True))
    return [
        TrainingItem(history[i].key, history[i].deck, history[i].at, pairs[: i + 1])
        for i in range(1, len(history))
        if deltas[i] > 0
    ]


def build_items(
    entries: Iterable[LogAnswer], links: Mapping[str, str], day_starts_at: int, decks: Iterable[str] | None = None
) -> list[TrainingItem]:
    """Every training item of the log (of ``decks``: a card's deck is the one of its latest answer), by time."""
    wanted = set(decks) if decks is not None else None
    items = []
    for history in answers(entries, links, day_starts_at).values():
        if wanted is None or history[-1].deck in wanted:
            items += items_for_card(history)
    items.sort(key=ITEM_ORDER)
    return items


def items_from_store(store: Store, day_starts_at: int, decks: Iterable[str] | None = None) -> list[TrainingItem]:
    return build_items(log_answers(store), store.links(), day_starts_at, decks)
