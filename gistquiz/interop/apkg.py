"""Read Anki's packages: ``.apkg`` (decks) and ``.colpkg`` (a whole collection).

A package is a zip holding the collection, an SQLite database, under one of
three names, newest first:

``collection.anki21b``
    Anki 2.1.50+ ("latest" format, the default export since then): schema 18,
    compressed with zstd. Note types, fields, templates and decks are tables
    whose ``config`` columns are small protobuf messages; deck names use
    ``\\x1f`` between levels. Read with the ``zstandard`` package: refusing it
    would send almost every user of a current Anki back to re-export with
    "Support older Anki versions" ticked.
``collection.anki21`` / ``collection.anki2``
    Schema 11: note types and decks are JSON in the ``col`` table.

The ``media`` member maps zip member names ("0", "1", ...) to file names: JSON
in the legacy formats; in the latest format a zstd-compressed protobuf list
whose members are zstd-compressed too.

Nothing in a package is trusted: see :mod:`gistquiz.interop.zipsafe` for the
zip, and the SQLite file is opened read-only, ``immutable``, with
``trusted_schema`` off, and checked to be a collection before it is queried.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from gistquiz.interop.anki_model import NoteType, SourceNote
from gistquiz.interop.zipsafe import (
    MAX_MEMBER_BYTES,
    MAX_RATIO,
    MEDIA_FILE_LIMIT_MIB,
    MEDIA_LIMIT_MIB,
    RATIO_FLOOR,
    PackageError,
    SafeZip,
    media_name,
)

COLLECTIONS = ("collection.anki21b", "collection.anki21", "collection.anki2")
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
SQLITE_MAGIC = b"SQLite format 3\x00"
MAX_REVLOG_MS = 253_402_300_799_999
"""The last millisecond of the year 9999, the latest a Python datetime holds: a revlog id beyond it is damage."""
LEGACY_HINT = "in Anki, export with File > Export, 'Anki Deck Package', and tick 'Support older Anki versions'"


@dataclass(frozen=True)
class RevlogRow:
    """One answer in Anki's review log."""

    id: int
    """Epoch milliseconds of the answer (UTC)."""
    cid: int
    ease: int
    """1-4 (Again..Easy; in the v1 scheduler's learning steps 1-3 were Again, Good, Easy); 0 for manual changes."""
    ivl: int
    time: int
    """Milliseconds spent answering."""
    type: int
    """0 learn, 1 review, 2 relearn, 3 filtered (cram), 4 manual, 5 rescheduled."""


@dataclass(frozen=True)
class CardSchedule:
    """A card's scheduling columns in Anki's ``cards`` table (what the review log alone does not say)."""

    type: int
    """0 new, 1 learning, 2 review, 3 relearning."""
    queue: int
    due: int
    """Review cards: days from the collection's creation (``col.crt``); learning: epoch seconds; new: position."""
    ivl: int
    """Days (negative: seconds, for learning steps)."""
    factor: int
    """SM-2 ease in permille (2500 = 2.5)."""
    odue: int
    """The home due of a card in a filtered deck (0 otherwise)."""
    data: str
    """JSON: with FSRS on, the memory state ``s`` (stability), ``d`` (difficulty) and ``lrt`` (last review, s)."""


@dataclass
class Collection:
    """What gistquiz takes from a package."""

    format: str
    notes: list[SourceNote]
    cards: dict[int, tuple[int, int, int]]
    """Card id -> (note id, ordinal, queue): queue -1 is suspended."""
    revlog: list[RevlogRow] = field(default_factory=list)
    sched_v1: bool = False
    crt: int = 0
    """The collection's creation, epoch seconds at a day's start: review due dates count days from it."""
    schedules: dict[int, CardSchedule] = field(default_factory=dict)
    """Card id -> its scheduling columns (read with the history only)."""
    media: dict[str, str] = field(default_factory=dict)
    """File name as fields write it -> a safe name to create (see :func:`zipsafe.media_name`)."""
    members: dict[str, tuple[str, bool, int | None]] = field(default_factory=dict)
    """Safe media name -> (zip member, zstd-compressed, declared unpacked size if the package says)."""


class Package:
    """An open package: ``with Package(path) as p: col = p.read()``; then ``p.copy_media(...)``."""

    def __init__(self, path: Path, media_limit_mib: int | None = None):
        self.path = path
        self.media_limit_mib = media_limit_mib
        extra = max(0, (media_limit_mib or 0) * 2**20 - MEDIA_LIMIT_MIB * 2**20)
        self.zip = SafeZip(path, extra_bytes=extra)
        self.members: dict[str, tuple[str, bool, int | None]] = {}

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.zip.__exit__()

    def read(self, with_history: bool = False) -> Collection:
        names = self.zip.names()
        member = next((c for c in COLLECTIONS if c in names), None)
        if member is None:
            raise PackageError(f"{self.path}: no Anki collection inside (expected one of {', '.join(COLLECTIONS)})")
        with tempfile.TemporaryDirectory(prefix="gistquiz-import-") as tmp:
            db_path = Path(tmp) / "collection.sqlite"
            with open(db_path, "wb") as out:
                if member.endswith("b"):
                    self._unzstd(member, out)
                else:
                    self.zip.copy(member, out)
            with _open_collection(db_path, self.path) as db:
                col = _read_collection(db, self.path, member.removeprefix("collection."), with_history)
        col.media, col.members = self._media_map()
        self.members = col.members
        return col

    def _unzstd(self, member: str, out: BinaryIO, what: str = "", declared: int | None = None) -> None:
        """Decompress a zstd member into ``out``, refusing one that expands like a zip bomb or beyond ``declared``."""
        try:
            import zstandard
        except ImportError:  # pragma: no cover - zstandard is a dependency
            raise PackageError(f"{self.path}: this package is in Anki's newest format; {LEGACY_HINT}") from None
        what = what or f"'{member}'"
        compressed = self.zip.infos[member].compress_size
        written = 0
        try:
            with self.zip.open(member) as raw, zstandard.ZstdDecompressor().stream_reader(raw) as reader:
                while chunk := reader.read(1 << 20):
                    written += len(chunk)
                    self.zip.count(len(chunk))
                    if written > MAX_MEMBER_BYTES or (written > RATIO_FLOOR and written > MAX_RATIO * compressed):
                        raise PackageError(f"{self.path}: {what} expands too much: refusing a possible zip bomb")
                    if declared is not None and written > declared:
                        raise PackageError(f"{self.path}: {what} is larger than the package says: corrupt")
                    out.write(chunk)
            if declared is not None and written != declared:
                raise PackageError(f"{self.path}: {what} is shorter than the package says: corrupt")
        except zstandard.ZstdError as err:
            raise PackageError(f"{self.path}: not a valid Anki package ({what} is not zstd data: {err})") from None

    def _media_map(self) -> tuple[dict[str, str], dict[str, tuple[str, bool]]]:
        if "media" not in self.zip.names():
            return {}, {}
        raw = self.zip.read("media")
        if raw.startswith(ZSTD_MAGIC):
            listed = _media_entries(self._unzstd_bytes(raw), self.path)
            entries = [(member or str(i), name, True, size) for i, (name, member, size) in enumerate(listed)]
        else:
            try:
                listed = json.loads(raw.decode("utf-8") or "{}")
            except (UnicodeDecodeError, ValueError):
                raise PackageError(f"{self.path}: not a valid Anki package (unreadable media list)") from None
            if not isinstance(listed, dict):
                raise PackageError(f"{self.path}: not a valid Anki package (unreadable media list)")
            entries = [(str(k), str(v), False, None) for k, v in listed.items()]
        names: dict[str, str] = {}
        members: dict[str, tuple[str, bool, int | None]] = {}
        for member, name, zstd, size in entries:
            safe = media_name(name, str(self.path))
            base, n = safe, 1
            while safe in members:
                n += 1
                stem, dot, ext = base.rpartition(".")
                safe = f"{stem}-{n}.{ext}" if dot else f"{base}-{n}"
            if member in self.zip.infos:
                names[name] = safe
                members[safe] = (member, zstd, size if zstd else self.zip.infos[member].file_size)
        return names, members

    def _unzstd_bytes(self, data: bytes) -> bytes:
        import zstandard

        try:
            reader = zstandard.ZstdDecompressor().stream_reader(data)
            out = reader.read(RATIO_FLOOR + 1)
        except zstandard.ZstdError as err:
            raise PackageError(f"{self.path}: not a valid Anki package (unreadable media list: {err})") from None
        if len(out) > RATIO_FLOOR:
            raise PackageError(f"{self.path}: the media list is too large")
        return out

    def media_size(self, safe: str) -> int:
        """A media file's unpacked size as the package declares it (checked against the bytes while copying).

        The latest format's media list gives each file's size; an entry without one is counted at the
        largest size its compression ratio allows.
        """
        member, zstd, size = self.members[safe]
        if size is not None:
            return size
        return max(RATIO_FLOOR, MAX_RATIO * self.zip.infos[member].compress_size)

    def check_media(self, names: Iterable[str]) -> int:
        """The total unpacked size of these media files, refused over the limits (see :data:`MEDIA_LIMIT_MIB`)."""
        limit = (self.media_limit_mib or MEDIA_LIMIT_MIB) * 2**20
        file_limit = (self.media_limit_mib or MEDIA_FILE_LIMIT_MIB) * 2**20
        total = 0
        for safe in names:
            size = self.media_size(safe)
            if size > file_limit:
                raise PackageError(
                    f"{self.path}: media file '{safe}' unpacks to {_mib(size)} MiB, over the "
                    f"{file_limit // 2**20} MiB limit for one file; if you trust the package, "
                    f"import it with --max-media {max(_mib(size), limit // 2**20)}"
                )
            total += size
        if total > limit:
            raise PackageError(
                f"{self.path}: its media unpack to {_mib(total)} MiB, over the {limit // 2**20} MiB limit; "
                f"if you trust the package, import it with --max-media {_mib(total)}"
            )
        return total

    def copy_media(self, safe: str, out: BinaryIO) -> None:
        """Write one media file's bytes (unpacked) to ``out``: exactly the size the package declares."""
        member, zstd, size = self.members[safe]
        if zstd:
            self._unzstd(member, out, what=f"media '{safe}'", declared=size)
        else:
            self.zip.copy(member, out)


# --------------------------------------------------------------------------- the SQLite collection


@contextmanager
def _open_collection(path: Path, label: Path) -> Iterator[sqlite3.Connection]:
    with open(path, "rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    if head != SQLITE_MAGIC:
        raise PackageError(f"{label}: not an Anki collection (the database inside is not SQLite)")
    try:
        db = sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as err:
        raise PackageError(f"{label}: not an Anki collection ({err})") from None
    try:
        db.execute("PRAGMA trusted_schema=OFF")
        db.execute("PRAGMA query_only=ON")
        yield db
    except sqlite3.Error as err:
        raise PackageError(f"{label}: not an Anki collection ({err})") from None
    finally:
        db.close()


def _read_collection(db: sqlite3.Connection, label: Path, fmt: str, with_history: bool) -> Collection:
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    missing = {"col", "notes", "cards"} - tables
    if missing:
        raise PackageError(f"{label}: not an Anki collection (no {', '.join(sorted(missing))} table)")
    if "notetypes" in tables:
        notetypes = _notetypes_v18(db, label)
        decks = {}
        for i, n in db.execute("SELECT id, name FROM decks"):
            if not isinstance(i, int):
                raise PackageError(f"{label}: not an Anki collection (deck id {i!r} is not a number)")
            decks[i] = str(n).replace("\x1f", "::")
        sched = _config_v18(db, "schedVer")
    else:
        row = db.execute("SELECT models, decks, conf FROM col").fetchone()
        if row is None:
            raise PackageError(f"{label}: not an Anki collection (the col table is empty)")
        notetypes = _notetypes_v11(_json(row[0], label, "note types"), label)
        decks = _decks_v11(_json(row[1], label, "decks"))
        conf = _json(row[2], label, "settings") if row[2] else {}
        sched = conf.get("schedVer") if isinstance(conf, dict) else None
    cards: dict[int, tuple[int, int, int]] = {}
    deck_of: dict[int, tuple[int, int]] = {}
    ords: dict[int, set[int]] = {}
    for cid, nid, did, ord_, queue, odid in db.execute("SELECT id, nid, did, ord, queue, odid FROM cards"):
        if not all(isinstance(v, int) for v in (cid, nid, did, ord_)):
            raise PackageError(f"{label}: not an Anki collection (card {cid!r} is malformed)")
        cards[cid] = (nid, ord_, queue if isinstance(queue, int) else 0)
        ords.setdefault(nid, set()).add(ord_)
        home = odid if isinstance(odid, int) and odid else did
        if nid not in deck_of or ord_ < deck_of[nid][0]:
            deck_of[nid] = (ord_, home)
    notes: list[SourceNote] = []
    for nid, guid, mid, tags, flds, mod in db.execute("SELECT id, guid, mid, tags, flds, mod FROM notes ORDER BY id"):
        nt = notetypes.get(mid) if isinstance(mid, int) else None
        if nt is None:
            raise PackageError(f"{label}: note {nid} has no note type (note type id {mid!r} is missing)")
        if not isinstance(flds, str):
            raise PackageError(f"{label}: note {nid} is malformed (its fields are not text)")
        fields = tuple(flds.split("\x1f"))
        if len(fields) < len(nt.fields):
            raise PackageError(
                f"{label}: note {nid} has {len(fields)} field{'s' * (len(fields) != 1)}, "
                f"but its note type '{nt.name}' has {len(nt.fields)}: the collection is damaged"
            )
        deck_id = deck_of.get(nid, (0, 1))[1]
        notes.append(
            SourceNote(
                guid=str(guid) if guid is not None and str(guid) else None,
                notetype=nt,
                fields=fields[: len(nt.fields)],
                tags=tuple(str(tags or "").split()),
                deck=decks.get(deck_id, "Default"),
                ords=frozenset(ords.get(nid, ())),
                nid=nid,
                mod=mod if isinstance(mod, int) else 0,
            )
        )
    if not notes:
        raise PackageError(f"{label}: the collection holds no notes: nothing to import")
    col = Collection(fmt, notes, cards, sched_v1=sched in (None, 1))
    if with_history:
        col.crt, col.schedules = _schedules(db)
    if with_history and "revlog" in tables:
        for row in db.execute("SELECT id, cid, ease, ivl, time, type FROM revlog ORDER BY id"):
            if all(isinstance(v, int) for v in row):
                if not 0 <= row[0] <= MAX_REVLOG_MS:
                    raise PackageError(
                        f"{label}: the review log is damaged (entry id {row[0]} is not a time in epoch "
                        "milliseconds); import without --with-history to take the notes only"
                    )
                col.revlog.append(RevlogRow(*row))
    return col


def _schedules(db: sqlite3.Connection) -> tuple[int, dict[int, CardSchedule]]:
    """``col.crt`` and each card's scheduling columns; a malformed value reads as 0 (a new card)."""
    row = db.execute("SELECT crt FROM col").fetchone()
    crt = row[0] if row and isinstance(row[0], int) else 0
    columns = {name for _, name, *_ in db.execute("PRAGMA table_info(cards)")}
    data = "data" if "data" in columns else "''"
    out = {}
    for cid, *values in db.execute(f"SELECT id, type, queue, due, ivl, factor, odue, {data} FROM cards"):
        ints = [v if isinstance(v, int) else 0 for v in values[:6]]
        out[cid] = CardSchedule(*ints, values[6] if isinstance(values[6], str) else "")
    return crt, out


def _json(text: Any, label: Path, what: str) -> Any:
    try:
        return json.loads(text) if isinstance(text, str | bytes) and text else {}
    except ValueError:
        raise PackageError(f"{label}: not an Anki collection (unreadable {what})") from None


def _notetypes_v11(models: Any, label: Path) -> dict[int, NoteType]:
    out = {}
    try:
        for key, m in models.items():
            flds = sorted(m["flds"], key=lambda f: f.get("ord", 0))
            tmpls = sorted(m.get("tmpls", []), key=lambda t: t.get("ord", 0))
            out[int(key)] = NoteType(
                name=str(m["name"]),
                fields=tuple(str(f["name"]) for f in flds),
                cloze=m.get("type") == 1,
                templates=tuple((str(t.get("qfmt", "")), str(t.get("afmt", ""))) for t in tmpls),
                id=int(key),
                css=str(m.get("css", "")),
                template_names=tuple(str(t.get("name", "")) for t in tmpls),
                sort_field=int(m.get("sortf", 0) or 0),
            )
    except (AttributeError, KeyError, TypeError, ValueError):
        raise PackageError(f"{label}: not an Anki collection (unreadable note types)") from None
    return out


def _decks_v11(decks: Any) -> dict[int, str]:
    out = {}
    if isinstance(decks, dict):
        for key, d in decks.items():
            if isinstance(d, dict) and str(key).lstrip("-").isdigit():
                out[int(key)] = str(d.get("name", "Default"))
    return out


def _notetypes_v18(db: sqlite3.Connection, label: Path) -> dict[int, NoteType]:
    fields: dict[int, list[str]] = {}
    for ntid, _, name in db.execute("SELECT ntid, ord, name FROM fields ORDER BY ntid, ord"):
        fields.setdefault(ntid, []).append(str(name))
    templates: dict[int, list[tuple[str, str]]] = {}
    names: dict[int, list[str]] = {}
    for ntid, _, name, config in db.execute("SELECT ntid, ord, name, config FROM templates ORDER BY ntid, ord"):
        msg = _protobuf(config)
        templates.setdefault(ntid, []).append((_text(msg.get(1)), _text(msg.get(2))))
        names.setdefault(ntid, []).append(str(name))
    out = {}
    for ntid, name, config in db.execute("SELECT id, name, config FROM notetypes"):
        msg = _protobuf(config)  # NotetypeConfig: 1 kind, 2 sort field, 3 css
        sort_field = msg.get(2, 0)
        out[ntid] = NoteType(
            str(name),
            tuple(fields.get(ntid, ())),
            msg.get(1, 0) == 1,
            tuple(templates.get(ntid, ())),
            id=ntid if isinstance(ntid, int) else 0,
            css=_text(msg.get(3)),
            template_names=tuple(names.get(ntid, ())),
            sort_field=sort_field if isinstance(sort_field, int) else 0,
        )
    return out


def _config_v18(db: sqlite3.Connection, key: str) -> Any:
    try:
        row = db.execute("SELECT val FROM config WHERE KEY=?", (key,)).fetchone()
    except sqlite3.Error:
        return None
    if row is None:
        return None
    try:
        return json.loads(row[0])
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------- protobuf, the little that is needed


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("truncated varint")
        b = data[pos]
        value |= (b & 0x7F) << shift
        pos += 1
        if not b & 0x80:
            return value, pos
        shift += 7


def _protobuf(data: Any) -> dict[int, Any]:
    """Top-level fields of a protobuf message (the last value of each): ints and bytes. Bad data gives ``{}``."""
    if not isinstance(data, bytes):
        return {}
    out: dict[int, Any] = {}
    pos = 0
    try:
        while pos < len(data):
            key, pos = _varint(data, pos)
            number, wire = key >> 3, key & 7
            if wire == 0:
                out[number], pos = _varint(data, pos)
            elif wire == 2:
                size, pos = _varint(data, pos)
                out[number] = data[pos : pos + size]
                pos += size
            elif wire == 1:
                pos += 8
            elif wire == 5:
                pos += 4
            else:
                break
    except ValueError:
        return out
    return out


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else ""


def _mib(n: int) -> int:
    return -(-n // 2**20)


def _media_entries(data: bytes, label: Path) -> list[tuple[str, str | None, int | None]]:
    """(name, zip member if not the entry's index, size) of each entry in a ``MediaEntries`` message.

    ``message MediaEntries { repeated MediaEntry entries = 1; }``, ``message MediaEntry { string name = 1;
    uint32 size = 2; bytes sha1 = 3; optional uint32 legacy_zip_filename = 255; }``
    """
    names: list[tuple[str, str | None, int | None]] = []
    pos = 0
    try:
        while pos < len(data):
            key, pos = _varint(data, pos)
            if key & 7 != 2:
                raise ValueError("unexpected field")
            size, pos = _varint(data, pos)
            entry = data[pos : pos + size]
            pos += size
            if key >> 3 == 1:
                msg = _protobuf(entry)
                legacy = msg.get(255)
                size = msg.get(2)
                member = str(legacy) if isinstance(legacy, int) else None
                names.append((_text(msg.get(1)), member, size if isinstance(size, int) else None))
    except ValueError:
        raise PackageError(f"{label}: not a valid Anki package (unreadable media list)") from None
    return names
