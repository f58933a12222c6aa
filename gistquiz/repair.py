"""``gistquiz repair``: Anki's "Check Database" for gistquiz, with a counted list of what it did.

1. Check the database without writing to it (:func:`gistquiz.store.check_file`), and read every row
   still readable in it (:mod:`gistquiz.salvage`), keeping those gistquiz could have written.
2. Intact (every row readable and valid): back it up, then rebuild the card states by replaying the log.
3. Damaged: start a new database from the newest backup that passes its check, add every valid row of
   the damaged file the backup lacks (answers given after it; and re-links, parameter events, the records
   of exports to Anki and saved exercise code, where the file's row wins), replay the log into card states, and
   check the result with ``integrity_check``. The damaged file is moved into ``backups/``, never deleted,
   and the log ids (and times) of what could not be read are reported.

Card states are always the log's replay (:func:`gistquiz.rebuild.rebuild`), so whatever events the log
learns to hold (suspend, bury, fitted parameters) are restored the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gistquiz import backup, salvage
from gistquiz.errors import StoreError
from gistquiz.rebuild import fill_states, rebuild
from gistquiz.scheduler import CardState, Scheduler, State
from gistquiz.store import (
    DAMAGED_MARK,
    SCHEMA_VERSION,
    ReviewEntry,
    Store,
    check_file,
    others_open,
    review_from_row,
    state_from_row,
)

_BAD_ROW = (ValueError, TypeError, KeyError, AttributeError)
_SHOWN = 5  # lost ranges listed one by one


@dataclass(frozen=True)
class LostRange:
    """Log ids ``first``..``last`` that could not be read, between the answers given at ``after`` and ``before``."""

    first: int
    last: int
    after: datetime | None
    before: datetime | None

    def __str__(self) -> str:
        ids = f"id {self.first}" if self.first == self.last else f"ids {self.first}-{self.last}"
        span = " .. ".join(f"{t:%Y-%m-%d %H:%M}" if t else "?" for t in (self.after, self.before))
        return f"{ids} (answered between {span} UTC)"


@dataclass(frozen=True)
class RepairReport:
    path: Path
    problems: list[str]  # what the check found; [] when the database was intact
    backup_used: Path | None = None  # the newest good backup, when one was needed
    moved_to: Path | None = None  # where the damaged file now is
    reviews_from_backup: int = 0
    reviews_from_file: int = 0  # valid log rows read from the damaged file that the backup lacks
    states_refilled: int = 0  # of those, answers whose damaged JSON states the replay gave back
    lost: list[LostRange] = field(default_factory=list)
    lost_unknown: bool = False  # the log table itself was gone: what came after the backup cannot be counted
    cards_dropped: list[str] = field(default_factory=list)  # unreadable card rows with no log to rebuild them
    cards_replayed: int = 0
    cards_changed: int = 0
    anki_notes: int = 0  # records of notes exported to Anki, kept (their GUIDs and modification times)
    exercise_code: int = 0  # the learner's saved code for exercise cards, kept
    trusted_code: int = 0  # files the learner allowed to run (gistquiz/trust.py), kept
    integrity: str = "ok"

    @property
    def lost_count(self) -> int:
        return sum(r.last - r.first + 1 for r in self.lost)

    def lines(self) -> list[str]:
        """The counted list shown to the user."""
        out = [f"checked {self.path}: " + (self.problems[0] if self.problems else "ok")]
        if self.backup_used:
            out.append(f"restored {self.reviews_from_backup} answers from the backup {self.backup_used.name}")
        if self.problems:
            where = "after the backup" if self.backup_used else "in the damaged file"
            refilled = f" ({self.states_refilled} with their states replayed)" if self.states_refilled else ""
            out.append(f"kept {self.reviews_from_file} answers still readable {where}{refilled}")
        if self.lost:
            shown = "; ".join(map(str, self.lost[:_SHOWN]))
            more = f"; and {len(self.lost) - _SHOWN} more ranges" if len(self.lost) > _SHOWN else ""
            out.append(f"lost {self.lost_count} answers: {shown}{more}")
        if self.lost_unknown:
            out.append("the review log was gone: answers after the backup (if any) cannot be counted")
        for card in self.cards_dropped:
            out.append(f"dropped an unreadable card row ({card}): it has no answers to rebuild it from")
        out.append(f"rebuilt {self.cards_replayed} card states from the log; {self.cards_changed} changed")
        if self.anki_notes or self.exercise_code or self.trusted_code:
            out.append(
                f"kept {self.anki_notes} records of notes exported to Anki,"
                f" {self.exercise_code} saved exercise answers"
                f" and {self.trusted_code} files you allowed to run"
            )
        if self.moved_to:
            out.append(f"the damaged file is kept as {self.moved_to}")
        out.append(f"integrity_check: {self.integrity}")
        return out


def repair(path: Path, scheduler: Scheduler, now: datetime | None = None) -> RepairReport:
    now = now or datetime.now(UTC)
    if others := others_open(path):
        raise StoreError(f"{path}: open in another gistquiz ({len(others)}): quit it, then run 'gistquiz repair'")
    if not path.exists():
        raise StoreError(f"{path}: no review database here: nothing to repair")
    problems = [p for p in check_file(path) if p != "ok"]
    found = salvage.read(path)
    version = found.meta.get("schema_version", "")
    if version.isdigit() and int(version) > SCHEMA_VERSION:
        raise StoreError(f"{path}: made by a newer gistquiz (schema {version}); upgrade gistquiz, do not repair")
    if found.tables and not version.isdigit():
        problems.append(f"the schema version {version!r} is not a whole number")
    reviews, bad_reviews = _valid_reviews(found.reviews)
    cards, bad_cards = _valid_cards(found.cards)
    problems += found.problems + [f"{len(bad_reviews)} log rows hold values gistquiz never writes"] * bool(bad_reviews)
    problems += [f"card {k!r}: {why}" for k, why in bad_cards]
    if partial := sum(not e.before_json for e in reviews.values()):
        problems.append(f"{partial} log rows hold damaged card states")
    if found.unreadable_reviews or found.unreadable_cards:
        n = len(found.unreadable_reviews) + found.unreadable_cards
        problems.append(f"{n} rows cannot be read")
    if not problems:
        return _in_place(path, scheduler, now)
    return _rebuilt(path, scheduler, now, problems, found, reviews, cards, bad_reviews, bad_cards)


def _in_place(path: Path, scheduler: Scheduler, now: datetime) -> RepairReport:
    """The check passed: clear a stale damage note, back up, replay."""
    path.with_name(path.name + DAMAGED_MARK).unlink(missing_ok=True)
    with Store(path) as store:
        backup.before(store, "repair", now)
        result = rebuild(store, scheduler)
        integrity = "ok" if store.integrity_ok() else "failed"
    return RepairReport(path, [], cards_replayed=result.cards, cards_changed=len(result.changed), integrity=integrity)


def _rebuilt(
    path: Path,
    scheduler: Scheduler,
    now: datetime,
    problems: list[str],
    found: salvage.Salvage,
    reviews: dict[int, ReviewEntry],
    cards: dict[str, tuple[CardState, str]],
    bad_reviews: list[int],
    bad_cards: list[tuple[str, str]],
) -> RepairReport:
    """A new database from the newest good backup plus every valid row of the damaged file."""
    base = _newest_good_backup(path.parent / "backups")
    merged: dict[int, ReviewEntry] = {}
    meta: dict[str, str] = {}
    links = [row for row in found.links if _texts(*row[:3], row[4])]
    events = {row[0]: row for row in found.parameter_events if _event_ok(row)}
    # By primary key; the damaged file's rows are newer than the backup's, so they win.
    exported = {row[0]: row for row in found.anki_notes if _exported_ok(row)}
    code = {row[0]: row for row in found.exercise_code if _code_ok(row)}
    allowed = {row[:2]: row for row in found.trusted_code if _trusted_ok(row)}
    if base is not None:
        base_path, base_found = base
        merged, _ = _valid_reviews(base_found.reviews)
        base_cards, _ = _valid_cards(base_found.cards)
        cards = {**base_cards, **cards}
        meta = dict(base_found.meta)
        links = list(dict.fromkeys([*base_found.links, *links]))
        events = {**{row[0]: row for row in base_found.parameter_events if _event_ok(row)}, **events}
        exported = {**{row[0]: row for row in base_found.anki_notes if _exported_ok(row)}, **exported}
        code = {**{row[0]: row for row in base_found.exercise_code if _code_ok(row)}, **code}
        allowed = {**{row[:2]: row for row in base_found.trusted_code if _trusted_ok(row)}, **allowed}
    from_backup = len(merged)
    added = {i: e for i, e in reviews.items() if i not in merged}
    merged.update(added)
    link_map = {old: new for old, new, *_ in links}
    refilled = fill_states(merged, link_map, scheduler)
    meta.update(found.meta)
    top = max([found.top_review_id, *merged, *found.unreadable_reviews, *bad_reviews, 0])
    lost = _lost_ranges(merged, top)
    logged = {e.card_key for e in merged.values()}
    dropped = [k for k, _ in bad_cards if k not in logged and k not in cards]

    fresh = path.with_name(path.name + ".repairing")
    for leftover in (fresh, *_side_files(fresh)):
        leftover.unlink(missing_ok=True)
    with Store(fresh) as store:
        params = [events[i] for i in sorted(events)]
        store.restore(
            meta,
            cards.values(),
            (merged[i] for i in sorted(merged)),
            links,
            top + 1,
            params,
            anki_notes=exported.values(),
            exercise_code=code.values(),
            trusted_code=allowed.values(),
        )
        result = rebuild(store, scheduler)
        integrity = "ok" if store.integrity_ok() else "failed"
    if integrity != "ok":
        raise StoreError(f"{fresh}: the repaired database fails integrity_check; {path} is left as it was")
    moved = _move_aside(path, now)
    fresh.replace(path)
    path.with_name(path.name + DAMAGED_MARK).unlink(missing_ok=True)
    return RepairReport(
        path,
        problems,
        backup_used=base[0] if base else None,
        moved_to=moved,
        reviews_from_backup=from_backup,
        reviews_from_file=len(added),
        states_refilled=refilled,
        lost=lost,
        lost_unknown="reviews" not in found.tables,
        cards_dropped=dropped,
        cards_replayed=result.cards,
        cards_changed=len(result.changed),
        anki_notes=len(exported),
        exercise_code=len(code),
        trusted_code=len(allowed),
        integrity=integrity,
    )


def _valid_reviews(rows: list[tuple]) -> tuple[dict[int, ReviewEntry], list[int]]:
    """Log rows gistquiz could have written, by id, and the ids of the others. A row whose JSON states are
    damaged but whose card, rating and time are intact is kept with ``before_json`` empty: the replay
    (:func:`gistquiz.rebuild.fill_states`) gives it its states back."""
    good, bad = {}, []
    for row in rows:
        try:
            entry = review_from_row(row)
            if not _texts(entry.card_key, entry.deck, entry.source):
                raise ValueError("garbled text")
        except _BAD_ROW:
            entry = _answer_without_states(row)
            if entry is None:
                bad.append(row[0])
                continue
        good[entry.id] = entry
    # A flipped byte in a key reads as another key: a row whose states cannot vouch for it is kept only
    # when its card is known from a row that can, else it would add a card nobody answered.
    known = {(e.card_key, e.deck) for e in good.values() if e.before_json}
    for rid in [i for i, e in good.items() if not e.before_json and (e.card_key, e.deck) not in known]:
        bad.append(rid)
        del good[rid]
    return good, sorted(bad)


def _answer_without_states(row: tuple) -> ReviewEntry | None:
    """The answer in a log row whose states are unreadable, or None when the answer itself is damaged."""
    rid, key, deck, rating, when, duration, _, _, _, _, undoes, source, _ = row  # a rating of 1-4 is an answer
    try:
        reviewed_at = datetime.fromisoformat(when)
        ok = (
            isinstance(rid, int)
            and _texts(key, deck, source)
            and rating in (1, 2, 3, 4)
            and reviewed_at.utcoffset() == timedelta(0)
            and (duration is None or isinstance(duration, int))
            and (undoes is None or isinstance(undoes, int))
        )
    except (TypeError, ValueError):
        return None
    if not ok:
        return None
    return ReviewEntry(
        rid, key, deck, rating, reviewed_at, duration, State.NEW, State.NEW, "", "", undoes, source, "answer"
    )


def _valid_cards(rows: list[tuple]) -> tuple[dict[str, tuple[CardState, str]], list[tuple[str, str]]]:
    good, bad = {}, []
    for row in rows:
        try:
            state = state_from_row(row[:-1])
            if not _texts(state.key, state.deck):
                raise ValueError("its key or deck is not text")
        except _BAD_ROW as err:
            bad.append((str(row[0]), str(err)))
            continue
        good[state.key] = (state, row[-1] if isinstance(row[-1], str) else "")
    return good, bad


def _event_ok(row: tuple) -> bool:
    """A parameter event row as gistquiz writes it (its body is checked where it is read: fsrs_params)."""
    rid, applied_at, deck, mode, body = row
    return isinstance(rid, int) and _texts(applied_at, mode, body) and (deck is None or _texts(deck))


def _exported_ok(row: tuple) -> bool:
    """An ``anki_notes`` row as :meth:`gistquiz.store.Store.stamp_exported_notes` writes it."""
    key, deck, guid, fingerprint, content, changed_at = row
    return _texts(key, deck, guid, content) and isinstance(fingerprint, str) and type(changed_at) is int


def _trusted_ok(row: tuple) -> bool:
    """A ``trusted_code`` row as :meth:`gistquiz.store.Store.trust` writes it (a sha256 digest, how, when)."""
    path, digest, how, trusted_at = row
    if not (_texts(path, digest, trusted_at) and how in ("asked", "written")):
        return False
    return len(digest) == 64 and not digest.strip("0123456789abcdef") and _is_time(trusted_at)


def _code_ok(row: tuple) -> bool:
    """An ``exercise_code`` row as :meth:`gistquiz.store.Store.save_exercise_code` writes it."""
    key, code, saved_at = row
    return _texts(key, saved_at) and isinstance(code, str) and _is_time(saved_at)


def _is_time(text: str) -> bool:
    """``text`` is an ISO time, as the store writes ``datetime.isoformat()``."""
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _texts(*values: object) -> bool:
    """Every value is non-empty text (a :class:`salvage.Garbled` value is bytes, not text)."""
    return all(isinstance(v, str) and v for v in values)


def _newest_good_backup(folder: Path) -> tuple[Path, salvage.Salvage] | None:
    """The newest backup that passes its check and reads whole."""
    for b in backup.backups(folder):
        if check_file(b.path) != ["ok"]:
            continue
        found = salvage.read(b.path)
        if not found.problems and not found.unreadable_reviews and not found.unreadable_cards:
            return b.path, found
    return None


def _lost_ranges(merged: dict[int, ReviewEntry], top: int) -> list[LostRange]:
    """Runs of ids in 1..top missing from ``merged``, each with the times of the answers either side."""
    ranges, start = [], None
    for i in range(1, top + 2):
        if i <= top and i not in merged:
            start = i if start is None else start
        elif start is not None:
            prev, nxt = merged.get(start - 1), merged.get(i)
            ranges.append(LostRange(start, i - 1, prev.reviewed_at if prev else None, nxt.reviewed_at if nxt else None))
            start = None
    return ranges


def _side_files(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def _move_aside(path: Path, now: datetime) -> Path:
    """Move the damaged file (and its side files) into ``backups/`` as ``damaged-STAMP.sqlite3``."""
    folder = path.parent / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"damaged-{now.astimezone(UTC):%Y%m%d-%H%M%S}{path.suffix}"
    n = 2
    while target.exists():
        target = folder / f"damaged-{now.astimezone(UTC):%Y%m%d-%H%M%S}.{n}{path.suffix}"
        n += 1
    for side, suffix in zip(_side_files(path), ("-wal", "-shm", "-journal"), strict=True):
        if side.exists():
            side.replace(target.with_name(target.name + suffix))
    path.replace(target)
    return target
