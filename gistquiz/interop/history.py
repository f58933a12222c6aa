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
* Then a card that is in review or relearning in Anki takes its due date from
  the card itself (so a due date set by hand holds, for a card never answered
  too): review due dates count days from the collection's creation
  (``col.crt``), and a card in a filtered deck has its home due in ``odue``.
  Its memory state is Anki's FSRS state (``cards.data``) where Anki has one;
  else the replayed one; else, for a card never answered, the state fsrs-rs's
  ``memory_state_from_sm2`` gives its SM-2 interval and ease, computed here
  with gistquiz's FSRS-6 parameters (:func:`memory_from_sm2`). These come from
  the card, not from answers, so ``gistquiz rebuild`` (which replays answers)
  does not reproduce them.

Out: ``gistquiz export --history FILE.csv`` writes the columns FSRS tools read
(the fsrs-optimizer review-log schema): ``card_id`` (the card key),
``review_time`` (epoch ms), ``review_rating`` (1-4), ``review_state`` (the
card's state when answered: 0 new, 1 learning, 2 review, 3 relearning),
``review_duration`` (ms, empty when unknown), and ``review_datetime`` (UTC,
ISO 8601) for people.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TextIO

from gistquiz.interop.apkg import CardSchedule, RevlogRow
from gistquiz.scheduler import CardState, Rating, Scheduler, State
from gistquiz.store import ReviewEntry

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LEARN, REVIEW, RELEARN, FILTERED, MANUAL, RESCHEDULED = range(6)
"""Revlog entry types."""
CARD_NEW, CARD_LEARNING, CARD_REVIEW, CARD_RELEARNING = range(4)
"""Card types (``cards.type``)."""
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
    schedules: Mapping[int, CardSchedule] | None = None,
    crt: int = 0,
) -> ImportedHistory:
    """The imported cards' histories and states.

    Parameters
    ----------
    cards
        Anki card id -> (note id, ordinal, queue).
    keys
        (note id, ordinal) -> (card key, deck key, fingerprint) of each imported card.
    schedules, crt
        Anki card id -> its scheduling columns, and the collection's creation (epoch seconds).
    """
    schedules = schedules or {}
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
        scheduled = cid in schedules and schedules[cid].type in (CARD_REVIEW, CARD_RELEARNING)
        if (nid, ord_) not in keys or (cid not in answers and queue not in (SUSPENDED, *BURIED) and not scheduled):
            continue
        key, deck, fingerprint = keys[(nid, ord_)]
        state = CardState(key, deck)
        log: list[Answer] = []
        for rating, when, duration in answers.get(cid, ()):
            after = scheduler.review(state, rating, when)
            log.append((int(rating), when, duration, state, after))
            state = after
        if scheduled:
            state = with_anki_schedule(state, schedules[cid], crt, scheduler, now)
        # Suspended and buried are the card's queue in Anki, not answers: carried over as gistquiz's flags
        # (which a rebuild keeps), also for a card never answered.
        if queue == SUSPENDED:
            state = state._replace(suspended=True)
        elif queue in BURIED:
            state = state._replace(buried_until=scheduler.next_day_start(now))
        out.cards.append((state, fingerprint, log))
        out.reviews += len(log)
    return out


DAY = 86400
_EPOCH_SECONDS = 10**9
"""A due beyond this many is epoch seconds (a learning step), not a day number (which counts from ``crt``)."""


def with_anki_schedule(
    state: CardState, card: CardSchedule, crt: int, scheduler: Scheduler, now: datetime
) -> CardState:
    """``state`` (replayed from the answers) with the due date and memory state Anki's card has."""
    home_due = card.odue or card.due  # in a filtered deck, the due at home is in odue
    if card.type == CARD_RELEARNING and home_due > _EPOCH_SECONDS:
        due = EPOCH + timedelta(seconds=home_due)
    else:
        due = EPOCH + timedelta(seconds=crt + home_due * DAY)
    memory = _anki_memory(card.data)
    if memory is not None:
        stability, difficulty, last = memory
    elif state.stability is not None and state.difficulty is not None:
        stability, difficulty, last = state.stability, state.difficulty, None
    else:
        interval = card.ivl if card.ivl > 0 else max(1, (due - now).days)
        ease = card.factor / 1000 if card.factor else 2.5
        stability, difficulty = memory_from_sm2(ease, interval, scheduler.parameters_for(state.deck))
        last = None
    if last is None:
        last = state.last_review or (due - timedelta(days=card.ivl) if card.ivl > 0 else min(now, due))
    review = card.type == CARD_REVIEW
    return state._replace(
        state=State.REVIEW if review else State.RELEARNING,
        step=None if review else 0,
        stability=stability,
        difficulty=difficulty,
        due=due,
        last_review=last,
    )


def _anki_memory(data: str) -> tuple[float, float, datetime | None] | None:
    """(stability, difficulty, last review) from a card's ``data`` JSON, if Anki's FSRS wrote them."""
    try:
        d = json.loads(data) if data else None
    except ValueError:
        return None
    if not isinstance(d, dict):
        return None
    s, diff, lrt = d.get("s"), d.get("d"), d.get("lrt")
    if not all(isinstance(v, int | float) and math.isfinite(v) and v > 0 for v in (s, diff)):
        return None
    last = EPOCH + timedelta(seconds=lrt) if isinstance(lrt, int) and 0 < lrt < 2**37 else None
    return float(s), float(diff), last


def memory_from_sm2(ease: float, interval: float, parameters: tuple[float, ...], retention: float = 0.9):
    """(stability, difficulty) for a card known only by its SM-2 interval (days) and ease: fsrs-rs's
    ``memory_state_from_sm2`` (Anki's own conversion) under ``parameters``."""
    state = _fsrs_rs(parameters).memory_state_from_sm2(ease, float(interval), retention)
    return float(state.stability), float(state.difficulty)


@cache
def _fsrs_rs(parameters: tuple[float, ...]):
    import fsrs_rs_python as rs  # lazily: only a card Anki scheduled by hand needs it

    return rs.FSRS(list(parameters))


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
