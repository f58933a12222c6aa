"""Errors that carry a location, turned into one clear line at the command-line edge."""

from __future__ import annotations

import re
from typing import NamedTuple

# Characters a terminal acts on or a reader cannot see: C0/C1 controls (NUL, BS, VT, FF, ESC, ...), DEL,
# the Unicode line/paragraph separators and the bidi overrides (which reorder what is shown).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def escape(text: str) -> str:
    """``text`` with every control character written as an escape (``\\x1b``, ``\\u2028``).

    A message quotes the deck, and a deck must not be able to move the cursor, clear the screen or
    split one error into several lines on the terminal that shows it.
    """
    return _UNSAFE.sub(_escaped, text) if _UNSAFE.search(text) else text


def _escaped(m: re.Match[str]) -> str:
    c = ord(m.group(0))
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


class _Where(NamedTuple):
    path: str
    line: int
    message: str


class DeckError(_Where):
    """A problem in a deck file, at a line (1-based): prints as ``path:line: message``.

    The path and message are escaped here, where every deck error is made, so that no caller can forget.
    Immutable and ordered by (path, line, message). A named tuple, not a frozen dataclass: this module is
    imported before the first frame, where the dataclass's generated methods cost 0.5-0.8 ms of the start.
    """

    __slots__ = ()

    def __new__(cls, path: str, line: int, message: str) -> DeckError:
        return super().__new__(cls, escape(path), line, escape(message))

    def __str__(self) -> str:
        # Line 0: a problem with the file itself (a FIFO, a dangling link), not with one of its lines.
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


class DeckFileError(Exception):
    """Raised where one problem must stop the caller; carries the :class:`DeckError`."""

    def __init__(self, error: DeckError):
        super().__init__(str(error))
        self.error = error


class UserError(Exception):
    """A mistake in what the user asked for (a bad option, a missing deck): one line, no traceback."""


class AnsweredElsewhere(Exception):
    """The card's stored state is no longer the one the screen showed: another tab or process answered
    (or flagged) it meanwhile, so this answer would build on one the learner never saw."""


class StoreError(Exception):
    """The review database cannot be opened, or was made by a newer gistquiz."""


def not_utf8(data: bytes, err: UnicodeDecodeError) -> tuple[int, str]:
    """(1-based line, "not UTF-8 text (byte 0x..)") for the first byte of ``data`` that is not UTF-8."""
    return data.count(b"\n", 0, err.start) + 1, f"not UTF-8 text (byte 0x{data[err.start]:02x})"
