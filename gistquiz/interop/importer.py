"""``gistquiz import``: read an Anki package or text export, plan the deck files, then write everything or nothing.

Everything that can fail is done before the first byte lands where the user
will see it: the package is read and checked, the notes converted, the decks
rendered and parsed back, the history replayed. Then the deck files and media
are written to temporary files beside their targets, the history is committed
in one transaction, and the temporary files are renamed into place.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path

from gistquiz.deck import gc_paused
from gistquiz.errors import UserError
from gistquiz.interop.anki_model import SourceNote
from gistquiz.interop.convert import ImportPlan, deck_paths, plan
from gistquiz.interop.html_md import CONTROL, strip_controls
from gistquiz.scheduler import Scheduler
from gistquiz.store import Store

MAX_TEXT_BYTES = 256 * 2**20
ZIP_MAGIC = b"PK\x03\x04"
DISK_MARGIN = 64 * 2**20
"""Free space left after an import, for the database and the system."""


@dataclass
class ImportResult:
    plan: ImportPlan
    media_files: int = 0
    history_cards: int = 0
    history_reviews: int = 0
    history_kept: int = 0
    """Cards whose gistquiz history was kept instead of the imported one."""
    history_ignored: int = 0
    """Log entries that were not answers (manual changes) or belong to cards not imported."""
    messages: list[str] = field(default_factory=list)


def import_file(
    source: Path,
    decks_dir: Path,
    store: Store | None = None,
    scheduler: Scheduler | None = None,
    output: Path | None = None,
    with_history: bool = False,
    force: bool = False,
    media_limit_mib: int | None = None,
) -> ImportResult:
    """Import ``source`` into deck files under ``decks_dir`` (or ``output``).

    ``store`` may be a callable that opens it: it is called only once everything has been read and checked,
    so a package that fails leaves no database behind.
    """
    label = str(source)
    try:
        with open(source, "rb") as f:
            head = f.read(4)
    except OSError as err:
        raise UserError(f"{label}: cannot read: {err.strerror or err}") from None
    with ExitStack() as stack:
        col = package = None
        if head == ZIP_MAGIC or source.suffix.lower() in (".apkg", ".colpkg"):
            from gistquiz.interop.apkg import Package

            package = stack.enter_context(Package(source, media_limit_mib))
            col = package.read(with_history)
            notes, media = col.notes, col.media
        else:
            from gistquiz.interop.anki_text import read_text

            if source.stat().st_size > MAX_TEXT_BYTES:
                raise UserError(f"{label}: too large for a text export ({source.stat().st_size // 2**20} MiB)")
            notes, media = read_text(source.read_bytes(), label, default_deck=source.stem), {}
        notes = [_without_controls(n) for n in notes]
        names = list(dict.fromkeys(n.deck for n in notes))
        paths = deck_paths(names, output, decks_dir, label)
        with gc_paused():
            result = ImportResult(plan(notes, paths, media, label))
        result.messages = list(result.plan.messages)
        for d in result.plan.decks:
            if d.path.is_dir():
                raise UserError(f"{d.path} is a folder: give -o a file name ending in .md")
            if d.path.exists() and not force:
                raise UserError(
                    f"{d.path} exists: use --force to replace it "
                    "(imported cards have stable ids, so their history stays attached)"
                )
        history = None
        if with_history and col is None:
            result.messages.append(
                "a text export holds no review history: the notes are imported as new cards "
                "(for the history, export an .apkg from Anki with 'Include scheduling information')"
            )
        if with_history and col is not None:
            from gistquiz.interop.history import from_revlog

            if not col.revlog:
                result.messages.append(
                    "the package holds no review history (in Anki, export with 'Include scheduling information')"
                )
            keys = {
                k: (key, d.key, d.fingerprints.get(key, "")) for d in result.plan.decks for k, key in d.keys.items()
            }
            history = from_revlog(
                col.revlog,
                col.cards,
                keys,
                scheduler or Scheduler(),
                col.sched_v1,
                schedules=col.schedules,
                crt=col.crt,
            )
            result.history_ignored = history.ignored
        _write(result, history, store, package)
        return result


def _without_controls(note: SourceNote) -> SourceNote:
    """The note without control characters (ESC, BEL, NUL, BS...), which a deck file would pass to the terminal."""
    parts = (note.deck, note.guid or "", *note.fields, *note.tags)
    if not any(CONTROL.search(p) for p in parts):
        return note
    return replace(
        note,
        deck=strip_controls(note.deck).strip() or "Default",
        guid=strip_controls(note.guid) if note.guid else note.guid,
        fields=tuple(strip_controls(f) for f in note.fields),
        tags=tuple(t for t in (strip_controls(t) for t in note.tags) if t),
    )


def _check_space(result: ImportResult, package) -> None:
    """Refuse before writing if the media are over their limit or the disk cannot hold what the import writes."""
    needed = sum(len(d.text.encode("utf-8")) for d in result.plan.decks)
    if package is not None:
        needed += package.check_media({safe for d in result.plan.decks for safe in d.media})
    folder = result.plan.decks[0].path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    if needed + DISK_MARGIN > free:
        raise UserError(
            f"{folder}: not enough free disk space for this import ({-(-needed // 2**20)} MiB needed, "
            f"{free // 2**20} MiB free): free some space and import again"
        )


def _write(result: ImportResult, history, store, package) -> None:
    _check_space(result, package)
    if callable(store) and not isinstance(store, Store):
        store = store() if history is not None and history.cards else None
    pending: list[tuple[str, Path]] = []
    made_dirs: list[Path] = []
    done = False
    try:
        for d in result.plan.decks:
            _mkdirs(d.path.parent, made_dirs)
            pending.append((_temp_with(d.path, d.text.encode("utf-8")), d.path))
            if d.originals:
                from gistquiz.interop.originals import path_for

                pending.append((_temp_with(path_for(d.path), d.originals.encode("utf-8")), path_for(d.path)))
            if d.media and package is not None:
                _mkdirs(d.media_dir, made_dirs)
                for safe in sorted(d.media):
                    target = d.media_dir / safe
                    if target.resolve().parent != d.media_dir.resolve():  # never outside the media folder
                        raise UserError(f"refusing to write media outside {d.media_dir}: {safe!r}")
                    fd, tmp = tempfile.mkstemp(dir=d.media_dir, prefix=".gistquiz-", suffix=".tmp")
                    pending.append((tmp, target))
                    with os.fdopen(fd, "wb") as out:
                        package.copy_media(safe, out)
                    result.media_files += 1
        if history is not None and history.cards:
            if store is None:
                raise UserError("--with-history needs the review database")
            written = store.import_reviews(history.cards)
            result.history_cards = len(written)
            kept = set(written)
            result.history_reviews = sum(len(log) for state, _, log in history.cards if state.key in kept)
            result.history_kept = len(history.cards) - len(written)
        for tmp, target in pending:
            os.replace(tmp, target)
        done = True
    finally:
        for tmp, _ in pending:
            if os.path.exists(tmp):
                os.unlink(tmp)
        if not done:
            for folder in reversed(made_dirs):
                with suppress(OSError):
                    folder.rmdir()


def _mkdirs(folder: Path, made: list[Path]) -> None:
    missing = []
    p = folder
    while not p.exists():
        missing.append(p)
        p = p.parent
    for m in reversed(missing):
        m.mkdir()
        made.append(m)


def _temp_with(target: Path, data: bytes) -> str:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return tmp


def summary(result: ImportResult) -> list[str]:
    lines = []
    for d in result.plan.decks:
        cards = f"{d.cards} card{'s' * (d.cards != 1)}"
        lines.append(f"wrote {d.path}: {cards} from {len(d.notes)} notes (Anki deck '{d.name}')")
        if d.media:
            lines.append(f"  with {len(d.media)} media file{'s' * (len(d.media) != 1)} in {d.media_dir}")
    lines += [f"note: {m}" for m in result.messages]
    if result.history_cards:
        lines.append(
            f"history: {result.history_reviews} answers of {result.history_cards} cards imported "
            "(their FSRS state is replayed from them; 'gistquiz rebuild' gives the same)"
        )
    if result.history_ignored:
        n = result.history_ignored
        lines.append(f"history: skipped {n} log entr{'ies' if n != 1 else 'y'} (manual changes, cards not imported)")
    if result.history_kept:
        lines.append(f"history: kept gistquiz's own history of {result.history_kept} cards that already had one")
    return lines
