"""Automatic backups of the review database: a way back, as Anki has.

A backup is taken once a day (at the first open of the day that finds answers to keep) and before every
command that rewrites much at once: ``rebuild``, ``import --with-history``, ``optimize``, ``repair`` and a
schema migration. Each is a full copy made with SQLite's online backup API, in ``backups/`` beside the
database, named ``gistquiz-YYYYMMDD-HHMMSS-REASON.sqlite3`` (UTC). Only a database that passes the full
check (:meth:`Store.check`) is backed up, and each copy is checked again once written; the newest
``KEEP`` are kept. Since a backup is kept only after it passed, the newest one is always good, and pruning
the oldest never removes the last good one.

To restore one by hand: quit gistquiz, move ``gistquiz.sqlite3`` (and any ``-wal``/``-shm`` beside it)
away, and copy the backup to ``gistquiz.sqlite3``. ``gistquiz repair`` does this and also keeps every
answer still readable in the damaged file.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from gistquiz.errors import StoreError
from gistquiz.locations import names_in
from gistquiz.store import Store, check_file

KEEP = 10
DAILY = timedelta(hours=24)
PREFIX, SUFFIX = "gistquiz-", ".sqlite3"


class Backup(NamedTuple):
    path: Path
    taken_at: datetime
    reason: str


def before(store: Store, reason: str, now: datetime | None = None) -> Path:
    """Check the database, then back it up (``reason`` names the occasion, e.g. ``"rebuild"``).

    Raises :class:`StoreError` when the check fails (the database is then marked damaged: nothing writes to
    it until ``gistquiz repair``) or when the backup cannot be written; either way the caller must not go on.
    """
    now = now or datetime.now(UTC)
    store.require_intact()
    target = _free_name(store.backups_dir, now, reason)
    store.backup_to(target)
    if (problems := check_file(target)) != ["ok"]:
        target.unlink(missing_ok=True)
        raise StoreError(f"{target}: the backup just written fails its check ({problems[0]}); check the disk")
    prune(store.backups_dir)
    return target


def daily(store: Store, now: datetime | None = None) -> Path | None:
    """The day's backup, when the newest is over a day old and there are answers to keep.

    A failed check raises (the first run of the day is when damage is found); a backup that cannot be
    written (a full disk) does not stop the day's reviews, so it is skipped until the next start.
    """
    now = now or datetime.now(UTC)
    newest = next(iter(backups(store.backups_dir)), None)
    if newest is not None and now - newest.taken_at < DAILY:
        return None
    if store.review_count() == 0:
        return None
    try:
        return before(store, "daily", now)
    except StoreError:
        if store.damaged:
            raise
        return None


def backups(folder: Path) -> list[Backup]:
    """The backups in ``folder``, newest first."""
    found = []
    ours = (n for n in names_in(folder) if n.startswith(PREFIX) and n[len(PREFIX) :].endswith(SUFFIX))
    for path in map(folder.joinpath, ours):
        parts = path.name[len(PREFIX) : -len(SUFFIX)].split("-", 2)
        if (taken := _stamp_time(parts)) is None:
            continue  # not one of ours
        found.append(Backup(path, taken, parts[2] if len(parts) > 2 else ""))
    return sorted(found, key=lambda b: (b.taken_at, _mtime(b.path)), reverse=True)  # two in one second: mtime


def _stamp_time(parts: list[str]) -> datetime | None:
    """The UTC time of a backup's name stamp (``_free_name``'s ``YYYYmmdd-HHMMSS``), else ``None``.

    Read by hand, not with ``strptime``: the first ``strptime`` of a process builds its locale's tables, a few
    milliseconds of every start of the app (its home screen lists the backups)."""
    if len(parts) < 2 or len(parts[0]) != 8 or len(parts[1]) != 6 or not (parts[0] + parts[1]).isascii():
        return None
    if not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    d, t = parts[0], parts[1]
    try:
        return datetime(int(d[:4]), int(d[4:6]), int(d[6:]), int(t[:2]), int(t[2:4]), int(t[4:]), tzinfo=UTC)
    except ValueError:
        return None


def prune(folder: Path, keep: int | None = None) -> list[Path]:
    """Delete all but the newest ``keep`` (default ``KEEP``) backups; returns what was deleted."""
    old = [b.path for b in backups(folder)[max(KEEP if keep is None else keep, 1) :]]
    for path in old:
        path.unlink(missing_ok=True)
    return old


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def _free_name(folder: Path, now: datetime, reason: str) -> Path:
    stamp = now.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    path = folder / f"{PREFIX}{stamp}-{reason}{SUFFIX}"
    n = 2
    while path.exists():  # two backups in one second (a migration, then a rebuild)
        path = folder / f"{PREFIX}{stamp}-{reason}.{n}{SUFFIX}"
        n += 1
    return path
