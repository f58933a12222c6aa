"""Editing one card's section of a deck file in place: what the in-app editor reads and writes.

A section is a card's ``##`` heading line and everything up to the next card's heading (headings in
fenced code do not count, as in the parser). Saving is careful with the learner's file:

- it refuses when the file changed since it was opened (its SHA-256), so a save never undoes an edit
  made elsewhere (another tab, an external editor);
- it refuses when the edited section does not parse, and leaves the file as it was;
- it writes through a symlink to its target, keeps the BOM, the line endings and the file mode, and is
  atomic: a temp file in the target's folder, flushed, then renamed over it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from gistquiz.deck import Deck, Kind, deck_key, decode, parse_deck
from gistquiz.deck_parser import Parser
from gistquiz.errors import DeckError, DeckFileError

if TYPE_CHECKING:
    from gistquiz.trust import TrustRecord

BOM = "\ufeff"


class EditError(Exception):
    """Why a section cannot be opened or saved: one line, saying what to do next."""


@dataclass(frozen=True)
class OpenSection:
    """A card's section as read from its file, with what saving needs to write the file back."""

    path: str
    """The deck file as the library names it (may be a symlink)."""
    shown: str
    """How messages name the file (in a browser tab: relative to the decks or data folder)."""
    target: str
    """The file actually written: ``path`` with symlinks resolved."""
    digest: str
    """SHA-256 of the file's bytes when opened."""
    bom: bool
    newline: str
    """The file's line ending (of its first line), written back unchanged."""
    head: str
    """The text before the section (``\\n`` line endings, no BOM)."""
    text: str
    """The section: its heading line up to the next card (``\\n`` line endings)."""
    tail: str
    """The text after the section."""
    line: int
    """The section's first line in the file (1-based)."""


def _newline_of(data: bytes) -> str:
    eol = data.find(b"\n")
    cr = data.find(b"\r")
    if cr != -1 and (eol == -1 or cr < eol):
        return "\r\n" if data[cr : cr + 2] == b"\r\n" else "\r"
    return "\n"


def _read(path: str, shown: str) -> tuple[str, bytes]:
    target = os.path.realpath(path)
    try:
        with open(target, "rb") as f:
            return target, f.read()
    except OSError as err:
        raise EditError(f"{shown}: cannot read: {err.strerror or err}") from None


def open_section(path: str, line: int, shown: str | None = None) -> OpenSection:
    """The section whose heading is on ``line`` of the deck file at ``path`` (named ``shown`` in messages).

    Raises
    ------
    EditError
        When the file cannot be read or decoded, or no card's heading is on that line.
    """
    shown = shown or path
    target, data = _read(path, shown)
    try:
        text = decode(data, shown)
    except DeckFileError as err:
        raise EditError(str(err.error)) from None
    _, _, _, sections = Parser(shown, deck_key(path), None).split(text)
    starts = [s.line for s in sections]
    if line not in starts:
        raise EditError(f"{shown}:{line}: no card starts on this line any more; reopen the card")
    i = starts.index(line)
    lines = text.splitlines(keepends=True)
    end = starts[i + 1] - 1 if i + 1 < len(starts) else len(lines)
    return OpenSection(
        path=path,
        shown=shown,
        target=target,
        digest=hashlib.sha256(data).hexdigest(),
        bom=data.startswith(BOM.encode()),
        newline=_newline_of(data),
        head="".join(lines[: line - 1]),
        text="".join(lines[line - 1 : end]),
        tail="".join(lines[end:]),
        line=line,
    )


def splice(opened: OpenSection, new_text: str) -> str:
    """The whole file's text (``\\n`` endings, no BOM) with the section replaced by ``new_text``."""
    new_text = new_text.replace("\r\n", "\n").replace("\r", "\n")
    if opened.tail and new_text and not new_text.endswith("\n"):
        new_text += "\n"  # or the next card's heading would join the section's last line
    return opened.head + new_text + opened.tail


def section_errors(opened: OpenSection, new_text: str, known_demos: set[str] | None = None) -> list[DeckError]:
    """The problems the parser finds in the edited section (problems elsewhere in the file are not ours)."""
    full = splice(opened, new_text)
    deck = parse_deck(full, opened.shown, known_demos=known_demos)
    section = full[len(opened.head) : len(full) - len(opened.tail)]
    first = opened.line
    last = first + max(1, section.count("\n") + (0 if section.endswith("\n") else 1))
    return [e for e in deck.errors if first <= e.line < last]


@dataclass(frozen=True)
class Saved:
    deck: Deck
    """The deck as parsed from what was written."""
    changed: bool
    """Whether anything was written (an unchanged section writes nothing)."""


def save_section(
    opened: OpenSection,
    new_text: str,
    known_demos: set[str] | None = None,
    record: TrustRecord | None = None,
    now: datetime | None = None,
) -> Saved:
    """Write the edited section back, or raise :class:`EditError` and leave the file as it was.

    With a trust ``record``, what was written is recorded as gistquiz's own (:func:`trust_written`).

    Raises
    ------
    EditError
        When the file changed since it was opened, the section does not parse, or the write fails.
    """
    target, data = _read(opened.path, opened.shown)
    if hashlib.sha256(data).hexdigest() != opened.digest:
        raise EditError(
            f"{opened.shown} changed since the editor opened it (edited elsewhere?): "
            "nothing was written; copy your text, close the editor and open the card again"
        )
    errors = section_errors(opened, new_text, known_demos)
    if errors:
        raise EditError(str(errors[0]))
    full = splice(opened, new_text)
    if full == opened.head + opened.text + opened.tail:
        return Saved(parse_deck(data, opened.path, known_demos=known_demos), changed=False)
    body = (BOM if opened.bom else "") + (full.replace("\n", opened.newline) if opened.newline != "\n" else full)
    payload = body.encode("utf-8")
    _atomic_write(target, payload, opened.shown)
    deck = parse_deck(payload, opened.path, known_demos=known_demos)
    if record is not None:
        trust_written(record, opened, data, deck, new_text, now or datetime.now(UTC))
    return Saved(deck, changed=True)


def trust_written(record: TrustRecord, opened: OpenSection, before: bytes, deck: Deck, new_text: str, now) -> bool:
    """Record the file gistquiz just wrote as trusted, unless that would vouch for code nobody looked at.

    The learner wrote the edited section in gistquiz's editor, so its tests may run without asking. The
    rest of the file they did not see: if it holds an exercise (code that runs) and the file as it was
    before the edit was not trusted, a one-word fix in another card must not trust it, and the file is
    asked about as before. Returns whether it was recorded.
    """
    from gistquiz import trust

    first = opened.line
    last = first + new_text.count("\n")
    elsewhere = any(c.kind is Kind.EXERCISE and not first <= c.line <= last for c in deck.cards)
    if elsewhere and not trust.is_trusted(record, trust.deck_code_of(opened.path, before)):
        return False
    trust.mark_written(record, opened.path, "deck", now)
    return True


def _atomic_write(target: str, payload: bytes, shown: str) -> None:
    folder = os.path.dirname(target)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
        fd, tmp = tempfile.mkstemp(prefix=f".{Path(target).name}.", suffix=".tmp", dir=folder)
    except OSError as err:
        raise EditError(f"{shown}: cannot write: {err.strerror or err}; nothing was changed") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise EditError(f"{shown}: cannot write: {err.strerror or err}; nothing was changed") from None
    try:  # the rename itself survives a power cut only once the folder is flushed too
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
