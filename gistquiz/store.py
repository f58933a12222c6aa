"""Review state on disk: one SQLite database, an append-only review log, nothing lost.

Tables
------
``cards``    the current state of every card that has been answered or flagged
``reviews``  the append-only log of every action on a card, named by ``action``: an answer (rating
             1-4), a suspend, unsuspend, bury or unbury (rating 0), and an undo (rating 0, ``undoes``
             pointing at the row it takes back)
``links``    history re-linked from an edited card's old key to its new one
``demo_runs`` the last result of a demo per card and parameters (a cache, read and written by
             :mod:`gistquiz.demo_cache` on this connection)
``anki_notes`` what each note looked like when last exported to Anki: its GUID, fingerprint, a hash of its
             content and when that content last changed (written by :meth:`Store.stamp_exported_notes`)
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

import atexit
import functools
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any, NamedTuple, ParamSpec, TypeVar

from gistquiz.deck import gc_paused
from gistquiz.errors import AnsweredElsewhere, StoreError
from gistquiz.locations import names_in
from gistquiz.scheduler import CardState, Rating, State

__all__ = [
    "FLAG_ACTIONS",
    "AnsweredElsewhere",
    "ExportedNote",
    "ReviewEntry",
    "Store",
    "StoreError",
    "check_file",
    "flagged",
]

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

# Anki export: what each note was when last exported, so its modification time is when its content last
# changed and its GUID follows it through edits (gistquiz/interop/anki_export.py).
_MIGRATIONS.append(
    [
        """CREATE TABLE IF NOT EXISTS anki_notes (
            key TEXT PRIMARY KEY,
            deck TEXT NOT NULL,
            guid TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            content TEXT NOT NULL,
            changed_at INTEGER NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS anki_notes_deck ON anki_notes(deck)",
        "CREATE INDEX IF NOT EXISTS anki_notes_guid ON anki_notes(guid)",  # an export looks each note up by GUID
    ]
)

# The learner's last code for each exercise card (one row per card key; an exercise's next showing starts
# from the starter unless the learner asks for this).
_MIGRATIONS.append(
    [
        """CREATE TABLE IF NOT EXISTS exercise_code (
            key TEXT PRIMARY KEY,
            code TEXT NOT NULL,
            saved_at TEXT NOT NULL
        )"""
    ]
)


def _state_json(suspended: str, buried_until: str) -> str:
    """SQL for a ``cards`` row as ``CardState.to_dict``'s JSON, with the two flags given as SQL."""
    # SQLite writes a REAL into JSON with 15 digits; 17 keep every bit of a double (what json.dumps writes).
    exact = "CASE WHEN {0} IS NULL THEN NULL ELSE json(printf('%!.17g', {0})) END"
    return (
        "json_object('key', key, 'deck', deck, 'state', state, 'step', step,"
        f" 'stability', {exact.format('stability')}, 'difficulty', {exact.format('difficulty')},"
        " 'due', due, 'last_review', last_review, 'reps', reps, 'lapses', lapses,"
        f" 'suspended', {suspended}, 'buried_until', {buried_until}, 'leech', leech)"
    )


def _backfill(action: str, where: str, before: str) -> str:
    """SQL logging one ``action`` row per card ``where`` the flag is set: the state from ``before`` to now."""
    return (
        "INSERT INTO reviews (card_key, deck, rating, reviewed_at, duration_ms, state_before, state_after,"
        " before_json, after_json, undoes, source, action)"
        f" SELECT key, deck, 0, strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), NULL, state, state, {before},"
        f" {_state_json('suspended', 'buried_until')}, NULL, 'migration', '{action}' FROM cards WHERE {where}"
    )


_MIGRATIONS.append(
    # 5: suspend, unsuspend, bury and unbury become rows of the log (``action``), so that an undo can take
    # back any action and ``rebuild`` replays them. The flags set before this step are logged once, now
    # (``source='migration'``): the log then explains every card's state. A leech's suspension is not
    # logged: replaying its answers suspends it again.
    [
        "ALTER TABLE reviews ADD COLUMN action TEXT NOT NULL DEFAULT 'answer'",
        "UPDATE reviews SET action='undo' WHERE rating=0",
        _backfill("suspend", "suspended=1 AND leech=0", _state_json("0", "buried_until")),
        _backfill("bury", "buried_until IS NOT NULL", _state_json("suspended", "NULL")),
    ]
)
ACTION_SINCE = 1 + len(_MIGRATIONS)
"""The schema version whose log has the ``action`` column (before it: answers, and undos with rating 0)."""
ACTION_BEFORE = "CASE WHEN rating = 0 THEN 'undo' ELSE 'answer' END"
"""What ``action`` was, in a log older than :data:`ACTION_SINCE` (``gistquiz repair`` reads such files)."""

# 6: code the learner allowed to run (gistquiz/trust.py): a file and the hash of what it held when they said
# yes, or when gistquiz itself wrote it (``how``: 'asked' or 'written'). Another hash asks again.
_MIGRATIONS.append(
    [
        """CREATE TABLE IF NOT EXISTS trusted_code (
            path TEXT NOT NULL,
            digest TEXT NOT NULL,
            how TEXT NOT NULL,
            trusted_at TEXT NOT NULL,
            PRIMARY KEY (path, digest)
        )"""
    ]
)

SCHEMA_VERSION = 1 + len(_MIGRATIONS)
TABLE_NAMES = ("meta", "cards", "reviews", "links", "demo_runs")  # version 1's
# Tables a migration adds, by the version that has them first (a database not yet migrated lacks them).
TABLES_SINCE = {"fsrs_params": 2, "anki_notes": 3, "exercise_code": 4, "trusted_code": 6}
PARAM_COLUMNS = "id, applied_at, deck, mode, body"
ANKI_NOTE_COLUMNS = "key, deck, guid, fingerprint, content, changed_at"
EXERCISE_CODE_COLUMNS = "key, code, saved_at"
TRUSTED_CODE_COLUMNS = "path, digest, how, trusted_at"

# Files beside the database (``gistquiz.sqlite3`` + suffix). A run leaves ``.open-PID-N`` while it has the
# database open and removes it on close: one left by a process that no longer runs marks an unclean exit.
# ``.damaged`` holds the first line of a failed check or read: from then on the database is opened only by
# ``gistquiz repair``, so nothing is written to it before it is repaired.
OPEN_MARK, DAMAGED_MARK = ".open-", ".damaged"
# Below this much free space, opening is refused: SQLite would create a -shm (32 KiB) and a -wal it cannot fill.
MIN_FREE = 256 * 1024
_opened = count()

CARD_COLUMNS = (
    "key, deck, state, step, stability, difficulty, due, last_review, reps, lapses, suspended, buried_until, leech"
)
_SELECT_CARDS = f"SELECT {CARD_COLUMNS} FROM cards"
LINK_COLUMNS = "old_key, new_key, deck, similarity, linked_at, reported"
_SELECT_QUEUE = "SELECT key, state, due, last_review, suspended, buried_until FROM cards"
_STATE_OF = {int(s): s for s in State}
_CARD_BY_KEY = f"{_SELECT_CARDS} WHERE key=?"
# A stored card that cannot be in the queue of the day [:start, :end): learning or review (not new: a new card is
# a candidate whatever its dates), due at or after the end, and not answered within the day. Decided on the text
# gistquiz writes (``isoformat()`` of a UTC time: "2026-03-04T15:00:00[.ffffff]+00:00"), whose order is the
# order of the times; a date in any other form is left to Python (a row that does not match is parsed).
_UTC_TEXT = "substr({0}, -6) = '+00:00'"
_NOT_TODAY = (
    "state IN (1, 2, 3)"
    f" AND (due IS NULL OR (due >= :end AND {_UTC_TEXT.format('due')}))"
    " AND (last_review IS NULL OR ((last_review < :start OR last_review >= :end)"
    f" AND {_UTC_TEXT.format('last_review')}))"
)
# Each card's key, and NULL when it is not in the day's queue, else its five columns as one text (no "|" in them).
# CASE, not iif(): SQLite before 3.32 (still in some systems' Python) has no iif.
_SELECT_DAY = (
    f"SELECT key, CASE WHEN {_NOT_TODAY} THEN NULL ELSE ifnull(state, '') || '|' || ifnull(due, '') || '|'"
    " || ifnull(last_review, '') || '|' || ifnull(suspended, 0) || '|' || ifnull(buried_until, '') END FROM cards"
)

# In the order of ReviewEntry's fields after ``id`` (see _review_values and _row_entry).
REVIEW_COLUMNS = (
    "card_key, deck, rating, reviewed_at, duration_ms, state_before, state_after, before_json, after_json, undoes,"
    " source, action"
)
_INSERT_REVIEW = f"INSERT INTO reviews ({REVIEW_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
_SELECT_REVIEWS = f"SELECT id, {REVIEW_COLUMNS} FROM reviews r"

# An answer that counts: not an undo or a flag row, and not taken back by one. For queries on ``reviews r``.
_NOT_UNDONE = "r.rating > 0 AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes = r.id)"
# Any action that stands: an answer or a change of flags, not taken back.
_STANDS = "r.action != 'undo' AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes = r.id)"

FLAG_ACTIONS = ("suspend", "unsuspend", "bury", "unbury")
"""The actions that change a card's flags, not its schedule (each a row of the log, like an answer)."""

_GET_META = "SELECT value FROM meta WHERE key=?"
_SET_META = "INSERT OR REPLACE INTO meta VALUES (?, ?)"


class ExportedNote(NamedTuple):
    """A note as last exported to Anki (a row of ``anki_notes``)."""

    key: str
    guid: str
    fingerprint: str
    content: str
    """A hash of what the export wrote (note type, fields, tags)."""
    changed_at: int
    """Unix seconds: when this content was first exported, the note's modification time in Anki."""


class ReviewEntry(NamedTuple):
    """One row of the review log.

    The full card states before and after are parsed from their JSON when asked for: stats and rebuild
    read thousands of rows and need only the rating, the time and the state names. (A named tuple: the
    frozen dataclass this was took 0.7 ms to create, in the imports the first screen's deck table waits for.)
    """

    id: int
    card_key: str
    deck: str
    rating: int
    reviewed_at: datetime
    duration_ms: int | None
    state_before: State
    state_after: State
    before_json: str
    after_json: str
    undoes: int | None
    source: str
    action: str = "answer"
    """``answer``, ``undo``, or one of :data:`FLAG_ACTIONS`."""

    @property
    def before(self) -> CardState:
        return CardState.from_dict(json.loads(self.before_json))

    @property
    def after(self) -> CardState:
        return CardState.from_dict(json.loads(self.after_json))


def state_from_row(row: tuple[Any, ...]) -> CardState:
    """A card's state from a row of ``CARD_COLUMNS``; ValueError or TypeError when it is not one gistquiz wrote."""
    return _parse_state(row)


def review_from_row(row: tuple[Any, ...]) -> ReviewEntry:
    """A log row (``id`` then ``REVIEW_COLUMNS``) with its JSON states parsed; ValueError, TypeError or
    KeyError when it is not one gistquiz wrote."""
    entry = _parse_entry(row)
    entry.before, entry.after  # noqa: B018 (parsing them is the check)
    if entry.action not in ("answer", "undo", *FLAG_ACTIONS) or (entry.action == "answer") != (entry.rating > 0):
        raise ValueError(f"not an action: {entry.action!r} with rating {entry.rating}")
    return entry


class QueueState(NamedTuple):
    """The part of a card's stored state that decides whether it is in today's queue, and where."""

    state: State
    due: datetime | None
    last_review: datetime | None
    suspended: bool
    buried_until: datetime | None


NOT_TODAY = None
"""A stored card that is not in the day's queue (:meth:`Store.queue_states` with a day), which
:func:`gistquiz.session.build_queue` skips (a card with no stored state is simply not in the mapping)."""
_fromiso, _new_tuple = datetime.fromisoformat, tuple.__new__


def _queue_state(state: int | str, due: str | None, last: str | None, suspended: int | str, buried: str | None):
    """A QueueState from the stored columns (or their text, ``""`` for NULL). QueueState's own __new__ would be
    a Python frame more per row."""
    return _new_tuple(
        QueueState,
        (
            _STATE_OF[int(state)],
            _fromiso(due) if due else None,
            _fromiso(last) if last else None,
            suspended not in (0, "0", None),
            _fromiso(buried) if buried else None,
        ),
    )


def _utc_text(t: datetime) -> str:
    """``t`` as gistquiz stores a time, to compare with stored text in SQL."""
    return t.astimezone(UTC).isoformat()


class _BadRow(Exception):
    """A row holding a value gistquiz never writes (a state of 42, a date that is not one)."""


def _explain(path: Path, err: sqlite3.DatabaseError) -> str:
    """One line for a failed read or write of the database: what happened and what to do."""
    code = getattr(err, "sqlite_errorcode", None)
    if code == sqlite3.SQLITE_FULL:
        return f"{path}: the disk is full: free some space and go on (every answer before this one is saved)"
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return f"{path}: busy: another gistquiz is writing to it; try again in a moment"
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
        return f"{path}: cannot write the review database ({err}): check the folder's permissions"
    if code is not None and code & 0xFF == sqlite3.SQLITE_IOERR:
        with suppress(OSError):
            if shutil.disk_usage(path.parent).free < MIN_FREE:
                return f"{path}: the disk is full: free some space and go on (every answer before this one is saved)"
        return f"{path}: cannot read or write the review database ({err}): check the disk"
    return f"{path}: cannot open the review database: {err}"


def _is_damage(err: sqlite3.DatabaseError) -> bool:
    """Whether an error says the file is damaged (and not that the disk is full, or the file busy)."""
    code = getattr(err, "sqlite_errorcode", None)
    if code is None:  # raised by Python's sqlite3 module on reading a row: text that is not UTF-8
        return "decode" in str(err)
    if code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return True
    return code == sqlite3.SQLITE_ERROR and str(err).startswith(("no such table", "no such column"))


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _guarded(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """A Store method whose failures become one line: a full disk says so; a read that finds the file
    damaged (SQLite's errors, text that is not UTF-8, a value no gistquiz writes) marks it damaged."""

    @functools.wraps(method)
    def guarded(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        store = args[0]
        assert isinstance(store, Store)
        try:
            return method(*args, **kwargs)
        except sqlite3.DatabaseError as err:
            if not _is_damage(err):
                raise StoreError(_explain(store.path, err)) from None
            store._fail(str(err))
        except _BadRow as err:
            store._fail(str(err))
        raise AssertionError("unreachable")  # _fail raises

    return guarded


class Store:
    """The review database. Opening it checks, at a cost that does not grow with it, that it is safe to
    write: the file's header, the schema version and the tables; the full ``quick_check`` runs too when
    the last run did not close it (see ``OPEN_MARK``). A database that fails is never written to."""

    def __init__(self, path: Path, timeout: float = 10.0):
        self.path = path
        self.damaged: str | None = None
        self._mark: Path | None = None
        self.db: sqlite3.Connection | None = None
        self.read_only = False
        side = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
        existed = [f for f in side if f.exists()]
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._check_before_open()
            if shutil.disk_usage(path.parent).free < MIN_FREE:
                raise StoreError(f"{path}: the disk is full: free some space, then start gistquiz again")
            self.db = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
            self.db.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            self._check_schema()
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self._migrate()
            self._mark_open()
        except (sqlite3.DatabaseError, OSError, StoreError) as err:
            self.close()
            for f in side:  # an open that failed leaves no side file it made (one a full disk left empty)
                if f not in existed and f.exists() and f.stat().st_size == 0:
                    f.unlink(missing_ok=True)
            if isinstance(err, sqlite3.DatabaseError):
                if _is_damage(err):
                    self._fail(str(err))
                raise StoreError(_explain(path, err)) from None
            if isinstance(err, OSError):
                raise StoreError(f"{path}: cannot open the review database: {err.strerror}") from None
            raise

    @classmethod
    def reader(cls, path: Path) -> Store:
        """A read-only look at a database that a normal open would take as it is: one that exists, in WAL mode,
        at this gistquiz's schema, not marked damaged, not open elsewhere (no -wal file), not left open by a
        run that ended uncleanly. Anything else raises :class:`StoreError` (a normal open decides what to do
        about it). It writes nothing, not even a damage mark: a failed read raises and the normal open checks
        for itself."""
        note = path.with_name(path.name + DAMAGED_MARK)
        wal = path.with_name(path.name + "-wal")
        if not path.is_file() or note.exists() or wal.exists() or header_problem(path) or _stale_marks(path):
            # A -wal file: open elsewhere now (or left by a crash), so there may be answers not yet in the file
            raise StoreError(f"{path}: not for a read-only look")
        with path.open("rb") as f:  # bytes 18-19 are 2 in WAL mode (the open's switch to WAL is a write)
            if f.read(20)[18:20] != b"\x02\x02":
                raise StoreError(f"{path}: not in WAL mode")
        store = cls.__new__(cls)
        store.path, store.damaged, store._mark, store.db = path, None, None, None
        store.read_only = True
        try:
            # immutable: no lock and no -shm or -wal file made; with no -wal, every answer is in the file itself
            uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
            store.db = sqlite3.connect(uri, uri=True, timeout=0, isolation_level=None, check_same_thread=False)
            tables = {name for (name,) in store.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if _schema_version(store.db) != SCHEMA_VERSION or not {*TABLE_NAMES, *TABLES_SINCE} <= tables:
                raise StoreError(f"{path}: not at schema {SCHEMA_VERSION}")
        except (sqlite3.Error, ValueError) as err:
            store.close()
            raise StoreError(f"{path}: {err}") from None
        except BaseException:
            store.close()
            raise
        return store

    def _check_before_open(self) -> None:
        """Refuse a database marked damaged, a file that is not one, and (after an unclean exit) a failed check."""
        path = self.path
        note = path.with_name(path.name + DAMAGED_MARK)
        if note.exists():
            reason = (note.read_text(encoding="utf-8", errors="replace").strip().splitlines() or ["damaged"])[0]
            raise StoreError(f"{path}: {reason}; run 'gistquiz repair' (nothing is written to it until then)")
        if problem := header_problem(path):
            raise StoreError(
                f"{path}: cannot open the review database: {problem}; 'gistquiz repair' restores the newest backup"
            )
        stale = _stale_marks(path)
        if stale and path.exists():
            problems = check_file(path)
            if problems != ["ok"]:
                self._fail(f"not closed cleanly, and the check found: {problems[0]}")
            for mark in stale:
                mark.unlink(missing_ok=True)

    def _check_schema(self) -> None:
        """The schema version is a whole number this gistquiz knows, and every table is there (reads only)."""
        assert self.db is not None
        tables = {name for (name,) in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables & set(TABLE_NAMES):
            return  # a new database
        version = _schema_version(self.db)
        if not version:
            self._fail("the schema version in table 'meta' is missing or not a whole number")
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: made by a newer gistquiz (schema {version}, this one knows {SCHEMA_VERSION});"
                " upgrade gistquiz"
            )
        needed = [*TABLE_NAMES, *(t for t, since in TABLES_SINCE.items() if version >= since)]
        if missing := [t for t in needed if t not in tables]:
            self._fail(f"table '{missing[0]}' is missing")

    def _fail(self, reason: str) -> None:
        """Remember that the database is damaged (beside it, so the next run knows too) and refuse it."""
        reason = (reason.strip().splitlines() or ["damaged"])[0]
        self.damaged = reason
        if self.read_only:  # a look (Store.reader) leaves the verdict to the normal open
            raise StoreError(f"{self.path}: {reason}")
        with suppress(OSError):  # a read-only folder: this run still refuses to write
            self.path.with_name(self.path.name + DAMAGED_MARK).write_text(reason + "\n", encoding="utf-8")
        raise StoreError(f"{self.path}: damaged: {reason}; run 'gistquiz repair' (backups: {self.backups_dir})")

    def _mark_open(self) -> None:
        mark = self.path.with_name(f"{self.path.name}{OPEN_MARK}{os.getpid()}-{next(_opened)}")
        try:
            mark.touch()
        except OSError:
            return  # a read-only folder: nothing can be written, so nothing can be left half-written
        self._mark = mark
        # A command that ends without closing its store still ends cleanly (every transaction has committed
        # or rolled back): only a killed process, or a crash of the interpreter, leaves its mark behind.
        atexit.register(self._unmark)

    @property
    def backups_dir(self) -> Path:
        return self.path.parent / "backups"

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
        self._unmark()

    def _unmark(self) -> None:
        if self._mark is not None:
            self._mark.unlink(missing_ok=True)
            self._mark = None
            atexit.unregister(self._unmark)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; the write lock is taken at the start, so reads inside are current."""
        if self.damaged:
            raise StoreError(f"{self.path}: damaged: {self.damaged}; run 'gistquiz repair'")
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
            self.db.execute("COMMIT")
        except BaseException:
            # SQLite has rolled back already after some errors (a full disk); a failed rollback must not hide
            # the error that caused it.
            if self.db.in_transaction:
                with suppress(sqlite3.Error):
                    self.db.execute("ROLLBACK")
            raise

    def _migrate(self) -> None:
        """Create the schema (version 1), then run each migration step not yet run, one transaction each."""
        if 0 < (_schema_version(self.db) or 0) < SCHEMA_VERSION:
            from gistquiz import backup  # a schema change is a way back's first occasion

            backup.before(self, "migration")
        with self.transaction() as db:
            db.execute(_SCHEMA[0])
            version = _schema_version(db)
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

    @_guarded
    def meta(self, key: str) -> str | None:
        """The value stored under ``key`` in ``meta``, or None."""
        row = self.db.execute(_GET_META, (key,)).fetchone()
        return row[0] if row else None

    @_guarded
    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute(_SET_META, (key, value))

    # ----------------------------------------------------------------- card state

    @_guarded
    def states(self, deck: str | None = None) -> dict[str, CardState]:
        """Stored state of every card (of one deck), by key."""
        sql = _SELECT_CARDS
        rows = self.db.execute(sql + " WHERE deck=?", (deck,)) if deck else self.db.execute(sql)
        return {r[0]: _row_state(r) for r in rows}

    @_guarded
    def queue_states(self, day: tuple[datetime, datetime] | None = None) -> dict[str, QueueState | None]:
        """What today's queue needs of every card's state, by key (:func:`gistquiz.session.build_queue`).

        Five of the thirteen columns and a tuple per card instead of a :class:`CardState`: a third of the
        time of :meth:`states`, which is most of opening a big collection.

        With ``day`` = (start, end) of the study day, a card that cannot be in that day's queue (learning or
        review, due at or after the day's end, not answered within it: most of a collection in use) is
        mapped to :data:`NOT_TODAY` (``None``), which ``build_queue`` skips as it would skip the card's own
        state. SQLite decides that on the stored text, in the one pass over the rows: those rows' dates never
        become Python objects (at 100,000 cards, parsing them grew faster than the cards did;
        ``bench_core.py --open``). The other rows come as one text each, split here.
        """
        try:
            with gc_paused():
                if day is None:
                    return {key: _queue_state(*row) for key, *row in self.db.execute(_SELECT_QUEUE)}
                bounds = {"start": _utc_text(day[0]), "end": _utc_text(day[1])}
                states = dict(self.db.execute(_SELECT_DAY, bounds))  # key -> None, or "state|due|last|..."
                states.update([(key, _queue_state(*text.split("|"))) for key, text in states.items() if text])
                return states
        except (KeyError, ValueError, TypeError) as err:
            raise _BadRow(f"a card holds a value gistquiz never writes ({err!r})") from None

    @_guarded
    def reviewed_keys(self) -> set[str]:
        """The keys of the stored cards answered at least once (``reps > 0``)."""
        return {key for (key,) in self.db.execute("SELECT key FROM cards WHERE reps > 0")}

    @_guarded
    def state(self, key: str) -> CardState | None:
        return _read_state(self.db, key)

    @_guarded
    def fingerprints(self, deck: str) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, fingerprint FROM cards WHERE deck=?", (deck,)))

    @_guarded
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
        shown: CardState | None = None,
    ) -> ReviewEntry:
        """Record an answer: read the card's state, ``schedule`` it, write it and log it, atomically.

        With ``shown`` (the state the screen showed), nothing is recorded unless the stored state is still
        that one: :class:`AnsweredElsewhere` is raised instead (checked inside the same transaction).
        """
        with self.transaction() as db:
            before = _read_state(db, key) or CardState(key, deck)
            _check_showing(before, shown)
            after = schedule(before)
            _write_state(db, after, fingerprint)
            return _append(db, _new_entry(key, deck, rating, now, duration_ms, before, after, source))

    @_guarded
    def flag(
        self, key: str, deck: str, action: str, now: datetime, until: datetime | None = None, fingerprint: str = ""
    ) -> ReviewEntry | None:
        """Suspend, unsuspend, bury (``until`` then) or unbury a card, and log it, atomically.

        Returns ``None`` and writes nothing when the card is already so (a second window, another
        process): each action is recorded once, and only if it changes the card.
        """
        with self.transaction() as db:
            before = _read_state(db, key) or CardState(key, deck)
            after = flagged(before, action, until)
            if after == before:
                return None
            _write_state(db, after, fingerprint)
            return _append(db, _new_entry(key, deck, 0, now, None, before, after, "review", action=action))

    @_guarded
    def undo(self, entry_id: int, now: datetime) -> ReviewEntry | None:
        """Take back one action of the log: restore what it changed, and log an undo row pointing at it.

        An answer's undo restores the schedule and keeps the flags set since (but a suspension the answer
        caused as a leech goes with it); a flag's undo restores that flag and keeps the schedule. A card
        re-linked since is restored under its current key. Returns the row undone (with the card's current
        key), or ``None`` when it is not in the log, is an undo itself, or was undone already.
        """
        with self.transaction() as db:
            row = db.execute(f"{_SELECT_REVIEWS} WHERE r.id=? AND {_STANDS}", (entry_id,)).fetchone()
            if row is None:
                return None
            target = _row_entry(row)
            key = self.links().get(target.card_key, target.card_key)
            current = _read_state(db, key)
            before = target.before._replace(key=key)
            if target.action == "answer":
                restored = _with_flags(before, current) if current else before
            else:
                restored = _flag_undone(target.action, before, current or before)
            _write_state(db, restored, None)
            undo = _new_entry(
                key, target.deck, 0, now, None, current or target.after, restored, target.source, target.id, "undo"
            )
            db.execute(_INSERT_REVIEW, _review_values(undo))
        return target._replace(card_key=key)

    @_guarded
    def undo_last(self, now: datetime, keys: Iterable[str] | None = None) -> ReviewEntry | None:
        """Take back the newest answer (of one of ``keys``) not yet undone (see :meth:`undo`); the
        session undoes its own actions by id instead, this serves scripts and tests of the log."""
        allowed = set(keys) if keys is not None else None
        rows = self.db.execute(f"{_SELECT_REVIEWS} WHERE {_NOT_UNDONE} ORDER BY id DESC LIMIT 200")
        target = next((e for e in map(_row_entry, rows) if allowed is None or e.card_key in allowed), None)
        return self.undo(target.id, now) if target else None

    # ----------------------------------------------------------------- the log

    @_guarded
    def reviews(
        self,
        since: datetime | None = None,
        deck: str | None = None,
        include_undone: bool = False,
        with_flags: bool = False,
    ) -> list[ReviewEntry]:
        """Answers in log order (undo rows and the rows they undo left out unless asked for); with
        ``with_flags``, the suspends, unsuspends, burys and unburys that stand too (``rebuild`` replays them)."""
        where, args = ["1=1"], []
        if since is not None:
            where.append("r.reviewed_at >= ?")
            args.append(since.isoformat())
        if deck is not None:
            where.append("r.deck = ?")
            args.append(deck)
        if not include_undone:
            where.append(_STANDS if with_flags else _NOT_UNDONE)
        sql = f"{_SELECT_REVIEWS} WHERE {' AND '.join(where)} ORDER BY id"
        return [_row_entry(r) for r in self.db.execute(sql, args)]

    @_guarded
    def answer_rows(self) -> list[tuple[int, str, str, int, str, int | None, int, str]]:
        """(id, card key, deck, rating, reviewed_at, duration_ms, state before, source) of every answer that
        counts, in log order: the light read of the log for fitting and simulating (no card states)."""
        sql = (
            "SELECT r.id, r.card_key, r.deck, r.rating, r.reviewed_at, r.duration_ms, r.state_before, r.source"
            f" FROM reviews r WHERE {_NOT_UNDONE} ORDER BY r.id"
        )
        return self.db.execute(sql).fetchall()

    def workload_rows(self) -> list[tuple[int, int, int | None]]:
        """(state before, rating, duration_ms) of every review answer that counts: all that ``gistquiz simulate``
        needs from the log (its answer times and rating shares), without the rest of :meth:`answer_rows`."""
        sql = (
            "SELECT r.state_before, r.rating, r.duration_ms FROM reviews r"
            f" WHERE r.source = 'review' AND r.rating BETWEEN 1 AND 4 AND {_NOT_UNDONE}"
        )
        return self.db.execute(sql).fetchall()

    @_guarded
    def review_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM reviews WHERE rating > 0").fetchone()[0]

    @_guarded
    def answer_totals(self, since: datetime) -> tuple[int, int]:
        """(answers that count, milliseconds spent on them) since ``since``, from every source."""
        sql = (
            "SELECT COUNT(*), COALESCE(SUM(r.duration_ms), 0) FROM reviews r"
            f" WHERE r.reviewed_at >= ? AND {_NOT_UNDONE}"
        )
        n, ms = self.db.execute(sql, (since.isoformat(),)).fetchone()
        return n, ms

    @_guarded
    def today_counts(self, day_start: datetime, keys: set[str] | None = None) -> tuple[int, int]:
        """(new cards introduced, review-state cards answered) in reviews since ``day_start``, of ``keys``."""
        return _count_today(self._reviewed_since(day_start), keys)

    @_guarded
    def today_counts_each(self, day_start: datetime, key_sets: Iterable[set[str]]) -> list[tuple[int, int]]:
        """:meth:`today_counts` for each set of keys (each deck's), from one query."""
        rows = self._reviewed_since(day_start)
        return [_count_today(rows, keys) if keys else (0, 0) for keys in key_sets]

    def _reviewed_since(self, day_start: datetime) -> list[tuple[str, int]]:
        """(card key, state before) of each review or exercise answer in the study day from ``day_start`` (quiz
        answers do not count). The day ends 24 hours later, as ``Scheduler.next_day_start`` says: answers stamped
        later, given while the clock was ahead, are not today's."""
        sql = (
            "SELECT r.card_key, r.state_before FROM reviews r"
            f" WHERE r.reviewed_at >= ? AND r.reviewed_at < ? AND r.source IN ('review', 'exercise') AND {_NOT_UNDONE}"
        )
        day = (day_start.isoformat(), (day_start + timedelta(days=1)).isoformat())
        return self.db.execute(sql, day).fetchall()

    # ----------------------------------------------------------------- re-linking

    @_guarded
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

    @_guarded
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

    @_guarded
    def link_origins(self) -> dict[str, str]:
        """Newest key -> the first key its card had, following chains of edits (the inverse of :meth:`links`)."""
        new_keys = {new for (new,) in self.db.execute("SELECT new_key FROM links")}
        return {new: old for old, new in self.links().items() if old not in new_keys}

    @_guarded
    def unreported_links(self) -> list[tuple[str, str, str, float]]:
        with self.transaction() as db:
            rows = db.execute("SELECT old_key, new_key, deck, similarity FROM links WHERE reported=0").fetchall()
            db.execute("UPDATE links SET reported=1 WHERE reported=0")
        return rows

    # ----------------------------------------------------------------- rebuild

    @_guarded
    def replace_states(self, states: Iterable[tuple[CardState, str | None]]) -> None:
        """Write many card states in one transaction (``gistquiz rebuild``)."""
        with self.transaction() as db:
            for state, fp in states:
                _write_state(db, state, fp)

    # ----------------------------------------------------------------- FSRS parameters (gistquiz optimize)

    @_guarded
    def parameter_events(self) -> list[tuple[int, str, str | None, str, str]]:
        """Every stored parameter event as (id, applied_at, deck, mode, body), oldest first, unchecked."""
        return self.db.execute(f"SELECT {PARAM_COLUMNS} FROM fsrs_params ORDER BY id").fetchall()

    @_guarded
    def record_parameters(
        self, events: Iterable[tuple[datetime, str | None, str, str]], states: Iterable[CardState] = ()
    ) -> list[int]:
        """Log parameter events (applied_at, deck, mode, body) and write the card states they change, in one
        transaction; returns the events' ids. The database is checked and backed up first ("optimize")."""
        from gistquiz import backup  # lazily: backup imports this module

        backup.before(self, "optimize")
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

    # ----------------------------------------------------------------- exercise cards

    def exercise_code(self, key: str) -> str | None:
        """The learner's last code for the exercise card ``key``, or None."""
        row = self.db.execute("SELECT code FROM exercise_code WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def save_exercise_code(self, key: str, code: str, now: datetime) -> None:
        """Keep ``code`` as the learner's last code for ``key`` (replacing the one before)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO exercise_code (key, code, saved_at) VALUES (?,?,?) "
                "ON CONFLICT(key) DO UPDATE SET code=excluded.code, saved_at=excluded.saved_at",
                (key, code, now.isoformat()),
            )

    # ----------------------------------------------------------------- code the learner allowed to run

    def is_trusted(self, path: str, digest: str) -> bool:
        """Whether the file ``path`` holding content ``digest`` was allowed to run (see gistquiz/trust.py)."""
        row = self.db.execute("SELECT 1 FROM trusted_code WHERE path=? AND digest=?", (path, digest)).fetchone()
        return row is not None

    def trust(self, path: str, digest: str, how: str, now: datetime) -> None:
        """Record that ``path`` with content ``digest`` may run: the learner said yes, or gistquiz wrote it."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO trusted_code (path, digest, how, trusted_at) VALUES (?,?,?,?)",
                (path, digest, how, now.isoformat()),
            )

    # ----------------------------------------------------------------- imported history (gistquiz import)

    @_guarded
    def import_reviews(
        self,
        cards: Iterable[tuple[CardState, str, Iterable[tuple[int, datetime, int | None, CardState, CardState]]]],
    ) -> list[str]:
        """Append review history from another app (``source='import'``) and set each card's state, in one transaction.

        ``cards`` holds, per card: its final state (from replaying the answers through the scheduler, as
        ``gistquiz rebuild`` does), its fingerprint, and its answers in time order as ``(rating, reviewed_at,
        duration_ms, state before, state after)``. A card that already has a log of its own (under its key, or
        re-linked to it) is left alone: its gistquiz history wins, and importing the same history twice adds
        nothing. Returns the keys written. The database is checked and backed up first (a reason of "import").
        """
        from gistquiz import backup  # lazily: backup imports this module

        backup.before(self, "import")
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
                # The other app's suspend and bury, as rows of the log, so that a replay keeps them.
                flags = [("suspend", final._replace(suspended=False))] if final.suspended and not final.leech else []
                if final.buried_until is not None:
                    flags.append(("bury", final._replace(buried_until=None)))
                when = final.last_review or datetime.now(UTC)  # after its last answer, as in the other app
                for action, before in flags:
                    entry = _new_entry(key, final.deck, 0, when, None, before, final, "import", action=action)
                    db.execute(_INSERT_REVIEW, _review_values(entry))
                _write_state(db, final, fingerprint)
                written.append(key)
        return written

    # ----------------------------------------------------------------- Anki export

    @_guarded
    def exported_notes(self, deck: str) -> dict[str, ExportedNote]:
        """The deck's notes as last exported to Anki, by note key."""
        rows = self.db.execute(
            "SELECT key, guid, fingerprint, content, changed_at FROM anki_notes WHERE deck=?", (deck,)
        )
        return {r[0]: ExportedNote(*r) for r in rows}

    @_guarded
    def stamp_exported_notes(self, deck: str, notes: Iterable[ExportedNote], seen_at: int) -> dict[str, ExportedNote]:
        """Record an export of the deck's ``notes``; returns each as recorded, by key.

        A note whose key and content are as last recorded keeps its ``changed_at`` (so exporting again
        changes nothing in Anki); a new or changed one is stamped ``seen_at``, the first time it is seen
        changed. ``changed_at`` never goes back: Anki takes an update only if it is newer than its own copy.
        """
        out = {}
        with self.transaction() as db:
            # By GUID: an edited card that keeps its GUID (a new key) keeps its row. One read, one write.
            rows = db.execute("SELECT guid, key, content, changed_at FROM anki_notes WHERE deck=?", (deck,))
            known = {guid: (key, content, changed_at) for guid, key, content, changed_at in rows}
            moved, changed = [], []
            for note in notes:
                row = known.get(note.guid)
                if row is not None and row[1] == note.content:
                    changed_at = row[2]
                else:
                    changed_at = max(seen_at, row[2] + 1) if row is not None else seen_at
                if row is not None and row[0] != note.key:
                    moved.append((note.guid, note.key))
                out[note.key] = note = note._replace(changed_at=changed_at)
                if row != (note.key, note.content, changed_at):  # unchanged rows are not written again
                    changed.append((note.key, deck, note.guid, note.fingerprint, note.content, changed_at))
            db.executemany("DELETE FROM anki_notes WHERE guid=? AND key<>?", moved)
            db.executemany(
                "INSERT OR REPLACE INTO anki_notes (key, deck, guid, fingerprint, content, changed_at)"
                " VALUES (?,?,?,?,?,?)",
                changed,
            )
        return out

    def integrity_ok(self) -> bool:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    # ----------------------------------------------------------------- the full check, backups

    def check(self) -> list[str]:
        """The full check, linear in the database's size: SQLite's ``quick_check``, then every card and log
        row read as gistquiz reads them (a state of 42 passes SQLite's check). ``[]`` when it passes."""
        try:
            lines = _problems(self.db)
            if lines != ["ok"]:
                return lines
            for row in self.db.execute(_SELECT_CARDS):
                _row_state(row)
            version = _schema_version(self.db) or SCHEMA_VERSION
            select = _SELECT_REVIEWS
            if version < ACTION_SINCE:  # checked before migrating (the backup first): no action column yet
                select = select.replace(" action ", f" {ACTION_BEFORE} ")
            for row in self.db.execute(select):
                try:
                    review_from_row(row)  # the JSON states too, which reading a row leaves for later
                except (ValueError, TypeError, KeyError) as err:
                    return [f"review {row[0]} holds a value gistquiz never writes ({err})"]
        except (sqlite3.DatabaseError, _BadRow) as err:
            return [str(err)]
        return []

    def require_intact(self) -> None:
        """Run :meth:`check`; a database that fails is marked damaged and refused (:class:`StoreError`)."""
        if self.damaged:
            raise StoreError(f"{self.path}: damaged: {self.damaged}; run 'gistquiz repair'")
        if problems := self.check():
            self._fail(problems[0])

    @_guarded
    def restore(
        self,
        meta: dict[str, str],
        cards: Iterable[tuple[CardState, str]],
        reviews: Iterable[ReviewEntry],
        links: Iterable[tuple[Any, ...]],
        next_review_id: int,
        parameter_events: Iterable[tuple[Any, ...]] = (),
        anki_notes: Iterable[tuple[Any, ...]] = (),
        exercise_code: Iterable[tuple[Any, ...]] = (),
        trusted_code: Iterable[tuple[Any, ...]] = (),
    ) -> None:
        """Fill a new database with rows saved from a damaged one (``gistquiz repair``), in one transaction.

        ``anki_notes``, ``exercise_code`` and ``trusted_code`` are rows of those tables
        (:data:`ANKI_NOTE_COLUMNS`, :data:`EXERCISE_CODE_COLUMNS`, :data:`TRUSTED_CODE_COLUMNS`).

        Log rows keep their ids, and new answers are numbered from ``next_review_id`` on, so the ids of
        rows that were lost are never reused and the repair report's ranges stay true.
        """
        with self.transaction() as db:
            db.executemany(_SET_META, [(k, v) for k, v in meta.items() if k != "schema_version"])
            for state, fingerprint in cards:
                _write_state(db, state, fingerprint)
            db.executemany(
                f"INSERT INTO reviews (id, {REVIEW_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(e.id, *_review_values(e)) for e in reviews],
            )
            db.executemany(f"INSERT INTO links ({LINK_COLUMNS}) VALUES (?,?,?,?,?,?)", links)
            db.executemany(f"INSERT INTO fsrs_params ({PARAM_COLUMNS}) VALUES (?,?,?,?,?)", parameter_events)
            db.executemany(f"INSERT INTO anki_notes ({ANKI_NOTE_COLUMNS}) VALUES (?,?,?,?,?,?)", anki_notes)
            db.executemany(f"INSERT INTO exercise_code ({EXERCISE_CODE_COLUMNS}) VALUES (?,?,?)", exercise_code)
            db.executemany(f"INSERT INTO trusted_code ({TRUSTED_CODE_COLUMNS}) VALUES (?,?,?,?)", trusted_code)
            db.execute("DELETE FROM sqlite_sequence WHERE name='reviews'")
            db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('reviews', ?)", (next_review_id - 1,))

    def backup_to(self, target: Path) -> None:
        """Copy the database to ``target`` with SQLite's online backup API (a consistent snapshot, even while
        another process writes). Written beside ``target`` first, so a full disk never leaves half a backup."""
        partial = target.with_name(target.name + ".partial")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            copy = sqlite3.connect(partial)
            try:
                self.db.backup(copy)
            finally:
                copy.close()
            partial.replace(target)
        except (sqlite3.DatabaseError, OSError) as err:
            partial.unlink(missing_ok=True)
            raise StoreError(f"{target}: cannot write the backup: {err}") from None


def _check_showing(before: CardState, shown: CardState | None) -> None:
    """One answer per showing: the state read in the answer's transaction must be the one shown."""
    if shown is not None and before != shown:
        raise AnsweredElsewhere(before.key)


def _schema_version(db: sqlite3.Connection) -> int | None:
    """The stored schema version: 0 for a new database, None when it is not a whole number."""
    if not db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone():
        return 0
    row = db.execute(_GET_META, ("schema_version",)).fetchone()
    if row is None:
        return 0
    try:
        return int(row[0])
    except (TypeError, ValueError):
        return None


# ----------------------------------------------------------------- checks that never write


def header_problem(path: Path) -> str | None:
    """What is wrong with the database file's 100-byte header (constant cost), or None.

    The layout is SQLite's (https://www.sqlite.org/fileformat.html#the_database_header): the magic string,
    the page size at offset 16 (1 meaning 65536), and the file is a whole number of pages.
    """
    try:
        size = path.stat().st_size
        if size == 0:
            return None  # a new database
        with path.open("rb") as f:
            head = f.read(100)
    except FileNotFoundError:
        return None
    except OSError as err:
        return f"cannot read: {err.strerror}"
    if len(head) < 100 or not head.startswith(b"SQLite format 3\x00"):
        return "not a gistquiz database (no SQLite header)"
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page
    if page < 512 or page & (page - 1):
        return f"damaged header (page size {page})"
    if size % page:
        return f"truncated or damaged ({size} bytes is not a whole number of {page}-byte pages)"
    pages = int.from_bytes(head[28:32], "big")
    # The page count at offset 28 is valid when the change counter (24) matches offset 92; with a -wal, the
    # file may not hold the newest pages yet, so only without one does a shorter file mean a cut.
    valid = head[24:28] == head[92:96]
    if valid and pages * page > size and not path.with_name(path.name + "-wal").exists():
        return f"truncated ({size} bytes, its header says {pages} pages of {page} bytes)"
    return None


def check_file(path: Path) -> list[str]:
    """``PRAGMA quick_check`` of the database at ``path`` (``["ok"]`` when it passes), without writing to it
    (see :func:`readonly`)."""
    if problem := header_problem(path):
        return [problem]
    try:
        with readonly(path) as db:
            return _problems(db)
    except sqlite3.DatabaseError as err:
        return [str(err)]


@contextmanager
def readonly(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection that cannot change ``path`` or create files beside it.

    Even a read-only open of a WAL database creates its ``-shm`` file, so with a ``-wal`` present this
    reads a copy of both (opening the copy replays the log into it); without one, the file itself,
    opened ``immutable=1``, which SQLite reads without locks or side files.
    """
    wal = path.with_name(path.name + "-wal")
    with tempfile.TemporaryDirectory(prefix="gistquiz-check-") as tmp:
        if wal.exists():
            copy = Path(tmp) / path.name
            shutil.copyfile(path, copy)
            shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
            uri = copy.resolve().as_uri()
        else:
            uri = f"{path.resolve().as_uri()}?immutable=1"
        db = sqlite3.connect(uri, uri=True)
        try:
            yield db
        finally:
            db.close()


def _problems(db: sqlite3.Connection) -> list[str]:
    """``PRAGMA quick_check``'s lines, without its "*** in database main ***" heading."""
    return [row[0] for row in db.execute("PRAGMA quick_check") if not row[0].startswith("*** in database")]


def _stale_marks(path: Path) -> list[Path]:
    """``OPEN_MARK`` files left by processes that no longer run (an unclean exit)."""
    return [mark for mark, alive in _marks(path) if not alive]


def others_open(path: Path) -> list[Path]:
    """``OPEN_MARK`` files of stores open now, in this process or another."""
    return [mark for mark, alive in _marks(path) if alive]


def _marks(path: Path) -> list[tuple[Path, bool]]:
    out = []
    prefix = path.name + OPEN_MARK
    for mark in (path.parent / name for name in names_in(path.parent) if name.startswith(prefix)):
        pid = mark.name[len(prefix) :].split("-")[0]
        out.append((mark, pid.isdigit() and _running(int(pid))))
    return out


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill(pid, 0) would end the process there: count it as gone, and check
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


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
    try:
        return _parse_state(r)
    except (ValueError, TypeError) as err:
        raise _BadRow(f"card {r[0]!r} holds a value gistquiz never writes ({err})") from None


def _parse_state(r: tuple[Any, ...]) -> CardState:
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
        f"INSERT INTO cards ({CARD_COLUMNS}, fingerprint) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?, ?)"
        " ON CONFLICT(key) DO UPDATE SET deck=excluded.deck, state=excluded.state, step=excluded.step,"
        " stability=excluded.stability, difficulty=excluded.difficulty, due=excluded.due,"
        " last_review=excluded.last_review, reps=excluded.reps, lapses=excluded.lapses,"
        " suspended=excluded.suspended, buried_until=excluded.buried_until, leech=excluded.leech,"
        " fingerprint=CASE WHEN excluded.fingerprint = '' THEN cards.fingerprint ELSE excluded.fingerprint END",
        (*values, fingerprint or ""),
    )


def flagged(state: CardState, action: str, until: datetime | None = None) -> CardState:
    """The state after a flag action (one of :data:`FLAG_ACTIONS`); unsuspending a leech clears the mark."""
    if action == "suspend":
        return state._replace(suspended=True)
    if action == "unsuspend":
        return state._replace(suspended=False, leech=False)
    if action == "bury":
        return state._replace(buried_until=until)
    if action == "unbury":
        return state._replace(buried_until=None)
    raise ValueError(f"not a flag action: {action!r}")


def _flag_undone(action: str, before: CardState, current: CardState) -> CardState:
    """``current`` with the flag ``action`` changed put back as it was ``before`` it; nothing else moves."""
    if action in ("suspend", "unsuspend"):
        return current._replace(suspended=before.suspended, leech=before.leech)
    return current._replace(buried_until=before.buried_until)


def _with_flags(restored: CardState, current: CardState) -> CardState:
    """An undone answer restores scheduling, but a suspend or bury done since stays."""
    leech_from_answer = current.leech and not restored.leech
    return restored._replace(
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
    action: str = "answer",
) -> ReviewEntry:
    """A log row not yet written (``id`` 0): an answer, a flag action, or an undo (``undoes`` its row's id)."""
    before_json, after_json = json.dumps(before.to_dict()), json.dumps(after.to_dict())
    return ReviewEntry(
        0,
        key,
        deck,
        int(rating),
        when,
        duration_ms,
        before.state,
        after.state,
        before_json,
        after_json,
        undoes,
        source,
        action,
    )


def _append(db: sqlite3.Connection, entry: ReviewEntry) -> ReviewEntry:
    """Insert a new log row; returns the entry with its id."""
    row_id = db.execute(_INSERT_REVIEW, _review_values(entry)).lastrowid
    assert row_id is not None
    return entry._replace(id=row_id)


def _review_values(e: ReviewEntry) -> tuple[Any, ...]:
    """The values for ``_INSERT_REVIEW``, in ``REVIEW_COLUMNS`` order."""
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
        e.action,
    )


def _row_entry(r: tuple[Any, ...]) -> ReviewEntry:
    try:
        return _parse_entry(r)
    except (ValueError, TypeError) as err:
        raise _BadRow(f"review {r[0]!r} holds a value gistquiz never writes ({err})") from None


def _parse_entry(r: tuple[Any, ...]) -> ReviewEntry:
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
        action=r[12],
    )
