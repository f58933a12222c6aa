"""Review history across apps: Anki's review log in, gistquiz's review log out.

In: each answer in a package's ``revlog`` becomes an answer in gistquiz's log
(``source='import'``), under the key of the card it belongs to, and the card's
state is computed by replaying its answers through gistquiz's own scheduler,
exactly as ``gistquiz rebuild`` replays the log. So the FSRS state continues
from the Anki history, and a rebuild reproduces it.

* Anki's eases 1-4 are the ratings Again, Hard, Good, Easy, except in the v1
  scheduler's learning steps, which had three buttons: Again, Good, Easy.
* A revlog id is the answer's time in epoch milliseconds (UTC).
* Entries without an answer (ease 0: a due date set by hand, a reschedule) are
  skipped; a reset ("Forget", a manual entry with interval 0) starts the card's
  history over.

Out: ``gistquiz export --history FILE.csv`` writes the columns FSRS tools read
(the fsrs-optimizer review-log schema): ``card_id`` (the card key),
``review_time`` (epoch ms), ``review_rating`` (1-4), ``review_state`` (the
card's state when answered: 0 new, 1 learning, 2 review, 3 relearning),
``review_duration`` (ms, empty when unknown), and ``review_datetime`` (UTC,
ISO 8601) for people.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TextIO

from gistquiz.interop.apkg import RevlogRow
from gistquiz.scheduler import CardState, Rating, Scheduler
from gistquiz.store import ReviewEntry

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LEARN, REVIEW, RELEARN, FILTERED, MANUAL, RESCHEDULED = range(6)
SUSPENDED = -1
BURIED = (-2, -3)
"""Anki's queues for a card buried by hand and one buried as a sibling."""

Answer = tuple[int, datetime, int | None, CardState, CardState]
"""(rating, time, duration in ms, state before, state after): one row for ``Store.import_reviews``."""


@dataclass
class ImportedHistory:
    cards: list[tuple[CardState, str, list[Answer]]] = field(default_factory=list)
    """Per card: its final state, its fingerprint, its answers in time order."""
    reviews: int = 0
    ignored: int = 0
    """Log entries that are not answers, or belong to cards that were not imported."""


def rating_of(row: RevlogRow, sched_v1: bool) -> Rating | None:
    if row.ease not in (1, 2, 3, 4):
        return None
    if sched_v1 and row.type in (LEARN, RELEARN) and row.ease > 1:
        return Rating(min(row.ease + 1, 4))
    return Rating(row.ease)


def time_of(revlog_id: int) -> datetime:
    return EPOCH + timedelta(milliseconds=revlog_id)


def from_revlog(
    revlog: Iterable[RevlogRow],
    cards: Mapping[int, tuple[int, int, int]],
    keys: Mapping[tuple[int, int], tuple[str, str, str]],
    scheduler: Scheduler,
    sched_v1: bool,
    now: datetime | None = None,
) -> ImportedHistory:
    """The imported cards' histories and states.

    Parameters
    ----------
    cards
        Anki card id -> (note id, ordinal, queue).
    keys
        (note id, ordinal) -> (card key, deck key, fingerprint) of each imported card.
    """
    out = ImportedHistory()
    answers: dict[int, list[tuple[Rating, datetime, int | None]]] = {}
    for row in revlog:
        card = cards.get(row.cid)
        if card is None or (card[0], card[1]) not in keys:
            out.ignored += 1
            continue
        if row.type == MANUAL and row.ease == 0 and row.ivl == 0:
            answers.pop(row.cid, None)  # the card was reset to new in Anki
            out.ignored += 1
            continue
        rating = rating_of(row, sched_v1)
        if rating is None:
            out.ignored += 1
            continue
        answers.setdefault(row.cid, []).append((rating, time_of(row.id), row.time if row.time > 0 else None))
    now = now or datetime.now(UTC)
    for cid, (nid, ord_, queue) in cards.items():
        if (nid, ord_) not in keys or (cid not in answers and queue not in (SUSPENDED, *BURIED)):
            continue
        key, deck, fingerprint = keys[(nid, ord_)]
        state = CardState(key, deck)
        log: list[Answer] = []
        for rating, when, duration in answers.get(cid, ()):
            after = scheduler.review(state, rating, when)
            log.append((int(rating), when, duration, state, after))
            state = after
        # Suspended and buried are the card's queue in Anki, not answers: carried over as gistquiz's flags
        # (which a rebuild keeps), also for a card never answered.
        if queue == SUSPENDED:
            state = replace(state, suspended=True)
        elif queue in BURIED:
            state = replace(state, buried_until=scheduler.next_day_start(now))
        out.cards.append((state, fingerprint, log))
        out.reviews += len(log)
    return out


# --------------------------------------------------------------------------- export

COLUMNS = ("card_id", "review_time", "review_rating", "review_state", "review_duration", "review_datetime")


def write_csv(entries: Iterable[ReviewEntry], out: TextIO, links: Mapping[str, str] | None = None) -> int:
    """Write answers as CSV for FSRS tools; ``links`` maps a re-linked card's old keys to its current one."""
    links = links or {}
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    n = 0
    for e in entries:
        ms = (e.reviewed_at - EPOCH) // timedelta(milliseconds=1)
        when = e.reviewed_at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        duration = "" if e.duration_ms is None else e.duration_ms
        writer.writerow([links.get(e.card_key, e.card_key), ms, e.rating, int(e.state_before), duration, when])
        n += 1
    return n
