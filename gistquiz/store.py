"""Review state on disk: one SQLite database, an append-only review log, nothing lost.

Tables
------
``cards``    the current state of every card that has been answered or flagged
``reviews``  the append-only log: one row per answer (rating 1-4) and one per undo
             (rating 0, ``undoes`` pointing at the answer it takes back)
``links``    history re-linked from an edited card's old key to its new one
``demo_runs`` the last result of a demo per card and parameters (a cache, read and written by
             :mod:`gistquiz.demo_cache` on this connection)
``meta``     key/value pairs: the schema version, and what other modules remember (``meta``/``set_meta``)
``fsrs_params`` the learner's fitted FSRS parameters, one row per time they were applied (an event log,
             read by :mod:`gistquiz.fsrs_params`; rows are never changed)

This module and :mod:`gistquiz.demo_cache` are the only ones that hold SQL (``tests/test_architecture.py``
checks it): the rest of gistquiz asks for named operations.

Every answer is one ``BEGIN IMMEDIATE`` transaction that reads the card's state,
computes the new one and appends the log row, committed before the caller shows
the next card. WAL mode with ``synchronous=FULL`` keeps committed answers
through a killed process or a power cut; two processes answering at once wait
for each other (``busy_timeout``) instead of losing a write.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from gistquiz.errors import StoreError
from gistquiz.scheduler import CardState, Rating, State

__all__ = ["ReviewEntry", "Store", "StoreError"]

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS cards (
        key TEXT PRIMARY KEY,
        deck TEXT NOT NULL,
        state INTEGER NOT NULL,
        step INTEGER,
        stability REAL,
        difficulty REAL,
        due TEXT,
        last_review TEXT,
        reps INTEGER NOT NULL DEFAULT 0,
        lapses INTEGER NOT NULL DEFAULT 0,
        suspended INTEGER NOT NULL DEFAULT 0,
        buried_until TEXT,
        leech INTEGER NOT NULL DEFAULT 0,
        fingerprint TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX IF NOT EXISTS cards_deck ON cards(deck)",
    """CREATE TABLE IF NOT EXISTS reviews (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        card_key TEXT NOT NULL,
        deck TEXT NOT NULL,
        rating INTEGER NOT NULL,
        reviewed_at TEXT NOT NULL,
        duration_ms INTEGER,
        state_before INTEGER NOT NULL,
        state_after INTEGER NOT NULL,
        before_json TEXT NOT NULL,
        after_json TEXT NOT NULL,
        undoes INTEGER REFERENCES reviews(id),
        source TEXT NOT NULL DEFAULT 'review'
    )""",
    "CREATE INDEX IF NOT EXISTS reviews_time ON reviews(reviewed_at)",
    "CREATE INDEX IF NOT EXISTS reviews_card ON reviews(card_key)",
    "CREATE INDEX IF NOT EXISTS reviews_undoes ON reviews(undoes)",
    """CREATE TABLE IF NOT EXISTS links (
        old_key TEXT NOT NULL,
        new_key TEXT NOT NULL,
        deck TEXT NOT NULL,
        similarity REAL NOT NULL,
        linked_at TEXT NOT NULL,
        reported INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE IF NOT EXISTS demo_runs (
        card_key TEXT NOT NULL,
        demo TEXT NOT NULL,
        params TEXT NOT NULL,
        result TEXT NOT NULL,
        ran_at TEXT NOT NULL,
        PRIMARY KEY (card_key, demo, params)
    )""",
]

# Migrations, in order: step i takes the schema from version i + 1 to i + 2 (version 1 is ``_SCHEMA``).
# Each step runs in a transaction of its own that also records the new version, so a step that fails
# leaves the database at the version before it, and the next start tries that step again.
_MIGRATIONS: list[list[str]] = []

# The learner's FSRS parameters as logged events (``gistquiz optimize``): the body is JSON that
# gistquiz.fsrs_params writes and checks; a NULL deck means every deck without parameters of its own.
_MIGRATIONS.append(
    [
        """CREATE TABLE IF NOT EXISTS fsrs_params (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            applied_at TEXT NOT NULL,
            deck TEXT,
            mode TEXT NOT NULL,
            body TEXT NOT NULL
        )"""
    ]
)

SCHEMA_VERSION = 1 + len(_MIGRATIONS)

_CARD_COLUMNS = (
    "key, deck, state, step, stability, difficulty, due, last_review, reps, lapses, suspended, buried_until, leech"
)
_SELECT_CARDS = f"SELECT {_CARD_COLUMNS} FROM cards"
_CARD_BY_KEY = f"{_SELECT_CARDS} WHERE key=?"

# In the order of ReviewEntry's fields after ``id`` (see _review_values and _row_entry).
_REVIEW_COLUMNS = (
    "card_key, deck, rating, reviewed_at, duration_ms, state_before, state_after, before_json, after_json, undoes,"
    " source"
)
_INSERT_REVIEW = f"INSERT INTO reviews ({_REVIEW_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
_SELECT_REVIEWS = f"SELECT id, {_REVIEW_COLUMNS} FROM reviews r"

# An answer that counts: not an undo row, and not taken back by one. For queries on ``reviews r``.
_NOT_UNDONE = "r.rating > 0 AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes = r.id)"

_GET_META = "SELECT value FROM meta WHERE key=?"
_SET_META = "INSERT OR REPLACE INTO meta VALUES (?, ?)"


@dataclass(frozen=True)
class ReviewEntry:
    """One row of the review log.

    The full card states before and after are parsed from their JSON only when asked for: stats and
    rebuild read thousands of rows and need only the rating, the time and the state names.
    """

    id: int
    card_key: str
    deck: str
    rating: int
    reviewed_at: datetime
    duration_ms: int | None
    state_before: State
    state_after: State
    before_json: str = field(repr=False)
    after_json: str = field(repr=False)
    undoes: int | None
    source: str

    @cached_property
    def before(self) -> CardState:
        return CardState.from_dict(json.loads(self.before_json))

    @cached_property
    def after(self) -> CardState:
        return CardState.from_dict(json.loads(self.after_json))


class Store:
    def __init__(self, path: Path, timeout: float = 10.0):
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            self._migrate()
        except sqlite3.DatabaseError as err:
            raise StoreError(f"{path}: cannot open the review database: {err}") from None
        except OSError as err:
            raise StoreError(f"{path}: cannot open the review database: {err.strerror}") from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; the write lock is taken at the start, so reads inside are current."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _migrate(self) -> None:
        """Create the schema (version 1), then run each migration step not yet run, one transaction each."""
        with self.transaction() as db:
            db.execute(_SCHEMA[0])
            version = _schema_version(db)
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: made by a newer gistquiz (schema {version}, this one knows {SCHEMA_VERSION})"
                )
            if version == 0:
                for statement in _SCHEMA[1:]:
                    db.execute(statement)
                db.execute(_SET_META, ("schema_version", "1"))
        for target, statements in enumerate(_MIGRATIONS, start=2):
            with self.transaction() as db:
                if _schema_version(db) >= target:  # done before, or by another process meanwhile
                    continue
                for statement in statements:
                    db.execute(statement)
                db.execute(_SET_META, ("schema_version", str(target)))

    # ----------------------------------------------------------------- key/value pairs

    def meta(self, key: str) -> str | None:
        """The value stored under ``key`` in ``meta``, or None."""
        row = self.db.execute(_GET_META, (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute(_SET_META, (key, value))

    # ----------------------------------------------------------------- card state

    def states(self, deck: str | None = None) -> dict[str, CardState]:
        """Stored state of every card (of one deck), by key."""
        sql = _SELECT_CARDS
        rows = self.db.execute(sql + " WHERE deck=?", (deck,)) if deck else self.db.execute(sql)
        return {r[0]: _row_state(r) for r in rows}

    def state(self, key: str) -> CardState | None:
        return _read_state(self.db, key)

    def fingerprints(self, deck: str) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, fingerprint FROM cards WHERE deck=?", (deck,)))

    def answer(
        self,
        key: str,
        deck: str,
        rating: Rating,
        now: datetime,
        schedule: Callable[[CardState], CardState],
        duration_ms: int | None = None,
        fingerprint: str = "",
        source: str = "review",
    ) -> ReviewEntry:
        """Record an answer: read the card's state, ``schedule`` it, write it and log it, atomically."""
        with self.transaction() as db:
            before = _read_state(db, key) or CardState(key, deck)
            after = schedule(before)
            _write_state(db, after, fingerprint)
            entry = _new_entry(key, deck, rating, now, duration_ms, before, after, source)
            review_id = db.execute(_INSERT_REVIEW, _review_values(entry)).lastrowid
        assert review_id is not None
        return replace(entry, id=review_id)

    def undo_last(self, now: datetime, keys: Iterable[str] | None = None) -> ReviewEntry | None:
        """Take back the newest answer (of one of ``keys``) not yet undone: restore the state, log an undo."""
        allowed = set(keys) if keys is not None else None
        with self.transaction() as db:
            rows = db.execute(f"{_SELECT_REVIEWS} WHERE {_NOT_UNDONE} ORDER BY id DESC LIMIT 200")
            target = next((e for e in map(_row_entry, rows) if allowed is None or e.card_key in allowed), None)
            if target is None:
                return None
            current = _read_state(db, target.card_key)
            restored = _with_flags(target.before, current) if current else target.before
            _write_state(db, restored, None)
            undo = _new_entry(
                target.card_key, target.deck, 0, now, None, target.after, restored, target.source, undoes=target.id
            )
            db.execute(_INSERT_REVIEW, _review_values(undo))
        return target

    def set_flags(
        self,
        key: str,
        deck: str,
        *,
        suspended: bool | None = None,
        buried_until: datetime | None | bool = False,
        fingerprint: str = "",
    ) -> CardState:
        """Suspend/unsuspend or bury/unbury a card (``buried_until=None`` unburies)."""
        with self.transaction() as db:
            state = _read_state(db, key) or CardState(key, deck)
            changes: dict[str, Any] = {}
            if suspended is not None:
                changes["suspended"] = suspended
                if not suspended:
                    changes["leech"] = False
            if buried_until is not False:
                changes["buried_until"] = buried_until
            state = replace(state, **changes)
            _write_state(db, state, fingerprint)
        return state

    # ----------------------------------------------------------------- the log

    def reviews(
        self, since: datetime | None = None, deck: str | None = None, include_undone: bool = False
    ) -> list[ReviewEntry]:
        """Answers in time order (undo rows and the answers they undo left out unless asked for)."""
        where, args = ["1=1"], []
        if since is not None:
            where.append("r.reviewed_at >= ?")
            args.append(since.isoformat())
        if deck is not None:
            where.append("r.deck = ?")
            args.append(deck)
        if not include_undone:
            where.append(_NOT_UNDONE)
        sql = f"{_SELECT_REVIEWS} WHERE {' AND '.join(where)} ORDER BY id"
        return [_row_entry(r) for r in self.db.execute(sql, args)]

    def answer_rows(self) -> list[tuple[int, str, str, int, str, int | None, int, str]]:
        """(id, card key, deck, rating, reviewed_at, duration_ms, state before, source) of every answer that
        counts, in log order: the light read of the log for fitting and simulating (no card states)."""
        sql = (
            "SELECT r.id, r.card_key, r.deck, r.rating, r.reviewed_at, r.duration_ms, r.state_before, r.source"
            f" FROM reviews r WHERE {_NOT_UNDONE} ORDER BY r.id"
        )
        return self.db.execute(sql).fetchall()

    def review_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM reviews WHERE rating > 0").fetchone()[0]

    def answer_totals(self, since: datetime) -> tuple[int, int]:
        """(answers that count, milliseconds spent on them) since ``since``, from every source."""
        sql = (
            "SELECT COUNT(*), COALESCE(SUM(r.duration_ms), 0) FROM reviews r"
            f" WHERE r.reviewed_at >= ? AND {_NOT_UNDONE}"
        )
        n, ms = self.db.execute(sql, (since.isoformat(),)).fetchone()
        return n, ms

    def today_counts(self, day_start: datetime, keys: set[str] | None = None) -> tuple[int, int]:
        """(new cards introduced, review-state cards answered) in reviews since ``day_start``, of ``keys``."""
        return _count_today(self._reviewed_since(day_start), keys)

    def today_counts_each(self, day_start: datetime, key_sets: Iterable[set[str]]) -> list[tuple[int, int]]:
        """:meth:`today_counts` for each set of keys (each deck's), from one query."""
        rows = self._reviewed_since(day_start)
        return [_count_today(rows, keys) if keys else (0, 0) for keys in key_sets]

    def _reviewed_since(self, day_start: datetime) -> list[tuple[str, int]]:
        """(card key, state before) of each review answer in the study day from ``day_start`` (quiz answers
        do not count). The day ends 24 hours later, as ``Scheduler.next_day_start`` says: answers stamped
        later, given while the clock was ahead, are not today's."""
        sql = (
            "SELECT r.card_key, r.state_before FROM reviews r"
            f" WHERE r.reviewed_at >= ? AND r.reviewed_at < ? AND r.source='review' AND {_NOT_UNDONE}"
        )
        day = (day_start.isoformat(), (day_start + timedelta(days=1)).isoformat())
        return self.db.execute(sql, day).fetchall()

    # ----------------------------------------------------------------- re-linking

    def relink(self, old_key: str, new_key: str, deck: str, similarity: float, now: datetime, fp: str) -> None:
        """Move an edited card's state from its old key to its new one, and remember the link."""
        with self.transaction() as db:
            if db.execute("SELECT 1 FROM cards WHERE key=?", (new_key,)).fetchone():
                return  # the new card has a history of its own: never merge
            db.execute("UPDATE cards SET key=?, fingerprint=? WHERE key=?", (new_key, fp, old_key))
            db.execute(
                "INSERT INTO links (old_key, new_key, deck, similarity, linked_at) VALUES (?,?,?,?,?)",
                (old_key, new_key, deck, similarity, now.isoformat()),
            )

    def links(self) -> dict[str, str]:
        """Old key -> newest key, following chains of edits."""
        direct = dict(self.db.execute("SELECT old_key, new_key FROM links ORDER BY rowid"))
        resolved = {}
        for old in direct:
            new, seen = direct[old], {old}
            while new in direct and new not in seen:
                seen.add(new)
                new = direct[new]
            resolved[old] = new
        return resolved

    def unreported_links(self) -> list[tuple[str, str, str, float]]:
        with self.transaction() as db:
            rows = db.execute("SELECT old_key, new_key, deck, similarity FROM links WHERE reported=0").fetchall()
            db.execute("UPDATE links SET reported=1 WHERE reported=0")
        return rows

    # ----------------------------------------------------------------- rebuild

    def replace_states(self, states: Iterable[tuple[CardState, str | None]]) -> None:
        """Write many card states in one transaction (``gistquiz rebuild``)."""
        with self.transaction() as db:
            for state, fp in states:
                _write_state(db, state, fp)

    # ----------------------------------------------------------------- FSRS parameters (gistquiz optimize)

    def parameter_events(self) -> list[tuple[int, str, str | None, str, str]]:
        """Every stored parameter event as (id, applied_at, deck, mode, body), oldest first, unchecked."""
        return self.db.execute("SELECT id, applied_at, deck, mode, body FROM fsrs_params ORDER BY id").fetchall()

    def record_parameters(
        self, events: Iterable[tuple[datetime, str | None, str, str]], states: Iterable[CardState] = ()
    ) -> list[int]:
        """Log parameter events (applied_at, deck, mode, body) and write the card states they change, in one
        transaction; returns the events' ids."""
        ids = []
        with self.transaction() as db:
            for applied_at, deck, mode, body in events:
                cursor = db.execute(
                    "INSERT INTO fsrs_params (applied_at, deck, mode, body) VALUES (?,?,?,?)",
                    (applied_at.isoformat(), deck, mode, body),
                )
                ids.append(cursor.lastrowid)
            for state in states:
                _write_state(db, state, None)
        return ids

    # ----------------------------------------------------------------- imported history (gistquiz import)

    def import_reviews(
        self,
        cards: Iterable[tuple[CardState, str, Iterable[tuple[int, datetime, int | None, CardState, CardState]]]],
    ) -> list[str]:
        """Append review history from another app (``source='import'``) and set each card's state, in one transaction.

        ``cards`` holds, per card: its final state (from replaying the answers through the scheduler, as
        ``gistquiz rebuild`` does), its fingerprint, and its answers in time order as ``(rating, reviewed_at,
        duration_ms, state before, state after)``. A card that already has a log of its own (under its key, or
        re-linked to it) is left alone: its gistquiz history wins, and importing the same history twice adds
        nothing. Returns the keys written.
        """
        written = []
        with self.transaction() as db:
            for final, fingerprint, answers in cards:
                key = final.key
                if db.execute(
                    "SELECT 1 FROM reviews WHERE card_key=? UNION ALL SELECT 1 FROM links WHERE new_key=? LIMIT 1",
                    (key, key),
                ).fetchone():
                    continue
                db.executemany(
                    _INSERT_REVIEW,
                    [
                        _review_values(_new_entry(key, final.deck, rating, when, duration, before, after, "import"))
                        for rating, when, duration, before, after in answers
                    ],
                )
                _write_state(db, final, fingerprint)
                written.append(key)
        return written

    def integrity_ok(self) -> bool:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _schema_version(db: sqlite3.Connection) -> int:
    row = db.execute(_GET_META, ("schema_version",)).fetchone()
    return int(row[0]) if row else 0


def _count_today(rows: list[tuple[str, int]], keys: set[str] | None) -> tuple[int, int]:
    """(distinct new cards, answers to review-state cards) among ``rows`` of (key, state before)."""
    new, review = set(), 0
    for key, before in rows:
        if keys is not None and key not in keys:
            continue
        if before == State.NEW:
            new.add(key)
        elif before == State.REVIEW:
            review += 1
    return len(new), review


def _read_state(db: sqlite3.Connection, key: str) -> CardState | None:
    row = db.execute(_CARD_BY_KEY, (key,)).fetchone()
    return _row_state(row) if row else None


def _row_state(r: tuple[Any, ...]) -> CardState:
    return CardState(
        key=r[0],
        deck=r[1],
        state=State(r[2]),
        step=r[3],
        stability=r[4],
        difficulty=r[5],
        due=datetime.fromisoformat(r[6]) if r[6] else None,
        last_review=datetime.fromisoformat(r[7]) if r[7] else None,
        reps=r[8],
        lapses=r[9],
        suspended=bool(r[10]),
        buried_until=datetime.fromisoformat(r[11]) if r[11] else None,
        leech=bool(r[12]),
    )


def _write_state(db: sqlite3.Connection, s: CardState, fingerprint: str | None) -> None:
    values = (
        s.key,
        s.deck,
        int(s.state),
        s.step,
        s.stability,
        s.difficulty,
        s.due.isoformat() if s.due else None,
        s.last_review.isoformat() if s.last_review else None,
        s.reps,
        s.lapses,
        int(s.suspended),
        s.buried_until.isoformat() if s.buried_until else None,
        int(s.leech),
    )
    db.execute(
        f"INSERT INTO cards ({_CARD_COLUMNS}, fingerprint) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?, ?)"
        " ON CONFLICT(key) DO UPDATE SET deck=excluded.deck, state=excluded.state, step=excluded.step,"
        " stability=excluded.stability, difficulty=excluded.difficulty, due=excluded.due,"
        " last_review=excluded.last_review, reps=excluded.reps, lapses=excluded.lapses,"
        " suspended=excluded.suspended, buried_until=excluded.buried_until, leech=excluded.leech,"
        " fingerprint=CASE WHEN excluded.fingerprint = '' THEN cards.fingerprint ELSE excluded.fingerprint END",
        (*values, fingerprint or ""),
    )


def _with_flags(restored: CardState, current: CardState) -> CardState:
    """An undone answer restores scheduling, but a suspend or bury done since stays."""
    leech_from_answer = current.leech and not restored.leech
    return replace(
        restored,
        suspended=current.suspended and not leech_from_answer,
        buried_until=current.buried_until,
    )


def _new_entry(
    key: str,
    deck: str,
    rating: int,
    when: datetime,
    duration_ms: int | None,
    before: CardState,
    after: CardState,
    source: str,
    undoes: int | None = None,
) -> ReviewEntry:
    """A log row not yet written (``id`` 0): an answer, or an undo (rating 0, ``undoes`` its answer's id)."""
    before_json, after_json = json.dumps(before.to_dict()), json.dumps(after.to_dict())
    return ReviewEntry(
        0, key, deck, int(rating), when, duration_ms, before.state, after.state, before_json, after_json, undoes, source
    )


def _review_values(e: ReviewEntry) -> tuple[Any, ...]:
    """The values for ``_INSERT_REVIEW``, in ``_REVIEW_COLUMNS`` order."""
    return (
        e.card_key,
        e.deck,
        e.rating,
        e.reviewed_at.isoformat(),
        e.duration_ms,
        int(e.state_before),
        int(e.state_after),
        e.before_json,
        e.after_json,
        e.undoes,
        e.source,
    )


def _row_entry(r: tuple[Any, ...]) -> ReviewEntry:
    return ReviewEntry(
        id=r[0],
        card_key=r[1],
        deck=r[2],
        rating=r[3],
        reviewed_at=datetime.fromisoformat(r[4]),
        duration_ms=r[5],
        state_before=State(r[6]),
        state_after=State(r[7]),
        before_json=r[8],
        after_json=r[9],
        undoes=r[10],
        source=r[11],
    )
