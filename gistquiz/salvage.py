"""What is still readable in a damaged review database, read row by row (for ``gistquiz repair``).

SQL lives in the store, except here: the store refuses a damaged database, and this module exists to read
one anyway. It never writes: the file is opened through :func:`gistquiz.store.readonly`.

A table is first read whole; when that fails (a damaged page), each row is looked up by its rowid
through the b-tree, so one damaged page loses only the rows on it. Text that is not UTF-8 comes back as
:class:`Garbled` bytes instead of failing its row: a log row whose JSON states are garbled still holds
the card, the rating and the time, which is what a replay needs.
"""

from __future__ import annotations

import sqlite3
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gistquiz.store import (
    ACTION_BEFORE,
    ACTION_SINCE,
    ANKI_NOTE_COLUMNS,
    CARD_COLUMNS,
    EXERCISE_CODE_COLUMNS,
    LINK_COLUMNS,
    PARAM_COLUMNS,
    REVIEW_COLUMNS,
    TABLES_SINCE,
    TRUSTED_CODE_COLUMNS,
    readonly,
)

# When neither max(rowid) nor sqlite_sequence can be read, probing goes on this far past the last row found.
_PROBE_AHEAD = 1000


@dataclass
class Salvage:
    """Raw rows as found; the caller decides which are valid. ``unreadable_*`` are rowids that raised."""

    tables: set[str] = field(default_factory=set)
    meta: dict[str, str] = field(default_factory=dict)
    cards: list[tuple[Any, ...]] = field(default_factory=list)  # CARD_COLUMNS, then fingerprint
    reviews: list[tuple[Any, ...]] = field(default_factory=list)  # id, then REVIEW_COLUMNS
    links: list[tuple[Any, ...]] = field(default_factory=list)  # LINK_COLUMNS
    parameter_events: list[tuple[Any, ...]] = field(default_factory=list)  # PARAM_COLUMNS (fitted FSRS parameters)
    anki_notes: list[tuple[Any, ...]] = field(default_factory=list)  # ANKI_NOTE_COLUMNS (what exports wrote)
    exercise_code: list[tuple[Any, ...]] = field(default_factory=list)  # EXERCISE_CODE_COLUMNS (the learner's code)
    trusted_code: list[tuple[Any, ...]] = field(default_factory=list)  # TRUSTED_CODE_COLUMNS (files allowed to run)
    unreadable_cards: int = 0
    unreadable_reviews: list[int] = field(default_factory=list)
    top_review_id: int = 0  # the highest id the log ever gave (sqlite_sequence), when readable
    problems: list[str] = field(default_factory=list)


class Garbled(bytes):
    """A text value whose bytes are not UTF-8 (flipped bits): kept, so the rest of its row still counts."""


def _text(data: bytes) -> str | Garbled:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return Garbled(data)


def read(path: Path) -> Salvage:
    out = Salvage()
    try:
        with readonly(path) as db:
            db.text_factory = _text  # a row with one garbled text is still read
            _read_into(db, out)
    except sqlite3.DatabaseError as err:  # not even the schema is readable
        out.problems.append(str(err))
    return out


def _read_into(db: sqlite3.Connection, out: Salvage) -> None:
    try:
        out.tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as err:
        out.problems.append(f"the list of tables is unreadable: {err}")
        return
    for table in ("meta", "cards", "reviews", "links"):
        if table not in out.tables:
            out.problems.append(f"table '{table}' is missing")
    if "meta" in out.tables:
        rows, _ = _rows(db, "meta", "key, value")
        out.meta = {k: v for _, k, v in rows if isinstance(k, str) and isinstance(v, str)}
    version = out.meta.get("schema_version", "")
    for table, since in TABLES_SINCE.items():
        if version.isdigit() and int(version) >= since and table not in out.tables:
            out.problems.append(f"table '{table}' is missing")
    if "cards" in out.tables:
        rows, lost = _rows(db, "cards", f"{CARD_COLUMNS}, fingerprint")
        out.cards, out.unreadable_cards = [r[1:] for r in rows], len(lost)
    with suppress(sqlite3.DatabaseError):
        row = db.execute("SELECT seq FROM sqlite_sequence WHERE name='reviews'").fetchone()
        out.top_review_id = row[0] if row and isinstance(row[0], int) else 0
    if "reviews" in out.tables:
        columns = REVIEW_COLUMNS
        if version.isdigit() and int(version) < ACTION_SINCE:  # a log from before actions were named
            columns = REVIEW_COLUMNS.replace(" action", f" {ACTION_BEFORE}")
        rows, out.unreadable_reviews = _rows(db, "reviews", columns, top=out.top_review_id)
        out.reviews = rows  # the rowid is the id
    if "links" in out.tables:
        rows, _ = _rows(db, "links", LINK_COLUMNS)
        out.links = [r[1:] for r in rows]
    if "fsrs_params" in out.tables:
        rows, lost = _rows(db, "fsrs_params", PARAM_COLUMNS)
        out.parameter_events = [r[1:] for r in rows]
        if lost:
            out.problems.append(f"{len(lost)} parameter events cannot be read")
    # Not the log, but what the learner would miss: an export's GUIDs and times (without them the next
    # export to Anki duplicates edited notes and updates every note), the code written for exercises, and
    # which files the learner allowed to run (without them every deck and demo asks again).
    for table, columns, what in (
        ("anki_notes", ANKI_NOTE_COLUMNS, "Anki export records"),
        ("exercise_code", EXERCISE_CODE_COLUMNS, "saved exercise answers"),
        ("trusted_code", TRUSTED_CODE_COLUMNS, "records of files allowed to run"),
    ):
        if table in out.tables:
            rows, lost = _rows(db, table, columns)
            setattr(out, table, [r[1:] for r in rows])
            if lost:
                out.problems.append(f"{len(lost)} {what} cannot be read")


def _rows(db: sqlite3.Connection, table: str, columns: str, top: int = 0) -> tuple[list[tuple], list[int]]:
    """(rowid + columns of every readable row, rowids that raised), in rowid order."""
    sql = f"SELECT rowid, {columns} FROM {table}"
    try:
        return db.execute(f"{sql} ORDER BY rowid").fetchall(), []
    except sqlite3.DatabaseError:
        pass
    with suppress(sqlite3.DatabaseError):
        top = max(top, db.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0)
    rows, lost = [], []
    rowid, last_found = 0, 0
    # Up to the highest known rowid; past it (when none is known), until _PROBE_AHEAD rowids in a row are empty.
    while rowid < top if top else rowid - last_found < _PROBE_AHEAD:
        rowid += 1
        try:
            row = db.execute(f"{sql} WHERE rowid=?", (rowid,)).fetchone()
        except sqlite3.DatabaseError:
            lost.append(rowid)
            continue
        if row is not None:
            rows.append(row)
            last_found = rowid
    cutoff = max(top, last_found)
    return rows, [r for r in lost if r <= cutoff]
