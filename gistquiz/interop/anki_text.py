"""Anki's plain-text format: "Notes in Plain Text" exports and the CSV/TSV files Anki imports.

The file may start with header lines (Anki 2.1.54+)::

    #separator:tab
    #html:true
    #guid column:1
    #notetype column:2
    #deck column:3
    #tags column:6

then one note per row, fields separated by the separator (``tab``,
``comma``, ``semicolon``, ``pipe``, ``space``, ``colon`` or the character
itself), quoted with ``"`` when a field holds the separator, a quote or a
newline. ``#notetype:``, ``#deck:`` and ``#tags:`` give one value for every
row; column numbers count from 1. Without a ``#separator`` header the first row
decides, as in Anki (a tab, a pipe, a semicolon, else a comma); without
``#html``, the fields are HTML if any of them contains a tag.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TextIO

from gistquiz.errors import UserError
from gistquiz.interop.anki_model import GQ_CLOZE, GQ_FIELDS, NoteType, SourceNote, stock_name

SEPARATORS = {"tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|", "space": " ", "colon": ":"}
_HEADER = re.compile(r"^#([A-Za-z][A-Za-z ]*):(.*)$")
_LOOKS_HTML = re.compile(
    r"<(?:br|b|i|u|em|strong|div|p|span|img|ul|ol|li|a|font|sup|sub|code|pre|table)\b[^>]*>|&(?:nbsp|amp|lt|gt|quot|#\d+);",
    re.IGNORECASE,
)
_CLOZE = re.compile(r"\{\{c\d+::")


class TextFormatError(UserError):
    """A problem in a text export, at a line: ``path:line: message``."""


@dataclass
class Header:
    separator: str | None = None
    html: bool | None = None
    columns: dict[str, int] = field(default_factory=dict)
    """guid, notetype, deck, tags -> 0-based column."""
    notetype: str | None = None
    deck: str | None = None
    tags: tuple[str, ...] = ()
    lines: int = 0


def read_text(data: bytes, label: str, default_deck: str) -> list[SourceNote]:
    """The notes of a text export. Raises :class:`TextFormatError` for a bad header or row."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise TextFormatError(f"{label}:{line}: not UTF-8 text; export it from Anki again") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    header = _header(lines, label)
    body = "\n".join(lines[header.lines :])
    sep = header.separator or _guess_separator(body)
    html = header.html if header.html is not None else bool(_LOOKS_HTML.search(body))
    special = sorted(header.columns.values())
    last_special = max(special, default=-1)
    csv.field_size_limit(max(csv.field_size_limit(), 64 * 2**20))
    reader = csv.reader(io.StringIO(body), delimiter=sep, quotechar='"', doublequote=True, strict=False)
    notes: list[SourceNote] = []
    types: dict[tuple[str, int], NoteType] = {}
    read_lines = 0
    while True:
        line = header.lines + read_lines + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            raise TextFormatError(f"{label}:{line}: {err}") from None
        read_lines = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= last_special:
            which = next(k for k, v in header.columns.items() if v == last_special)
            raise TextFormatError(
                f"{label}:{line}: this row has {len(row)} column{'s' * (len(row) != 1)}, "
                f"but the header puts the {which} in column {last_special + 1}"
            )
        fields = [cell for i, cell in enumerate(row) if i not in special]
        cols = header.columns
        name = row[cols["notetype"]].strip() if "notetype" in cols else header.notetype
        if not name:
            name = "Cloze" if fields and _CLOZE.search(fields[0]) else "Basic"
        nt = types.get((name, len(fields)))
        if nt is None:
            nt = types[(name, len(fields))] = _notetype(name, len(fields))
        tags = tuple(row[cols["tags"]].split()) if "tags" in cols else ()
        deck = (row[cols["deck"]].strip() if "deck" in cols else "") or header.deck or default_deck
        guid = row[cols["guid"]].strip() if "guid" in cols else ""
        notes.append(SourceNote(guid or None, nt, tuple(fields), header.tags + tags, deck, None, html, line))
    if not notes:
        raise TextFormatError(f"{label}:{header.lines + 1}: no notes in the file: nothing to import")
    return notes


def _notetype(name: str, n_fields: int) -> NoteType:
    if name in GQ_FIELDS:
        return NoteType(name, GQ_FIELDS[name], cloze=name == GQ_CLOZE)
    return NoteType(name, tuple(f"Field {i + 1}" for i in range(n_fields)), cloze=stock_name(name) == "cloze")


def _header(lines: list[str], label: str) -> Header:
    h = Header()
    for n, line in enumerate(lines):
        m = _HEADER.match(line)
        if not m:
            break
        h.lines = n + 1
        key, value = m.group(1).strip().lower(), m.group(2)
        where = f"{label}:{n + 1}"
        if key == "separator":
            v = value.strip()
            h.separator = SEPARATORS.get(v.lower()) or ("\t" if v == "\\t" else v if len(v) == 1 else None)
            if h.separator is None or h.separator in '"\n':
                raise TextFormatError(f"{where}: unknown separator {value!r} (use {', '.join(SEPARATORS)})")
        elif key == "html":
            if value.strip().lower() not in ("true", "false"):
                raise TextFormatError(f"{where}: #html must be true or false, not {value.strip()!r}")
            h.html = value.strip().lower() == "true"
        elif key.endswith(" column") and key.removesuffix(" column") in ("guid", "notetype", "deck", "tags"):
            which = key.removesuffix(" column")
            if not value.strip().isdigit() or int(value) < 1:
                raise TextFormatError(f"{where}: #{key} must be a column number from 1, not {value.strip()!r}")
            col = int(value) - 1
            if col in h.columns.values():
                raise TextFormatError(f"{where}: column {col + 1} is given two roles")
            h.columns[which] = col
        elif key == "notetype":
            h.notetype = value.strip()
        elif key == "deck":
            h.deck = value.strip()
        elif key == "tags":
            h.tags = tuple(value.split())
        # Other headers (#columns, #if matches, ...) change nothing gistquiz does.
    return h


def _guess_separator(body: str) -> str:
    first = next((line for line in body.split("\n") if line.strip()), "")
    for sep in ("\t", "|", ";", ","):
        if sep in first:
            return sep
    return "\t"


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class TextRow:
    guid: str
    notetype: str
    deck: str
    fields: tuple[str, ...]
    tags: tuple[str, ...]


def write_text(rows: Iterable[TextRow], out: TextIO) -> int:
    """Write rows in Anki's plain-text format with its header lines (HTML fields, tab-separated)."""
    rows = list(rows)
    width = max((len(r.fields) for r in rows), default=2)
    out.write("#separator:tab\n#html:true\n#guid column:1\n#notetype column:2\n#deck column:3\n")
    out.write(f"#tags column:{width + 4}\n")
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter="\t", quotechar='"', lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    for r in rows:
        fields = list(r.fields) + [""] * (width - len(r.fields))
        writer.writerow([r.guid, r.notetype, r.deck, *fields, " ".join(r.tags)])
        line = buf.getvalue()
        buf.seek(0)
        buf.truncate()
        if line.startswith("#"):  # a GUID may start with '#': quoted, it cannot be read as a header
            first, rest = line.split("\t", 1)
            line = '"' + first.replace('"', '""') + '"\t' + rest
        out.write(line)
    return len(rows)
